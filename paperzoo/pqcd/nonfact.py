"""Stage B3 (partial): LO non-factorisable emission of B → V2 V3 in kT factorisation, the
longitudinal polarisation at twist 2 and twist 3 and both transverse helicities (recoil twist 2
and 3, emitted meson twist 3) (docs/pqcd.md §2.15).

V2 is the recoil meson (it takes the spectator, fraction x2), V3 the emitted one (x3); the B
spectator carries x1. The hard gluon runs from the spectator to the emitted meson's quark
(diagram c) or antiquark (diagram d). The Dirac numerators (Q16), (Q20) were derived here from
the traces (``trace_core``, explicit 4 × 4 matrices, tested against the closed forms); the same
traces give the factorisable numerators (1 + x2) and 0 of (Q13)/(Q14) and the transverse 2 (in
helicity − only), which fixes the relative normalisation and sign. The internal quark goes on
shell inside the x3 range, so the b-space propagator turns into (iπ/2)H0^(1): the strong phase
(Q17). The twist-3 numerators (Q16′) and the transverse ones come from the same traces, fitted
at import. The transverse terms are gauge dependent at this order (the k_⊥-derivative terms of
the twist-3 projectors are not built); the S-wave is not built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from scipy.special import hankel1, i0e, k0, k0e

from paperzoo.pqcd.das import check_gegenbauer
from paperzoo.pqcd.kinematics import gauss_legendre
from paperzoo.pqcd.kt import (
    AXIAL_SIGN,
    BV_SETS,
    C_F,
    N_C,
    SCALAR_BASIS,
    SCALAR_SETS,
    _evolution,
    _params,
    _positive,
    alpha_s,
    b_meson_wave_function,
    scalar_das,
    scalar_weights,
    sudakov_s,
)
from paperzoo.pqcd.wilson import running_eta, running_modes

__all__ = [
    "DA_KINDS",
    "EMITTED",
    "collinear_numerators",
    "nonfact_kernel",
    "nonfactorisable_amplitudes",
    "nonfactorisable_emission",
    "numerators",
    "scalar_nonfactorisable",
    "scalar_nonfactorisable_basis",
    "twist3_coefficients",
    "trace_core",
    "transverse_coefficients",
    "transverse_nonfactorisable",
    "transverse_projectors",
    "transverse_traces",
]

#: the emitted meson of each B → V2 set (the recoil V2 is the set's vector meson)
EMITTED = {"Bs_phi": "rho", "B_rho": "phi"}


# --- Dirac traces (derivation and test of (Q16)) -------------------------------------------------
_ETA = np.array([1.0, -1.0, -1.0, -1.0])


def _gammas() -> tuple[np.ndarray, np.ndarray]:
    one, zero = np.eye(2), np.zeros((2, 2))
    pauli = (
        np.array([[0, 1], [1, 0]]),
        np.array([[0, -1j], [1j, 0]]),
        np.array([[1, 0], [0, -1]]),
    )
    g = [np.block([[one, zero], [zero, -one]])]
    g += [np.block([[zero, s], [-s, zero]]) for s in pauli]
    gam = np.array(g, dtype=complex)  # [4, 4, 4]: γ^μ (Dirac representation)
    return gam, 1j * gam[0] @ gam[1] @ gam[2] @ gam[3]


#: projector choices per meson: twist 2 (P̸), twist-3 σ-type (ε̸_L P̸/m_V) and scalar (1)
DA_KINDS = ("phi", "t", "s")


def collinear_numerators(x1, x2, x3, da2: str = "phi", da3: str = "phi") -> dict[str, np.ndarray]:
    r"""Dirac numerators at k_T = 0, m_B = 1, longitudinal V2, V3, by explicit traces
    (vectorised over points), docs/pqcd.md §2.15.

    Projectors: B (P̸1 + m_B)γ5; V P̸ (``"phi"``, twist 2), ε̸_L P̸/m_V (``"t"``) or 1 (``"s"``),
    the twist-3 ones per unit r = m_V/m_B (massless kinematics, m ε̸_L ≈ P̸). Weak vertex
    γ^μ(1 − γ5) ⊗ γ_μ(1 ∓ γ5) (LL / LR, the second factor on the V3 line); gluon γ^α ⊗ γ_α.
    Factorisable: Tr[Γ_μ(p̸_b + m_B)γ_α M_B γ^α M_2] Tr[Γ^μ M_3] (gluon on b, p_b = P1 − k2)
    and Tr[γ_α p̸_q Γ_μ M_B γ^α M_2] Tr[Γ^μ M_3] (gluon on the light quark, p_q = P2 − k1).
    Non-factorisable: Tr[Γ_μ M_B γ_α M_2] × Tr[Γ^μ M_3 γ^α p̸_c] or Tr[Γ^μ p̸_d γ^α M_3],
    p_c = k3 − k1 + k2, p_d = k1 − k2 − (1 − x3)P3. P2 along n₋, P3 and k1 along n₊; x2 is the
    V2 antiquark's (spectator's) fraction, x3 the V3 quark's."""
    eye, sl, vec = np.eye(4), slash, _vec
    r = 1 / math.sqrt(2)
    p2, p3 = vec(0.0, r), vec(r, 0.0)
    npl, nmi = sl(vec(1.0, 0.0)), sl(vec(0.0, 1.0))
    proj2 = {"phi": sl(p2), "t": 0.5 * (nmi @ npl - npl @ nmi), "s": eye}
    proj3 = {"phi": sl(p3), "t": 0.5 * (npl @ nmi - nmi @ npl), "s": eye}
    if da2 not in proj2 or da3 not in proj3:
        raise ValueError(f"projectors must be among {DA_KINDS}, got {da2!r}, {da3!r}")
    return trace_core(x1, x2, x3, proj2[da2], proj3[da3])


