"""The runs the claims read: one EOS → M–R curve with its constraint checks per setting.

An evaluation builds the PDM EOS for (m0, L0, crust matching density, continuation), solves its
stable M–R branch with ``scale``'s number of stars and checks every constraint. It is an
``@experiment`` of the core cache rather than an in-process memo: it is deterministic, takes a
second or two, and its result is JSON (the curve's arrays as lists, which round-trip floats
exactly), so the three claims and their plots share each curve, ``paperzoo reproduce --jobs N``
spreads the m0 grids over workers, and a second report reads the cache. A build that fails (the
mean-field solution loses its physical branch, an acausal crossover) is a result too: stored as
``{"error": message}`` and raised again by :func:`evaluated` as the ``ValueError`` it was.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Scale
from paperzoo.neutronstar.eos import build_from_options
from paperzoo.neutronstar.scan import evaluate_eos
from paperzoo.neutronstar.tov import MassRadiusCurve

__all__ = ["curve_from_json", "curve_to_json", "eos_evaluation", "evaluated", "n_stars"]


def n_stars(scale: Scale) -> int:
    """Stars on each M–R curve at ``scale``."""
    return scale.pick(smoke=12, quick=30, full=50)


@experiment()
def eos_evaluation(
    m0: float, L0: float, n_match_n0: float, continuation: str, scale: Scale
) -> dict[str, Any]:
    """``{"curve": ..., "checks": ...}`` for one EOS setting, or ``{"error": ...}``."""
    try:
        eos = build_from_options(m0, L0=L0, n_match_n0=n_match_n0, continuation=continuation)
        curve, checks = evaluate_eos(eos, n_stars=n_stars(Scale.parse(scale)))
    except ValueError as err:
        return {"error": str(err)}
    return {"curve": curve_to_json(curve), "checks": checks}


def evaluated(
    m0: float, L0: float, n_match_n0: float, continuation: str, scale: Scale
) -> tuple[MassRadiusCurve, dict[str, bool | float]]:
    """The (cached) curve and constraint checks of one setting; ``ValueError`` if it failed."""
    result = eos_evaluation(m0, L0, n_match_n0, continuation, scale)
    if "error" in result:
        raise ValueError(result["error"])
    return curve_from_json(result["curve"]), result["checks"]


def curve_to_json(curve: MassRadiusCurve) -> dict[str, Any]:
    """The curve's fields as JSON values (arrays as lists)."""
    out = {}
    for f in dataclasses.fields(curve):
        value = getattr(curve, f.name)
        out[f.name] = value.tolist() if isinstance(value, np.ndarray | np.generic) else value
    return out


def curve_from_json(data: dict[str, Any]) -> MassRadiusCurve:
    """Inverse of :func:`curve_to_json`."""
    return MassRadiusCurve(
        **{k: np.asarray(v, dtype=float) if isinstance(v, list) else v for k, v in data.items()}
    )
