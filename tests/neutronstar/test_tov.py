"""TOV + tidal solver: SLy and polytrope benchmarks, the scipy r-form oracle, jumps, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.neutronstar.baselines import scipy_tov
from paperzoo.neutronstar.crust import sly_full
from paperzoo.neutronstar.tov import (
    MEVFM3_TO_KM2,
    MSUN_KM,
    TabulatedEOS,
    love_number_k2,
    mass_radius,
    solve_tov,
)

GEO_TO_MEVFM3 = 1.0 / MSUN_KM**2 / MEVFM3_TO_KM2  # G = c = M⊙ = 1 density -> MeV fm⁻³


def polytrope(k: float, gamma: float, rho_max: float, n: int = 500) -> TabulatedEOS:
    """P = Kρ^Γ, ε = ρ + P/(Γ−1) in G = c = M⊙ = 1, tabulated in MeV fm⁻³."""
    rho = np.geomspace(rho_max * 1e-11, rho_max, n)
    p = k * rho**gamma
    return TabulatedEOS((rho + p / (gamma - 1)) * GEO_TO_MEVFM3, p * GEO_TO_MEVFM3, rho)


@pytest.fixture(scope="module")
def sly_curve():
    eos = sly_full()
    return eos, mass_radius(eos, 50)


def test_units_rederived_from_codata():
    assert MSUN_KM == pytest.approx(1.47667, rel=1e-4)
    assert MEVFM3_TO_KM2 == pytest.approx(1.32383e-6, rel=1e-5)


def test_sly_mass_radius_matches_published(sly_curve):
    _, curve = sly_curve
    assert curve.max_mass_reached
    assert curve.max_mass == pytest.approx(2.05, abs=0.01)
    assert curve.radius_at_max_mass == pytest.approx(9.99, abs=0.1)  # Douchin & Haensel 2001
    assert curve.radius_1p4 == pytest.approx(11.7, abs=0.1)
    assert curve.lambda_1p4 == pytest.approx(300.0, rel=0.10)
    assert np.all(np.diff(curve.mass) > 0)
    assert curve.radius_at(1.4) == pytest.approx(curve.radius_1p4)


def test_sly_star_agrees_with_solve_ivp_reference(sly_curve):
    eos, curve = sly_curve
    pc = curve.central_pressure_at(1.4)
    ours = solve_tov(eos, [pc])
    ref = scipy_tov.solve_tov(eos, [pc])
    assert ours.mass == pytest.approx(ref.mass, rel=1e-4)
    assert ours.radius == pytest.approx(ref.radius, rel=1e-4)
    assert ours.tidal_deformability == pytest.approx(ref.tidal_deformability, rel=3e-3)


def test_gamma2_polytrope_against_reference_and_known_star():
    # K = 100, Γ = 2, ρ_c = 1.28e-3 (G = c = M⊙ = 1): M = 1.400, areal R ≈ 9.586 M⊙
    eos = polytrope(100.0, 2.0, 4e-3)
    pc = 100.0 * 1.28e-3**2 * GEO_TO_MEVFM3
    ours = solve_tov(eos, [pc])
    ref = scipy_tov.solve_tov(eos, [pc])
    assert ours.mass[0] == pytest.approx(1.400, abs=1e-3)
    assert ours.radius[0] / MSUN_KM == pytest.approx(9.586, rel=5e-3)
    assert ours.mass == pytest.approx(ref.mass, rel=1e-4)
    assert ours.radius == pytest.approx(ref.radius, rel=1e-4)
    assert ours.k2 == pytest.approx(ref.k2, rel=1e-3)
    assert ours.tidal_deformability == pytest.approx(ref.tidal_deformability, rel=1e-3)


def test_converges_as_step_halves():
    eos = polytrope(100.0, 2.0, 4e-3)
    pc = 100.0 * 1.28e-3**2 * GEO_TO_MEVFM3
    runs = [solve_tov(eos, [pc], n_steps=n) for n in (100, 200, 400, 1600)]
    for field in ("radius", "tidal_deformability"):
        values = np.array([getattr(r, field)[0] for r in runs])
        errors = np.abs(values[:3] - values[3])
        assert errors[1] < errors[0] / 3 and errors[2] < errors[1] / 3, (field, errors)
        assert errors[1] < 1e-4 * values[3]


def test_k2_newtonian_limit_of_n1_polytrope():
    # Newtonian n = 1 polytrope: k2 = (15 − π²)/(2π²); extrapolate linearly in C to C = 0
    k2_newton = (15 - math.pi**2) / (2 * math.pi**2)
    points = []
    for rho_c in (1.5e-5, 3e-5):
        eos = polytrope(100.0, 2.0, 1.5 * rho_c, n=400)
        star = solve_tov(eos, [100.0 * rho_c**2 * GEO_TO_MEVFM3])
        points.append((star.mass[0] * MSUN_KM / star.radius[0], star.k2[0]))
    (c1, k1), (c2, k2) = points
    assert c2 < 0.02
    assert k1 - c1 * (k2 - k1) / (c2 - c1) == pytest.approx(k2_newton, rel=5e-3)


def test_love_number_k2_formula_newtonian_limit():
    # C -> 0: k2 -> (2 - y) / (2 (y + 3)), the Newtonian Love number; GR corrections are O(C)
    for y in (0.0, 1.0, 2.5):
        newton = (2 - y) / (2 * (y + 3))
        d1, d2 = (float(love_number_k2(c, y)) - newton for c in (4e-3, 2e-3))
        assert abs(d1) < 2 * 4e-3
        assert abs(d2) == pytest.approx(abs(d1) / 2, rel=0.05)


def _with_jump(delta: float) -> TabulatedEOS:
    base = sly_full()
    eps, p = base.energy_density, base.pressure
    p_jump, d_eps = 60.0, 150.0
    i = int(np.searchsorted(p, p_jump))
    e_j = float(np.interp(p_jump, p, eps))
    return TabulatedEOS(
        np.concatenate([eps[:i], [e_j, e_j + d_eps], eps[i:] + d_eps]),
        np.concatenate([p[:i], [p_jump, p_jump * (1 + delta)], p[i:]]),
    )


def test_density_jump_matches_smoothed_reference():
    sharp, smooth = _with_jump(0.0), _with_jump(1e-5)
    pcs = np.array([100.0, 400.0])
    ours = solve_tov(sharp, pcs)
    ref = scipy_tov.solve_tov(smooth, pcs, rtol=1e-10)
    assert ours.mass == pytest.approx(ref.mass, rel=1e-4)
    assert ours.radius == pytest.approx(ref.radius, rel=1e-4)
    assert ours.tidal_deformability == pytest.approx(ref.tidal_deformability, rel=2e-3)
    # without the jump condition Λ would differ strongly: the jump matters
    assert (
        abs(ours.tidal_deformability[0] / solve_tov(sly_full(), [100.0]).tidal_deformability[0] - 1)
        > 0.2
    )


def test_radius_at_rejects_masses_off_the_branch(sly_curve):
    _, curve = sly_curve
    with pytest.raises(ValueError, match="mass"):
        curve.radius_at(2.2)
    with pytest.raises(ValueError, match="mass"):
        curve.lambda_at(0.01)


@pytest.mark.parametrize(
    ("eps", "p", "n", "match"),
    [
        (
            [1, 2, 2, 3],
            [0.1, 0.2, 0.3, 0.4],
            None,
            "energy_density: not strictly increasing at index 2",
        ),
        ([1, 2, 3, 4], [0.1, 0.3, 0.2, 0.4], None, "pressure: decreasing at index 2"),
        ([1, 2, 3, 4], [0.1, 0.2, 1.8, 1.9], None, "pressure: acausal"),
        ([1, 2, 3, 4], [0.1, float("nan"), 0.3, 0.4], None, "pressure: non-finite"),
        ([1, 2, 3, 4], [-0.1, 0.2, 0.3, 0.4], None, "pressure: must be > 0"),
        ([1, 2, 3, 4], [0.1, 0.2, 0.3], None, "pressure: length 3"),
        ([1, 2, 3], [0.1, 0.2, 0.3], None, "energy_density: need at least 4"),
        ([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.2, 0.3], "baryon_density: not strictly"),
    ],
)
def test_bad_tables_are_rejected(eps, p, n, match):
    with pytest.raises(ValueError, match=match):
        TabulatedEOS(np.array(eps, float), np.array(p, float), None if n is None else np.array(n))


def test_error_message_shows_index_and_values():
    with pytest.raises(ValueError, match=r"P\[1\] = 0\.3, P\[2\] = 0\.2"):
        TabulatedEOS(np.array([1.0, 2, 3, 4]), np.array([0.1, 0.3, 0.2, 0.4]))


def test_csv_roundtrip_and_header_variants(tmp_path):
    eos = sly_full(n_points=50)
    path = eos.to_csv(tmp_path / "sub" / "eos.csv")
    back = TabulatedEOS.from_csv(path)
    np.testing.assert_array_equal(back.energy_density, eos.energy_density)
    np.testing.assert_array_equal(back.baryon_density, eos.baryon_density)
    (tmp_path / "swapped.csv").write_text("# comment\np,eps\n0.1,1\n0.2,2\n0.3,3\n0.4,4\n")
    swapped = TabulatedEOS.from_csv(tmp_path / "swapped.csv")
    np.testing.assert_array_equal(swapped.pressure, [0.1, 0.2, 0.3, 0.4])
    assert swapped.baryon_density is None
    (tmp_path / "plain.txt").write_text("1 0.1\n2 0.2\n3 0.3\n4 0.4\n")
    assert TabulatedEOS.from_csv(tmp_path / "plain.txt").energy_density[-1] == 4.0


def test_csv_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no such EOS file"):
        TabulatedEOS.from_csv(tmp_path / "missing.csv")
    (tmp_path / "bad.csv").write_text("eps,p,temperature\n1,0.1,3\n2,0.2,3\n3,0.3,3\n4,0.4,3\n")
    with pytest.raises(ValueError, match="temperature"):
        TabulatedEOS.from_csv(tmp_path / "bad.csv")
    (tmp_path / "wide.csv").write_text("1,0.1,1,1\n2,0.2,2,2\n3,0.3,3,3\n4,0.4,4,4\n")
    with pytest.raises(ValueError, match="2 or 3 columns"):
        TabulatedEOS.from_csv(tmp_path / "wide.csv")


def test_tables_are_read_only():
    eos = sly_full(n_points=20)
    with pytest.raises(ValueError):
        eos.pressure[0] = 1.0


@settings(max_examples=30, deadline=None)
@given(st.floats(1.2, 3.0), st.floats(0.0, 1.0))
def test_interpolation_roundtrip(gamma, where):
    eps = np.geomspace(1.0, 1000.0, 40)
    eos = TabulatedEOS(eps, 1e-3 * eps**gamma / 1000.0 ** (gamma - 1))
    p = float(np.exp(np.log(eos.pressure[0]) + where * np.log(eos.pressure[-1] / eos.pressure[0])))
    assert eos.pressure_at(eos.energy_density_at(p)) == pytest.approx(p, rel=1e-12)
    assert np.all(eos.sound_speed_squared() <= 1.0 + 1e-3)
