import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.mmhar.modality import (
    Modality,
    Normalization,
    Recording,
    align,
    resample,
    resample_recording,
    sliding_windows,
)

ACC = Modality("acc", "acc", 3, 50.0, "g", "wrist")
ECG = Modality("ecg", "ecg", 1, 100.0, "mV", "chest")


def _rec(subject=0, seconds=10.0, labels=None, **kw):
    t = int(seconds * 50)
    signals = {
        "acc": np.random.default_rng(subject).normal(size=(t, 3)),
        "ecg": np.zeros((2 * t, 1)),
    }
    labels = np.zeros(t, np.int64) if labels is None else labels
    return Recording(subject, f"r{subject}", (ACC, ECG), signals, labels, 50.0, **kw)


def test_modality_rejects_bad_specs():
    with pytest.raises(ValueError, match="kind"):
        Modality("x", "sonar", 3, 50.0)
    with pytest.raises(ValueError, match="rate"):
        Modality("x", "acc", 3, 0.0)
    with pytest.raises(ValueError, match="channels"):
        Modality("x", "acc", 0, 50.0)


def test_recording_rejects_channel_mismatch_nan_and_unknown_modality():
    with pytest.raises(ValueError, match=r"expected \[T, 3\] channels"):
        Recording(0, "r", (ACC,), {"acc": np.zeros((10, 2))}, np.zeros(10, np.int64), 50.0)
    with pytest.raises(ValueError, match="NaN"):
        Recording(0, "r", (ACC,), {"acc": np.full((10, 3), np.nan)}, np.zeros(10, np.int64), 50.0)
    with pytest.raises(ValueError, match="unknown modality"):
        Recording(0, "r", (ACC,), {"gyro": np.zeros((10, 3))}, np.zeros(10, np.int64), 50.0)


def test_windows_keep_native_rates_ids_and_purity():
    labels = np.r_[np.zeros(250, np.int64), np.ones(250, np.int64)]
    w = sliding_windows([_rec(3, labels=labels)], {0: "a", 1: "b"}, 2.0, 1.0, purity=0.8)
    assert w.x["acc"].shape[1:] == (3, 100) and w.x["ecg"].shape[1:] == (1, 200)
    assert (w.subject == 3).all() and (w.recording == 0).all()
    # windows starting at 4 s straddle the label change at 5 s (50 % purity): dropped
    np.testing.assert_allclose(w.start, [0, 1, 2, 3, 5, 6, 7, 8])
    np.testing.assert_array_equal(w.y, [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(w.x["acc"][1, :, 0], _rec(3).signals["acc"][50])


def test_unlabelled_and_unknown_codes_are_dropped():
    labels = np.r_[np.full(250, -1), np.full(250, 7)].astype(np.int64)
    with pytest.raises(ValueError, match="purity"):
        sliding_windows([_rec(0, labels=labels)], {0: "a"}, 2.0, 1.0)


def test_window_longer_than_recording_raises():
    with pytest.raises(ValueError, match="longer than recording"):
        sliding_windows([_rec(0, seconds=1.0)], {0: "a"}, 2.0, 1.0)


def test_presence_mask_offsets_and_missing_modality():
    t = 500
    mask = np.ones(t, bool)
    mask[:150] = False
    rec = Recording(0, "r", (ACC, ECG), {"acc": np.ones((t, 3))}, np.zeros(t, np.int64), 50.0,
                    present={"acc": mask})  # fmt: skip
    w = sliding_windows([rec], {0: "a"}, 2.0, 1.0)
    # acc present once ≥ 50 % of the window's samples are unmasked; ecg absent everywhere
    np.testing.assert_array_equal(w.present[:, 0], w.start + 2.0 - 3.0 >= 1.0)
    assert not w.present[:, 1].any() and not w.x["ecg"].any()
    assert w.x["acc"][0].sum() == 0  # masked samples are zero
    # an ECG that starts 1 s late is absent (outside its signal) for the first second
    shifted = _rec(0, offsets={"ecg": 1.0})
    w2 = sliding_windows([shifted], {0: "a"}, 2.0, 2.0, min_present=1.0)
    assert not w2.present[0, 1] and w2.present[1:, 1].all()
    back = align(shifted, {"ecg": 1.0})
    assert back.offsets["ecg"] == 0.0
    with pytest.raises(ValueError, match="modality"):
        align(shifted, {"skeleton": 0.1})


def test_resample_matches_linear_interpolation_when_upsampling():
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = resample(x, 10.0, 20.0)
    pos = np.arange(80) / 2
    for c in range(2):
        np.testing.assert_allclose(y[:, c], np.interp(pos, np.arange(40), x[:, c]))
    rec = resample_recording(_rec(0), {"ecg": 25.0})
    assert rec.signals["ecg"].shape == (250, 1) and rec.modalities[1].rate == 25.0


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=4, max_size=12))
def test_normalization_depends_on_training_windows_only(subjects):
    recs = [_rec(s * 10 + i, seconds=4.0) for i, s in enumerate(subjects)]
    w = sliding_windows(recs, {0: "a"}, 2.0, 1.0)
    train = w.take(w.subject < 30)
    if len(train) == 0:
        return
    norm = Normalization.fit(train)
    np.testing.assert_allclose(norm.mean["acc"], train.x["acc"].mean((0, 2)), rtol=1e-4, atol=1e-5)
    assert norm.subjects == set(train.subject.tolist())
    z = norm.apply(train)
    np.testing.assert_allclose(z.x["acc"].mean((0, 2)), 0, atol=1e-4)
