import numpy as np
import pytest

from paperzoo.mmhar.loaders import (
    OPPORTUNITY_GESTURES,
    OPPORTUNITY_LOCOMOTION,
    PAMAP2_CLASSES,
    WISDM_CLASSES,
    load_opportunity,
    load_pamap2,
    load_wisdm,
)
from paperzoo.mmhar.modality import sliding_windows


def _write(path, rows):
    path.write_text("\n".join(" ".join("NaN" if np.isnan(v) else f"{v:g}" for v in r)
                              for r in rows) + "\n")  # fmt: skip
    return path


def _pamap2_rows(n=300):
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(n, 54))
    rows[:, 0] = 5.0 + np.arange(n) * 0.01
    rows[:, 1] = np.where(np.arange(n) < 50, 0, np.where(np.arange(n) < 180, 4, 24))
    rows[:, 2] = np.nan
    rows[5::11, 2] = 100 + np.arange(len(rows[5::11]))  # heart rate at ~9 Hz
    rows[100:103, 20 + 7] = np.nan  # chest gyro x: dropped packets
    return rows


def test_pamap2_columns_labels_nan_and_heart_rate(tmp_path):
    rows = _pamap2_rows()
    rec = load_pamap2(_write(tmp_path / "subject105.dat", rows))
    assert rec.subject == 105 and rec.label_rate == 100.0
    assert len(rec.signals) == 10 and rec.signals["ankle_mag"].shape == (300, 3)
    np.testing.assert_allclose(rec.signals["hand_acc"], rows[:, 4:7], rtol=1e-5)
    np.testing.assert_allclose(rec.signals["ankle_gyro"], rows[:, 37 + 7 : 37 + 10], rtol=1e-5)
    assert (rec.labels[:50] == -1).all() and (rec.labels[60] == 4) and rec.labels[-1] == 24
    gyro = rec.present["chest_gyro"]
    assert not gyro[100:103].any() and gyro[:100].all()
    assert (rec.signals["chest_gyro"][101] == 0).all()
    hr, seen = rec.signals["heart_rate"][:, 0], rec.present["heart_rate"]
    assert not seen[:5].any() and seen[5:].all()
    assert hr[5] == 100 and hr[15] == 100 and hr[16] == 101
    w = sliding_windows([rec], PAMAP2_CLASSES, 1.0, 0.5)
    assert set(np.array(w.classes)[w.y]) <= {"walking", "rope-jumping"}
    assert not load_pamap2(tmp_path / "subject105.dat", heart_rate=False).signals.get("heart_rate")


def test_pamap2_bad_files(tmp_path):
    rows = _pamap2_rows(20)
    with pytest.raises(ValueError, match="53 columns, expected 54"):
        load_pamap2(_write(tmp_path / "a.dat", rows[:, :53]))
    bad = rows.copy()
    bad[3, 0] = bad[2, 0]
    with pytest.raises(ValueError, match="strictly increasing"):
        load_pamap2(_write(tmp_path / "b.dat", bad))
    bad = rows.copy()
    bad[:, 1] = 8
    with pytest.raises(ValueError, match=r"unknown activity ids \[8\]"):
        load_pamap2(_write(tmp_path / "c.dat", bad))
    (tmp_path / "d.dat").write_text("1 2 x\n")
    with pytest.raises(ValueError, match="PAMAP2: d.dat"):
        load_pamap2(tmp_path / "d.dat")
    with pytest.raises(FileNotFoundError):
        load_pamap2(tmp_path / "none.dat")


def test_opportunity_blocks_tracks_and_null(tmp_path):
    rng = np.random.default_rng(1)
    n = 90
    rows = rng.normal(size=(n, 250))
    rows[:, 0] = np.arange(n) * 33.0
    rows[:, 243] = np.repeat([0, 1, 2], 30)  # locomotion: Null, stand, walk
    rows[:, 249] = np.where(np.arange(n) < 45, 0, 406516)  # gesture: open door 1
    rows[10:20, 37] = np.nan  # BACK IMU acc x lost
    path = _write(tmp_path / "S2-ADL3.dat", rows)
    rec = load_opportunity(path)
    assert rec.subject == 2 and rec.label_rate == 30.0
    assert rec.signals["body_acc"].shape == (n, 36) and rec.signals["imu_gyro"].shape == (n, 15)
    np.testing.assert_allclose(rec.signals["imu_gyro"][:, :3], rows[:, 40:43], rtol=1e-5)
    np.testing.assert_allclose(rec.signals["imu_mag"][:, 3:6], rows[:, 50 + 6 : 50 + 9], rtol=1e-5)
    assert not rec.present["imu_acc"][10:20].any() and rec.present["imu_gyro"][10:20].all()
    assert (rec.labels[:30] == -1).all() and (rec.labels[30:60] == 1).all()
    w = sliding_windows([rec], OPPORTUNITY_LOCOMOTION, 1.0, 0.5)
    assert set(np.array(w.classes)[w.y]) == {"stand", "walk"}
    gest = load_opportunity(path, "ml_both_arms", ambient=True)
    assert gest.signals["ambient"].shape == (n, 109) and gest.labels[-1] == 406516
    assert gest.labels[-1] in OPPORTUNITY_GESTURES
    with pytest.raises(ValueError, match="track: unknown 'gesture'"):
        load_opportunity(path, "gesture")
    with pytest.raises(ValueError, match="expected 250"):
        load_opportunity(_write(tmp_path / "S1-Drill.dat", rows[:, :249]))


WISDM_TEXT = """33,Jogging,49105962326000,-0.6946377,12.680544,0.50395286;
33,Jogging,49106062271000,5.012288,11.264028,0.95342433;33,Jogging,49106112167000,4.903325,10.882658,-0.08172209;
33,Jogging,49106222305000,-0.61291564,18.496431,3.0237172;
33,Walking,49106332290000,-1.1849703,12.108489,7.205164;
17,Sitting,1000,0.1,9.8,0.2,;
17,Sitting,2000,0.2,9.7,0.1;
"""


def test_wisdm_records_sessions_and_malformed(tmp_path):
    path = tmp_path / "WISDM_ar_v1.1_raw.txt"
    path.write_text(WISDM_TEXT)
    recs = load_wisdm(path)
    assert [r.subject for r in recs] == [33, 17] and len(recs[0].labels) == 5
    assert recs[0].labels.tolist() == [2, 2, 2, 2, 1] and WISDM_CLASSES[5] == "sitting"
    np.testing.assert_allclose(recs[0].signals["acc"][1], [5.012288, 11.264028, 0.95342433])
    np.testing.assert_allclose(recs[1].signals["acc"][0], [0.1, 9.8, 0.2])
    path.write_text(WISDM_TEXT + "11,Walking,1867172313000,4.4,4.4,;\n12,Dancing,5,1,2,3;\n")
    with pytest.raises(ValueError, match=r"line 7: empty or non-numeric value"):
        load_wisdm(path)
    assert sum(len(r.labels) for r in load_wisdm(path, skip_malformed=True)) == 7
    path.write_text("12,Dancing,5,1,2,3;\n")
    with pytest.raises(ValueError, match="unknown activity 'Dancing'"):
        load_wisdm(path)
    with pytest.raises(ValueError, match="no valid records"):
        load_wisdm(path, skip_malformed=True)
