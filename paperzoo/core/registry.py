"""Registry of systems, reproductions, benchmarks and named components (explainers, hosts, ...).

A system registers its headline claims with :func:`reproduction` (in ``<key>/repro.py``) and
its benchmarks with :func:`benchmark` (in ``<key>/bench.py``), like timm's ``register_model``.
The system key is derived from the registering module (``paperzoo.<key>.repro``), never retyped;
registering a second, different object under a taken name raises. Systems are discovered from
the package itself: every subpackage of ``paperzoo`` except ``core`` (plus those in
``$PAPERZOO_SYSTEMS_PATH``, see ``paperzoo/__init__.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from statistics import median
from typing import Any, Generic, Literal, TypeVar

import paperzoo

T = TypeVar("T")
Status = Literal["reproduced", "partial", "not reproduced"]
Measurement = dict[str, float]


class RegistryError(ValueError):
    """A registration that would make a name ambiguous, or a name nobody registered."""


class Scale(StrEnum):
    """How big a run is: ``smoke`` (seconds, for tests), ``quick`` (the 10-minute report), ``full``.

    Systems choose sizes with :meth:`pick`, which needs a value for every scale, so that no typo
    or forgotten branch silently means full scale.
    """

    SMOKE = "smoke"
    QUICK = "quick"
    FULL = "full"

    @classmethod
    def parse(cls, value: str | Scale) -> Scale:
        """``value`` as a Scale; an unknown name raises ``ValueError`` listing the scales."""
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise ValueError(f"scale: unknown {value!r} (known: {known})") from None

    def pick(self, *, smoke: T, quick: T, full: T) -> T:
        """The value for this scale: ``Scale.QUICK.pick(smoke=10, quick=100, full=1000) == 100``."""
        return {Scale.SMOKE: smoke, Scale.QUICK: quick, Scale.FULL: full}[self]


class Registry(Generic[T]):
    """Name → object, for one kind of thing. Re-registering the same origin (a module reload)
    replaces the entry; a different object under a taken name raises :class:`RegistryError`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, tuple[T, str]] = {}

    def add(self, name: str, item: T, origin: str) -> T:
        """Register ``item`` as ``name``; ``origin`` (``module:qualname``) identifies its source."""
        if not name or not isinstance(name, str):
            raise RegistryError(f"{self.kind}: a name must be a non-empty string, got {name!r}")
        if name in self._items and self._items[name][1] != origin:
            raise RegistryError(
                f"{self.kind}: {name!r} is already registered by {self._items[name][1]} "
                f"(now also by {origin})"
            )
        self._items[name] = (item, origin)
        return item

    def remove(self, name: str) -> None:
        """Forget ``name`` (for tests that register throwaway entries)."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name raises naming the known ones."""
        if name not in self._items:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"{self.kind}: unknown {name!r} (known: {known})")
        return self._items[name][0]

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return [(name, item) for name, (item, _) in self._items.items()]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter([item for item, _ in self._items.values()])

    def __len__(self) -> int:
        return len(self._items)


