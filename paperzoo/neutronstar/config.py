"""Typed, frozen options of the system: PDM inputs and the high-density continuations.

Every option validates itself in ``__post_init__`` (one ``ValueError`` naming the field). Paper:
arXiv:2404.04786 (Gao, Yan, Harada); inputs in docs/neutronstar.md §2.4, continuations in §2.6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from paperzoo.neutronstar.constants import HBARC3

__all__ = ["CSS", "Crossover", "PDMInputs", "QuarkCSS", "QuarkNJL"]


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


# --- high-density continuations (docs/neutronstar.md §2.6) ----------------------------------------


@dataclass(frozen=True)
class CSS:
    """Constant c_s² above n_transition_n0·n0: P − P_t = c_s²(ε − ε_t) (docs/neutronstar.md §2.6).

    # deviation: stand-in for the paper's crossover to NJL quark matter (docs/neutronstar.md §3.1).
    """

    c_s2: float = 0.5
    n_transition_n0: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.c_s2 <= 1:
            raise ValueError(f"c_s2 must lie in (0, 1], got {self.c_s2!r}")
        if not self.n_transition_n0 > 0:
            raise ValueError(f"n_transition_n0 must be > 0, got {self.n_transition_n0!r}")


@dataclass(frozen=True)
class QuarkCSS:
    """Quark-matter stand-in with constant c_s², anchored at μ_U [MeV] with P_U [MeV fm⁻³].

    Defaults chosen so that the crossover from the PDM (L0 = 57.7 MeV) is causal and stable for
    m0 = 700–900 MeV (checked on a (c_s², μ_U, P_U) grid); other m0 may need other values.

    # deviation: stands in for the paper's NJL quark matter (docs/neutronstar.md §3.1); n(μ_U) is
    the crossover's upper density n_U, so P(μ) = P_U + n_U μ_U s/(1+s)[(μ/μ_U)^((1+s)/s) − 1].
    """

    c_s2: float = 0.6
    mu_U: float = 1400.0
    P_U: float = 240.0

    def __post_init__(self) -> None:
        if not 0 < self.c_s2 <= 1:
            raise ValueError(f"c_s2 must lie in (0, 1], got {self.c_s2!r}")
        if not self.mu_U > 0:
            raise ValueError(f"mu_U must be > 0 MeV, got {self.mu_U!r}")
        if not self.P_U > 0:
            raise ValueError(f"P_U must be > 0 MeV fm^-3, got {self.P_U!r}")


@dataclass(frozen=True)
class QuarkNJL:
    """Three-flavour NJL quark matter (Hatsuda–Kunihiro couplings, KMT), charge and colour
    neutral, with CFL diquark pairing H and vector repulsion g_V (docs/neutronstar.md §2.10).

    H_over_G, g_V_over_G: couplings in units of the scalar G. The lineage scans O(1) values; the
    default (1.5, 0.8) lies in the band where the crossover from the PDM is causal and stable
    at m0 = 700 and 850 MeV (docs/neutronstar.md §4). H_over_G = 0: unpaired NJL matter.
    """

    H_over_G: float = 1.5
    g_V_over_G: float = 0.8

    def __post_init__(self) -> None:
        for name in ("H_over_G", "g_V_over_G"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a real number, got {value!r}")
            if not 0 <= value <= 3:
                raise ValueError(f"{name} must lie in [0, 3], got {value!r}")


@dataclass(frozen=True)
class Crossover:
    """P_I(μ) = Σ_{k=0}^{5} C_k μ^k between n_L = n_L_n0·n0 (PDM) and n_U = n_U_n0·n0 (quark).

    quark: the quark side at and above n_U, ``QuarkNJL`` (the paper's lineage) or the
    constant-c_s² stand-in ``QuarkCSS`` (the default, as before issue 17).
    """

    n_L_n0: float = 2.0
    n_U_n0: float = 5.0
    quark: QuarkCSS | QuarkNJL = QuarkCSS()

    def __post_init__(self) -> None:
        if not 0 < self.n_L_n0 < self.n_U_n0:
            raise ValueError(f"n_L_n0 must satisfy 0 < n_L_n0 < n_U_n0, got {self.n_L_n0!r}")
        if not isinstance(self.quark, QuarkCSS | QuarkNJL):
            raise TypeError(f"quark must be QuarkCSS or QuarkNJL, got {self.quark!r}")
