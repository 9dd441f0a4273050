"""Tabulated EOS, TOV structure and tidal deformability for batches of stars.

Structure: Tolman–Oppenheimer–Volkoff in the pseudo-enthalpy form of Lindblom, ApJ 398, 569 (1992),
integrated with a fixed-step RK4 in x = ln h on all central pressures at once. Tides: Hinderer,
ApJ 677, 1216 (2008), with the density-jump condition of Takátsy & Kovács, PRD 102, 028501 (2020).
Units: tables in MeV fm⁻³ (ε, P) and fm⁻³ (n_B); G = c = 1 with lengths in km inside the solver.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

# --- units, re-derived from CODATA 2018 and the IAU 2015 nominal solar mass parameter ---------
G_SI = 6.67430e-11  # m³ kg⁻¹ s⁻², CODATA 2018
C_SI = 299_792_458.0  # m s⁻¹, exact
GM_SUN_SI = 1.3271244e20  # m³ s⁻², IAU 2015 nominal GM⊙
MEV_J = 1.602176634e-13  # J, exact
MSUN_KM = GM_SUN_SI / C_SI**2 / 1e3  # GM⊙/c² = 1.47662 km
MEVFM3_TO_KM2 = MEV_J / 1e-45 * G_SI / C_SI**4 * 1e6  # 1 MeV fm⁻³ · G/c⁴ = 1.32383e-6 km⁻²
MEVFM3_TO_G_CM3 = MEV_J / 1e-45 / C_SI**2 * 1e-3  # 1 MeV fm⁻³ / c² = 1.78266e12 g cm⁻³
MEVFM3_TO_DYN_CM2 = MEV_J / 1e-45 * 10.0  # 1 MeV fm⁻³ = 1.602177e33 dyn cm⁻²

CAUSALITY_TOL = 1e-3  # tolerated excess of the tabulated dP/dε over 1 (rounding in tables)
_FOUR_PI = 4.0 * math.pi
_JUMP_SLOPE = 1e3  # d ln ε / d ln h above which a table segment is treated as a density jump


@dataclass(frozen=True, eq=False)
class TabulatedEOS:
    """Cold EOS table: ε and P in MeV fm⁻³, optional baryon density n_B in fm⁻³ (all [N]).

    ε must increase strictly and P must not decrease; runs of equal P are first-order jumps.
    Interpolation is linear in log space; the arrays are copied and made read-only.
    """

    energy_density: NDArray[np.float64]
    pressure: NDArray[np.float64]
    baryon_density: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        eps = _as_table_column("energy_density", self.energy_density)
        p = _as_table_column("pressure", self.pressure)
        if eps.size != p.size:
            raise ValueError(
                f"pressure: length {p.size} does not match energy_density length {eps.size}"
            )
        if eps.size < 4:
            raise ValueError(f"energy_density: need at least 4 points, got {eps.size}")
        _check_positive("energy_density", eps)
        _check_positive("pressure", p)
        bad = np.flatnonzero(np.diff(eps) <= 0)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"energy_density: not strictly increasing at index {i + 1}: "
                f"eps[{i}] = {eps[i]:.6g}, eps[{i + 1}] = {eps[i + 1]:.6g} MeV fm^-3"
            )
        bad = np.flatnonzero(np.diff(p) < 0)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"pressure: decreasing at index {i + 1}: "
                f"P[{i}] = {p[i]:.6g}, P[{i + 1}] = {p[i + 1]:.6g} MeV fm^-3"
            )
        cs2 = np.diff(p) / np.diff(eps)  # secant dP/dε of each table segment
        bad = np.flatnonzero(cs2 > 1.0 + CAUSALITY_TOL)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"pressure: acausal, c_s^2 = dP/deps = {cs2[i]:.4g} > 1 between index {i} and "
                f"{i + 1} (eps = {eps[i]:.6g}..{eps[i + 1]:.6g}, "
                f"P = {p[i]:.6g}..{p[i + 1]:.6g} MeV fm^-3)"
            )
        n = None
        if self.baryon_density is not None:
            n = _as_table_column("baryon_density", self.baryon_density)
            if n.size != eps.size:
                raise ValueError(
                    f"baryon_density: length {n.size} does not match energy_density "
                    f"length {eps.size}"
                )
            _check_positive("baryon_density", n)
            bad = np.flatnonzero(np.diff(n) <= 0)
            if bad.size:
                i = int(bad[0])
                raise ValueError(
                    f"baryon_density: not strictly increasing at index {i + 1}: "
                    f"n[{i}] = {n[i]:.6g}, n[{i + 1}] = {n[i + 1]:.6g} fm^-3"
                )
        for name, arr in (("energy_density", eps), ("pressure", p), ("baryon_density", n)):
            if arr is not None:
                arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.energy_density.size)

    def __repr__(self) -> str:
        return (
            f"TabulatedEOS({len(self)} points, eps = {self.energy_density[0]:.4g}.."
            f"{self.energy_density[-1]:.4g}, P = {self.pressure[0]:.4g}..{self.pressure[-1]:.4g}"
            f" MeV fm^-3, n_B {'given' if self.baryon_density is not None else 'absent'})"
        )

    # --- interpolation (linear in log space) -----------------------------------------------
    def energy_density_at(self, pressure: ArrayLike) -> NDArray[np.float64]:
        """ε(P) [MeV fm⁻³], log–log interpolation; at a jump the high-density side."""
        x = _check_range("pressure", pressure, self.pressure)
        return np.exp(_interp_right(np.log(x), np.log(self.pressure), np.log(self.energy_density)))

    def pressure_at(self, energy_density: ArrayLike) -> NDArray[np.float64]:
        """P(ε) [MeV fm⁻³], log–log interpolation."""
        x = _check_range("energy_density", energy_density, self.energy_density)
        return np.exp(np.interp(np.log(x), np.log(self.energy_density), np.log(self.pressure)))

    def baryon_density_at(self, energy_density: ArrayLike) -> NDArray[np.float64]:
        """n_B(ε) [fm⁻³], log–log interpolation; needs ``baryon_density``."""
        if self.baryon_density is None:
            raise ValueError("baryon_density: this table has no baryon density column")
        x = _check_range("energy_density", energy_density, self.energy_density)
        return np.exp(
            np.interp(np.log(x), np.log(self.energy_density), np.log(self.baryon_density))
        )

    def pressure_at_baryon_density(self, baryon_density: ArrayLike) -> NDArray[np.float64]:
        """P(n_B) [MeV fm⁻³], log–log interpolation; needs ``baryon_density``."""
        if self.baryon_density is None:
            raise ValueError("baryon_density: this table has no baryon density column")
        x = _check_range("baryon_density", baryon_density, self.baryon_density)
        return np.exp(np.interp(np.log(x), np.log(self.baryon_density), np.log(self.pressure)))

    def sound_speed_squared(self) -> NDArray[np.float64]:
        """c_s² = dP/dε at the table points [N] (log-space derivative; 0 inside a jump)."""
        return np.gradient(np.log(self.pressure), np.log(self.energy_density)) * (
            self.pressure / self.energy_density
        )

    def _pseudo_enthalpy(self) -> NDArray[np.float64] | None:
        """h = ∫ dP/(ε + P) at the table points when known exactly (analytic EOS); else None."""
        return None

    # --- files ------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | Path) -> TabulatedEOS:
        """Read columns ε, P[, n_B] (MeV fm⁻³, fm⁻³); an optional header names them.

        Accepted header names: energy_density/eps/e, pressure/p, baryon_density/n/nb (units in
        brackets or after an underscore are ignored); without a header the order is ε, P, n_B.
        Lines starting with '#' are comments.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: no such EOS file {path}")
        with path.open(newline="") as handle:
            text = [ln for ln in handle if ln.strip() and not ln.lstrip().startswith("#")]
        if not text:
            raise ValueError(f"path: {path} contains no data rows")
        dialect = csv.Sniffer().sniff(text[0], delimiters=",; \t") if "," not in text[0] else None
        rows = [
            [c for c in row if c.strip() != ""] for row in csv.reader(text, dialect or csv.excel)
        ]
        order = [0, 1, 2]
        if not _is_number(rows[0][0]):
            order = _columns_from_header(rows[0], path)
            rows = rows[1:]
        if not rows:
            raise ValueError(f"path: {path} has a header but no data rows")
        width = len(rows[0])
        if width not in (2, 3):
            raise ValueError(f"path: {path} must have 2 or 3 columns (eps, P[, n]), got {width}")
        try:
            data = np.array([[float(c) for c in row] for row in rows], dtype=float)
        except ValueError as err:
            raise ValueError(f"path: {path} has a non-numeric or ragged row ({err})") from err
        eps, p = data[:, order[0]], data[:, order[1]]
        n = data[:, order[2]] if width == 3 else None
        return cls(eps, p, n)

    def to_csv(self, path: str | Path) -> Path:
        """Write the table with a header (atomic: a temporary file renamed onto ``path``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = ["energy_density[MeV/fm3]", "pressure[MeV/fm3]"]
        cols = [self.energy_density, self.pressure]
        if self.baryon_density is not None:
            header.append("baryon_density[1/fm3]")
            cols.append(self.baryon_density)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows([[repr(float(v)) for v in row] for row in zip(*cols, strict=True)])
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _as_table_column(name: str, values: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a numeric array ({err})") from err
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be 1-D, got shape {arr.shape}")
    return arr


def _check_positive(name: str, arr: NDArray[np.float64]) -> None:
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name}: non-finite value {arr[bad[0]]!r} at index {int(bad[0])}")
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise ValueError(
            f"{name}: must be > 0 (log-space interpolation; drop a P = 0 surface row), "
            f"got {arr[bad[0]]!r} at index {int(bad[0])}"
        )


def _check_range(name: str, values: ArrayLike, table: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float)
    lo, hi = table[0], table[-1]
    if not np.all(np.isfinite(x)) or np.any(x < lo * (1 - 1e-12)) or np.any(x > hi * (1 + 1e-12)):
        raise ValueError(f"{name}: {x!r} outside the table range [{lo:.6g}, {hi:.6g}]")
    return np.clip(x, lo, hi)


def _interp_right(x: NDArray, xp: NDArray, fp: NDArray) -> NDArray:
    """Linear interpolation on non-decreasing ``xp``; on a repeated abscissa, the right side."""
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    while True:  # step over zero-width segments (jumps)
        flat = xp[i + 1] == xp[i]
        if not np.any(flat):
            break
        i = np.where(flat, np.minimum(i + 1, xp.size - 2), i)
        if np.all(xp[i + 1] == xp[i]):
            break
    t = (x - xp[i]) / (xp[i + 1] - xp[i])
    return fp[i] + t * (fp[i + 1] - fp[i])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


_COLUMN_NAMES = {
    "energy_density": 0,
    "eps": 0,
    "epsilon": 0,
    "e": 0,
    "ε": 0,
    "pressure": 1,
    "p": 1,
    "baryon_density": 2,
    "n": 2,
    "nb": 2,
    "n_b": 2,
    "rho_b": 2,
}


def _columns_from_header(header: list[str], path: Path) -> list[int]:
    order: list[int | None] = [None, None, None]
    unknown = []
    for col, raw in enumerate(header):
        name = raw.strip().lower().split("[")[0].split("(")[0].strip()
        key = _COLUMN_NAMES.get(name)
        if key is None:  # strip a unit suffix such as "_mev_fm3"
            key = _COLUMN_NAMES.get(name.split("_mev")[0].split("_fm")[0].split("_1/")[0])
        if key is None:
            unknown.append(raw)
        else:
            order[key] = col
    if unknown or order[0] is None or order[1] is None:
        raise ValueError(
            f"path: {path} header {header} not understood (unknown columns {unknown}); "
            "use energy_density, pressure[, baryon_density]"
        )
    if len(header) == 3 and order[2] is None:
        raise ValueError(f"path: {path} header {header}: third column must be baryon_density")
    return [c if c is not None else 2 for c in order]


# --- the EOS in the solver's variables ---------------------------------------------------------
@dataclass(frozen=True)
class _EnthalpyTable:
    """EOS nodes in geometrized units [km⁻²] against the pseudo-enthalpy h = ∫ dP/(ε + P)."""

    log_h: NDArray[np.float64]  # [N] non-decreasing; repeated at a jump
    log_p: NDArray[np.float64]
    log_eps: NDArray[np.float64]
    jumps_log_h: NDArray[np.float64]  # [J] ln h of each first-order jump
    eps_surface: float  # ε at the lowest table point [km⁻²]


def _enthalpy_table(eos: TabulatedEOS) -> _EnthalpyTable:
    p = eos.pressure * MEVFM3_TO_KM2
    eps = eos.energy_density * MEVFM3_TO_KM2
    lp, le = np.log(p), np.log(eps)
    exact = eos._pseudo_enthalpy()
    if exact is not None:  # an analytic EOS knows h at its nodes
        return _enthalpy_nodes(np.asarray(exact, dtype=float), lp, le, float(eps[0]))
    # h(P0): power-law extrapolation P ∝ ε^Γ below the table, h0 ≈ Γ/(Γ−1) P0/ε0.
    i1 = int(np.flatnonzero(p > p[0])[0])
    gamma = max((lp[i1] - lp[0]) / (le[i1] - le[0]), 1.05)
    h0 = gamma / (gamma - 1.0) * p[0] / (eps[0] + p[0])
    # dh = dP/(ε+P) = P/(ε+P) dlnP; 4-point Gauss–Legendre per segment, ln ε linear in ln P.
    nodes, weights = np.polynomial.legendre.leggauss(4)
    dlp = np.diff(lp)
    s = np.where(dlp > 0, np.diff(le) / np.where(dlp > 0, dlp, 1.0), 0.0)
    t = 0.5 * (nodes[None, :] + 1.0)  # [1, 4]
    lp_q = lp[:-1, None] + t * dlp[:, None]
    le_q = le[:-1, None] + t * (s * dlp)[:, None]
    integrand = 1.0 / (1.0 + np.exp(le_q - lp_q))  # P/(ε+P)
    dh = 0.5 * dlp * (integrand @ weights)
    return _enthalpy_nodes(h0 + np.concatenate([[0.0], np.cumsum(dh)]), lp, le, float(eps[0]))


def _enthalpy_nodes(h: NDArray, lp: NDArray, le: NDArray, eps_surface: float) -> _EnthalpyTable:
    """The solver's table from h at the nodes; smoothed jumps collapsed to zero width in h.

    A segment with d ln ε / d ln h > _JUMP_SLOPE (c_s² → 0) is a smoothed first-order jump: it is
    given zero width in h so that it is crossed exactly, like a tabulated jump.
    """
    dh = np.diff(h)
    jump = (np.diff(lp) == 0) | (np.diff(le) > _JUMP_SLOPE * np.diff(np.log(h)))
    h = h[0] + np.concatenate([[0.0], np.cumsum(np.where(jump, 0.0, dh))])
    return _EnthalpyTable(
        log_h=np.log(h),
        log_p=lp,
        log_eps=le,
        jumps_log_h=np.log(h[:-1][jump]),
        eps_surface=eps_surface,
    )


def _eos_at(tab: _EnthalpyTable, x: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """P, ε and dε/dh = (ε+P)/c_s² at x = ln h (log-linear; right side of a jump)."""
    xp = tab.log_h
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    i = np.where(xp[i + 1] == xp[i], np.minimum(i + 1, xp.size - 2), i)
    dx = xp[i + 1] - xp[i]
    t = (x - xp[i]) / dx
    p = np.exp(tab.log_p[i] + t * (tab.log_p[i + 1] - tab.log_p[i]))
    slope = (tab.log_eps[i + 1] - tab.log_eps[i]) / dx
    eps = np.exp(tab.log_eps[i] + t * slope * dx)
    deps_dh = eps * slope * np.exp(-x)
    return p, eps, deps_dh


def _centre_rhs(eps: NDArray, p: NDArray, deps_dh: NDArray, dh_ds: NDArray) -> tuple:
    """d/ds of (u, w, Y) at r = 0 (limits of the regular series solution; see ``_rhs``)."""
    w = _FOUR_PI / 3.0 * eps
    d = w + _FOUR_PI * p
    du = -2.0 / d
    dw = (0.8 * math.pi) * deps_dh
    dy = du * (-_FOUR_PI / 7.0) * (eps / 3.0 + 11.0 * p + deps_dh)
    dy_big = dy - _FOUR_PI * deps_dh / d + _FOUR_PI * eps * (dw + _FOUR_PI * (eps + p)) / d**2
    return du * dh_ds, dw * dh_ds, dy_big * dh_ds


def _stage_coefficients(p: NDArray, eps: NDArray, dh_ds: NDArray) -> NDArray:
    """The EOS-only factors of ``_rhs`` at the stage points, stacked on a new axis 0 [5, ...]."""
    return np.stack(
        [
            _FOUR_PI * p,
            _FOUR_PI * eps,
            _FOUR_PI * (5.0 * eps + 9.0 * p),
            _FOUR_PI * (p - eps),
            dh_ds,
        ]
    )


def _rhs(u, w, big_y, fp, fe, f59, fpe, dh_ds):  # noqa: ANN001, ANN202 (floats or arrays)
    """d/ds of (u, w, Y) = (dh/ds)·d/dh; u = r², w = m/r³, Y = y − 4πε/(w + 4πP).

    The EOS enters only through the precomputed factors fp = 4πP, fe = 4πε, f59 = 4π(5ε + 9P),
    fpe = 4π(P − ε) and dh/ds (``_stage_coefficients``), so the same arithmetic runs on Python
    floats (one star) and on arrays [S] (a batch).
    dr²/dh = −2(1 − 2wu)/(w + 4πP); dw/dh = (dr²/dh)(4πε − 3w)/(2r²). Hinderer's y obeys
    dy/dh = G + 4π(dε/dh)/(w + 4πP); Y absorbs the dε/dh term, so Y needs no c_s² (except at
    the centre), stays continuous across density jumps and equals y outside the star.
    Hinderer: r y' + y² + y e^λ[1 + 4πr²(P − ε)] + r²Q = 0,
    r²Q = 4πr² e^λ[5ε + 9P + (ε+P)/c_s²] − 6e^λ − r²ν'²; the (ε+P)/c_s² part is absorbed in Y.
    """
    d = w + fp
    inv_d = 1.0 / d
    y = big_y + fe * inv_d
    wu2 = 1.0 - 2.0 * w * u
    e_lam = 1.0 / wu2
    du = -2.0 * wu2 * inv_d
    half_du_u = 0.5 * du / u
    dw = half_du_u * (fe - 3.0 * w)
    r2q = e_lam * (u * f59 - 6.0 - 4.0 * u * u * d * d * e_lam)
    f = -y * y - y * e_lam * (1.0 + u * fpe) - r2q
    dy_big = half_du_u * f + fe * (dw + fe + fp) * inv_d * inv_d
    return du * dh_ds, dw * dh_ds, dy_big * dh_ds


def _rk4(coef, ds, state, first):  # noqa: ANN001, ANN202 (floats or arrays)
    """Classical RK4 over precomputed stage factors: coef[k] = (c_start, c_mid, c_end) of step
    k (each the 5 factors of ``_rhs``), ds[k] its step, ``first`` the derivative at the centre."""
    u, w, yb = state
    k1 = first
    for k in range(len(ds)):
        c0, cm, c1 = coef[k]
        h = ds[k]
        if k:
            k1 = _rhs(u, w, yb, *c0)
        hh = 0.5 * h
        k2 = _rhs(u + hh * k1[0], w + hh * k1[1], yb + hh * k1[2], *cm)
        k3 = _rhs(u + hh * k2[0], w + hh * k2[1], yb + hh * k2[2], *cm)
        k4 = _rhs(u + h * k3[0], w + h * k3[1], yb + h * k3[2], *c1)
        h6 = h / 6.0
        u = u + h6 * (k1[0] + 2.0 * (k2[0] + k3[0]) + k4[0])
        w = w + h6 * (k1[1] + 2.0 * (k2[1] + k3[1]) + k4[1])
        yb = yb + h6 * (k1[2] + 2.0 * (k2[2] + k3[2]) + k4[2])
    return u, w, yb


def love_number_k2(compactness: ArrayLike, y_surface: ArrayLike) -> NDArray[np.float64]:
    """Tidal Love number k2(C, y_R), closed form of Hinderer (2008) Eq. (23) (erratum form)."""
    c = np.asarray(compactness, dtype=float)
    y = np.asarray(y_surface, dtype=float)
    num = 1.6 * c**5 * (1 - 2 * c) ** 2 * (2 + 2 * c * (y - 1) - y)
    den = (
        2 * c * (6 - 3 * y + 3 * c * (5 * y - 8))
        + 4 * c**3 * (13 - 11 * y + c * (3 * y - 2) + 2 * c**2 * (1 + y))
        + 3 * (1 - 2 * c) ** 2 * (2 - y + 2 * c * (y - 1)) * np.log(1 - 2 * c)
    )
    return num / den


class StarSolution(NamedTuple):
    """Global properties of stars [S]: M [M⊙], R [km], k2, Λ = (2/3) k2 C⁻⁵."""

    mass: NDArray[np.float64]
    radius: NDArray[np.float64]
    k2: NDArray[np.float64]
    tidal_deformability: NDArray[np.float64]


def global_properties(u: NDArray, w: NDArray, y: NDArray) -> StarSolution:
    """Global properties from r², m/r³ and y just outside the surface."""
    radius = np.sqrt(u)
    m_km = w * u * radius
    c = m_km / radius
    k2 = love_number_k2(c, y)
    return StarSolution(m_km / MSUN_KM, radius, k2, 2.0 / 3.0 * k2 / c**5)


def solve_tov(eos: TabulatedEOS, central_pressure: ArrayLike, n_steps: int = 200) -> StarSolution:
    """M, R, k2, Λ for a batch of central pressures [S] (MeV fm⁻³), all stars at once.

    Fixed-step RK4 in s = ln(h + a) from the centre to the table's lowest pressure, ``n_steps``
    steps per star, every density jump on a grid node. Across a jump y changes by
    −4πr³Δε/(m + 4πr³P) (Takátsy & Kovács 2020) through the continuity of Y (see ``_rhs``).
    """
    if n_steps < 8:
        raise ValueError(f"n_steps must be >= 8, got {n_steps!r}")
    pc = np.atleast_1d(np.asarray(central_pressure, dtype=float))
    if pc.ndim != 1 or pc.size == 0:
        raise ValueError(f"central_pressure: must be a non-empty 1-D array, got shape {pc.shape}")
    if (
        not np.all(np.isfinite(pc))
        or np.any(pc <= eos.pressure[0])
        or np.any(pc > eos.pressure[-1] * (1 + 1e-12))
    ):
        raise ValueError(
            f"central_pressure: {pc!r} must lie in (P[0], P[-1]] = ({eos.pressure[0]:.6g}, "
            f"{eos.pressure[-1]:.6g}] MeV fm^-3"
        )
    tab = _enthalpy_table_cached(eos)
    # ln h at the centre: ln h linear in ln P between nodes; at a jump the high-density side
    xc = _interp_right(np.log(pc * MEVFM3_TO_KM2), tab.log_p, tab.log_h)
    a = _ENVELOPE * np.exp(xc)
    grid = _grids(tab, xc, a, n_steps)  # [n_steps+1, S] in s = ln(h + a)
    # every EOS evaluation of the run at once: start, middle and end of each step [3, n, S];
    # step ends are taken just inside the step, never on the far side of a jump
    nudge = 1e-9
    s0, s1 = grid[:-1], grid[1:]
    ds = s1 - s0
    points = np.stack([s0 + nudge * ds, s0 + 0.5 * ds, s1 - nudge * ds])
    e_s = np.exp(points)
    p, eps, deps_dh = _eos_at(tab, np.log(np.maximum(e_s - a, math.exp(tab.log_h[0]))))
    coef = np.moveaxis(_stage_coefficients(p, eps, e_s), (0, 1), (2, 1))  # [n, 3, 5, S]
    eps_c, p_c = eps[0, 0], p[0, 0]
    w_c = _FOUR_PI / 3.0 * eps_c
    y_c = 2.0 - _FOUR_PI * eps_c / (w_c + _FOUR_PI * p_c)  # Y at the centre, where y = 2
    first = _centre_rhs(eps_c, p_c, deps_dh[0, 0], e_s[0, 0])
    state = (np.zeros_like(xc), w_c, y_c)
    if pc.size == 1:  # one star: the same RK4 on Python floats, no per-step array overhead
        out = _rk4(
            coef[..., 0].tolist(),
            ds[:, 0].tolist(),
            [v.item() for v in state],
            [v.item() for v in first],
        )
        u, w, y = (np.array([v]) for v in out)
    else:
        u, w, y = _rk4(coef, ds, state, first)
    return global_properties(u, w, y)  # Y = y outside (ε = P = 0)


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _enthalpy_table_cached(eos: TabulatedEOS) -> _EnthalpyTable:
    """``_enthalpy_table`` once per (immutable) table object."""
    tab = _TABLES.get(eos)
    if tab is None:
        tab = _TABLES[eos] = _enthalpy_table(eos)
    return tab


_ENVELOPE = 1e-3  # a / h_c of the integration variable s = ln(h + a)


def _grids(tab: _EnthalpyTable, xc: NDArray, a: NDArray, n_steps: int) -> NDArray:
    """Per-star grids in s = ln(h + a), centre to surface, every jump on a node [n_steps+1, S].

    Uniform in s is logarithmic in h in the core and uniform in h in the thin envelope (h ≪ a),
    where a ln h grid would waste most steps.
    """
    grid = np.empty((n_steps + 1, xc.size))
    for s, (x0, a_s) in enumerate(zip(xc, a, strict=True)):
        inside = tab.jumps_log_h < x0
        cuts = np.log(np.exp([x0, *tab.jumps_log_h[inside][::-1], tab.log_h[0]]) + a_s)
        lengths = -np.diff(cuts)
        counts = np.maximum(1, np.floor(lengths / lengths.sum() * n_steps).astype(int))
        counts[np.argmax(lengths)] += n_steps - counts.sum()
        nodes = [
            np.linspace(c0, c1, k + 1)[:-1]
            for c0, c1, k in zip(cuts[:-1], cuts[1:], counts, strict=True)
        ]
        grid[:, s] = np.concatenate([*nodes, cuts[-1:]])
    return grid


# --- mass–radius curves -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MassRadiusCurve:
    """Stable branch of an EOS, ordered by central pressure (all arrays [S]).

    Masses in M⊙, radii in km, pressures/energy densities in MeV fm⁻³, n_B in fm⁻³. The last
    point is the maximum-mass star when ``max_mass_reached``; otherwise the table ended first.
    """

    central_pressure: NDArray[np.float64]
    central_energy_density: NDArray[np.float64]
    central_baryon_density: NDArray[np.float64] | None
    mass: NDArray[np.float64]
    radius: NDArray[np.float64]
    k2: NDArray[np.float64]
    tidal_deformability: NDArray[np.float64]
    max_mass: float
    radius_at_max_mass: float
    max_mass_reached: bool

    def _locate(self, mass: float) -> float:
        m = float(mass)
        if not math.isfinite(m) or m > self.max_mass:
            raise ValueError(f"mass: {mass!r} M_sun exceeds M_max = {self.max_mass:.4f} M_sun")
        if m < self.mass[0]:
            raise ValueError(
                f"mass: {mass!r} M_sun is below the lightest star computed "
                f"({self.mass[0]:.4f} M_sun); lower p_c_min"
            )
        x = np.log(self.central_pressure)
        i = int(np.searchsorted(self.mass, m))
        if i == 0:
            return float(x[0])
        if i >= self.mass.size:
            return float(x[-1])
        spline = CubicSpline(x, self.mass)
        return float(brentq(lambda t: spline(t) - m, x[i - 1], x[i], xtol=1e-13))

    def _interp(self, values: NDArray, mass: float) -> float:
        return float(CubicSpline(np.log(self.central_pressure), values)(self._locate(mass)))

    def radius_at(self, mass: float) -> float:
        """R [km] of the stable star of gravitational mass ``mass`` [M⊙]."""
        return self._interp(self.radius, mass)

    def lambda_at(self, mass: float) -> float:
        """Dimensionless tidal deformability Λ of the stable star of mass ``mass`` [M⊙]."""
        return math.exp(self._interp(np.log(self.tidal_deformability), mass))

    def central_pressure_at(self, mass: float) -> float:
        """Central pressure [MeV fm⁻³] of the stable star of mass ``mass`` [M⊙]."""
        return math.exp(self._locate(mass))

    @property
    def radius_1p4(self) -> float:
        """R_1.4 [km]."""
        return self.radius_at(1.4)

    @property
    def lambda_1p4(self) -> float:
        """Λ_1.4."""
        return self.lambda_at(1.4)


def mass_radius(
    eos: TabulatedEOS,
    n_stars: int = 50,
    *,
    p_c_min: float | None = None,
    n_steps: int = 200,
) -> MassRadiusCurve:
    """M–R curve (with k2, Λ) from ``p_c_min`` up to the maximum mass, ``n_stars`` stars.

    Batched solves: a coarse scan over the table, ``n_stars`` stars on [p_c_min, p_c(M_max)], 9
    stars around the maximum (parabola in ln p_c) and the maximum-mass star itself. The stable
    branch runs from the first minimum of M(p_c) to its first maximum (twin-star branches beyond
    are not followed).
    ``p_c_min`` [MeV fm⁻³] defaults to max(1, 10·P[0]).
    """
    if n_stars < 8:
        raise ValueError(f"n_stars must be >= 8, got {n_stars!r}")
    p_top = float(eos.pressure[-1])
    lo = max(1.0, 10.0 * float(eos.pressure[0])) if p_c_min is None else float(p_c_min)
    if not float(eos.pressure[0]) < lo < p_top:
        raise ValueError(
            f"p_c_min: {lo!r} must lie inside the table pressure range "
            f"({eos.pressure[0]:.4g}, {p_top:.4g}) MeV fm^-3"
        )
    coarse = np.geomspace(lo, p_top, n_stars)
    i_lo, i_max = _stable_range(_checked(solve_tov(eos, coarse, n_steps), coarse).mass)
    pc = np.geomspace(coarse[i_lo], coarse[min(i_max + 1, n_stars - 1)], n_stars)
    stars = _checked(solve_tov(eos, pc, n_steps), pc)
    _, i_max = _stable_range(stars.mass)
    # refine the maximum on 9 stars around it (between the last two when it was not bracketed)
    fine = np.geomspace(pc[max(i_max - 1, 0)], pc[min(i_max + 1, n_stars - 1)], 9)
    if i_max == n_stars - 1:
        fine = np.geomspace(pc[-2], pc[-1], 9)
    m_fine = _checked(solve_tov(eos, fine, n_steps), fine).mass
    j = int(np.argmax(m_fine))
    reached = 0 < j < 8 or (j == 0 and i_max < n_stars - 1)
    if 0 < j < 8:
        a2, b2, _ = np.polyfit(np.log(fine[j - 1 : j + 2]), m_fine[j - 1 : j + 2], 2)
        x_star = -b2 / (2 * a2) if a2 < 0 else math.log(fine[j])
        p_star = float(np.clip(math.exp(x_star), fine[j - 1], fine[j + 1]))
    else:
        p_star = float(fine[j])
    keep = pc < p_star * (1 - 1e-9)
    pcs = np.append(pc[keep], p_star)
    top = _checked(solve_tov(eos, [p_star], n_steps), [p_star])
    mass, radius, k2, lam = (
        np.append(np.asarray(v)[keep], t) for v, t in zip(stars, top, strict=True)
    )
    if np.any(np.diff(mass) <= 0):
        raise ValueError("eos: M(p_c) is not monotonic on the stable branch; use a denser table")
    eps_c = eos.energy_density_at(pcs)
    n_c = None if eos.baryon_density is None else eos.baryon_density_at(eps_c)
    return MassRadiusCurve(
        central_pressure=pcs,
        central_energy_density=eps_c,
        central_baryon_density=n_c,
        mass=mass,
        radius=radius,
        k2=k2,
        tidal_deformability=lam,
        max_mass=float(mass[-1]),
        radius_at_max_mass=float(radius[-1]),
        max_mass_reached=reached,
    )


def _checked(stars: StarSolution, pc: ArrayLike) -> StarSolution:
    bad = ~np.all(np.isfinite(np.stack(stars)), axis=0) | (np.asarray(stars.radius) <= 0)
    if np.any(bad):
        raise ValueError(
            f"eos: TOV integration gave non-finite results at p_c = "
            f"{np.asarray(pc)[bad][:3]} MeV fm^-3 (table too coarse or n_steps too small?)"
        )
    return stars


def _stable_range(mass: NDArray) -> tuple[int, int]:
    """Indices of the first local minimum and the following first local maximum of M(p_c)."""
    rises = np.flatnonzero(np.diff(mass) > 0)
    i_lo = int(rises[0]) if rises.size else 0
    falls = np.flatnonzero(np.diff(mass[i_lo:]) <= 0)
    return i_lo, i_lo + (int(falls[0]) if falls.size else int(mass.size - 1 - i_lo))
