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
    coverage,
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


@pytest.mark.parametrize("include_last_label", ["randomized", True, False])
@pytest.mark.parametrize(("seed", "k"), [(2, 8), (3, 10), (7, 4)])
def test_aps_sets_match_mapie_set_for_set(include_last_label, seed, k):
    pytest.importorskip("mapie")
    from mapie.classification import SplitConformalClassifier

    logits, labels = _exchangeable(600, k, seed=seed)
    probs = logits.softmax(1).numpy()
    est = _fixed_estimator(k).fit(probs, labels.numpy())
    mapie = SplitConformalClassifier(est, confidence_level=0.9, prefit=True,
                                     conformity_score="aps", random_state=0)  # fmt: skip
    mapie.conformalize(probs[:300], labels[:300].numpy())
    _, mapie_sets = mapie.predict_set(
        probs[300:], conformity_score_params={"include_last_label": include_last_label}
    )

    # MAPIE draws u' from a fresh RandomState(0) at calibration and again at prediction, and
    # scores (mass up to and including y) − u'·p_y = our mass above y + (1 − u')·p_y
    def uniforms(n):
        return 1 - np.random.RandomState(0).uniform(size=n)

    randomised = SplitConformal(CPConfig(temperature_scaling=False, allow_zero_sets=True))
    calibration = randomised.calibrate(logits[:300], labels[:300], u=uniforms(300))
    if include_last_label == "randomized":
        ours = randomised.predict(calibration, logits[300:], u=uniforms(300))
    else:  # MAPIE calibrates APS randomised even for its non-randomised set rules
        rule = "inclusive" if include_last_label else "exclusive"
        cp = SplitConformal(CPConfig(randomized=False, temperature_scaling=False, set_rule=rule))
        ours = cp.predict(calibration, logits[300:])
    q_mapie = float(mapie._mapie_classifier.conformity_score_function_.quantiles_[0])
    assert calibration.q_hat == pytest.approx(q_mapie, abs=1e-12)
    np.testing.assert_array_equal(ours.numpy(), mapie_sets[:, :, 0])
    if include_last_label == "randomized":
        assert (ours.sum(1) == 0).any()  # the randomised rule can empty a set; the others cannot
    else:
        assert ours.any(1).all()


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


@pytest.mark.parametrize("score", ["aps", "raps"])
def test_inclusive_rule_adds_the_class_that_crosses_q_hat(score):
    logits, labels = _exchangeable(300, 7, seed=6)
    probs = logits.softmax(1)
    sets = {}
    for rule in ("inclusive", "exclusive"):
        cfg = CPConfig(score=score, randomized=False, temperature_scaling=False, set_rule=rule,
                       allow_zero_sets=True, raps_lambda=0.05, raps_k_reg=2)  # fmt: skip
        cp = SplitConformal(cfg)
        calibration = cp.calibrate(logits[:150], labels[:150])
        sets[rule] = cp.predict(calibration, logits[150:]).numpy()
    q_hat = calibration.q_hat
    for i, p in enumerate(probs[150:].tolist()):
        ranked = sorted(range(7), key=lambda j: -p[j])
        mass, s = 0.0, []  # non-randomised score of the r-th ranked class, as a loop
        for r, j in enumerate(ranked, start=1):
            mass += p[j]
            s.append(mass + (0.05 * max(r - 2, 0) if score == "raps" else 0.0))
        n_in = sum(v <= q_hat for v in s)
        assert set(np.flatnonzero(sets["exclusive"][i])) == set(ranked[:n_in])
        assert set(np.flatnonzero(sets["inclusive"][i])) == set(ranked[: min(n_in + 1, 7)])
    assert (sets["exclusive"].sum(1) == 0).any()  # the exclusive rule leaves sets empty here
    assert (sets["inclusive"] >= sets["exclusive"]).all() and sets["inclusive"].any(1).all()


