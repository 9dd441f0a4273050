"""PruMerge and PruMerge+ behind core's :class:`~paperzoo.core.interfaces.TokenReducer`."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens, TokenReducer
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.merge import (
    adaptive_keep_count,
    append_token,
    kept_mask,
    knn_merge,
    plus_selection,
    pooled_token,
    topk_selection,
)

PAPER = "LLaVA-PruMerge (arXiv:2403.15388)"


def keep_count(attention: Tensor, cfg: PruMergeConfig) -> Tensor:
    """Outlier tokens kept per image [B] before PruMerge+'s additions (docs/prumerge.md §2.2)."""
    n = attention.shape[1]
    if cfg.ratio is not None:
        k = torch.full((attention.shape[0],), int(n * cfg.ratio), device=attention.device)
        return k.clamp(cfg.min_keep, n if cfg.max_keep is None else cfg.max_keep)
    return adaptive_keep_count(
        attention, cfg.iqr_k, cfg.batch_pooled_iqr, cfg.min_keep, cfg.max_keep
    )


def prumerge(
    tokens: Tensor,
    attention: Tensor,
    keys: Tensor,
    cfg: PruMergeConfig | None = None,
    grid: tuple[int, int] | None = None,
) -> ReducedTokens:
    """Select, merge and pool (docs/prumerge.md §2): ``tokens`` [B, N, D], ``attention`` [B, N],
    ``keys`` [B, N, Dk] -> k_i (+ PruMerge+ samples) merged tokens plus the pooled token."""
    cfg = cfg or PruMergeConfig()
    k = keep_count(attention, cfg)
    if cfg.plus:
        index, mask = plus_selection(attention, k, cfg.plus_mode, grid)
    else:
        index, mask = topk_selection(attention, k)
    merged = knn_merge(tokens, keys, attention, index, mask, cfg.knn, cfg.normalise_merge)
    if not cfg.pooled_token:
        return ReducedTokens(merged, mask, index)
    kept = kept_mask(index, mask, tokens.shape[1])
    extra = pooled_token(tokens, attention, kept, cfg.normalise_merge)
    return append_token(merged, index, mask, extra)


@register_token_reducer
class PruMerge(TokenReducer):
    """Adaptive IQR selection + k-NN merge + pooled token: ``PruMerge(cfg)(x, attn, keys)``."""

    name: ClassVar[str] = "prumerge"
    paper: ClassVar[str] = PAPER
    plus: ClassVar[bool] = False

    def __init__(self, cfg: PruMergeConfig | None = None, grid: tuple[int, int] | None = None):
        cfg = cfg or PruMergeConfig(plus=self.plus)
        if not isinstance(cfg, PruMergeConfig):
            raise TypeError(f"cfg must be a PruMergeConfig, got {type(cfg).__name__}")
        if cfg.plus != self.plus:
            raise ValueError(f"cfg: plus={cfg.plus} given to {type(self).__name__}")
        self.cfg, self.grid = cfg, grid

    def _reduce(self, tokens: Tensor, attention: Tensor, keys: Tensor | None) -> ReducedTokens:
        if keys is None:
            raise ValueError("keys: PruMerge merges by key similarity; pass the layer's keys")
        return prumerge(tokens, attention, keys, self.cfg, self.grid)


@register_token_reducer
class PruMergePlus(PruMerge):
    """PruMerge+ : PruMerge's outliers plus spatially uniform samples (docs/prumerge.md §2.4)."""

    name: ClassVar[str] = "prumerge_plus"
    plus: ClassVar[bool] = True
