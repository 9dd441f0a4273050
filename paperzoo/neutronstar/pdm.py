"""Parity doublet model (PDM) equations: pure, vectorised numpy functions.

Paper: B. Gao, Y. Yan, M. Harada, "Reconciling the HESS J1731-347 constraints with Parity doublet
model", arXiv:2404.04786 (v1). Method reference: T. Minamikawa, T. Kojo, M. Harada, PRC 103,
045205 (2021), arXiv:2011.13684 (mean-field PDM with σ⁶ term); ω–ρ mixing as in Kong, Minamikawa,
Harada, PRC 108, 055206 (2023). Equation comments cite docs/neutronstar.md §2.

Units: natural (ħ = c = 1), every quantity a power of MeV: fields σ, ω, ρ and masses in MeV,
densities in MeV³, pressures and energy densities in MeV⁴. Arrays broadcast against each other;
functions returning per-species arrays put the species axis first, in the order
(p, n, p*, n*) = (N(939) proton, N(939) neutron, N*(1535) proton, N*(1535) neutron).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from paperzoo.neutronstar.config import PDMInputs

Array = NDArray[np.float64]

_SERIES_X = 1e-2  # below k/m = 1e-2 the Fermi integrals use their small-x series (no cancellation)
_BINOM_M12 = (1.0, -1 / 2, 3 / 8, -5 / 16, 35 / 128)  # coefficients of (1 + t²)^(-1/2)

ISOSPIN = np.array([0.5, -0.5, 0.5, -0.5])  # t_α for (p, n, p*, n*)
IS_PARTNER = np.array([False, False, True, True])  # which species carry m_- (N*)
IS_PROTON = np.array([True, False, True, False])


@dataclass(frozen=True)
class PDMParams:
    """Mean-field PDM parameters (MeV; couplings dimensionless; lambda6 in MeV⁻²).

    g_rho couples ρ to τ/2 (docs/neutronstar.md §3.1); lambda_omega_rho multiplies (g_ω ω)²(g_ρ ρ)².
    """

    m0: float
    g1: float
    g2: float
    mu2bar: float
    lambda4: float
    lambda6: float
    g_omega: float
    g_rho: float
    lambda_omega_rho: float = 0.0
    m_sigma: float = float("nan")
    inputs: PDMInputs = field(default_factory=PDMInputs)

    def __post_init__(self) -> None:
        for name in ("m0", "g1", "g2", "mu2bar", "lambda4", "lambda6", "g_omega", "g_rho"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if not 0 <= self.m0 < self.inputs.m_N:
            raise ValueError(f"m0 must lie in [0, m_N = {self.inputs.m_N}) MeV, got {self.m0!r}")
        for name in ("g1", "g2", "g_omega", "g_rho"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not math.isfinite(self.lambda_omega_rho):
            raise ValueError(f"lambda_omega_rho must be finite, got {self.lambda_omega_rho!r}")

    @property
    def lambda_eff(self) -> float:
        """λ' = λ_ωρ g_ω² g_ρ², the coefficient of ω²ρ² in the pressure [dimensionless]."""
        return self.lambda_omega_rho * self.g_omega**2 * self.g_rho**2


# --- free Fermi gas, 2 spin states (per species) -------------------------------------------------


def fermi_momentum(mu: ArrayLike, m: ArrayLike) -> Array:
    """k_F = √(μ² − m²) for μ > m, else 0."""
    mu, m = np.asarray(mu, dtype=float), np.asarray(m, dtype=float)
    return np.sqrt(np.maximum(mu * mu - m * m, 0.0))


def fermi_density(k: ArrayLike) -> Array:
    """n = k_F³ / (3π²)."""
    k = np.asarray(k, dtype=float)
    return k**3 / (3 * np.pi**2)


def _series(x: Array, first_power: int, coeffs: tuple[float, ...]) -> Array:
    """Σ_j c_j x^(p+2j) / (p+2j): the small-x expansion of ∫_0^x t^(p-1) (1+t²)^(...) dt."""
    return sum(c * x ** (first_power + 2 * j) / (first_power + 2 * j) for j, c in enumerate(coeffs))


