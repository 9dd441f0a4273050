"""Physical constants, unit conversions and the default PDM inputs (one table, with sources).

Natural units ħ = c = 1 are used inside the equation modules: every quantity is a power of MeV
(densities MeV³, pressures MeV⁴). The public API converts to fm⁻³ and MeV fm⁻³ with ``HBARC``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

HBARC = 197.3269804  # ħc [MeV fm], CODATA 2018
HBARC3 = HBARC**3  # 1 fm⁻³ = HBARC3 MeV³ and 1 MeV fm⁻³ = HBARC3 MeV⁴

M_ELECTRON = 0.51099895000  # [MeV], CODATA 2018
M_MUON = 105.6583755  # [MeV], CODATA 2018


def fm3_to_mev3(n_fm3: float) -> float:
    """Number density fm⁻³ -> MeV³."""
    return n_fm3 * HBARC3


def mev3_to_fm3(n_mev3: float) -> float:
    """Number density MeV³ -> fm⁻³."""
    return n_mev3 / HBARC3


def mev4_to_mevfm3(p_mev4: float) -> float:
    """Pressure / energy density MeV⁴ -> MeV fm⁻³."""
    return p_mev4 / HBARC3


@dataclass(frozen=True)
class PDMInputs:
    """Vacuum and saturation inputs of the PDM (docs/neutronstar.md §2.4; all overridable).

    Sources: m_N, m_Nstar, m_pi, m_omega, m_rho: PDG (isospin-averaged, rounded as in
    Minamikawa, Kojo, Harada, PRC 103 045205); f_pi = 92.4 MeV (PDG f_π/√2); n0, E/A − m_N, K:
    empirical saturation (Minamikawa et al. Table I); S0 = 31 MeV, L0 = 57.7 MeV: Kong,
    Minamikawa, Harada, PRC 108 055206 (L0 = None means no ω–ρ mixing).
    Masses in MeV, n0 in fm⁻³, energies in MeV.
    """

    m_N: float = 939.0  # nucleon N(939)
    m_Nstar: float = 1535.0  # parity partner N*(1535)
    f_pi: float = 92.4  # pion decay constant
    m_pi: float = 140.0  # pion mass
    m_omega: float = 783.0  # ω meson mass
    m_rho: float = 776.0  # ρ meson mass
    n0: float = 0.16  # saturation density [fm⁻³]
    E_bind: float = -16.0  # E/A − m_N at n0 [MeV]
    K: float = 240.0  # incompressibility [MeV]
    S0: float = 31.0  # symmetry energy at n0 [MeV]
    L0: float | None = 57.7  # slope of the symmetry energy [MeV]; None: no ω–ρ mixing

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "L0" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name} must be a real number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
        for name in ("m_N", "m_Nstar", "f_pi", "m_pi", "m_omega", "m_rho", "n0", "K", "S0"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.m_Nstar <= self.m_N:
            raise ValueError(f"m_Nstar must be > m_N = {self.m_N!r}, got {self.m_Nstar!r}")
        if not -self.m_N < self.E_bind < 0:
            raise ValueError(f"E_bind must lie in (-m_N, 0) (bound matter), got {self.E_bind!r}")
        if self.n0 > 1.0:
            raise ValueError(f"n0 must be a density in fm^-3 (<= 1), got {self.n0!r}")

    @property
    def n0_mev3(self) -> float:
        """Saturation density in MeV³."""
        return self.n0 * HBARC3
