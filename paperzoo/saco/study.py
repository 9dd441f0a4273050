"""The faithfulness study SaCo argues for: every explainer × every metric, with bootstrap CIs.

Explainers are discovered in the core registry (by default every registered one, in registration
order: TokenTM and its baselines come from the ``tokentm`` system); images come from
:mod:`paperzoo.saco.data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from paperzoo.core import registry
from paperzoo.core.classifier import as_classifier
from paperzoo.core.data.placed import PlacedConfig
from paperzoo.core.interfaces import Explainer, Metric
from paperzoo.core.io import atomic_write
from paperzoo.core.runtime import eval_mode
from paperzoo.core.vit.adapters import ViTAdapter
from paperzoo.saco.baselines import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    Sufficiency,
)
from paperzoo.saco.config import PerturbationMetricConfig, SaCoConfig
from paperzoo.saco.data import fit_to_model, study_images
from paperzoo.saco.metric import SaCo

RANDOM = "random"  # Random Attribution, the reference of every comparison: docs/saco.md §2.8
OLDER_METRICS: tuple[type[Metric], ...] = (
    AOPC, DeletionAUC, InsertionAUC, LOdds, Comprehensiveness, Sufficiency,
)  # fmt: skip
# claim (3): attention-based variants, from raw attention to gradient-weighted multi-layer
ABLATION = {
    "raw (last layer)": "raw_attention",
    "multi-layer (rollout)": "rollout",
    "gradient-weighted (last layer)": "attention_gradcam",
    "both (GenAtt)": "genatt",
}


@dataclass(frozen=True)
class StudyConfig:
    """Scale of the study. ``n_images`` test images per seed; SaCo at every K of ``ks``;
    ``methods``: explainer names, ``None`` = every registered explainer (see :func:`study_methods`).
    """

    n_images: int = 500
    ks: tuple[int, ...] = (5, 10, 20)
    methods: tuple[str, ...] | None = None
    older_metrics: bool = True
    batch_size: int = 50
    bootstrap: int = 2000

    def __post_init__(self) -> None:
        if self.n_images < 2:
            raise ValueError(f"n_images must be >= 2, got {self.n_images!r}")
        if not self.ks or min(self.ks) < 2:
            raise ValueError(f"ks must be non-empty with every K >= 2, got {self.ks!r}")
        if self.methods is not None:
            if not isinstance(self.methods, tuple) or not all(
                isinstance(m, str) for m in self.methods
            ):
                raise TypeError(f"methods must be a tuple of names or None, got {self.methods!r}")
            if not self.methods:
                raise ValueError("methods must not be empty (None = every registered explainer)")
            if len(set(self.methods)) != len(self.methods):
                raise ValueError(f"methods: a name appears twice in {self.methods!r}")
        if self.batch_size < 1 or self.bootstrap < 100:
            raise ValueError(
                f"batch_size must be >= 1 and bootstrap >= 100, got {self.batch_size!r}, "
                f"{self.bootstrap!r}"
            )


@dataclass
class StudyResult:
    """Per-image scores ``scores[(method, metric)]`` [N] and metric directions."""

    scores: dict[tuple[str, str], Tensor] = field(default_factory=dict)
    higher_is_better: dict[str, bool] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        """The explainers scored, in the order they ran."""
        return list(dict.fromkeys(method for method, _ in self.scores))

    def mean(self, method: str, metric: str) -> float:
        return float(torch.nanmean(self.scores[(method, metric)].double()))


def saco_name(k: int) -> str:
    return f"SaCo@K={k}"


def study_methods(cfg: StudyConfig) -> tuple[str, ...]:
    """The explainers the study runs: ``cfg.methods``, or every registered one in registration
    order when it is ``None``; ``ValueError`` naming any that is not registered."""
    known = registry.explainers()
    methods = tuple(known) if cfg.methods is None else cfg.methods
    if not methods:
        raise ValueError("methods: no explainer is registered (core.registry.explainers())")
    missing = [m for m in methods if m not in known]
    if missing:
        raise ValueError(
            f"methods: {', '.join(map(repr, missing))} not registered as explainers "
            f"(registered: {', '.join(known)})"
        )
    return methods


def make_explainer(name: str, model: nn.Module | ViTAdapter, seed: int) -> Explainer:
    """The registered explainer ``name`` on ``model``, with its default config and ``seed``."""
    return registry.explainer(name)(model, seed=seed)


def explain_batched(explainer: Explainer, x: Tensor, batch_size: int) -> Tensor:
    """Maps for ``x`` (predicted class) in batches: [N, h, w] or [N, H, W]."""
    return torch.cat(
        [explainer.explain(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    )


def run_study(
    model: nn.Module | ViTAdapter,
    x: Tensor,
    cfg: StudyConfig,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> StudyResult:
    """Explain ``x`` [N, C, H, W] with every method and score every map with every metric.

    ``model``: any ViT host :func:`paperzoo.core.vit.adapt` accepts, or its adapter.
    """
    methods = study_methods(cfg)
    metrics: dict[str, Metric] = {saco_name(k): SaCo(SaCoConfig(k=k)) for k in cfg.ks}
    if cfg.older_metrics:
        metrics |= {m.name: m(PerturbationMetricConfig()) for m in OLDER_METRICS}
    result = StudyResult(higher_is_better={n: type(m).higher_is_better for n, m in metrics.items()})
    with eval_mode(as_classifier(model).module):
        for method in methods:
            maps = explain_batched(make_explainer(method, model, seed), x, cfg.batch_size)
            for name, metric in metrics.items():
                result.scores[(method, name)] = metric(model=model, x_batch=x, a_batch=maps).scores
            if on_step is not None:
                on_step(method)
    return result


def run_study_seeds(
    model: nn.Module | ViTAdapter,
    cfg: StudyConfig,
    seeds: int,
    data: PlacedConfig | None = None,
    on_step: Callable[[str], None] | None = None,
) -> list[StudyResult]:
    """:func:`run_study` for seeds ``0 .. seeds-1``, each on its own draw of ``cfg.n_images``
    placed test images (:func:`~paperzoo.saco.data.study_images` with ``data``), shaped for
    ``model``; the seed also seeds the explainers."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an int >= 1, got {seeds!r}")
    return [
        run_study(model, fit_to_model(study_images(cfg.n_images, s, data), model), cfg, s, on_step)
        for s in range(seeds)
    ]


