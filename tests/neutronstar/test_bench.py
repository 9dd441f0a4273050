"""Benchmark harness on a stand-in EOS builder (small, fast settings)."""

from __future__ import annotations

from paperzoo.core import registry
from paperzoo.neutronstar import bench


def test_compare_reports_ratio_and_accuracy(fake_builder):
    result = bench.compare(
        lambda: fake_builder(700.0),
        repeats=1,
        baseline_repeats=1,
        n_stars=8,
        baseline_rtol=1e-5,
    )
    assert result.speedup > 0
    assert len(result.ours_s) == 1 and len(result.baseline_s) == 1
    for key in ("n_stars", "eos_points", "fit_and_eos_s", "mass_radius_s", "max_mass"):
        assert key in result.extra
    assert result.extra["n_stars"] == 8
    assert result.extra["max_rel_diff_radius"] < 1e-3
    assert result.extra["max_rel_diff_mass"] < 1e-3


def test_benchmark_is_registered():
    names = {b.name for b in registry.benchmarks(["neutronstar"])}
    assert "fit_eos_mass_radius" in names
