"""LO renormalisation-group running of C_1…C_10 as a cross-check of the typed NDR inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.wilson import inami_lim, lo_anomalous_dimension, lo_wilson_coefficients


@pytest.fixture(scope="module")
def inp():
    return load_inputs()


def test_current_current_eigenvalues_and_closed_form(inp):
    """γ_± = ±6 − 6/N = 4, −8 and C_± = η^{γ_±/(2β0)}: the textbook closed form."""
    g = lo_anomalous_dimension()
    assert sorted(np.linalg.eigvals(g[:2, :2]).real) == pytest.approx([-8.0, 4.0])
    c = lo_wilson_coefficients(inp)
    c_plus, c_minus = c[1] + c[0], c[1] - c[0]
    assert c_plus ** (23 / 6) == pytest.approx(c_minus ** (-23 / 12), rel=1e-10)  # both η
    at_mw = lo_wilson_coefficients(inp, mu=inp["WC_M_W"])
    assert at_mw[:6] == pytest.approx([0, 1, 0, 0, 0, 0], abs=1e-12) and at_mw[8] < 0


def test_inami_lim_at_the_bbl_top_mass():
    il = inami_lim(170.0**2 / 80.4**2)
    assert il["B0"] < 0 < il["C0"] and il["D0"] < 0
    assert il["D0_tilde"] == pytest.approx(il["D0"] - 4 / 9)


def test_typed_ndr_coefficients_agree_with_lo_running(inp):
    """The NDR (NLO) C_i of the input file against our LO solution at μ = 4.4 GeV: the trees
    within 0.06, the QCD penguins with the same sign and within a factor 1.6, C_9/α and C_10/α
    within 15 % (C_7, C_8 need QED mixing, left out). A sign flip, a swap of two entries or a
    factor-10 typo fails."""
    lo = lo_wilson_coefficients(inp)
    typed = np.array([inp[f"C{i}"] for i in range(1, 7)])
    assert abs(typed[0] - lo[0]) < 0.06 and abs(typed[1] - lo[1]) < 0.06
    ratio = typed[2:6] / lo[2:6]
    assert np.all((ratio > 1 / 1.6) & (ratio < 1.6)), ratio
    alpha = inp["alpha_em"]
    for i in (9, 10):
        assert inp[f"C{i}_over_alpha"] == pytest.approx(lo[i - 1] / alpha, rel=0.15)
    assert math.copysign(1, inp["C8_over_alpha"]) == math.copysign(1, lo[7])


def test_scale_outside_range_is_refused(inp):
    with pytest.raises(ValueError, match="mu must lie"):
        lo_wilson_coefficients(inp, mu=0.5)
