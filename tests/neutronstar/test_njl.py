"""NJL quark matter: vacuum, thermodynamic consistency, neutrality, CFL, and the NJL crossover."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.neutronstar import njl
from paperzoo.neutronstar.config import Crossover, QuarkNJL
from paperzoo.neutronstar.eos import njl_branch, parse_continuation


def test_hatsuda_kunihiro_vacuum():
    # Hatsuda & Kunihiro (1994): M_u = 335 MeV, M_s = 527 MeV, <ūu>^(1/3) = −246.7 MeV
    m = njl.vacuum_masses()
    assert m[0] == pytest.approx(335.5, abs=1.0) and m[0] == m[1]
    assert m[2] == pytest.approx(527.0, abs=2.0)
    sigma = njl.vacuum_condensates(njl.HATSUDA_KUNIHIRO)
    assert np.cbrt(sigma[0]) == pytest.approx(-246.7, abs=1.0)


def test_unpaired_njl_is_consistent_and_neutral():
    mu = np.linspace(1300.0, 1900.0, 61)
    st = njl.solve_njl(mu, njl.NJLParams(g_V_over_G=1.0))
    assert st.converged.all()
    # n_B = dP/dμ_B (central differences on the solved grid) and ε = μ n − P
    dp = np.gradient(st.pressure, mu)
    np.testing.assert_allclose(dp[2:-2], st.n_B[2:-2], rtol=2e-3)
    charge = (njl.CHARGES[:, None] * st.n_flavour).sum(0)
    n_e = st.mu_e**3 / (3 * np.pi**2) / 197.3269804**3  # electrons dominate (μ_e < m_μ here)
    assert np.all(np.abs(charge - n_e) < 1e-3 * st.n_B) or np.all(st.mu_e > 100)
    assert np.all(np.diff(st.masses[2]) <= 1e-9)  # the strange mass falls with density


def test_cfl_pairing_locks_flavours_and_is_consistent():
    mu = np.linspace(1700.0, 2100.0, 9)
    st = njl.solve_cfl(mu, njl.NJLParams(g_V_over_G=0.8, H_over_G=1.5))
    assert st.converged.all()
    assert np.all(st.gaps > 150.0)  # Δ ~ 200 MeV for H = 1.5 G
    # CFL: n_u = n_d = n_s, an insulator (neutral without electrons)
    np.testing.assert_allclose(st.n_flavour[0], st.n_flavour[2], rtol=1e-6)
    np.testing.assert_allclose(st.n_flavour[1], st.n_flavour[2], rtol=1e-6)
    dp = np.gradient(st.pressure, mu, edge_order=2)
    np.testing.assert_allclose(dp[1:-1], st.n_B[1:-1], rtol=5e-3)


def test_pairing_raises_the_pressure():
    mu = np.array([1900.0, 2000.0])
    normal = njl.solve_njl(mu, njl.NJLParams(g_V_over_G=0.8))
    paired = njl.solve_cfl(mu, njl.NJLParams(g_V_over_G=0.8, H_over_G=1.5))
    assert np.all(paired.pressure > normal.pressure)


@pytest.mark.slow  # one full CFL branch (25 μ points), about 5 s
def test_njl_branch_is_causal_and_monotonic():
    mu, n, p = njl_branch(QuarkNJL())
    assert n.size > 10 and n[0] < 0.8 < n[-1]
    chi = np.gradient(n, mu)
    assert np.all(chi > 0) and np.all(n / (mu * chi) <= 1.0)
    assert np.all(np.diff(p) > 0)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: njl.NJLParams(g_V_over_G=-1.0), ValueError, "g_V_over_G"),
        (lambda: njl.NJLParams(H_over_G=5.0), ValueError, "H_over_G"),
        (lambda: njl.NJLParams(cutoff="x"), TypeError, "cutoff"),
        (lambda: QuarkNJL(H_over_G=4.0), ValueError, "H_over_G"),
        (lambda: QuarkNJL(g_V_over_G=True), TypeError, "g_V_over_G"),
        (lambda: Crossover(quark=1.0), TypeError, "quark"),
        (lambda: njl.solve_njl([1500.0, 1400.0]), ValueError, "increasing"),
        (lambda: njl.solve_cfl([1500.0], njl.NJLParams()), ValueError, "H_over_G"),
        (lambda: parse_continuation("njl:1.5"), ValueError, "njl"),
        (lambda: parse_continuation("css:1"), ValueError, "continuation"),
    ],
)
def test_bad_input_raises_one_clear_error(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_parse_continuation_builds_the_njl_crossover():
    cont = parse_continuation("njl:1.6,1.0")
    assert isinstance(cont, Crossover) and cont.quark == QuarkNJL(1.6, 1.0)
    assert parse_continuation("njl").quark == QuarkNJL()
