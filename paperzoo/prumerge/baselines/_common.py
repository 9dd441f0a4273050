"""What the matched-budget baselines share: budget checks and grouping by budget."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens, TokenReducer


def as_budget(budget: int | Tensor, b: int, n: int, device: torch.device) -> Tensor:
    """Tokens per image [B] (long), each in [1, N]; ``ValueError`` naming ``budget`` otherwise."""
    k = torch.as_tensor(budget, device=device)
    if k.is_floating_point() or k.dtype == torch.bool:
        raise ValueError(f"budget must be an int or an integer tensor [B], got dtype {k.dtype}")
    k = k.long().expand(b) if k.ndim == 0 else k.long()
    if k.shape != (b,):
        raise ValueError(f"budget must be an int or shape [{b}], got {list(k.shape)}")
    if (k < 1).any() or (k > n).any():
        raise ValueError(
            f"budget must lie in [1, N] = [1, {n}], got {k.min().item()}..{k.max().item()}"
        )
    return k


def pad_groups(parts: list[tuple[Tensor, ReducedTokens]], b: int) -> ReducedTokens:
    """Reassemble per-group results (rows ``rows`` of the batch each) into one padded batch."""
    m = max(r.tokens.shape[1] for _, r in parts)
    d = parts[0][1].tokens.shape[2]
    ref = parts[0][1].tokens
    tokens = ref.new_zeros(b, m, d)
    mask = torch.zeros(b, m, dtype=torch.bool, device=ref.device)
    index = torch.full((b, m), -1, dtype=torch.long, device=ref.device)
    for rows, r in parts:
        w = r.tokens.shape[1]
        tokens[rows, :w], mask[rows, :w], index[rows, :w] = r.tokens, r.mask, r.index
    return ReducedTokens(tokens, mask, index)


def by_budget(
    fn: Callable[[Tensor, Tensor, Tensor | None, int], ReducedTokens],
    tokens: Tensor,
    attention: Tensor,
    keys: Tensor | None,
    k: Tensor,
) -> ReducedTokens:
    """Run the fixed-budget ``fn`` once per distinct budget (not per image) and pad."""
    parts = []
    for value in k.unique().tolist():
        rows = (k == value).nonzero()[:, 0]
        sub_keys = None if keys is None else keys[rows]
        parts.append((rows, fn(tokens[rows], attention[rows], sub_keys, int(value))))
    return pad_groups(parts, tokens.shape[0])


def gather_tokens(tokens: Tensor, index: Tensor, mask: Tensor) -> ReducedTokens:
    """Tokens at ``index`` [B, M] (-1 pad) without merging."""
    g = tokens.gather(1, index.clamp(min=0)[..., None].expand(-1, -1, tokens.shape[2]))
    return ReducedTokens(g * mask[..., None], mask, index)


class BudgetReducer(TokenReducer):
    """A baseline reducer with a token budget (an int, or [B] per image to match PruMerge)."""

    needs_keys = False

    def __init__(self, budget: int | Tensor) -> None:
        self.budget = budget

    def _reduce(self, tokens: Tensor, attention: Tensor, keys: Tensor | None) -> ReducedTokens:
        if self.needs_keys and keys is None:
            raise ValueError(f"keys: {self.name} measures similarity on keys; pass them")
        k = as_budget(self.budget, tokens.shape[0], tokens.shape[1], tokens.device)
        return self._budgeted(tokens, attention, keys, k)

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        raise NotImplementedError
