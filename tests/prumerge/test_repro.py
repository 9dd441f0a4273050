"""Verdicts follow the numbers (criteria on hand-made per-seed results) and the smoke run."""

from __future__ import annotations

import pytest

from paperzoo.core.registry import Scale
from paperzoo.prumerge import repro
from paperzoo.prumerge.experiments import detail_evaluation, evaluation, scaled_knn


def _runs(**values):
    return [{k: v + 0.1 * i for k, v in values.items()} for i in range(3)]


def test_reduction_verdicts_name_which_version_reproduces():
    base = {"ft_drop": 1.0, "tf_drop": 5.0, "r8_ft_drop": 2.0}
    v1 = repro._reduction_criterion(_runs(fraction=0.01, reduction=16.0, **base))
    assert v1.status == "reproduced"
    latest = repro._reduction_criterion(_runs(fraction=0.2, reduction=5.0, **base))
    assert latest.status == "partial" and "4x reproduces" in latest.reason
    lost = repro._reduction_criterion(_runs(fraction=0.2, reduction=5.0, **{**base, "ft_drop": 9}))
    assert lost.status == "not reproduced"


def test_baseline_verdict_says_which_baseline_wins():
    runs = [{"tf_vs_random_k": -5.0 - i, "tf_vs_tome": 2.0 + i} for i in range(3)]
    v = repro._baselines_criterion(runs)
    assert v.status == "partial" and "tf random_k" in v.reason
    v = repro._baselines_criterion([{"tf_vs_random_k": 1.0 + i} for i in range(3)])
    assert v.status == "reproduced"
    noisy = [{"tf_vs_random_k": v, "tf_vs_tome": 1.0} for v in (-12.0, 3.0, -4.0)]
    v = repro._baselines_criterion(noisy)  # CI spans 0, but random-k is ahead on average
    assert v.status == "partial" and "ahead by more than" in v.reason and "random_k" in v.reason


def test_plus_and_adaptivity_verdicts():
    kw = {"tf_vs_random_at_plus": 0.0, "n_tokens": 64.0}
    good = _runs(tf_gain=3.0, ft_gain=1.0, plus_fraction=0.25, **kw)
    assert repro._plus_criterion(good).status == "reproduced"
    costly = _runs(tf_gain=3.0, ft_gain=1.0, plus_fraction=0.85, **kw)
    assert repro._plus_criterion(costly).status == "partial"
    bad = _runs(tf_gain=-3.0, ft_gain=1.0, plus_fraction=0.25, **kw)
    assert repro._plus_criterion(bad).status == "not reproduced"
    ok = _runs(k_std=2.0, k_spearman_objects=0.7, recall_ratio=2.5)
    assert repro._adaptive_criterion(ok).status == "reproduced"
    half = _runs(k_std=2.0, k_spearman_objects=-0.2, recall_ratio=2.5)
    assert repro._adaptive_criterion(half).status == "partial"


def test_scaled_knn_follows_the_official_density():
    assert scaled_knn(576) == 32 and scaled_knn(64) == 4 and scaled_knn(4) == 1


@pytest.mark.slow
def test_smoke_evaluation_measures_every_method(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    r = evaluation.__wrapped__(0, Scale.SMOKE)  # computed, not read from a cache
    for key in ("full", "tf_prumerge", "tf_tome", "ft_prumerge", "tokens_prumerge", "recall_ratio"):
        assert 0 <= r[key] <= 64
    assert r["tokens_prumerge_plus"] >= r["tokens_prumerge"]
    assert r["tokens_random_k"] == pytest.approx(r["tokens_prumerge"])  # matched budgets
    hist = sum(r[k] for k in r if k.startswith("khist_"))
    assert hist == pytest.approx(1.0)  # the adaptive-k histogram covers every test image
    assert sum(r[k] for k in r if k.startswith("ksize_") and k.endswith("_n")) > 0


def test_detail_verdict_needs_a_head_above_chance_and_a_retention_gap():
    kw = {"detail_tokens": 12.0, "classes": 10.0, "salient_k": 12.0, "detail_k": 10.0}
    kw["detail_recall_ratio"] = 2.0
    kw |= {f"detail_tf_vs_{b}": 0.0 for b in ("random_k", "cls_topk", "avg_pool")}
    hurts = _runs(tf_gap=8.0, ft_gap=5.0, detail_full=0.5, **kw)
    assert repro._detail_criterion(hurts).status == "reproduced"
    mixed = _runs(tf_gap=8.0, ft_gap=-5.0, detail_full=0.5, **kw)
    assert repro._detail_criterion(mixed).status == "partial"
    none = _runs(tf_gap=-8.0, ft_gap=-5.0, detail_full=0.5, **kw)
    assert repro._detail_criterion(none).status == "not reproduced"
    chance = repro._detail_criterion(_runs(tf_gap=8.0, ft_gap=5.0, detail_full=0.05, **kw))
    assert chance.status == "not reproduced" and "near chance" in chance.reason


@pytest.mark.slow
def test_smoke_detail_evaluation_matches_budgets(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    r = detail_evaluation.__wrapped__(0, Scale.SMOKE)
    for key in ("full", "tf_prumerge", "ft_prumerge", "tf_random_k", "tf_avg_pool"):
        assert 0 <= r[key] <= 1
    assert 1 <= r["tokens_prumerge"] < r["n_tokens"]
    assert r["adapt_k_mean"] == pytest.approx(r["tokens_prumerge"] - 1)  # k + the pooled token


def test_full_scale_encodes_whole_splits_and_quick_a_fixed_subset():
    from paperzoo.prumerge.data import split_sizes

    assert split_sizes(Scale.FULL) == (None, None)  # full scale: every train and test image
    n_train, n_test = split_sizes(Scale.QUICK)
    assert 0 < n_test < n_train < 54_000  # fewer than the 54k training items
    assert split_sizes(Scale.SMOKE) == (256, 256)


@pytest.mark.parametrize("name", ["random_k", "cls_topk", "tome"])
def test_baselines_match_a_budget_that_counts_prumerges_pooled_token(name):
    """PruMerge+ keeping all N tokens reports N + 1 (its pooled token): the baseline keeps all N."""
    import torch

    from paperzoo.prumerge.data import Split
    from paperzoo.prumerge.experiments import _baseline

    g = torch.Generator().manual_seed(0)
    b, n, d = 3, 16, 8
    x = torch.randn(b, n, d, generator=g)
    split = Split(x, torch.rand(b, n, generator=g), x.clone(), torch.zeros(b), torch.ones(b, n) > 0)
    r = _baseline(name, split, torch.tensor([n + 1, n, 5]), seed=0)
    assert r.lengths().tolist() == [n, n, 5]
