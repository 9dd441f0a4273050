"""The faithfulness study SaCo argues for: every explainer × every metric, with bootstrap CIs.

Explainers are looked up by name in the core registry (TokenTM and its baselines come from the
``tokentm`` system); images are the placed Fashion-MNIST test split (placed digits without it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor, nn

from paperzoo.core import registry
from paperzoo.core.data.placed import PlacedConfig, make_placed
from paperzoo.core.interfaces import Explainer, Metric
from paperzoo.core.runtime import eval_mode
from paperzoo.saco.baselines import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    Sufficiency,
)
from paperzoo.saco.config import PerturbationMetricConfig, SaCoConfig
from paperzoo.saco.metric import SaCo

METHODS = (
    "random", "raw_attention", "rollout", "attention_gradcam", "genatt", "chefer_lrp",
    "integrated_gradients", "tokentm",
)  # fmt: skip
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
    """Scale of the study. ``n_images`` test images per seed; SaCo at every K of ``ks``."""

    n_images: int = 500
    ks: tuple[int, ...] = (5, 10, 20)
    methods: tuple[str, ...] = METHODS
    older_metrics: bool = True
    batch_size: int = 50
    bootstrap: int = 2000

    def __post_init__(self) -> None:
        if self.n_images < 2:
            raise ValueError(f"n_images must be >= 2, got {self.n_images!r}")
        if not self.ks or min(self.ks) < 2:
            raise ValueError(f"ks must be non-empty with every K >= 2, got {self.ks!r}")
        if not self.methods:
            raise ValueError("methods must not be empty")
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

    def mean(self, method: str, metric: str) -> float:
        return float(torch.nanmean(self.scores[(method, metric)].double()))


def saco_name(k: int) -> str:
    return f"SaCo@K={k}"


def make_explainer(name: str, model: nn.Module, seed: int) -> Explainer:
    """The registered explainer ``name`` on ``model``, with its default config and ``seed``."""
    return registry.explainer(name)(model, seed=seed)


def explain_batched(explainer: object, x: Tensor, batch_size: int) -> Tensor:
    """Maps for ``x`` (predicted class) in batches: [N, h, w] or [N, H, W]."""
    explain: Callable[..., Tensor] = explainer.explain  # type: ignore[attr-defined]
    return torch.cat([explain(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def run_study(
    model: nn.Module,
    x: Tensor,
    cfg: StudyConfig,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> StudyResult:
    """Explain ``x`` [N, C, H, W] with every method and score every map with every metric."""
    metrics: dict[str, Metric] = {saco_name(k): SaCo(SaCoConfig(k=k)) for k in cfg.ks}
    if cfg.older_metrics:
        metrics |= {m.name: m(PerturbationMetricConfig()) for m in OLDER_METRICS}
    result = StudyResult(higher_is_better={n: type(m).higher_is_better for n, m in metrics.items()})
    with eval_mode(model):
        for method in cfg.methods:
            maps = explain_batched(make_explainer(method, model, seed), x, cfg.batch_size)
            for name, metric in metrics.items():
                result.scores[(method, name)] = metric(model=model, x_batch=x, a_batch=maps).scores
            if on_step is not None:
                on_step(method)
    return result


def study_images(n: int, seed: int, data: PlacedConfig | None = None) -> Tensor:
    """``n`` placed test images, drawn and placed with ``seed`` (never seen in training)."""
    return make_placed("test", replace(data or PlacedConfig(), seed=seed), limit=n).images


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
    result: StudyResult, metric: str, n_boot: int, baseline: str = "random"
) -> dict[str, float]:
    """For each other method: +1 if better than ``baseline`` (95 % CI of the paired difference
    excludes 0 in the metric's good direction), −1 if worse, 0 if not separated."""
    sign = 1.0 if result.higher_is_better[metric] else -1.0
    out = {}
    for method in {m for m, _ in result.scores if m != baseline}:
        lo, hi = paired_bootstrap(
            result.scores[(method, metric)] * sign, result.scores[(baseline, metric)] * sign, n_boot
        )
        out[method] = 1.0 if lo > 0 else (-1.0 if hi < 0 else 0.0)
    return out
