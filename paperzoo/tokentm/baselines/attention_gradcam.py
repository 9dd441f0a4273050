"""Attention GradCAM for ViT (Chefer et al. 2021a baseline, ``generate_cam_attn``).

Last layer only: head weight α_h = mean over patches of ∂y_c/∂A_h[CLS, patches];
map = (mean_h α_h · A_h[CLS, patches])⁺.
"""

from __future__ import annotations

import torch
from torch import Tensor

from paperzoo.core.interfaces import Explainer


def attention_gradcam_row(
    attn: Tensor, grad: Tensor, cls_index: int = 0, num_prefix_tokens: int = 1
) -> Tensor:
    """CLS row ``[B, N]`` (prefix columns included; callers drop them) from last-layer A, ∂y/∂A.

    The patches are the tokens after the ``num_prefix_tokens`` prefix ([CLS], distillation,
    registers).
    """
    alpha = grad[:, :, cls_index, num_prefix_tokens:].mean(dim=-1, keepdim=True)  # [B, H, 1]
    return (attn[:, :, cls_index] * alpha).mean(dim=1).clamp(min=0)


class AttentionGradCAM(Explainer):
    name = "attention_gradcam"
    paper = "GradCAM on the last attention map (Chefer et al. 2021a baseline)"

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        trace = self.adapter.trace(x)
        t = self.adapter.check_target(target, trace.logits.detach())
        score = trace.logits.gather(1, t[:, None]).sum()
        (grad,) = torch.autograd.grad(score, [trace.attentions[-1]])
        row = attention_gradcam_row(
            trace.attentions[-1].detach(), grad, trace.cls_index, trace.num_prefix_tokens
        )
        return self._to_grid(row)