def fermi_scalar_density(k: ArrayLike, m: ArrayLike) -> Array:
    """n_s = (m/2π²)[k E − m² ln((k+E)/m)] = (m/π²)∫_0^k p²/E dp (docs/neutronstar.md §2.2)."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    x = k / m
    e = np.hypot(k, m)
    closed = m / (2 * np.pi**2) * (k * e - m * m * np.arcsinh(x))
    return np.where(x < _SERIES_X, m**3 / np.pi**2 * _series(x, 3, _BINOM_M12), closed)


def fermi_scalar_density_dm(k: ArrayLike, m: ArrayLike) -> Array:
    """∂n_s/∂m at fixed μ = √(k²+m²): (1/π²)[½ k μ − (3/2) m² ln((k+μ)/m)]."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    return (0.5 * k * np.hypot(k, m) - 1.5 * m * m * np.arcsinh(k / m)) / np.pi**2


def fermi_gas_derivatives(k: ArrayLike, m: ArrayLike) -> tuple[Array, Array, Array]:
    """(∂n/∂μ, ∂n_s/∂μ = −∂n/∂m, ∂n_s/∂m) at Fermi momentum k: (μk/π², mk/π², see above)."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    return np.hypot(k, m) * k / np.pi**2, m * k / np.pi**2, fermi_scalar_density_dm(k, m)


def fermi_pressure(k: ArrayLike, m: ArrayLike) -> Array:
    """P = (1/3π²)∫_0^k p⁴/E dp = [(2k³ − 3m²k)E + 3m⁴ ln((k+E)/m)] / (24π²)."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    x = k / m
    e = np.hypot(k, m)
    closed = ((2 * k**3 - 3 * m * m * k) * e + 3 * m**4 * np.arcsinh(x)) / (24 * np.pi**2)
    return np.where(x < _SERIES_X, m**4 / (3 * np.pi**2) * _series(x, 5, _BINOM_M12), closed)


def fermi_energy_density(k: ArrayLike, m: ArrayLike) -> Array:
    """ε = (1/π²)∫_0^k p² E dp = [(2k³ + m²k)E − m⁴ ln((k+E)/m)] / (8π²)."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    e = np.hypot(k, m)
    return ((2 * k**3 + m * m * k) * e - m**4 * np.arcsinh(k / m)) / (8 * np.pi**2)


# --- masses and vacuum identities (docs/neutronstar.md §2.1) --------------------------------------


def baryon_masses(sigma: ArrayLike, m0: float, g1: float, g2: float) -> tuple[Array, Array]:
    """(m_+, m_-) = ½[√((g1+g2)²σ² + 4m0²) ∓ (g1 − g2)σ]: N(939) and N*(1535) masses."""
    sigma = np.asarray(sigma, dtype=float)
    root = np.sqrt((g1 + g2) ** 2 * sigma**2 + 4 * m0**2)  # Eq. (N1), docs/neutronstar.md §2.1
    return 0.5 * (root - (g1 - g2) * sigma), 0.5 * (root + (g1 - g2) * sigma)


def baryon_mass_derivatives(
    sigma: ArrayLike, m0: float, g1: float, g2: float
) -> tuple[Array, Array, Array, Array]:
    """(∂m_+/∂σ, ∂m_-/∂σ, ∂²m_+/∂σ², ∂²m_-/∂σ²) of the mass eigenvalues."""
    sigma = np.asarray(sigma, dtype=float)
    a2 = (g1 + g2) ** 2
    root = np.sqrt(a2 * sigma**2 + 4 * m0**2)
    d_root = a2 * sigma / root
    d2_root = a2 * 4 * m0**2 / root**3
    return (
        0.5 * (d_root - (g1 - g2)),
        0.5 * (d_root + (g1 - g2)),
        0.5 * d2_root,
        0.5 * d2_root,
    )


def vacuum_yukawa_couplings(
    m0: float, m_N: float, m_Nstar: float, f_pi: float
) -> tuple[float, float]:
    """(g1, g2) from m_±(f_π) = (m_N, m_N*): g1 − g2 = (m_N* − m_N)/f_π, g1 + g2 = √(...)/f_π."""
    disc = (m_N + m_Nstar) ** 2 - 4 * m0**2
    if disc <= 0:
        raise ValueError(f"m0 must be < (m_N + m_Nstar)/2 = {(m_N + m_Nstar) / 2}, got {m0!r}")
    g_sum = math.sqrt(disc) / f_pi  # g1 + g2
    g_diff = (m_Nstar - m_N) / f_pi  # g1 − g2
    return 0.5 * (g_sum + g_diff), 0.5 * (g_sum - g_diff)


def vacuum_mu2bar(lambda4: ArrayLike, lambda6: ArrayLike, f_pi: float, m_pi: float) -> Array:
    """μ̄² from V'(f_π) = 0: μ̄² = λ4 f_π² − λ6 f_π⁴ − m_π²."""
    return np.asarray(lambda4) * f_pi**2 - np.asarray(lambda6) * f_pi**4 - m_pi**2


