"""Mean-field PDM equation of state: field solver, EOS tables, continuations, ``build_eos``.

Paper: arXiv:2404.04786 (Gao, Yan, Harada); solver and β-equilibrium as in docs/neutronstar.md §2.2;
crossover interpolation as in Minamikawa, Kojo, Harada, PRC 103, 045205 (2021), Sec. IV.

Solver (docs/neutronstar.md §2.3): a plain root finder on (σ, ω, ρ) jumps to an unphysical branch
(σ > f_π). Here, for every μ_B on the grid at once (vectorised), the reduced pressure P̃(σ) —
ω, ρ (and μ_e for β-equilibrium) solved at fixed σ — is scanned on σ ∈ (0, 1.02 f_π], the
global maximum is bracketed, and the σ equation dP̃/dσ = 0 is solved there by a safeguarded
Newton iteration (Newton with bisection fallback). By the envelope theorem dP̃/dσ = −∂Ω/∂σ.
``build_eos`` is the one call from m0 to the crust-glued, continued TabulatedEOS the TOV solver
reads. Public units: μ, fields [MeV]; n [fm⁻³]; ε, P [MeV fm⁻³].
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from paperzoo.neutronstar import njl, pdm
from paperzoo.neutronstar.config import CSS, Crossover, PDMInputs, QuarkNJL
from paperzoo.neutronstar.constants import HBARC3, M_ELECTRON, M_MUON
from paperzoo.neutronstar.crust import glue_crust, sly_crust
from paperzoo.neutronstar.fit import fit_pdm
from paperzoo.neutronstar.pdm import IS_PARTNER, IS_PROTON, ISOSPIN, PDMParams
from paperzoo.neutronstar.tov import TabulatedEOS

Array = NDArray[np.float64]
Matter = Literal["beta", "symmetric"]

__all__ = [
    "CONTINUATIONS",
    "EOSTable",
    "MeanFieldState",
    "build_eos",
    "build_from_options",
    "clear_caches",
    "consistency_report",
    "continue_eos",
    "njl_branch",
    "parse_continuation",
    "pdm_eos_table",
    "solve_mean_field",
]

_N_SIGMA_SCAN = 40  # σ grid for bracketing the global pressure maximum
_SIGMA_MAX = 1.02  # scan window (0, 1.02 f_π] (docs/neutronstar.md §2.3)
_LEPTON_MASSES = np.array([M_ELECTRON, M_MUON])
_MIXING_HOMOTOPY = (0.0, 0.25, 0.5, 0.75, 1.0)
_COARSE_STRIDE = 10  # σ scan on every 10th μ_B point, Newton continuation in between
_SIGMA_JUMP = 0.05  # coarse σ change (in f_π) treated as a possible first-order transition


@dataclass(frozen=True)
class MeanFieldState:
    """Solution of the mean-field equations on a μ_B grid [N] (natural units, MeV powers)."""

    mu_B: Array
    mu_e: Array  # electron chemical potential μ_e = μ_n − μ_p (0 in symmetric matter)
    sigma: Array
    omega: Array
    rho: Array
    n_baryon: Array  # [4, N] densities of (p, n, p*, n*)
    n_lepton: Array  # [2, N] densities of (e, μ)
    pressure: Array
    energy_density: Array  # from the energy functional, independent of P (docs/neutronstar.md §2.2)
    residual: Array  # max |field equation| / (g_ω n_B + m_π² f_π), dimensionless


@dataclass(frozen=True)
class EOSTable:
    """PDM EOS table [N] in public units: μ, fields [MeV]; n [fm⁻³]; ε, P [MeV fm⁻³]."""

    mu_B: Array
    n_B: Array
    energy_density: Array
    pressure: Array
    sigma: Array
    omega: Array
    rho: Array
    mu_e: Array
    proton_fraction: Array  # (n_p + n_p*) / n_B
    n_Nstar: Array  # n_p* + n_n*
    n_electron: Array
    n_muon: Array
    params: PDMParams
    matter: Matter


# --- residuals and Jacobian of the full system u = (σ, ω, ρ, μ_e) --------------------------------


def _leptons(mu_e: Array) -> tuple[Array, Array, Array, Array]:
    """Free e and μ gases at μ_μ = μ_e: (n [2,N], dn/dμ [2,N], P [2,N], ε [2,N])."""
    m = _LEPTON_MASSES.reshape(2, *([1] * mu_e.ndim))
    k = pdm.fermi_momentum(mu_e, m)
    dn_dmu, _, _ = pdm.fermi_gas_derivatives(k, m)
    return pdm.fermi_density(k), dn_dmu, pdm.fermi_pressure(k, m), pdm.fermi_energy_density(k, m)


def _system(
    u: Array, mu_b: Array, params: PDMParams, beta: bool
) -> tuple[Array, Array, pdm.BaryonGas]:
    """Residuals [4, ...] and Jacobian [..., 4, 4] of (σ, ω, ρ, charge) equations at u [4, ...]."""
    sigma, omega, rho, mu_e = u
    inp = params.inputs
    gas = pdm.baryon_gas(sigma, omega, rho, mu_b - mu_e, mu_b, params)
    r_sigma, r_omega, r_rho = pdm.field_equations(sigma, omega, rho, gas, params)
    shape = (4,) + (1,) * sigma.ndim
    t = ISOSPIN.reshape(shape)
    is_p = IS_PROTON.reshape(shape).astype(float)
    dn_dmu, dns_dmu, dns_dm = pdm.fermi_gas_derivatives(gas.k, gas.mass)
    zero = np.zeros_like(gas.k)
    # ∂μ*_α/∂u and ∂m_α/∂u, each [species, component, ...]
    dmu_eff = np.stack(
        [zero, -params.g_omega + zero, -params.g_rho * t + zero, -is_p + zero], axis=1
    )
    dmass = np.stack([gas.dmass, zero, zero, zero], axis=1)
    dn = dn_dmu[:, None] * dmu_eff - dns_dmu[:, None] * dmass  # ∂n_α/∂u
    dns = dns_dmu[:, None] * dmu_eff + dns_dm[:, None] * dmass  # ∂n_s,α/∂u
    _, v2 = pdm.meson_potential_derivatives(
        sigma, params.mu2bar, params.lambda4, params.lambda6, inp.f_pi, inp.m_pi
    )
    lam = params.lambda_eff
    e = np.eye(4).reshape(4, 4, *([1] * sigma.ndim))
    j_sigma = (v2 + (gas.d2mass * gas.ns).sum(0)) * e[0] + (gas.dmass[:, None] * dns).sum(0)
    j_omega = (
        (inp.m_omega**2 + 2 * lam * rho**2) * e[1]
        + 4 * lam * omega * rho * e[2]
        - params.g_omega * dn.sum(0)
    )
    j_rho = (
        (inp.m_rho**2 + 2 * lam * omega**2) * e[2]
        + 4 * lam * omega * rho * e[1]
        - params.g_rho * (t[:, None] * dn).sum(0)
    )
    if beta:
        n_lep, dn_lep, _, _ = _leptons(mu_e)
        r_q = (is_p * gas.n).sum(0) - n_lep.sum(0)  # charge neutrality n_p = n_e + n_μ
        # a tiny floor on ∂n_Q/∂μ_e keeps the Jacobian regular where no charged particle exists
        floor = 1e-9 * mu_b**2 / np.pi**2
        j_q = (is_p[:, None] * dn).sum(0) - (dn_lep.sum(0) + floor) * e[3]
    else:
        r_q = mu_e  # symmetric matter: μ_p = μ_n
        j_q = e[3] + zero[0]
    res = np.stack([r_sigma, r_omega, r_rho, r_q])
    jac = np.moveaxis(np.stack([j_sigma, j_omega, j_rho, j_q]), (0, 1), (-2, -1))
    return res, jac, gas


def _thermo(
    u: Array, mu_b: Array, params: PDMParams, beta: bool
) -> tuple[Array, Array, pdm.BaryonGas, Array]:
    """Pressure, energy density [MeV⁴], baryon gas and lepton densities [2, ...] at u."""
    sigma, omega, rho, mu_e = u
    gas = pdm.baryon_gas(sigma, omega, rho, mu_b - mu_e, mu_b, params)
    # P = −Ω, docs/neutronstar.md §2.2
    p_b = -pdm.grand_potential_from_gas(sigma, omega, rho, gas, params)
    eps_b = pdm.energy_density(sigma, omega, rho, gas, params)
    if beta:
        n_lep, _, p_lep, e_lep = _leptons(mu_e)
    else:
        n_lep = p_lep = e_lep = np.zeros((2,) + sigma.shape)
    return p_b + p_lep.sum(0), eps_b + e_lep.sum(0), gas, n_lep


# --- vectorised Newton solvers --------------------------------------------------------------------


def _pressure(u: Array, mu_b: Array, params: PDMParams, beta: bool) -> Array:
    """P(σ, ω, ρ, μ_e; μ_B) = −Ω_baryon + P_leptons [MeV⁴], off-shell (for line searches)."""
    sigma, omega, rho, mu_e = u
    gas = pdm.baryon_gas(sigma, omega, rho, mu_b - mu_e, mu_b, params)
    p = -pdm.grand_potential_from_gas(sigma, omega, rho, gas, params)
    if beta:
        p = p + _leptons(mu_e)[2].sum(0)
    return p


def _newton(
    u: Array,
    mu_b: Array,
    params: PDMParams,
    beta: bool,
    first: int = 1,
    tol: float = 1e-12,
    iters: int = 100,
) -> tuple[Array, Array]:
    """Damped Newton for the unknowns u[first:] (first = 1: ω, ρ, μ_e at fixed σ; 0: all four).

    Flat arrays u [4, M], μ_B [M]. Armijo backtracking on the residual norm (the Newton step is a
    descent direction for it); converged points drop out. Returns u and a converged mask [M].
    """
    scale = params.g_omega * 4 * pdm.fermi_density(mu_b) + params.inputs.m_pi**2 * 100.0
    u = u.copy()
    act = np.arange(mu_b.size)
    for _ in range(iters):
        ua, mua, sca = u[:, act], mu_b[act], scale[act]
        res, jac, _ = _system(ua, mua, params, beta)
        merit = ((res[first:] / sca) ** 2).sum(0)
        keep = np.abs(res[first:]).max(0) > tol * sca
        if not keep.any():
            break
        act, ua, mua, sca, res, jac, merit = (
            act[keep],
            ua[:, keep],
            mua[keep],
            sca[keep],
            res[:, keep],
            jac[keep],
            merit[keep],
        )
        step = -np.linalg.solve(jac[:, first:, first:], res[first:].T[..., None])[..., 0].T
        alpha = np.ones_like(mua)
        pending = np.ones(mua.shape, dtype=bool)
        u_new = ua.copy()
        for _ in range(30):
            idx = np.nonzero(pending)[0]
            u_try = ua[:, idx].copy()
            u_try[first:] += alpha[idx] * step[:, idx]
            u_try[3] = np.clip(u_try[3], 0.0, mua[idx])
            u_try[0] = np.maximum(u_try[0], 1e-9 * params.inputs.f_pi)
            r_try, _, _ = _system(u_try, mua[idx], params, beta)
            ok = ((r_try[first:] / sca[idx]) ** 2).sum(0) <= (1 - 1e-4 * alpha[idx]) * merit[idx]
            u_new[:, idx[ok]] = u_try[:, ok]
            pending[idx[ok]] = False
            if not pending.any():
                break
            alpha[pending] *= 0.5
        u[:, act] = u_new
        act = act[~pending]  # a point whose line search failed has stalled: stop iterating it
        if not act.size:
            break
    res, _, _ = _system(u, mu_b, params, beta)
    return u, np.abs(res[first:]).max(0) <= max(tol, 1e-10) * scale


def _initial_guess(mu_b: Array, sigma: Array, params: PDMParams, beta: bool) -> Array:
    """Crude start: ω, ρ = 0, μ_e ≈ 0.05 μ_B (β) or 0 (symmetric)."""
    mu_e = 0.05 * mu_b if beta else np.zeros_like(mu_b)
    return np.stack([sigma, np.zeros_like(sigma), np.zeros_like(sigma), mu_e + 0 * sigma])


def _scan_solve(mu_b: Array, params: PDMParams, beta: bool) -> Array:
    """Physical (highest-pressure) solution u [4, N] by a σ scan at every μ_B."""
    f = params.inputs.f_pi
    n_mu = mu_b.size
    grid = np.linspace(0.5 / _N_SIGMA_SCAN, _SIGMA_MAX, _N_SIGMA_SCAN) * f  # [G]
    mu_grid = np.repeat(mu_b, grid.size)  # flat [N·G], σ fastest
    sig_grid = np.tile(grid, n_mu)
    u = _initial_guess(mu_grid, sig_grid, params, beta)
    # homotopy in λ_ωρ: at λ_ωρ = 0 the inner problem is convex (Newton converges from anywhere),
    # the attractive ω–ρ mixing is then switched on in steps along the connected branch
    for frac in _MIXING_HOMOTOPY if params.lambda_omega_rho != 0 else (1.0,):
        stage = replace(params, lambda_omega_rho=frac * params.lambda_omega_rho)
        u, conv = _newton(u, mu_grid, stage, beta, 1, 1e-9)
    p_tilde = np.where(conv, _pressure(u, mu_grid, params, beta), -np.inf)  # reduced P̃(σ)
    p_tilde = p_tilde.reshape(n_mu, grid.size)
    j = np.argmax(p_tilde[:, :-1], axis=1)  # global maximum (the edge 1.02 f_π excluded)
    lo = np.where(j == 0, 1e-6 * f, grid[np.maximum(j - 1, 0)])
    hi = grid[j + 1]
    u = u.reshape(4, n_mu, grid.size)[:, np.arange(n_mu), j]
    # safeguarded Newton on the σ equation, ω, ρ, μ_e re-solved at each σ (envelope theorem)
    scale = params.g_omega * 4 * pdm.fermi_density(mu_b) + params.inputs.m_pi**2 * f
    for _ in range(100):
        u, _ = _newton(u, mu_b, params, beta)
        res, jac, _ = _system(u, mu_b, params, beta)
        r = res[0]
        # total derivative dR_σ/dσ with the inner unknowns eliminated (Schur complement)
        dx = np.linalg.solve(jac[:, 1:, 1:], jac[:, 1:, 0][..., None])[..., 0]
        d_r = jac[:, 0, 0] - np.einsum("ni,ni->n", jac[:, 0, 1:], dx)
        lo = np.where(r < 0, u[0], lo)  # R_σ = −dP̃/dσ < 0 below the maximum
        hi = np.where(r >= 0, u[0], hi)
        new = u[0] - r / np.where(d_r > 0, d_r, np.inf)
        new = np.where((new > lo) & (new < hi) & (d_r > 0), new, 0.5 * (lo + hi))
        done = np.abs(r) <= 1e-12 * scale
        if np.all(done):
            break
        step = np.where(done, 0.0, new - u[0])
        u[0] += step
        u[1:] -= dx.T * step  # first-order update of the inner unknowns
    return u


def _solve(mu_b: Array, params: PDMParams, beta: bool) -> tuple[Array, Array]:
    """Physical solution u [4, N] and relative residual [N] on a sorted μ_B grid.

    A σ scan on every ``_COARSE_STRIDE``-th point, Newton continuation (warm start from the
    interpolated coarse solutions) in between; a point whose σ leaves the coarse bracket, or
    whose Newton iteration fails, or that lies next to a σ jump of the coarse solution (a
    first-order transition) is solved by the full σ scan instead.
    """
    f = params.inputs.f_pi
    n = mu_b.size
    coarse = np.unique(np.r_[np.arange(0, n, _COARSE_STRIDE), n - 1])
    u = np.empty((4, n))
    u[:, coarse] = _scan_solve(mu_b[coarse], params, beta)
    fine = np.setdiff1d(np.arange(n), coarse)
    if fine.size:
        guess = np.stack([np.interp(mu_b[fine], mu_b[coarse], u[i, coarse]) for i in range(4)])
        sol, conv = _newton(guess, mu_b[fine], params, beta, first=0)
        pos = np.searchsorted(coarse, fine)  # coarse[pos - 1] < fine < coarse[pos]
        s_lo, s_hi = u[0, coarse[pos - 1]], u[0, coarse[pos]]
        lo, hi = np.minimum(s_lo, s_hi), np.maximum(s_lo, s_hi)
        ok = conv & (sol[0] >= lo - 1e-9 * f) & (sol[0] <= hi + 1e-9 * f)
        ok &= hi - lo < _SIGMA_JUMP * f
        u[:, fine[ok]] = sol[:, ok]
        redo = fine[~ok]
        if redo.size:
            u[:, redo] = _scan_solve(mu_b[redo], params, beta)
    scale = params.g_omega * 4 * pdm.fermi_density(mu_b) + params.inputs.m_pi**2 * f
    res, _, _ = _system(u, mu_b, params, beta)
    return u, np.abs(res).max(0) / scale


def solve_mean_field(params: PDMParams, mu_B: ArrayLike, matter: Matter = "beta") -> MeanFieldState:
    """Solve the T = 0 mean-field equations at chemical potentials μ_B [MeV] (any shape → [N]).

    matter: "beta" (β-equilibrium, charge neutral, e and μ) or "symmetric" (n_p = n_n, no leptons).
    """
    mu = np.atleast_1d(np.asarray(mu_B, dtype=float)).ravel()
    order = np.argsort(mu)
    if matter not in ("beta", "symmetric"):
        raise ValueError(f"matter must be 'beta' or 'symmetric', got {matter!r}")
    if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
        raise ValueError(f"mu_B must be finite and > 0 MeV, got min {mu.min()!r}")
    beta = matter == "beta"
    u = np.empty((4, mu.size))
    resid = np.empty(mu.size)
    u[:, order], resid[order] = _solve(mu[order], params, beta)
    p, eps, gas, n_lep = _thermo(u, mu, params, beta)
    return MeanFieldState(mu, u[3], u[0], u[1], u[2], gas.n, n_lep, p, eps, resid)


def _table_from_state(st: MeanFieldState, params: PDMParams, matter: Matter) -> EOSTable:
    n = st.n_baryon
    n_b = n.sum(0)
    n_prot = n[IS_PROTON].sum(0)
    return EOSTable(
        mu_B=st.mu_B,
        n_B=n_b / HBARC3,
        energy_density=st.energy_density / HBARC3,
        pressure=st.pressure / HBARC3,
        sigma=st.sigma,
        omega=st.omega,
        rho=st.rho,
        mu_e=st.mu_e,
        proton_fraction=np.divide(n_prot, n_b, out=np.zeros_like(n_b), where=n_b > 0),
        n_Nstar=n[IS_PARTNER].sum(0) / HBARC3,
        n_electron=st.n_lepton[0] / HBARC3,
        n_muon=st.n_lepton[1] / HBARC3,
        params=params,
        matter=matter,
    )


def _mu_at_density(params: PDMParams, beta: bool, n_targets: Array) -> Array:
    """μ_B [MeV] where n_B(μ_B) reaches each target [MeV³] (coarse solve + PCHIP inverse)."""
    from scipy.interpolate import PchipInterpolator

    m_n = params.inputs.m_N
    top = m_n + 600.0
    while True:
        mu = np.linspace(m_n - 30.0, top, 61)
        st_u, _ = _solve(mu, params, beta)
        _, _, gas, _ = _thermo(st_u, mu, params, beta)
        n = gas.n.sum(0)
        if n[-1] >= n_targets.max() or top > 20 * m_n:
            break
        top += 600.0
    if n[-1] < n_targets.max():
        raise ValueError(f"n_max: density {n_targets.max() / HBARC3:.4g} fm^-3 not reached")
    keep = np.r_[True, np.diff(n) > 0] & (n > 0)  # strictly increasing part (drops vacuum)
    return PchipInterpolator(n[keep], mu[keep])(n_targets)


def pdm_eos_table(
    params: PDMParams,
    n_max: float = 1.2,
    n_points: int = 300,
    matter: Matter = "beta",
    n_min: float = 0.04,
) -> EOSTable:
    """PDM EOS on a uniform μ_B grid spanning n_B ≈ [n_min, n_max] fm⁻³ (docs/neutronstar.md §2.2).

    matter: "beta" (β-equilibrated, charge-neutral npeμ + N*) or "symmetric". A first-order
    transition (σ jump) is located by bisection and both coexisting states are inserted at μ_c
    (equal P, jump in n and ε). The ends are placed by interpolation, to ~1e-3 relative.
    """
    if matter not in ("beta", "symmetric"):
        raise ValueError(f"matter must be 'beta' or 'symmetric', got {matter!r}")
    if not (isinstance(n_points, int) and n_points >= 4):
        raise ValueError(f"n_points must be an integer >= 4, got {n_points!r}")
    if not 0 < n_min < n_max:
        raise ValueError(f"n_min must satisfy 0 < n_min < n_max, got n_min={n_min!r}")
    if not n_max <= 3.0:
        raise ValueError(f"n_max must be <= 3 fm^-3, got {n_max!r}")
    if matter == "symmetric" and n_min <= 1.01 * params.inputs.n0:
        raise ValueError(
            f"n_min must be > 1.01 n0 = {1.01 * params.inputs.n0} fm^-3 for symmetric matter "
            f"(below n0 it coexists with the vacuum: liquid–gas transition), got {n_min!r}"
        )
    beta = matter == "beta"
    mu_lo, mu_hi = _mu_at_density(params, beta, np.array([n_min, n_max]) * HBARC3)
    mu = np.linspace(mu_lo, mu_hi, n_points)
    u, _ = _solve(mu, params, beta)
    jumps = np.nonzero(np.abs(np.diff(u[0])) > _SIGMA_JUMP * params.inputs.f_pi)[0]
    mu_parts, u_parts, start = [], [], 0
    for i in jumps:
        found = _locate_transition(mu[i], mu[i + 1], u[:, i], u[:, i + 1], params, beta)
        if found is not None:
            mu_c, u_left, u_right = found
            mu_parts += [mu[start : i + 1], [mu_c, mu_c]]
            u_parts += [u[:, start : i + 1], np.stack([u_left, u_right], axis=1)]
            start = i + 1
    mu = np.concatenate([*mu_parts, mu[start:]])
    u = np.concatenate([*u_parts, u[:, start:]], axis=1)
    p, eps, gas, n_lep = _thermo(u, mu, params, beta)
    pair = np.nonzero(np.diff(mu) == 0)[0]  # coexisting states: equal P up to rounding
    p[pair + 1] = p[pair] = 0.5 * (p[pair] + p[pair + 1])
    scale = params.g_omega * 4 * pdm.fermi_density(mu) + params.inputs.m_pi**2 * params.inputs.f_pi
    resid = np.abs(_system(u, mu, params, beta)[0]).max(0) / scale
    st = MeanFieldState(mu, u[3], u[0], u[1], u[2], gas.n, n_lep, p, eps, resid)
    return _table_from_state(st, params, matter)


def _locate_transition(
    mu_a: float, mu_b: float, u_a: Array, u_b: Array, params: PDMParams, beta: bool
) -> tuple[float, Array, Array] | None:
    """First-order transition in (μ_a, μ_b): μ_c where the two branches have equal pressure.

    Each branch is continued from its own side by Newton; P_left − P_right changes sign in the
    interval (brentq). Returns None if both branches meet (a steep crossover, no transition).
    """
    from scipy.optimize import brentq

    def branch(u0: Array, mu: float) -> tuple[Array, float, bool]:
        m = np.array([mu])
        u, conv = _newton(u0[:, None], m, params, beta, first=0)
        return u[:, 0], float(_pressure(u, m, params, beta)[0]), bool(conv[0])

    def gap(mu: float) -> float:
        (_, p_l, ok_l), (_, p_r, ok_r) = branch(u_a, mu), branch(u_b, mu)
        if not ok_l:  # the left branch ended (spinodal): the right one wins
            return -1.0
        if not ok_r:
            return 1.0
        return p_l - p_r

    if not gap(mu_a) >= 0 >= gap(mu_b):
        return None
    mu_c = brentq(gap, mu_a, mu_b, xtol=1e-10 * mu_b, rtol=1e-14)
    left, _, _ = branch(u_a, mu_c)
    right, _, _ = branch(u_b, mu_c)
    if abs(left[0] - right[0]) < 1e-3 * params.inputs.f_pi:
        return None
    return mu_c, left, right


def consistency_report(table: EOSTable, h: float = 1e-2) -> dict[str, float]:
    """Thermodynamic checks of a table (all maxima over the table points).

    euler: |ε + P − Σ_i μ_i n_i| / ε; dP_dmu: |n_B − dP/dμ_B| / n_B with dP/dμ_B a central
    difference (step h MeV) of independently re-solved pressures; charge: |n_p − n_e − n_μ|
    [fm⁻³]; sigma_max: max σ/f_π; sigma_increase: largest rise of σ/f_π with density (≤ 0 if σ
    decreases monotonically).
    """
    params = table.params
    beta = table.matter == "beta"
    n_p = table.proton_fraction * table.n_B
    sum_mu_n = table.mu_B * table.n_B - table.mu_e * n_p
    if beta:
        sum_mu_n = sum_mu_n + table.mu_e * (table.n_electron + table.n_muon)
    euler = np.abs(table.energy_density + table.pressure - sum_mu_n) / table.energy_density
    single = np.r_[np.diff(table.mu_B) != 0, True] & np.r_[True, np.diff(table.mu_B) != 0]
    mu = table.mu_B[single]
    both = solve_mean_field(params, np.r_[mu - h, mu + h], table.matter)
    dp = (both.pressure[mu.size :] - both.pressure[: mu.size]) / (2 * h) / HBARC3
    n_b = table.n_B[single]
    charge = np.abs(n_p - table.n_electron - table.n_muon) if beta else np.zeros(1)
    order = np.argsort(table.n_B, kind="stable")
    return {
        "euler": float(euler.max()),
        "dP_dmu": float((np.abs(n_b - dp) / n_b).max()),
        "charge": float(charge.max()),
        "sigma_max": float(table.sigma.max() / params.inputs.f_pi),
        "sigma_increase": float(np.diff(table.sigma[order]).max() / params.inputs.f_pi),
    }


# --- high-density continuations (docs/neutronstar.md §2.6) ----------------------------------------


def _css_branch(mu_t: float, n_t: float, p_t: float, s: float, mu: Array) -> tuple[Array, Array]:
    """n(μ) = n_t (μ/μ_t)^(1/s), P(μ) = P_t + n_t μ_t s/(1+s)[(μ/μ_t)^((1+s)/s) − 1]."""
    x = mu / mu_t
    return n_t * x ** (1 / s), p_t + n_t * mu_t * s / (1 + s) * (x ** ((1 + s) / s) - 1)


def crossover_coefficients(
    mu_l: float,
    p_l: float,
    n_l: float,
    chi_l: float,
    mu_u: float,
    p_u: float,
    n_u: float,
    chi_u: float,
) -> Array:
    """C_0..C_5 of P_I(μ) = Σ C_k μ^k matching P, n = P', χ = dn/dμ = P'' at μ_L and μ_U."""
    k = np.arange(6)
    rows, rhs = [], []
    for mu, p, n, chi in ((mu_l, p_l, n_l, chi_l), (mu_u, p_u, n_u, chi_u)):
        rows += [mu**k, k * mu ** np.maximum(k - 1, 0), k * (k - 1) * mu ** np.maximum(k - 2, 0)]
        rhs += [p, n, chi]
    return np.linalg.solve(np.array(rows), np.array(rhs))


