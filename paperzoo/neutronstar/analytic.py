"""Analytic EOS as first-class EOS objects: polytrope and Read et al. piecewise polytrope.

Each class *is* a :class:`~paperzoo.neutronstar.tov.TabulatedEOS` (a subclass), tabulated on
construction from its formula on ``n_points`` log-spaced rest-mass densities, so it goes wherever
a table goes (``solve_tov``, ``mass_radius``, ``glue_crust``, ``to_csv``). What the formula adds
(docs/neutronstar.md §2.9): the exact pseudo-enthalpy at the nodes (the TOV solver reads it
instead of integrating the table), exact ε(P), P(n_B) and c_s², and validated parameters.
The HP04 SLy fit is the third analytic EOS, :class:`~paperzoo.neutronstar.crust.SLyFit`.

Piecewise polytrope (Read, Lackey, Owen, Friedman, PRD 79, 124032 (2009)): on piece i,
P = K_i ρ^Γ_i and ε = (1 + a_i) ρ + K_i ρ^Γ_i / (Γ_i − 1) with a_i fixed by continuity of ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from paperzoo.neutronstar.tov import MEVFM3_TO_G_CM3, MEVFM3_TO_KM2, MSUN_KM, TabulatedEOS

__all__ = ["AnalyticEOS", "PiecewisePolytrope", "Polytrope", "READ_SLY_CRUST", "READ_TABLE"]

M_U = 931.49410242  # atomic mass unit [MeV] (CODATA 2018): n_B = ρ / m_u
GEO_DENSITY_MEVFM3 = 1.0 / MSUN_KM**2 / MEVFM3_TO_KM2  # 1 in G = c = M⊙ = 1 -> MeV fm⁻³
_DYN_PER_G_C2 = 2.99792458e10**2  # P [dyn cm⁻²] = (P/c²) [g cm⁻³] · c² [cm² s⁻²]

# Read et al. (2009) Table II: the SLy crust, P/c² = K ρ^Γ in g cm⁻³, (K, Γ, upper ρ [g cm⁻³])
READ_SLY_CRUST = (
    (6.80110e-9, 1.58425, 2.44034e7),
    (1.06186e-6, 1.28733, 3.78358e11),
    (5.32697e1, 0.62223, 2.62780e12),
    (3.99874e-8, 1.35692, math.nan),  # up to its junction ρ0 with the core's first piece
)
READ_RHO1 = 10**14.7  # [g cm⁻³] dividing densities of the three core pieces
READ_RHO2 = 10**15.0
# Read et al. (2009) Table III, a few rows: (log10 p1 [dyn cm⁻²], Γ1, Γ2, Γ3)
READ_TABLE = {
    "SLy": (34.384, 3.005, 2.988, 2.851),
    "APR4": (34.269, 2.830, 3.445, 3.348),
    "MPA1": (34.495, 3.446, 3.572, 2.887),
}


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _pieces(rho: NDArray, bounds: NDArray) -> NDArray:
    """Index of the piece holding each ρ (bounds: the upper ρ of every piece but the last)."""
    return np.searchsorted(bounds, rho, side="right")


def piecewise_polytrope(
    rho: ArrayLike, k: NDArray, gamma: NDArray, a: NDArray, bounds: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """P, ε and h = ln[(ε + P)/ρ] at rest-mass density ρ (docs/neutronstar.md §2.9).

    P = K_i ρ^Γ_i, ε = (1 + a_i)ρ + K_i ρ^Γ_i/(Γ_i − 1),
    h = ln(1 + a_i + Γ_i K_i ρ^(Γ_i−1)/(Γ_i − 1)); any consistent unit system (c = 1).
    """
    rho = np.asarray(rho, dtype=float)
    i = _pieces(rho, bounds)
    p = k[i] * rho ** gamma[i]
    eps = (1.0 + a[i]) * rho + p / (gamma[i] - 1.0)
    h = np.log1p(a[i] + gamma[i] / (gamma[i] - 1.0) * k[i] * rho ** (gamma[i] - 1.0))
    return p, eps, h


def continuity_constants(k: NDArray, gamma: NDArray, bounds: NDArray) -> NDArray:
    """a_i making ε continuous at every dividing density (a_0 = 0)."""
    a = np.zeros(k.size)
    for i in range(1, k.size):  # a handful of pieces
        r = bounds[i - 1]
        eps_prev = (1 + a[i - 1]) * r + k[i - 1] * r ** gamma[i - 1] / (gamma[i - 1] - 1)
        a[i] = eps_prev / r - 1 - k[i] * r ** (gamma[i] - 1) / (gamma[i] - 1)
    return a


@dataclass(frozen=True, eq=False)
class AnalyticEOS(TabulatedEOS):
    """Base of the analytic EOS: subclasses validate, then ``_tabulate`` fills the table."""

    energy_density: NDArray[np.float64] = field(init=False, repr=False)
    pressure: NDArray[np.float64] = field(init=False, repr=False)
    baryon_density: NDArray[np.float64] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._validate()
        eps, p, n = self._tabulate()
        for name, arr in (("energy_density", eps), ("pressure", p), ("baryon_density", n)):
            object.__setattr__(self, name, arr)
        super().__post_init__()

    def _validate(self) -> None:
        raise NotImplementedError

    def _tabulate(self) -> tuple[NDArray, NDArray, NDArray | None]:
        raise NotImplementedError


def _check_n_points(n_points: object) -> None:
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 16:
        raise ValueError(f"n_points must be an integer >= 16, got {n_points!r}")


class _PolytropicEOS(AnalyticEOS):
    """Shared machinery of the (piecewise) polytropes: pieces in MeV fm⁻³ (c = 1)."""

    def _pieces_mevfm3(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """(K, Γ, a, bounds) with ρ, P in MeV fm⁻³."""
        raise NotImplementedError

    def _density_range(self) -> tuple[float, float]:
        raise NotImplementedError

    def _tabulate(self) -> tuple[NDArray, NDArray, NDArray]:
        k, gamma, a, bounds = self._pieces_mevfm3()
        lo, hi = self._density_range()
        rho = np.geomspace(lo, hi, self.n_points)  # type: ignore[attr-defined]
        p, eps, _ = piecewise_polytrope(rho, k, gamma, a, bounds)
        cs2 = gamma[_pieces(rho, bounds)] * p / (eps + p)
        if np.any(cs2 > 1.0):
            i = int(np.argmax(cs2 > 1.0))
            raise ValueError(
                f"rho_max: the EOS is acausal (c_s^2 = {cs2[i]:.4f} > 1) above rest-mass density "
                f"{rho[i] * MEVFM3_TO_G_CM3:.4g} g cm^-3; lower rho_max"
            )
        return eps, p, rho / M_U

    def _pseudo_enthalpy(self) -> NDArray[np.float64]:
        k, gamma, a, bounds = self._pieces_mevfm3()
        return piecewise_polytrope(self.baryon_density * M_U, k, gamma, a, bounds)[2]

    def rest_mass_density_at_pressure(self, pressure: ArrayLike) -> NDArray[np.float64]:
        """ρ(P) [MeV fm⁻³, as mass-energy] inverting P = K_i ρ^Γ_i exactly."""
        k, gamma, a, bounds = self._pieces_mevfm3()
        x = np.asarray(pressure, dtype=float)
        if not np.all(np.isfinite(x)) or np.any(x < self.pressure[0] * (1 - 1e-12)):
            raise ValueError(f"pressure: {x!r} must be finite and >= {self.pressure[0]:.6g}")
        i = np.searchsorted(k[:-1] * bounds ** gamma[:-1], x, side="right")
        return (x / k[i]) ** (1.0 / gamma[i])

    def energy_density_at(self, pressure: ArrayLike) -> NDArray[np.float64]:
        """ε(P) [MeV fm⁻³], exact."""
        k, gamma, a, bounds = self._pieces_mevfm3()
        return piecewise_polytrope(
            self.rest_mass_density_at_pressure(pressure), k, gamma, a, bounds
        )[1]

    def pressure_at_baryon_density(self, baryon_density: ArrayLike) -> NDArray[np.float64]:
        """P(n_B) [MeV fm⁻³], exact (ρ = m_u n_B)."""
        k, gamma, a, bounds = self._pieces_mevfm3()
        n = np.asarray(baryon_density, dtype=float)
        if not np.all(np.isfinite(n)) or np.any(n <= 0):
            raise ValueError(f"baryon_density: {n!r} must be finite and > 0 fm^-3")
        return piecewise_polytrope(n * M_U, k, gamma, a, bounds)[0]

    def sound_speed_squared(self) -> NDArray[np.float64]:
        """c_s² = Γ_i P/(ε + P) at the table points, exact."""
        k, gamma, a, bounds = self._pieces_mevfm3()
        i = _pieces(self.baryon_density * M_U, bounds)
        return gamma[i] * self.pressure / (self.energy_density + self.pressure)


@dataclass(frozen=True, eq=False)
class Polytrope(_PolytropicEOS):
    """P = K ρ^Γ, ε = ρ + P/(Γ − 1), in G = c = M⊙ = 1 units (K = 100, Γ = 2 is the textbook star).

    Tabulated on ρ ∈ [rho_max·1e-11, rho_max] (rest-mass density, same units); n_B = ρ/m_u.
    """

    K: float = 100.0
    gamma: float = 2.0
    rho_max: float = 4e-3
    n_points: int = 500

    def _validate(self) -> None:
        if _real("K", self.K) <= 0:
            raise ValueError(f"K must be > 0, got {self.K!r}")
        if _real("gamma", self.gamma) <= 1:
            raise ValueError(f"gamma must be > 1, got {self.gamma!r}")
        if _real("rho_max", self.rho_max) <= 0:
            raise ValueError(f"rho_max must be > 0 (G = c = M_sun = 1 units), got {self.rho_max!r}")
        _check_n_points(self.n_points)

    def _pieces_mevfm3(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        # P = K ρ^Γ in geometric units -> K' = K·G^(Γ−1) with ρ, P in MeV fm⁻³
        k = self.K * GEO_DENSITY_MEVFM3 ** (1.0 - self.gamma)
        return np.array([k]), np.array([float(self.gamma)]), np.zeros(1), np.zeros(0)

    def _density_range(self) -> tuple[float, float]:
        hi = self.rho_max * GEO_DENSITY_MEVFM3
        return hi * 1e-11, hi


@dataclass(frozen=True, eq=False)
class PiecewisePolytrope(_PolytropicEOS):
    """Read et al. (2009) four-parameter piecewise polytrope on their SLy crust (Table II).

    log_p1: log10 of P [dyn cm⁻²] at ρ1 = 10^14.7 g cm⁻³; gamma1..3: the core indices on
    (ρ0, ρ1), (ρ1, ρ2 = 10^15), (ρ2, ∞); ρ0 is where the crust's last piece meets the first.
    rho_min, rho_max: tabulated rest-mass density range [g cm⁻³]; rho_max = None ends the table
    at 10^16 g cm⁻³ or where c_s² reaches 1, whichever comes first. Defaults: the SLy row.
    """

    log_p1: float = READ_TABLE["SLy"][0]
    gamma1: float = READ_TABLE["SLy"][1]
    gamma2: float = READ_TABLE["SLy"][2]
    gamma3: float = READ_TABLE["SLy"][3]
    rho_min: float = 1e4
    rho_max: float | None = None
    n_points: int = 600

    @classmethod
    def named(cls, name: str, **kwargs: float) -> PiecewisePolytrope:
        """A row of Read et al. Table III by name (``READ_TABLE``)."""
        if name not in READ_TABLE:
            raise ValueError(f"name must be one of {sorted(READ_TABLE)}, got {name!r}")
        log_p1, g1, g2, g3 = READ_TABLE[name]
        return cls(log_p1, g1, g2, g3, **kwargs)

    def _validate(self) -> None:
        if not 32.0 <= _real("log_p1", self.log_p1) <= 36.0:
            raise ValueError(f"log_p1 must lie in [32, 36] (log10 dyn cm^-2), got {self.log_p1!r}")
        for name in ("gamma1", "gamma2", "gamma3"):
            if not 1.0 < _real(name, getattr(self, name)) <= 10.0:
                raise ValueError(f"{name} must lie in (1, 10], got {getattr(self, name)!r}")
        if not 1e3 <= _real("rho_min", self.rho_min) < 1e11:
            raise ValueError(f"rho_min must lie in [1e3, 1e11) g cm^-3, got {self.rho_min!r}")
        if self.rho_max is not None and not _real("rho_max", self.rho_max) > 10**14.5:
            raise ValueError(f"rho_max must be > 10^14.5 g cm^-3 (or None), got {self.rho_max!r}")
        _check_n_points(self.n_points)
        k, gamma, _, bounds = self._pieces_cgs()
        if not READ_SLY_CRUST[2][2] < bounds[3] < READ_RHO1:
            raise ValueError(
                f"log_p1, gamma1: the core meets the crust at rho0 = {bounds[3]:.4g} g cm^-3, "
                f"outside ({READ_SLY_CRUST[2][2]:.4g}, {READ_RHO1:.4g})"
            )

    def _pieces_cgs(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """(K, Γ, a, bounds) with ρ and P/c² in g cm⁻³."""
        g = np.array([c[1] for c in READ_SLY_CRUST] + [self.gamma1, self.gamma2, self.gamma3])
        k1 = 10**self.log_p1 / _DYN_PER_G_C2 / READ_RHO1 ** g[4]
        k2 = k1 * READ_RHO1 ** (g[4] - g[5])
        k3 = k2 * READ_RHO2 ** (g[5] - g[6])
        k = np.array([c[0] for c in READ_SLY_CRUST] + [k1, k2, k3])
        rho0 = (k[3] / k1) ** (1.0 / (g[4] - g[3]))
        bounds = np.array([c[2] for c in READ_SLY_CRUST[:3]] + [rho0, READ_RHO1, READ_RHO2])
        return k, g, continuity_constants(k, g, bounds), bounds

    def _pieces_mevfm3(self) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        k, g, a, bounds = self._pieces_cgs()
        return k * MEVFM3_TO_G_CM3 ** (g - 1.0), g, a, bounds / MEVFM3_TO_G_CM3

    def _density_range(self) -> tuple[float, float]:
        if self.rho_max is not None:
            return self.rho_min / MEVFM3_TO_G_CM3, self.rho_max / MEVFM3_TO_G_CM3
        k, g, a, bounds = self._pieces_mevfm3()
        rho = np.geomspace(READ_RHO2, 1e16, 2001) / MEVFM3_TO_G_CM3
        p, eps, _ = piecewise_polytrope(rho, k, g, a, bounds)
        acausal = np.flatnonzero(g[_pieces(rho, bounds)] * p / (eps + p) > 1.0)
        top = rho[acausal[0] - 1] if acausal.size else rho[-1]
        return self.rho_min / MEVFM3_TO_G_CM3, float(top)
