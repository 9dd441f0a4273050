import os
import pickle

import numpy as np
import pytest

from paperzoo.mmhar.data import (
    HAPT_CLASSES,
    RestrictedUnpickler,
    SynthConfig,
    hapt_source,
    load_csv,
    load_hapt,
    parse_subjects,
    synth_modalities,
    synthetic,
)
from paperzoo.mmhar.modality import sliding_windows


def test_restricted_unpickler_refuses_arbitrary_globals(tmp_path):
    payload = pickle.dumps(os.system, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        RestrictedUnpickler(__import__("io").BytesIO(payload)).load()


@pytest.mark.slow
def test_hapt_loads_all_subjects_and_windows_like_the_notes():
    assert hapt_source().name == "HAPT.pkl.gz"
    recs = load_hapt()
    assert len(recs) == 61 and {r.subject for r in recs} == set(range(1, 31))
    assert sum(len(r.labels) for r in recs) == 1_122_772
    w = sliding_windows(recs, HAPT_CLASSES, 2.56, 1.28, 0.8)
    assert len(w) == 10_666  # 128 samples, step 64, ≥ 80 % purity
    assert load_hapt([3])[0].subject == 3
    with pytest.raises(ValueError, match="unknown HAPT subjects"):
        load_hapt([31])


def test_synthetic_generator_rates_offsets_dropouts_and_seeds():
    cfg = SynthConfig(subjects=3, segments=2, skeleton=True, ecg_offset_s=0.1, dropout_p=0.99,
                      missing_p=0.0)  # fmt: skip
    recs = synthetic(cfg, seed=1)
    r = recs[0]
    assert r.signals["ecg"].shape == (2000, 1) and r.signals["skeleton"].shape == (600, 6)
    assert r.offsets["ecg"] == 0.1 and not r.present["acc"].all()
    again = synthetic(cfg, seed=1)
    np.testing.assert_array_equal(again[0].signals["gyro"], r.signals["gyro"])
    gone = synthetic(SynthConfig(subjects=4, segments=2, missing_p=0.99), seed=0)
    assert all(set(g.signals) == {"acc"} for g in gone)
    with pytest.raises(ValueError, match="subjects"):
        SynthConfig(subjects=1)


def _csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows))
    return path


def test_csv_loader_checks_columns_nan_and_resamples(tmp_path):
    acc, ecg = synth_modalities()[0], synth_modalities()[2]
    header = ["acc-x", "acc-y", "acc-z", "ecg-0", "label"]
    rows = [[0.1 * i, 0, 1, 0.5, 2] for i in range(100)]
    rec = load_csv(_csv(tmp_path / "ok.csv", header, rows), (acc, ecg), 50.0)
    assert rec.signals["acc"].shape == (100, 3) and rec.signals["ecg"].shape == (200, 1)
    assert (rec.labels == 2).all()
    with pytest.raises(ValueError, match=r"missing columns \['ecg-0'\]"):
        load_csv(_csv(tmp_path / "m.csv", header[:3], [r[:3] for r in rows]), (acc, ecg), 50.0)
    rows[7][1] = "nan"
    with pytest.raises(ValueError, match="NaN or inf in column 'acc-y', data row 8"):
        load_csv(_csv(tmp_path / "n.csv", header, rows), (acc, ecg), 50.0)
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "none.csv", (acc,), 50.0)
    assert parse_subjects("1-3,7") == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="subjects"):
        parse_subjects("one")
