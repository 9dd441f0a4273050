"""SaCo equations as pure tensor functions.

"On the Faithfulness of Vision Transformer Explanations", Wu et al., CVPR 2024,
arXiv:2404.01415 (v1).
Pixels (or patches) are ranked by salience into K groups; each group is perturbed on its own; the
coefficient weighs pairwise agreement between salience gaps and output changes. The method, its
equations (tags ``Eq. (S1)``–``Eq. (S4)``): docs/saco.md §2; our deviations: docs/saco.md §3.
"""

from __future__ import annotations

import torch
from torch import Tensor


def group_sizes(n_units: int, k: int) -> Tensor:
    """Sizes of K consecutive rank groups over ``n_units`` units.

    Remainder rule: when K does not divide the count, the first ``n_units mod K`` (most salient)
    groups hold one unit more, so sizes differ by at most one.
    """
    base, extra = divmod(n_units, k)
    return torch.tensor([base + (i < extra) for i in range(k)])


def descending_ranks(salience: Tensor) -> Tensor:
    """Rank of each unit by descending salience (0 = most salient; ties keep index order).

    salience: [B, P] -> int64 [B, P].
    """
    order = torch.sort(salience, dim=1, descending=True, stable=True).indices  # unit at each rank
    ranks = torch.empty_like(order)
    return ranks.scatter_(
        1, order, torch.arange(order.shape[1], device=order.device).expand_as(order)
    )


def salience_groups(salience: Tensor, k: int) -> Tensor:
    """Group index (0 = most salient) of every unit: K consecutive groups of the ranking.

    salience: [B, P] -> int64 [B, P] with values in [0, K).
    """
    if salience.ndim != 2:
        raise ValueError(f"salience must be [B, P], got shape {list(salience.shape)}")
    if not 1 <= k <= salience.shape[1]:
        raise ValueError(f"k must be in [1, {salience.shape[1]}] (units per map), got {k!r}")
    bounds = torch.cumsum(group_sizes(salience.shape[1], k), 0).to(salience.device)
    return torch.searchsorted(bounds, descending_ranks(salience), right=True)


def group_salience(salience: Tensor, groups: Tensor, k: int) -> Tensor:
    """s_i = Σ_{p ∈ G_i} M_p, the summed salience of each group. [B, P] -> [B, K]."""
    s = salience.new_zeros(salience.shape[0], k)
    return s.scatter_add_(1, groups, salience)  # s_i = Σ_{p∈G_i} M_p


def saco_coefficient(s: Tensor, delta: Tensor) -> Tensor:
    """F = Σ_{i<j} σ_ij (s_i − s_j) / Σ_{i<j} |s_i − s_j|, σ_ij = +1 if Δ_i ≥ Δ_j else −1.

    Groups are first sorted by descending salience s (stably), as the definition orders them, so
    F does not depend on the order groups arrive in. Tie rule: tied Δ count as agreement
    (σ = +1); pairs with tied s weigh zero, so their order is irrelevant.
    s, delta: finite float [B, K] -> [B]; NaN where every s_i is equal (zero total weight).
    """
    for name, t in (("s", s), ("delta", delta)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise TypeError(f"{name} must be a float tensor, got {getattr(t, 'dtype', type(t))}")
        if t.ndim != 2:
            raise ValueError(f"{name} must be [B, K], got shape {list(t.shape)}")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or inf")
    if s.shape != delta.shape or s.device != delta.device:
        raise ValueError(
            f"s and delta must have the same shape and device, got {list(s.shape)} on "
            f"{s.device} and {list(delta.shape)} on {delta.device}"
        )
    dtype = torch.promote_types(s.dtype, delta.dtype)
    s, order = torch.sort(s.to(dtype), dim=1, descending=True, stable=True)  # s_1 ≥ … ≥ s_K
    delta = delta.to(dtype).gather(1, order)
    gap = s.unsqueeze(2) - s.unsqueeze(1)  # s_i − s_j, [B, K, K]
    sigma = torch.where(delta.unsqueeze(2) >= delta.unsqueeze(1), 1.0, -1.0).to(dtype)
    upper = torch.triu(torch.ones_like(gap[0], dtype=torch.bool), diagonal=1)  # pairs i < j
    numerator = (sigma * gap * upper).sum((1, 2))
    denominator = (gap.abs() * upper).sum((1, 2))
    return torch.where(denominator > 0, numerator / denominator, torch.nan)  # Eq. (S4)