def _pdm_point(table: EOSTable, n_target: float) -> tuple[float, float, float, float, float]:
    """Exact PDM state where n_B = n_target: (μ, n, P, ε, dn/dμ) in public units."""
    if not table.n_B[0] <= n_target <= table.n_B[-1]:
        raise ValueError(f"n_transition: {n_target!r} fm^-3 outside the PDM table range")
    i = int(np.searchsorted(table.n_B, n_target))
    lo, hi = table.mu_B[max(i - 1, 0)], table.mu_B[min(i, table.mu_B.size - 1)]
    return _pdm_point_at(table.params, table.matter, float(n_target), float(lo), float(hi))


@lru_cache(maxsize=64)
def _pdm_point_at(
    params: PDMParams, matter: Matter, n_target: float, lo: float, hi: float
) -> tuple[float, float, float, float, float]:
    """``_pdm_point`` for μ_B bracketed in [lo, hi] (cached: CSS and crossover share it)."""
    from scipy.optimize import brentq

    def n_at(mu: float) -> float:
        return float(solve_mean_field(params, [mu], matter).n_baryon.sum() / HBARC3)

    mu = lo if hi == lo else brentq(lambda m: n_at(m) - n_target, lo, hi, xtol=1e-12)
    h = 1e-3
    st = solve_mean_field(params, [mu - h, mu, mu + h], matter)
    n = st.n_baryon.sum(0) / HBARC3
    return mu, n[1], st.pressure[1] / HBARC3, st.energy_density[1] / HBARC3, (n[2] - n[0]) / (2 * h)


