"""Random-k: a uniformly random subset of the budget's size (UniPruneBench's strong baseline)."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.baselines._common import BudgetReducer, gather_tokens
from paperzoo.prumerge.merge import topk_selection


@register_token_reducer
class RandomK(BudgetReducer):
    """``RandomK(budget, seed)``: a random ``budget[b]`` tokens per image, raster order."""

    name: ClassVar[str] = "random_k"
    paper: ClassVar[str] = "random pruning (UniPruneBench)"

    def __init__(self, budget: int | Tensor, seed: int = 0) -> None:
        super().__init__(budget)
        self.seed = seed

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        gen = torch.Generator().manual_seed(self.seed)
        noise = torch.rand(attention.shape, generator=gen).to(attention.device)
        index, mask = topk_selection(noise, k)
        index = torch.where(mask, index, attention.shape[1]).sort(1).values
        return gather_tokens(tokens, index.masked_fill(~mask, -1), mask)
