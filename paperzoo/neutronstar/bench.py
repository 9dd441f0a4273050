"""Benchmark: PDM fit + EOS table + 50-star M–R curve with Λ, vs a scipy solve_ivp-per-star TOV.

Both sides run the same fit and EOS build; ours then calls the batched enthalpy-form RK4
(``mass_radius``: scan to M_max, 50 stars, k2, Λ), the baseline (``baselines.scipy_tov``)
integrates the textbook r-form with ``solve_ivp`` (DOP853, rtol = ``BASELINE_RTOL``) star by star
at the same 50 central pressures (given to it, so it does no maximum search). Accuracy of ours
against the baseline is reported for the stars with M ≥ 0.5 M⊙ (lighter ones are dominated by the
table's low-density end).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from paperzoo.core.bench import time_calls
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.neutronstar.baselines import scipy_tov
from paperzoo.neutronstar.eos import build_from_options
from paperzoo.neutronstar.tov import MassRadiusCurve, TabulatedEOS, mass_radius

M0 = 850.0
N_STARS = 50
BASELINE_RTOL = 1e-8


def run_pipeline(
    build: Callable[[], TabulatedEOS], n_stars: int = N_STARS
) -> tuple[TabulatedEOS, MassRadiusCurve]:
    """Ours: build the EOS, then the batched M–R curve with tides."""
    eos = build()
    return eos, mass_radius(eos, n_stars)


def run_baseline(
    build: Callable[[], TabulatedEOS], central_pressures: np.ndarray, rtol: float = BASELINE_RTOL
) -> np.ndarray:
    """Baseline: build the EOS, then ``solve_ivp`` per central pressure -> [S, 4] (M, R, k2, Λ)."""
    eos = build()
    return np.stack(scipy_tov.solve_tov(eos, central_pressures, rtol), axis=1)


def compare(
    build: Callable[[], TabulatedEOS],
    *,
    repeats: int,
    baseline_repeats: int,
    n_stars: int,
    baseline_rtol: float = BASELINE_RTOL,
    warmup: int = 1,
) -> BenchResult:
    """Time ours and the baseline on the same EOS builder; report the accuracy of ours.

    ``warmup``: untimed runs of ours before its ``repeats`` (the untimed first pipeline run that
    gives the curve precedes them in any case).
    """
    eos, curve = run_pipeline(build, n_stars)
    t0 = time.perf_counter()
    build()
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    mass_radius(eos, n_stars)
    tov_s = time.perf_counter() - t0
    ours = time_calls(lambda: run_pipeline(build, n_stars), repeats=repeats, warmup=warmup)
    ref: list[np.ndarray] = []
    baseline = time_calls(
        lambda: ref.append(run_baseline(build, curve.central_pressure, baseline_rtol)),
        repeats=baseline_repeats,
        warmup=0,
    )
    ours_values = np.stack([curve.mass, curve.radius, curve.k2, curve.tidal_deformability], axis=1)
    rel = np.abs(ours_values / ref[-1] - 1.0)[curve.mass >= 0.5]  # envelope-dominated below
    return BenchResult(
        ours_label="fit+EOS+batched enthalpy RK4 (50 stars, Λ)",
        baseline_label=f"fit+EOS+solve_ivp per star (DOP853, rtol={baseline_rtol:g})",
        ours_s=ours,
        baseline_s=baseline,
        extra={
            "n_stars": float(curve.mass.size),
            "eos_points": float(len(eos)),
            "fit_and_eos_s": build_s,
            "mass_radius_s": tov_s,
            "tov_only_speedup": (float(np.median(baseline)) - build_s) / tov_s,
            "max_mass": curve.max_mass,
            "max_rel_diff_mass": float(rel[:, 0].max()),
            "max_rel_diff_radius": float(rel[:, 1].max()),
            "max_rel_diff_lambda": float(rel[:, 3].max()),
        },
    )


@benchmark(
    name="fit_eos_mass_radius",
    description=(
        f"PDM fit + EOS table + {N_STARS}-star M–R curve with Λ at m0 = {M0:g} MeV "
        "(target < 2 s), vs the same with a scipy solve_ivp TOV per star"
    ),
)
def run(scale: Scale) -> BenchResult:
    def build() -> TabulatedEOS:
        return build_from_options(M0)

    return compare(
        build,
        repeats=scale.pick(smoke=1, quick=2, full=5),
        baseline_repeats=scale.pick(smoke=1, quick=1, full=2),
        n_stars=scale.pick(smoke=8, quick=N_STARS, full=N_STARS),
        warmup=scale.pick(smoke=0, quick=1, full=1),
    )