def _checked_interpolation(
    c: Array, mu_l: float, mu_u: float, n_points: int
) -> tuple[Array, Array, Array]:
    """μ, n, P on (μ_L, μ_U] of P_I; ValueError if dn/dμ ≤ 0 or c_s² = n/(μ dn/dμ) > 1."""
    poly = np.polynomial.Polynomial(c)
    mu_i = np.linspace(mu_l, mu_u, n_points)[1:]
    n_i, chi_i = poly.deriv(1)(mu_i), poly.deriv(2)(mu_i)
    if np.any(chi_i <= 0) or np.any(n_i <= 0):
        bad = mu_i[np.argmin(chi_i)]
        raise ValueError(f"continuation: crossover has dn/dmu <= 0 near mu = {bad:.1f} MeV")
    cs2 = n_i / (mu_i * chi_i)
    if np.any(cs2 > 1):
        raise ValueError(
            f"continuation: crossover is acausal, max c_s^2 = {cs2.max():.3f} at "
            f"mu = {mu_i[np.argmax(cs2)]:.1f} MeV"
        )
    return mu_i, n_i, poly(mu_i)


_NJL_GRID = np.linspace(900.0, 3000.0, 211)  # μ_B [MeV]: unpaired NJL (closed-form integrals)
_CFL_GRID = np.linspace(1300.0, 3000.0, 25)  # μ_B [MeV]: CFL (diagonalisation per momentum)


