"""The run SaCo's claims read: one study (every explainer × every metric) per seed and scale.

Cached through :mod:`paperzoo.core.experiments`, so the three claims share it and an interrupted
report resumes.
"""

from __future__ import annotations

import math

from paperzoo.core.data.fashion_mnist import ROOT_ENV
from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Measurement, Scale
from paperzoo.saco.data import study_images
from paperzoo.saco.study import (
    ABLATION,
    OLDER_METRICS,
    RANDOM,
    StudyConfig,
    run_study,
    saco_name,
    separation,
    study_methods,
)

HEADLINE_K = 10
ABLATION_GAINS = (
    "ablation.multi_layer_gain", "ablation.gradient_gain", "ablation.both_over_best_single",
)  # fmt: skip


def study_config(scale: Scale) -> StudyConfig:
    """The study's size at ``scale``."""
    return Scale.parse(scale).pick(
        smoke=StudyConfig(n_images=6, ks=(HEADLINE_K,), bootstrap=200, batch_size=6),
        quick=StudyConfig(n_images=100, ks=(HEADLINE_K,), bootstrap=1000),
        full=StudyConfig(n_images=500, ks=(5, 10, 20)),
    )


def metric_names(cfg: StudyConfig) -> list[str]:
    """The metrics of a study with ``cfg``: SaCo at each K, then the older ones."""
    return [saco_name(k) for k in cfg.ks] + [m.name for m in OLDER_METRICS]


# code: the whole package, since the study runs explainers other systems register
@experiment(code=("paperzoo",), env=(ROOT_ENV,))
def study(seed: int, scale: Scale) -> Measurement:
    """Means of every (method, metric), Random-separation counts and ablation gains, per seed.

    Runs every registered explainer; Random Attribution must be one of them. Ablation gains are
    NaN when one of :data:`~paperzoo.saco.study.ABLATION`'s explainers is not registered (the
    claim's criterion then says which).
    """
    from paperzoo.core.vit.train import trained_vit

    scale = Scale.parse(scale)
    cfg = study_config(scale)
    methods = study_methods(cfg)
    if RANDOM not in methods or len(methods) < 2:
        raise ValueError(
            f"methods: the study compares explainers with Random Attribution, registered as "
            f"{RANDOM!r}; registered explainers: {', '.join(methods)}"
        )
    model, meta = trained_vit(scale)
    x = study_images(cfg.n_images, seed, meta["data_config"])
    result = run_study(model, x, cfg, seed)
    out: Measurement = {"vit_test_accuracy": float(meta["test_accuracy"])}
    for metric in metric_names(cfg):
        for method in result.methods:
            out[f"{method}.{metric}"] = result.mean(method, metric)
        sep = separation(result, metric, cfg.bootstrap)
        out[f"separated.{metric}"] = sum(v > 0 for v in sep.values()) / len(sep)
        out[f"worse_than_random.{metric}"] = float(sum(v < 0 for v in sep.values()))
    headline = saco_name(HEADLINE_K)
    if all(f"{m}.{headline}" in out for m in ABLATION.values()):
        raw, multi, grad, both = (out[f"{m}.{headline}"] for m in ABLATION.values())
        gains = (multi - raw, grad - raw, both - max(multi, grad))
    else:
        gains = (math.nan,) * 3
    return out | dict(zip(ABLATION_GAINS, gains, strict=True))
