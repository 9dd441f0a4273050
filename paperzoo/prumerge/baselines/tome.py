"""ToMe bipartite soft matching (Bolya et al., arXiv:2210.09461), applied once to the encoder's
output tokens, in rounds, until ``budget`` tokens remain."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.baselines._common import BudgetReducer, by_budget


def _take(t: Tensor, idx: Tensor) -> Tensor:
    return t.gather(1, idx[..., None].expand(-1, -1, t.shape[-1]))


def _merge(t: Tensor, src: Tensor, unm: Tensor, dst: Tensor) -> Tensor:
    """Sum A-side rows ``src`` into B-side rows ``dst``; keep A's ``unm`` rows, then all of B."""
    ta, tb = t[:, ::2], t[:, 1::2]
    tb = tb.scatter_reduce(1, dst[..., None].expand(-1, -1, t.shape[-1]), _take(ta, src), "sum")
    return torch.cat([_take(ta, unm), tb], dim=1)


def bipartite_to(x: Tensor, metric: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Merge [B, N, D] tokens down to ``k`` by rounds of r = min(n − k, ⌊n/2⌋) bipartite merges.

    Alternate tokens form sets A and B; each a ∈ A links to its most cosine-similar b ∈ B; the r
    strongest links merge a into b by size-weighted average. Returns (tokens [B, k, D], the
    position of each output token's B-side centre or unmerged token [B, k]).
    """
    b, n, _ = x.shape
    size = x.new_ones(b, n, 1)
    pos = torch.arange(n, device=x.device).expand(b, n)[..., None]
    metric = F.normalize(metric, dim=-1)
    while x.shape[1] > k:
        n = x.shape[1]
        r = min(n - k, n // 2)
        scores = metric[:, ::2] @ metric[:, 1::2].transpose(1, 2)  # [B, |A|, |B|]
        best, partner = scores.max(-1)
        order = best.argsort(-1, descending=True)
        src, unm = order[:, :r], order[:, r:]
        dst = partner.gather(1, src)

        weighted = _merge(torch.cat([x * size, metric * size], dim=-1), src, unm, dst)
        size = _merge(size, src, unm, dst)
        x, metric = (
            weighted[..., : x.shape[-1]] / size,
            F.normalize(weighted[..., x.shape[-1] :], dim=-1),
        )
        pos = torch.cat([_take(pos[:, ::2], unm), pos[:, 1::2]], dim=1)
    return x, pos[..., 0]


@register_token_reducer
class ToMe(BudgetReducer):
    """``ToMe(budget)``: bipartite soft matching on the keys to ``budget[b]`` tokens per image."""

    name: ClassVar[str] = "tome"
    paper: ClassVar[str] = "Token Merging (arXiv:2210.09461)"
    needs_keys = True

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        def fixed(t: Tensor, _a: Tensor, kk: Tensor | None, value: int) -> ReducedTokens:
            merged, pos = bipartite_to(t, kk, value)
            return ReducedTokens(merged, torch.ones_like(pos, dtype=torch.bool), pos)

        return by_budget(fixed, tokens, attention, keys, k)
