"""Stage B3, transverse polarisations (docs/pqcd.md §2.15, Q20): the same explicit traces with
transverse projectors give the factorisable twist-2 transverse numerator (helicity − only, the
left-handed b → q current) and the non-factorisable numerators; the gauge part cancels; the
integrals carry a strong phase; CP symmetry limits of the four-body amplitudes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.fourbody import channel, evaluate, nonfact_transverse
from paperzoo.pqcd.nonfact import (
    _ETA,
    HELICITIES,
    TRANSVERSE_UNIT,
    TRANSVERSE_V2,
    TRANSVERSE_V3,
    _gammas,
    _vec,
    slash,
    transverse_coefficients,
    transverse_nonfactorisable,
    transverse_projectors,
    transverse_traces,
)

INP = load_inputs()
POINTS = np.random.default_rng(11).uniform(0.02, 0.98, (3, 5))


def test_factorisable_transverse_traces_are_helicity_minus_and_constant():
    """V2 twist 2 (ε̸*P̸ φ^T) with the emitted meson's local current ε̸*: the gluon-on-b trace is
    16 · 2 (constant, PQCD's φ^T term of the transverse form factor; the longitudinal one is
    16(1 + x2)) in helicity − and 0 in helicity +; the gluon-on-light-quark trace is 0."""
    minus = transverse_traces(*POINTS, da2="T", da3="v", helicity=-1)
    plus = transverse_traces(*POINTS, da2="T", da3="v", helicity=1)
    np.testing.assert_allclose(minus["fact_b"], TRANSVERSE_UNIT, atol=1e-12)
    np.testing.assert_allclose(minus["fact_q"], 0.0, atol=1e-12)
    np.testing.assert_allclose(plus["fact_b"], 0.0, atol=1e-12)
    np.testing.assert_allclose(plus["fact_q"], 0.0, atol=1e-12)


def test_emitted_twist2_transverse_projector_drops_out():
    """ε̸*P̸ on the emitted line gives an odd number of γ's in its trace: every term vanishes."""
    for hel in HELICITIES:
        for da2 in TRANSVERSE_V2:
            tr = transverse_traces(*POINTS, da2=da2, da3="T", helicity=hel)
            for key, value in tr.items():
                np.testing.assert_allclose(value, 0.0, atol=1e-12, err_msg=f"{hel} {da2} {key}")


def test_transverse_numerators_are_linear_fits_of_the_traces():
    """The fitted (1, x1, x2, x3) coefficients reproduce the traces at fresh points; helicity +
    has no twist-2 (φ^T) term."""
    coefs = transverse_coefficients()
    design = np.column_stack([np.ones(POINTS.shape[1]), POINTS.T])
    for hel in HELICITIES:
        for da2 in TRANSVERSE_V2:
            for da3 in TRANSVERSE_V3:
                tr = transverse_traces(*POINTS, da2=da2, da3=da3, helicity=hel)
                for key in ("c_LL", "d_LL", "c_LR", "d_LR"):
                    c = coefs.get((hel, da2, da3, key), np.zeros(4))
                    np.testing.assert_allclose(
                        design @ c, tr[key] / TRANSVERSE_UNIT, atol=1e-12, err_msg=key
                    )
    assert not any(k[0] == 1 and k[1] == "T" for k in coefs)
    assert any(k[0] == -1 and k[1] == "T" for k in coefs)


def test_projectors_and_bad_input():
    """ε*(λ)·ε*(λ) of the two mesons is 1 for both helicities (Jacob–Wick vectors), ε*·P = 0."""
    for hel in HELICITIES:
        proj2, proj3 = transverse_projectors(hel)
        assert set(proj2) == set(TRANSVERSE_V2) and set(proj3) == set(TRANSVERSE_V3)
    with pytest.raises(ValueError, match="helicity"):
        transverse_projectors(0)
    with pytest.raises(ValueError, match="transverse projectors"):
        transverse_traces(0.3, 0.4, 0.5, da2="s", da3="v", helicity=1)


