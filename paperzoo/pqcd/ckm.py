"""CKM matrix from the Wolfenstein parameters (λ, A, ρ̄, η̄), exactly unitary (docs/pqcd.md §2.8)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ckm_matrix", "weak_factors"]


def ckm_matrix(lam: float, a: float, rhobar: float, etabar: float) -> np.ndarray:
    r"""V_CKM [3, 3] (rows u c t, columns d s b) in the standard parametrisation with
    s12 = λ, s23 = Aλ², s13 e^{iδ} = Aλ³(ρ̄ + iη̄)√(1 − A²λ⁴)/[√(1 − λ²)(1 − A²λ⁴(ρ̄ + iη̄))]."""
    for name, v in (("lambda", lam), ("A", a), ("rhobar", rhobar), ("etabar", etabar)):
        if not math.isfinite(v):
            raise ValueError(f"CKM parameter {name} is not finite: {v}")
    if not 0 < lam < 1 or not 0 < a * lam * lam < 1:
        raise ValueError(f"need 0 < λ < 1 and 0 < Aλ² < 1, got λ = {lam}, A = {a}")
    rho = complex(rhobar, etabar)
    s12, s23 = lam, a * lam * lam
    s13e = (
        a
        * lam**3
        * rho
        * math.sqrt(1 - a * a * lam**4)
        / (math.sqrt(1 - lam * lam) * (1 - a * a * lam**4 * rho))
    )
    s13 = abs(s13e)
    if not s13 < 1:
        raise ValueError("CKM parameters give |s13| >= 1")
    e = s13e / s13 if s13 > 0 else 1.0  # e^{iδ}
    c12, c23, c13 = (math.sqrt(1 - x * x) for x in (s12, s23, s13))
    return np.array(
        [
            [c12 * c13, s12 * c13, s13 * np.conj(e)],
            [-s12 * c23 - c12 * s23 * s13 * e, c12 * c23 - s12 * s23 * s13 * e, s23 * c13],
            [s12 * s23 - c12 * c23 * s13 * e, -c12 * s23 - s12 * c23 * s13 * e, c23 * c13],
        ],
        dtype=complex,
    )


def weak_factors(v: np.ndarray, q: str) -> tuple[complex, complex]:
    """(λ_u, λ_t) = (V_ub V_uq*, V_tb V_tq*) for b → q, q = 'd' or 's' (§2.8)."""
    col = {"d": 0, "s": 1}.get(q)
    if col is None:
        raise ValueError(f"q must be 'd' or 's', got {q!r}")
    return complex(v[0, 2] * np.conj(v[0, col])), complex(v[2, 2] * np.conj(v[2, col]))
