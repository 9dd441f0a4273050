"""Uncertainties from the input ranges: each ranged input moved to its ends one at a time, the
shifts of every observable added in quadrature separately upward and downward (docs/pqcd.md §2.10).
"""

from __future__ import annotations

import math

from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import Inputs, load_inputs
from paperzoo.pqcd.fourbody import evaluate

__all__ = ["observables_with_errors"]

#: measured branching fractions and published form factors are comparison data, not inputs
_NOT_MODEL_INPUTS = ("BR_", "FF_")


def observables_with_errors(
    name: str, cfg: FourBodyConfig | None = None, inp: Inputs | None = None
) -> dict[str, tuple[float, float, float]]:
    """``{observable: (central, −error, +error)}`` for channel ``name`` (§2.10)."""
    inp = load_inputs() if inp is None else inp
    central = evaluate(name, cfg, inp).as_dict()
    down = dict.fromkeys(central, 0.0)
    up = dict.fromkeys(central, 0.0)
    for var in inp.varied_names():
        if var.startswith(_NOT_MODEL_INPUTS):
            continue
        rec = inp.record(var)
        for end in (rec.low, rec.high):
            shifted = evaluate(name, cfg, inp.with_values(**{var: end})).as_dict()
            for key, value in shifted.items():
                delta = value - central[key]
                if key.startswith("phi_"):  # phases: the shortest way round the circle
                    delta = math.remainder(delta, 2 * math.pi)
                if delta > 0:
                    up[key] = math.hypot(up[key], delta)
                else:
                    down[key] = math.hypot(down[key], delta)
    return {k: (central[k], down[k], up[k]) for k in central}
