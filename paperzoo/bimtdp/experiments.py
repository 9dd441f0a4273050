"""Cached runs the claims read: SynthRooms splits, FP single-task baselines, each variant per seed.

Smoke (tests): 16 px, a few steps. Quick: 16 px, 512 training rooms, 200 Adam steps, widths
16/32. Full: 32 px, 2048 rooms, 1500 steps, widths 32/64. Single-task baselines (the Δ_m
reference) are trained once, seed 0, per scale; every variant is trained per seed. Models are
stored as binary experiments, so ``export-packed`` and ``evaluate`` reuse them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from paperzoo.bimtdp.bimtdp import LOGVAR_RANGE, delta_m
from paperzoo.bimtdp.config import LOWER_BETTER, NYUD_TASKS, DataConfig, ModelConfig, TrainConfig
from paperzoo.bimtdp.data import SynthRooms, render
from paperzoo.bimtdp.metrics import evaluate
from paperzoo.bimtdp.models import MultiTaskNet
from paperzoo.bimtdp.training import train
from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Scale
from paperzoo.core.runtime import eval_mode, torch_threads

CLAIM_VARIANTS = ("naive", "bnn", "ib", "f", "fp")


def extra_variants(scale: Scale) -> tuple[str, ...]:
    """Reported beside the claims, not judged: the KD-only ablation and Bi-MTDP-C (full only)."""
    return Scale.parse(scale).pick(smoke=(), quick=(), full=("kd", "c"))


@dataclass(frozen=True)
class Regime:
    """Data, widths and optimisation of one scale."""

    data: DataConfig
    width1: int
    width2: int
    blocks1: int
    blocks2: int
    steps: int
    batch_size: int


def regime(scale: Scale) -> Regime:
    return Scale.parse(scale).pick(
        smoke=Regime(DataConfig(48, 24, 16), 8, 8, 1, 1, 4, 8),
        quick=Regime(DataConfig(512, 256, 16), 16, 32, 1, 1, 200, 16),
        full=Regime(DataConfig(2048, 512, 32), 32, 64, 1, 2, 1500, 32),
    )


def model_config(variant: str, scale: Scale, tasks: tuple[str, ...] = NYUD_TASKS) -> ModelConfig:
    r = regime(scale)
    return ModelConfig(variant, tasks, r.width1, r.width2, r.blocks1, r.blocks2)


def train_config(scale: Scale, seed: int) -> TrainConfig:
    r = regime(scale)
    return TrainConfig(steps=r.steps, batch_size=r.batch_size, seed=seed)


@experiment(binary=True)
def rooms(cfg: DataConfig) -> dict[str, Any]:
    """Rendered train and test splits (test from seed + 10⁶), as tensors."""
    train_split = render(cfg.n_train, cfg.size, cfg.seed)
    test_split = render(cfg.n_test, cfg.size, cfg.seed + 1_000_000)
    return {"train": asdict(train_split), "test": asdict(test_split)}


def splits(cfg: DataConfig) -> tuple[SynthRooms, SynthRooms]:
    d = rooms(cfg)
    return SynthRooms(**d["train"]), SynthRooms(**d["test"])


@experiment(binary=True)
def trained(cfg: ModelConfig, train_cfg: TrainConfig, data: DataConfig) -> dict[str, Any]:
    """A trained model's state dict and its test metrics (a KD student trains its FP teacher)."""
    tr, te = splits(data)
    teacher = None
    if cfg.kd:
        fp = ModelConfig(
            "fp", cfg.tasks, cfg.width1, cfg.width2, cfg.blocks1, cfg.blocks2, cfg.classes
        )
        teacher = load_model(fp, train_cfg, data)
    with torch_threads(1):
        model = train(cfg, train_cfg, tr, teacher)
        metrics = evaluate(model, te)
    return {"state_dict": model.state_dict(), "metrics": metrics}


def load_model(cfg: ModelConfig, train_cfg: TrainConfig, data: DataConfig) -> MultiTaskNet:
    """The model of ``cfg`` trained by :func:`trained` (from the cache when present)."""
    model = MultiTaskNet(cfg)
    model.load_state_dict(trained(cfg, train_cfg, data)["state_dict"])
    return model.eval()


def single_task_metrics(scale: Scale) -> dict[str, float]:
    """FP single-task baselines (seed 0): each task's metric from its own model."""
    r = regime(scale)
    return {
        t: trained(model_config("fp", scale, (t,)), train_config(scale, 0), r.data)["metrics"][t]
        for t in NYUD_TASKS
    }


def single_task_calls(scale: Scale) -> list[Any]:
    r = regime(scale)
    return [
        trained.call(model_config("fp", scale, (t,)), train_config(scale, 0), r.data)
        for t in NYUD_TASKS
    ]


def variant_call(variant: str, seed: int, scale: Scale) -> Any:
    return trained.call(model_config(variant, scale), train_config(scale, seed), regime(scale).data)


@experiment()
def variant_result(variant: str, seed: int, scale: Scale) -> dict[str, float]:
    """Test metrics, Δ_m vs the FP single-task baselines, and bottleneck diagnostics."""
    r = regime(scale)
    cfg, tcfg = model_config(variant, scale), train_config(scale, seed)
    metrics = trained(cfg, tcfg, r.data)["metrics"]
    base = single_task_metrics(scale)
    out = {f"{t}": metrics[t] for t in NYUD_TASKS}
    out["delta_m"] = 100 * delta_m(metrics, base, LOWER_BETTER)
    out["z_abs_skew"], out["z_abs_kurtosis"] = metrics["z_abs_skew"], metrics["z_abs_kurtosis"]
    if cfg.vib:  # KL per dimension at evaluation (no collapse: > 0.01 nats)
        model = load_model(cfg, tcfg, r.data)
        _, te = splits(r.data)
        with torch.no_grad(), eval_mode(model):
            mu, logvar = [], []
            for i in range(0, len(te), 128):
                s2 = model.encode(te.rgb[i : i + 128])[1]
                mu.append(model.vib.mu(s2))
                logvar.append(model.vib.logvar(s2).clamp(*LOGVAR_RANGE))
        m, lv = torch.cat(mu), torch.cat(logvar)
        kl = 0.5 * (m**2 + lv.exp() - lv - 1)
        out["kl_per_dim"] = float(kl.mean())
    return out


def variant_calls(seed: int, scale: Scale, variants: tuple[str, ...] = CLAIM_VARIANTS) -> list[Any]:
    return [
        *single_task_calls(scale),
        *(variant_call(v, seed, scale) for v in variants),
        *(variant_result.call(v, seed, scale) for v in variants),
    ]
