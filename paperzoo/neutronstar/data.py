"""The observations the claims test: HESS J1731-347, PSR J0740+6620, GW170817, causality.

Each measurement as a table entry, the check of an M–R curve against all of them
(``check_constraints``, docs/neutronstar.md §2.8) and the M–R plot with their regions drawn.

HESS J1731-347: Doroshenko et al., Nature Astronomy 6, 1444 (2022), M = 0.77 (+0.20/−0.17) M⊙,
R = 10.4 (+0.86/−0.78) km. Their 1σ/2σ regions are likelihood contours; here they are replaced by
boxes (approximation): 1σ = the asymmetric error bars, 2σ = twice the 1σ half-widths.
PSR J0740+6620: M = 2.08 ± 0.07 M⊙ (Fonseca et al. 2021), used as M_max ≥ 2.0 M⊙.
GW170817: Λ_1.4 = 190 (+390/−120) (LVC, PRL 121, 161101 (2018)), used as Λ_1.4 ≤ 580.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperzoo.neutronstar.tov import CAUSALITY_TOL, MassRadiusCurve, TabulatedEOS


@dataclass(frozen=True)
class Measurement:
    """A mass–radius measurement with asymmetric 1σ errors (M⊙, km)."""

    name: str
    mass: float
    mass_minus: float
    mass_plus: float
    radius: float
    radius_minus: float
    radius_plus: float

    def box(self, sigma: float = 1.0) -> tuple[tuple[float, float], tuple[float, float]]:
        """((M_lo, M_hi), (R_lo, R_hi)) of the nσ box: n × the asymmetric 1σ half-widths."""
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, got {sigma!r}")
        return (
            (self.mass - sigma * self.mass_minus, self.mass + sigma * self.mass_plus),
            (self.radius - sigma * self.radius_minus, self.radius + sigma * self.radius_plus),
        )


HESS_J1731 = Measurement("HESS J1731-347", 0.77, 0.17, 0.20, 10.4, 0.78, 0.86)
MIN_MAX_MASS = 2.0  # M⊙, PSR J0740+6620 (2.08 ± 0.07)
MAX_LAMBDA_1P4 = 580.0  # GW170817, 90 % upper bound on Λ_1.4


def hess_radius_interval(sigma: float = 1.0) -> tuple[float, float]:
    """R interval [km] of the HESS J1731-347 nσ box (1σ: [9.62, 11.26])."""
    return HESS_J1731.box(sigma)[1]


def curve_crosses_box(curve: MassRadiusCurve, measurement: Measurement, sigma: float) -> bool:
    """Whether the stable M–R branch passes through the nσ box of ``measurement``."""
    (m_lo, m_hi), (r_lo, r_hi) = measurement.box(sigma)
    m_lo, m_hi = max(m_lo, float(curve.mass[0])), min(m_hi, curve.max_mass)
    if m_lo > m_hi:
        return False
    masses = np.linspace(m_lo, m_hi, 41)
    radii = np.array([curve.radius_at(m) for m in masses])
    return bool(np.any((radii >= r_lo) & (radii <= r_hi)))


def check_constraints(
    curve: MassRadiusCurve, eos: TabulatedEOS, *, hess_sigma: float = 2.0
) -> dict[str, bool | float]:
    """Evaluate every constraint; ``passes_all`` uses the HESS box at ``hess_sigma``.

    Keys: radius_0p77 [km] (R at 0.77 M⊙; NaN when the curve does not reach it), hess_1sigma,
    hess_2sigma (R(0.77) inside the box's R interval), max_mass, max_mass_ok, radius_1p4 and
    lambda_1p4 (NaN when M_max < 1.4), lambda_1p4_ok, cs2_max (over ε ≤ ε_c of the heaviest
    star), causal, passes_all.
    """
    m_hess = HESS_J1731.mass
    reach = curve.mass[0] <= m_hess <= curve.max_mass
    r077 = curve.radius_at(m_hess) if reach else math.nan

    def in_box(sigma: float) -> bool:
        lo, hi = hess_radius_interval(sigma)
        return bool(reach and lo <= r077 <= hi)

    has_1p4 = curve.mass[0] <= 1.4 <= curve.max_mass
    lam = curve.lambda_1p4 if has_1p4 else math.nan
    inside = eos.energy_density <= curve.central_energy_density[-1] * (1 + 1e-9)
    cs2_max = float(np.max(eos.sound_speed_squared()[inside]))
    result: dict[str, bool | float] = {
        "radius_0p77": float(r077),
        "hess_1sigma": in_box(1.0),
        "hess_2sigma": in_box(2.0),
        "max_mass": curve.max_mass,
        "max_mass_ok": curve.max_mass >= MIN_MAX_MASS,
        "radius_1p4": curve.radius_1p4 if has_1p4 else math.nan,
        "lambda_1p4": float(lam),
        "lambda_1p4_ok": bool(math.isfinite(lam) and lam <= MAX_LAMBDA_1P4),
        "cs2_max": cs2_max,
        "causal": cs2_max <= 1.0 + CAUSALITY_TOL,
    }
    result["passes_all"] = bool(
        in_box(hess_sigma)
        and result["max_mass_ok"]
        and result["lambda_1p4_ok"]
        and result["causal"]
    )
    return result


PSR_J0740_MASS = (2.08, 0.07)  # M⊙, Fonseca et al. (2021), drawn as the "2 M⊙" band


def plot_mass_radius(
    curves: Mapping[str, MassRadiusCurve], path: str | Path, *, title: str | None = None
) -> Path:
    """M–R curves with the HESS J1731-347 1σ/2σ boxes and the PSR J0740+6620 mass band (PNG)."""
    from matplotlib.patches import Rectangle

    from paperzoo.core.plot import new_figure, save_figure

    fig, ax = new_figure(figsize=(5.5, 4.5))
    m, dm = PSR_J0740_MASS
    ax.axhspan(m - dm, m + dm, color="0.8", alpha=0.6, label="PSR J0740+6620")
    for sigma, alpha in ((2.0, 0.15), (1.0, 0.3)):
        (m_lo, m_hi), (r_lo, r_hi) = HESS_J1731.box(sigma)
        ax.add_patch(
            Rectangle(
                (r_lo, m_lo), r_hi - r_lo, m_hi - m_lo, color="tab:red", alpha=alpha,
                label=f"HESS J1731-347 {sigma:.0f}σ (box)",
            )
        )  # fmt: skip
    for label, curve in curves.items():
        ax.plot(curve.radius, curve.mass, lw=1.6, label=label)
    ax.set_xlim(8.0, 16.0)
    ax.set_ylim(0.0, max(2.6, *(c.max_mass + 0.2 for c in curves.values())))
    ax.set_xlabel("R [km]")
    ax.set_ylabel("M [M$_\\odot$]")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    return save_figure(fig, path)
