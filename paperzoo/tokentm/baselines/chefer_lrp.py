"""Transformer Attribution (Chefer, Gur & Wolf, CVPR 2021, arXiv:2012.09838): LRP relevance of each
attention map, weighted by its gradient, rolled out with residual identities.

Relevance rules follow the authors' ``ViT_LRP.py`` layers: Linear = LRP-αβ (α=1, β=0, bias
excluded); LayerNorm, GELU and softmax = LRP-0 (x ⊙ Jᵀ(R/z)); the two products of attention
= LRP-0 on both operands, each halved; residual Add = LRP-0 split, rescaled so each branch keeps its
share of |ΣR|; Clone = sum. The forward is recomputed from Z₀ with the host's weights.
deviation: the authors' Add rescales with sums over the whole batch (their code is batch-1 only);
here the sums are per image, which equals their result at batch size 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.interfaces import Explainer
from paperzoo.core.vit.adapters import BlockWeights, ViTWeights, block_forward, layer_norm
from paperzoo.tokentm.tokentm import cls_row, full_product


def safe_divide(a: Tensor, b: Tensor) -> Tensor:
    """a / b with b pushed away from 0 by 1e-9 and 0 where b == 0 (Chefer's ``safe_divide``)."""
    den = b.clamp(min=1e-9) + b.clamp(max=1e-9)
    den = den + den.eq(0).to(den.dtype) * 1e-9
    return a / den * b.ne(0).to(b.dtype)


def lrp_linear(x: Tensor, weight: Tensor, relevance: Tensor) -> Tensor:
    """LRP-αβ with α=1, β=0 through y = x Wᵀ (+ b ignored); ``[..., in] -> [..., in]``."""
    pw, nw = weight.clamp(min=0), weight.clamp(max=0)
    px, nx = x.clamp(min=0), x.clamp(max=0)
    s = safe_divide(relevance, px @ pw.T + nx @ nw.T)
    return px * (s @ pw) + nx * (s @ nw)


def lrp_zero(fn: Callable[[Tensor], Tensor], x: Tensor, relevance: Tensor) -> Tensor:
    """LRP-0 through any differentiable ``fn``: x ⊙ Jᵀ (R / fn(x))."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        z = fn(x)
        (c,) = torch.autograd.grad(z, x, safe_divide(relevance, z.detach()))
    return x.detach() * c


def lrp_add(a: Tensor, b: Tensor, relevance: Tensor) -> tuple[Tensor, Tensor]:
    """Relevance of a + b split LRP-0 and rescaled per image to |Σa|, |Σb| shares of ΣR."""
    s = safe_divide(relevance, a + b)
    ra, rb = a * s, b * s
    dims = tuple(range(1, relevance.ndim))
    sa, sb, total = ra.sum(dims, True), rb.sum(dims, True), relevance.sum(dims, True)
    ra = ra * safe_divide(safe_divide(sa.abs(), sa.abs() + sb.abs()) * total, sa)
    rb = rb * safe_divide(safe_divide(sb.abs(), sa.abs() + sb.abs()) * total, sb)
    return ra, rb


def lrp_matmul(a: Tensor, b: Tensor, relevance: Tensor) -> tuple[Tensor, Tensor]:
    """LRP-0 on both operands of a @ b, each halved (as the authors' attention relprop does)."""
    s = safe_divide(relevance, a @ b)
    return a * (s @ b.transpose(-2, -1)) / 2, b * (a.transpose(-2, -1) @ s) / 2


def block_relevance(
    x: Tensor, w: BlockWeights, heads: int, relevance: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Propagate relevance at a block's output back to its input X ``[B, N, D]``.

    Returns (relevance at X, relevance at the attention probabilities [B,H,N,N], probabilities).
    """
    b, n, d = x.shape
    h1 = layer_norm(x, w.norm1)
    qkv = (h1 @ w.qkv_w.T + w.qkv_b).reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)  # [B, H, N, d_h]
    dots = q @ k.transpose(-2, -1)
    scores = dots * (d // heads) ** -0.5
    attn = scores.softmax(dim=-1)
    ctx = (attn @ v).transpose(1, 2).reshape(b, n, d)
    o = ctx @ w.proj_w.T + w.proj_b
    y = x + o
    h2 = layer_norm(y, w.norm2)
    f1 = h2 @ w.fc1_w.T + w.fc1_b
    m = F.gelu(f1) @ w.fc2_w.T + w.fc2_b
    # Z = Y + MLP(LN₂(Y))
    r_y_skip, r_m = lrp_add(y, m, relevance)
    r_g = lrp_linear(F.gelu(f1), w.fc2_w, r_m)
    r_f1 = lrp_zero(F.gelu, f1, r_g)
    r_h2 = lrp_linear(h2, w.fc1_w, r_f1)
    r_y = r_y_skip + lrp_zero(lambda t: layer_norm(t, w.norm2), y, r_h2)
    # Y = X + proj(A V)
    r_x_skip, r_o = lrp_add(x, o, r_y)
    r_ctx = lrp_linear(ctx, w.proj_w, r_o).reshape(b, n, heads, d // heads).transpose(1, 2)
    r_attn, r_v = lrp_matmul(attn, v, r_ctx)
    r_dots = lrp_zero(lambda t: t.softmax(dim=-1), scores, r_attn)  # scale is not a layer
    r_q, r_k = lrp_matmul(q, k.transpose(-2, -1), r_dots)
    r_qkv = (
        torch.stack([r_q, r_k.transpose(-2, -1), r_v]).permute(1, 3, 0, 2, 4).reshape(b, n, 3 * d)
    )
    r_h1 = lrp_linear(h1, w.qkv_w, r_qkv)
    r_x = r_x_skip + lrp_zero(lambda t: layer_norm(t, w.norm1), x, r_h1)
    return r_x, r_attn, attn


def attention_relevances(
    z0: Tensor, weights: ViTWeights, target: Tensor
) -> tuple[list[Tensor], list[Tensor]]:
    """LRP relevance at every block's attention probabilities, from a one-hot ``target`` [B].

    The head reads the tokens ``weights.head_tokens`` ([CLS]; DeiT distilled: [CLS] and the
    distillation token, one linear map on both), so the relevance starts there.

    Returns (relevances, attention maps), each a list of [B,H,N,N] in block order.
    """
    xs = [z0]
    with torch.no_grad():
        for w in weights.blocks:
            xs.append(block_forward(xs[-1], w, weights.heads)[1])
    tokens = layer_norm(xs[-1], weights.norm)
    one_hot = F.one_hot(target, weights.head_w.shape[0]).to(z0.dtype)
    read = list(weights.head_tokens)
    r_pooled = lrp_linear(tokens[:, read].flatten(1), weights.head_w, one_hot)
    r = torch.zeros_like(tokens)
    r[:, read] = r_pooled.reshape(len(target), len(read), -1)  # pooling selects the head tokens
    r = lrp_zero(lambda t: layer_norm(t, weights.norm), xs[-1], r)
    rels, attns = [], []
    for x, w in zip(reversed(xs[:-1]), reversed(weights.blocks), strict=True):
        r, r_attn, attn = block_relevance(x, w, weights.heads, r)
        rels.append(r_attn)
        attns.append(attn)
    return rels[::-1], attns[::-1]


def _at_least_float32(value: Any) -> Any:
    """Half-precision tensors (also inside weight dataclasses, tuples, lists) cast to float32.

    LRP's stabiliser (1e-9) underflows in float16 and its ratios lose all precision in bfloat16.
    """
    if isinstance(value, Tensor):
        return value.float() if value.is_floating_point() and value.element_size() < 4 else value
    if isinstance(value, (tuple, list)):
        return type(value)(_at_least_float32(v) for v in value)
    if is_dataclass(value):
        return replace(
            value, **{f.name: _at_least_float32(getattr(value, f.name)) for f in fields(value)}
        )
    return value


def transformer_attribution_mixing(relevance: Tensor, grad: Tensor) -> Tensor:
    """Ā_l = mean_h[(∇A_h ⊙ R_{A_h})⁺]; ``[B,H,N,N] x2 -> [B,N,N]``."""
    return (grad * relevance).clamp(min=0).mean(dim=1)


@dataclass(frozen=True)
class CheferLRPConfig:
    start_layer: int = 1
    fast: bool = True

    def __post_init__(self) -> None:
        if self.start_layer < 0:
            raise ValueError(f"start_layer must be >= 0, got {self.start_layer!r}")


class CheferLRP(Explainer):
    """Batched; the relevance pass costs about one more backward than GenAtt."""

    name = "chefer_lrp"
    paper = "Chefer et al., Transformer Interpretability Beyond Attention, arXiv:2012.09838"
    Config: ClassVar[type] = CheferLRPConfig

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        weights = _at_least_float32(self.adapter.weights())
        trace = self.adapter.trace(x)
        t = self.adapter.check_target(target, trace.logits.detach())
        if self.cfg.start_layer >= len(trace.blocks):
            raise ValueError(
                f"start_layer must be < depth {len(trace.blocks)}, got {self.cfg.start_layer!r}"
            )
        grads = trace.attention_grads(t)
        z0 = _at_least_float32(trace.z0)
        rels, _ = attention_relevances(z0, weights, t)
        s = self.cfg.start_layer
        mixing = [
            transformer_attribution_mixing(r, g.to(r.dtype))
            for r, g in zip(rels[s:], grads[s:], strict=True)
        ]
        if self.cfg.fast:
            return self._to_grid(cls_row(mixing, cls_index=trace.cls_index))
        return self._to_grid(full_product(mixing)[:, trace.cls_index])
