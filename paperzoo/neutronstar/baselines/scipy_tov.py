"""Baseline TOV solver: scipy ``solve_ivp`` in the textbook r-form, one integration per star.

The benchmark's baseline and the tests' oracle for :func:`paperzoo.neutronstar.tov.solve_tov`,
with the same interface (a table and a batch of central pressures in, a ``StarSolution`` out):

dP/dr = −(ε+P)(m + 4πr³P)/[r(r − 2m)], dm/dr = 4πr²ε and Hinderer's y equation
(docs/neutronstar.md §2.7), from a series start at small r to the table's lowest pressure,
DOP853 at relative tolerance ``rtol``. No interior density-jump handling: a jump must be smoothed
into a steep table segment for it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from paperzoo.neutronstar.tov import MEVFM3_TO_KM2, StarSolution, TabulatedEOS, global_properties

__all__ = ["solve_tov"]

_FOUR_PI = 4.0 * math.pi


def solve_tov(eos: TabulatedEOS, central_pressure: ArrayLike, rtol: float = 1e-9) -> StarSolution:
    """M, R, k2, Λ for central pressures [S] (MeV fm⁻³), one ``solve_ivp`` per star."""
    pc = np.atleast_1d(np.asarray(central_pressure, dtype=float))
    if pc.ndim != 1 or pc.size == 0:
        raise ValueError(f"central_pressure: must be a non-empty 1-D array, got shape {pc.shape}")
    if not 0 < rtol < 1:
        raise ValueError(f"rtol must lie in (0, 1), got {rtol!r}")
    stars = np.array([_solve_star(eos, float(p), rtol) for p in pc])  # [S, 4]
    return StarSolution(*(stars[:, i] for i in range(4)))


def _solve_star(eos: TabulatedEOS, central_pressure: float, rtol: float) -> tuple[float, ...]:
    """(M, R, k2, Λ) of one star."""
    pc_km = float(central_pressure) * MEVFM3_TO_KM2
    lp, le = np.log(eos.pressure * MEVFM3_TO_KM2), np.log(eos.energy_density * MEVFM3_TO_KM2)
    p_surface = float(np.exp(lp[0]))
    if not p_surface < pc_km <= float(np.exp(lp[-1])) * (1 + 1e-12):
        raise ValueError(f"central_pressure: {central_pressure!r} outside the table range")

    def eps_and_deps_dp(p: float) -> tuple[float, float]:
        lnp = math.log(max(p, p_surface))
        i = min(max(int(np.searchsorted(lp, lnp, side="right")) - 1, 0), lp.size - 2)
        slope = (le[i + 1] - le[i]) / (lp[i + 1] - lp[i])
        eps = math.exp(le[i] + slope * (lnp - lp[i]))
        return eps, slope * eps / max(p, p_surface)

    def rhs(r: float, z: NDArray) -> list[float]:
        p, m, y = z
        eps, deps_dp = eps_and_deps_dp(p)
        e_lam = 1.0 / (1.0 - 2.0 * m / r)
        nu_prime = 2.0 * (m + _FOUR_PI * r**3 * p) * e_lam / r**2
        dp = -(eps + p) * 0.5 * nu_prime
        q = (
            _FOUR_PI * e_lam * (5 * eps + 9 * p + (eps + p) * deps_dp)
            - 6.0 * e_lam / r**2
            - nu_prime**2
        )
        dy = -(y * y + y * e_lam * (1 + _FOUR_PI * r * r * (p - eps)) + r * r * q) / r
        return [dp, _FOUR_PI * r * r * eps, dy]

    def surface(r: float, z: NDArray) -> float:
        return z[0] - p_surface

    surface.terminal = True  # type: ignore[attr-defined]
    eps_c, deps_dp_c = eps_and_deps_dp(pc_km)
    r0 = 1e-5
    p0 = pc_km - 2 * math.pi * (eps_c + pc_km) * (pc_km + eps_c / 3) * r0**2
    y0 = 2 - _FOUR_PI / 7 * (eps_c / 3 + 11 * pc_km + (eps_c + pc_km) * deps_dp_c) * r0**2
    sol = solve_ivp(
        rhs,
        (r0, 1e3),
        [p0, _FOUR_PI / 3 * eps_c * r0**3, y0],
        method="DOP853",
        rtol=rtol,
        atol=1e-30,
        events=surface,
    )
    if sol.status != 1:
        raise ValueError(f"central_pressure: no surface found for {central_pressure!r}")
    r_s = float(sol.t_events[0][0])
    _, m_s, y_s = sol.y_events[0][0]
    u, w = r_s**2, m_s / r_s**3
    y_out = y_s - _FOUR_PI * math.exp(le[0]) / (w + _FOUR_PI * p_surface)  # jump to vacuum
    out = global_properties(np.array([u]), np.array([w]), np.array([y_out]))
    return tuple(float(v[0]) for v in out)
