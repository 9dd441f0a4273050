"""Lineshapes of the pairs: Gounaris–Sakurai ρ, relativistic Breit–Wigner φ with Blatt–Weisskopf
barriers, Flatté f0(980); and the normalised amplitude lineshapes that enter the four-body rate.

Pure functions of s = ω² (GeV²); docs/pqcd.md §2.3.
"""

from __future__ import annotations

import numpy as np

from paperzoo.pqcd.kinematics import breakup_momentum

__all__ = [
    "blatt_weisskopf_p",
    "flatte_denominator",
    "gs_d",
    "gs_denominator",
    "gs_form_factor",
    "gs_h",
    "p_wave_width",
    "rbw_denominator",
    "resonance_amplitude",
    "s_wave_amplitude",
]


def _check_resonance(mass: float, width: float) -> None:
    if not (np.isfinite(mass) and mass > 0):
        raise ValueError(f"resonance mass must be finite and > 0, got {mass}")
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"resonance width must be finite and > 0, got {width}")


def blatt_weisskopf_p(k: np.ndarray, radius: float) -> np.ndarray:
    """P-wave barrier B₁(k)² ∝ (kR)²/(1 + (kR)²), returned as 1/(1 + (kR)²) (the k² is explicit
    in Γ(s)); docs/pqcd.md §2.3."""
    return 1.0 / (1.0 + (np.asarray(k) * radius) ** 2)


def p_wave_width(
    s: np.ndarray, mass: float, width: float, m_a: float, m_b: float, radius: float
) -> np.ndarray:
    r"""Γ(s) = Γ (m/√s) (k/k_m)³ B(k)/B(k_m), with the Blatt–Weisskopf factor (§2.3)."""
    w = np.sqrt(s)
    k, km = breakup_momentum(w, m_a, m_b), breakup_momentum(np.asarray(mass), m_a, m_b)
    ratio = blatt_weisskopf_p(k, radius) / blatt_weisskopf_p(km, radius)
    return width * (mass / w) * (k / km) ** 3 * ratio


def rbw_denominator(
    s: np.ndarray, mass: float, width: float, m_a: float, m_b: float, radius: float
) -> np.ndarray:
    """D(s) = m² − s − i m Γ(s) of the relativistic Breit–Wigner (φ) (§2.3)."""
    _check_resonance(mass, width)
    return mass * mass - s - 1j * mass * p_wave_width(s, mass, width, m_a, m_b, radius)


def gs_h(s: np.ndarray, m_pi: float) -> np.ndarray:
    r"""h(s) = (2/π)(k/√s) ln[(√s + 2k)/(2m_π)] for s ≥ 4m_π², and h(0) = 1/π, the finite part
    of the s → 0 limit that Gounaris–Sakurai's normalisation F(0) = 1 uses (§2.3)."""
    s = np.asarray(s, dtype=float)
    if np.any((s > 0) & (s < 4 * m_pi**2)) or np.any(s < 0):
        raise ValueError("gs_h: s must be 0 or at least the ππ threshold 4 m_π²")
    safe = np.where(s > 0, s, 1.0)
    w = np.sqrt(safe)
    k = breakup_momentum(w, m_pi, m_pi)
    h = (2.0 / np.pi) * (k / w) * np.log((w + 2.0 * k) / (2.0 * m_pi))
    return np.where(s > 0, h, 1.0 / np.pi)


def _gs_dh(mass: float, m_pi: float) -> float:
    """h'(m²) = (2/π)[L/(8k m) − k L/(2m³) + 1/(4m²)], L = ln((m + 2k)/(2m_π)) (§2.3)."""
    k = float(breakup_momentum(np.asarray(mass), m_pi, m_pi))
    log = np.log((mass + 2 * k) / (2 * m_pi))
    return (2.0 / np.pi) * (log / (8 * k * mass) - k * log / (2 * mass**3) + 1 / (4 * mass**2))