def vacuum_sigma_mass(lambda4: float, lambda6: float, f_pi: float, m_pi: float) -> float:
    """m_σ = √V''(f_π) = √(2λ4 f_π² − 4λ6 f_π⁴ + m_π²) (NaN if the vacuum is unstable)."""
    m2 = 2 * lambda4 * f_pi**2 - 4 * lambda6 * f_pi**4 + m_pi**2
    return math.sqrt(m2) if m2 > 0 else float("nan")


def meson_potential(
    sigma: ArrayLike, mu2bar: float, lambda4: float, lambda6: float, f_pi: float, m_pi: float
) -> Array:
    """V(σ) = −½μ̄²σ² + ¼λ4σ⁴ − ⅙λ6σ⁶ − m_π² f_π σ (docs/neutronstar.md §2.1)."""
    s = np.asarray(sigma, dtype=float)
    return -0.5 * mu2bar * s**2 + 0.25 * lambda4 * s**4 - lambda6 * s**6 / 6 - m_pi**2 * f_pi * s


def meson_potential_derivatives(
    sigma: ArrayLike, mu2bar: float, lambda4: float, lambda6: float, f_pi: float, m_pi: float
) -> tuple[Array, Array]:
    """(V'(σ), V''(σ)) of the meson potential."""
    s = np.asarray(sigma, dtype=float)
    dv = -mu2bar * s + lambda4 * s**3 - lambda6 * s**5 - m_pi**2 * f_pi
    return dv, -mu2bar + 3 * lambda4 * s**2 - 5 * lambda6 * s**4


# --- mean-field thermodynamics at T = 0 (docs/neutronstar.md §2.2) --------------------------------


class BaryonGas(NamedTuple):
    """Per-species Fermi seas [4, ...] in the mean fields, species order (p, n, p*, n*)."""

    mass: Array  # m_α(σ)
    dmass: Array  # ∂m_α/∂σ
    d2mass: Array  # ∂²m_α/∂σ²
    mu_eff: Array  # μ*_α = μ_α − g_ω ω − g_ρ t_α ρ
    k: Array  # Fermi momentum
    n: Array  # number density
    ns: Array  # scalar density
    pressure: Array
    energy: Array


def baryon_gas(
    sigma: ArrayLike,
    omega: ArrayLike,
    rho: ArrayLike,
    mu_p: ArrayLike,
    mu_n: ArrayLike,
    params: PDMParams,
) -> BaryonGas:
    """Fill N(939) and N*(1535) Fermi seas up to μ*_α (N* fills once μ* > m_-)."""
    sigma, omega, rho, mu_p, mu_n = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (sigma, omega, rho, mu_p, mu_n))
    )
    m_plus, m_minus = baryon_masses(sigma, params.m0, params.g1, params.g2)
    dp, dm, d2p, d2m = baryon_mass_derivatives(sigma, params.m0, params.g1, params.g2)
    mass = np.stack([m_plus, m_plus, m_minus, m_minus])
    dmass = np.stack([dp, dp, dm, dm])
    d2mass = np.stack([d2p, d2p, d2m, d2m])
    t = ISOSPIN.reshape((4,) + (1,) * sigma.ndim)
    mu = np.stack([mu_p, mu_n, mu_p, mu_n])
    mu_eff = mu - params.g_omega * omega - params.g_rho * t * rho  # μ*_α, docs/neutronstar.md §2.2
    k = fermi_momentum(mu_eff, mass)
    return BaryonGas(
        mass,
        dmass,
        d2mass,
        mu_eff,
        k,
        fermi_density(k),
        fermi_scalar_density(k, mass),
        fermi_pressure(k, mass),
        fermi_energy_density(k, mass),
    )


