"""Stage B2: the factorisable-emission machinery of kT factorisation at leading order — one-loop
α_s, Li–Sterman Sudakov exponent, RG evolution, threshold factor, B-meson wave function, the hard
kernel h_e — assembled into the B → π form factor F(0) (docs/pqcd.md §2.12), the longitudinal
B → V form factor A_0(0) (§2.13) and the transverse A_1(0), V(0) (§2.17) of Bs → φ and B → ρ,
at q² = 0. The non-factorisable kernels are in ``nonfact``.

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
    "AXIAL_SIGN",
    "TRANSVERSE_FACTORISABLE",
    "bv_form_factor_a0",
    "bv_form_factors",
    "bs_form_factor",
    "bs_form_factor_basis",
    "SCALAR_BASIS",
    "scalar_weights",
    "SCALAR_SETS",
    "scalar_das",
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


def _factorisable_emission(p, m_b, f_b, omega_b, numerators, n_x, n_b, wilson=False):
    r"""8πC_F m_B² ∫dx1 dx3 b1db1 b3db3 φ_B {n_b E(t1) h_e(x1, x3, b1, b3)
    + n_q E(t2) h_e(x3, x1, b3, b1)} for each pair (n_b, n_q) of ``numerators(x1, x3)`` (§2.12):
    [k]; with ``wilson`` also the [k, 10] integrals with C_i(t1), C_i(t2) inside
    (``wilson.running_modes``), from the same pass over the grid. The numerators depend on
    (x1, x3) only, so the b integrals are done once for all of them."""
    lam, c = p["Lambda_QCD4"], p["threshold_c"]
    _positive(omega_B=omega_b, Lambda_QCD4=lam, m_B=m_b, f_B=f_b)
    x, wx = gauss_legendre(0.0, 1.0, n_x)
    b, wb = gauss_legendre(0.0, 1.0 / lam, n_b)
    x1, x3, b1, b3 = np.meshgrid(x, x, b, b, indexing="ij", sparse=True)
    wt = np.einsum("i,j,k,l->ijkl", wx, wx, wb * b, wb * b)
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
    base1 = wt * phib * e_factor(t1) * _h_e(x1, x3, b1, b3, m_b, c)
    base2 = wt * phib * e_factor(t2) * _h_e(x3, x1, b3, b1, m_b, c)
    reduced = [(base1.sum(axis=(2, 3)), base2.sum(axis=(2, 3)))]
    if wilson:
        from paperzoo.pqcd.wilson import running_eta, running_modes

        amps, powers = running_modes(p)
        eta1, eta2 = running_eta(t1, p), running_eta(t2, p)
        reduced += [
            ((base1 * eta1**pk).sum(axis=(2, 3)), (base2 * eta2**pk).sum(axis=(2, 3)))
            for pk in powers
        ]
    pairs = numerators(x1[:, :, 0, 0], x3[:, :, 0, 0])
    vals = np.array([[np.sum(r_b * n_b + r_q * n_q) for n_b, n_q in pairs] for r_b, r_q in reduced])
    vals = 8 * math.pi * C_F * m_b**2 * vals
    if not wilson:
        return vals[0]
    return vals[0], (amps @ vals[1:]).T


def bpi_form_factor(
    inp: Mapping[str, float] | None = None, n_x: int = 32, n_b: int = 40, **overrides: float
) -> float:
    r"""F^{B→π}(0) at LO in kT factorisation (§2.12): the factorisable emission with
    n_b = (1 + x3)φ_A + r0(1 − 2x3)(φ_P + φ_T), n_q = 2r0 φ_P, r0 = m0/m_B,
    E(t) = α_s(t) e^{−S_B(t) − S_π(t)}, pion DAs with a₂^π (twist 2) and η3, ω3
    (twist 3; m_π²/m0² neglected), b up to 1/Λ. Parameters from the input file (``inp``, default
    the shipped one), any of them replaced by ``overrides`` (e.g. ``omega_B=0.36``)."""
    p = _params(inp, overrides)
    m_b = p["m_B0"]
    eta3, omega3 = p["eta3_pi"], p["omega3_pi"]
    nrm = p["f_pi"] / (2 * math.sqrt(2 * N_C))
    a2 = check_gegenbauer(p["a2_pi"], "a2_pi")
    r0 = p["m0_pi"] / m_b

    def numerators(x1, x3):
        t = 2 * x3 - 1
        c2_half, c4_half = 0.5 * (3 * t * t - 1), (35 * t**4 - 30 * t * t + 3) / 8  # C_n^{1/2}
        phi_a = 6 * nrm * x3 * (1 - x3) * (1 + a2 * 1.5 * (5 * t * t - 1))
        phi_p = nrm * (1 + 30 * eta3 * c2_half - 3 * eta3 * omega3 * c4_half)
        phi_t = (
            nrm
            * (1 - 2 * x3)
            * (1 + 6 * (5 * eta3 - eta3 * omega3 / 2) * (1 - 10 * x3 + 10 * x3 * x3))
        )
        return [((1 + x3) * phi_a + r0 * (1 - 2 * x3) * (phi_p + phi_t), 2 * r0 * phi_p)]

    return float(_factorisable_emission(p, m_b, p["f_B"], p["omega_B"], numerators, n_x, n_b)[0])


#: B → V sets: (parent mass, f_B, ω_B, vector meson suffix of m_, f_, f_*_T, a2_)
BV_SETS = {
    "Bs_phi": ("m_Bs", "f_Bs", "omega_Bs", "phi"),
    "B_rho": ("m_B0", "f_B", "omega_B", "rho"),
}

#: sign of the transverse twist-3 φ^a terms: −1 gives the helicity hierarchy |F_+| ≪ |F_−| of
#: the factorisable amplitudes (with +1, F_+ > F_− and V(0) ≈ 0), docs/pqcd.md §2.17
AXIAL_SIGN = -1.0

#: factorisable transverse numerators (Q22), derived from the traces of
#: ``nonfact.transverse_traces`` with the emitted meson's local current ε̸* (tested), in units of
#: the twist-2 trace 32: {(helicity, recoil DA): ((1, x1, x3) coefficients with the gluon on the
#: b quark, the same with the gluon on the light quark)}; x3 the recoil's spectator fraction, the
#: DAs at the quark fraction; (+1, "T") is zero
TRANSVERSE_FACTORISABLE = {
    (-1, "T"): ((1.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    (-1, "v"): ((1.0, 0.0, 0.0), (1.0, 0.0, 0.0)),
    (-1, "a"): ((1.0, 0.0, 0.0), (1.0, 0.0, 0.0)),
    (1, "v"): ((1.0, 0.0, 1.0), (0.0, -1.0, 0.0)),
    (1, "a"): ((-1.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
}


def bv_form_factors(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 32,
    n_b: int = 40,
    wilson: bool = False,
    axial_sign: float = AXIAL_SIGN,
    **overrides: float,
) -> dict[str, float | np.ndarray]:
    r"""B → V form factors at q² = 0 at LO in kT factorisation, one grid for all (§2.13, §2.17):

    A_0: n_b = (1 + x)φ_V + r(1 − 2x)(φ^t + φ^s), n_q = 2rφ^s (longitudinal DAs
    φ_V = 3f_V/√(2N_c) x(1 − x)[1 + a₂^∥C₂^{3/2}(2x − 1)], φ^t = 3f_V^T/(2√(2N_c))(2x − 1)²,
    φ^s = 3f_V^T/(2√(2N_c))(1 − 2x)); the transverse helicity integrals F_∓ with the numerators
    of ``TRANSVERSE_FACTORISABLE`` (F_−: n_b = φ^T + r(φ^v + φ^a), n_q = r(φ^v + φ^a); F_+:
    n_b = r(1 + x)(φ^v − φ^a), n_q = −r x1(φ^v − φ^a)) and the transverse DAs
    φ^T = 3f_V^T/√(2N_c) x(1 − x), φ^v = 3f_V/(8√(2N_c))(1 + (2x − 1)²),
    φ^a = σ 3f_V/(4√(2N_c))(2x − 1) (asymptotic, at the quark fraction, as in
    ``nonfact.transverse_nonfactorisable``; σ = ``axial_sign``, by default ``AXIAL_SIGN`` = −1,
    the sign that gives |F_+| ≪ |F_−|), from which (1 + r)A_1 = F_− + F_+ and
    (1 − r)V = F_− − F_+ (the §2.9 helicity amplitudes at q² = 0:
    H_∓ = r_3 f_3 m_B²[(1 + r)A_1 ± (1 − r)V]); r = m_V/m_B.
    Keys ``A0``, ``A1``, ``V``, ``F_minus``, ``F_plus``; with ``wilson`` also ``A0_C``,
    ``A1_C``, ``V_C`` [10], the same with C_i(t) inside (§2.14). ``which``: ``Bs_phi``, ``B_rho``.
    """
    if which not in BV_SETS:
        raise ValueError(f"B → V set must be one of {tuple(BV_SETS)}, got {which!r}")
    if axial_sign not in (1.0, -1.0):
        raise ValueError(f"axial_sign must be +1 or -1, got {axial_sign!r}")
    p = _params(inp, overrides)
    mb_key, fb_key, om_key, v = BV_SETS[which]
    m_b, m_v = p[mb_key], p[f"m_{v}"]
    f_v, f_t = p[f"f_{v}"], p[f"f_{v}_T"]
    _positive(**{f"f_{v}": f_v, f"f_{v}_T": f_t, f"m_{v}": m_v})
    a2 = check_gegenbauer(p[f"a2_{v}"], f"a2_{v}")
    root = math.sqrt(2 * N_C)
    r = m_v / m_b

    def numerators(x1, x3):
        t = 2 * x3 - 1
        phi_v = 3 * f_v / root * x3 * (1 - x3) * (1 + a2 * 1.5 * (5 * t * t - 1))
        phi_t = 1.5 * f_t / root * t * t
        phi_s = -1.5 * f_t / root * t
        trans = {
            "T": 3 * f_t / root * x3 * (1 - x3),
            "v": r * 3 * f_v / (8 * root) * (1 + t * t),
            "a": axial_sign * r * 3 * f_v / (4 * root) * t,
        }
        out = [((1 + x3) * phi_v + r * (1 - 2 * x3) * (phi_t + phi_s), 2 * r * phi_s)]
        for hel in (-1, 1):
            n_b, n_q = 0.0, 0.0
            for (h, da), (cb, cq) in TRANSVERSE_FACTORISABLE.items():
                if h == hel:
                    n_b = n_b + (cb[0] + cb[1] * x1 + cb[2] * x3) * trans[da]
                    n_q = n_q + (cq[0] + cq[1] * x1 + cq[2] * x3) * trans[da]
            out.append((n_b, n_q))
        return out

    res = _factorisable_emission(p, m_b, p[fb_key], p[om_key], numerators, n_x, n_b, wilson)
    vals, weighted = (res, None) if not wilson else res

    def combine(v3):
        a0, f_minus, f_plus = v3
        return a0, (f_minus + f_plus) / (1 + r), (f_minus - f_plus) / (1 - r)

    a0, a1, vv = combine(vals)
    out: dict[str, float | np.ndarray] = {
        "A0": float(a0), "A1": float(a1), "V": float(vv),
        "F_minus": float(vals[1]), "F_plus": float(vals[2]),
    }  # fmt: skip
    if weighted is not None:
        out |= dict(zip(("A0_C", "A1_C", "V_C"), combine(weighted), strict=True))
    return out


def bv_form_factor_a0(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 32,
    n_b: int = 40,
    wilson: bool = False,
    **overrides: float,
) -> float | np.ndarray:
    r"""A_0^{B→V}(0) of ``bv_form_factors`` (§2.13); with ``wilson`` the [10] integrals
    ∫C_i(t) dA_0, the Wilson coefficients at each point's hard scale (§2.14)."""
    res = bv_form_factors(which, inp, n_x, n_b, wilson, **overrides)
    return res["A0_C"] if wilson else res["A0"]


