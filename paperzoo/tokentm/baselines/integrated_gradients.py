"""Integrated Gradients (Sundararajan et al., ICML 2017, arXiv:1703.01365) through Captum.

Pixel-level: Captum ``IntegratedGradients`` on the image, reduced over channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import Tensor

from paperzoo.tokentm.base import Explainer


@dataclass(frozen=True)
class IGConfig:
    n_steps: int = 50
    baseline: float = 0.0
    reduce: Literal["abs", "positive", "sum"] = "abs"
    internal_batch_size: int | None = 256

    def __post_init__(self) -> None:
        if self.n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {self.n_steps!r}")
        if self.reduce not in ("abs", "positive", "sum"):
            raise ValueError(f"reduce must be 'abs', 'positive' or 'sum', got {self.reduce!r}")
        if self.internal_batch_size is not None and self.internal_batch_size < 1:
            raise ValueError(f"internal_batch_size must be >= 1, got {self.internal_batch_size!r}")


class IntegratedGradients(Explainer):
    name = "integrated_gradients"
    paper = "Sundararajan et al., Axiomatic Attribution, arXiv:1703.01365 (via Captum)"
    Config: ClassVar[type] = IGConfig
    pixel_level = True

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        from captum.attr import IntegratedGradients as CaptumIG

        with self.adapter.eval_mode():
            with torch.no_grad():
                logits = self.adapter.logits(x)
            t = self.adapter.check_target(target, logits)
            attr = CaptumIG(self.adapter.logits).attribute(
                x, baselines=self.cfg.baseline, target=t, n_steps=self.cfg.n_steps,
                internal_batch_size=self.cfg.internal_batch_size,
            )  # fmt: skip
        if self.cfg.reduce == "abs":
            return attr.abs().sum(dim=1)
        summed = attr.sum(dim=1)
        return summed.clamp(min=0) if self.cfg.reduce == "positive" else summed
