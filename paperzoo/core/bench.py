"""Timing helpers and the ``paperzoo bench`` runner: ours vs baseline in the same process."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import torch

from paperzoo.core.io import atomic_write
from paperzoo.core.registry import Benchmark, BenchResult


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


def bench_record(bench: Benchmark, result: BenchResult) -> dict[str, Any]:
    """JSON-ready record of one benchmark run."""
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
        "extra": result.extra,
        **machine_info(),
    }


def write_bench_json(records: list[dict[str, Any]], path: Path) -> Path:
    with atomic_write(path) as handle:
        json.dump(records, handle, indent=2)
    return path
