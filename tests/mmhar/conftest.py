import pytest

from paperzoo.core.io import CACHE_ENV
from paperzoo.mmhar.data import SYNTH_CLASSES, SynthConfig, synthetic
from paperzoo.mmhar.modality import sliding_windows


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def synth_windows():
    recs = synthetic(SynthConfig(subjects=6, segments=6), seed=0)
    return sliding_windows(recs, SYNTH_CLASSES, 2.56, 1.28)