def save_scores(results: list[StudyResult], path: str | Path) -> Path:
    """Write the per-image scores of ``results`` (one per seed) and the metric directions."""
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        torch.save(
            {"scores": [r.scores for r in results], "higher": results[0].higher_is_better}, handle
        )
    return path


def paired_bootstrap(a: Tensor, b: Tensor, n_boot: int, seed: int = 0) -> tuple[float, float]:
    """95 % percentile CI of mean(a − b) over images resampled with replacement (NaNs dropped)."""
    keep = ~(a.isnan() | b.isnan())
    diff = (a[keep] - b[keep]).double()
    if diff.numel() < 2:
        return float("nan"), float("nan")
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, diff.numel(), (n_boot, diff.numel()), generator=gen)
    means = diff[idx].mean(1)
    lo, hi = torch.quantile(means, torch.tensor([0.025, 0.975], dtype=means.dtype))
    return float(lo), float(hi)


def separation(
    result: StudyResult, metric: str, n_boot: int, baseline: str = RANDOM
) -> dict[str, float]:
    """For each other method: +1 if better than ``baseline`` (95 % CI of the paired difference
    excludes 0 in the metric's good direction), −1 if worse, 0 if not separated."""
    if baseline not in result.methods:
        raise ValueError(
            f"baseline: {baseline!r} is not among the study's methods ({', '.join(result.methods)})"
        )
    sign = 1.0 if result.higher_is_better[metric] else -1.0
    out = {}
    for method in {m for m, _ in result.scores if m != baseline}:
        lo, hi = paired_bootstrap(
            result.scores[(method, metric)] * sign, result.scores[(baseline, metric)] * sign, n_boot
        )
        out[method] = 1.0 if lo > 0 else (-1.0 if hi < 0 else 0.0)
    return out
