"""Analytic EOS objects: exact formulas, agreement with the tabulated path, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.neutronstar.analytic import (
    GEO_DENSITY_MEVFM3,
    PiecewisePolytrope,
    Polytrope,
)
from paperzoo.neutronstar.crust import SLyFit, glue_crust, hp04_log_pressure, sly_full
from paperzoo.neutronstar.tov import (
    MEVFM3_TO_DYN_CM2,
    MEVFM3_TO_G_CM3,
    MSUN_KM,
    TabulatedEOS,
    mass_radius,
    solve_tov,
)


def _as_table(eos: TabulatedEOS, stride: int = 1) -> TabulatedEOS:
    """The same nodes as a plain table (numerical enthalpy, log-log interpolation)."""
    return TabulatedEOS(
        eos.energy_density[::stride], eos.pressure[::stride], eos.baryon_density[::stride]
    )


def test_polytrope_is_an_eos_table_with_the_textbook_star():
    eos = Polytrope(K=100.0, gamma=2.0, rho_max=4e-3)
    assert isinstance(eos, TabulatedEOS)
    rho = eos.baryon_density * 931.49410242 / GEO_DENSITY_MEVFM3  # back to G = c = M⊙ = 1
    np.testing.assert_allclose(eos.pressure / GEO_DENSITY_MEVFM3, 100.0 * rho**2, rtol=1e-12)
    pc = 100.0 * 1.28e-3**2 * GEO_DENSITY_MEVFM3
    star = solve_tov(eos, [pc])
    assert star.mass[0] == pytest.approx(1.400, abs=1e-3)
    assert star.radius[0] / MSUN_KM == pytest.approx(9.586, rel=5e-3)


@pytest.mark.parametrize("n_points", [250, 500])
def test_polytrope_analytic_and_tabulated_paths_agree(n_points):
    pcs = np.array([0.3, 1.0, 2.0]) * 100.0 * 1.28e-3**2 * GEO_DENSITY_MEVFM3
    truth = solve_tov(Polytrope(n_points=8000), pcs, n_steps=2000)
    eos = Polytrope(n_points=n_points)
    exact, tab = solve_tov(eos, pcs), solve_tov(_as_table(eos), pcs)
    for i in (0, 1, 3):  # M, R, Λ
        err_exact = np.max(np.abs(exact[i] / truth[i] - 1))
        err_tab = np.max(np.abs(tab[i] / truth[i] - 1))
        assert err_tab < 1e-3
        assert err_exact <= err_tab  # the exact enthalpy at the nodes helps
        np.testing.assert_allclose(exact[i], tab[i], rtol=1e-3)


def test_piecewise_polytrope_sly_matches_hp04_sly_and_read_et_al():
    pp = PiecewisePolytrope.named("SLy")
    curve = mass_radius(pp, 30)
    # Read et al. (2009) Table III: SLy fit M_max = 2.049; the HP04 SLy fit here gives 2.048.
    # The table ends where c_s² reaches 1, right at the maximum (not always bracketed).
    assert curve.max_mass == pytest.approx(2.049, abs=0.01)
    hp04 = mass_radius(sly_full(), 30)
    assert curve.radius_1p4 == pytest.approx(hp04.radius_1p4, abs=0.05)
    assert curve.lambda_1p4 == pytest.approx(hp04.lambda_1p4, rel=0.03)
    # the tabulated path on the same nodes gives the same stars
    pcs = curve.central_pressure[6::6]  # M > 0.1 M⊙ (the lightest are envelope-dominated)
    for a, b in zip(solve_tov(pp, pcs), solve_tov(_as_table(pp), pcs), strict=True):
        np.testing.assert_allclose(a, b, rtol=5e-4)


def test_piecewise_polytrope_exact_methods():
    pp = PiecewisePolytrope()
    n1 = 10**14.7 / MEVFM3_TO_G_CM3 / 931.49410242  # n_B at ρ1
    p1 = float(pp.pressure_at_baryon_density(n1)) * MEVFM3_TO_DYN_CM2  # P(ρ1) = 10^log_p1
    assert math.log10(p1) == pytest.approx(pp.log_p1, abs=1e-12)
    np.testing.assert_allclose(pp.energy_density_at(pp.pressure), pp.energy_density, rtol=1e-12)
    # the table's log-log interpolation approximates the exact ε(P) between nodes
    mid = np.sqrt(pp.pressure[1:] * pp.pressure[:-1])[10:-10]
    approx = TabulatedEOS.energy_density_at(pp, mid)
    np.testing.assert_allclose(approx, pp.energy_density_at(mid), rtol=1e-2)
    cs2 = pp.sound_speed_squared()
    assert np.all((cs2 > 0) & (cs2 <= 1.0))
    # continuity: ε and P continuous across the dividing densities (no jumps in the table)
    assert np.all(np.diff(pp.energy_density) > 0) and np.all(np.diff(pp.pressure) > 0)


def test_sly_fit_is_analytic_and_unchanged():
    eos = sly_full()
    assert isinstance(eos, SLyFit) and isinstance(eos, TabulatedEOS)
    eps = np.array([1.0, 150.0, 900.0])
    zeta = hp04_log_pressure(np.log10(eps * MEVFM3_TO_G_CM3))
    np.testing.assert_allclose(eos.pressure_at(eps), 10**zeta / MEVFM3_TO_DYN_CM2, rtol=1e-12)
    numeric = np.gradient(eos.pressure, eos.energy_density)
    np.testing.assert_allclose(eos.sound_speed_squared()[5:-5], numeric[5:-5], rtol=2e-2)


def test_analytic_eos_goes_wherever_a_table_goes(tmp_path):
    core = PiecewisePolytrope.named("MPA1")
    glued = glue_crust(core, 0.08, SLyFit(eps_max=100.0))
    assert glued.energy_density[0] < core.energy_density[0] * 1e3
    path = core.to_csv(tmp_path / "mpa1.csv")
    back = TabulatedEOS.from_csv(path)
    np.testing.assert_array_equal(back.pressure, core.pressure)
    assert mass_radius(glued, 10).max_mass > 2.3


@pytest.mark.parametrize(
    ("make", "match", "error"),
    [
        (lambda: Polytrope(gamma=1.0), "gamma", ValueError),
        (lambda: Polytrope(K=-1.0), "K", ValueError),
        (lambda: Polytrope(rho_max=math.nan), "rho_max", ValueError),
        (lambda: Polytrope(K="100"), "K", TypeError),
        (lambda: Polytrope(n_points=3), "n_points", ValueError),
        (lambda: PiecewisePolytrope(log_p1=40.0), "log_p1", ValueError),
        (lambda: PiecewisePolytrope(gamma2=0.9), "gamma2", ValueError),
        (lambda: PiecewisePolytrope(rho_max=1e16), "acausal", ValueError),
        (lambda: PiecewisePolytrope(log_p1=33.0, gamma1=1.5), "rho0", ValueError),
        (lambda: PiecewisePolytrope.named("XYZ"), "name", ValueError),
        (lambda: SLyFit(eps_max=5000.0), "eps_max", ValueError),
    ],
)
def test_bad_parameters_raise_one_clear_error(make, match, error):
    with pytest.raises(error, match=match):
        make()
