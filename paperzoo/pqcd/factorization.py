"""Stage B1: quasi-two-body naive factorisation of B → V1 V2 (docs/pqcd.md §2.9).

B → V form factors from the Ball–Zwicky (2005) LCSR fits, effective coefficients a_i = C_i +
C_{i±1}/N_c at μ = m_b, helicity amplitudes (A_0, A_∥, A_⊥) at off-shell pair masses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from paperzoo.pqcd.kinematics import pair_momentum

__all__ = ["effective_coefficients", "form_factors", "helicity_amplitudes"]

FORM_FACTOR_SETS = ("Bs_phi", "B_rho")


def form_factors(q2: np.ndarray, which: str, inp: Mapping[str, float]) -> tuple[np.ndarray, ...]:
    r"""(V, A1, A2)(q²) of Ball–Zwicky (2005) (§2.9):
    V = r1/(1 − q²/m_R²) + r2/(1 − q²/m_fit²), A1 = r2/(1 − q²/m_fit²),
    A2 = r1/(1 − q²/m_fit²) + r2/(1 − q²/m_fit²)², all times the set's normalisation input."""
    if which not in FORM_FACTOR_SETS:
        raise ValueError(f"form-factor set must be one of {FORM_FACTOR_SETS}, got {which!r}")
    p = f"ff_{which}_"
    q2 = np.asarray(q2, dtype=float)
    v = inp[p + "V_r1"] / (1 - q2 / inp[p + "V_mR2"]) + inp[p + "V_r2"] / (
        1 - q2 / inp[p + "V_mfit2"]
    )
    a1 = inp[p + "A1_r2"] / (1 - q2 / inp[p + "A1_mfit2"])
    x = 1 - q2 / inp[p + "A2_mfit2"]
    a2 = inp[p + "A2_r1"] / x + inp[p + "A2_r2"] / x**2
    norm = inp[p + "norm"]
    return norm * v, norm * a1, norm * a2


def effective_coefficients(inp: Mapping[str, float]) -> dict[str, float]:
    r"""a_i = C_i + C_{i+1}/N_c (i odd), a_i = C_i + C_{i−1}/N_c (i even); a_2 = C_1 + C_2/N_c
    in the PQCD numbering where O_2 is the colour-allowed tree (§2.9)."""
    nc, alpha = inp["Nc"], inp["alpha_em"]
    c = {i: inp[f"C{i}"] for i in range(1, 7)}
    c |= {i: inp[f"C{i}_over_alpha"] * alpha for i in range(7, 11)}
    a = {"a1": c[2] + c[1] / nc, "a2": c[1] + c[2] / nc}
    for i in (3, 5, 7, 9):
        a[f"a{i}"] = c[i] + c[i + 1] / nc
    for i in (4, 6, 8, 10):
        a[f"a{i}"] = c[i] + c[i - 1] / nc
    return a


def helicity_amplitudes(
    m_b: float, x: np.ndarray, y: np.ndarray, f_emit: float, ffs: tuple[np.ndarray, ...]
) -> np.ndarray:
    r"""(A_0, A_∥, A_⊥) [..., 3] of ⟨V1(x) V2(y)|(q̄q)(q̄b)|B⟩ = f_1 x ε*₁·⟨V2|J|B⟩ for the
    emitted V1 (mass x) and recoil V2 (mass y) (§2.9):
    A_0 = f_1/(2y) [(m_B² − x² − y²)(m_B + y)A1 − 4m_B²p²A2/(m_B + y)],
    A_∥ = √2 f_1 x (m_B + y) A1, A_⊥ = −2√2 f_1 x m_B p V/(m_B + y)."""
    v, a1, a2 = ffs
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    p = pair_momentum(m_b, x, y)
    a0 = (
        f_emit
        / (2 * y)
        * ((m_b**2 - x**2 - y**2) * (m_b + y) * a1 - 4 * m_b**2 * p**2 * a2 / (m_b + y))
    )
    apara = math.sqrt(2) * f_emit * x * (m_b + y) * a1
    aperp = -2 * math.sqrt(2) * f_emit * x * m_b * p * v / (m_b + y)
    return np.stack([a0, apara, aperp], axis=-1)
