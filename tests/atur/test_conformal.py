import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.atur.config import CPConfig
from paperzoo.atur.conformal import (
    Calibration,
    SplitConformal,
    aps_scores,
    conformal_quantile,
    evaluate_splits,
    fit_temperature,
    min_calibration_size,
    raps_scores,
    size_stratified_coverage,
    thr_scores,
)


def _exchangeable(n, k, seed, temperature=1.0):
    """Logits and labels drawn from softmax(logits / T): exchangeable, calibrated at T."""
    g = torch.Generator().manual_seed(seed)
    logits = 2.5 * torch.randn(n, k, generator=g, dtype=torch.float64)
    labels = torch.multinomial((logits / temperature).softmax(1), 1, generator=g).squeeze(1)
    return logits, labels


def test_quantile_is_the_finite_sample_order_statistic():
    rng = np.random.default_rng(0)
    for n, alpha in ((9, 0.1), (100, 0.1), (157, 0.05), (1000, 0.2)):
        s = rng.random(n)
        k = math.ceil((n + 1) * (1 - alpha))
        assert conformal_quantile(torch.from_numpy(s), alpha) == np.sort(s)[k - 1]
        code = np.quantile(s, 1 - alpha, method="higher")
        assert conformal_quantile(torch.from_numpy(s), alpha, "code") == code


def test_too_small_calibration_set_says_how_many_are_needed():
    assert min_calibration_size(0.1) == 9 and min_calibration_size(0.05) == 19
    with pytest.raises(ValueError, match="alpha: a calibration set of 8 .*need at least 9"):
        conformal_quantile(torch.rand(8), 0.1)
    logits, labels = _exchangeable(40, 5, 0)
    with pytest.raises(ValueError, match="need at least 19"):
        evaluate_splits(logits, logits, labels, CPConfig(alpha=0.05))


def test_aps_and_raps_scores_match_loop_reference():
    torch.manual_seed(0)
    probs = torch.rand(20, 6, dtype=torch.float64).softmax(1)
    u = torch.rand(20, dtype=torch.float64)
    aps, raps = aps_scores(probs, u), raps_scores(probs, u, lam=0.1, k_reg=2)
    aps_det = aps_scores(probs)
    for i in range(20):
        for k in range(6):
            above = [p for p in probs[i].tolist() if p > probs[i, k]]
            rank = len(above) + 1
            ref = sum(above) + u[i].item() * probs[i, k].item()
            assert aps[i, k].item() == pytest.approx(ref, abs=1e-12)
            assert aps_det[i, k].item() == pytest.approx(sum(above) + probs[i, k].item(), abs=1e-12)
            assert raps[i, k].item() == pytest.approx(ref + 0.1 * max(rank - 2, 0), abs=1e-12)
    torch.testing.assert_close(thr_scores(probs), 1 - probs)


@pytest.mark.parametrize("score", ["thr", "aps", "raps"])
def test_coverage_within_finite_sample_bounds_over_splits(score):
    logits, labels = _exchangeable(1000, 10, seed=1)
    cfg = CPConfig(score=score, n_splits=40, temperature_scaling=False, allow_zero_sets=True)
    result = evaluate_splits(logits, logits, labels, cfg, seed=0)
    n_cal = 200
    se = result.coverage.std(ddof=1) / math.sqrt(len(result.coverage))
    lower, upper = 0.9, 0.9 + 1 / (n_cal + 1)
    assert lower - 3 * se <= result.coverage.mean() <= upper + 3 * se
    # the spread matches theory: the coverage of one split has sd ≈ sqrt(α(1−α)/n_cal) ≈ 0.021
    assert 0.01 < result.coverage.std(ddof=1) < 0.035
    assert (result.size >= 1).all() if score != "thr" else (result.size > 0).all()


def _fixed_estimator(k):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Fixed(ClassifierMixin, BaseEstimator):  # a prefit classifier whose X is its probs
        def fit(self, x, y):
            self.classes_ = np.arange(k)
            return self

        def predict_proba(self, x):
            return np.asarray(x)

        def predict(self, x):
            return np.asarray(x).argmax(1)

    return Fixed()


def test_lac_sets_and_quantile_agree_with_mapie():
    pytest.importorskip("mapie")
    from mapie.classification import SplitConformalClassifier

    logits, labels = _exchangeable(600, 8, seed=2)
    probs = logits.softmax(1)
    est = _fixed_estimator(8).fit(probs.numpy(), labels.numpy())
    mapie = SplitConformalClassifier(est, confidence_level=0.9, prefit=True, conformity_score="lac")
    mapie.conformalize(probs[:300].numpy(), labels[:300].numpy())
    _, mapie_sets = mapie.predict_set(probs[300:].numpy())
    cfg = CPConfig(score="thr", allow_zero_sets=True, temperature_scaling=False)
    cp = SplitConformal(cfg)
    ours = cp.predict(cp.calibrate(logits[:300], labels[:300]), logits[300:]).numpy()
    np.testing.assert_array_equal(ours, mapie_sets[:, :, 0])


