"""2-D average pooling of the patch grid to about ``budget`` tokens (s×s cells, s = round(√k))."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.baselines._common import BudgetReducer, by_budget
from paperzoo.prumerge.merge import square_grid


@register_token_reducer
class AvgPool2D(BudgetReducer):
    """``AvgPool2D(budget, grid=None)``: adaptive 2-D average pooling to s×s, s = round(√k).

    ``index`` is the patch nearest each cell's centre. The square grid is inferred from N unless
    ``grid`` is given; a budget that is not a square is rounded, so read ``lengths()``.
    """

    name: ClassVar[str] = "avg_pool"
    paper: ClassVar[str] = "2-D average pooling (e.g. LLaVA-NeXT pooling)"

    def __init__(self, budget: int | Tensor, grid: tuple[int, int] | None = None) -> None:
        super().__init__(budget)
        self.grid = grid

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        h, w = square_grid(tokens.shape[1]) if self.grid is None else self.grid
        if h * w != tokens.shape[1]:
            raise ValueError(f"grid: {h}x{w} does not hold {tokens.shape[1]} tokens")
        side = k.double().sqrt().round().long().clamp(1, min(h, w))
        return by_budget(lambda t, a, kk, s: self._pool(t, s, h, w), tokens, attention, None, side)

    @staticmethod
    def _pool(tokens: Tensor, s: int, h: int, w: int) -> ReducedTokens:
        b, _, d = tokens.shape
        grid = tokens.transpose(1, 2).reshape(b, d, h, w)
        pooled = F.adaptive_avg_pool2d(grid, s).flatten(2).transpose(1, 2)  # [B, s², D]
        centre_r = ((torch.arange(s) + 0.5) * h / s).long().clamp(max=h - 1)
        centre_c = ((torch.arange(s) + 0.5) * w / s).long().clamp(max=w - 1)
        index = (centre_r[:, None] * w + centre_c[None]).flatten().to(tokens.device).expand(b, -1)
        mask = torch.ones(b, s * s, dtype=torch.bool, device=tokens.device)
        return ReducedTokens(pooled, mask, index.clone())