def test_inclusive_is_the_default_and_the_rule_is_validated():
    assert CPConfig().set_rule == "inclusive"
    with pytest.raises(ValueError, match="set_rule must be 'inclusive' or 'exclusive'"):
        CPConfig(set_rule="last")
    # the rule shapes non-randomised APS/RAPS sets only: elsewhere it would be silently ignored
    for kwargs in ({}, {"randomized": False, "score": "thr"}):
        with pytest.raises(ValueError, match="set_rule: 'exclusive' applies to non-randomised"):
            CPConfig(set_rule="exclusive", **kwargs)
    assert CPConfig(set_rule="exclusive", randomized=False, score="raps").set_rule == "exclusive"


def test_external_uniforms_replace_the_generator_and_are_checked():
    logits, labels = _exchangeable(200, 5, seed=8)
    cp = SplitConformal(CPConfig(temperature_scaling=False))
    u = torch.rand(200, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    from_u = cp.calibrate(logits, labels, u=u)
    from_generator = cp.calibrate(logits, labels, torch.Generator().manual_seed(3))
    assert from_u == from_generator  # the generator path draws exactly these uniforms
    with pytest.raises(ValueError, match="u: pass either u or generator"):
        cp.calibrate(logits, labels, torch.Generator(), u=u)
    with pytest.raises(ValueError, match=r"u: expected one draw per sample, shape \(200,\)"):
        cp.calibrate(logits, labels, u=u[:10])
    with pytest.raises(ValueError, match=r"u: draws must lie in \[0, 1\]"):
        cp.calibrate(logits, labels, u=u + 1)
    fixed = SplitConformal(CPConfig(randomized=False, temperature_scaling=False))
    with pytest.raises(ValueError, match="u: only randomised APS/RAPS use uniforms"):
        fixed.predict(from_u, logits, u=u)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, float("nan"), True, "0.1"])
def test_alpha_outside_the_unit_interval_is_refused(alpha):
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\)"):
        conformal_quantile(torch.rand(50), alpha)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\)"):
        min_calibration_size(alpha)


def test_quantile_refuses_nan_scores_and_unknown_methods():
    s = torch.rand(100, dtype=torch.float64)
    s[7] = float("nan")
    with pytest.raises(ValueError, match="scores: 1 of 100 calibration scores are NaN"):
        conformal_quantile(s, 0.1)
    with pytest.raises(ValueError, match="method must be 'finite-sample' or 'code'"):
        conformal_quantile(torch.rand(100), 0.1, "finite")
    s[7] = float("inf")  # an infinite score is ordered, not refused
    assert conformal_quantile(s, 0.1) == np.sort(s.numpy())[math.ceil(101 * 0.9) - 1]


def test_numpy_inputs_and_any_integer_label_dtype_give_the_tensor_answers():
    logits, labels = _exchangeable(300, 6, seed=9)
    cp = SplitConformal(CPConfig(score="raps"))
    ref = cp.calibrate(logits[:100], labels[:100], torch.Generator().manual_seed(0))
    got = cp.calibrate(logits[:100].numpy(), labels[:100].int().numpy(),
                       torch.Generator().manual_seed(0))  # fmt: skip
    assert got == ref
    sets = cp.predict(ref, logits[100:], torch.Generator().manual_seed(1))
    sets_np = cp.predict(ref, logits[100:].numpy(), torch.Generator().manual_seed(1))
    torch.testing.assert_close(sets_np, sets)
    assert coverage(sets.numpy(), labels[100:].numpy()) == coverage(sets, labels[100:])
    assert size_stratified_coverage(sets.numpy(), labels[100:].to(torch.uint8).numpy()) == (
        size_stratified_coverage(sets, labels[100:])
    )
    assert conformal_quantile(np.arange(10.0), 0.1) == 9.0
    torch.testing.assert_close(aps_scores(logits.softmax(1).numpy()), aps_scores(logits.softmax(1)))
    with pytest.raises(
        TypeError, match="logits: expected a torch.Tensor or numpy.ndarray, got list"
    ):
        cp.calibrate(logits.tolist(), labels)