def test_gauge_part_leaves_the_equation_of_motion_term_for_twist3_emitted_projectors():
    """l̸ ⊗ l̸ in place of γ^α ⊗ γ_α: with l̸ = k̸3 − p̸_c (c) and p̸_d + k̸̄3 (d) the sum of the two
    diagrams is M_3 k̸3 p̸_c/p_c² + p̸_d k̸̄3 M_3/p_d² on the emitted line, zero for the twist-2
    P̸3 (the longitudinal test) but not for the twist-3 ε̸* and ε-tensor projectors: the
    transverse non-factorisable terms are gauge dependent at this order (Feynman gauge here, as
    in PQCD; the k_⊥-derivative or three-particle terms that restore it are not built, §2.15)."""
    gam, g5 = _gammas()
    eye, r = np.eye(4), 1 / math.sqrt(2)
    p1, p2, p3 = _vec(r, r), _vec(0.0, r), _vec(r, 0.0)
    m_b = (slash(p1) + eye) @ g5
    sq = lambda p: p @ (_ETA * p)  # noqa: E731
    worst = 0.0
    for hel in HELICITIES:
        proj2, proj3 = transverse_projectors(hel)
        for m_2, m_3 in ((a, b) for a in proj2.values() for b in proj3.values()):
            for x1, x2, x3 in POINTS.T:
                gl = x1 * p3 - x2 * p2
                pc, pd = x3 * p3 - gl, gl - (1 - x3) * p3
                k3, k3bar = slash(x3 * p3), slash((1 - x3) * p3)
                ls, total, eom = slash(gl), 0j, 0j
                for mu in range(4):
                    v = gam[mu] @ (eye - g5)
                    line1 = np.trace(v @ m_b @ ls @ m_2)
                    c = np.trace(v @ m_3 @ ls @ slash(pc)) / sq(pc)
                    d = np.trace(v @ slash(pd) @ ls @ m_3) / sq(pd)
                    total += _ETA[mu] * line1 * (c + d)
                    e = np.trace(v @ m_3 @ k3 @ slash(pc)) / sq(pc)
                    e += np.trace(v @ slash(pd) @ k3bar @ m_3) / sq(pd)
                    eom += _ETA[mu] * line1 * e
                assert abs(total - eom) < 1e-10 * max(1.0, abs(total))
                worst = max(worst, abs(total))
    assert worst > 1.0  # the remainder is not small


def test_transverse_integral_has_a_strong_phase_and_converges():
    """M̂_− is complex (the Hankel continuation); helicity + comes only from the recoil's twist 3;
    the 12 × 16 grid of the amplitudes is within 5 % of 16 × 20."""
    coarse = transverse_nonfactorisable("Bs_phi", None, 12, 16)
    fine = transverse_nonfactorisable("Bs_phi", None, 16, 20)
    m = fine[-1]["LL"]
    assert abs(m.imag) > 0.1 * abs(m.real)
    assert abs(coarse[-1]["LL"] - m) < 0.05 * abs(m)
    tw2 = transverse_nonfactorisable("Bs_phi", None, 12, 16, recoil_twist3=False)
    assert tw2[1]["LL"] == 0 and tw2[1]["LR"] == 0 and tw2[-1]["LL"] != 0


def test_stage_b3_transverse_cp_structure():
    """Single CKM factor: A_CP = A_T-true = 0 exactly also with the transverse terms; without
    strong phases (B2) the fake TPA is 0; at B3 the transverse waves get their own CP asymmetry and
    the Bs → ρ0φ true TPA keeps the paper's sign."""
    b2 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B2")
    b3 = FourBodyConfig(n_pipi=32, n_kk=24, dynamics="B3")
    for name in ("B0_rho0phi", "Bm_rhomphi"):
        o = evaluate(name, b3).obs
        assert abs(o.acp_dir) < 1e-12 and abs(o.a_t1_true) < 1e-12 and abs(o.a_t2_true) < 1e-12
        assert abs(o.a_t2_fake) > 1e-3
        (u_p, u_m), (t_p, t_m) = nonfact_transverse(channel(name), b3, INP)
        assert u_p == 0 and u_m == 0 and t_m != 0
        o2 = evaluate(name, b2).obs
        assert abs(o2.a_t1_fake) < 1e-12 and abs(o2.a_t2_fake) < 1e-12
    bs = evaluate("Bs_rho0phi", b3).obs
    assert abs(bs.acp_perp) > 1e-3 and abs(bs.acp_para) > 1e-3
    assert bs.a_t1_true < 0
    assert nonfact_transverse(channel("Bs_rho0phi"), b2, INP) == ((0j, 0j), (0j, 0j))


