"""Angular algebra, CP conjugation and the symmetry statements (docs/pqcd.md §2.2–§2.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperzoo.pqcd.angular import (
    CP_PARITY,
    angular_functions,
    combine,
    cp_conjugate,
    differential_rate,
    interference_matrix,
    monte_carlo_tpa,
    observables,
    tpa_from_matrix,
)

RNG = np.random.default_rng(7)


def _random_amps(n=6):
    return RNG.normal(size=n) + 1j * RNG.normal(size=n)


def _angular_grid(n=8, nphi=16):
    x, w = np.polynomial.legendre.leggauss(n)
    ph = 2 * math.pi * np.arange(nphi) / nphi  # trapezoid: exact for trig polynomials
    c1, c2, p = np.meshgrid(x, x, ph, indexing="ij")
    wt = np.einsum("i,j,k->ijk", w, w, np.full(nphi, 2 * math.pi / nphi))
    return c1, c2, p, wt


def test_angular_integral_identity():
    amps = _random_amps()
    c1, c2, p, wt = _angular_grid()
    total = np.sum(wt * differential_rate(amps, c1, c2, p))
    assert total == pytest.approx(8 * math.pi / 9 * np.sum(np.abs(amps) ** 2), rel=1e-10)
    g = angular_functions(c1, c2, p)
    gram = np.einsum("ijk,ijka,ijkb->ab", wt, g, np.conj(g))
    assert np.allclose(gram, 8 * math.pi / 9 * np.eye(6), atol=1e-10)


def test_analytic_tpas_match_monte_carlo_sign_counts():
    amps = _random_amps()
    m = np.outer(amps, np.conj(amps))
    t1, t2 = tpa_from_matrix(m)
    a1, s1, a2, s2 = monte_carlo_tpa(amps, 400_000, np.random.default_rng(1))
    assert abs(a1 - t1) < 3 * s1 and abs(a2 - t2) < 3 * s2
    assert abs(t1) > 5 * s1 or abs(t2) > 5 * s2  # a non-trivial test


def test_polarisation_fractions_sum_to_one():
    terms = np.stack([RNG.normal(size=(10, 6)) + 1j * RNG.normal(size=(10, 6)) for _ in range(2)])
    weak = np.array([0.3 + 0.4j, -1.0])
    w = RNG.uniform(size=10)
    o = observables(
        interference_matrix(combine(terms, weak), w),
        interference_matrix(cp_conjugate(terms, weak), w),
    )
    assert o.f0 + o.f_para + o.f_perp == pytest.approx(1.0, abs=1e-14)


def test_double_cp_conjugation_is_the_identity():
    terms = RNG.normal(size=(2, 5, 6)) + 1j * RNG.normal(size=(2, 5, 6))
    weak = np.array([0.2 - 0.7j, 0.9 + 0.1j])
    once = cp_conjugate(terms, weak)  # = η Σ λ* T: the decomposition (η T, λ*)
    twice = cp_conjugate(CP_PARITY * terms, np.conj(weak))
    assert np.array_equal(twice, combine(terms, weak))
    assert not np.allclose(once, combine(terms, weak))


def _obs(terms, weak):
    w = np.ones(terms.shape[1])
    return observables(
        interference_matrix(combine(terms, weak), w),
        interference_matrix(cp_conjugate(terms, weak), w),
    )


def test_single_ckm_factor_gives_no_direct_cp_and_no_true_tpa():
    terms = RNG.normal(size=(1, 7, 6)) + 1j * RNG.normal(size=(1, 7, 6))  # any strong phases
    o = _obs(terms, np.array([0.004 * np.exp(-1.2j)]))
    for value in (
        o.acp_dir,
        o.acp_0,
        o.acp_para,
        o.acp_perp,
        o.a_t1_true,
        o.a_t2_true,
        o.a_t1_true_ave,
    ):
        assert abs(value) < 1e-14
    assert abs(o.a_t1_fake) > 1e-3  # the strong phases do show up as a fake TPA


def test_no_strong_phase_gives_no_fake_tpa_but_a_true_one():
    terms = RNG.normal(size=(2, 7, 6)).astype(complex)  # real: no strong phase
    o = _obs(terms, np.array([0.3 * np.exp(1.1j), -1.0]))
    assert abs(o.a_t1_fake) < 1e-14 and abs(o.a_t2_fake) < 1e-14 and abs(o.acp_dir) < 1e-14
    assert abs(o.a_t1_true) > 1e-3  # two weak phases: T-odd CP violation needs no strong phase


def test_cp_conjugate_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="disagree"):
        cp_conjugate(np.zeros((2, 3, 6)), np.zeros(3))