def grand_potential(
    sigma: ArrayLike,
    omega: ArrayLike,
    rho: ArrayLike,
    mu_p: ArrayLike,
    mu_n: ArrayLike,
    params: PDMParams,
) -> Array:
    """Baryonic Ω = V(σ) − V(f_π) − ½m_ω²ω² − ½m_ρ²ρ² − λ'ω²ρ² − Σ_α P_FG(μ*_α, m_α) [MeV⁴]."""
    gas = baryon_gas(sigma, omega, rho, mu_p, mu_n, params)
    return grand_potential_from_gas(sigma, omega, rho, gas, params)


def grand_potential_from_gas(
    sigma: ArrayLike, omega: ArrayLike, rho: ArrayLike, gas: BaryonGas, params: PDMParams
) -> Array:
    """Ω of ``grand_potential`` with the Fermi seas already filled (``baryon_gas``)."""
    inp = params.inputs
    omega, rho = np.asarray(omega, dtype=float), np.asarray(rho, dtype=float)
    return (  # grand potential (T = 0, no sea), docs/neutronstar.md §2.2
        vacuum_subtracted_potential(sigma, params)
        - 0.5 * inp.m_omega**2 * omega**2
        - 0.5 * inp.m_rho**2 * rho**2
        - params.lambda_eff * omega**2 * rho**2
        - gas.pressure.sum(axis=0)
    )


def energy_density(
    sigma: ArrayLike, omega: ArrayLike, rho: ArrayLike, gas: BaryonGas, params: PDMParams
) -> Array:
    """ε = V(σ) − V(f_π) + ½m_ω²ω² + ½m_ρ²ρ² + 3λ'ω²ρ² + Σ ε_FG (valid on the ω, ρ equations)."""
    inp = params.inputs
    omega, rho = np.asarray(omega, dtype=float), np.asarray(rho, dtype=float)
    return (  # ε = −P + Σ μ n on the ω, ρ equations, docs/neutronstar.md §2.2
        vacuum_subtracted_potential(sigma, params)
        + 0.5 * inp.m_omega**2 * omega**2
        + 0.5 * inp.m_rho**2 * rho**2
        + 3 * params.lambda_eff * omega**2 * rho**2
        + gas.energy.sum(axis=0)
    )


def field_equations(
    sigma: ArrayLike, omega: ArrayLike, rho: ArrayLike, gas: BaryonGas, params: PDMParams
) -> tuple[Array, Array, Array]:
    """Residuals (∂Ω/∂σ, −∂Ω/∂ω, −∂Ω/∂ρ) of the mean-field equations [MeV³]; zero on solutions.

    σ: V'(σ) + Σ (∂m_α/∂σ) n_s,α; ω: ω(m_ω² + 2λ'ρ²) − g_ω n_B; ρ: ρ(m_ρ² + 2λ'ω²) − g_ρ Σ t_α n_α.
    """
    inp = params.inputs
    sigma = np.asarray(sigma, dtype=float)
    omega, rho = np.asarray(omega, dtype=float), np.asarray(rho, dtype=float)
    t = ISOSPIN.reshape((4,) + (1,) * (gas.n.ndim - 1))
    dv, _ = meson_potential_derivatives(
        sigma, params.mu2bar, params.lambda4, params.lambda6, inp.f_pi, inp.m_pi
    )
    r_sigma = dv + (gas.dmass * gas.ns).sum(axis=0)  # σ equation, docs/neutronstar.md §2.2
    lam = params.lambda_eff
    r_omega = omega * (inp.m_omega**2 + 2 * lam * rho**2) - params.g_omega * gas.n.sum(axis=0)
    r_rho = rho * (inp.m_rho**2 + 2 * lam * omega**2) - params.g_rho * (t * gas.n).sum(axis=0)
    return r_sigma, r_omega, r_rho


def vacuum_subtracted_potential(sigma: ArrayLike, params: PDMParams) -> Array:
    """V(σ) − V(f_π), the vacuum-subtracted meson potential."""
    inp = params.inputs
    args = (params.mu2bar, params.lambda4, params.lambda6, inp.f_pi, inp.m_pi)
    return meson_potential(sigma, *args) - meson_potential(inp.f_pi, *args)
