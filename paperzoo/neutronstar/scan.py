"""Scan the chiral-invariant mass m0: M–R observables and constraints per m0, and the window.

For each m0 the EOS is built (``eos.build_eos``, crust glued), its stable M–R branch solved and
every constraint of :func:`~paperzoo.neutronstar.data.check_constraints` evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from paperzoo.neutronstar.data import HESS_J1731, check_constraints
from paperzoo.neutronstar.eos import build_eos
from paperzoo.neutronstar.tov import MassRadiusCurve, TabulatedEOS, mass_radius

EOSBuilder = Callable[..., TabulatedEOS]


@dataclass(frozen=True)
class ScanPoint:
    """Observables and constraint flags at one m0 [MeV]; ``error`` names a failed fit or build."""

    m0: float
    radius_0p77: float = math.nan
    radius_1p4: float = math.nan
    max_mass: float = math.nan
    lambda_1p4: float = math.nan
    cs2_max: float = math.nan
    hess_1sigma: bool = False
    hess_2sigma: bool = False
    max_mass_ok: bool = False
    lambda_1p4_ok: bool = False
    causal: bool = False
    passes_all: bool = False
    error: str | None = None


@dataclass(frozen=True)
class ScanResult:
    """Per-m0 points (in scan order) and the m0 values passing every constraint."""

    points: list[ScanPoint]
    hess_sigma: float

    @property
    def passing(self) -> list[float]:
        return [p.m0 for p in self.points if p.passes_all]

    @property
    def window(self) -> tuple[float, float] | None:
        """(min, max) of the passing m0 values, or None when none passes."""
        ok = self.passing
        return (min(ok), max(ok)) if ok else None

    @property
    def window_is_contiguous(self) -> bool:
        """Whether every scanned m0 between the window's ends passes too."""
        if self.window is None:
            return False
        lo, hi = self.window
        return all(p.passes_all for p in self.points if lo <= p.m0 <= hi)


def parse_m0_range(spec: str) -> list[float]:
    """'500:900:25' -> [500, 525, ..., 900] (stop included); '850' -> [850]; '700,850' -> list."""
    try:
        if ":" in spec:
            start, stop, step = (float(v) for v in spec.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = int(math.floor((stop - start) / step + 1e-9)) + 1
            return [start + i * step for i in range(count)]
        return [float(v) for v in spec.split(",")]
    except ValueError:
        raise ValueError(
            f"m0: cannot parse {spec!r}; use START:STOP:STEP (e.g. 500:900:25), a list or a value"
        ) from None


def evaluate_eos(
    eos: TabulatedEOS, *, n_stars: int = 50, hess_sigma: float = 2.0
) -> tuple[MassRadiusCurve, dict[str, bool | float]]:
    """M–R curve of ``eos`` and its constraint dictionary."""
    curve = mass_radius(eos, n_stars, p_c_min=_p_c_min(eos))
    return curve, check_constraints(curve, eos, hess_sigma=hess_sigma)


def _p_c_min(eos: TabulatedEOS) -> float:
    """A central pressure light enough for the HESS mass: P at n_B = 1.1 n0 (or 1 MeV fm⁻³)."""
    if eos.baryon_density is None or not eos.baryon_density[0] < 0.176 < eos.baryon_density[-1]:
        return max(1.0, 10.0 * float(eos.pressure[0]))
    return float(eos.pressure_at_baryon_density(0.176))


def scan_m0(
    m0_values: Iterable[float],
    *,
    hess_sigma: float = 2.0,
    n_stars: int = 50,
    builder: EOSBuilder | None = None,
    **build_kwargs: Any,
) -> ScanResult:
    """Build the EOS for every m0 [MeV] (``builder(m0, **build_kwargs)``, default ``build_eos``).

    A fit or build that fails with ValueError is recorded in the point's ``error`` (failing all
    constraints) instead of stopping the scan. ``hess_sigma`` picks the HESS box for passes_all.
    """
    build = build_eos if builder is None else builder
    points = []
    for m0 in m0_values:
        try:
            _, c = evaluate_eos(build(m0, **build_kwargs), n_stars=n_stars, hess_sigma=hess_sigma)
        except ValueError as err:
            points.append(ScanPoint(m0=float(m0), error=str(err)))
            continue
        points.append(
            ScanPoint(
                m0=float(m0),
                radius_0p77=float(c["radius_0p77"]),
                radius_1p4=float(c["radius_1p4"]),
                max_mass=float(c["max_mass"]),
                lambda_1p4=float(c["lambda_1p4"]),
                cs2_max=float(c["cs2_max"]),
                hess_1sigma=bool(c["hess_1sigma"]),
                hess_2sigma=bool(c["hess_2sigma"]),
                max_mass_ok=bool(c["max_mass_ok"]),
                lambda_1p4_ok=bool(c["lambda_1p4_ok"]),
                causal=bool(c["causal"]),
                passes_all=bool(c["passes_all"]),
            )
        )
    return ScanResult(points, hess_sigma)


def radius_at_hess_mass(curve: MassRadiusCurve) -> float:
    """R [km] at the HESS J1731-347 central mass 0.77 M⊙ (NaN if the branch misses it)."""
    m = HESS_J1731.mass
    return curve.radius_at(m) if curve.mass[0] <= m <= curve.max_mass else math.nan


__all__ = [
    "ScanPoint",
    "ScanResult",
    "evaluate_eos",
    "parse_m0_range",
    "radius_at_hess_mass",
    "scan_m0",
]