def _vec(plus, minus):
    """Light-cone (+, −) components → (t, x, y, z), [..., 4]."""
    r = 1 / math.sqrt(2)
    plus, minus = np.broadcast_arrays(np.asarray(plus, float), np.asarray(minus, float))
    z = np.zeros_like(plus)
    return np.stack([(plus + minus) * r, z, z, (plus - minus) * r], axis=-1)


def slash(p) -> np.ndarray:
    """p̸ = p_μ γ^μ of a four-vector (contravariant components, [..., 4])."""
    gam, _ = _gammas()
    return np.einsum("...m,m,mab->...ab", np.asarray(p, dtype=complex), _ETA, gam)


def trace_core(x1, x2, x3, m2: np.ndarray, m3: np.ndarray) -> dict[str, np.ndarray]:
    """The traces of ``collinear_numerators`` for given V2, V3 projector matrices ``m2``, ``m3``
    (4 × 4, any polarisation): keys fact_b, fact_q (LL), c_LL, d_LL, c_LR, d_LR."""
    x1, x2, x3 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, x2, x3)))
    gam, g5 = _gammas()
    eye = np.eye(4)
    r = 1 / math.sqrt(2)
    sl, vec = slash, _vec
    p1, p2, p3 = vec(r, r), vec(0.0, r), vec(r, 0.0)
    k1, k2, k3 = x1[..., None] * p3, x2[..., None] * p2, x3[..., None] * p3
    mb = (sl(p1) + eye) @ g5
    vl = np.einsum("mab,bc->mac", gam, eye - g5)
    out: dict[str, np.ndarray] = {}
    for chir, sign in (("LL", -1.0), ("LR", 1.0)):
        v3 = np.einsum("mab,bc->mac", gam, eye + sign * g5)
        t3 = np.einsum("mab,...ba->...m", v3, np.broadcast_to(m3, x1.shape + (4, 4)))
        sb, sq = sl(p1 - k2) + eye, sl(p2 - k1)
        sc, sd = sl(k3 - k1 + k2), sl(k1 - k2 - (1 - x3)[..., None] * p3)
        fa = np.einsum("mab,...bc,ncd,de,nef,fa,n->...m", vl, sb, gam, mb, gam, m2, _ETA)
        fb = np.einsum("nab,...bc,mcd,de,nef,fa,n->...m", gam, sq, vl, mb, gam, m2, _ETA)
        line1 = np.einsum("mab,bc,ncd,da->mn", vl, mb, gam, m2)
        nc = np.einsum("mab,bc,ncd,...da->...mn", v3, m3, gam, sc)
        nd = np.einsum("mab,...bc,ncd,da->...mn", v3, sd, gam, m3)
        w = _ETA[:, None] * _ETA[None, :]
        if chir == "LL":
            out["fact_b"] = np.einsum("...m,...m,m->...", fa, t3, _ETA)
            out["fact_q"] = np.einsum("...m,...m,m->...", fb, t3, _ETA)
        out[f"c_{chir}"] = np.einsum("mn,...mn,mn->...", line1, nc, w)
        out[f"d_{chir}"] = np.einsum("mn,...mn,mn->...", line1, nd, w)
    return out


