"""Mean-field EOS: physical branch, thermodynamic consistency, continuations, bad input."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from paperzoo.neutronstar.config import CSS, Crossover, QuarkCSS
from paperzoo.neutronstar.constants import HBARC3
from paperzoo.neutronstar.eos import (
    consistency_report,
    continue_eos,
    crossover_coefficients,
    pdm_eos_table,
    solve_mean_field,
)
from paperzoo.neutronstar.fit import fit_pdm, symmetric_state


@cache
def _params(m0: float):
    return fit_pdm(m0)


@cache
def _table(m0: float, matter: str = "beta"):
    if matter == "beta":
        return pdm_eos_table(_params(m0), n_max=1.0, n_points=300)
    return pdm_eos_table(_params(m0), n_max=1.0, n_points=300, matter="symmetric", n_min=0.17)


@pytest.mark.parametrize("m0", [700.0, 850.0])
def test_beta_equilibrium_consistency(m0):
    tab = _table(m0)
    assert tab.n_B.size >= 300
    assert tab.n_B[0] == pytest.approx(0.04, rel=0.3)
    assert tab.n_B[-1] == pytest.approx(1.0, rel=1e-3)
    rep = consistency_report(tab)  # dP/dμ from independently re-solved pressures at μ ± h
    assert rep["euler"] < 1e-8
    assert rep["dP_dmu"] < 1e-5
    assert rep["charge"] < 1e-10
    assert rep["sigma_max"] <= 1.0
    assert rep["sigma_increase"] <= 1e-12  # σ decreases with density
    single = np.diff(tab.mu_B) > 0  # coexisting states at a first-order transition share μ, P
    assert np.all(np.diff(tab.pressure)[single] > 0) and np.all(np.diff(tab.pressure) >= 0)
    assert np.all(np.diff(tab.energy_density) > 0)
    assert np.all((tab.proton_fraction > 0) & (tab.proton_fraction < 0.2))
    assert np.all(tab.mu_e >= 0)


def test_symmetric_matter_against_fixed_density_solver():
    # two independent solvers: the μ-grid field solver and the fixed-density σ minimisation
    tab = _table(850.0, "symmetric")
    rep = consistency_report(tab)
    assert rep["euler"] < 1e-8 and rep["dP_dmu"] < 1e-5 and rep["sigma_increase"] <= 1e-12
    for i in (0, 100, 299):
        ref = symmetric_state(tab.params, float(tab.n_B[i]))
        assert tab.energy_density[i] == pytest.approx(ref["eps"], rel=1e-10)
        assert tab.sigma[i] == pytest.approx(ref["sigma"], rel=1e-8)
    np.testing.assert_allclose(tab.proton_fraction, 0.5, rtol=1e-12)


def test_saturation_point_from_field_solver():
    p = _params(850.0)
    st = solve_mean_field(p, [p.inputs.m_N + p.inputs.E_bind], "symmetric")
    assert st.n_baryon.sum() / HBARC3 == pytest.approx(0.16, rel=1e-6)
    assert abs(st.pressure[0] / HBARC3) < 1e-6


def test_pressure_derivative_matches_float64_finite_difference():
    # reference: P(μ) at a few μ by the scalar solver, 4th-order finite difference
    p = _params(800.0)
    mu0, h = 1100.0, 0.05
    mus = mu0 + h * np.array([-2, -1, 1, 2])
    pr = solve_mean_field(p, mus).pressure
    dp = (pr[0] - 8 * pr[1] + 8 * pr[2] - pr[3]) / (12 * h)
    n = solve_mean_field(p, [mu0]).n_baryon.sum()
    assert dp == pytest.approx(n, rel=1e-7)


def test_no_unphysical_branch_at_high_density():
    # a naive root finder ends at σ > f_π (docs/neutronstar.md §2.3); the solver stays on σ < f_π
    st = solve_mean_field(_params(700.0), np.linspace(950.0, 1600.0, 40))
    assert np.all(st.sigma < st.sigma[0] + 1e-9)
    assert np.all(st.sigma <= _params(700.0).inputs.f_pi)
    assert np.all(st.residual < 1e-10)


@pytest.mark.slow
def test_first_order_transition_m0_500():
    tab = pdm_eos_table(_params(500.0), n_max=0.6, n_points=300)
    pair = np.nonzero(np.diff(tab.mu_B) == 0)[0]
    assert pair.size == 1
    i = int(pair[0])
    assert tab.pressure[i] == tab.pressure[i + 1]
    assert tab.n_B[i + 1] > tab.n_B[i] * 1.01  # density jump
    assert np.all(np.diff(tab.pressure) >= 0)
    rep = consistency_report(tab)
    assert rep["euler"] < 1e-8 and rep["dP_dmu"] < 1e-5 and rep["charge"] < 1e-10


def test_css_continuation():
    tab = _table(850.0)
    ext = continue_eos(tab, CSS(c_s2=0.5), n_max=2.0)
    n, eps, p, mu = ext["n_B"], ext["energy_density"], ext["pressure"], ext["mu_B"]
    above = n > 0.33
    cs2 = np.diff(p[above]) / np.diff(eps[above])
    np.testing.assert_allclose(cs2, 0.5, rtol=1e-9)
    np.testing.assert_allclose(eps + p, mu * n, rtol=1e-9)
    assert n[-1] == pytest.approx(2.0, rel=1e-9)
    assert np.all(np.diff(p) > 0) and np.all(np.diff(n) > 0)


def test_crossover_matches_both_ends():
    tab = _table(850.0)
    ext = continue_eos(tab, Crossover(), n_max=1.5)
    mu, n, p = ext["mu_B"], ext["n_B"], ext["pressure"]
    assert np.all(np.diff(p) > 0) and np.all(np.diff(n) > 0)
    cs2 = np.diff(p) / np.diff(ext["energy_density"])
    assert np.all((cs2 > 0) & (cs2 <= 1))
    np.testing.assert_allclose(ext["energy_density"] + p, mu * n, rtol=1e-9)
    q = QuarkCSS()
    i = int(np.argmin(np.abs(mu - q.mu_U)))
    assert p[i] == pytest.approx(q.P_U, rel=1e-9)
    assert n[i] == pytest.approx(0.8, rel=1e-9)


def test_crossover_coefficients_reference():
    c_true = np.array([3.0, -2.0, 0.5, 0.1, -0.01, 0.002])
    poly = np.polynomial.Polynomial(c_true)
    d1, d2 = poly.deriv(1), poly.deriv(2)
    c = crossover_coefficients(1.0, poly(1.0), d1(1.0), d2(1.0), 2.0, poly(2.0), d1(2.0), d2(2.0))
    np.testing.assert_allclose(c, c_true, rtol=1e-9, atol=1e-12)


def test_crossover_rejects_unstable_or_acausal():
    with pytest.raises(ValueError, match="continuation"):
        continue_eos(_table(850.0), Crossover(quark=QuarkCSS(0.5, 1600.0, 300.0)), n_max=1.5)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: pdm_eos_table(_params(850.0), n_points=2), "n_points"),
        (lambda: pdm_eos_table(_params(850.0), matter="pure"), "matter"),
        (lambda: pdm_eos_table(_params(850.0), n_min=-0.1), "n_min"),
        (lambda: pdm_eos_table(_params(850.0), matter="symmetric", n_min=0.05), "n_min"),
        (lambda: solve_mean_field(_params(850.0), [-5.0]), "mu_B"),
        (lambda: CSS(c_s2=1.5), "c_s2"),
        (lambda: QuarkCSS(P_U=-1.0), "P_U"),
        (lambda: Crossover(n_L_n0=6.0), "n_L_n0"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_build_eos_glues_crust_and_continuation():
    from paperzoo.neutronstar.eos import build_eos
    from paperzoo.neutronstar.tov import TabulatedEOS

    eos = build_eos(850.0, continuation=CSS(c_s2=0.5))
    assert isinstance(eos, TabulatedEOS)
    n = eos.baryon_density
    assert n is not None and n[0] < 1e-6 and n[-1] == pytest.approx(2.0, rel=1e-6)
    assert np.all(np.diff(eos.pressure) >= 0) and np.all(np.diff(eos.energy_density) > 0)
    core = build_eos(850.0, crust=None, continuation=CSS(c_s2=0.5))
    assert core.pressure[0] > 0 and core.baryon_density[0] > 0.04
    # above the matching density the glued EOS is the PDM core
    assert float(eos.pressure_at_baryon_density(0.2)) == pytest.approx(
        float(core.pressure_at_baryon_density(0.2)), rel=1e-3
    )


@pytest.mark.slow  # about 10 s: the full PDM table up to n_B = 1.6 fm^-3
def test_build_eos_names_a_lost_branch_instead_of_a_broken_table():
    from paperzoo.neutronstar.eos import build_eos

    with pytest.raises(ValueError, match=r"m0=900: .*loses the physical branch near n_B"):
        build_eos(900.0, continuation=None)


@pytest.mark.slow
def test_njl_crossover_is_consistent_and_causal():
    from paperzoo.neutronstar.config import Crossover, QuarkNJL
    from paperzoo.neutronstar.eos import build_eos

    eos = build_eos(800.0, continuation=Crossover(quark=QuarkNJL()))
    n0 = 0.16
    n = eos.baryon_density
    mu = (eos.energy_density + eos.pressure) / n  # Euler relation at T = 0
    between = (n > 2.05 * n0) & (n < 4.95 * n0)
    assert between.sum() > 50
    dp = np.gradient(eos.pressure, mu)
    np.testing.assert_allclose(dp[between][1:-1], n[between][1:-1], rtol=2e-2)
    assert np.all(eos.sound_speed_squared() <= 1.0 + 1e-3)


@pytest.mark.slow
def test_njl_crossover_rejects_an_acausal_interpolation():
    from paperzoo.neutronstar.config import Crossover, QuarkNJL
    from paperzoo.neutronstar.eos import build_eos

    with pytest.raises(ValueError, match="acausal|dn/dmu"):
        build_eos(900.0, continuation=Crossover(quark=QuarkNJL()))
