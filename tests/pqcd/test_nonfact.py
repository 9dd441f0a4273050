"""Stage B3 (partial): Dirac numerators from explicit traces, gauge invariance, the
QCD-factorisation limit, the on-shell continuation of the kernel, grid convergence and the CP
structure of the four-body amplitudes with the non-factorisable longitudinal emission."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.fourbody import CHANNELS, channel, evaluate, nonfact_longitudinal
from paperzoo.pqcd.nonfact import (
    _ETA,
    DA_KINDS,
    _gammas,
    collinear_numerators,
    nonfact_kernel,
    nonfactorisable_emission,
    numerators,
    twist3_coefficients,
)

INP = load_inputs()
RNG = np.random.default_rng(7)
POINTS = RNG.uniform(0.02, 0.98, (3, 6))


def test_trace_numerators_match_the_closed_forms_and_the_factorisable_formula():
    """(Q16) against the traces; the same traces give (Q13)'s twist-2 numerators 16(1 + x2), 0."""
    traces, closed = collinear_numerators(*POINTS), numerators(*POINTS)
    np.testing.assert_allclose(traces["fact_b"], 16 * (1 + POINTS[1]), atol=1e-12)
    np.testing.assert_allclose(traces["fact_q"], 0.0, atol=1e-12)
    for key, value in closed.items():
        np.testing.assert_allclose(traces[key], 16 * value, atol=1e-12, err_msg=key)


def _slash(p, gam):
    return np.einsum("m,m,mab->ab", p, _ETA, gam)


def _lc(plus, minus):
    r = 1 / math.sqrt(2)
    return np.array([(plus + minus) * r, 0.0, 0.0, (plus - minus) * r])


def test_gauge_part_of_the_gluon_cancels_between_the_two_diagrams():
    """Replacing γ^α ⊗ γ_α by l̸ ⊗ l̸ (the gauge-dependent part of the gluon propagator, l the gluon
    momentum), diagrams c and d with their quark propagators p̸/p² add to zero on the emitted-meson
    line (Ward identity for the colour-singlet V3 at k_T = 0)."""
    gam, g5 = _gammas()
    eye, r = np.eye(4), 1 / math.sqrt(2)
    p1, p2, p3 = _lc(r, r), _lc(0.0, r), _lc(r, 0.0)
    m_b, m_2, m_3 = (_slash(p1, gam) + eye) @ g5, _slash(p2, gam), _slash(p3, gam)
    for x1, x2, x3 in POINTS.T:
        gl = x1 * p3 - x2 * p2  # gluon momentum k1 − k2
        pc, pd = x3 * p3 - gl, gl - (1 - x3) * p3
        sq = lambda p: p @ (_ETA * p)  # noqa: E731
        ls, total = _slash(gl, gam), 0j
        for mu in range(4):
            v = gam[mu] @ (eye - g5)
            line1 = np.trace(v @ m_b @ ls @ m_2)
            c = np.trace(v @ m_3 @ ls @ _slash(pc, gam)) / sq(pc)
            d = np.trace(v @ _slash(pd, gam) @ ls @ m_3) / sq(pd)
            total += _ETA[mu] * line1 * (c + d)
        single = abs(_ETA[0] * np.trace(gam[0] @ (eye - g5) @ m_b @ ls @ m_2))
        assert abs(total) < 1e-10 * max(single, 1.0)


def _factorisable_traces(x1, x2, m_2, m_b, m_3):
    """The two factorisable-emission Dirac traces (diagrams a, b) at (x1, x2) for recoil projector
    m_2, B projector m_b and emitted projector m_3 (kinematics of ``_lc(r, r)``, ``_lc(0, r)``,
    ``_lc(r, 0)``)."""
    gam, g5 = _gammas()
    eye, r = np.eye(4), 1 / math.sqrt(2)
    p1, p2, p3 = _lc(r, r), _lc(0.0, r), _lc(r, 0.0)
    sb, sq = _slash(p1 - x2 * p2, gam) + eye, _slash(p2 - x1 * p3, gam)
    fa = fb = 0j
    for mu in range(4):
        v = gam[mu] @ (eye - g5)
        t3 = np.trace(v @ m_3)
        for a in range(4):
            w = _ETA[mu] * _ETA[a] * t3
            fa += w * np.trace(v @ sb @ gam[a] @ m_b @ gam[a] @ m_2)
            fb += w * np.trace(gam[a] @ sq @ v @ m_b @ gam[a] @ m_2)
    return fa, fb


