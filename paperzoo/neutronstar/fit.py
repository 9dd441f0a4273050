"""Fit of the PDM parameters to vacuum and saturation properties (docs/neutronstar.md §2.4).

Paper: arXiv:2404.04786 (Gao, Yan, Harada); fitting conditions as in Minamikawa, Kojo, Harada,
PRC 103, 045205 (2021), Sec. II–III.

Strategy: (g1, g2) and μ̄² follow in closed form from the vacuum. In symmetric matter at n0 the
conditions P = 0 and E/A fix g_ω and the potential (λ4, λ6) once the σ value σ0 at n0 is given
(P = 0 ⇔ μ_B = E/A; the σ equation and E/A are linear in λ4, λ6), so the fit is a 1-D root find
of K(σ0) = K_target over σ0 ∈ (0, f_π). Then g_ρ and λ_ωρ follow in closed form from S0 and L0.
``saturation_properties`` re-derives everything by differentiating the EOS numerically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import EllipsisType

import numpy as np
from scipy import optimize

from paperzoo.neutronstar import pdm
from paperzoo.neutronstar.config import PDMInputs
from paperzoo.neutronstar.constants import HBARC3
from paperzoo.neutronstar.pdm import PDMParams

__all__ = ["PDMParams", "fit_pdm", "saturation_properties", "symmetric_state", "energy_per_baryon"]

_SIGMA_GRID = 4000  # σ0 scan points for bracketing the K condition
_SIGMA_MAX = 1.02  # σ window (0, 1.02 f_π] of the ground-state checks, docs/neutronstar.md §2.3


@dataclass(frozen=True)
class _SaturationState:
    """Symmetric matter at n0 for a trial σ0 (all arrays over the σ0 scan)."""

    sigma0: np.ndarray
    lambda4: np.ndarray
    lambda6: np.ndarray
    g_omega2: np.ndarray
    K: np.ndarray
    stiffness: np.ndarray  # ∂²ε/∂σ² at fixed n (> 0: σ0 is a local minimum)
    m_sigma2: np.ndarray
    kin_sym: np.ndarray  # k_F²/(6E*_F)
    kin_sym_slope: np.ndarray  # d/dn of k_F²/(6E*_F) along symmetric matter


def _saturation_state(sigma0: np.ndarray, m0: float, inp: PDMInputs) -> _SaturationState:
    f, mpi, m_w2 = inp.f_pi, inp.m_pi, inp.m_omega**2
    g1, g2 = pdm.vacuum_yukawa_couplings(m0, inp.m_N, inp.m_Nstar, f)
    n = inp.n0_mev3
    k = (1.5 * np.pi**2 * n) ** (1 / 3)  # n = 2 k³/(3π²) per isospin-symmetric pair
    m, _ = pdm.baryon_masses(sigma0, m0, g1, g2)
    dm, _, d2m, _ = pdm.baryon_mass_derivatives(sigma0, m0, g1, g2)
    e_f = np.hypot(k, m)
    mu_sat = inp.m_N + inp.E_bind
    g_omega2 = (mu_sat - e_f) * m_w2 / n  # P(n0) = 0 ⇔ μ_B = E/A: μ_B = E*_F + g_ω² n/m_ω²
    ns = 2 * pdm.fermi_scalar_density(k, m)
    eps_fg = 2 * pdm.fermi_energy_density(k, m)
    dv_target = mu_sat * n - eps_fg - g_omega2 * n**2 / (2 * m_w2)  # E/A condition
    dv1_target = -dm * ns  # σ equation

    def basis(l4: float, l6: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu2 = pdm.vacuum_mu2bar(l4, l6, f, mpi)
        dv = pdm.meson_potential(sigma0, mu2, l4, l6, f, mpi)
        dv -= pdm.meson_potential(f, mu2, l4, l6, f, mpi)
        return (dv, *pdm.meson_potential_derivatives(sigma0, mu2, l4, l6, f, mpi))

    b0, b4, b6 = basis(0.0, 0.0), basis(1.0, 0.0), basis(0.0, 1.0)  # V is affine in (λ4, λ6)
    a11, a12, a21, a22 = b4[0] - b0[0], b6[0] - b0[0], b4[1] - b0[1], b6[1] - b0[1]
    r1, r2 = dv_target - b0[0], dv1_target - b0[1]
    det = a11 * a22 - a12 * a21
    lambda4 = (r1 * a22 - a12 * r2) / det
    lambda6 = (a11 * r2 - a21 * r1) / det
    v2 = b0[2] + lambda4 * (b4[2] - b0[2]) + lambda6 * (b6[2] - b0[2])
    _, _, dns_dm_mu = pdm.fermi_gas_derivatives(k, m)
    dns_dm_k = 2 * (dns_dm_mu + m * m * k / (np.pi**2 * e_f))  # ∂n_s/∂m at fixed k_F
    stiffness = v2 + d2m * ns + dm**2 * dns_dm_k
    dsigma_dn = -(dm * m / e_f) / stiffness  # implicit function theorem on the σ equation
    k_dk = np.pi**2 / (2 * k)  # k dk/dn
    de_f = (k_dk + m * dm * dsigma_dn) / e_f
    K = 9 * n * (de_f + g_omega2 / m_w2)  # K = 9 n dμ_B/dn at P = 0
    kin = k * k / (6 * e_f)
    kin_slope = k_dk / (3 * e_f) - k * k * de_f / (6 * e_f**2)
    m_sigma2 = 2 * lambda4 * f**2 - 4 * lambda6 * f**4 + mpi**2
    return _SaturationState(
        sigma0, lambda4, lambda6, g_omega2, K, stiffness, m_sigma2, kin, kin_slope
    )


def _is_ground_state(params: PDMParams, sigma0: float) -> bool:
    """σ0 is the global minimum of ε(n0, σ) and σ = f_π that of V on (0, 1.02 f_π]."""
    inp = params.inputs
    s = np.linspace(1e-3, _SIGMA_MAX, 600) * inp.f_pi
    v = pdm.vacuum_subtracted_potential(s, params)
    if np.min(v) < -1e-9 * inp.f_pi**4:
        return False
    k = (1.5 * np.pi**2 * inp.n0_mev3) ** (1 / 3)
    s_all = np.append(s, sigma0)
    m, _ = pdm.baryon_masses(s_all, params.m0, params.g1, params.g2)
    eps = pdm.vacuum_subtracted_potential(s_all, params) + 2 * pdm.fermi_energy_density(k, m)
    return bool(np.min(eps[:-1]) >= eps[-1] - 1e-9 * abs(eps[-1]))


def fit_pdm(
    m0: float,
    inputs: PDMInputs | None = None,
    L0: float | None | EllipsisType = ...,
) -> PDMParams:
    """Fit (μ̄², λ4, λ6, g_ω) to n0, E/A, P(n0) = 0, K; g_ρ to S0; λ_ωρ to L0.

    L0: slope of the symmetry energy [MeV]; ``...`` (default) takes ``inputs.L0``; None means no
    ω–ρ mixing (λ_ωρ = 0, g_ρ from S0 alone). Raises ValueError naming m0 if no root is found.
    Among several roots the physical one is kept: σ0 a stable global minimum at n0, a stable
    vacuum, g_ω² > 0; if several remain, the largest σ0 (the branch connected to the vacuum).
    Conditions and closed forms: docs/neutronstar.md §2.4.
    """
    inp = PDMInputs() if inputs is None else inputs
    if not isinstance(inp, PDMInputs):
        raise ValueError(f"inputs must be a PDMInputs, got {type(inputs).__name__}")
    l0 = inp.L0 if L0 is ... else L0
    if isinstance(m0, bool) or not isinstance(m0, int | float) or not math.isfinite(m0):
        raise ValueError(f"m0 must be a finite number in MeV, got {m0!r}")
    if not 0 <= m0 < inp.m_N:
        raise ValueError(f"m0 must lie in [0, m_N = {inp.m_N}) MeV, got {m0!r}")
    if l0 is not None and (not isinstance(l0, int | float) or not math.isfinite(l0)):
        raise ValueError(f"L0 must be a finite number (MeV) or None, got {l0!r}")
    f = inp.f_pi
    g1, g2 = pdm.vacuum_yukawa_couplings(m0, inp.m_N, inp.m_Nstar, f)

    grid = np.linspace(0.01, 0.9995, _SIGMA_GRID) * f
    scan = _saturation_state(grid, m0, inp)
    resid = scan.K - inp.K
    ok = (scan.g_omega2 > 0) & (scan.stiffness > 0) & (scan.m_sigma2 > 0) & np.isfinite(resid)
    idx = np.nonzero(ok[:-1] & ok[1:] & (np.sign(resid[:-1]) != np.sign(resid[1:])))[0]
    if idx.size == 0:
        best = float(np.min(np.abs(resid[ok]))) if ok.any() else float("nan")
        raise ValueError(
            f"m0 = {m0!r}: fit did not converge, no σ0 in (0, f_π) gives K = {inp.K} MeV "
            f"(smallest residual |K - K_target| = {best:.4g} MeV)"
        )

    def k_resid(s: float) -> float:
        return float(_saturation_state(np.array([s]), m0, inp).K[0] - inp.K)

    candidates = []
    for i in idx[::-1]:  # largest σ0 first
        s0 = optimize.brentq(k_resid, grid[i], grid[i + 1], xtol=1e-14 * f, rtol=1e-15)
        st = _saturation_state(np.array([s0]), m0, inp)
        params = _assemble(m0, g1, g2, st, inp, l0)
        if params is not None and _is_ground_state(params, s0):
            candidates.append((s0, params))
    if not candidates:
        raise ValueError(
            f"m0 = {m0!r}: fit did not converge to a physical state: {idx.size} root(s) of "
            f"K(σ0) = {inp.K} MeV, none a stable ground state (residual of the best: "
            f"{abs(resid[idx[-1]]):.3g} MeV)"
        )
    s0, params = candidates[0]
    residual = abs(k_resid(s0))
    if residual > 1e-6 * inp.K:
        raise ValueError(f"m0 = {m0!r}: fit did not converge, residual |ΔK| = {residual:.3g} MeV")
    return params


def _assemble(
    m0: float, g1: float, g2: float, st: _SaturationState, inp: PDMInputs, l0: float | None
) -> PDMParams | None:
    """Closed-form g_ρ, λ_ωρ from S(n) = k²/(6E*) + g_ρ² n / [8(m_ρ² + 2λ_ωρ g_ω² g_ρ² ω²)]."""
    n = inp.n0_mev3
    g_omega2 = float(st.g_omega2[0])
    if not g_omega2 > 0:
        return None
    s_vec = inp.S0 - float(st.kin_sym[0])  # vector part of S0 [MeV]
    if s_vec <= 0:
        raise ValueError(
            f"S0 = {inp.S0!r} MeV is below the kinetic part {float(st.kin_sym[0]):.3f} MeV "
            f"for m0 = {m0!r}; no real g_rho"
        )
    m_rho2 = inp.m_rho**2
    if l0 is None:
        y = 0.0
    else:
        # L = 3n dS/dn = 3n kin' + 3 s_vec (1 − 2y/D), D = m_ρ² + y, y = 2λ_ωρ g_ω² g_ρ² ω0²
        r = (l0 - 3 * n * float(st.kin_sym_slope[0])) / (3 * s_vec)
        if r <= -1:
            lmin = 3 * n * float(st.kin_sym_slope[0]) - 3 * s_vec
            raise ValueError(f"L0 must be > {lmin:.3f} MeV for m0 = {m0!r}, got {l0!r}")
        y = m_rho2 * (1 - r) / (1 + r)
    d = m_rho2 + y
    g_rho2 = 8 * d * s_vec / n
    omega0 = math.sqrt(g_omega2) * n / inp.m_omega**2
    lam = y / (2 * g_omega2 * g_rho2 * omega0**2)
    l4, l6 = float(st.lambda4[0]), float(st.lambda6[0])
    return PDMParams(
        m0=float(m0),
        g1=g1,
        g2=g2,
        mu2bar=float(pdm.vacuum_mu2bar(l4, l6, inp.f_pi, inp.m_pi)),
        lambda4=l4,
        lambda6=l6,
        g_omega=math.sqrt(g_omega2),
        g_rho=math.sqrt(g_rho2),
        lambda_omega_rho=lam,
        m_sigma=pdm.vacuum_sigma_mass(l4, l6, inp.f_pi, inp.m_pi),
        inputs=inp,
    )


# --- independent check: the EOS at fixed (n, δ), differentiated numerically ----------------------


def symmetric_state(params: PDMParams, n_fm3: float, delta: float = 0.0) -> dict[str, float]:
    """Ground state at baryon density n [fm⁻³] and asymmetry δ = (n_n − n_p)/n, N* empty.

    Solves the σ equation (global minimum of ε over σ ∈ (0, 1.02 f_π]) and the ω, ρ equations
    at fixed Fermi momenta. Returns sigma, omega, rho [MeV], energy density eps [MeV fm⁻³],
    E/A [MeV], m_star [MeV].
    """
    inp = params.inputs
    n = n_fm3 * HBARC3
    n_p, n_n = 0.5 * n * (1 - delta), 0.5 * n * (1 + delta)
    k = np.array([(3 * np.pi**2 * n_p) ** (1 / 3), (3 * np.pi**2 * n_n) ** (1 / 3)])
    n3 = 0.5 * (n_p - n_n)
    lam = params.lambda_eff
    omega = params.g_omega * n / inp.m_omega**2
    rho = params.g_rho * n3 / inp.m_rho**2
    for _ in range(50):  # Newton on the ω, ρ equations (mixing couples them)
        r = np.array(
            [
                omega * (inp.m_omega**2 + 2 * lam * rho**2) - params.g_omega * n,
                rho * (inp.m_rho**2 + 2 * lam * omega**2) - params.g_rho * n3,
            ]
        )
        jac = np.array(
            [
                [inp.m_omega**2 + 2 * lam * rho**2, 4 * lam * omega * rho],
                [4 * lam * omega * rho, inp.m_rho**2 + 2 * lam * omega**2],
            ]
        )
        step = np.linalg.solve(jac, r)
        omega, rho = omega - step[0], rho - step[1]
        if abs(step[0]) <= 1e-15 * abs(omega) + 1e-300 and abs(step[1]) <= 1e-15 * (abs(rho) + 1):
            break

    def eps_sigma(s: np.ndarray) -> np.ndarray:
        m, _ = pdm.baryon_masses(s, params.m0, params.g1, params.g2)
        fg = pdm.fermi_energy_density(k[:, None], m[None, :]).sum(axis=0)
        return pdm.vacuum_subtracted_potential(s, params) + fg

    def d_eps(s: float) -> float:
        m, _ = pdm.baryon_masses(s, params.m0, params.g1, params.g2)
        dm = pdm.baryon_mass_derivatives(s, params.m0, params.g1, params.g2)[0]
        dv, _ = pdm.meson_potential_derivatives(
            s, params.mu2bar, params.lambda4, params.lambda6, inp.f_pi, inp.m_pi
        )
        return float(dv + dm * pdm.fermi_scalar_density(k, m).sum())

    s = np.linspace(1e-3, _SIGMA_MAX, 800) * inp.f_pi
    i = int(np.clip(np.argmin(eps_sigma(s)), 1, s.size - 2))
    sigma = optimize.brentq(d_eps, s[i - 1], s[i + 1], xtol=1e-15 * inp.f_pi, rtol=1e-15)
    m_star = float(pdm.baryon_masses(sigma, params.m0, params.g1, params.g2)[0])
    eps = (
        float(eps_sigma(np.array([sigma]))[0])
        + 0.5 * inp.m_omega**2 * omega**2
        + 0.5 * inp.m_rho**2 * rho**2
        + 3 * lam * omega**2 * rho**2
    )
    return {
        "sigma": float(sigma),
        "omega": float(omega),
        "rho": float(rho),
        "eps": eps / HBARC3,
        "E_per_A": eps / n,
        "m_star": m_star,
    }


def energy_per_baryon(params: PDMParams, n_fm3: float, delta: float = 0.0) -> float:
    """E/A [MeV] at density n [fm⁻³] and asymmetry δ (nucleons only)."""
    return symmetric_state(params, n_fm3, delta)["E_per_A"]


def saturation_properties(params: PDMParams) -> dict[str, float]:
    """Saturation properties by numerical differentiation of E/A(n, δ) (independent of the fit).

    Returns n0 [fm⁻³] (minimum of E/A), E_bind = E/A − m_N [MeV], P_n0 = P at the input n0
    [MeV fm⁻³], K, S0, L0 [MeV] (at the computed n0) and m_star = m*(n0) [MeV].
    """
    inp = params.inputs

    def ea(n: float, delta: float = 0.0) -> float:
        return energy_per_baryon(params, n, delta)

    def pressure(n: float) -> float:  # P = n² d(E/A)/dn
        h = 1e-4 * n
        return n * n * (ea(n + h) - ea(n - h)) / (2 * h)

    n_sat = optimize.brentq(pressure, 0.7 * inp.n0, 1.3 * inp.n0, xtol=1e-12, rtol=1e-13)
    h = 2e-3 * n_sat
    e_m2, e_m1, e_0, e_p1, e_p2 = (ea(n_sat + j * h) for j in (-2, -1, 0, 1, 2))
    d2 = (-e_p2 + 16 * e_p1 - 30 * e_0 + 16 * e_m1 - e_m2) / (12 * h * h)

    def sym(n: float) -> float:  # S = ½ ∂²(E/A)/∂δ² at δ = 0
        d = 0.01
        return (ea(n, d) + ea(n, -d) - 2 * ea(n)) / (2 * d * d)

    hl = 1e-3 * n_sat
    return {
        "n0": n_sat,
        "E_bind": e_0 - inp.m_N,
        "P_n0": pressure(inp.n0),
        "K": 9 * n_sat**2 * d2,
        "S0": sym(n_sat),
        "L0": 3 * n_sat * (sym(n_sat + hl) - sym(n_sat - hl)) / (2 * hl),
        "m_star": symmetric_state(params, n_sat)["m_star"],
    }
