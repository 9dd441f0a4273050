"""The evaluation the claims read: frozen cached ViT -> token reduction -> transformer head.

One seeded run (:func:`evaluation`) trains the stand-in head on all tokens, scores every reducer
training-free at matched per-image budgets, fine-tunes the head with reduction (the paper's LoRA
setting; the all-token head gets the same extra epochs), sweeps fixed keep ratios, and measures
adaptivity (k vs object size, object-patch recall). Sizes come from ``scale.pick``.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from scipy import stats
from torch import Tensor

from paperzoo.core.data.fashion_mnist import ROOT_ENV
from paperzoo.core.experiments import experiment
from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import Measurement, Scale
from paperzoo.prumerge.baselines import BASELINES, RandomK
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.data import DETAIL_ITEM_SIZE, Features, Split, features
from paperzoo.prumerge.models import TokenHead, fit_head, head_accuracy
from paperzoo.prumerge.reducer import prumerge

SWEEP = (1 / 16, 1 / 8, 1 / 4, 1 / 2)
SWEEP_METHODS = ("prumerge", "random_k", "cls_topk", "tome")
K_HIST_MAX = 32  # per-image k histogram bins 0..K_HIST_MAX (the last one collects larger k)
SIZE_BINS = (0, 8, 16, 20, 24, 28, 32, 36, 40, 64)  # object-patch counts for k vs object size
DETAIL_METHODS = ("random_k", "cls_topk", "avg_pool")


def scaled_knn(n: int) -> int:
    """The official 32 neighbours of 575 candidates scaled to ``n`` tokens (docs/prumerge.md §3)."""
    return max(1, min(n - 1, round(32 * n / 576)))


def method_configs(n: int) -> dict[str, PruMergeConfig]:
    """PruMerge variants evaluated: official-faithful per-image defaults and the switches."""
    knn = scaled_knn(n)
    return {
        "prumerge": PruMergeConfig(knn=knn),
        "prumerge_norm": PruMergeConfig(knn=knn, normalise_merge=True),
        "prumerge_plus": PruMergeConfig(knn=knn, plus=True),
        "plus_grid2d": PruMergeConfig(knn=knn, plus=True, plus_mode="grid2d"),
        "r8_prumerge": PruMergeConfig(knn=knn, ratio=1 / 8),
    }


def _reduce(split: Split, cfg: PruMergeConfig, grid: tuple[int, int]) -> ReducedTokens:
    return prumerge(split.tokens, split.attention, split.keys, cfg, grid)


def _baseline(name: str, split: Split, budget: Tensor, seed: int) -> ReducedTokens:
    """Baseline ``name`` at PruMerge's per-image token counts. Those count PruMerge's pooled token,
    so they reach N + 1 when every token is kept (PruMerge+ at a small stride); a baseline then
    keeps all N."""
    budget = budget.clamp(max=split.tokens.shape[1])
    cls = BASELINES[name]
    reducer = cls(budget, seed=seed) if cls is RandomK else cls(budget)
    return reducer(split.tokens, split.attention, split.keys)


def _finetune(
    head: TokenHead, data: ReducedTokens, labels: Tensor, seed: int, epochs: int
) -> TokenHead:
    """Continue training a copy of the all-token head on reduced tokens."""
    tuned = copy.deepcopy(head)
    return fit_head(data, labels, 0, seed, epochs, lr=1e-3, head=tuned)


def _adaptivity(f: Features, pm: ReducedTokens, seed: int) -> Measurement:
    """k vs object size (Spearman), object-patch recall of PruMerge's kept set vs random-k."""
    test = f.test
    n = test.tokens.shape[1]
    index = torch.where(pm.index >= 0, pm.index, n)
    kept = torch.zeros(len(index), n + 1, dtype=torch.bool).scatter(1, index, True)[:, :n]
    k = kept.sum(1)
    rand = RandomK(k, seed=seed)(test.tokens, test.attention, test.keys)
    rkept = torch.zeros(len(index), n + 1, dtype=torch.bool)
    rkept = rkept.scatter(1, torch.where(rand.index >= 0, rand.index, n), True)[:, :n]
    objects = test.objects.sum(1).clamp(min=1).double()
    recall = float(((kept & test.objects).sum(1) / objects).mean())
    recall_random = float(((rkept & test.objects).sum(1) / objects).mean())
    size = test.objects.sum(1)
    rho = stats.spearmanr(size.numpy(), k.numpy()).statistic
    hist = torch.bincount(k.clamp(max=K_HIST_MAX), minlength=K_HIST_MAX + 1).double() / len(k)
    curve: Measurement = {f"khist_{i:02d}": float(h) for i, h in enumerate(hist)}
    for lo, hi in zip(SIZE_BINS[:-1], SIZE_BINS[1:], strict=True):
        inside = (size >= lo) & (size < hi)
        curve[f"ksize_{lo:02d}_n"] = float(inside.sum())
        curve[f"ksize_{lo:02d}_k"] = float(k[inside].double().mean()) if inside.any() else 0.0
    return {
        **curve,
        "k_mean": float(k.double().mean()),
        "k_std": float(k.double().std()),
        "k_spearman_objects": float(np.nan_to_num(rho)),
        "recall_prumerge": recall,
        "recall_random": recall_random,
        "recall_ratio": recall / max(recall_random, 1e-12),
    }


