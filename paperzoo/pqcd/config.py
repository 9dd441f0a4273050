"""Frozen, validated options of the four-body evaluation (docs/pqcd.md §2.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DYNAMICS", "FourBodyConfig"]

#: stages of the amplitudes a config can ask for (docs/pqcd.md §2.9, §2.13)
DYNAMICS = ("B1", "B2", "B3L", "B3")


def _window(name: str, value: tuple[float, float]) -> tuple[float, float]:
    if len(value) != 2:
        raise ValueError(f"{name}: need (low, high), got {value!r}")
    lo, hi = (float(v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"{name}: need finite 0 < low < high, got ({lo}, {hi})")
    return lo, hi


@dataclass(frozen=True)
class FourBodyConfig:
    """Mass windows [GeV], Gauss–Legendre points per pair mass, width scaling and strong phases.

    ``width_scale`` multiplies Γ_ρ and Γ_φ (1 = physical; ≪ 1 for the narrow-width limit).
    ``strong_phases``: optional extra strong phases [rad], one row of six (one per wave) per CKM
    term (tree, penguin), multiplied into the amplitudes: a probe of the CP structure that the
    stage-B1 dynamics (no strong phases of its own) cannot provide.
    ``dynamics``: ``"B1"`` (naive factorisation, LCSR form factors) or ``"B2"`` (the same with
    the longitudinal amplitude normalised to the kT-factorisation A_0(0), docs/pqcd.md §2.13) or
    ``"B3L"`` (B2 plus the LO non-factorisable longitudinal emission, §2.15) or ``"B3"`` (B3L
    plus the LO non-factorisable transverse emission, §2.15 (Q20)).
    ``swave``: add the f0(980) S-wave amplitudes A_VS, A_SV in naive factorisation with the
    Flatté lineshape (docs/pqcd.md §2.16); ``False`` leaves them zero (P-wave only).
    ``wilson_at_t``: at B2, B3L and B3 the Wilson coefficients C_i(t) run to each point's hard
    scale t inside the kT integrals (docs/pqcd.md §2.14); ``False`` keeps them at μ = m_b.
    ``transverse_kt``: at B3 the factorisable A_∥, A_⊥ use the kT-factorisation A_1(0), V(0)
    (docs/pqcd.md §2.17) with their own C_i(t) averages; ``False`` keeps the LCSR ones.
    ``axial_sign``: the sign of the transverse twist-3 φ^a terms (−1, fixed by the helicity
    hierarchy of the factorisable amplitudes, §2.17; +1 the convention of the earlier runs).
    ``swave_scalar``: with ``swave``, the f0 emitted by the scalar-penguin operators O_6, O_8
    (docs/pqcd.md §2.18) with relative sign +1 (our convention) or −1; 0 leaves it out.
    ``swave_kt``: at B3 the S-wave terms with a vector meson emitted and the f0 recoiling use
    the kT-factorisation F^{B→f0}(0) and the non-factorisable S-wave emission
    (docs/pqcd.md §2.19); ``False`` keeps them in naive factorisation (LCSR F_1, C_i(m_b)).
    """

    pipi_window: tuple[float, float] = (0.28, 1.3)
    kk_window: tuple[float, float] = (0.99, 1.05)
    n_pipi: int = 64
    n_kk: int = 48
    width_scale: float = 1.0
    strong_phases: tuple[tuple[float, ...], ...] | None = None
    dynamics: str = "B1"
    swave: bool = False
    wilson_at_t: bool = True
    transverse_kt: bool = True
    axial_sign: float = -1.0
    swave_scalar: float = 1.0
    swave_kt: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "pipi_window", _window("pipi_window", self.pipi_window))
        object.__setattr__(self, "kk_window", _window("kk_window", self.kk_window))
        for name in ("n_pipi", "n_kk"):
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                raise ValueError(f"{name} must be an integer >= 2, got {n!r}")
        if not (math.isfinite(self.width_scale) and self.width_scale > 0):
            raise ValueError(f"width_scale must be finite and > 0, got {self.width_scale}")
        if isinstance(self.axial_sign, bool) or self.axial_sign not in (1.0, -1.0):
            raise ValueError(f"axial_sign must be +1 or -1, got {self.axial_sign!r}")
        if isinstance(self.swave_scalar, bool) or self.swave_scalar not in (0.0, 1.0, -1.0):
            raise ValueError(f"swave_scalar must be 0, +1 or -1, got {self.swave_scalar!r}")
        for name in ("swave", "wilson_at_t", "transverse_kt", "swave_kt"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.dynamics not in DYNAMICS:
            raise ValueError(f"dynamics must be one of {DYNAMICS}, got {self.dynamics!r}")
        if self.strong_phases is not None:
            rows = tuple(tuple(float(p) for p in row) for row in self.strong_phases)
            if len(rows) != 2 or any(len(r) != 6 for r in rows):
                raise ValueError("strong_phases: need 2 rows (tree, penguin) of 6 phases")
            if not all(math.isfinite(p) for r in rows for p in r):
                raise ValueError("strong_phases: not finite")
            object.__setattr__(self, "strong_phases", rows)