#: B → S sets (f0(980) recoil, one q̄q component per unit content): parent mass, f_B, ω_B keys
SCALAR_SETS = {"Bs_f0": ("m_Bs", "f_Bs", "omega_Bs"), "B_f0": ("m_B0", "f_B", "omega_B")}


def scalar_das(x: np.ndarray, p: Mapping[str, float]) -> dict[str, np.ndarray]:
    r"""The f0(980) DAs of one q̄q component at the momentum fraction ``x`` (docs/pqcd.md §2.19):
    φ_S = 3f̄_S/√(2N_c) x(1 − x)[B_1C_1^{3/2}(2x − 1) + B_3C_3^{3/2}(2x − 1)] (twist 2, odd),
    φ_S^s = f̄_S/(2√(2N_c)) and φ_S^t = f̄_S(1 − 2x)/(2√(2N_c)) (asymptotic twist 3), the pion's
    φ_A, φ_P, φ_T of (Q13) with f̄_S in place of f_π; keys ``phi``, ``s``, ``t``."""
    fbar = p["f0_fbar_S"]
    _positive(f0_fbar_S=fbar)
    for name in ("f0_B1", "f0_B3"):
        if not (math.isfinite(p[name]) and abs(p[name]) <= 2):
            raise ValueError(f"{name} must be finite with |{name}| <= 2, got {p[name]}")
    t = 2 * np.asarray(x, dtype=float) - 1
    root = math.sqrt(2 * N_C)
    gegen = p["f0_B1"] * 3 * t + p["f0_B3"] * 2.5 * t * (7 * t * t - 3)
    return {
        "phi": 3 * fbar / root * x * (1 - x) * gegen,
        "s": fbar / (2 * root) + 0 * t,
        "t": -fbar / (2 * root) * t,
    }


