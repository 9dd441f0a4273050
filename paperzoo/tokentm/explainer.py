"""The TokenTM explainer: one forward + one backward, then the O(L·N²) CLS-row recursion."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.interfaces import Explainer
from paperzoo.core.vit.adapters import layer_norm
from paperzoo.tokentm import tokentm as eq
from paperzoo.tokentm.config import TokenTMConfig


class TokenTM(Explainer):
    name = "tokentm"
    paper = "Wu et al., Token Transformation Matters, arXiv:2403.14552 (CVPR'24)"
    Config: ClassVar[type] = TokenTMConfig

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        cfg: TokenTMConfig = self.cfg
        trace, grads = self._trace_and_grads(x, target)
        n_scale = cfg.necc_scale == "n"
        weights = None
        if cfg.transformation == "branch":
            # reads LN₁, W_V, W_O only; q/k norms shape A and the MLP norm Z, both captured
            weights = self.adapter.weights(supports=("qk_norm", "mlp_norm"))
        mixing, diagonal = [], []
        for i, (block, grad) in enumerate(zip(trace.blocks, grads, strict=True)):
            attn = block.attn.detach()
            if cfg.transformation == "sublayer":
                u_attn, v_attn, u_mlp, v_mlp = block.x, block.y, block.y, block.z
            else:
                bw = weights.blocks[i]
                d = block.x.shape[-1]
                value = layer_norm(block.x, bw.norm1) @ bw.qkv_w[2 * d :].T + bw.qkv_b[2 * d :]
                u_attn, v_attn = block.x, value @ bw.proj_w.T + bw.proj_b
                u_mlp, v_mlp = block.y, block.z - block.y
            w_attn = (
                eq.transformation_weight(u_attn, v_attn, n_scale, cfg.eps)
                if cfg.token_weights
                else None
            )
            mixing.append(eq.gated_attention(attn, grad, w_attn, cfg.gating == "per_head"))
            if not cfg.mlp_term:
                diagonal.append(None)
            elif cfg.token_weights:
                diagonal.append(eq.transformation_weight(u_mlp, v_mlp, n_scale, cfg.eps))
            else:
                diagonal.append(torch.ones_like(attn[:, 0, 0]))  # W = I
        init = None
        if cfg.init == "norms":
            pos = None
            if not cfg.c0_positional:
                pos = self.adapter.pos_embed().to(trace.z0)  # [1, N, D], zero rows where none
            init = eq.initial_state(trace.z0, pos)
        if cfg.fast:
            row = eq.cls_row(mixing, diagonal, init, trace.cls_index)
        else:
            row = eq.full_product(mixing, diagonal, init)[:, trace.cls_index]
        return self._to_grid(row)
