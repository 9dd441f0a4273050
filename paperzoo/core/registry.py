"""Registry of systems, reproductions and benchmarks.

A system registers its headline experiments with :func:`reproduction` (in ``<key>/repro.py``)
and its benchmarks with :func:`benchmark` (in ``<key>/bench.py``), like timm's ``register_model``.
Systems are discovered from the package itself: every subpackage of ``paperzoo`` except ``core``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import paperzoo

Scale = Literal["quick", "full"]
Status = Literal["reproduced", "partial", "not reproduced"]
Measurement = dict[str, float]


@dataclass(frozen=True)
class Verdict:
    """Outcome of a claim, computed by a criterion from measured numbers."""

    status: Status
    reason: str

    @classmethod
    def reproduced(cls, reason: str) -> Verdict:
        return cls("reproduced", reason)

    @classmethod
    def partial(cls, reason: str) -> Verdict:
        return cls("partial", reason)

    @classmethod
    def not_reproduced(cls, reason: str) -> Verdict:
        return cls("not reproduced", reason)


Criterion = Callable[[list[Measurement]], Verdict]
PlotFn = Callable[[list[Measurement], Path, Scale], list[Path]]


@dataclass(frozen=True)
class Reproduction:
    """One paper claim: how to measure it and how to judge the measurement.

    ``measure(seed, scale)`` runs the experiment and returns named numbers; ``criterion`` turns the
    per-seed results into a :class:`Verdict`; ``headline`` names the number in the report table.
    ``stochastic=False`` marks a deterministic computation, measured once whatever ``--seeds`` says.
    """

    key: str
    name: str
    claim: str
    paper_value: str
    headline: str
    measure: Callable[[int, Scale], Measurement]
    criterion: Criterion
    unit: str = ""
    stochastic: bool = True
    plot: PlotFn | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.key}.{self.name}"


@dataclass(frozen=True)
class BenchResult:
    """Timings of a method and its baseline, measured in the same run (seconds per call)."""

    ours_label: str
    baseline_label: str
    ours_s: list[float]
    baseline_s: list[float]
    extra: dict[str, float | str] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        """median(baseline) / median(ours): > 1 means ours is faster."""
        from statistics import median

        return median(self.baseline_s) / median(self.ours_s)


@dataclass(frozen=True)
class Benchmark:
    key: str
    name: str
    description: str
    run: Callable[[bool], BenchResult]

    @property
    def qualified_name(self) -> str:
        return f"{self.key}.{self.name}"


_REPRODUCTIONS: dict[str, Reproduction] = {}
_BENCHMARKS: dict[str, Benchmark] = {}
_EXPLAINERS: dict[str, type] = {}


def reproduction(
    *,
    key: str,
    name: str,
    claim: str,
    paper_value: str,
    headline: str,
    criterion: Criterion,
    unit: str = "",
    stochastic: bool = True,
    plot: PlotFn | None = None,
) -> Callable[[Callable[[int, Scale], Measurement]], Callable[[int, Scale], Measurement]]:
    """Decorator registering ``measure(seed, scale) -> dict[str, float]`` as a reproduction."""

    def register(
        measure: Callable[[int, Scale], Measurement],
    ) -> Callable[[int, Scale], Measurement]:
        repro = Reproduction(
            key, name, claim, paper_value, headline, measure, criterion, unit, stochastic, plot
        )
        _REPRODUCTIONS[repro.qualified_name] = repro
        return measure

    return register


def benchmark(
    *, key: str, name: str, description: str
) -> Callable[[Callable[[bool], BenchResult]], Callable[[bool], BenchResult]]:
    """Decorator registering ``run(quick) -> BenchResult`` as a benchmark."""

    def register(run: Callable[[bool], BenchResult]) -> Callable[[bool], BenchResult]:
        bench = Benchmark(key, name, description, run)
        _BENCHMARKS[bench.qualified_name] = bench
        return run

    return register


def system_keys() -> list[str]:
    """Keys of the systems present in the package (subpackages other than ``core``)."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(paperzoo.__path__)
        if m.ispkg and m.name != "core" and not m.name.startswith("_")
    )


def system_title(key: str) -> str:
    """First line of the system's package docstring."""
    module = importlib.import_module(f"paperzoo.{key}")
    return (module.__doc__ or key).strip().splitlines()[0]


def check_keys(keys: list[str] | None) -> list[str]:
    """Validate user-given system keys; ``None`` or empty means all systems."""
    known = system_keys()
    if not keys:
        return known
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValueError(f"system: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return list(keys)


def _load(key: str, module: str) -> None:
    try:
        importlib.import_module(f"paperzoo.{key}.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"paperzoo.{key}.{module}":
            raise


def reproductions(keys: list[str] | None = None) -> list[Reproduction]:
    """Registered reproductions of the given systems (all when ``keys`` is empty)."""
    keys = check_keys(keys)
    for key in keys:
        _load(key, "repro")
    return [r for r in _REPRODUCTIONS.values() if r.key in keys]


def benchmarks(keys: list[str] | None = None) -> list[Benchmark]:
    """Registered benchmarks of the given systems (all when ``keys`` is empty)."""
    keys = check_keys(keys)
    for key in keys:
        _load(key, "bench")
    return [b for b in _BENCHMARKS.values() if b.key in keys]


def register_explainer(cls: type) -> type:
    """Class decorator: make an explainer (with a ``name`` class attribute) usable by name.

    Systems declare theirs in ``<key>/explainers.py``; other systems (SaCo scoring TokenTM)
    look them up here instead of importing the declaring system.
    """
    _EXPLAINERS[cls.name] = cls  # type: ignore[attr-defined]
    return cls


def explainers() -> dict[str, type]:
    """Every registered explainer class by name, from all systems."""
    for key in system_keys():
        _load(key, "explainers")
    return dict(_EXPLAINERS)


def explainer(name: str) -> type:
    """The explainer class registered under ``name``."""
    known = explainers()
    if name not in known:
        raise ValueError(f"method: unknown explainer {name!r} (known: {', '.join(sorted(known))})")
    return known[name]