def test_float_and_out_of_range_labels_are_refused_everywhere():
    logits, labels = _exchangeable(60, 3, seed=10)
    cp = SplitConformal(CPConfig())
    with pytest.raises(ValueError, match="labels: expected integer class indices, got dtype"):
        cp.calibrate(logits, labels.float())
    with pytest.raises(ValueError, match="labels: expected integer class indices"):
        fit_temperature(logits, labels.double().numpy())
    sets = cp.predict(cp.calibrate(logits, labels), logits)
    with pytest.raises(ValueError, match="labels: expected integer class indices"):
        coverage(sets, labels.float())
    for bad in (3, -1):
        y = labels.clone()
        y[0] = bad
        with pytest.raises(ValueError, match=r"labels: must lie in \[0, 3\)"):
            coverage(sets, y)
        with pytest.raises(ValueError, match=r"labels: must lie in \[0, 3\)"):
            size_stratified_coverage(sets, y)
    with pytest.raises(ValueError, match=r"labels: expected shape \(60,\)"):
        coverage(sets, labels[:5])
    with pytest.raises(ValueError, match="sets: expected a bool mask"):
        coverage(sets.long(), labels)
    with pytest.raises(ValueError, match="labels: on device meta but logits is on cpu"):
        cp.calibrate(logits, labels.to("meta"))


def test_scores_refuse_what_is_not_a_probability_matrix():
    logits, _ = _exchangeable(20, 4, seed=11)
    cp = SplitConformal(CPConfig())
    negative = torch.tensor([[1.2, -0.2, 0.0, 0.0]], dtype=torch.float64)
    for fn in (thr_scores, aps_scores, lambda p: raps_scores(p, None, 0.1, 1), cp.scores):
        with pytest.raises(ValueError, match=r"probs: every row must sum to 1.*row \d+ sums to"):
            fn(logits.exp())  # unnormalised
        with pytest.raises(ValueError, match="probs: probabilities must be >= 0"):
            fn(negative)
        with pytest.raises(ValueError, match=r"probs: expected shape \[N, K\]"):
            fn(torch.ones(4))
    float32 = logits.float().softmax(1)  # rounding within the tolerance is accepted
    torch.testing.assert_close(thr_scores(float32), 1 - float32)
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        raps_scores(float32, None, -1.0, 1)


def test_predict_refuses_a_calibration_for_other_classes_or_another_score():
    logits, labels = _exchangeable(100, 5, seed=12)
    cp = SplitConformal(CPConfig())
    calibration = cp.calibrate(logits, labels)
    assert (calibration.num_classes, calibration.score) == (5, "aps")
    with pytest.raises(
        ValueError, match="logits: K=6 classes, but the calibration was fitted on K=5"
    ):
        cp.predict(calibration, torch.randn(10, 6))
    with pytest.raises(ValueError, match="calibration: fitted for score 'aps'"):
        SplitConformal(CPConfig(score="thr")).predict(calibration, logits)
    with pytest.raises(ValueError, match="q_scale must be a finite number >= 0"):
        cp.predict(calibration, logits, q_scale=float("nan"))
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        Calibration(0.5, 0.0, 100, 0.1, 5, "aps")
    with pytest.raises(ValueError, match="test_logits: shape"):
        evaluate_splits(logits, logits[:, :4], labels, CPConfig())


def test_coverage_is_averaged_in_float64():
    sets = torch.tensor([[True, False], [False, True], [False, True]])
    labels = torch.tensor([0, 0, 0])
    assert coverage(sets, labels) == 1 / 3  # float32 gives 0.3333333432674408
    assert size_stratified_coverage(sets, labels) == {"0-1": (1 / 3, 3)}
    with pytest.raises(ValueError, match="sets: no samples"):
        coverage(sets[:0], labels[:0])
