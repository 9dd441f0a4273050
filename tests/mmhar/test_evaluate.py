import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.mmhar.evaluate import check_split, grouped_kfold, loso, plot_confusion, scores


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=6, max_size=60), st.integers(2, 4), st.integers(0, 99))
def test_grouped_folds_cover_each_subject_once_and_never_share(subjects, k, seed):
    subjects = np.array(subjects)
    if k > len(np.unique(subjects)):
        with pytest.raises(ValueError, match="k must"):
            grouped_kfold(subjects, k, seed)
        return
    folds = grouped_kfold(subjects, k, seed)
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(len(subjects)))
    for train, test in folds:
        assert not set(subjects[train]) & set(subjects[test])
        assert len(train) + len(test) == len(subjects)


def test_no_subject_and_no_overlapping_window_crosses_a_split(synth_windows):
    w = synth_windows
    for train, test in [*grouped_kfold(w.subject, 3), *loso(w.subject)]:
        check_split(w, train, test)  # raises on leakage
        assert not set(w.subject[train]) & set(w.subject[test])
        assert not set(w.recording[train]) & set(w.recording[test])
    # the classic defect: a random split over overlapping windows
    order = np.random.default_rng(0).permutation(len(w))
    with pytest.raises(ValueError, match="subjects"):
        check_split(w, order[: len(w) // 2], order[len(w) // 2 :])


def test_scores_label_their_f1_and_match_a_hand_computation(tmp_path):
    y, pred = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    s = scores(y, pred, 3)
    f1 = [0.5, 0.8, 0.0]  # per class, by hand: P=R=1/2; P=2/3, R=1; none
    assert s["macro_f1"] == pytest.approx(np.mean(f1))
    assert s["weighted_f1"] == pytest.approx(np.dot(f1, [2, 2, 1]) / 5)
    assert s["accuracy"] == pytest.approx(0.6)
    path = plot_confusion(np.eye(3, dtype=int), ("a", "b", "c"), tmp_path / "cm.png")
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="cm"):
        plot_confusion(np.eye(2), ("a", "b", "c"), tmp_path / "x.png")