#: the modules whose source decides the evaluation (edits to claims, CLI or benches keep the cache)
CODE = tuple(
    f"paperzoo.prumerge.{m}"
    for m in ("baselines", "config", "data", "experiments", "merge", "models", "patch", "reducer")
) + ("paperzoo.core.interfaces", "paperzoo.core.vit")


@experiment(code=CODE, env=(ROOT_ENV,))
def evaluation(seed: int, scale: Scale) -> Measurement:
    """Accuracies (fractions) per method and budget, token counts, adaptivity; one seed."""
    f = features(scale)
    epochs = scale.pick(smoke=1, quick=8, full=30)
    ft_epochs = scale.pick(smoke=1, quick=3, full=8)
    train, test = f.train, f.test
    n = test.tokens.shape[1]
    out: Measurement = {"n_tokens": float(n)}
    head = fit_head(train.full(), train.labels, f.classes, seed, epochs)
    out["full"] = head_accuracy(head, test.full(), test.labels)
    reduced = {name: _reduce(test, cfg, f.grid) for name, cfg in method_configs(n).items()}
    for name, r in reduced.items():
        out[f"tf_{name}"] = head_accuracy(head, r, test.labels)
        out[f"tokens_{name}"] = float(r.lengths().double().mean())
    for tag, ref in (("", "prumerge"), ("plus_", "prumerge_plus")):
        budget = reduced[ref].lengths()
        for name in BASELINES:
            r = _baseline(name, test, budget, seed)
            out[f"tf_{tag}{name}"] = head_accuracy(head, r, test.labels)
            out[f"tokens_{tag}{name}"] = float(r.lengths().double().mean())
    # fine-tuned with reduction (train-set reductions at the train set's own adaptive budgets)
    cfgs = method_configs(n)
    train_pm = _reduce(train, cfgs["prumerge"], f.grid)
    tuned = {
        "full": (train.full(), test.full()),
        "prumerge": (train_pm, reduced["prumerge"]),
        "prumerge_plus": (_reduce(train, cfgs["prumerge_plus"], f.grid), reduced["prumerge_plus"]),
        "r8_prumerge": (_reduce(train, cfgs["r8_prumerge"], f.grid), reduced["r8_prumerge"]),
    }
    for name in ("random_k", "cls_topk"):
        tuned[name] = (
            _baseline(name, train, train_pm.lengths(), seed),
            _baseline(name, test, reduced["prumerge"].lengths(), seed),
        )
    for name, (tr, te) in tuned.items():
        out[f"ft_{name}"] = head_accuracy(
            _finetune(head, tr, train.labels, seed, ft_epochs), te, test.labels
        )
    for ratio in SWEEP:
        cfg = PruMergeConfig(knn=scaled_knn(n), ratio=ratio)
        pm = _reduce(test, cfg, f.grid)
        out[f"sweep_{ratio:.4f}_prumerge"] = head_accuracy(head, pm, test.labels)
        out[f"sweep_{ratio:.4f}_tokens"] = float(pm.lengths().double().mean())
        for name in SWEEP_METHODS[1:]:
            r = _baseline(name, test, pm.lengths(), seed)
            out[f"sweep_{ratio:.4f}_{name}"] = head_accuracy(head, r, test.labels)
    out.update(_adaptivity(f, reduced["prumerge"], seed))
    return out


@experiment(code=CODE, env=(ROOT_ENV,))
def detail_evaluation(seed: int, scale: Scale) -> Measurement:
    """The detail task (items pasted at ``DETAIL_ITEM_SIZE``), one seed: PruMerge and matched-budget
    baselines training-free; the all-token and PruMerge heads also fine-tuned."""
    f = features(scale, DETAIL_ITEM_SIZE)
    epochs = scale.pick(smoke=1, quick=8, full=30)
    ft_epochs = scale.pick(smoke=1, quick=3, full=8)
    train, test = f.train, f.test
    n = test.tokens.shape[1]
    cfg = method_configs(n)["prumerge"]
    head = fit_head(train.full(), train.labels, f.classes, seed, epochs)
    pm_train, pm_test = _reduce(train, cfg, f.grid), _reduce(test, cfg, f.grid)
    out: Measurement = {"n_tokens": float(n), "classes": float(f.classes)}
    out["full"] = head_accuracy(head, test.full(), test.labels)
    out["tokens_prumerge"] = float(pm_test.lengths().double().mean())
    out["tf_prumerge"] = head_accuracy(head, pm_test, test.labels)
    for name in DETAIL_METHODS:
        r = _baseline(name, test, pm_test.lengths(), seed)
        out[f"tf_{name}"] = head_accuracy(head, r, test.labels)
    for name, (tr, te) in {
        "full": (train.full(), test.full()),
        "prumerge": (pm_train, pm_test),
    }.items():
        tuned = _finetune(head, tr, train.labels, seed, ft_epochs)
        out[f"ft_{name}"] = head_accuracy(tuned, te, test.labels)
    adapt = _adaptivity(f, pm_test, seed)
    keys = ("k_mean", "k_std", "k_spearman_objects", "recall_ratio")
    return out | {f"adapt_{k}": adapt[k] for k in keys}
