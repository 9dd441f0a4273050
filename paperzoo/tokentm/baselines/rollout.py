"""Attention rollout (Abnar & Zuidema, ACL 2020, arXiv:2005.00928): class-agnostic.

Â_l = row-normalise(mean_h A_l + I); R = Â_L ⋯ Â_s; the map is R[CLS, patches].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.interfaces import Explainer
from paperzoo.tokentm.tokentm import cls_row, full_product


def rollout_mixing(attn: Tensor) -> Tensor:
    """M_l with I + M_l = Â_l = rownorm(mean_h A + I); ``[B,H,N,N] -> [B,N,N]``."""
    a = attn.mean(dim=1)
    eye = torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    a_hat = (a + eye) / (a + eye).sum(dim=-1, keepdim=True)
    return a_hat - eye


@dataclass(frozen=True)
class RolloutConfig:
    start_layer: int = 0
    fast: bool = True

    def __post_init__(self) -> None:
        if self.start_layer < 0:
            raise ValueError(f"start_layer must be >= 0, got {self.start_layer!r}")


class Rollout(Explainer):
    name = "rollout"
    paper = "Abnar & Zuidema, Quantifying Attention Flow, arXiv:2005.00928"
    Config: ClassVar[type] = RolloutConfig

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        trace = self.adapter.trace(x)
        self.adapter.check_target(target, trace.logits.detach())
        if self.cfg.start_layer >= len(trace.blocks):
            raise ValueError(
                f"start_layer must be < depth {len(trace.blocks)}, got {self.cfg.start_layer!r}"
            )
        mixing = [rollout_mixing(a.detach()) for a in trace.attentions[self.cfg.start_layer :]]
        if self.cfg.fast:
            return self._to_grid(cls_row(mixing, cls_index=trace.cls_index))
        return self._to_grid(full_product(mixing)[:, trace.cls_index])