def gs_d(mass: float, m_pi: float) -> float:
    """d = (3/π)(m_π²/k_m²) ln[(m + 2k_m)/(2m_π)] + m/(2πk_m) − m_π² m/(πk_m³) (§2.3)."""
    k = float(breakup_momentum(np.asarray(mass), m_pi, m_pi))
    log = np.log((mass + 2 * k) / (2 * m_pi))
    return (
        3 / np.pi * m_pi**2 / k**2 * log + mass / (2 * np.pi * k) - m_pi**2 * mass / (np.pi * k**3)
    )


def gs_denominator(
    s: np.ndarray, mass: float, width: float, m_pi: float, radius: float = 0.0
) -> np.ndarray:
    r"""D(s) = m² − s + f(s) − i m Γ(s), f(s) = Γm²/k_m³ [k²(h(s) − h(m²)) + (m² − s)k_m² h'(m²)]
    (Gounaris–Sakurai ρ; ``radius`` 0 gives the original GS width) (§2.3)."""
    _check_resonance(mass, width)
    s = np.asarray(s, dtype=float)
    km = float(breakup_momentum(np.asarray(mass), m_pi, m_pi))
    k2 = s / 4.0 - m_pi**2
    hm = float(gs_h(np.asarray(mass * mass), m_pi))
    f = (
        width
        * mass**2
        / km**3
        * (k2 * (gs_h(s, m_pi) - hm) + (mass**2 - s) * km**2 * _gs_dh(mass, m_pi))
    )
    gamma = np.where(
        s > 0, p_wave_width(np.where(s > 0, s, mass**2), mass, width, m_pi, m_pi, radius), 0.0
    )
    return mass**2 - s + f - 1j * mass * gamma


def gs_form_factor(s: np.ndarray, mass: float, width: float, m_pi: float) -> np.ndarray:
    """F(s) = m²(1 + dΓ/m)/D_GS(s), normalised to F(0) = 1 (§2.3)."""
    return mass**2 * (1 + gs_d(mass, m_pi) * width / mass) / gs_denominator(s, mass, width, m_pi)


def _rho_phase_space(s: np.ndarray, m: float) -> np.ndarray:
    """ρ(s) = √(1 − 4m²/s), continued to i√(4m²/s − 1) below threshold (§2.3)."""
    return np.sqrt((1.0 - 4.0 * m * m / np.asarray(s, dtype=float)).astype(complex))


def flatte_denominator(
    s: np.ndarray, mass: float, g_pipi: float, g_kk: float, m_pi: float, m_k: float
) -> np.ndarray:
    """D(s) = m² − s − i m (g_ππ ρ_ππ + g_KK ρ_KK), ρ_KK analytically continued (f0(980)) (§2.3)."""
    _check_resonance(mass, g_pipi)
    if not g_kk >= 0:
        raise ValueError(f"Flatté g_KK must be >= 0, got {g_kk}")
    return (
        mass**2
        - s
        - 1j * mass * (g_pipi * _rho_phase_space(s, m_pi) + g_kk * _rho_phase_space(s, m_k))
    )


def resonance_amplitude(
    w: np.ndarray, denominator: np.ndarray, mass: float, partial_width: np.ndarray
) -> np.ndarray:
    r"""L(ω) = √(2ω · m Γ_ab(ω)/π) / D(ω): |L|² dω is the spectral density of the pair in the
    observed channel ab, which integrates to B(R → ab) as Γ → 0 (§2.3)."""
    return np.sqrt(2.0 * w * mass * partial_width / np.pi) / denominator


def s_wave_amplitude(
    w: np.ndarray, mass: float, g_pipi: float, g_kk: float, m_pi: float, m_k: float, channel: str
) -> np.ndarray:
    """Flatté f0(980) amplitude lineshape in the π⁺π⁻ (2/3 of ππ) or K⁺K⁻ (1/2 of KK̄) channel."""
    s = np.asarray(w, dtype=float) ** 2
    d = flatte_denominator(s, mass, g_pipi, g_kk, m_pi, m_k)
    if channel == "pipi":
        partial = (2.0 / 3.0) * g_pipi * _rho_phase_space(s, m_pi).real
    elif channel == "KK":
        partial = 0.5 * g_kk * _rho_phase_space(s, m_k).real
    else:
        raise ValueError(f"channel must be 'pipi' or 'KK', got {channel!r}")
    return resonance_amplitude(np.asarray(w), d, mass, partial)
