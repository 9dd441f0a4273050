"""[CLS]-attention top-k without merging (FasterVLM-style; PruMerge's merge ablation)."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.baselines._common import BudgetReducer, gather_tokens
from paperzoo.prumerge.merge import topk_selection


@register_token_reducer
class ClsTopK(BudgetReducer):
    """``ClsTopK(budget)``: the ``budget[b]`` tokens with the highest [CLS] attention."""

    name: ClassVar[str] = "cls_topk"
    paper: ClassVar[str] = "FasterVLM (arXiv:2412.01818), [CLS] attention only"

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        index, mask = topk_selection(attention, k)
        return gather_tokens(tokens, index, mask)
