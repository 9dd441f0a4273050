"""Stage B2 (partial): the factorisable-emission machinery of kT factorisation at leading order —
one-loop α_s, Li–Sterman Sudakov exponent, RG evolution, threshold factor, B-meson wave function,
the hard kernel h_e — assembled into the B → π form factor F(0) (docs/pqcd.md §2.12) and the
longitudinal B → V form factors A_0^{Bs→φ}(0), A_0^{B→ρ}(0) (§2.13). The transverse B → V form
factors and the non-factorisable kernels are not built.

Everything is evaluated on one vectorised Gauss–Legendre grid in (x1, x3, b1, b3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import gamma, i0e, k0, k0e

from paperzoo.pqcd.das import check_gegenbauer
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.kinematics import gauss_legendre

__all__ = [
    "BV_SETS",
    "alpha_s",
    "b_meson_wave_function",
    "bpi_form_factor",
    "bv_form_factor_a0",
    "sudakov_s",
    "threshold_factor",
]

C_F = 4.0 / 3.0
N_C = 3.0
N_F = 4
BETA0 = (33.0 - 2.0 * N_F) / 12.0  # α_s/π = 1/(β0 ln(μ²/Λ²))
EULER = 0.5772156649015329


def alpha_s(mu: np.ndarray, lam: float) -> np.ndarray:
    """One-loop α_s(μ) = 4π/[(11 − 2n_f/3) ln(μ²/Λ²)], n_f = 4 (§2.12)."""
    return np.pi / (BETA0 * np.log(np.asarray(mu) ** 2 / lam**2))


def sudakov_s(q: np.ndarray, b: np.ndarray, lam: float, n: int = 16) -> np.ndarray:
    r"""s(Q, b) = ∫_{1/b}^{Q} dμ/μ [ln(Q/μ) A(α_s(μ)) + B(α_s(μ))], zero for Q ≤ 1/b, with
    A = C_F α_s/π + [67/9 − π²/3 − 10n_f/27 + (8/3)β0 ln(e^{γ_E}/2)](α_s/π)²,
    B = (2/3)(α_s/π) ln(e^{2γ_E − 1}/2) (§2.12)."""
    q, b = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(b, dtype=float))
    lo, hi = np.log(1.0 / b), np.log(np.maximum(q, 1.0 / b))
    u, w = np.polynomial.legendre.leggauss(n)
    mid, half = 0.5 * (hi + lo), 0.5 * (hi - lo)
    lnmu = mid[..., None] + half[..., None] * u  # [..., n]
    a = alpha_s(np.exp(lnmu), lam) / np.pi
    k1 = 67 / 9 - np.pi**2 / 3 - 10 * N_F / 27 + 8 / 3 * BETA0 * math.log(math.exp(EULER) / 2)
    big_a = C_F * a + k1 * a * a
    big_b = 2 / 3 * a * math.log(math.exp(2 * EULER - 1) / 2)
    integrand = (np.log(q)[..., None] - lnmu) * big_a + big_b
    return np.sum(w * integrand, axis=-1) * half


def _evolution(t: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """2∫_{1/b}^{t} dμ/μ γ_q with γ_q = −α_s/π: −(1/β0) ln[ln(t/Λ)/ln(1/(bΛ))] (§2.12)."""
    return -np.log(np.log(t / lam) / np.log(1.0 / (b * lam))) / BETA0


def threshold_factor(x: np.ndarray, c: float = 0.3) -> np.ndarray:
    """S_t(x) = 2^{1+2c} Γ(3/2 + c)/(√π Γ(1 + c)) [x(1 − x)]^c (§2.12)."""
    return (
        2 ** (1 + 2 * c) * gamma(1.5 + c) / (math.sqrt(math.pi) * gamma(1 + c)) * (x * (1 - x)) ** c
    )


def b_meson_wave_function(
    x: np.ndarray, b: np.ndarray, m_b: float, omega: float, f_b: float
) -> np.ndarray:
    """φ_B = N_B x²(1 − x)² exp[−m_B²x²/(2ω_B²) − ω_B²b²/2],
    normalised to ∫φ_B(x, 0)dx = f_B/(2√(2N_c)) (§2.12)."""
    xs, ws = gauss_legendre(0.0, 1.0, 200)
    shape0 = np.sum(ws * xs**2 * (1 - xs) ** 2 * np.exp(-(m_b**2) * xs**2 / (2 * omega**2)))
    norm = f_b / (2 * math.sqrt(2 * N_C)) / shape0
    return (
        norm * x**2 * (1 - x) ** 2 * np.exp(-(m_b**2) * x**2 / (2 * omega**2) - omega**2 * b**2 / 2)
    )


def _h_e(x1, x3, b1, b3, m_b, c):
    """h_e = K0(√(x1x3) m_B b1)[θ(b1 − b3)K0(√x3 m_B b1)I0(√x3 m_B b3) + (b1 ↔ b3)] S_t(x3)."""
    g = k0(np.sqrt(x1 * x3) * m_b * b1)
    bmax, bmin = np.maximum(b1, b3), np.minimum(b1, b3)
    q = np.sqrt(x3) * m_b
    # K0(q bmax) I0(q bmin) = [K0 e^{q bmax}][I0 e^{−q bmin}] e^{−q(bmax − bmin)}: no overflow
    prop = k0e(q * bmax) * i0e(q * bmin) * np.exp(-q * (bmax - bmin))
    return g * prop * threshold_factor(x3, c)


def _params(inp: Mapping[str, float] | None, overrides: Mapping[str, float]) -> dict[str, float]:
    p = dict(load_inputs() if inp is None else inp)
    unknown = sorted(set(overrides) - set(p))
    if unknown:
        raise KeyError(f"no inputs named {unknown}")
    return p | dict(overrides)


def _positive(**values: float) -> None:
    for name, v in values.items():
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be finite and > 0, got {v}")


def _factorisable_emission(p, m_b, f_b, omega_b, r, das, n_x, n_b, wilson=False):
    r"""8πC_F m_B² ∫dx1 dx3 b1db1 b3db3 φ_B {[(1 + x3)φ_2 + r(1 − 2x3)φ_3] E(t1) h_e(x1, x3, b1, b3)
    + 2r φ_3' E(t2) h_e(x3, x1, b3, b1)}, with (φ_2, φ_3, φ_3') = ``das(x3)`` (§2.12); with
    ``wilson`` the [10] integrals with C_i(t1), C_i(t2) inside (``wilson.running_modes``)."""
    lam, c = p["Lambda_QCD4"], p["threshold_c"]
    _positive(omega_B=omega_b, Lambda_QCD4=lam, m_B=m_b, f_B=f_b)
    x, wx = gauss_legendre(0.0, 1.0, n_x)
    b, wb = gauss_legendre(0.0, 1.0 / lam, n_b)
    x1, x3, b1, b3 = np.meshgrid(x, x, b, b, indexing="ij", sparse=True)
    wt = np.einsum("i,j,k,l->ijkl", wx, wx, wb * b, wb * b)
    phi2, phi3, phi3_second = das(x3)
    phib = b_meson_wave_function(x1, b1, m_b, omega_b, f_b)
    p_plus = m_b / math.sqrt(2)

    def e_factor(t):
        s_b = sudakov_s(x1 * p_plus, b1, lam) + _evolution(t, b1, lam)
        s_m = (
            sudakov_s(x3 * p_plus, b3, lam)
            + sudakov_s((1 - x3) * p_plus, b3, lam)
            + _evolution(t, b3, lam)
        )
        return alpha_s(t, lam) * np.exp(-s_b - s_m)

    inv = np.maximum(1.0 / b1, 1.0 / b3)
    t1 = np.maximum(np.sqrt(x3) * m_b, inv)
    t2 = np.maximum(np.sqrt(x1) * m_b, inv)
    term1 = (
        ((1 + x3) * phi2 + r * (1 - 2 * x3) * phi3) * e_factor(t1) * _h_e(x1, x3, b1, b3, m_b, c)
    )
    term2 = 2 * r * phi3_second * e_factor(t2) * _h_e(x3, x1, b3, b1, m_b, c)
    pre = 8 * math.pi * C_F * m_b**2
    if not wilson:
        return float(pre * np.sum(wt * phib * (term1 + term2)))
    from paperzoo.pqcd.wilson import running_modes

    amps, powers = running_modes(p)
    alpha0 = alpha_s(p["WC_mu_b"], lam)
    eta1, eta2 = alpha0 / alpha_s(t1, lam), alpha0 / alpha_s(t2, lam)
    modes = [np.sum(wt * phib * (term1 * eta1**pk + term2 * eta2**pk)) for pk in powers]
    return pre * (amps @ np.array(modes))


def bpi_form_factor(
    inp: Mapping[str, float] | None = None, n_x: int = 32, n_b: int = 40, **overrides: float
) -> float:
    r"""F^{B→π}(0) at LO in kT factorisation (§2.12): the factorisable emission with
    φ_2 = φ_A, φ_3 = φ_P + φ_T, φ_3' = φ_P and r = r0 = m0/m_B,
    E(t) = α_s(t) e^{−S_B(t) − S_π(t)}, pion DAs with a₂^π (twist 2) and η3, ω3
    (twist 3; m_π²/m0² neglected), b up to 1/Λ. Parameters from the input file (``inp``, default
    the shipped one), any of them replaced by ``overrides`` (e.g. ``omega_B=0.36``)."""
    p = _params(inp, overrides)
    m_b = p["m_B0"]
    eta3, omega3 = p["eta3_pi"], p["omega3_pi"]
    nrm = p["f_pi"] / (2 * math.sqrt(2 * N_C))
    a2 = check_gegenbauer(p["a2_pi"], "a2_pi")

    def das(x3):
        t = 2 * x3 - 1
        c2_half, c4_half = 0.5 * (3 * t * t - 1), (35 * t**4 - 30 * t * t + 3) / 8  # C_n^{1/2}
        phi_a = 6 * nrm * x3 * (1 - x3) * (1 + a2 * 1.5 * (5 * t * t - 1))
        phi_p = nrm * (1 + 30 * eta3 * c2_half - 3 * eta3 * omega3 * c4_half)
        phi_t = (
            nrm
            * (1 - 2 * x3)
            * (1 + 6 * (5 * eta3 - eta3 * omega3 / 2) * (1 - 10 * x3 + 10 * x3 * x3))
        )
        return phi_a, phi_p + phi_t, phi_p

    return _factorisable_emission(p, m_b, p["f_B"], p["omega_B"], p["m0_pi"] / m_b, das, n_x, n_b)


#: B → V sets: (parent mass, f_B, ω_B, vector meson suffix of m_, f_, f_*_T, a2_)
BV_SETS = {
    "Bs_phi": ("m_Bs", "f_Bs", "omega_Bs", "phi"),
    "B_rho": ("m_B0", "f_B", "omega_B", "rho"),
}


def bv_form_factor_a0(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 32,
    n_b: int = 40,
    wilson: bool = False,
    **overrides: float,
) -> float | np.ndarray:
    r"""A_0^{B→V}(0) at LO in kT factorisation (§2.13) (with ``wilson``: the [10] integrals
    ∫C_i(t) dA_0, the Wilson coefficients at each point's hard scale, §2.14): the factorisable
    emission with the
    longitudinal vector-meson DAs φ_2 = φ_V = 3f_V/√(2N_c) x(1 − x)[1 + a₂^∥ C₂^{3/2}(2x − 1)],
    φ_3 = φ^t + φ^s, φ_3' = φ^s, φ^t = 3f_V^T/(2√(2N_c)) (2x − 1)², φ^s = 3f_V^T/(2√(2N_c)) (1 − 2x)
    (asymptotic twist 3) and r = m_V/m_B; ``which`` is ``Bs_phi`` or ``B_rho``."""
    if which not in BV_SETS:
        raise ValueError(f"B → V set must be one of {tuple(BV_SETS)}, got {which!r}")
    p = _params(inp, overrides)
    mb_key, fb_key, om_key, v = BV_SETS[which]
    m_b, m_v = p[mb_key], p[f"m_{v}"]
    f_v, f_t = p[f"f_{v}"], p[f"f_{v}_T"]
    _positive(**{f"f_{v}": f_v, f"f_{v}_T": f_t, f"m_{v}": m_v})
    a2 = check_gegenbauer(p[f"a2_{v}"], f"a2_{v}")
    root = math.sqrt(2 * N_C)

    def das(x3):
        t = 2 * x3 - 1
        phi_v = 3 * f_v / root * x3 * (1 - x3) * (1 + a2 * 1.5 * (5 * t * t - 1))
        phi_t = 1.5 * f_t / root * t * t
        phi_s = -1.5 * f_t / root * t
        return phi_v, phi_t + phi_s, phi_s

    return _factorisable_emission(p, m_b, p[fb_key], p[om_key], m_v / m_b, das, n_x, n_b, wilson)
