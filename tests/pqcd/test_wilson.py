"""LO renormalisation-group running of C_1…C_10 as a cross-check of the typed NDR inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.wilson import inami_lim, lo_anomalous_dimension, lo_wilson_coefficients


@pytest.fixture(scope="module")
def inp():
    return load_inputs()


def test_current_current_eigenvalues_and_closed_form(inp):
    """γ_± = ±6 − 6/N = 4, −8 and C_± = η^{γ_±/(2β0)}: the textbook closed form."""
    g = lo_anomalous_dimension()
    assert sorted(np.linalg.eigvals(g[:2, :2]).real) == pytest.approx([-8.0, 4.0])
    c = lo_wilson_coefficients(inp)
    c_plus, c_minus = c[1] + c[0], c[1] - c[0]
    assert c_plus ** (23 / 6) == pytest.approx(c_minus ** (-23 / 12), rel=1e-10)  # both η
    at_mw = lo_wilson_coefficients(inp, mu=inp["WC_M_W"])
    assert at_mw[:6] == pytest.approx([0, 1, 0, 0, 0, 0], abs=1e-12) and at_mw[8] < 0


def test_inami_lim_at_the_bbl_top_mass():
    il = inami_lim(170.0**2 / 80.4**2)
    assert il["B0"] < 0 < il["C0"] and il["D0"] < 0
    assert il["D0_tilde"] == pytest.approx(il["D0"] - 4 / 9)


def test_typed_ndr_coefficients_agree_with_lo_running(inp):
    """The NDR (NLO) C_i of the input file against our LO solution at μ = 4.4 GeV: the trees
    within 0.06, the QCD penguins with the same sign and within a factor 1.6, C_9/α and C_10/α
    within 15 % (C_7, C_8 need QED mixing, left out). A sign flip, a swap of two entries or a
    factor-10 typo fails."""
    lo = lo_wilson_coefficients(inp)
    typed = np.array([inp[f"C{i}"] for i in range(1, 7)])
    assert abs(typed[0] - lo[0]) < 0.06 and abs(typed[1] - lo[1]) < 0.06
    ratio = typed[2:6] / lo[2:6]
    assert np.all((ratio > 1 / 1.6) & (ratio < 1.6)), ratio
    alpha = inp["alpha_em"]
    for i in (9, 10):
        assert inp[f"C{i}_over_alpha"] == pytest.approx(lo[i - 1] / alpha, rel=0.15)
    assert math.copysign(1, inp["C8_over_alpha"]) == math.copysign(1, lo[7])


def test_scale_outside_range_is_refused(inp):
    with pytest.raises(ValueError, match="mu must lie"):
        lo_wilson_coefficients(inp, mu=0.5)


def test_running_to_the_hard_scale_is_the_lo_solution(inp):
    """C(t) of ``wilson_at`` (the eigen-modes of γ^(0), n_f = 4) equals the matrix exponential
    exp[γ^(0)ᵀ ln η/(2β_0)] C(μ0), η = α_s(μ0)/α_s(t), above the freezing scale; C(μ0) is the
    typed input; C_± run with η^{4/(2β0)}, η^{−8/(2β0)}; below ``WC_t_freeze`` C(t) = C(t_f)
    (finite as t → Λ^(4)); t at or below Λ^(4) and a freezing scale outside (Λ^(4), μ0] are
    refused."""
    from scipy.linalg import expm

    from paperzoo.pqcd.kt import alpha_s
    from paperzoo.pqcd.wilson import input_coefficients, running_eta, wilson_at

    t = np.array([[inp["WC_mu_b"], 2.0], [1.2, 0.6]])
    c = wilson_at(t, inp)
    assert c.shape == (10, 2, 2)
    c0 = input_coefficients(inp)
    assert c[:, 0, 0] == pytest.approx(c0, rel=1e-12)
    beta0 = 11 - 2 * 4 / 3
    lam = inp["Lambda_QCD4"]
    for mu in (2.0, 1.2):
        eta = alpha_s(inp["WC_mu_b"], lam) / alpha_s(mu, lam)
        ref = expm(lo_anomalous_dimension(n_f=4).T * math.log(eta) / (2 * beta0)) @ c0
        got = c[:, t == mu][:, 0]
        assert got == pytest.approx(ref, rel=1e-10, abs=1e-15)
        plus, minus = got[1] + got[0], got[1] - got[0]
        assert plus == pytest.approx((c0[1] + c0[0]) * eta ** (4 / (2 * beta0)), rel=1e-10)
        assert minus == pytest.approx((c0[1] - c0[0]) * eta ** (-8 / (2 * beta0)), rel=1e-10)
    t_f = inp["WC_t_freeze"]
    frozen = wilson_at(np.array([t_f, 0.6, lam * (1 + 1e-12)]), inp)
    np.testing.assert_array_equal(frozen[:, 1], frozen[:, 0])
    np.testing.assert_array_equal(frozen[:, 2], frozen[:, 0])
    assert np.all(np.isfinite(frozen))
    with pytest.raises(ValueError, match="Lambda_QCD4"):
        wilson_at(np.array([lam]), inp)
    for bad in (lam, 5.0):
        with pytest.raises(ValueError, match="WC_t_freeze"):
            running_eta(np.array([2.0]), dict(inp) | {"WC_t_freeze": bad})


def test_hard_scale_weighted_coefficients_lie_between_m_b_and_1_gev(inp):
    """∫C_i(t) dA_0/A_0 (kT factorisable) and ∫C_i(t) dM̂/M̂ (non-factorisable, real part) of both
    B → V sets: every C_i between its values at μ0 = 4.4 GeV and at 1 GeV (the kernels' hard
    scales sit in between; the ratio of the complex M̂'s has an imaginary part of a few %: the
    absorptive and dispersive parts sit at different scales)."""
    from paperzoo.pqcd.kt import bv_form_factor_a0
    from paperzoo.pqcd.nonfact import nonfactorisable_emission
    from paperzoo.pqcd.wilson import wilson_at

    ends = wilson_at(np.array([inp["WC_mu_b"], 1.0]), inp)
    lo, hi = ends.min(axis=1), ends.max(axis=1)
    for which in ("Bs_phi", "B_rho"):
        c_bar = bv_form_factor_a0(which, inp, 12, 16, wilson=True) / bv_form_factor_a0(
            which, inp, 12, 16
        )
        assert np.all((lo <= c_bar) & (c_bar <= hi)), (which, c_bar)
        r = nonfactorisable_emission(which, inp, 8, 10)
        for chir in ("LL", "LR"):
            ratio = r[f"{chir}_C"] / r[chir]
            assert np.all((lo <= ratio.real) & (ratio.real <= hi)), (which, chir, ratio)
