"""Crust EOS (Haensel–Potekhin 2004 analytic SLy fit) and gluing a crust under a core EOS.

HP04: P. Haensel and A. Y. Potekhin, A&A 428, 191 (2004), Eq. (14) with the SLy coefficients of
their Table 2. In the fit ρ is the total mass-energy density, ε = ρc² (not the rest-mass density:
reading it as rest-mass density double-counts the internal energy and gives M_max ≈ 1.72 M⊙).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import cumulative_trapezoid

from paperzoo.neutronstar.analytic import AnalyticEOS
from paperzoo.neutronstar.tov import MEVFM3_TO_DYN_CM2, MEVFM3_TO_G_CM3, TabulatedEOS

# SLy coefficients a1..a18 (HP04 Table 2)
SLY_COEFFICIENTS = (
    6.22, 6.121, 0.005925, 0.16326, 6.48, 11.4971, 19.105, 0.8938, 6.54,
    11.4950, -22.775, 1.5707, 4.3, 14.08, 27.80, -1.653, 1.50, 14.67,
)  # fmt: skip
# ε/n of cold ⁵⁶Fe matter (atomic mass 55.934936 u · 931.494 MeV / 56), anchors n_B at low density
EPS_PER_BARYON_FE56 = 55.934936 * 931.49410242 / 56.0


def _f0(x: NDArray) -> NDArray:
    return 1.0 / (np.exp(x) + 1.0)


def hp04_log_pressure(xi: NDArray) -> NDArray:
    """ζ = log10(P / dyn cm⁻²) at ξ = log10(ρ / g cm⁻³), HP04 Eq. (14), SLy."""
    a = (0.0, *SLY_COEFFICIENTS)  # 1-based like the paper
    xi = np.asarray(xi, dtype=float)
    return (
        (a[1] + a[2] * xi + a[3] * xi**3) / (1 + a[4] * xi) * _f0(a[5] * (xi - a[6]))
        + (a[7] + a[8] * xi) * _f0(a[9] * (a[10] - xi))
        + (a[11] + a[12] * xi) * _f0(a[13] * (a[14] - xi))
        + (a[15] + a[16] * xi) * _f0(a[17] * (a[18] - xi))
    )


@dataclass(frozen=True, eq=False)
class SLyFit(AnalyticEOS):
    """The HP04 SLy fit as an EOS object, tabulated on ``n_points`` log-spaced ε ∈ [eps_min,
    eps_max] MeV fm⁻³; P(ε) and c_s² exact (docs/neutronstar.md §2.5).

    n_B from the first law, d ln n = dε/(ε + P), anchored at ε/n of ⁵⁶Fe at ``eps_min``
    (integrated on a 20× finer grid).
    """

    eps_min: float = 1e-8
    eps_max: float = 200.0
    n_points: int = 400

    def _validate(self) -> None:
        for name in ("eps_min", "eps_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a real number, got {value!r}")
        if not 0 < self.eps_min < self.eps_max:
            raise ValueError(f"eps_min must satisfy 0 < eps_min < eps_max, got {self.eps_min!r}")
        if self.eps_max > 1680.0:
            raise ValueError(
                f"eps_max must be <= 1680 MeV fm^-3 (the SLy fit turns acausal above), "
                f"got {self.eps_max!r}"
            )
        if isinstance(self.n_points, bool) or not isinstance(self.n_points, int):
            raise ValueError(f"n_points must be an integer >= 4, got {self.n_points!r}")
        if self.n_points < 4:
            raise ValueError(f"n_points must be >= 4, got {self.n_points!r}")

    def _tabulate(self) -> tuple[NDArray, NDArray, NDArray]:
        fine = np.geomspace(self.eps_min, self.eps_max, 20 * (self.n_points - 1) + 1)
        p = sly_pressure(fine)
        ln_n = np.log(self.eps_min / EPS_PER_BARYON_FE56) + cumulative_trapezoid(
            fine / (fine + p), np.log(fine), initial=0.0
        )
        take = slice(None, None, 20)
        return fine[take], p[take], np.exp(ln_n[take])

    def pressure_at(self, energy_density: ArrayLike) -> NDArray[np.float64]:
        """P(ε) [MeV fm⁻³], the fit itself (exact)."""
        x = np.asarray(energy_density, dtype=float)
        if not np.all(np.isfinite(x)) or np.any(x <= 0) or np.any(x > 1680.0):
            raise ValueError(f"energy_density: {x!r} must lie in (0, 1680] MeV fm^-3")
        return sly_pressure(x)

    def sound_speed_squared(self) -> NDArray[np.float64]:
        """c_s² = dP/dε = (P/ε) dζ/dξ at the table points (central difference of the fit)."""
        xi = np.log10(self.energy_density * MEVFM3_TO_G_CM3)
        d = 1e-5
        slope = (hp04_log_pressure(xi + d) - hp04_log_pressure(xi - d)) / (2 * d)
        return slope * self.pressure / self.energy_density


def sly_pressure(energy_density: NDArray) -> NDArray:
    """P [MeV fm⁻³] of the HP04 SLy fit at ε [MeV fm⁻³] (ε = ρc², Eq. N11)."""
    xi = np.log10(np.asarray(energy_density, dtype=float) * MEVFM3_TO_G_CM3)
    return 10.0 ** hp04_log_pressure(xi) / MEVFM3_TO_DYN_CM2


def sly_fit(eps_min: float = 1e-8, eps_max: float = 200.0, n_points: int = 400) -> SLyFit:
    """HP04 SLy fit tabulated on ``n_points`` log-spaced ε ∈ [eps_min, eps_max] MeV fm⁻³."""
    return SLyFit(eps_min, eps_max, n_points)


def sly_crust(eps_max: float = 200.0, n_points: int = 300) -> SLyFit:
    """The HP04 SLy fit from the outer crust (ε = 1e-8 MeV fm⁻³, ρ ≈ 2e4 g cm⁻³) to ``eps_max``.

    The default range reaches ~1.3 n0, so any matching density up to n0 can be glued.
    """
    return sly_fit(1e-8, eps_max, n_points)


def sly_full(n_points: int = 600) -> SLyFit:
    """The HP04 SLy fit for the whole star, ε ≤ 1680 MeV fm⁻³ (it turns acausal above)."""
    return sly_fit(1e-8, 1680.0, n_points)


def glue_crust(
    core: TabulatedEOS, n_match: float, crust: TabulatedEOS | None = None
) -> TabulatedEOS:
    """Crust for P < P_core(n_match), core for n_B ≥ n_match (default crust: HP04 SLy).

    The junction is at constant pressure. If the crust is softer there (ε_crust < ε_core), ε
    jumps up: a small first-order jump, handled as such by the TOV/tidal solver. If the crust is
    stiffer, its top points are dropped until the straight junction segment is no stiffer than
    the stiffer neighbour (crust or core), so ε, P and n_B stay monotonic.
    """
    if core.baryon_density is None:
        raise ValueError("core: needs a baryon_density column to locate n_match")
    n_core = core.baryon_density
    if not n_core[0] <= n_match < n_core[-1]:
        raise ValueError(
            f"n_match: {n_match!r} fm^-3 outside the core table range "
            f"[{n_core[0]:.4g}, {n_core[-1]:.4g})"
        )
    crust = sly_crust() if crust is None else crust
    p_match = float(core.pressure_at_baryon_density(n_match))
    eps_match = float(
        np.exp(np.interp(np.log(n_match), np.log(n_core), np.log(core.energy_density)))
    )
    if not crust.pressure[0] < p_match <= crust.pressure[-1]:
        raise ValueError(
            f"crust: its pressure range [{crust.pressure[0]:.4g}, {crust.pressure[-1]:.4g}] "
            f"MeV fm^-3 does not reach the matching pressure {p_match:.4g} (n_match={n_match!r})"
        )
    upper = n_core > n_match * (1 + 1e-9)
    core_eps = np.concatenate([[eps_match], core.energy_density[upper]])
    core_p = np.concatenate([[p_match], core.pressure[upper]])
    core_n = np.concatenate([[n_match], n_core[upper]])
    cs2_core = (core_p[1] - core_p[0]) / (core_eps[1] - core_eps[0])
    cs2_crust = crust.sound_speed_squared()
    below = (crust.pressure < p_match) & (crust.energy_density < eps_match)
    if crust.baryon_density is not None:
        below &= crust.baryon_density < n_match
    keep = np.flatnonzero(below)
    while keep.size > 1:  # drop crust points until the junction is no stiffer than both sides
        i = keep[-1]
        secant = (p_match - crust.pressure[i]) / (eps_match - crust.energy_density[i])
        if secant <= max(cs2_crust[i], cs2_core):
            break
        keep = keep[:-1]
    if keep.size < 2:
        raise ValueError(f"crust: no crust points below the junction at n_match={n_match!r}")
    eps = np.concatenate([crust.energy_density[keep], core_eps])
    p = np.concatenate([crust.pressure[keep], core_p])
    n = (
        None
        if crust.baryon_density is None
        else np.concatenate([crust.baryon_density[keep], core_n])
    )
    return TabulatedEOS(eps, p, n)
