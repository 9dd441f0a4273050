"""Twist-2 P-wave DA: normalisation and the Gegenbauer range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.das import A2_RANGE, check_gegenbauer, p_wave_twist2


def test_normalisation_is_independent_of_a2():
    z, w = np.polynomial.legendre.leggauss(10)
    z, w = 0.5 * (z + 1), 0.5 * w
    for a2 in (0.0, 0.18, -0.1):
        assert np.sum(w * p_wave_twist2(z, a2)) == pytest.approx(1 / (2 * math.sqrt(6)), rel=1e-13)


def test_range_edges_keep_the_da_non_negative():
    z = np.linspace(0, 1, 2001)
    for a2 in A2_RANGE:
        assert p_wave_twist2(z, a2).min() >= -1e-15


@pytest.mark.parametrize("a2", [0.7, -0.2, float("nan"), True])
def test_unphysical_moments_are_refused(a2):
    with pytest.raises(ValueError, match="Gegenbauer"):
        check_gegenbauer(a2)