#: six (x1, x2, x3) points at which the traces are evaluated to fit numerators linear in x
_FIT_POINTS = np.array(
    [[0.1, 0.2, 0.3], [0.7, 0.1, 0.5], [0.3, 0.8, 0.2], [0.5, 0.4, 0.9], [0.2, 0.6, 0.6],
     [0.9, 0.3, 0.1]]
)  # fmt: skip


def _fit_linear(values: np.ndarray) -> np.ndarray:
    """Coefficients (1, x1, x2, x3) of a numerator linear in x, from its values at _FIT_POINTS."""
    design = np.column_stack([np.ones(len(_FIT_POINTS)), _FIT_POINTS])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return coef


@lru_cache(maxsize=1)
def twist3_coefficients() -> dict[tuple[str, str, str], np.ndarray]:
    r"""Numerators of every projector pair (da2, da3) ≠ (phi, phi) and diagram/chirality key
    (``c_LL`` …), in units of 16 (the factorisable (1 + x2) of (Q13)): each is linear in
    (x1, x2, x3) (one propagator), so four coefficients (1, x1, x2, x3) fitted exactly from the
    traces at six points (Q16′; residuals tested)."""
    out = {}
    for da2 in DA_KINDS:
        for da3 in DA_KINDS:
            if (da2, da3) == ("phi", "phi"):
                continue
            tr = collinear_numerators(*_FIT_POINTS.T, da2=da2, da3=da3)
            for key in ("c_LL", "d_LL", "c_LR", "d_LR"):
                out[(da2, da3, key)] = _fit_linear(tr[key].real / 16)
    return out


def numerators(x1, x2, x3) -> dict[str, np.ndarray]:
    r"""Closed forms of the non-factorisable twist-2 numerators in units of the factorisable
    (1 + x2) of (Q13)/(Q14) (the traces give 16(1 + x2)), Eq. (Q16):
    n_c^LL = x3 − x1, n_d^LL = −(1 + x2 − x1 − x3), n_c^LR = x2 + x3 − x1, n_d^LR = −(1 − x1 − x3).
    At x1 → 0 the two diagrams add to 1/(x1 x2 (1 − x3)) (LL) and −1/(x1 x2 x3) (LR) over the
    gluon and quark virtualities: the QCD-factorisation hard-spectator kernels (§2.15)."""
    return {
        "c_LL": x3 - x1,
        "d_LL": -(1 + x2 - x1 - x3),
        "c_LR": x2 + x3 - x1,
        "d_LR": -(1 - x1 - x3),
    }


# --- hard kernel and the amplitude ---------------------------------------------------------------
def nonfact_kernel(x1, y, x2, b1, b3, m_b):
    r"""h_n(x1, y, x2; b1, b3) = [θ(b1 − b3)K0(√(x1x2) m_B b1)I0(√(x1x2) m_B b3) + (b1 ↔ b3)]
    × {K0(√D² m_B b3) if D² > 0; (iπ/2)H0^(1)(√|D²| m_B b3) if D² < 0}, D² = (x1 − y)x2, Eq. (Q17).
    The gluon (virtuality x1x2 m_B²) spans spectator (b1, shared by B and V2) and the emitted
    meson (b3); the quark propagator spans b3; y = x3 (diagram c) or 1 − x3 (diagram d)."""
    g = np.sqrt(x1 * x2) * m_b
    bmax, bmin = np.maximum(b1, b3), np.minimum(b1, b3)
    gluon = k0e(g * bmax) * i0e(g * bmin) * np.exp(-g * (bmax - bmin))
    d2 = (x1 - y) * x2
    z = np.sqrt(np.abs(d2)) * m_b * b3
    quark = np.where(d2 > 0, k0(np.where(d2 > 0, z, 1.0)) + 0j, 0.5j * np.pi * hankel1(0, z))
    return gluon * quark


