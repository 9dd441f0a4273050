import pytest

from paperzoo.core.io import CACHE_ENV


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Cached runs go to this session's temporary folder, but the compiled kernel is shared
    across the session (it is keyed by its source, so one build serves every test)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))
