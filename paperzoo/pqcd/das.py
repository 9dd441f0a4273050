"""Two-meson P-wave distribution amplitudes (twist 2), the first building block of the PQCD stage
B2 (docs/pqcd.md §2.11): φ⁰(z, ω²) = 3F(ω²)/√(2N_c) z(1 − z)[1 + a₂ C₂^{3/2}(2z − 1)].
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_gegenbauer", "gegenbauer_c2", "p_wave_twist2"]

#: C₂^{3/2}(t) = (3/2)(5t² − 1) spans [−3/2, 6] on [−1, 1], so φ ≥ 0 needs a₂ ∈ [−1/6, 2/3]
A2_RANGE = (-1.0 / 6.0, 2.0 / 3.0)


def gegenbauer_c2(t: np.ndarray) -> np.ndarray:
    """C₂^{3/2}(t) = (3/2)(5t² − 1) (§2.11)."""
    t = np.asarray(t, dtype=float)
    return 1.5 * (5.0 * t * t - 1.0)


def check_gegenbauer(a2: float, name: str = "a2") -> float:
    """``a2`` as float; ``ValueError`` if not finite or if the twist-2 DA would turn negative."""
    if isinstance(a2, bool) or not isinstance(a2, int | float) or not math.isfinite(a2):
        raise ValueError(f"{name}: Gegenbauer moment must be a finite number, got {a2!r}")
    lo, hi = A2_RANGE
    if not lo <= a2 <= hi:
        raise ValueError(
            f"{name} = {a2}: unphysical Gegenbauer moment, the DA turns negative outside "
            f"[{lo:.4f}, {hi:.4f}]"
        )
    return float(a2)


def p_wave_twist2(
    z: np.ndarray, a2: float, form_factor: complex = 1.0, nc: float = 3.0
) -> np.ndarray:
    r"""φ⁰(z) = 3F/√(2N_c) z(1 − z)[1 + a₂ C₂^{3/2}(2z − 1)], ∫₀¹ φ⁰ dz = F/(2√(2N_c)) (§2.11)."""
    a2 = check_gegenbauer(a2)
    z = np.asarray(z, dtype=float)
    if np.any((z < 0) | (z > 1)):
        raise ValueError("z: momentum fractions must lie in [0, 1]")
    return 3.0 * form_factor / math.sqrt(2 * nc) * z * (1 - z) * (1 + a2 * gegenbauer_c2(2 * z - 1))
