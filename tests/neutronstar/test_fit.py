"""PDM parameter fit: saturation (checked by differentiating the EOS), regressions, bad input."""

from __future__ import annotations

from functools import cache

import pytest

from paperzoo.neutronstar.config import PDMInputs
from paperzoo.neutronstar.fit import fit_pdm, saturation_properties

M0S = [500.0, 600.0, 700.0, 800.0, 850.0, 900.0]


@cache
def _fit(m0: float, l0: float | None = 57.7):
    return fit_pdm(m0, L0=l0)


@pytest.mark.parametrize("m0", M0S)
def test_saturation_properties(m0):
    sat = saturation_properties(_fit(m0))
    assert sat["n0"] == pytest.approx(0.16, rel=5e-3)
    assert sat["E_bind"] == pytest.approx(-16.0, abs=0.1)
    assert abs(sat["P_n0"]) < 0.01
    assert sat["K"] == pytest.approx(240.0, abs=2.0)
    assert sat["S0"] == pytest.approx(31.0, abs=0.3)
    assert sat["L0"] == pytest.approx(57.7, abs=1.0)


def test_saturation_with_other_inputs():
    inp = PDMInputs(K=215.0, S0=32.0, E_bind=-15.8, n0=0.155)
    sat = saturation_properties(fit_pdm(800.0, inp, L0=50.0))
    assert sat["n0"] == pytest.approx(0.155, rel=5e-3)
    assert sat["E_bind"] == pytest.approx(-15.8, abs=0.1)
    assert sat["K"] == pytest.approx(215.0, abs=2.0)
    assert sat["S0"] == pytest.approx(32.0, abs=0.3)
    assert sat["L0"] == pytest.approx(50.0, abs=1.0)


# parameter table of docs/neutronstar.md §2.4 (f_π = 92.4, m_π = 140): m0 -> g1, g2, μ̄²/f², λ4,
# λ6 f², g_ω, m_σ, m*(n0), g_ρ (no mixing), L0 (no mixing)
A4 = {
    500: (15.47, 9.02, 22.70, 41.94, 16.94, 11.34, 396, 611, 7.32, 94),
    600: (14.93, 8.48, 22.35, 40.39, 15.75, 9.13, 414, 709, 7.86, 86),
    700: (14.26, 7.81, 19.28, 35.46, 13.89, 7.30, 388, 773, 8.13, 83),
    800: (13.44, 6.99, 11.93, 23.12, 8.89, 5.66, 333, 818, 8.30, 81),
    850: (12.95, 6.50, 7.06, 14.61, 5.25, 4.72, 299, 838, 8.37, 81),
    900: (12.41, 5.96, 1.50, 4.43, 0.64, 3.52, 271, 859, 8.44, 80),
}
MIXING_577 = {
    500: (9.78, 0.037),
    600: (9.40, 0.053),
    700: (9.39, 0.100),
    800: (9.42, 0.238),
    850: (9.44, 0.461),
    900: (9.46, 1.41),
}


@pytest.mark.parametrize("m0", sorted(A4))
def test_a4_table(m0):
    p = _fit(float(m0), None)
    f = p.inputs.f_pi
    sat = saturation_properties(p)
    got = (
        p.g1,
        p.g2,
        p.mu2bar / f**2,
        p.lambda4,
        p.lambda6 * f**2,
        p.g_omega,
        p.m_sigma,
        sat["m_star"],
        p.g_rho,
        sat["L0"],
    )
    for value, ref in zip(got, A4[m0], strict=True):
        assert value == pytest.approx(ref, rel=0.01)
    assert p.lambda_omega_rho == 0.0
    mixed = _fit(float(m0))
    assert mixed.g_rho == pytest.approx(MIXING_577[m0][0], rel=0.01)
    assert mixed.lambda_omega_rho == pytest.approx(MIXING_577[m0][1], rel=0.01)


def test_mixing_at_l0_45():
    p = fit_pdm(850.0, L0=45.0)
    assert p.g_rho == pytest.approx(10.25, rel=0.01)
    assert p.lambda_omega_rho == pytest.approx(0.72, rel=0.01)


def test_shin_et_al_m0_700_regression():
    # Shin, Paeng, Harada, Kim (arXiv:1805.03402) via GiBUU RMF.f90: f_π = 93, m_π = 138 MeV
    p = fit_pdm(700.0, PDMInputs(f_pi=93.0, m_pi=138.0), L0=None)
    assert p.lambda6 * 93.0**2 == pytest.approx(13.5401, rel=5e-3)
    assert p.g_omega == pytest.approx(7.30465, rel=5e-3)
    assert p.m_sigma == pytest.approx(385.805, rel=5e-3)
    assert p.g1 == pytest.approx(14.1708, rel=5e-3)
    assert p.g2 == pytest.approx(7.7622, rel=5e-3)
    assert p.g_rho / 2 == pytest.approx(4.065, rel=5e-3)  # they couple ρ to τ, not τ/2


def test_fit_continuous_near_900():
    # the delicate region: λ6 → 0 and a spurious small-σ0 root appears; the fit stays on the branch
    lam6 = [fit_pdm(m0).lambda6 * 92.4**2 for m0 in (880.0, 890.0, 900.0, 910.0)]
    assert all(a > b for a, b in zip(lam6, lam6[1:], strict=False))
    assert lam6[2] == pytest.approx(0.64, rel=0.01)


@pytest.mark.parametrize("m0", [939.0, 1000.0, -1.0, float("nan")])
def test_fit_rejects_bad_m0(m0):
    with pytest.raises(ValueError, match="m0"):
        fit_pdm(m0)


def test_fit_reports_non_convergence():
    with pytest.raises(ValueError, match=r"m0 = 700.*residual"):
        fit_pdm(700.0, PDMInputs(K=5000.0))


def test_fit_rejects_unreachable_l0():
    with pytest.raises(ValueError, match="L0"):
        fit_pdm(700.0, L0=-200.0)
