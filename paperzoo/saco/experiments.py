"""The run SaCo's claims read: one study (every explainer × every metric) per seed and scale.

Cached through :mod:`paperzoo.core.experiments`, so the three claims share it and an interrupted
report resumes.
"""

from __future__ import annotations

from paperzoo.core.data.fashion_mnist import ROOT_ENV
from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Measurement, Scale
from paperzoo.saco.study import (
    ABLATION,
    OLDER_METRICS,
    StudyConfig,
    run_study,
    saco_name,
    separation,
    study_images,
)

HEADLINE_K = 10


def study_config(scale: Scale) -> StudyConfig:
    """The study's size at ``scale``."""
    return Scale.parse(scale).pick(
        smoke=StudyConfig(n_images=6, ks=(HEADLINE_K,), bootstrap=200, batch_size=6),
        quick=StudyConfig(n_images=100, ks=(HEADLINE_K,), bootstrap=1000),
        full=StudyConfig(n_images=500, ks=(5, 10, 20)),
    )


def metric_names(cfg: StudyConfig) -> list[str]:
    return [saco_name(k) for k in cfg.ks] + [m.name for m in OLDER_METRICS]


@experiment(code=("paperzoo.saco", "paperzoo.core"), env=(ROOT_ENV,))
def study(seed: int, scale: Scale) -> Measurement:
    """Means of every (method, metric), Random-separation counts and ablation gains, per seed."""
    from paperzoo.core.vit.train import trained_vit

    scale = Scale.parse(scale)
    cfg = study_config(scale)
    model, meta = trained_vit(scale)
    x = study_images(cfg.n_images, seed, meta["data_config"])
    result = run_study(model, x, cfg, seed)
    out: Measurement = {"vit_test_accuracy": float(meta["test_accuracy"])}
    for metric in metric_names(cfg):
        for method in cfg.methods:
            out[f"{method}.{metric}"] = result.mean(method, metric)
        sep = separation(result, metric, cfg.bootstrap)
        out[f"separated.{metric}"] = sum(v > 0 for v in sep.values()) / len(sep)
        out[f"worse_than_random.{metric}"] = float(sum(v < 0 for v in sep.values()))
    headline = saco_name(HEADLINE_K)
    raw, multi, grad, both = (out[f"{m}.{headline}"] for m in ABLATION.values())
    out |= {
        "ablation.multi_layer_gain": multi - raw,
        "ablation.gradient_gain": grad - raw,
        "ablation.both_over_best_single": both - max(multi, grad),
    }
    return out
