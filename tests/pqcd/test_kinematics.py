"""Gauss–Legendre grids and two-body momenta."""

from __future__ import annotations

import numpy as np
import pytest

from paperzoo.pqcd.kinematics import (
    breakup_momentum,
    gauss_legendre,
    pair_momentum,
    peaked_gauss_legendre,
)


def test_gauss_legendre_is_exact_for_polynomials():
    x, w = gauss_legendre(0.3, 1.7, 5)
    assert np.sum(w * x**9) == pytest.approx((1.7**10 - 0.3**10) / 10, rel=1e-13)


def test_peaked_rule_integrates_a_narrow_breit_wigner():
    m, g = 1.0, 1e-4
    x, w = peaked_gauss_legendre(0.9, 1.1, 8, m, g)
    f = 2 * x * m * g / ((m * m - x * x) ** 2 + (m * g) ** 2)  # ds = 2ω dω
    exact = np.arctan((1.1**2 - 1) / (m * g)) - np.arctan((0.9**2 - 1) / (m * g))
    assert np.sum(w * f) == pytest.approx(exact, rel=1e-12)


def test_momenta():
    assert breakup_momentum(np.array(1.0), 0.0, 0.0) == pytest.approx(0.5)
    assert pair_momentum(5.0, np.array(0.0), np.array(0.0)) == pytest.approx(2.5)
    assert breakup_momentum(np.array(0.2), 0.14, 0.14) == 0.0  # below threshold: clipped


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="a < b"):
        gauss_legendre(1.0, 1.0, 4)
    with pytest.raises(ValueError, match="width"):
        peaked_gauss_legendre(0.5, 1.0, 4, 0.8, -0.1)