def scalar_weights(p: Mapping[str, float], m_b: float) -> np.ndarray:
    """(f̄_S B_1, f̄_S B_3, f̄_S r_S) [3]: the S-wave integrals are linear in these (§2.19), so
    ``bs_form_factor`` and ``nonfact.scalar_nonfactorisable`` integrate once per unit of each
    (``scalar_das`` with f̄_S = 1 and one moment at a time) and the f0 inputs only weight them."""
    scalar_das(np.zeros(1), p)  # checks f̄_S, B_1, B_3
    _positive(f0_mass=p["f0_mass"])
    fbar = p["f0_fbar_S"]
    return fbar * np.array([p["f0_B1"], p["f0_B3"], p["f0_mass"] / m_b])


#: the unit DA sets of the three S-wave basis integrals: (B_1, B_3, twist 3 per unit r_S)
SCALAR_BASIS = (
    {"f0_fbar_S": 1.0, "f0_B1": 1.0, "f0_B3": 0.0},
    {"f0_fbar_S": 1.0, "f0_B1": 0.0, "f0_B3": 1.0},
    {"f0_fbar_S": 1.0, "f0_B1": 0.0, "f0_B3": 0.0},
)


def bs_form_factor_basis(
    which: str, inp: Mapping[str, float] | None = None, n_x: int = 32, n_b: int = 40, **overrides
) -> tuple[np.ndarray, np.ndarray]:
    """The three basis integrals of F^{B→f0}(0) (``scalar_weights``) [3] and with C_i(t) inside
    [3, 10], one pass over the grid (§2.19)."""
    if which not in SCALAR_SETS:
        raise ValueError(f"B → S set must be one of {tuple(SCALAR_SETS)}, got {which!r}")
    p = _params(inp, overrides)
    mb_key, fb_key, om_key = SCALAR_SETS[which]
    m_b = p[mb_key]

    def numerators(x1, x3):
        tw2 = [scalar_das(x3, u)["phi"] for u in SCALAR_BASIS[:2]]
        tw3 = scalar_das(x3, SCALAR_BASIS[2])
        return [
            ((1 + x3) * tw2[0], 0.0 * x3),
            ((1 + x3) * tw2[1], 0.0 * x3),
            ((1 - 2 * x3) * (tw3["s"] + tw3["t"]), 2 * tw3["s"]),
        ]

    vals, weighted = _factorisable_emission(
        p, m_b, p[fb_key], p[om_key], numerators, n_x, n_b, wilson=True
    )
    return vals, weighted


