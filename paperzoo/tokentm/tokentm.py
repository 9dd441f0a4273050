"""TokenTM equations as pure tensor functions.

Paper: Wu et al., "Token Transformation Matters: Towards Faithful Post-hoc Explanation for Vision
Transformer", arXiv:2403.14552v1 (CVPR 2024). The paper body was not readable when this was written;
the recursion is the one written out in docs/tokentm.md §2, which matches the
LibraGrad authors' re-implementation (NightMachinery/decompv-libragrad-v1, ``transform_TokenTM``).
Equation tags ``Eq. (T1)``–``Eq. (T7)`` number its steps (docs/tokentm.md §1), not the paper's.

Layout: tokens ``[B, N, D]``, attention and gradients ``[B, H, N, N]`` (rows = queries), per-token
weights ``[B, N]``, mixing matrices ``[B, N, N]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def length_ratio(u: Tensor, v: Tensor, eps: float = 1e-6) -> Tensor:
    """‖v_i‖₂ / (‖u_i‖₂ + ε) per token; ``[B, N, D] x2 -> [B, N]``."""
    return v.norm(dim=-1) / (u.norm(dim=-1) + eps)  # Eq. (T1)


def necc(u: Tensor, v: Tensor, scale_by_n: bool = False, eps: float = 1e-6) -> Tensor:
    """Normalised exponential cosine correlation, a softmax over tokens of cos(u_i, v_i); [B, N].

    ``scale_by_n`` multiplies by N so the weights average 1 (ambiguity 1, docs/tokentm.md §2.9).
    """
    cos = F.cosine_similarity(u, v, dim=-1, eps=eps)
    weight = cos.softmax(dim=-1)  # Eq. (T2): exp(cos_i) / Σ_k exp(cos_k)
    return weight * u.shape[1] if scale_by_n else weight


def transformation_weight(
    u: Tensor, v: Tensor, scale_by_n: bool = False, eps: float = 1e-6
) -> Tensor:
    """w_i(u→v) = length ratio · NECC, the diagonal of W(u→v); ``[B, N]``."""
    return length_ratio(u, v, eps) * necc(u, v, scale_by_n, eps)  # Eq. (T3)


def gated_attention(
    attn: Tensor, grad: Tensor, weight: Tensor | None = None, per_head: bool = False
) -> Tensor:
    """The mixing term (Ā·W) ⊙ G of U^attn; ``[B,H,N,N] x2, [B,N] -> [B,N,N]``.

    ``per_head=False`` (LibraGrad): mean_h(A_h)·W ⊙ mean_h(ReLU ∂y/∂A_h).
    ``per_head=True`` (Chefer form): mean_h[(A_h·W) ⊙ ∂y/∂A_h]⁺. ``weight=None`` means W = I.
    """
    if per_head:
        aw = attn if weight is None else attn * weight[:, None, None, :]  # A·diag(w): column j
        return (aw * grad).clamp(min=0).mean(dim=1)  # Eq. (T4b)
    a_bar = attn.mean(dim=1)  # the head mean commutes with the column scaling
    aw = a_bar if weight is None else a_bar * weight[:, None, :]
    return aw * grad.clamp(min=0).mean(dim=1)  # Eq. (T4a)


def initial_state(z0: Tensor, pos_embed: Tensor | None = None) -> Tensor:
    """Diagonal of C₀ = diag(‖Z₀,i‖₂); with ``pos_embed`` [1,N,D] its norm is left out. [B, N]."""
    return (z0 if pos_embed is None else z0 - pos_embed).norm(dim=-1)  # Eq. (T6)


def cls_row(
    mixing: Sequence[Tensor],
    diagonal: Sequence[Tensor | None] | None = None,
    init: Tensor | None = None,
    cls_index: int = 0,
) -> Tensor:
    """Row ``cls_index`` of C_L = U_L ⋯ U_1 C₀ in O(L·N²), as a row vector from the last layer down.

    U_l = (I + diag(d_l)) (I + M_l) with M_l = ``mixing[l]`` [B,N,N] and d_l = ``diagonal[l]`` [B,N]
    (``None``: no diagonal factor); C₀ = diag(``init``) [B,N] (``None``: identity). Returns [B, N].
    """
    b, n, _ = mixing[0].shape
    r = F.one_hot(torch.full((b,), cls_index, device=mixing[0].device), n).to(mixing[0].dtype)
    diagonal = diagonal if diagonal is not None else [None] * len(mixing)
    for m, d in zip(reversed(mixing), reversed(diagonal), strict=True):
        if d is not None:
            r = r * (1 + d)  # r·(I + diag(d))
        r = r + torch.bmm(r[:, None, :], m)[:, 0]  # r·(I + M)
    return r if init is None else r * init


def full_product(
    mixing: Sequence[Tensor],
    diagonal: Sequence[Tensor | None] | None = None,
    init: Tensor | None = None,
) -> Tensor:
    """C_L = U_L ⋯ U_1 C₀ as full matrices (O(L·N³)); same arguments as :func:`cls_row`. [B,N,N]."""
    b, n, _ = mixing[0].shape
    eye = torch.eye(n, dtype=mixing[0].dtype, device=mixing[0].device).expand(b, n, n)
    c = eye.clone() if init is None else torch.diag_embed(init)  # Eq. (T6)
    diagonal = diagonal if diagonal is not None else [None] * len(mixing)
    for m, d in zip(mixing, diagonal, strict=True):
        u = eye + m  # Eq. (T4): U^attn = I + (Ā·W) ⊙ G
        if d is not None:
            u = (eye + torch.diag_embed(d)) @ u  # Eq. (T5): U = U^mlp U^attn, U^mlp = I + W(Y→Z)
        c = u @ c  # Eq. (T7): C_l = U_l C_{l-1}
    return c
