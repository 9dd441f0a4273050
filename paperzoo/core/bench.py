"""Timing helpers and the ``paperzoo bench`` runner: ours vs baseline in the same process."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import torch

from paperzoo.core.io import atomic_write
from paperzoo.core.registry import Benchmark, BenchResult, Scale

BUSY_THRESHOLD = 0.25  # other processes' share of the machine above which a figure is flagged


def time_calls(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> list[float]:
    """Seconds per call of ``fn`` over ``repeats`` calls after ``warmup`` discarded ones."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats!r}, {warmup!r}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def time_pair(
    a: Callable[[], object], b: Callable[[], object], repeats: int = 5, warmup: int = 1
) -> tuple[list[float], list[float]]:
    """Seconds per call of ``a`` and of ``b``, calls alternating so that drifts in machine load
    hit both alike (use it where the two are expected to be close)."""
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(repeats):
        times_a += time_calls(a, 1, warmup)
        times_b += time_calls(b, 1, warmup)
        warmup = 0
    return times_a, times_b


def machine_info() -> dict[str, Any]:
    """What a timing depends on: machine, threads, library versions."""
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def _busy_jiffies() -> int | None:
    """CPU time (clock ticks) all processes spent since boot, from ``/proc/stat`` (Linux)."""
    try:
        fields = open("/proc/stat").readline().split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return user + nice + system + irq + softirq + steal


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class Load:
    """What else the machine did while a benchmark ran.

    ``others`` is the share of all CPUs used by other processes (0 = idle machine, 1 = every core
    busy with someone else's work); NaN where ``/proc/stat`` is missing. ``loadavg`` is the 1-min
    load average at the start and end.
    """

    others: float
    loadavg_start: float
    loadavg_end: float

    @property
    def busy(self) -> bool:
        return self.others > BUSY_THRESHOLD or (
            self.others != self.others  # no /proc: judge by load average beyond our own threads
            and self.loadavg_start > (os.cpu_count() or 1) * 0.5
        )


def measure_load(fn: Callable[[], BenchResult]) -> tuple[BenchResult, Load]:
    """Run ``fn`` and report the load other processes put on the machine meanwhile."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    load0, jiffies0, own0, wall0 = os.getloadavg()[0], _busy_jiffies(), _own_cpu_s(), time.time()
    result = fn()
    load1, jiffies1, own1, wall1 = os.getloadavg()[0], _busy_jiffies(), _own_cpu_s(), time.time()
    others = float("nan")
    if jiffies0 is not None and jiffies1 is not None and wall1 > wall0:
        busy_s = (jiffies1 - jiffies0) / ticks - (own1 - own0)
        others = max(busy_s, 0.0) / ((wall1 - wall0) * (os.cpu_count() or 1))
    return result, Load(others, load0, load1)


def run_benchmark(bench: Benchmark, scale: Scale) -> dict[str, Any]:
    """Run one registered benchmark at ``scale``; its JSON-ready record, load included."""
    result, load = measure_load(lambda: bench.run(scale))
    return bench_record(bench, result, load, scale)


def bench_record(
    bench: Benchmark, result: BenchResult, load: Load | None = None, scale: Scale | None = None
) -> dict[str, Any]:
    """JSON-ready record of one benchmark run."""
    load_info = (
        {}
        if load is None
        else {
            "load": {
                "others_share": load.others,
                "loadavg_start": load.loadavg_start,
                "loadavg_end": load.loadavg_end,
                "busy": load.busy,
            }
        }
    )
    return {
        "benchmark": bench.qualified_name,
        "description": bench.description,
        "ours": {
            "label": result.ours_label,
            "median_s": median(result.ours_s),
            "runs_s": result.ours_s,
        },
        "baseline": {
            "label": result.baseline_label,
            "median_s": median(result.baseline_s),
            "runs_s": result.baseline_s,
        },
        "speedup": result.speedup,
        "scale": None if scale is None else str(scale),
        "extra": result.extra,
        **load_info,
        **machine_info(),
    }


def write_bench_json(records: list[dict[str, Any]], path: Path) -> Path:
    with atomic_write(path) as handle:
        json.dump(records, handle, indent=2)
    return path
