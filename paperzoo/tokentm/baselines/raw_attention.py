"""Raw attention: last layer, mean over heads of A[CLS, patches], clamped at 0."""

from __future__ import annotations

from torch import Tensor

from paperzoo.core.interfaces import Explainer


def raw_attention_row(attn: Tensor, cls_index: int = 0) -> Tensor:
    """mean_h A_L[CLS, :]⁺ from the last attention ``[B,H,N,N]``; returns ``[B, N]``."""
    return attn[:, :, cls_index].mean(dim=1).clamp(min=0)


class RawAttention(Explainer):
    name = "raw_attention"
    paper = "last-layer attention (Chefer et al. 2021a baseline)"

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        trace = self.adapter.trace(x)
        self.adapter.check_target(target, trace.logits.detach())
        return self._to_grid(raw_attention_row(trace.attentions[-1].detach(), trace.cls_index))