def test_twist3_factorisable_traces_match_q14_up_to_the_quark_fraction_of_phi_s():
    """The twist-3 longitudinal projector m ε̸_L φ + ε̸_L P̸ φ^t + m φ^s in the same traces gives
    (Q14)'s coefficients r(1 − 2x2) for φ^t and (with φ^s at the quark fraction 1 − x2, odd under
    x ↔ 1 − x) r(1 − 2x2) and 2r for φ^s; the opposite φ^s sign would give A_0 ≈ 0.03."""
    gam, g5 = _gammas()
    eye, r, rv = np.eye(4), 1 / math.sqrt(2), 0.01
    p1, p3 = _lc(r, r), _lc(r, 0.0)
    npl, nmi = _slash(_lc(1.0, 0.0), gam), _slash(_lc(0.0, 1.0), gam)
    m_b, m_3 = (_slash(p1, gam) + eye) @ g5, _slash(p3, gam)
    proj = {
        "phi": r * nmi - rv**2 / (2 * r) * npl,
        "t": rv / 2 * (nmi @ npl - npl @ nmi),
        "s": rv * eye,
    }
    for x1, x2, _ in POINTS.T:
        got = {
            name: tuple(t / 16 for t in _factorisable_traces(x1, x2, m_2, m_b, m_3))
            for name, m_2 in proj.items()
        }
        assert got["phi"][0] == pytest.approx(1 + x2, rel=1e-3)
        assert got["t"] == pytest.approx((rv * (1 - 2 * x2), 0.0), abs=1e-12)
        assert got["s"] == pytest.approx((-rv * (1 - 2 * x2), -2 * rv), abs=1e-12)


def test_twist3_nonfactorisable_numerators():
    """(Q16′): the linear fits reproduce the traces; the emitted meson's twist-3 projectors give 0
    (odd number of γ matrices on its line), and of the recoil's only ±x2 survive."""
    coef = twist3_coefficients()
    for da2 in DA_KINDS:
        for da3 in DA_KINDS:
            if (da2, da3) == ("phi", "phi"):
                continue
            tr = collinear_numerators(*POINTS, da2=da2, da3=da3)
            for key in ("c_LL", "d_LL", "c_LR", "d_LR"):
                c = coef[(da2, da3, key)]
                fit = c[0] + c[1] * POINTS[0] + c[2] * POINTS[1] + c[3] * POINTS[2]
                np.testing.assert_allclose(tr[key] / 16, fit, atol=1e-12)
                if da3 != "phi":
                    np.testing.assert_allclose(c, 0.0, atol=1e-12)
    signs = {"t": (1, 1, -1, -1), "s": (1, -1, 1, -1)}  # c_LL, d_LL, c_LR, d_LR
    for da2, sg in signs.items():
        for key, sign in zip(("c_LL", "d_LL", "c_LR", "d_LR"), sg, strict=True):
            np.testing.assert_allclose(coef[(da2, "phi", key)], [0, 0, sign, 0], atol=1e-12)


def test_pion_traces_reproduce_q13_with_the_quark_fraction_rule():
    """The pion projector γ5[P̸φ_A + m0φ_P + m0(n̸₋n̸₊ − 1)φ_T] (pion along n₋) in the factorisable
    traces gives (Q13): (1 + x)φ_A + r0(1 − 2x)(φ_P + φ_T) and 2r0φ_P, with the odd φ_T at the
    quark fraction 1 − x, the same rule as for the vector's φ^s (overall sign −1 from γ5)."""
    gam, g5 = _gammas()
    eye, r, r0 = np.eye(4), 1 / math.sqrt(2), 0.01
    p1, p2, p3 = _lc(r, r), _lc(0.0, r), _lc(r, 0.0)
    npl, nmi = _slash(_lc(1.0, 0.0), gam), _slash(_lc(0.0, 1.0), gam)
    m_b, m_3 = (_slash(p1, gam) + eye) @ g5, _slash(p3, gam)
    proj = {"A": g5 @ _slash(p2, gam), "P": r0 * g5, "T": r0 * g5 @ (nmi @ npl - eye)}
    for x1, x2, _ in POINTS.T:
        got = {
            name: tuple(-t / 16 for t in _factorisable_traces(x1, x2, m_2, m_b, m_3))
            for name, m_2 in proj.items()
        }
        assert got["A"] == pytest.approx((1 + x2, 0.0), abs=1e-12)
        assert got["P"] == pytest.approx((r0 * (1 - 2 * x2), 2 * r0), abs=1e-12)
        # φ_T(1 − x) = −φ_T(x): the trace's −r0(1 − 2x) is (Q13)'s +r0(1 − 2x)φ_T(x)
        assert got["T"] == pytest.approx((-r0 * (1 - 2 * x2), 0.0), abs=1e-12)


def test_collinear_limit_is_the_qcd_factorisation_hard_spectator_kernel():
    """x1 → 0: n_c/D_c² + n_d/D_d² over the gluon virtuality x1x2 gives 1/(x1x2(1 − x3)) (LL) and
    −1/(x1x2x3) (LR), BBNS's twist-2 hard-spectator kernels (§2.15)."""
    x1 = 1e-9
    _, x2, x3 = POINTS
    n = numerators(x1, x2, x3)
    dc, dd = (x1 - x3) * x2, (x1 - 1 + x3) * x2
    ll = (n["c_LL"] / dc + n["d_LL"] / dd) / (x1 * x2)  # both propagators −1/(D² m²): + sign
    lr = (n["c_LR"] / dc + n["d_LR"] / dd) / (x1 * x2)
    np.testing.assert_allclose(ll, 1 / (x1 * x2 * (1 - x3)), rtol=1e-6)
    np.testing.assert_allclose(lr, -1 / (x1 * x2 * x3), rtol=1e-6)


