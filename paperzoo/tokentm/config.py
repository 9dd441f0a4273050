"""Typed options of TokenTM and of its evaluation (each baseline's config sits in its module)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

STEPS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class EvalConfig:
    """The perturbation and segmentation tests: ``n`` test images, ``steps`` removal fractions."""

    n: int = 500
    batch_size: int = 50
    steps: tuple[float, ...] = STEPS

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        s = self.steps
        if len(s) < 2 or s[0] != 0.0 or s[-1] != 1.0 or any(b <= a for a, b in pairwise(s)):
            raise ValueError(f"steps must increase from 0.0 to 1.0, got {s!r}")


@dataclass(frozen=True)
class TokenTMConfig:
    """TokenTM switches; defaults follow LibraGrad's re-implementation (docs/tokentm.md §2.9).

    necc_scale: 'softmax' (weights sum to 1; LibraGrad) or 'n' (× N, mean 1)         — ambiguity 1
    transformation: 'sublayer' (X→Y, Y→Z incl. residual; LibraGrad) or 'branch'
        (W_O W_V LN₁(X) for attention, MLP(LN₂(Y)) for the MLP, residual excluded)   — ambiguity 2
    gating: 'mean' (mean_h A · W ⊙ mean_h ReLU ∇A; LibraGrad) or 'per_head' (Chefer) — ambiguity 3
    c0_positional: C₀ includes position embeddings (Z₀ is post-position; LibraGrad)  — ambiguity 4
    token_weights / mlp_term / init: ablations; ``token_weights=False, mlp_term=False,
        gating='per_head', init='identity'`` is GenAtt exactly.
    fast: CLS-row recursion O(L·N²) instead of the full product O(L·N³).
    """

    necc_scale: Literal["softmax", "n"] = "softmax"
    transformation: Literal["sublayer", "branch"] = "sublayer"
    gating: Literal["mean", "per_head"] = "mean"
    c0_positional: bool = True
    token_weights: bool = True
    mlp_term: bool = True
    init: Literal["norms", "identity"] = "norms"
    fast: bool = True
    eps: float = 1e-6

    def __post_init__(self) -> None:
        choices = {
            "necc_scale": ("softmax", "n"),
            "transformation": ("sublayer", "branch"),
            "gating": ("mean", "per_head"),
            "init": ("norms", "identity"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not self.eps > 0:
            raise ValueError(f"eps must be > 0, got {self.eps!r}")
