"""Benchmark: every observable of the three channels by our vectorised Gauss–Legendre quadrature
vs a plain ``scipy.integrate.nquad`` of the same (m_ππ, m_KK̄) integrals (``baselines.nquad``).

Smoke scale keeps the baseline to one integral (|A_0|² of Bs → ρ0φ; seconds); quick and full
integrate every distinct non-zero entry of both CP states of all three channels at epsrel 1e-2 and
1e-4. The largest relative difference of the entries both computed is reported.
"""

from __future__ import annotations

import numpy as np

from paperzoo.core.bench import time_calls
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.pqcd.angular import observables
from paperzoo.pqcd.baselines.nquad import nquad_matrix
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.fourbody import CHANNELS, interference_matrices


@benchmark(
    name="observables_three_channels",
    description=(
        "All observables of Bs → ρ0φ, B0 → ρ0φ, B− → ρ−φ (64×48 Gauss–Legendre, target < 60 s) "
        "vs scipy nquad of the same interference integrals"
    ),
)
def run(scale: Scale) -> BenchResult:
    inp = load_inputs()
    cfg = FourBodyConfig()
    channels = scale.pick(smoke=("Bs_rho0phi",), quick=tuple(CHANNELS), full=tuple(CHANNELS))
    epsrel = scale.pick(smoke=1e-2, quick=1e-2, full=1e-4)
    max_waves = scale.pick(smoke=1, quick=6, full=6)
    ours_m: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ref_m: dict[str, list[np.ndarray]] = {}

    def ours() -> None:
        for name in CHANNELS:
            ours_m[name] = interference_matrices(name, cfg, inp)
            observables(*ours_m[name])

    def baseline() -> None:
        for name in channels:
            states = (False,) if max_waves == 1 else (False, True)
            ref_m[name] = [
                nquad_matrix(
                    name, cfg, inp, bar, epsrel, diagonal_only=max_waves == 1, max_waves=max_waves
                )
                for bar in states
            ]
            if len(states) == 2:
                observables(*ref_m[name])

    ours_s = time_calls(ours, repeats=scale.pick(smoke=3, quick=5, full=11))
    base_s = time_calls(baseline, repeats=1, warmup=0)
    rel = 0.0
    for name in channels:
        for mine, theirs in zip(ours_m[name], ref_m[name], strict=False):
            done = np.abs(theirs) > 0
            scale_ = np.abs(mine).max()
            rel = max(rel, float(np.max(np.abs(theirs[done] - mine[done])) / scale_))
    return BenchResult(
        ours_label="vectorised Gauss–Legendre, 3 channels, all observables",
        baseline_label=(
            f"scipy nquad (epsrel {epsrel:g}), {len(channels)} channel(s), "
            + ("|A_0|² only" if max_waves == 1 else "all matrix entries, both CP states")
        ),
        ours_s=ours_s,
        baseline_s=base_s,
        extra={"max_rel_diff_entries": rel, "n_channels_baseline": float(len(channels))},
    )
