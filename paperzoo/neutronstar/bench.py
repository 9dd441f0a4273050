"""Benchmarks: the pipeline (fit + EOS + 50-star M–R curve with Λ) vs a scipy solve_ivp TOV per
star, and one TOV + tidal star (and a batch) vs PyPI tovextravaganza on the same table.

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
from paperzoo.neutronstar.baselines import scipy_tov, tovextravaganza_tov
from paperzoo.neutronstar.eos import build_from_options, clear_caches
from paperzoo.neutronstar.tov import MassRadiusCurve, StarSolution, TabulatedEOS, mass_radius
from paperzoo.neutronstar.tov import solve_tov as ours_solve_tov

M0 = 850.0
N_STARS = 50
BASELINE_RTOL = 1e-8
REFERENCE_RTOL = 1e-12  # the accuracy reference: scipy DOP853 r-form on the same table
SINGLE_STAR_MASSES = (0.77, 1.0, 1.4, 1.8, 2.0)  # [M⊙] stars of the single-star benchmark


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
        clear_caches()  # time the whole fit and table build, not the process's cache
        return build_from_options(M0)

    return compare(
        build,
        repeats=scale.pick(smoke=1, quick=2, full=5),
        baseline_repeats=scale.pick(smoke=1, quick=1, full=2),
        n_stars=scale.pick(smoke=8, quick=N_STARS, full=N_STARS),
        warmup=scale.pick(smoke=0, quick=1, full=1),
    )


def _max_rel_diff(a: StarSolution, ref: StarSolution) -> dict[str, float]:
    """Largest |a/ref − 1| of M, R and Λ over the stars."""
    return {
        name: float(np.max(np.abs(np.asarray(a[i]) / np.asarray(ref[i]) - 1.0)))
        for name, i in (("mass", 0), ("radius", 1), ("lambda", 3))
    }


def compare_single_star(
    eos: TabulatedEOS,
    central_pressures: np.ndarray,
    *,
    repeats: int,
    n_batch: int,
    reference_rtol: float = REFERENCE_RTOL,
) -> BenchResult:
    """Seconds per star of ours (``solve_tov`` on one central pressure) vs tovextravaganza.

    Both solve the same stars on the same table, one call per star; tovextravaganza's EOS object
    is built once outside the timing, as our per-table enthalpy table is cached. ``n_batch``
    stars spanning the same range are also solved in one batched call of ours and one call per
    star of the baseline (``batched_speedup``). Accuracy of both against the scipy DOP853
    reference at rtol = ``reference_rtol`` on the same table. Without tovextravaganza the
    baseline is the scipy solver at ``BASELINE_RTOL`` and ``extra["tovextravaganza"]`` says why.
    """
    pcs = np.asarray(central_pressures, dtype=float)
    if tovextravaganza_tov.available():
        one = tovextravaganza_tov.solver(eos)
        label, note = "tovextravaganza 1.6 TidalCalculator.compute per star", "used"
    else:

        def one(p: float) -> StarSolution:
            return scipy_tov.solve_tov(eos, [p], BASELINE_RTOL)

        label = f"solve_ivp per star (DOP853, rtol={BASELINE_RTOL:g})"
        note = f"skipped: not installed ({tovextravaganza_tov.EXTRA}); scipy baseline instead"

    def ours_per_star() -> list[StarSolution]:
        return [ours_solve_tov(eos, [p]) for p in pcs]

    def theirs_per_star() -> list[StarSolution]:
        return [one(p) for p in pcs]

    ours_stars, theirs_stars = ours_per_star(), theirs_per_star()  # warm-up, kept for accuracy
    ours_t = [t / pcs.size for t in time_calls(ours_per_star, repeats=repeats, warmup=0)]
    theirs_t = [t / pcs.size for t in time_calls(theirs_per_star, repeats=repeats, warmup=0)]
    ref = scipy_tov.solve_tov(eos, pcs, reference_rtol)

    def stacked(stars: list[StarSolution]) -> StarSolution:
        return StarSolution(*(np.concatenate([s[i] for s in stars]) for i in range(4)))

    err_ours = _max_rel_diff(stacked(ours_stars), ref)
    err_theirs = _max_rel_diff(stacked(theirs_stars), ref)
    batch = np.geomspace(pcs.min(), pcs.max(), n_batch)
    batch_ours = time_calls(lambda: ours_solve_tov(eos, batch), repeats=repeats, warmup=1)
    batch_theirs = time_calls(lambda: [one(p) for p in batch], repeats=1, warmup=0)
    return BenchResult(
        ours_label="batched enthalpy RK4 called on one star (200 steps, Λ)",
        baseline_label=label,
        ours_s=ours_t,
        baseline_s=theirs_t,
        extra={
            "tovextravaganza": note,
            "n_single_stars": float(pcs.size),
            "n_batch": float(n_batch),
            "batched_ours_s": float(np.median(batch_ours)),
            "batched_baseline_s": float(np.median(batch_theirs)),
            "batched_speedup": float(np.median(batch_theirs) / np.median(batch_ours)),
            "reference": f"scipy DOP853 r-form, rtol={reference_rtol:g}, same table",
            **{f"ours_max_rel_err_{k}": v for k, v in err_ours.items()},
            **{f"baseline_max_rel_err_{k}": v for k, v in err_theirs.items()},
        },
    )


@benchmark(
    name="single_star",
    description=(
        "one TOV + tidal star (M, R, k2, Λ) at m0 = 850 MeV, vs tovextravaganza on the same "
        "table (target >= 3x at equal or better accuracy); batched ratio in extra"
    ),
)
def run_single_star(scale: Scale) -> BenchResult:
    eos = build_from_options(M0)
    curve = mass_radius(eos, 12)
    masses = scale.pick(smoke=(1.4,), quick=SINGLE_STAR_MASSES, full=SINGLE_STAR_MASSES)
    pcs = np.array([curve.central_pressure_at(m) for m in masses if m < curve.max_mass])
    return compare_single_star(
        eos,
        pcs,
        repeats=scale.pick(smoke=1, quick=3, full=7),
        n_batch=scale.pick(smoke=2, quick=20, full=N_STARS),
        reference_rtol=scale.pick(smoke=1e-9, quick=REFERENCE_RTOL, full=REFERENCE_RTOL),
    )
