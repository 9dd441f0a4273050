"""Reference tests of the PDM equation functions (pdm.py) and the input table (config.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from paperzoo.neutronstar import pdm
from paperzoo.neutronstar.config import PDMInputs
from paperzoo.neutronstar.pdm import PDMParams

INP = PDMInputs()


def _params(m0: float = 850.0, lam: float = 0.3) -> PDMParams:
    g1, g2 = pdm.vacuum_yukawa_couplings(m0, INP.m_N, INP.m_Nstar, INP.f_pi)
    l4, l6 = 14.6, 5.25 / INP.f_pi**2
    return PDMParams(
        m0=m0,
        g1=g1,
        g2=g2,
        mu2bar=float(pdm.vacuum_mu2bar(l4, l6, INP.f_pi, INP.m_pi)),
        lambda4=l4,
        lambda6=l6,
        g_omega=4.7,
        g_rho=9.4,
        lambda_omega_rho=lam,
    )


@pytest.mark.parametrize("m0", [0.0, 500.0, 700.0, 850.0, 900.0, 938.0])
def test_vacuum_masses(m0):
    g1, g2 = pdm.vacuum_yukawa_couplings(m0, INP.m_N, INP.m_Nstar, INP.f_pi)
    m_plus, m_minus = pdm.baryon_masses(INP.f_pi, m0, g1, g2)
    assert abs(m_plus / 939.0 - 1) < 1e-9
    assert abs(m_minus / 1535.0 - 1) < 1e-9


def test_mass_formula_and_derivatives_against_eigenvalues():
    # independent: m_± are the |eigenvalues| of the mass matrix [[g1 σ, m0], [m0, −g2 σ]]
    m0, g1, g2 = 700.0, 14.26, 7.81
    for s in (10.0, 50.0, 92.4):
        eig = np.linalg.eigvalsh(np.array([[g1 * s, m0], [m0, -g2 * s]]))
        mp, mm = pdm.baryon_masses(s, m0, g1, g2)
        np.testing.assert_allclose(sorted(np.abs(eig)), [mp, mm], rtol=1e-12)
    s, h = 60.0, 1e-4
    d = pdm.baryon_mass_derivatives(s, m0, g1, g2)
    fd = np.array(pdm.baryon_masses(s + h, m0, g1, g2)) - pdm.baryon_masses(s - h, m0, g1, g2)
    np.testing.assert_allclose(d[:2], fd / (2 * h), rtol=1e-8)
    fd2 = (
        np.array(pdm.baryon_mass_derivatives(s + h, m0, g1, g2)[:2])
        - pdm.baryon_mass_derivatives(s - h, m0, g1, g2)[:2]
    )
    np.testing.assert_allclose(d[2:], fd2 / (2 * h), rtol=1e-6)


def test_potential_vacuum_identities():
    l4, l6 = 35.46, 13.89 / INP.f_pi**2
    mu2 = float(pdm.vacuum_mu2bar(l4, l6, INP.f_pi, INP.m_pi))
    dv, v2 = pdm.meson_potential_derivatives(INP.f_pi, mu2, l4, l6, INP.f_pi, INP.m_pi)
    assert abs(dv) < 1e-12 * INP.m_pi**2 * INP.f_pi
    h = 1e-3
    fd2 = (
        pdm.meson_potential(INP.f_pi + h, mu2, l4, l6, INP.f_pi, INP.m_pi)
        - 2 * pdm.meson_potential(INP.f_pi, mu2, l4, l6, INP.f_pi, INP.m_pi)
        + pdm.meson_potential(INP.f_pi - h, mu2, l4, l6, INP.f_pi, INP.m_pi)
    ) / h**2
    m_sigma = pdm.vacuum_sigma_mass(l4, l6, INP.f_pi, INP.m_pi)
    assert m_sigma == pytest.approx(math.sqrt(fd2), rel=1e-5)
    assert m_sigma == pytest.approx(math.sqrt(v2), rel=1e-12)


@pytest.mark.parametrize(
    ("k", "m"), [(263.0, 838.0), (400.0, 600.0), (5.0, 939.0), (0.3, 105.66), (120.0, 0.511)]
)
def test_fermi_integrals_against_quad(k, m):
    def e(p: float) -> float:
        return math.hypot(p, m)

    n_s = quad(lambda p: m / e(p) * p * p, 0, k, epsabs=0, epsrel=1e-13)[0] / math.pi**2
    pres = quad(lambda p: p**4 / (3 * e(p)), 0, k, epsabs=0, epsrel=1e-13)[0] / math.pi**2
    eps = quad(lambda p: p * p * e(p), 0, k, epsabs=0, epsrel=1e-13)[0] / math.pi**2
    np.testing.assert_allclose(pdm.fermi_scalar_density(k, m), n_s, rtol=1e-10)
    np.testing.assert_allclose(pdm.fermi_pressure(k, m), pres, rtol=1e-10)
    np.testing.assert_allclose(pdm.fermi_energy_density(k, m), eps, rtol=1e-9)
    np.testing.assert_allclose(pdm.fermi_density(k), k**3 / (3 * math.pi**2), rtol=1e-15)
    mu = e(k)
    # ε + P = μ n (thermodynamic identity, T = 0)
    np.testing.assert_allclose(eps + pres, mu * k**3 / (3 * math.pi**2), rtol=1e-9)
    # derivatives at fixed μ by central differences of the quad-based integrals
    h = min(1e-4 * m, 1e-3 * k * k / (2 * m))

    def ns_at(mass: float) -> float:
        kk = math.sqrt(mu * mu - mass * mass)
        return quad(lambda p: mass / math.hypot(p, mass) * p * p, 0, kk, epsrel=1e-13)[0]

    dns_dm = (ns_at(m + h) - ns_at(m - h)) / (2 * h) / math.pi**2
    dn_dmu, dns_dmu, dns_dm_code = pdm.fermi_gas_derivatives(k, m)
    np.testing.assert_allclose(dns_dm_code, dns_dm, rtol=1e-5, atol=1e-12 * k * k)
    np.testing.assert_allclose(dn_dmu, mu * k / math.pi**2, rtol=1e-14)


def test_fermi_momentum_below_threshold_is_zero():
    np.testing.assert_array_equal(pdm.fermi_momentum([900.0, 939.0], 939.0), [0.0, 0.0])
    assert pdm.fermi_momentum(1000.0, 600.0) == pytest.approx(800.0, rel=1e-15)


def test_field_equations_are_gradients_of_grand_potential():
    params = _params()
    s, w, r, mu_p, mu_n = 20.0, 20.0, -6.0, 1050.0, 1200.0
    gas = pdm.baryon_gas(s, w, r, mu_p, mu_n, params)
    r_s, r_w, r_r = pdm.field_equations(s, w, r, gas, params)

    def om(ds=0.0, dw=0.0, dr=0.0):
        return float(pdm.grand_potential(s + ds, w + dw, r + dr, mu_p, mu_n, params))

    h = 1e-4
    scale = abs(r_s) + abs(r_w) + 1e6
    assert r_s == pytest.approx((om(ds=h) - om(ds=-h)) / (2 * h), abs=1e-6 * scale)
    assert r_w == pytest.approx(-(om(dw=h) - om(dw=-h)) / (2 * h), abs=1e-6 * scale)
    assert r_r == pytest.approx(-(om(dr=h) - om(dr=-h)) / (2 * h), abs=1e-6 * scale)
    assert gas.n[2:].sum() > 0  # N* seas are filled here (μ* > m_-)


@settings(max_examples=50, deadline=None)
@given(
    sigma=st.floats(0.0, 95.0),
    m0=st.floats(1.0, 930.0),
)
def test_mass_ordering_property(sigma, m0):
    g1, g2 = pdm.vacuum_yukawa_couplings(m0, INP.m_N, INP.m_Nstar, INP.f_pi)
    mp, mm = pdm.baryon_masses(sigma, m0, g1, g2)
    assert 0 <= mp <= mm
    assert mp * mm == pytest.approx(m0**2 + g1 * g2 * sigma**2, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"m_N": -939.0}, "m_N"),
        ({"n0": -0.16}, "n0"),
        ({"n0": 0.0}, "n0"),
        ({"f_pi": float("nan")}, "f_pi"),
        ({"m_Nstar": 900.0}, "m_Nstar"),
        ({"E_bind": 16.0}, "E_bind"),
        ({"K": -1.0}, "K"),
    ],
)
def test_inputs_reject_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PDMInputs(**kwargs)


def test_params_reject_bad_m0():
    with pytest.raises(ValueError, match="m0"):
        replace(_params(), m0=939.0)
    with pytest.raises(ValueError, match="m0"):
        replace(_params(), m0=-5.0)
    with pytest.raises(ValueError, match="m0"):
        pdm.vacuum_yukawa_couplings(1300.0, INP.m_N, INP.m_Nstar, INP.f_pi)