def origin_of(obj: Any) -> str:
    """``module:qualname`` of a function or class (its identity across reloads)."""
    return f"{obj.__module__}:{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def system_of(module: str) -> str:
    """The system key of a module name: ``paperzoo.atur.repro`` → ``atur``."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "paperzoo" or parts[1] in ("core", "cli", "__main__"):
        raise RegistryError(
            f"registrations must come from a system module paperzoo.<key>.*, not {module!r}"
        )
    return parts[1]


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
MeasureFn = Callable[[int, Scale], Measurement]
# (seed, scale) -> the experiment calls a claim will read, so `reproduce --jobs N` can run them
# in worker processes first (see core.experiments)
PlanFn = Callable[[int, Scale], list[Any]]


@dataclass(frozen=True)
class Reproduction:
    """One paper claim: how to measure it and how to judge the measurement.

    ``measure(seed, scale)`` runs the experiment and returns named numbers; ``criterion`` turns the
    per-seed results into a :class:`Verdict`; ``headline`` names the number in the report table;
    ``title`` is the claim in a few words for the summary table. ``stochastic=False`` marks a
    deterministic computation, measured once whatever ``--seeds`` says. ``plan`` lists the cached
    experiments ``measure`` reads (for ``reproduce --jobs``).
    """

    key: str
    name: str
    title: str
    claim: str
    paper_value: str
    headline: str
    measure: MeasureFn
    criterion: Criterion
    unit: str = ""
    stochastic: bool = True
    plot: PlotFn | None = None
    plan: PlanFn | None = None

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

    def __post_init__(self) -> None:
        for label, times in (("ours_s", self.ours_s), ("baseline_s", self.baseline_s)):
            if not times or not all(t > 0 for t in times):
                raise ValueError(f"{label} must be a non-empty list of positive seconds")

    @property
    def speedup(self) -> float:
        """median(baseline) / median(ours): > 1 means ours is faster."""
        return median(self.baseline_s) / median(self.ours_s)


@dataclass(frozen=True)
class Benchmark:
    key: str
    name: str
    description: str
    run: Callable[[Scale], BenchResult]

    @property
    def qualified_name(self) -> str:
        return f"{self.key}.{self.name}"


REPRODUCTIONS: Registry[Reproduction] = Registry("claim")
BENCHMARKS: Registry[Benchmark] = Registry("benchmark")
EXPLAINERS: Registry[type] = Registry("explainer")
TOKEN_REDUCERS: Registry[type] = Registry("token reducer")


def reproduction(
    *,
    name: str,
    title: str,
    claim: str,
    paper_value: str,
    headline: str,
    criterion: Criterion,
    unit: str = "",
    stochastic: bool = True,
    plot: PlotFn | None = None,
    plan: PlanFn | None = None,
) -> Callable[[MeasureFn], MeasureFn]:
    """Decorator registering ``measure(seed, scale) -> dict[str, float]`` as a claim of the
    system whose module it is defined in."""

    def register(measure: MeasureFn) -> MeasureFn:
        key = system_of(measure.__module__)
        repro = Reproduction(
            key,
            name,
            title,
            claim,
            paper_value,
            headline,
            measure,
            criterion,
            unit,
            stochastic,
            plot,
            plan,
        )
        REPRODUCTIONS.add(repro.qualified_name, repro, origin_of(measure))
        return measure

    return register


def benchmark(
    *, name: str, description: str
) -> Callable[[Callable[[Scale], BenchResult]], Callable[[Scale], BenchResult]]:
    """Decorator registering ``run(scale) -> BenchResult`` as a benchmark of its system."""

    def register(run: Callable[[Scale], BenchResult]) -> Callable[[Scale], BenchResult]:
        bench = Benchmark(system_of(run.__module__), name, description, run)
        BENCHMARKS.add(bench.qualified_name, bench, origin_of(run))
        return run

    return register


def system_keys() -> list[str]:
    """Keys of the systems present (subpackages of ``paperzoo`` other than ``core``)."""
    return sorted(
        {
            m.name
            for m in pkgutil.iter_modules(paperzoo.__path__)
            if m.ispkg and m.name != "core" and not m.name.startswith("_")
        }
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


def load_module(key: str, module: str) -> Any | None:
    """Import ``paperzoo.<key>.<module>`` if the system has it (``None`` if it does not)."""
    try:
        return importlib.import_module(f"paperzoo.{key}.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"paperzoo.{key}.{module}":
            raise
        return None


def reproductions(keys: list[str] | None = None) -> list[Reproduction]:
    """Registered reproductions of the given systems (all when ``keys`` is empty)."""
    keys = check_keys(keys)
    for key in keys:
        load_module(key, "repro")
    return [r for r in REPRODUCTIONS if r.key in keys]


def benchmarks(keys: list[str] | None = None) -> list[Benchmark]:
    """Registered benchmarks of the given systems (all when ``keys`` is empty)."""
    keys = check_keys(keys)
    for key in keys:
        load_module(key, "bench")
    return [b for b in BENCHMARKS if b.key in keys]


def register_explainer(cls: type) -> type:
    """Class decorator: make an :class:`~paperzoo.core.interfaces.Explainer` usable by name.

    Systems declare theirs in ``<key>/explainers.py``; other systems (SaCo scoring TokenTM)
    look them up here instead of importing the declaring system.
    """
    if not (isinstance(cls, type) and isinstance(getattr(cls, "name", None), str)):
        raise RegistryError(f"explainer: {cls!r} is not a class with a string `name`")
    if not callable(getattr(cls, "explain", None)):
        raise RegistryError(f"explainer: {cls.__name__} has no explain() method")
    EXPLAINERS.add(cls.name, cls, origin_of(cls))
    return cls


def register_token_reducer(cls: type) -> type:
    """Class decorator: make a :class:`~paperzoo.core.interfaces.TokenReducer` usable by name."""
    from paperzoo.core.interfaces import TokenReducer

    if not (isinstance(cls, type) and issubclass(cls, TokenReducer)):
        raise RegistryError(f"token reducer: {cls!r} is not a core.interfaces.TokenReducer")
    TOKEN_REDUCERS.add(cls.name, cls, origin_of(cls))
    return cls


def explainers() -> dict[str, type]:
    """Every registered explainer class by name, from all systems."""
    for key in system_keys():
        load_module(key, "explainers")
    return dict(EXPLAINERS.items())


def explainer(name: str) -> type:
    """The explainer class registered under ``name``."""
    known = explainers()
    if name not in known:
        raise ValueError(f"method: unknown explainer {name!r} (known: {', '.join(sorted(known))})")
    return known[name]