def test_kernel_continues_through_the_on_shell_point():
    """K0 (spacelike) and (iπ/2)H0^(1) (timelike) share −ln(z/2) − γ_E at small z: the real part
    is continuous across D² = 0, the imaginary part jumps to π/2 times the gluon factor (Q17)."""
    from scipy.special import i0, k0

    x1, x2, b1, b3, m_b, eps = 0.1, 0.4, 1.0, 1.5, 5.0, 1e-10
    gluon = k0(math.sqrt(x1 * x2) * m_b * b3) * i0(math.sqrt(x1 * x2) * m_b * b1)
    space = nonfact_kernel(x1, x1 - eps, x2, b1, b3, m_b)
    time = nonfact_kernel(x1, x1 + eps, x2, b1, b3, m_b)
    assert space.imag == 0.0 and space.real > 0
    assert time.real == pytest.approx(space.real, rel=1e-6)
    assert time.imag == pytest.approx(0.5 * math.pi * gluon, rel=1e-6)


def test_nonfactorisable_amplitude_converges_and_has_a_strong_phase():
    coarse = nonfactorisable_emission("B_rho", n_x=12, n_b=16)
    fine = nonfactorisable_emission("B_rho", n_x=16, n_b=20)
    assert abs(coarse["LL"] - fine["LL"]) < 0.02 * abs(fine["LL"])
    assert abs(fine["LL"].imag) > 0.3 * abs(fine["LL"])  # the on-shell quark: a large phase
    tw2 = nonfactorisable_emission("B_rho", n_x=12, n_b=16, twist3=False)
    assert abs(tw2["LL"].imag) > abs(coarse["LL"].imag)  # twist 3 (φ_2^t) halves Im M̂
    # the twist-3 terms are ∝ f_2^T: without it the twist-2 amplitude returns
    no_ft = nonfactorisable_emission("B_rho", n_x=12, n_b=16, f_rho_T=1e-12)
    assert no_ft["LL"] == pytest.approx(tw2["LL"], rel=1e-9)
    # LR = −LL exactly for DAs symmetric under x3 ↔ 1 − x3 (numerators map into each other)
    assert fine["LR"] == pytest.approx(-fine["LL"], rel=1e-12)
    assert 0.005 < abs(fine["LL"]) < 0.1  # a tenth of A_0(0) ≈ 0.3, not a stray factor
    for xi in (0.8, 1.2):  # hard-scale variation: a mild, not a wild, dependence
        shifted = nonfactorisable_emission("B_rho", n_x=12, n_b=16, hard_scale_factor=xi)
        assert 0.01 < abs(shifted["LL"] / coarse["LL"] - 1) < 0.15
    with pytest.raises(ValueError, match="hard_scale_factor"):
        nonfactorisable_emission("B_rho", n_x=12, n_b=16, hard_scale_factor=3.0)
    with pytest.raises(ValueError, match="B → V set"):
        nonfactorisable_emission("B_K")
    with pytest.raises(ValueError, match="unphysical Gegenbauer"):
        nonfactorisable_emission("Bs_phi", a2_rho=0.9)
    with pytest.raises(ValueError, match="n_x, n_b"):
        nonfactorisable_emission("Bs_phi", n_x=2)


def test_stage_b3_cp_structure():
    """Single-CKM channels: A_CP = A_T-true = 0 exactly, the fake TPA non-zero (small at B3L: its
    transverse amplitudes are factorisable only, with the C_i(t)-averaged a_3 + a_5 − (a_7 + a_9)/2
    almost zero); Bs → ρ0φ gets a non-zero A_CP; at B3L the transverse amplitudes are those of B2
    (only A_0 gets a B3 term)."""
    b2 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B2")
    b3 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B3L")
    for name in ("B0_rho0phi", "Bm_rhomphi"):
        o = evaluate(name, b3).obs
        assert abs(o.acp_dir) < 1e-12 and abs(o.a_t1_true) < 1e-12 and abs(o.a_t2_true) < 1e-12
        assert abs(o.a_t1_fake) > 1e-6
        n_u, n_t = nonfact_longitudinal(channel(name), b3, INP)
        assert n_u == 0 and n_t != 0
    bs2, bs3 = evaluate("Bs_rho0phi", b2).obs, evaluate("Bs_rho0phi", b3).obs
    assert bs3.acp_dir > 0.05 and bs3.a_t1_true < 0  # signs of the paper's numbers
    assert bs3.f_para / bs3.f_perp == pytest.approx(bs2.f_para / bs2.f_perp, rel=1e-12)
    assert nonfact_longitudinal(channel("Bs_rho0phi"), b2, INP) == (0j, 0j)
    assert set(CHANNELS) == {"Bs_rho0phi", "B0_rho0phi", "Bm_rhomphi"}
