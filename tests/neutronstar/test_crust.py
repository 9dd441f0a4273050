"""HP04 SLy fit, first-law baryon density and crust gluing."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.neutronstar.crust import (
    EPS_PER_BARYON_FE56,
    glue_crust,
    hp04_log_pressure,
    sly_crust,
    sly_full,
)
from paperzoo.neutronstar.tov import MEVFM3_TO_G_CM3, TabulatedEOS, mass_radius


def test_hp04_fit_is_increasing_and_causal():
    xi = np.linspace(5.0, 15.45, 2000)
    zeta = hp04_log_pressure(xi)
    assert np.all(np.diff(zeta) > 0)
    eos = sly_full()
    assert eos.sound_speed_squared()[eos.energy_density < 1600].max() < 1.0


def test_baryon_density_from_first_law():
    eos = sly_crust()
    n, eps, p = eos.baryon_density, eos.energy_density, eos.pressure
    assert eps[0] / n[0] == pytest.approx(EPS_PER_BARYON_FE56, rel=1e-12)
    # HP04 SLy crust–core transition: n = 0.076 fm⁻³ at ρ = 1.285e14 g cm⁻³
    assert eos.baryon_density_at(1.285e14 / MEVFM3_TO_G_CM3) == pytest.approx(0.076, abs=0.002)
    # d ln n / d ln ε = ε/(ε + P), checked by finite differences on the table
    slope = np.diff(np.log(n)) / np.diff(np.log(eps))
    mid = np.sqrt(eps[1:] * eps[:-1]) / (np.sqrt(eps[1:] * eps[:-1]) + np.sqrt(p[1:] * p[:-1]))
    np.testing.assert_allclose(slope, mid, rtol=2e-3)
    # bound matter: ε/n stays below m_n + 20 MeV up to saturation density
    assert np.all(eps / n < 939.6 + 20.0)


def test_sly_crust_range_validation():
    with pytest.raises(ValueError, match="eps_max"):
        sly_crust(eps_max=5000.0)
    with pytest.raises(ValueError, match="n_points"):
        sly_crust(n_points=2)


def test_glue_sly_crust_on_sly_core_is_neutral():
    core = sly_full()
    whole = mass_radius(core)
    for n_match in (0.05, 0.08, 0.11):
        glued = glue_crust(core, n_match)
        assert np.all(np.diff(glued.energy_density) > 0) and np.all(np.diff(glued.pressure) > 0)
        curve = mass_radius(glued)
        assert curve.max_mass == pytest.approx(whole.max_mass, abs=2e-3)
        assert curve.radius_1p4 == pytest.approx(whole.radius_1p4, abs=0.01)


def _stiff_core() -> TabulatedEOS:
    """A core stiffer than SLy at low density (higher P at equal ε), with n_B."""
    n = np.geomspace(0.04, 0.6, 200)
    eps = n * (939.0 + 20.0 * (n / 0.16) ** 2)
    p = 40.0 * n**3 / 0.16**2  # P = n² d(ε/n)/dn
    return TabulatedEOS(eps, p, n)


def test_glue_stiffer_core_stays_monotonic_and_causal():
    core = _stiff_core()
    glued = glue_crust(core, 0.08)
    i = int(np.searchsorted(glued.baryon_density, 0.08))
    assert glued.baryon_density[i] == pytest.approx(0.08)
    assert glued.pressure[i] == pytest.approx(float(core.pressure_at_baryon_density(0.08)))
    assert np.all(np.diff(glued.energy_density) > 0)
    assert np.all(np.diff(glued.baryon_density) > 0)
    # crust below, core above the matching pressure
    crust = sly_crust()
    below = glued.pressure < glued.pressure[i]
    np.testing.assert_allclose(
        glued.energy_density[below], crust.energy_density_at(glued.pressure[below]), rtol=1e-9
    )
    above = glued.baryon_density > 0.08
    np.testing.assert_allclose(glued.pressure[above], core.pressure[core.baryon_density > 0.08])


def test_glue_errors():
    core = _stiff_core()
    with pytest.raises(ValueError, match="n_match"):
        glue_crust(core, 2.0)
    with pytest.raises(ValueError, match="core"):
        glue_crust(TabulatedEOS(core.energy_density, core.pressure), 0.08)
    with pytest.raises(ValueError, match="crust"):
        glue_crust(core, 0.5, crust=sly_crust(eps_max=50.0))
