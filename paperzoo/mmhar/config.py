"""Frozen, validated configs: windows, models (encoder × fusion × missing-modality handling)
and training. Defaults are the toolkit's wearable profile (docs/mmhar.md §2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

ENCODERS = ("cnn", "gru", "lstm", "deepconvlstm")
FUSIONS = (
    "early",
    "concat",
    "gated",
    "attention",
    "late-mean",
    "late-weighted",
    "late-product",
    "late-stacking",
)


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class WindowConfig:
    """Sliding windows: ``length_s``, ``step_s``, label ``purity`` and modality ``min_present``."""

    length_s: float = 2.56
    step_s: float = 1.28
    purity: float = 0.8
    min_present: float = 0.5

    def __post_init__(self) -> None:
        _positive("length_s", self.length_s)
        _positive("step_s", self.step_s)
        for name in ("purity", "min_present"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must lie in (0, 1], got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ModelConfig:
    """One model: per-modality ``encoder``, ``fusion`` level/kind, ``width`` (channels of the
    first layer), ``modality_dropout`` (training only; docs/mmhar.md §2.4) and ``dropout``."""

    encoder: str = "cnn"
    fusion: str = "gated"
    width: int = 24
    modality_dropout: float = 0.3
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder: unknown {self.encoder!r} (known: {', '.join(ENCODERS)})")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion: unknown {self.fusion!r} (known: {', '.join(FUSIONS)})")
        if not (isinstance(self.width, int) and self.width >= 1):
            raise ValueError(f"width must be an int >= 1, got {self.width!r}")
        for name in ("modality_dropout", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Adam with cosine decay; ``threads`` torch threads for the run."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "threads"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        _positive("lr", self.lr)
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