def test_axial_convention_flips_the_phase_of_the_transverse_integral():
    """Flipping both φ^a terms (+1, the earlier convention, against the default −1 of §2.17) leaves
    |Re M̂_−| within 5 % but turns its imaginary part's sign: the convention the fake TPA's sign
    rests on (§2.15); bad values are refused."""
    plus = transverse_nonfactorisable("B_rho", None, 12, 16, axial_sign=1.0)[-1]["LL"]
    minus = transverse_nonfactorisable("B_rho", None, 12, 16)[-1]["LL"]
    assert minus.real == pytest.approx(plus.real, rel=0.05)
    assert plus.imag * minus.imag < 0
    with pytest.raises(ValueError, match="axial_sign"):
        transverse_nonfactorisable("B_rho", None, 12, 16, axial_sign=0.5)


def test_one_pass_gives_the_longitudinal_and_transverse_integrals():
    """``nonfactorisable_amplitudes`` (shared kernels, as the amplitudes use it) equals the
    separate longitudinal and transverse integrals, Wilson-weighted parts included."""
    from paperzoo.pqcd.nonfact import nonfactorisable_amplitudes, nonfactorisable_emission

    both = nonfactorisable_amplitudes("B_rho", None, 8, 10)
    long = nonfactorisable_emission("B_rho", None, 8, 10)
    trans = transverse_nonfactorisable("B_rho", None, 8, 10)
    for got, ref in ((both["L"], long), (both[1], trans[1]), (both[-1], trans[-1])):
        for key in ("LL", "LR", "LL_C", "LR_C"):
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-12, atol=1e-16)


def test_transverse_nonfactorisable_normalisation_is_the_exact_f_minus():
    """n_− H_−^{LCSR} is the absolute 2 r_3 f_3 m_B² Σ C M̂_− at x → 0 (§2.15): the unit is
    F_−^{LCSR} = [(1 + r)A_1(0) + (1 − r)V(0)]/2, not (A_1 + V)/2 (an O(r) difference, 3 %)."""
    from paperzoo.pqcd.factorization import form_factors, helicity_amplitudes
    from paperzoo.pqcd.fourbody import _nf, _nf_combine, lcsr_transverse_unit
    from paperzoo.pqcd.kt import BV_SETS

    b3 = FourBodyConfig(dynamics="B3")
    for name in ("Bs_rho0phi", "B0_rho0phi"):
        ch = channel(name)
        mb_key, _, _, v = BV_SETS[ch.form_factors]
        m_b, y, x = INP[mb_key], INP[f"m_{v}"], np.array([1e-3])
        f3 = INP[f"f_{ch.emitted}"]
        h = helicity_amplitudes(m_b, x, np.array([y]), f3, form_factors(x**2, ch.form_factors, INP))
        h_minus = float((h[0, 1] - h[0, 2]) / math.sqrt(2))
        absolute = _nf_combine(ch, b3, INP, _nf(ch, b3, INP)[-1])
        for j, (_, n_minus) in enumerate(nonfact_transverse(ch, b3, INP)):
            want = 2 * (x[0] / m_b) * f3 * m_b**2 * absolute[j]
            assert n_minus * h_minus == pytest.approx(want, rel=1e-6)
        vv, a1, _ = form_factors(np.zeros(1), ch.form_factors, INP)
        naive = 0.5 * float(a1[0] + vv[0])
        assert abs(lcsr_transverse_unit(ch, INP) / naive - 1) > 0.01
