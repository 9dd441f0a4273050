"""The sourced input file (``inputs.json``): loading, PDG look-ups and input variations.

Every number the system uses comes from ``inputs.json``; each entry carries its ``source``. An entry
with ``pdg`` is read from the offline PDG 2026 database of the PyPI package ``pdg`` (particle mass,
width or lifetime, or a branching fraction by PDG identifier), so PDG values are never retyped.
``docs/pqcd.md §2.8``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "INPUTS_PATH",
    "Input",
    "Inputs",
    "load_inputs",
    "parse_inputs",
]

INPUTS_PATH = Path(__file__).with_name("inputs.json")
_PDG_QUANTITIES = ("mass", "width", "lifetime", "branching_fraction", "summary")


@dataclass(frozen=True)
class Input:
    """One input: central value, (low, high) range for the uncertainty scan, and its origin."""

    name: str
    value: float
    low: float
    high: float
    source: str
    unit: str = ""

    @property
    def varied(self) -> bool:
        """Whether the entry has an uncertainty range."""
        return self.low != self.value or self.high != self.value


class Inputs(Mapping[str, float]):
    """Read-only ``{name: central value}`` with the full :class:`Input` records behind it."""

    def __init__(self, records: dict[str, Input]) -> None:
        self._records = dict(records)

    def __getitem__(self, name: str) -> float:
        if name not in self._records:
            raise KeyError(f"no input named {name!r}; known: {sorted(self._records)}")
        return self._records[name].value

    def __iter__(self):
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def record(self, name: str) -> Input:
        """The full record of ``name`` (value, range, source)."""
        self[name]
        return self._records[name]

    def varied_names(self) -> list[str]:
        """Names of the inputs that carry an uncertainty range."""
        return [n for n, r in self._records.items() if r.varied]

    def with_values(self, **values: float) -> Inputs:
        """A copy with some central values replaced (ranges and sources kept)."""
        unknown = sorted(set(values) - set(self._records))
        if unknown:
            raise KeyError(f"no inputs named {unknown}")
        records = dict(self._records)
        for name, value in values.items():
            old = records[name]
            records[name] = Input(name, float(value), old.low, old.high, old.source, old.unit)
        return Inputs(records)


@cache
def _pdg_api() -> Any:
    import pdg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pdg.connect()


def _pdg_value(spec: Mapping[str, str], name: str) -> tuple[float, float]:
    """(value, symmetric error) of a ``pdg`` entry."""
    quantity = spec.get("quantity")
    if quantity not in _PDG_QUANTITIES:
        raise ValueError(f"input {name!r}: pdg quantity must be one of {_PDG_QUANTITIES}")
    api = _pdg_api()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if quantity == "branching_fraction":
            item = api.get(spec["id"])
            return float(item.value), float(item.error or 0.0)
        if quantity == "summary":  # a summary value by identifier (quark masses), in GeV
            item = api.get(spec["id"])
            scale = {"GeV": 1.0, "MeV": 1e-3}.get(item.units)
            if scale is None:
                raise ValueError(f"input {name!r}: PDG units {item.units!r} are not GeV or MeV")
            return float(item.value) * scale, float(item.error or 0.0) * scale
        particle = api.get_particle_by_name(spec["particle"])
        value = getattr(particle, quantity)
        error = getattr(particle, f"{quantity}_error", None)
    if value is None:
        raise ValueError(f"input {name!r}: PDG has no {quantity} for {spec['particle']!r}")
    return float(value), float(error or 0.0)


def parse_inputs(raw: Mapping[str, Any]) -> Inputs:
    """Validate the ``entries`` of an input file and resolve its ``pdg`` look-ups."""
    entries = raw.get("entries")
    if not isinstance(entries, Mapping) or not entries:
        raise ValueError("input file: needs a non-empty 'entries' object")
    records: dict[str, Input] = {}
    for name, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"input {name!r}: entry must be an object")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ValueError(f"input {name!r}: missing 'source' (every input must name its origin)")
        if ("value" in entry) == ("pdg" in entry):
            raise ValueError(f"input {name!r}: give exactly one of 'value' or 'pdg'")
        if "pdg" in entry:
            value, error = _pdg_value(entry["pdg"], name)
            low, high = value, value  # PDG masses, widths, lifetimes: central only
            if entry["pdg"].get("quantity") == "branching_fraction":
                low, high = value - error, value + error
        else:
            value = entry["value"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"input {name!r}: value must be a number, got {value!r}")
            value = float(value)
            if "error" in entry and "range" in entry:
                raise ValueError(f"input {name!r}: give 'error' or 'range', not both")
            if "error" in entry:
                err = float(entry["error"])
                if not err >= 0:
                    raise ValueError(f"input {name!r}: error must be >= 0, got {err}")
                low, high = value - err, value + err
            elif "range" in entry:
                low, high = (float(v) for v in entry["range"])
                if not low <= value <= high:
                    raise ValueError(f"input {name!r}: range [{low}, {high}] excludes {value}")
            else:
                low = high = value
        if not all(math.isfinite(v) for v in (value, low, high)):
            raise ValueError(f"input {name!r}: not finite")
        records[name] = Input(name, value, low, high, source.strip(), str(entry.get("unit", "")))
    return Inputs(records)


def load_inputs(path: str | Path | None = None) -> Inputs:
    """The inputs of ``path`` (default: the shipped ``inputs.json``)."""
    if path is None:
        return _default_inputs()
    return parse_inputs(json.loads(Path(path).read_text()))


@cache
def _default_inputs() -> Inputs:
    return parse_inputs(json.loads(INPUTS_PATH.read_text()))
