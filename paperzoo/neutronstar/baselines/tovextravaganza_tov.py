"""Baseline TOV + tidal solver: PyPI ``tovextravaganza`` (MIT), one ``odeint`` per star.

The single-star benchmark's baseline, with the interface of
:func:`paperzoo.neutronstar.tov.solve_tov` (a table and central pressures in, a ``StarSolution``
out). It is an optional dependency (the ``bench`` extra): :func:`available` says whether it is
installed, and :func:`solver` raises ``ImportError`` naming the extra when it is not.
tovextravaganza integrates M, P, H and H' in r (``scipy.integrate.odeint``, rtol 1e-8, output
every 1 m) with ε(P) interpolated *linearly* in P on the same table nodes, and finds the surface
as the first 1 m output point below the table's lowest pressure.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from paperzoo.neutronstar.tov import MEVFM3_TO_KM2, MSUN_KM, StarSolution, TabulatedEOS

__all__ = ["available", "solve_tov", "solver"]

EXTRA = "pip install 'paperzoo[bench]' (tovextravaganza==1.6.0)"


def available() -> bool:
    """Whether tovextravaganza is importable."""
    return importlib.util.find_spec("tovextravaganza") is not None


def solver(eos: TabulatedEOS) -> Callable[[float], StarSolution]:
    """A one-star solver on ``eos`` (tovextravaganza's EOS object built once, as its CLI does)."""
    if not available():
        raise ImportError(f"tovextravaganza is not installed; {EXTRA}")
    from tovextravaganza.core.eos import EOS
    from tovextravaganza.core.tidal_calculator import TidalCalculator
    from tovextravaganza.core.tov_solver import TOVSolver

    table = EOS(
        {"p": eos.pressure * MEVFM3_TO_KM2, "e": eos.energy_density * MEVFM3_TO_KM2}, ["p", "e"]
    )
    tidal = TidalCalculator(TOVSolver(table))

    def one(central_pressure: float) -> StarSolution:
        out = tidal.compute(float(central_pressure) * MEVFM3_TO_KM2)
        if out is None:
            raise ValueError(f"central_pressure: tovextravaganza failed at {central_pressure!r}")
        mass = float(out["M_code"]) / MSUN_KM  # its M⊙ = 1.4766 km; ours 1.47662 km
        return StarSolution(*(np.array([v]) for v in (mass, out["R"], out["k2"], out["Lambda"])))

    return one


def solve_tov(eos: TabulatedEOS, central_pressure: ArrayLike) -> StarSolution:
    """M [M⊙], R [km], k2, Λ for central pressures [S] (MeV fm⁻³), one star at a time."""
    pc = np.atleast_1d(np.asarray(central_pressure, dtype=float))
    if pc.ndim != 1 or pc.size == 0:
        raise ValueError(f"central_pressure: must be a non-empty 1-D array, got shape {pc.shape}")
    one = solver(eos)
    stars = [one(p) for p in pc]
    return StarSolution(*(np.concatenate([s[i] for s in stars]) for i in range(4)))
