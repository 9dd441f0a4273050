"""Four-body kinematics, phase-space weights and Gauss–Legendre grids (arrays in, arrays out)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "breakup_momentum",
    "gauss_legendre",
    "kallen",
    "pair_momentum",
    "peaked_gauss_legendre",
]


def kallen(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Källén function λ(x, y, z) = x² + y² + z² − 2xy − 2yz − 2zx (docs/pqcd.md §2.1)."""
    return x * x + y * y + z * z - 2.0 * (x * y + y * z + z * x)


def breakup_momentum(m: np.ndarray, m_a: float, m_b: float) -> np.ndarray:
    """k(ω) = λ^{1/2}(ω², m_a², m_b²)/(2ω): a daughter's momentum in the pair rest frame (§2.1)."""
    m = np.asarray(m, dtype=float)
    lam = kallen(m * m, m_a * m_a, m_b * m_b)
    return np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * m)


def pair_momentum(m_parent: float, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """k(ω1, ω2) = λ^{1/2}(m_B², ω1², ω2²)/(2 m_B): the pairs' momentum in the B frame (§2.1)."""
    lam = kallen(m_parent**2, np.asarray(w1) ** 2, np.asarray(w2) ** 2)
    return np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * m_parent)


def gauss_legendre(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the n-point Gauss–Legendre rule on [a, b] (§2.7)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not b > a:
        raise ValueError(f"need a < b, got [{a}, {b}]")
    x, w = np.polynomial.legendre.leggauss(n)
    half = 0.5 * (b - a)
    return a + half * (x + 1.0), half * w


def peaked_gauss_legendre(
    a: float, b: float, n: int, mass: float, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre in ω ∈ [a, b] after u = arctan((ω² − m²)/(mΓ)), which flattens a
    Breit–Wigner peak (§2.7): ω(u) = √(m² + mΓ tan u), dω/du = mΓ/(2ω cos²u)."""
    if not width > 0:
        raise ValueError(f"width must be > 0, got {width}")
    mg = mass * width
    ua, ub = np.arctan((a * a - mass * mass) / mg), np.arctan((b * b - mass * mass) / mg)
    u, wu = gauss_legendre(float(ua), float(ub), n)
    omega = np.sqrt(mass * mass + mg * np.tan(u))
    return omega, wu * mg / (2.0 * omega * np.cos(u) ** 2)
