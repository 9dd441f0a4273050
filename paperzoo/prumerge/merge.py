"""PruMerge and PruMerge+ as pure tensor functions (arXiv:2403.15388, v1 and the official code).

Layout ``[batch, tokens, channels]``; ``N`` patch tokens (no prefix tokens) unless stated. Variable
token counts are carried as a padded index ``[B, M]`` (-1 on padding) with a mask ``[B, M]``. No
module, hook or model knowledge: :mod:`paperzoo.prumerge.patch` feeds these from host models.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens


def cls_attention(
    q: Tensor, k: Tensor, heads: int, mode: str = "concat", cls_index: int = 0, num_prefix: int = 1
) -> Tensor:
    """[CLS] attention over the patch tokens from one layer's queries and keys.

    docs/prumerge.md §2.1. ``q``, ``k`` [B, T, D] with T = ``num_prefix`` + N (prefix tokens
    first). ``concat`` (official): one softmax of q_cls·kᵀ/√D over all T keys, heads not split;
    ``per_head``: the mean over heads of softmax(q_cls,h·k_hᵀ/√d_h). Returns [B, N] (prefix
    columns dropped; they stay in the softmax denominator).
    """
    if num_prefix < 1 or not 0 <= cls_index < num_prefix:
        raise ValueError(
            f"cls_index: the model has no [CLS] token among its {num_prefix} prefix token(s); "
            "PruMerge ranks tokens by [CLS] attention"
        )
    b, t, d = q.shape
    if mode == "concat":
        # a = softmax(q_cls Kᵀ / √D)
        a = (q[:, cls_index : cls_index + 1] @ k.transpose(1, 2) * d**-0.5).softmax(-1)[:, 0]
    elif mode == "per_head":
        if d % heads:
            raise ValueError(f"heads: {heads} does not divide the key width {d}")
        dh = d // heads
        qh = q[:, cls_index].reshape(b, heads, 1, dh)
        kh = k.reshape(b, t, heads, dh).transpose(1, 2)  # [B, H, T, d_h]
        # a = (1/H) Σ_h softmax(q_cls,h K_hᵀ / √d_h)
        a = (qh @ kh.transpose(2, 3) * dh**-0.5).softmax(-1).mean(1)[:, 0]
    else:
        raise ValueError(f"mode must be 'concat' or 'per_head', got {mode!r}")
    return a[:, num_prefix:]


def iqr_fence(scores: Tensor, iqr_k: float = 1.5, pooled: bool = False) -> Tensor:
    """Upper IQR fence U = Q3 + k·(Q3 − Q1) per image [B, 1] (docs/prumerge.md §2.2).

    Linear-interpolated percentiles (numpy's default). ``pooled``: one fence over the flattened
    batch, as the official code computes it.
    """
    probs = scores.new_tensor([0.25, 0.75])
    flat = scores.reshape(1, -1) if pooled else scores
    q1, q3 = torch.quantile(flat, probs, dim=1, keepdim=True)
    fence = q3 + iqr_k * (q3 - q1)  # U = Q3 + k·IQR
    return fence.expand(scores.shape[0], 1) if pooled else fence


def adaptive_keep_count(
    scores: Tensor,
    iqr_k: float = 1.5,
    pooled: bool = False,
    min_keep: int = 1,
    max_keep: int | None = None,
) -> Tensor:
    """Tokens kept per image [B] (long): the number of IQR outliers, clamped to the guards.

    docs/prumerge.md §2.2. ``pooled`` (official quirk): the ratio outliers / (B·N) over the whole
    batch, k = int(N · ratio), the same for every image.
    """
    b, n = scores.shape
    outliers = (scores > iqr_fence(scores, iqr_k, pooled)).sum(1)
    if pooled:
        ratio = float(outliers.sum()) / (b * n)  # official: len(outliers) / numel
        outliers = torch.full_like(outliers, int(n * ratio))
    return outliers.clamp(min_keep, n if max_keep is None else max_keep)


def topk_selection(scores: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
    """The ``k[b]`` highest-scoring tokens per image, best first (official order).

    Returns ``index`` [B, M] (-1 on padding), ``mask`` [B, M], M = max k.
    """
    m = int(k.max())
    index = scores.argsort(dim=1, descending=True, stable=True)[:, :m]
    mask = torch.arange(m, device=scores.device) < k[:, None]
    return index.masked_fill(~mask, -1), mask


def square_grid(n: int) -> tuple[int, int]:
    """(h, w) of a square patch grid of ``n`` tokens; ``ValueError`` when ``n`` is not square."""
    side = math.isqrt(n)
    if side * side != n:
        raise ValueError(f"grid: {n} tokens are not a square grid; pass grid=(h, w) explicitly")
    return side, side


def uniform_mask(
    k: Tensor, n: int, mode: str = "raster", grid: tuple[int, int] | None = None
) -> Tensor:
    """PruMerge+'s spatially uniform samples per image, bool [B, N] (docs/prumerge.md §2.4).

    step = ⌊N / k⌋, stride s = max(1, ⌊step / 3⌋). ``raster`` (official): positions
    ⌊step/6⌋ + j·s < N − 1 of the flattened grid. ``grid2d``: a 2-D lattice with cell
    c = max(1, round(√s)), one sample at the centre of each c×c cell (same density).
    """
    step = torch.div(n, k.clamp(min=1), rounding_mode="floor")  # guarded: no 1/ratio at k = 0
    stride = (step // 3).clamp(min=1)[:, None]
    pos = torch.arange(n, device=k.device)[None]
    if mode == "raster":
        start = (step // 6)[:, None]
        return (pos >= start) & ((pos - start) % stride == 0) & (pos < n - 1)
    if mode == "grid2d":
        h, w = square_grid(n) if grid is None else grid
        if h * w != n:
            raise ValueError(f"grid: {h}x{w} does not hold {n} tokens")
        cell = stride.double().sqrt().round().long().clamp(min=1)
        rows, cols = pos // w, pos % w
        return (rows % cell == cell // 2) & (cols % cell == cell // 2)
    raise ValueError(f"plus_mode must be 'raster' or 'grid2d', got {mode!r}")


def plus_selection(
    scores: Tensor, k: Tensor, mode: str = "raster", grid: tuple[int, int] | None = None
) -> tuple[Tensor, Tensor]:
    """PruMerge+ selection: the top-``k`` outliers (best first), then the uniform samples not
    already kept (raster order), deduplicated. Returns ``index`` [B, M] (-1 pad), ``mask``."""
    b, n = scores.shape
    order = scores.argsort(dim=1, descending=True, stable=True)
    rank = torch.empty_like(order).scatter_(
        1, order, torch.arange(n, device=scores.device).expand(b, n)
    )
    top = rank < k[:, None]
    extra = uniform_mask(k, n, mode, grid) & ~top
    pos = torch.arange(n, device=scores.device).expand(b, n)
    key = torch.where(top, rank, torch.where(extra, n + pos, 3 * n))  # outliers, extras, rest
    count = k + extra.sum(1)
    m = int(count.max())
    index = key.argsort(dim=1, stable=True)[:, :m]
    mask = torch.arange(m, device=scores.device) < count[:, None]
    return index.masked_fill(~mask, -1), mask


def knn_merge(
    x: Tensor,
    keys: Tensor,
    scores: Tensor,
    index: Tensor,
    mask: Tensor,
    knn: int = 32,
    normalise: bool = False,
) -> Tensor:
    """Merge each kept token with its ``knn`` most key-similar other tokens (docs/prumerge.md §2.3).

    Candidates are all other N − 1 tokens, kept or pruned (official). Unnormalised (official):
    y_i = x_i + Σ_{j∈J_i} a_j x_j; ``normalise``: y_i = (a_i x_i + Σ a_j x_j) / (a_i + Σ a_j).
    ``x`` [B, N, D], ``keys`` [B, N, Dk], ``scores`` [B, N]; returns [B, M, D] (zeros on padding).
    """
    b, n, _ = x.shape
    if not 1 <= knn < n:
        raise ValueError(
            f"knn must be in [1, N) = [1, {n}) (candidates are the other tokens), got {knn}"
        )
    safe = index.clamp(min=0)
    kn = F.normalize(keys, p=2, dim=-1)
    centres = kn.gather(1, safe[..., None].expand(-1, -1, kn.shape[-1]))
    sim = centres @ kn.transpose(1, 2)  # cosine similarity [B, M, N]
    sim = sim.scatter(2, safe[..., None], float("-inf"))  # a token is not its own neighbour
    nbrs = sim.topk(knn, dim=2).indices  # J_i [B, M, knn]
    weights = torch.zeros_like(sim).scatter(
        2, nbrs, scores[:, None].expand(-1, sim.shape[1], -1).gather(2, nbrs)
    )
    x_c = x.gather(1, safe[..., None].expand(-1, -1, x.shape[-1]))
    if normalise:
        a_c = scores.gather(1, safe)[..., None]
        # y_i = (a_i x_i + Σ_j a_j x_j) / (a_i + Σ_j a_j)
        y = (a_c * x_c + weights @ x) / (a_c + weights.sum(-1, keepdim=True)).clamp_min(1e-30)
    else:
        y = x_c + weights @ x  # y_i = x_i + Σ_{j∈J_i} a_j x_j
    return y * mask[..., None]


def pooled_token(x: Tensor, scores: Tensor, kept: Tensor, normalise: bool = False) -> Tensor:
    """The extra token z = Σ_{j pruned} a_j x_j [B, D] (docs/prumerge.md §2.3); ``kept`` [B, N].

    ``normalise``: divided by Σ_{j pruned} a_j (zero when nothing was pruned)."""
    w = scores * ~kept
    z = (w[:, None] @ x)[:, 0]  # z = Σ_{j∉S} a_j x_j
    return z / w.sum(1, keepdim=True).clamp_min(1e-30) if normalise else z


def kept_mask(index: Tensor, mask: Tensor, n: int) -> Tensor:
    """bool [B, N]: True at the positions ``index`` keeps."""
    out = torch.zeros(index.shape[0], n + 1, dtype=torch.bool, device=index.device)
    return out.scatter(1, torch.where(mask, index, n), True)[:, :n]


def append_token(tokens: Tensor, index: Tensor, mask: Tensor, extra: Tensor) -> ReducedTokens:
    """Put ``extra`` [B, D] right after each image's last real token; its index is -1."""
    b, m, d = tokens.shape
    count = mask.sum(1)
    out = torch.cat([tokens * mask[..., None], tokens.new_zeros(b, 1, d)], dim=1)
    out = out.scatter(1, count[:, None, None].expand(-1, 1, d), extra[:, None])
    new_mask = torch.arange(m + 1, device=mask.device) <= count[:, None]
    new_index = torch.cat([index.masked_fill(~mask, -1), index.new_full((b, 1), -1)], dim=1)
    return ReducedTokens(out, new_mask, new_index)
