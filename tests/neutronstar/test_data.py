"""Observational boxes and the constraint checker, on synthetic curves and on SLy."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.neutronstar.crust import sly_full
from paperzoo.neutronstar.data import (
    HESS_J1731,
    check_constraints,
    curve_crosses_box,
    hess_radius_interval,
)
from paperzoo.neutronstar.tov import MassRadiusCurve, TabulatedEOS, mass_radius


def synthetic_curve(radius_km: float, max_mass: float, lambda_1p4: float) -> MassRadiusCurve:
    """Constant-radius branch from 0.3 M⊙ to ``max_mass`` with Λ ∝ M⁻⁶ through Λ_1.4."""
    mass = np.linspace(0.3, max_mass, 30)
    pc = np.geomspace(5.0, 500.0, 30)
    lam = lambda_1p4 * (mass / 1.4) ** -6
    return MassRadiusCurve(
        central_pressure=pc,
        central_energy_density=np.geomspace(200.0, 1000.0, 30),
        central_baryon_density=None,
        mass=mass,
        radius=np.full(30, radius_km),
        k2=np.full(30, 0.1),
        tidal_deformability=lam,
        max_mass=max_mass,
        radius_at_max_mass=radius_km,
        max_mass_reached=True,
    )


def causal_eos() -> TabulatedEOS:
    eps = np.geomspace(1.0, 1000.0, 50)
    return TabulatedEOS(eps, 0.3 * eps)


def test_hess_boxes():
    assert hess_radius_interval(1.0) == pytest.approx((9.62, 11.26))
    assert hess_radius_interval(2.0) == pytest.approx((8.84, 12.12))
    assert HESS_J1731.box(1.0)[0] == pytest.approx((0.60, 0.97))
    with pytest.raises(ValueError, match="sigma"):
        HESS_J1731.box(0.0)


@pytest.mark.parametrize(
    ("radius", "max_mass", "lam", "in1", "in2", "passes"),
    [
        (10.5, 2.1, 300.0, True, True, True),
        (11.8, 2.1, 300.0, False, True, True),
        (12.5, 2.1, 300.0, False, False, False),
        (10.5, 1.9, 300.0, True, True, False),
        (10.5, 2.1, 700.0, True, True, False),
        (10.5, 1.3, 300.0, True, True, False),  # M_max < 1.4: Λ_1.4 undefined
    ],
)
def test_check_constraints_logic(radius, max_mass, lam, in1, in2, passes):
    result = check_constraints(synthetic_curve(radius, max_mass, lam), causal_eos())
    assert result["radius_0p77"] == pytest.approx(radius)
    assert result["hess_1sigma"] is in1
    assert result["hess_2sigma"] is in2
    assert result["max_mass_ok"] is (max_mass >= 2.0)
    assert result["passes_all"] is passes
    assert result["cs2_max"] == pytest.approx(0.3)
    if max_mass < 1.4:
        assert np.isnan(result["lambda_1p4"]) and result["lambda_1p4_ok"] is False
    else:
        assert result["lambda_1p4"] == pytest.approx(lam, rel=1e-6)


def test_one_sigma_requirement_switch():
    result = check_constraints(synthetic_curve(11.8, 2.1, 300.0), causal_eos(), hess_sigma=1.0)
    assert result["passes_all"] is False


def test_curve_crosses_box():
    assert curve_crosses_box(synthetic_curve(10.0, 2.1, 300.0), HESS_J1731, 1.0)
    assert not curve_crosses_box(synthetic_curve(11.5, 2.1, 300.0), HESS_J1731, 1.0)
    assert curve_crosses_box(synthetic_curve(11.5, 2.1, 300.0), HESS_J1731, 2.0)


def test_sly_constraints():
    eos = sly_full()
    result = check_constraints(mass_radius(eos), eos)
    assert result["radius_0p77"] == pytest.approx(11.9, abs=0.1)
    assert result["hess_1sigma"] is False and result["hess_2sigma"] is True
    assert result["max_mass_ok"] and result["lambda_1p4_ok"] and result["causal"]
    assert result["passes_all"] is True
