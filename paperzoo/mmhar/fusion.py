"""Fusion and missing-modality equations as pure tensor functions (docs/mmhar.md §2.3).

Layouts: embeddings ``[B, M, D]``, per-modality log-probabilities ``[B, M, K]``, presence masks
bool ``[B, M]`` (at least one modality present per row).
"""

from __future__ import annotations

import torch
from torch import Tensor

LATE_MODES = ("mean", "weighted", "product")


def _weights(present: Tensor, weights: Tensor | None) -> Tensor:
    w = present.float() if weights is None else present.float() * weights.clamp_min(0)
    return w / w.sum(1, keepdim=True).clamp_min(1e-12)  # renormalised over present modalities


def late_fusion(
    log_probs: Tensor, present: Tensor, mode: str = "mean", weights: Tensor | None = None
) -> Tensor:
    """Decision-level fusion renormalised over present modalities; returns log-probs ``[B, K]``.

    mean: $p = \\sum_m w_m p_m$ with $w_m = 1[m\\ present]/\\sum 1[\\cdot]$; weighted: $w_m \\propto
    a_m 1[m]$; product: $\\log p \\propto \\sum_m 1[m] \\log p_m$ (renormalised by a softmax).
    docs/mmhar.md §2.3
    """
    if mode not in LATE_MODES:
        raise ValueError(f"mode: unknown {mode!r} (known: {', '.join(LATE_MODES)})")
    if mode == "product":
        masked = log_probs * present[..., None].float()
        return torch.log_softmax(masked.sum(1), -1)
    w = _weights(present, weights if mode == "weighted" else None)
    return torch.logsumexp(log_probs + w[..., None].clamp_min(1e-30).log(), 1)


def gated_sum(embeddings: Tensor, gates: Tensor, present: Tensor) -> Tensor:
    """Feature-level gated fusion: $h = \\sum_m g_m e_m / \\sum_m g_m$ over present modalities,
    $g_m = \\sigma(\\cdot)$ given as ``gates [B, M]``. docs/mmhar.md §2.3"""
    g = gates * present.float()
    return (g[..., None] * embeddings).sum(1) / g.sum(1, keepdim=True).clamp_min(1e-6)


def masked_concat(embeddings: Tensor, present: Tensor) -> Tensor:
    """Feature-level concat with missing modalities' embeddings zeroed: ``[B, M·D]``.
    docs/mmhar.md §2.3"""
    return (embeddings * present[..., None].float()).flatten(1)


def attention_pool(query: Tensor, tokens: Tensor, present: Tensor) -> Tensor:
    """Attention over modality tokens: $a = \\mathrm{softmax}_m(q^\\top t_m/\\sqrt{D})$ on present
    tokens only, $h = \\sum_m a_m t_m$. ``query [D]`` or ``[B, D]``. docs/mmhar.md §2.3"""
    scores = (tokens * query.expand(tokens.shape[0], -1)[:, None]).sum(-1) / tokens.shape[-1] ** 0.5
    scores = scores.masked_fill(~present, float("-inf"))
    return (torch.softmax(scores, 1)[..., None] * tokens).sum(1)


def modality_dropout(present: Tensor, p: float, generator: torch.Generator | None = None) -> Tensor:
    """Training-time modality dropout: drop each present modality with probability ``p``,
    keeping at least one per row (a row that would lose all keeps a random present one).
    docs/mmhar.md §2.4"""
    if not 0 <= p < 1:
        raise ValueError(f"p must lie in [0, 1), got {p!r}")
    keep = torch.rand(present.shape, generator=generator) >= p
    out = present & keep
    empty = ~out.any(1)
    if empty.any():
        noise = torch.rand(present.shape, generator=generator).masked_fill(~present, -1.0)
        rescue = torch.zeros_like(present).scatter_(1, noise.argmax(1, keepdim=True), True)
        out = torch.where(empty[:, None], rescue & present, out)
    return out
