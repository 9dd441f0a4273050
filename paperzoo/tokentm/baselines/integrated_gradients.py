"""Integrated Gradients (Sundararajan et al., ICML 2017, arXiv:1703.01365) through Captum.

Pixel-level: Captum ``IntegratedGradients`` on the image, reduced over channels. Each forward
holds at most ``internal_batch_size`` interpolated images (default: as many as
:func:`step_memory_bytes` says fit in ``memory_budget_mib``); larger batches go in slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import Tensor

from paperzoo.core.interfaces import Explainer


def step_memory_bytes(tokens: int, dim: int, depth: int, heads: int, element_size: int) -> int:
    """Estimated activation memory one interpolated image keeps for the backward pass of a ViT.

    Per block about 16 token vectors of width ``dim`` (LayerNorm inputs and outputs, q|k|v, the
    attention output, the MLP's 4·dim hidden before and after GELU) and two ``heads`` × N² maps
    (scores, probabilities): depth · (16·N·D + 2·H·N²) · element_size. An upper bound: ViT-B/16
    at 224 px, float32, gives 161 MB (about 130 MB measured); ViT-Ti/16 40 MB (25 MB on CPU).
    """
    return depth * (16 * tokens * dim + 2 * heads * tokens**2) * element_size


@dataclass(frozen=True)
class IGConfig:
    """``baseline`` is in model-input space (after normalisation); ``internal_batch_size``: rows
    (image × step) per forward, ``None`` = ``memory_budget_mib`` / :func:`step_memory_bytes`."""

    n_steps: int = 50
    baseline: float = 0.0
    reduce: Literal["abs", "positive", "sum"] = "abs"
    internal_batch_size: int | None = None
    memory_budget_mib: float = 2048.0

    def __post_init__(self) -> None:
        if self.n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {self.n_steps!r}")
        if self.reduce not in ("abs", "positive", "sum"):
            raise ValueError(f"reduce must be 'abs', 'positive' or 'sum', got {self.reduce!r}")
        if self.internal_batch_size is not None and self.internal_batch_size < 1:
            raise ValueError(f"internal_batch_size must be >= 1, got {self.internal_batch_size!r}")
        if not self.memory_budget_mib > 0:
            raise ValueError(f"memory_budget_mib must be > 0, got {self.memory_budget_mib!r}")


class IntegratedGradients(Explainer):
    name = "integrated_gradients"
    paper = "Sundararajan et al., Axiomatic Attribution, arXiv:1703.01365 (via Captum)"
    Config: ClassVar[type] = IGConfig
    pixel_level = True

    def rows_per_forward(self, element_size: int = 4) -> int:
        """Interpolated images per forward: ``internal_batch_size`` or the memory budget's."""
        if self.cfg.internal_batch_size is not None:
            return self.cfg.internal_batch_size
        a = self.adapter
        tokens = a.num_prefix_tokens + a.grid[0] * a.grid[1]
        dim = a.pos_embed().shape[-1]
        step = step_memory_bytes(tokens, dim, a.num_blocks, a.num_heads, element_size)
        return max(1, int(self.cfg.memory_budget_mib * 2**20 // step))

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        from captum.attr import IntegratedGradients as CaptumIG

        rows = self.rows_per_forward(x.element_size())
        with self.adapter.eval_mode():
            with torch.no_grad():
                logits = self.adapter.logits(x)
            t = self.adapter.check_target(target, logits)
            ig = CaptumIG(self.adapter.logits)
            attr = torch.cat([
                ig.attribute(
                    xs, baselines=self.cfg.baseline, target=ts, n_steps=self.cfg.n_steps,
                    internal_batch_size=rows,
                )
                for xs, ts in zip(x.split(rows), t.split(rows), strict=True)
            ])  # fmt: skip
        if self.cfg.reduce == "abs":
            return attr.abs().sum(dim=1)
        summed = attr.sum(dim=1)
        return summed.clamp(min=0) if self.cfg.reduce == "positive" else summed
