"""Lineshapes: GS normalisation, 90° phase at the pole, Flatté continuity, bad widths."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.pqcd import lineshapes as ls
from paperzoo.pqcd.data import load_inputs

INP = load_inputs()
M_RHO, W_RHO, M_PI, M_K = INP["m_rho"], INP["w_rho"], INP["m_pi"], INP["m_K"]


def test_gounaris_sakurai_is_normalised_at_zero():
    assert abs(ls.gs_form_factor(np.array(0.0), M_RHO, W_RHO, M_PI) - 1) < 1e-10


def test_gs_and_rbw_phase_is_ninety_degrees_at_the_pole():
    d_gs = ls.gs_denominator(np.array(M_RHO**2), M_RHO, W_RHO, M_PI, INP["r_BW"])
    d_bw = ls.rbw_denominator(
        np.array(INP["m_phi"] ** 2), INP["m_phi"], INP["w_phi"], M_K, M_K, 1.5
    )
    for d, width, mass in ((d_gs, W_RHO, M_RHO), (d_bw, INP["w_phi"], INP["m_phi"])):
        assert abs(d.real) < 1e-12 and d.imag == pytest.approx(-mass * width, rel=1e-12)


def test_gs_width_matches_pwave_width_and_barrier_is_one_at_the_pole():
    s = np.array([0.5, M_RHO**2, 1.0])
    g = ls.p_wave_width(s, M_RHO, W_RHO, M_PI, M_PI, 1.5)
    assert g[1] == pytest.approx(W_RHO, rel=1e-13) and g[0] < W_RHO < g[2]


def test_flatte_is_continuous_across_the_kk_threshold():
    t = 4 * M_K**2
    for eps in (1e-10, 1e-14):  # the jump closes like √ε: ρ_KK → 0 from both sides
        d = ls.flatte_denominator(
            np.array([t * (1 - eps), t, t * (1 + eps)]), 0.965, 0.165, 0.695, M_PI, M_K
        )
        assert np.max(np.abs(np.diff(d))) < 0.965 * 0.695 * 2 * np.sqrt(eps)
    assert d[0].real != d[2].real and d[0].imag != d[2].imag  # real below, imaginary above


def test_s_wave_spectral_density_integrates_to_its_channel_share():
    """Flatté spectral density in π⁺π⁻ over a wide range ≈ (2/3) g_ππρ/(total) share, < 1."""
    w = np.linspace(0.28, 3.0, 20001)
    amp = ls.s_wave_amplitude(w, 0.965, 0.165, 0.695, M_PI, M_K, "pipi")
    total = np.trapezoid(np.abs(amp) ** 2, w)
    assert 0.2 < total < 2 / 3
    with pytest.raises(ValueError, match="channel"):
        ls.s_wave_amplitude(w, 0.965, 0.165, 0.695, M_PI, M_K, "ee")


@pytest.mark.parametrize("width", [-0.1, 0.0, float("nan")])
def test_non_positive_width_is_refused(width):
    with pytest.raises(ValueError, match="width"):
        ls.rbw_denominator(np.array(1.0), 1.0, width, M_K, M_K, 1.5)
    with pytest.raises(ValueError, match="width"):
        ls.gs_denominator(np.array(0.6), M_RHO, width, M_PI)


def test_gs_h_refuses_the_unphysical_strip():
    with pytest.raises(ValueError, match="threshold"):
        ls.gs_h(np.array(0.01), M_PI)


def test_gs_closed_form_derivative_matches_a_finite_difference():
    eps = 1e-6
    s = np.array([M_RHO**2 - eps, M_RHO**2 + eps])
    numeric = np.diff(ls.gs_h(s, M_PI))[0] / (2 * eps)
    assert ls._gs_dh(M_RHO, M_PI) == pytest.approx(numeric, rel=1e-7)
