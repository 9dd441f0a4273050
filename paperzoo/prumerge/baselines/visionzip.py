"""VisionZip-style (arXiv:2412.04467): dominant tokens by [CLS] attention plus contextual tokens
that merge the rest onto uniformly spaced targets by key similarity."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import register_token_reducer
from paperzoo.prumerge.baselines._common import BudgetReducer, by_budget

CONTEXTUAL_SHARE = 10 / 64  # VisionZip's default 54 dominant + 10 contextual


def dominant_contextual(x: Tensor, attention: Tensor, keys: Tensor, k: int) -> ReducedTokens:
    """``k`` tokens: d = k − c dominant (top [CLS] attention) and c = round(k·10/64) contextual.

    The n − d remaining tokens (raster order) are assigned to the most cosine-similar of c targets
    spaced uniformly among them; each contextual token is the mean of its group (target included).
    """
    b, n, dim = x.shape
    c = max(1, round(k * CONTEXTUAL_SHARE)) if k > 1 else 0
    d = k - c
    order = attention.argsort(dim=1, descending=True, stable=True)
    dom = order[:, :d]
    rest = order[:, d:].sort(1).values  # [B, n − d], raster order
    parts, index = [x.gather(1, dom[..., None].expand(-1, -1, dim))], [dom]
    if c:
        m = rest.shape[1]
        step = max(1, m // c)
        slots = torch.arange(0, step * c, step, device=x.device).clamp(max=m - 1)
        kr = F.normalize(keys.gather(1, rest[..., None].expand(-1, -1, keys.shape[-1])), dim=-1)
        group = (kr @ kr[:, slots].transpose(1, 2)).argmax(-1)  # [B, m] -> target slot
        group[:, slots] = torch.arange(c, device=x.device)  # a target belongs to itself
        xr = x.gather(1, rest[..., None].expand(-1, -1, dim))
        sums = x.new_zeros(b, c, dim).scatter_add(1, group[..., None].expand(-1, -1, dim), xr)
        counts = x.new_zeros(b, c).scatter_add(1, group, x.new_ones(b, m))
        parts.append(sums / counts[..., None])
        index.append(rest[:, slots])
    out = torch.cat(parts, 1)
    return ReducedTokens(
        out, torch.ones(b, k, dtype=torch.bool, device=x.device), torch.cat(index, 1)
    )


@register_token_reducer
class VisionZip(BudgetReducer):
    """``VisionZip(budget)``: dominant + contextual tokens, ``budget[b]`` in all per image."""

    name: ClassVar[str] = "visionzip"
    paper: ClassVar[str] = "VisionZip (arXiv:2412.04467)"
    needs_keys = True

    def _budgeted(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None, k: Tensor
    ) -> ReducedTokens:
        return by_budget(dominant_contextual, tokens, attention, keys, k)