def _x3_nodes(x1: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """x3 nodes and weights [n1, 3n] on [0, a], [a, b], [b, 1], a, b = min, max(x1, 1 − x1): the
    on-shell points x3 = x1, 1 − x1 of (Q17) become panel ends (log singularities)."""
    u, w = np.polynomial.legendre.leggauss(n)
    u, w = 0.5 * (u + 1), 0.5 * w
    a, b = np.minimum(x1, 1 - x1)[:, None], np.maximum(x1, 1 - x1)[:, None]
    nodes = np.concatenate([a * u, a + (b - a) * u, b + (1 - b) * u], axis=1)
    weights = np.concatenate([a * w, (b - a) * w, (1 - b) * w], axis=1)
    return nodes, weights


def nonfactorisable_emission(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 16,
    n_b: int = 20,
    twist3: bool = True,
    **overrides: float,
) -> dict[str, complex | np.ndarray]:
    r"""M̂^{LL}, M̂^{LR} of B → V2 V3 (``which`` the B → V2 set, V3 = ``EMITTED[which]``) in the
    units of A_0(0) (so that f_3(m_B² − m_2²)M̂ sits beside f_3(m_B² − m_2²)A_0), Eq. (Q18):

    M̂ = (8πC_F m_B²/N_c) ∫dx1 dx2 dx3 ∫b1db1 b3db3 φ_B(x1, b1) φ_2(x2) φ̂_3(x3)
        Σ_{i=c,d} n_i(x1, x2, x3) E_n(t_i) h_n(x1, y_i, x2; b1, b3),

    φ_2 = 3f_2/√(2N_c) x(1 − x)[1 + a₂^∥C₂^{3/2}], φ̂_3 = 6x(1 − x)[1 + a₂^∥C₂^{3/2}] (∫ = 1),
    E_n(t) = α_s(t) exp[−S_B(t) − S_2(t) − S_3(t)] with S_2 at b1 and S_3 at b3,
    t_i = max(ξ√(x1x2) m_B, ξ√|D_i²| m_B, 1/b1, 1/b3) (ξ = input ``hard_scale_factor``, 1 by
    default, 0.8–1.2 its range; 1/b stays the lower end), y_c = x3, y_d = 1 − x3. The colour factor
    of the non-factorisable diagrams is 1/N_c of the factorisable one (C_F/√N_c against C_F√N_c).
    With ``twist3`` the numerator n φ_2 φ̂_3 gains
    Σ r_2^{δ2} r_3^{δ3} n^{(da2, da3)} φ_2^{da2} φ̂_3^{da3} (Q16′), the twist-3 DAs of (Q14)
    taken at the quark's fraction (1 − x2 for V2, x3 for V3); only the V2 terms survive,
    n = ±x2 (§2.15). ``LL_C``, ``LR_C`` [10]: the same with C_i(t) inside (``_integrate``)."""
    ctx = _context(which, inp, n_x, n_b, overrides)
    return _integrate(ctx, _longitudinal_numerators(ctx, twist3))[0]


def _longitudinal_numerators(ctx: dict, twist3: bool) -> dict[str, np.ndarray]:
    da2, da3, ratio, ratio3 = ctx["da2"], ctx["da3"], ctx["ratio"], ctx["ratio3"]
    y1, y3, y2 = ctx["y"]
    tw2 = numerators(y1, y2, y3)
    num = {k: v * da2["phi"][None, None, :] * da3["phi"][:, :, None] for k, v in tw2.items()}
    if twist3:
        for (k2, k3, key), c in twist3_coefficients().items():
            lin = c[0] + c[1] * y1 + c[2] * y2 + c[3] * y3
            num[key] = num[key] + (
                ratio[k2] * ratio3[k3] * lin * da2[k2][None, None, :] * da3[k3][:, :, None]
            )
    return num


def scalar_nonfactorisable(
    which: str,
    emitted: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 16,
    n_b: int = 20,
    **overrides: float,
) -> dict[str, complex | np.ndarray]:
    r"""M̂^{LL}, M̂^{LR} of B → S V3: the f0(980) recoil (one q̄q component, ``which`` of
    ``kt.SCALAR_SETS``) and the longitudinal vector ``emitted`` (``rho`` or ``phi``), in units of
    F^{B→f0}(0) (so that f_3 λ^{1/2} M̂ sits beside f_3 λ^{1/2} F), Eq. (Q25): the integral (Q18)
    with the recoil's DAs replaced by the f0's (φ_S, φ_S^t, φ_S^s of ``kt.scalar_das``, r_S =
    m_f0/m_B), numerators and kernel unchanged (the scalar projector has the Dirac structure of
    the longitudinal vector one, §2.19). ``LL_C``, ``LR_C`` [10]: with C_i(t) inside. The
    ``scalar_nonfactorisable_basis`` integrals weighted by ``kt.scalar_weights``."""
    basis = scalar_nonfactorisable_basis(which, emitted, _params(inp, overrides), n_x, n_b)
    p = _params(inp, overrides)
    weights = scalar_weights(p, p[SCALAR_SETS[which][0]])
    return {k: sum(w * b[k] for w, b in zip(weights, basis, strict=True)) for k in basis[0]}


def scalar_nonfactorisable_basis(
    which: str, emitted: str, inp: Mapping[str, float] | None = None, n_x: int = 16, n_b: int = 20
) -> list[dict[str, complex | np.ndarray]]:
    """The three basis integrals of ``scalar_nonfactorisable`` (f̄_S = 1: the B_1 and B_3 twist-2
    terms and the twist-3 terms per unit r_S, ``kt.SCALAR_BASIS``), one pass over the kernels."""
    if which not in SCALAR_SETS:
        raise ValueError(f"B → S set must be one of {tuple(SCALAR_SETS)}, got {which!r}")
    ctx = _context(which, inp, n_x, n_b, {}, emitted)
    unit = {"phi": 1.0, "t": 1.0, "s": 1.0}
    nums = []
    for k, u in enumerate(SCALAR_BASIS):
        das = scalar_das(1 - ctx["x"], u)
        if k < 2:  # twist 2 only
            nums.append(_longitudinal_numerators(ctx | {"da2": das}, False))
        else:
            das["phi"] = 0 * das["phi"]
            nums.append(_longitudinal_numerators(ctx | {"da2": das, "ratio": unit}, True))
    return _integrate(ctx, *nums)


def nonfactorisable_amplitudes(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 16,
    n_b: int = 20,
    axial_sign: float = AXIAL_SIGN,
    **overrides: float,
) -> dict[str | int, dict[str, complex | np.ndarray]]:
    """``nonfactorisable_emission`` (key ``"L"``) and ``transverse_nonfactorisable`` (keys ±1)
    from one evaluation of the kernels and Sudakov factors they share."""
    ctx = _context(which, inp, n_x, n_b, overrides)
    trans = _transverse_numerators(ctx, True, axial_sign)
    res = _integrate(ctx, _longitudinal_numerators(ctx, True), *trans)
    return {"L": res[0]} | dict(zip(HELICITIES, res[1:], strict=True))


def _context(which: str, inp, n_x: int, n_b: int, overrides, emitted: str | None = None) -> dict:
    """Grids, DAs, weights and Sudakov exponents shared by the longitudinal (Q18) and transverse
    (Q20) non-factorisable integrals; axes (x1, x3, x2, b1, b3). ``which`` a B → V set (recoil
    V2) or a B → S set of ``kt.SCALAR_SETS`` (the f0 recoil, §2.19, with ``emitted`` V3)."""
    scalar = which in SCALAR_SETS
    if not scalar and which not in BV_SETS:
        raise ValueError(
            f"B → V set (or B → S set with an emitted meson) must be one of "
            f"{tuple(BV_SETS) + tuple(SCALAR_SETS)}, got {which!r}"
        )
    if scalar and emitted not in ("rho", "phi"):
        raise ValueError(f"B → S set {which!r}: emitted meson must be rho or phi, got {emitted!r}")
    if n_x < 4 or n_b < 4:
        raise ValueError(f"need n_x, n_b >= 4, got {n_x}, {n_b}")
    p = _params(inp, overrides)
    if scalar:
        mb_key, fb_key, om_key = SCALAR_SETS[which]
        v3 = emitted
    else:
        mb_key, fb_key, om_key, v2 = BV_SETS[which]
        v3 = EMITTED[which]
    m_b, f_b, omega, lam = p[mb_key], p[fb_key], p[om_key], p["Lambda_QCD4"]
    xi = p.get("hard_scale_factor", 1.0)
    if not 0.5 <= xi <= 2.0:
        raise ValueError(f"hard_scale_factor must lie in [0.5, 2], got {xi}")
    _positive(**{om_key: omega, "Lambda_QCD4": lam, fb_key: f_b, f"f_{v3}": p[f"f_{v3}"]})
    if not scalar:
        f_2, f2t = p[f"f_{v2}"], p[f"f_{v2}_T"]
        _positive(**{f"f_{v2}": f_2, f"f_{v2}_T": f2t})
        a2_2 = check_gegenbauer(p[f"a2_{v2}"], f"a2_{v2}")
    a2_3 = check_gegenbauer(p[f"a2_{v3}"], f"a2_{v3}")
    root = math.sqrt(2 * N_C)
    p_plus = m_b / math.sqrt(2)

    x, wx = gauss_legendre(0.0, 1.0, n_x)
    b, wb = gauss_legendre(0.0, 1.0 / lam, n_b)
    x3, w3 = _x3_nodes(x, n_x)  # [n1, n3]
    # axes: (x1, x3, x2, b1, b3)
    X1 = x[:, None, None, None, None]
    X3 = x3[:, :, None, None, None]
    X2 = x[None, None, :, None, None]
    B1 = b[None, None, None, :, None]
    B3 = b[None, None, None, None, :]
    t2 = 2 * x - 1
    t3 = 2 * x3 - 1
    f3t = p[f"f_{v3}_T"]
    norm3 = p[f"f_{v3}"] / (2 * root)  # φ̂_3 = φ_3 / (f_3/(2√(2N_c)))
    # DAs at the quark's momentum fraction: 1 − x2 for V2 (φ^s odd), x3 for V3 (§2.15); the f0
    # recoil's (§2.19) the same way, its odd φ_S, φ_S^t as the vector's φ^s
    if scalar:  # filled per basis integral by ``scalar_nonfactorisable_basis``
        da2, ratio = {}, {}
    else:
        da2 = {
            "phi": 3 * f_2 / root * x * (1 - x) * (1 + a2_2 * 1.5 * (5 * t2 * t2 - 1)),
            "t": 1.5 * f2t / root * t2 * t2,
            "s": 1.5 * f2t / root * t2,
        }
        ratio = {"phi": 1.0, "t": p[f"m_{v2}"] / m_b, "s": p[f"m_{v2}"] / m_b}
    da3 = {
        "phi": 6 * x3 * (1 - x3) * (1 + a2_3 * 1.5 * (5 * t3 * t3 - 1)),
        "t": 1.5 * f3t / root * t3 * t3 / norm3,
        "s": -1.5 * f3t / root * t3 / norm3,
    }
    ratio3 = {"phi": 1.0, "t": p[f"m_{v3}"] / m_b, "s": p[f"m_{v3}"] / m_b}
    phib = b_meson_wave_function(x[:, None], b[None, :], m_b, omega, f_b)  # [x1, b1]
    # Sudakov exponents without the t dependence, on their own small grids
    s_b = sudakov_s(x[:, None] * p_plus, b[None, :], lam)  # [x1, b1]
    s_2 = sudakov_s(x[:, None] * p_plus, b[None, :], lam) + sudakov_s(
        (1 - x[:, None]) * p_plus, b[None, :], lam
    )  # [x2, b1]
    s_3 = sudakov_s(x3[..., None] * p_plus, b, lam) + sudakov_s(
        (1 - x3[..., None]) * p_plus, b, lam
    )  # [x1, x3, b3]
    s_fixed = s_b[:, None, None, :, None] + s_2[None, None, :, :, None] + s_3[:, :, None, None, :]
    weight = (
        (wx[:, None] * w3)[:, :, None, None, None]
        * wx[None, None, :, None, None]
        * (wb * b)[None, None, None, :, None]
        * (wb * b)[None, None, None, None, :]
        * phib[:, None, None, :, None]
    )
    ctx = dict(locals())
    ctx["y"] = (x[:, None, None], x3[:, :, None], x[None, None, :])  # (x1, x3, x2)
    return ctx


def _integrate(ctx: dict, *nums: Mapping[str, np.ndarray]) -> list[dict[str, complex | np.ndarray]]:
    """Σ_{c,d} ∫ weight · E_n(t) h_n · numerator[diag_chir] (Q18), times 8πC_F m_B²/N_c, for each
    numerator set of ``nums`` (the kernel and Sudakov factors computed once for all): ``LL``,
    ``LR`` without Wilson coefficients and ``LL_C``, ``LR_C`` [10] with C_i(t) inside the
    integral (the LO running of ``wilson.running_modes`` at each point's hard scale t)."""
    X1, X2, X3, B1, B3 = (ctx[k] for k in ("X1", "X2", "X3", "B1", "B3"))
    m_b, xi, lam = ctx["m_b"], ctx["xi"], ctx["lam"]
    weight, s_fixed = ctx["weight"], ctx["s_fixed"]
    amps, powers = running_modes(ctx["p"])
    inv_b = np.maximum(1.0 / B1, 1.0 / B3)
    glu = np.sqrt(X1 * X2) * m_b
    out = [{"LL": 0j, "LR": 0j} for _ in nums]
    modes = [{chir: np.zeros(len(powers), complex) for chir in ("LL", "LR")} for _ in nums]
    for diag, y in (("c", X3), ("d", 1 - X3)):
        t = np.maximum(xi * np.maximum(glu, np.sqrt(np.abs((X1 - y) * X2)) * m_b), inv_b)
        s_t = 2 * _evolution(t, B1, lam) + _evolution(t, B3, lam)
        a_t = alpha_s(t, lam)
        core = weight * a_t * np.exp(-s_fixed - s_t) * nonfact_kernel(X1, y, X2, B1, B3, m_b)
        eta = running_eta(t, ctx["p"])
        red = [core.sum(axis=(-2, -1))] + [(core * eta**pk).sum(axis=(-2, -1)) for pk in powers]
        for num, res, mode in zip(nums, out, modes, strict=True):
            for chir in res:
                n = num[f"{diag}_{chir}"]
                res[chir] += complex(np.sum(red[0] * n))
                mode[chir] += np.array([np.sum(r * n) for r in red[1:]])
    pre = 8 * math.pi * C_F * m_b**2 / N_C
    return [
        {k: pre * v for k, v in res.items()} | {f"{k}_C": pre * (amps @ v) for k, v in mode.items()}
        for res, mode in zip(out, modes, strict=True)
    ]


# --- transverse polarisations (Q20) --------------------------------------------------------------
#: transverse projector kinds: V2 twist 2 (ε̸*P̸, φ^T) and twist 3 (ε̸*, φ^v; ε-tensor, φ^a);
#: V3 twist 3 only (its twist-2 ε̸*P̸ gives an odd number of γ's on its line, zero: tested)
TRANSVERSE_V2 = ("T", "v", "a")
TRANSVERSE_V3 = ("T", "v", "a")
HELICITIES = (1, -1)


def _levi_civita() -> np.ndarray:
    lc = np.zeros((4, 4, 4, 4))
    for perm in itertools.permutations(range(4)):
        lc[perm] = np.linalg.det(np.eye(4)[list(perm)])
    return lc  # ε^{0123} = +1


def transverse_projectors(helicity: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    r"""V2 (along n₋) and V3 (along n₊) transverse projectors of helicity λ = ±1 (both mesons
    carry the same helicity), m_B = 1, per unit r_V for the twist-3 ones, docs/pqcd.md §2.15:
    ε̸*P̸ (φ^T), ε̸* (φ^v), iε_{μνρσ}γ5γ^μ ε*^ν n^ρ v^σ (φ^a; n along the meson, v the other
    light-cone direction, n·v = 1, ε^{0123} = +1). Jacob–Wick vectors: ε(λ) = ∓(0, 1, ±i, 0)/√2
    along +z, (0, λ, −i, 0)/√2 along −z (rotated by π about y)."""
    if helicity not in HELICITIES:
        raise ValueError(f"helicity must be +1 or -1, got {helicity!r}")
    gam, g5 = _gammas()
    r = 1 / math.sqrt(2)
    e3 = np.conj(np.array([0, -helicity, -1j, 0]) * r)  # ε3*(λ)
    e2 = np.conj(np.array([0, helicity, -1j, 0]) * r)  # ε2*(λ)
    npl, nmi = _vec(1.0, 0.0), _vec(0.0, 1.0)
    lc, g5g = _levi_civita(), np.einsum("ab,mbc->mac", g5, gam)

    def axial(e, n, v):  # i ε_{μνρσ} γ5 γ^μ e^ν n^ρ v^σ; ε_{μνρσ} = −ε^{μνρσ}
        cov = -np.einsum("mnrs,n,r,s->m", lc, e, n, v)
        return 1j * np.einsum("m,mab->ab", cov * _ETA, g5g)

    p2, p3 = _vec(0.0, r), _vec(r, 0.0)
    proj2 = {"T": slash(e2) @ slash(p2), "v": slash(e2), "a": axial(e2, nmi, npl)}
    proj3 = {"T": slash(e3) @ slash(p3), "v": slash(e3), "a": axial(e3, npl, nmi)}
    return proj2, proj3


def transverse_traces(x1, x2, x3, da2: str, da3: str, helicity: int) -> dict[str, np.ndarray]:
    """The traces of ``trace_core`` with the transverse projectors of ``transverse_projectors``."""
    proj2, proj3 = transverse_projectors(helicity)
    if da2 not in proj2 or da3 not in proj3:
        raise ValueError(
            f"transverse projectors must be among {TRANSVERSE_V2}, got {da2!r}, {da3!r}"
        )
    return trace_core(x1, x2, x3, proj2[da2], proj3[da3])


#: the factorisable twist-2 transverse numerator (helicity −, V2 φ^T, V3 local ε̸*): 16 · 2
TRANSVERSE_UNIT = 32.0


@lru_cache(maxsize=1)
def transverse_coefficients() -> dict[tuple[int, str, str, str], np.ndarray]:
    r"""Non-factorisable transverse numerators (Q20) for each helicity, projector pair and
    diagram/chirality key, in units of the factorisable twist-2 transverse trace 32 (helicity −;
    helicity + has none at twist 2): linear in (x1, x2, x3), four coefficients fitted from the
    traces at six points (residuals tested). Pairs whose traces vanish are left out."""
    out = {}
    for hel in HELICITIES:
        for da2 in TRANSVERSE_V2:
            for da3 in TRANSVERSE_V3:
                tr = transverse_traces(*_FIT_POINTS.T, da2=da2, da3=da3, helicity=hel)
                for key in ("c_LL", "d_LL", "c_LR", "d_LR"):
                    if np.max(np.abs(tr[key])) >= 1e-12:
                        out[(hel, da2, da3, key)] = _fit_linear(tr[key] / TRANSVERSE_UNIT)
    return out


def transverse_nonfactorisable(
    which: str,
    inp: Mapping[str, float] | None = None,
    n_x: int = 16,
    n_b: int = 20,
    recoil_twist3: bool = True,
    axial_sign: float = AXIAL_SIGN,
    **overrides: float,
) -> dict[int, dict[str, complex | np.ndarray]]:
    r"""M̂_λ^{LL}, M̂_λ^{LR} (λ = ±1) of the transverse helicity amplitudes, per unit r_3 and in
    units of the twist-2 transverse form factor (the factorisable helicity-− amplitude is
    2 r_3 f_3 m_B² times it; in the LCSR amplitudes [(1 + r)A_1 + (1 − r)V]/2), Eq. (Q20):
    the integral (Q18) with the numerators of ``transverse_coefficients`` and the DAs
    V2: φ^T = 3f_2^T/√(2N_c) x(1 − x), r_2 φ^v = r_2 3f_2/(8√(2N_c))(1 + t²), r_2 φ^a =
    σ r_2 3f_2/(4√(2N_c))(1 − 2u) (asymptotic, u = 1 − x2 the quark fraction, t = 2x − 1);
    V3 per unit r_3: φ̂^v = (3/4)(1 + t²), φ̂^a = σ(3/2)(1 − 2x3) (∫φ̂^v = 1), σ = ``axial_sign``;
    φ̂^T_3 does not enter.
    Same kernel, Sudakov factors, scales and Hankel strong phase as the longitudinal one.
    ``axial_sign`` multiplies both φ^a terms: −1 (``kt.AXIAL_SIGN``, the default) is the sign
    fixed by the helicity hierarchy of the factorisable transverse amplitudes (§2.17); +1 (the
    ε^{0123} = +1 projector with φ^a at the quark fraction, the earlier runs) is kept as a check."""
    ctx = _context(which, inp, n_x, n_b, overrides)
    nums = _transverse_numerators(ctx, recoil_twist3, axial_sign)
    return dict(zip(HELICITIES, _integrate(ctx, *nums), strict=True))


def _transverse_numerators(ctx: dict, recoil_twist3: bool, axial_sign: float) -> list[dict]:
    if axial_sign not in (1.0, -1.0):
        raise ValueError(f"axial_sign must be +1 or -1, got {axial_sign!r}")
    x, x3, root, p = ctx["x"], ctx["x3"], ctx["root"], ctx["p"]
    r2 = ctx["ratio"]["t"]
    t2q = 1 - 2 * (1 - x)  # (1 − 2u) at the quark fraction u = 1 − x2
    da2 = {
        "T": 3 * p[f"f_{ctx['v2']}_T"] / root * x * (1 - x),
        "v": r2 * 3 * ctx["f_2"] / (8 * root) * (1 + (2 * x - 1) ** 2),
        "a": axial_sign * r2 * 3 * ctx["f_2"] / (4 * root) * t2q,
    }
    if not recoil_twist3:
        da2 = {"T": da2["T"]}
    da3 = {"T": 0.0 * x3, "v": 0.75 * (1 + (2 * x3 - 1) ** 2), "a": axial_sign * 1.5 * (1 - 2 * x3)}
    y1, y3, y2 = ctx["y"]
    nums = []
    for hel in HELICITIES:
        num = {k: np.zeros(np.broadcast_shapes(y1.shape, y3.shape, y2.shape), complex)
               for k in ("c_LL", "d_LL", "c_LR", "d_LR")}  # fmt: skip
        for (h, k2, k3, key), c in transverse_coefficients().items():
            if h != hel or k2 not in da2:
                continue
            lin = c[0] + c[1] * y1 + c[2] * y2 + c[3] * y3
            num[key] = num[key] + lin * da2[k2][None, None, :] * da3[k3][:, :, None]
        nums.append(num)
    return nums