def test_aps_sets_agree_with_mapie_on_its_calibration_scores():
    pytest.importorskip("mapie")
    from mapie.classification import SplitConformalClassifier

    logits, labels = _exchangeable(600, 8, seed=2)
    probs = logits.softmax(1)
    est = _fixed_estimator(8).fit(probs.numpy(), labels.numpy())
    mapie = SplitConformalClassifier(est, confidence_level=0.9, prefit=True,
                                     conformity_score="aps", random_state=0)  # fmt: skip
    mapie.conformalize(probs[:300].numpy(), labels[:300].numpy())
    _, mapie_sets = mapie.predict_set(
        probs[300:].numpy(), conformity_score_params={"include_last_label": False}
    )
    # MAPIE's APS calibration scores are randomised: take them, use our quantile and set rule
    cal_scores = torch.from_numpy(mapie._mapie_classifier.conformity_scores_.ravel())
    q_hat = conformal_quantile(cal_scores, 0.1)
    assert q_hat == pytest.approx(
        float(mapie._mapie_classifier.conformity_score_function_.quantiles_[0])
    )
    # MAPIE's include_last_label=False never returns an empty set: our allow_zero_sets=False
    cp = SplitConformal(CPConfig(randomized=False, temperature_scaling=False))
    ours = cp.predict(Calibration(q_hat, 1.0, 300, 0.1), logits[300:]).numpy()
    np.testing.assert_array_equal(ours, mapie_sets[:, :, 0])


def test_randomised_aps_agrees_with_mapie_on_average():
    pytest.importorskip("mapie")
    from mapie.classification import SplitConformalClassifier

    logits, labels = _exchangeable(4000, 10, seed=3)
    probs = logits.softmax(1)
    est = _fixed_estimator(10).fit(probs.numpy(), labels.numpy())
    mapie = SplitConformalClassifier(est, confidence_level=0.9, prefit=True,
                                     conformity_score="aps", random_state=0)  # fmt: skip
    mapie.conformalize(probs[:1000].numpy(), labels[:1000].numpy())
    _, sets = mapie.predict_set(
        probs[1000:].numpy(), conformity_score_params={"include_last_label": "randomized"}
    )
    sets = sets[:, :, 0]
    cp = SplitConformal(CPConfig(temperature_scaling=False, allow_zero_sets=True))
    g = torch.Generator().manual_seed(0)
    ours = cp.predict(cp.calibrate(logits[:1000], labels[:1000], g), logits[1000:], g)
    y = labels[1000:].numpy()
    assert ours.sum(1).double().mean() == pytest.approx(sets.sum(1).mean(), abs=0.1)
    assert float(ours[torch.arange(3000), labels[1000:]].double().mean()) == pytest.approx(
        sets[np.arange(3000), y].mean(), abs=0.02)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000), k=st.integers(2, 12), score=st.sampled_from(["thr", "aps", "raps"])
)
def test_sets_are_nonempty_and_nested_in_alpha(seed, k, score):
    logits, labels = _exchangeable(120, k, seed)
    sizes = []
    for alpha in (0.3, 0.1, 0.05):
        cp = SplitConformal(CPConfig(score=score, alpha=alpha, randomized=False,
                                     temperature_scaling=False))  # fmt: skip
        sets = cp.predict(cp.calibrate(logits[:60], labels[:60]), logits[60:])
        assert sets.any(1).all()  # allow_zero_sets=False: never empty
        sizes.append(sets)
    # deterministic scores: a smaller alpha gives a superset for every sample
    assert (sizes[0] <= sizes[1]).all() and (sizes[1] <= sizes[2]).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 20))
def test_aps_scores_increase_along_the_ranking(seed, k):
    g = torch.Generator().manual_seed(seed)
    probs = torch.rand(30, k, generator=g, dtype=torch.float64).softmax(1)
    u = torch.rand(30, generator=g, dtype=torch.float64)
    s = aps_scores(probs, u)
    order = probs.argsort(1, descending=True)
    along = s.gather(1, order)
    assert (along.diff(dim=1) >= -1e-12).all()
    assert (s >= 0).all() and (s <= 1 + 1e-12).all()


def test_zero_sets_allowed_only_when_asked():
    logits = torch.tensor([[5.0, 0.0, 0.0]] * 50 + [[0.0, 0.0, 0.1]] * 50)
    labels = torch.zeros(100, dtype=torch.long)
    for allow, expect_empty in ((True, True), (False, False)):
        cp = SplitConformal(CPConfig(score="thr", allow_zero_sets=allow, temperature_scaling=False))
        sets = cp.predict(cp.calibrate(logits[:50], labels[:50]), logits[50:])
        assert bool((sets.sum(1) == 0).any()) == expect_empty


def test_temperature_scaling_recovers_the_generating_temperature():
    logits, labels = _exchangeable(20000, 10, seed=4, temperature=2.0)
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.08)


def test_size_stratified_coverage_by_hand():
    sets = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1]], dtype=torch.bool)
    labels = torch.tensor([0, 2, 1, 0])
    out = size_stratified_coverage(sets, labels, strata=((0, 1), (2, 2), (3, 3)))
    assert out == {"0-1": (1.0, 1), "2-2": (0.5, 2), "3-3": (1.0, 1)}


def test_clean_calibration_loses_coverage_on_shifted_test_logits():
    logits, labels = _exchangeable(1000, 10, seed=5)
    shifted = logits.roll(1, dims=1)  # a test-time shift the clean calibration never saw
    cfg = CPConfig(n_splits=3)
    same = evaluate_splits(shifted, shifted, labels, cfg)
    clean = evaluate_splits(logits, shifted, labels, cfg)
    assert abs(same.coverage.mean() - 0.9) < 0.03
    assert clean.coverage.mean() < 0.5


def test_bad_logits_and_labels():
    cp = SplitConformal(CPConfig())
    with pytest.raises(ValueError, match="labels"):
        cp.calibrate(torch.randn(20, 3), torch.full((20,), 3))
    with pytest.raises(ValueError, match="logits"):
        cp.calibrate(torch.full((20, 3), float("nan")), torch.zeros(20, dtype=torch.long))