def _njl_params(quark: QuarkNJL) -> njl.NJLParams:
    return njl.NJLParams(g_V_over_G=float(quark.g_V_over_G), H_over_G=float(quark.H_over_G))


@lru_cache(maxsize=16)
def njl_branch(quark: QuarkNJL) -> tuple[Array, Array, Array]:
    """μ_B, n_B, P of neutral NJL matter (CFL when H > 0) on its grid: the run from the first
    good point to the next that is unconverged, has dn/dμ ≤ 0 or c_s² > 1; cached per setting."""
    params = _njl_params(quark)
    if params.H > 0:
        st = njl.solve_cfl(_CFL_GRID, params)
    else:
        st = njl.solve_njl(_NJL_GRID, params)
    mu, n, p = st.mu_B, st.n_B, st.pressure
    chi = np.gradient(n, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = ~st.converged | (chi <= 0) | (n / (mu * chi) > 1)
    bad |= n <= 0  # the vacuum below the onset is not part of the quark side
    if bad.all():
        return mu[:0], n[:0], p[:0]
    start = int(np.argmin(bad))  # first good point (CFL may not form at the lowest μ)
    rest = bad[start:]
    end = start + (int(np.argmax(rest)) if rest.any() else rest.size)
    return mu[start:end], n[start:end], p[start:end]


def _njl_side(
    quark: QuarkNJL, n_u: float, n_max: float
) -> tuple[float, float, float, float, Array, Array, Array]:
    """(μ_U, n, P, χ) where NJL reaches n_U, and its μ, n, P above μ_U up to n_max."""
    from scipy.interpolate import PchipInterpolator

    mu, n, p = njl_branch(quark)
    label = f"(H/G = {quark.H_over_G:g}, g_V/G = {quark.g_V_over_G:g})"
    if n.size < 4 or n[-1] < n_u or n[0] > n_u:
        raise ValueError(
            f"continuation: NJL quark matter {label} does not reach n_U = {n_u:.3f} fm^-3 on a "
            f"causal, converged branch (its n_B spans {n[0] if n.size else 0:.3f}.."
            f"{n[-1] if n.size else 0:.3f})"
        )
    top = np.flatnonzero(n < n_u)[-1]  # the last point below n_U: the branch above is monotonic
    mu_u = float(PchipInterpolator(n[top:], mu[top:])(n_u))
    params = _njl_params(quark)
    solve = njl.solve_cfl if params.H > 0 else njl.solve_njl
    h = 0.25
    st = solve(np.array([mu_u - h, mu_u, mu_u + h]), params)
    if not st.converged.all():
        raise ValueError(f"continuation: NJL {label} did not converge at mu_U = {mu_u:.2f} MeV")
    chi_u = float((st.n_B[2] - st.n_B[0]) / (2 * h))
    above = (mu > mu_u + h) & (n <= max(n_max, n[top + 1]))
    return (
        mu_u,
        float(st.n_B[1]),  # = n_U up to the inversion's rounding; matched exactly
        float(st.pressure[1]),
        chi_u,
        mu[above],
        n[above],
        p[above],
    )


def continue_eos(
    table: EOSTable, continuation: CSS | Crossover, n_max: float = 2.0, n_points: int = 200
) -> dict[str, Array]:
    """PDM table below the matching density joined to a high-density continuation.

    Returns arrays mu_B [MeV], n_B [fm⁻³], energy_density, pressure [MeV fm⁻³]. Raises
    ValueError (naming the continuation) if dn/dμ ≤ 0 or c_s² > 1 anywhere in the crossover.
    """
    n0 = table.params.inputs.n0
    if isinstance(continuation, CSS):
        n_t = continuation.n_transition_n0 * n0
        mu_t, n_t, p_t, e_t, _ = _pdm_point(table, n_t)
        if n_max <= n_t:
            raise ValueError(f"n_max must be > the transition density {n_t:.4g}, got {n_max!r}")
        s = continuation.c_s2
        mu_hi = mu_t * (n_max / n_t) ** s
        mu = np.geomspace(mu_t, mu_hi, n_points)[1:]
        n, p = _css_branch(mu_t, n_t, p_t, s, mu)
    elif isinstance(continuation, Crossover):
        q = continuation.quark
        n_l, n_u = continuation.n_L_n0 * n0, continuation.n_U_n0 * n0
        mu_t, n_t, p_t, e_t, chi_l = _pdm_point(table, n_l)
        if isinstance(q, QuarkNJL):
            mu_u, n_u, p_u, chi_u, mu_q, n_q, p_q = _njl_side(q, n_u, n_max)
        else:
            mu_u, p_u, chi_u = q.mu_U, q.P_U, n_u / (q.c_s2 * q.mu_U)  # c_s² = n/(μ dn/dμ)
            mu_q = np.geomspace(mu_u, max(mu_u * (n_max / n_u) ** q.c_s2, mu_u * 1.01), 60)[1:]
            n_q, p_q = _css_branch(mu_u, n_u, p_u, q.c_s2, mu_q)
        if not mu_u > mu_t:
            raise ValueError(
                f"continuation: the quark side reaches n_U at mu_U = {mu_u:.2f} MeV, not above "
                f"mu_L = {mu_t:.2f} MeV"
            )
        c = crossover_coefficients(mu_t, p_t, n_t, chi_l, mu_u, p_u, n_u, chi_u)
        mu_i, n_i, p_i = _checked_interpolation(c, mu_t, mu_u, n_points)
        mu = np.r_[mu_i, mu_q]
        n, p = np.r_[n_i, n_q], np.r_[p_i, p_q]
    else:
        raise ValueError(f"continuation must be CSS or Crossover, got {continuation!r}")
    below = table.n_B < n_t
    return {
        "mu_B": np.r_[table.mu_B[below], mu_t, mu],
        "n_B": np.r_[table.n_B[below], n_t, n],
        "energy_density": np.r_[table.energy_density[below], e_t, mu * n - p],
        "pressure": np.r_[table.pressure[below], p_t, p],
    }


# --- one call from m0 to the unified EOS: fit, table, continuation, crust -------------------------
_N0 = PDMInputs().n0


def build_eos(
    m0: float,
    *,
    L0: float | None = 57.7,
    inputs: PDMInputs | None = None,
    crust: str | TabulatedEOS | None = "sly",
    n_match: float = 0.5 * _N0,
    continuation: CSS | Crossover | None = None,
    n_max: float = 1.6,
    n_points: int = 300,
) -> TabulatedEOS:
    """Unified EOS for m0 [MeV]: PDM core (β-equilibrium) glued to a crust at n_match [fm⁻³].

    L0: symmetry-energy slope for the ω–ρ mixing (None: no mixing). crust: "sly" (HP04 fit),
    a TabulatedEOS, or None (core only, P > 0 part). continuation: CSS or Crossover above
    2 n0 (default: pure PDM up to n_max [fm⁻³]).
    """
    inp = PDMInputs() if inputs is None else inputs
    params = fit_pdm(m0, inp, L0=L0)
    n_min = min(0.5 * n_match, 0.04) if crust is not None else 0.04
    if not 0 < n_match < n_max:
        raise ValueError(f"n_match must lie in (0, n_max = {n_max}) fm^-3, got {n_match!r}")
    pdm_top = n_max if continuation is None else min(n_max, 6 * inp.n0)
    table = _pdm_table_cached(params, pdm_top, n_points, n_min)
    if continuation is None:
        n, eps, p = table.n_B, table.energy_density, table.pressure
    else:
        ext = continue_eos(table, continuation, n_max=max(n_max, 2.0))
        n, eps, p = ext["n_B"], ext["energy_density"], ext["pressure"]
    keep = p > 0
    keep &= np.r_[True, np.diff(eps) > 0]  # coexisting states at a transition share P, not ε
    n, eps, p = n[keep], eps[keep], p[keep]
    broken = np.nonzero((np.diff(eps) <= 0) | (np.diff(p) < 0) | (np.diff(n) <= 0))[0]
    if broken.size:
        n_bad = float(n[broken[0]])
        raise ValueError(
            f"m0={m0:g}: the PDM mean-field solution loses the physical branch near n_B = "
            f"{n_bad:.2f} fm^-3 (chiral-restoration region); use n_max < {n_bad:.2f} or a "
            "continuation (CSS / Crossover) above 2 n0"
        )
    core = TabulatedEOS(eps, p, n)
    if crust is None:
        return core
    if isinstance(crust, str):
        if crust != "sly":
            raise ValueError(f"crust must be 'sly', a TabulatedEOS or None, got {crust!r}")
        crust = sly_crust()
    return glue_crust(core, n_match, crust)


@lru_cache(maxsize=32)
def _pdm_table_cached(params: PDMParams, n_max: float, n_points: int, n_min: float) -> EOSTable:
    """``pdm_eos_table`` once per setting in a process (continuations of one m0 share it)."""
    return pdm_eos_table(params, n_max=n_max, n_points=n_points, n_min=n_min)


def clear_caches() -> None:
    """Forget the in-process caches (PDM tables and points, NJL branches): for timing a build."""
    for cached in (_pdm_table_cached, _pdm_point_at, njl_branch):
        cached.cache_clear()


CONTINUATIONS = ("none", "css", "crossover", "njl")


def parse_continuation(name: str) -> CSS | Crossover | None:
    """A continuation by name: "none", "css", "crossover" (QuarkCSS side), "njl" (NJL side,
    default (H, g_V)/G) or "njl:<H/G>,<g_V/G>" such as "njl:1.5,1.3"; default options
    otherwise (H/G = 0: unpaired NJL)."""
    head, _, arg = name.partition(":")
    if head not in CONTINUATIONS or (arg and head != "njl"):
        raise ValueError(
            f"continuation must be one of {CONTINUATIONS} or 'njl:<H/G>,<g_V/G>', got {name!r}"
        )
    if head == "njl":
        try:
            h, g = (float(v) for v in arg.split(",")) if arg else (None, None)
            quark = QuarkNJL() if h is None else QuarkNJL(H_over_G=h, g_V_over_G=g)
        except (ValueError, TypeError) as err:
            raise ValueError(f"continuation {name!r}: {err}") from None
        return Crossover(quark=quark)
    return {"none": None, "css": CSS(), "crossover": Crossover()}[head]


def build_from_options(
    m0: float, *, L0: float = 57.7, n_match_n0: float = 0.5, continuation: str = "css"
) -> TabulatedEOS:
    """``build_eos`` from plain options (CLI, reproductions): crust matching density in units of
    n0, the high-density continuation by name (``parse_continuation``)."""
    cont = parse_continuation(continuation)
    if not 0 < n_match_n0 < 2:
        raise ValueError(f"n_match_n0 must lie in (0, 2) (units of n0), got {n_match_n0!r}")
    n0 = PDMInputs().n0
    return build_eos(m0, L0=L0, n_match=n_match_n0 * n0, continuation=cont)