def bs_form_factor(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 32,
    n_b: int = 40,
    wilson: bool = False,
    **overrides: float,
) -> float | tuple[float, np.ndarray]:
    r"""F^{B→f0}(0) of one q̄q component of the f0(980) at LO in kT factorisation (§2.19, Q24): the
    integral (Q13) with the f0 DAs of ``scalar_das`` for the pion's (φ_A → φ_S, φ_P → φ_S^s,
    φ_T → φ_S^t) and r_S = m_f0/m_B for r0 (the scalar projector P̸φ_S + m_Sφ_S^s +
    m_S(n̸v̸ − 1)φ_S^t is the longitudinal vector one with other DAs, §2.19):
    n_b = (1 + x)φ_S + r_S(1 − 2x)(φ_S^s + φ_S^t), n_q = 2r_Sφ_S^s. With ``wilson`` also the
    [10] integrals with C_i(t) inside (§2.14): returns (F, ∫C_i dF). ``which``: ``Bs_f0``
    (Bs → ss̄ component) or ``B_f0`` (B → dd̄ or uū)."""
    if which not in SCALAR_SETS:
        raise ValueError(f"B → S set must be one of {tuple(SCALAR_SETS)}, got {which!r}")
    p = _params(inp, overrides)
    weights = scalar_weights(p, p[SCALAR_SETS[which][0]])
    vals, weighted = bs_form_factor_basis(which, p, n_x, n_b)
    if not wilson:
        return float(weights @ vals)
    return float(weights @ vals), weights @ weighted
