"""GenAtt / Transformer-MM (Chefer et al., ICCV 2021, arXiv:2103.15679), ViT self-attention rule.

R = I; for each layer R ← R + mean_h[(∇A_h ⊙ A_h)⁺] · R; the map is R[CLS, patches].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor

from paperzoo.core.interfaces import Explainer
from paperzoo.tokentm.tokentm import cls_row, full_product


def genatt_mixing(attn: Tensor, grad: Tensor) -> Tensor:
    """Ā = mean_h[(∇A_h ⊙ A_h)⁺]; ``[B,H,N,N] x2 -> [B,N,N]``."""
    return (grad * attn).clamp(min=0).mean(dim=1)


@dataclass(frozen=True)
class GenAttConfig:
    fast: bool = True


class GenAtt(Explainer):
    name = "genatt"
    paper = "Chefer et al., Generic Attention-model Explainability, arXiv:2103.15679"
    Config: ClassVar[type] = GenAttConfig

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        trace, grads = self._trace_and_grads(x, target)
        mixing = [
            genatt_mixing(a.detach(), g) for a, g in zip(trace.attentions, grads, strict=True)
        ]
        if self.cfg.fast:
            return self._to_grid(cls_row(mixing, cls_index=trace.cls_index))
        return self._to_grid(full_product(mixing)[:, trace.cls_index])
