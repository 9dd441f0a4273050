"""Benchmark harness on a stand-in EOS builder (small, fast settings)."""

from __future__ import annotations

from statistics import median

import numpy as np
import pytest

from paperzoo.core import registry
from paperzoo.neutronstar import bench
from paperzoo.neutronstar.baselines import scipy_tov


def test_compare_reports_ratio_and_accuracy(fake_builder):
    result = bench.compare(
        lambda: fake_builder(700.0),
        repeats=1,
        baseline_repeats=1,
        n_stars=8,
        baseline_rtol=1e-7,
    )
    assert len(result.ours_s) == 1 and len(result.baseline_s) == 1
    for key in ("n_stars", "eos_points", "fit_and_eos_s", "mass_radius_s", "max_mass"):
        assert key in result.extra
    assert result.extra["n_stars"] == 8
    # the TOV-only ratio takes the EOS build out of the baseline's time
    tov_only = median(result.baseline_s) - result.extra["fit_and_eos_s"]
    assert result.extra["tov_only_speedup"] == pytest.approx(
        tov_only / result.extra["mass_radius_s"]
    )
    # the baseline solved the same stars: ours agrees with it on M, R and Λ
    assert result.extra["max_rel_diff_radius"] < 1e-3
    assert result.extra["max_rel_diff_mass"] < 1e-3
    assert result.extra["max_rel_diff_lambda"] < 1e-2
    assert result.extra["max_mass"] == pytest.approx(2.0, abs=0.1)


def test_run_baseline_is_the_scipy_solver_on_the_given_stars(fake_builder):
    pcs = np.array([30.0, 120.0])
    stars = bench.run_baseline(lambda: fake_builder(700.0), pcs, rtol=1e-6)
    expected = scipy_tov.solve_tov(fake_builder(700.0), pcs, rtol=1e-6)
    assert stars.shape == (2, 4)
    np.testing.assert_array_equal(stars, np.stack(expected, axis=1))


def test_benchmark_is_registered():
    names = {b.name for b in registry.benchmarks(["neutronstar"])}
    assert "fit_eos_mass_radius" in names


@pytest.mark.slow  # times the baseline per star
def test_single_star_is_ours_on_one_star_vs_the_baseline(fake_builder):
    from paperzoo.neutronstar.baselines import tovextravaganza_tov

    eos = fake_builder(700.0)
    result = bench.compare_single_star(eos, np.array([30.0, 120.0]), repeats=1, n_batch=4)
    assert result.speedup > 0 and result.extra["batched_speedup"] > 0
    # ours agrees with the tight scipy reference on M, R, Λ
    assert result.extra["ours_max_rel_err_mass"] < 1e-3
    assert result.extra["ours_max_rel_err_radius"] < 1e-3
    assert result.extra["ours_max_rel_err_lambda"] < 5e-3
    if tovextravaganza_tov.available():
        assert result.extra["tovextravaganza"] == "used"
        assert result.extra["baseline_max_rel_err_radius"] < 5e-3
    else:
        assert result.extra["tovextravaganza"].startswith("skipped: not installed")


def test_single_star_benchmark_is_registered():
    names = {b.name for b in registry.benchmarks(["neutronstar"])}
    assert "single_star" in names
