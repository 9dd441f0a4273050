"""Three-flavour NJL quark matter at T = 0: KMT term, vector repulsion, CFL pairing, neutrality.

The quark side of the crossover (docs/neutronstar.md §2.10). Parameters: Hatsuda & Kunihiro,
Phys. Rep. 247, 221 (1994): Λ = 631.4 MeV, GΛ² = 1.835, KΛ⁵ = 9.29, m_u = m_d = 5.5 MeV,
m_s = 135.7 MeV; the vector coupling g_V and the diquark coupling H in units of G.

Mean field (flavours i = u, d, s; σ_i = ⟨q̄_i q_i⟩ < 0; n_q = Σ_i n_i the quark density):

    M_i = m_i − 4Gσ_i + 2Kσ_jσ_k,          μ_fc = μ_B/3 − Q_f μ_e + μ_3 T_3 + μ_8 T_8 − 2 g_V n_q,
    Ω = Ω_q(M, Δ, μ_fc) + 2G Σσ_i² − 4Kσ_uσ_dσ_s + Σ_A Δ_A²/(4H) − g_V n_q² − P_lep − Ω_vac.

``solve_njl`` (H = 0): unpaired matter, Ω_q in closed form per flavour, unknowns (σ_i, n_q, μ_e)
with charge neutrality (colour neutrality is automatic). ``solve_cfl`` (H > 0): Ω_q from the
Nambu–Gorkov quasiparticle spectrum, 3 chiral + 3 diquark gap equations with charge and colour
neutrality on the CFL ansatz. Units: MeV powers inside; ``NJLState`` carries fm⁻³, MeV fm⁻³.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from paperzoo.neutronstar import pdm
from paperzoo.neutronstar.constants import HBARC3, M_ELECTRON, M_MUON

Array = NDArray[np.float64]

__all__ = ["HATSUDA_KUNIHIRO", "NJLParams", "NJLState", "solve_cfl", "solve_njl", "vacuum_masses"]

N_C = 3
CHARGES = np.array([2.0, -1.0, -1.0]) / 3.0  # Q_u, Q_d, Q_s
_LEPTONS = np.array([M_ELECTRON, M_MUON])


@dataclass(frozen=True)
class NJLParams:
    """NJL couplings (Hatsuda–Kunihiro defaults) and the vector coupling ratio g_V/G."""

    cutoff: float = 631.4  # Λ [MeV]
    G_cutoff2: float = 1.835  # GΛ²
    K_cutoff5: float = 9.29  # KΛ⁵
    m_ud: float = 5.5  # current u, d mass [MeV]
    m_s: float = 135.7  # current s mass [MeV]
    g_V_over_G: float = 1.0
    H_over_G: float = 0.0  # diquark coupling; 0: no pairing (``solve_njl``), > 0: ``solve_cfl``

    def __post_init__(self) -> None:
        for name in ("cutoff", "G_cutoff2", "K_cutoff5", "m_ud", "m_s", "g_V_over_G", "H_over_G"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a real number, got {value!r}")
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        if self.cutoff <= 0 or self.G_cutoff2 <= 0:
            raise ValueError("cutoff and G_cutoff2 must be > 0")
        for name in ("g_V_over_G", "H_over_G"):
            if getattr(self, name) > 3.0:
                raise ValueError(f"{name} must lie in [0, 3], got {getattr(self, name)!r}")

    @property
    def G(self) -> float:
        return self.G_cutoff2 / self.cutoff**2

    @property
    def K(self) -> float:
        return self.K_cutoff5 / self.cutoff**5

    @property
    def H(self) -> float:
        return self.H_over_G * self.G

    @property
    def g_V(self) -> float:
        return self.g_V_over_G * self.G

    @property
    def current_masses(self) -> Array:
        return np.array([self.m_ud, self.m_ud, self.m_s])


HATSUDA_KUNIHIRO = NJLParams()


# --- equations (docs/neutronstar.md §2.10) -------------------------------------------------------
def constituent_masses(sigma: Array, params: NJLParams) -> Array:
    """M_i = m_i − 4Gσ_i + 2Kσ_jσ_k for σ [3, ...] (KMT couples each flavour to the other two)."""
    su, sd, ss = sigma
    shape = (3,) + (1,) * (sigma.ndim - 1)
    kmt = np.stack([sd * ss, ss * su, su * sd])
    m = params.current_masses.reshape(shape)
    return m - 4.0 * params.G * sigma + 2.0 * params.K * kmt


def _cutoff_integrals(mass: Array, cutoff: float) -> tuple[Array, Array]:
    """∫_0^Λ p² E dp and ∫_0^Λ p²/E dp, E = √(p² + M²)."""
    e = np.hypot(cutoff, mass)
    ash = np.arcsinh(cutoff / mass)
    e_int = (cutoff * (2 * cutoff**2 + mass**2) * e - mass**4 * ash) / 8.0
    s_int = (cutoff * e - mass**2 * ash) / 2.0
    return e_int, s_int


def flavour_terms(mass: Array, mu_eff: Array, cutoff: float) -> tuple[Array, Array, Array]:
    """Ω_i, ∂Ω_i/∂M_i (= σ_i on shell) and n_i of one flavour with N_c colours, 2 spins."""
    k = np.minimum(pdm.fermi_momentum(mu_eff, mass), cutoff)
    e_int, s_int = _cutoff_integrals(mass, cutoff)
    omega = -N_C / np.pi**2 * e_int - N_C * pdm.fermi_pressure(k, mass)
    dmass = -N_C / np.pi**2 * mass * s_int + N_C * pdm.fermi_scalar_density(k, mass)
    return omega, dmass, N_C * pdm.fermi_density(k)


def _leptons(mu_e: Array) -> tuple[Array, Array]:
    """n and P of free e and μ at μ_μ = μ_e, summed over the two."""
    m = _LEPTONS.reshape(2, *([1] * mu_e.ndim))
    k = pdm.fermi_momentum(mu_e, m)
    return pdm.fermi_density(k).sum(0), pdm.fermi_pressure(k, m).sum(0)


def _evaluate(x: Array, mu_b: Array, params: NJLParams) -> tuple[Array, Array, Array, Array]:
    """Residuals [5, N], pressure (without the vacuum constant) [N], masses [3, N], n_i [3, N].

    x = (σ_u, σ_d, σ_s, n_q, μ_e); residuals scaled by Λ³.
    """
    sigma, n_q, mu_e = x[:3], x[3], x[4]
    mass = np.maximum(constituent_masses(sigma, params), 1e-3)
    mu_eff = mu_b / 3.0 - CHARGES[:, None] * mu_e - 2.0 * params.g_V * n_q
    omega, dmass, n_i = flavour_terms(mass, mu_eff, params.cutoff)
    n_lep, p_lep = _leptons(mu_e)
    lam3 = params.cutoff**3
    res = np.concatenate(
        [
            (sigma - dmass) / lam3,
            ((n_q - n_i.sum(0)) / lam3)[None],
            (((CHARGES[:, None] * n_i).sum(0) - n_lep) / lam3)[None],
        ]
    )
    su, sd, ss = sigma
    pressure = (
        -omega.sum(0)
        - 2.0 * params.G * (sigma**2).sum(0)
        + 4.0 * params.K * su * sd * ss
        + params.g_V * n_q**2
        + p_lep
    )
    return res, pressure, mass, n_i


def _newton(
    evaluate: Callable[[Array, Array], Array],
    x: Array,
    mu_b: Array,
    scale: Array,
    clip: Callable[[Array, Array], None],
    iters: int = 60,
) -> tuple[Array, Array]:
    """Damped Newton with a finite-difference Jacobian, vectorised over columns x [U, N].

    ``evaluate(x, μ_B)`` gives the scaled residuals [U, N]; ``scale`` [U] the step scale of each
    unknown; ``clip(x, μ_B)`` keeps trial points in range (in place). Converged columns drop out.
    Returns x and converged [N].
    """
    n_u = x.shape[0]
    x = x.copy()
    cols = np.arange(mu_b.size)
    for _ in range(iters):
        xa, mua = x[:, cols], mu_b[cols]
        r = evaluate(xa, mua)
        todo = np.abs(r).max(0) >= _TOL
        cols, xa, mua, r = cols[todo], xa[:, todo], mua[todo], r[:, todo]
        if not cols.size:
            break
        jac = np.empty((cols.size, n_u, n_u))
        for j in range(n_u):  # one column of the Jacobian per unknown, all μ at once
            step = 1e-7 * scale[j]
            xp = xa.copy()
            xp[j] += step
            jac[:, :, j] = ((evaluate(xp, mua) - r) / step).T
        with np.errstate(all="ignore"):
            dx = -np.linalg.solve(jac + _REG * np.eye(n_u), r.T[..., None])[..., 0].T
        dx = np.where(np.isfinite(dx), dx, 0.0)
        norm = (r**2).sum(0)
        alpha = np.ones(cols.size)
        pending = np.ones(cols.size, dtype=bool)
        for _ in range(12):
            trial = xa[:, pending] + alpha[pending] * dx[:, pending]
            clip(trial, mua[pending])
            r_try = evaluate(trial, mua[pending])
            ok = (r_try**2).sum(0) < norm[pending] * (1 - 1e-4 * alpha[pending])
            where = np.flatnonzero(pending)
            xa[:, where[ok]] = trial[:, ok]
            pending[where[ok]] = False
            if not pending.any():
                break
            alpha[pending] *= 0.5
        x[:, cols] = xa
        cols = cols[~pending]  # a stalled line search ends that column
    return x, np.abs(evaluate(x, mu_b)).max(0) < 1e-9


_TOL = 1e-12
_REG = 1e-13  # keeps the Jacobian regular where an unknown decouples (μ_e, n_q in vacuum)


def _clip_normal(x: Array, mu_b: Array) -> None:
    x[3] = np.maximum(x[3], 0.0)
    x[4] = np.clip(x[4], 0.0, mu_b / 3.0)


def vacuum_condensates(params: NJLParams) -> Array:
    """σ_i [3] of the vacuum (μ = 0)."""

    def evaluate(x: Array, mu: Array) -> Array:
        return _evaluate(np.concatenate([x, np.zeros((2, x.shape[1]))]), mu, params)[0][:3]

    x0 = -np.array([[250.0**3], [250.0**3], [260.0**3]])
    x, ok = _newton(evaluate, x0, np.zeros(1), np.full(3, params.cutoff**3), lambda x, m: None)
    if not ok[0]:
        raise ValueError("params: the NJL vacuum gap equations did not converge")
    return x[:, 0]


def vacuum_masses(params: NJLParams = HATSUDA_KUNIHIRO) -> Array:
    """Vacuum constituent masses M_u, M_d, M_s [MeV]."""
    return constituent_masses(vacuum_condensates(params)[:, None], params)[:, 0]


@dataclass(frozen=True)
class NJLState:
    """Neutral NJL quark matter on a μ_B grid [N] (μ in MeV, n in fm⁻³, P and ε in MeV fm⁻³)."""

    mu_B: Array
    mu_e: Array
    masses: Array  # [3, N] M_u, M_d, M_s [MeV]
    gaps: Array  # [3, N] Δ_1 (ds), Δ_2 (us), Δ_3 (ud) [MeV]; zero without pairing
    n_flavour: Array  # [3, N] n_u, n_d, n_s [fm⁻³]
    n_B: Array
    pressure: Array  # vacuum-subtracted, leptons included
    energy_density: Array  # μ_B n_B − P (neutral: Σ μ_i n_i = μ_B n_B)
    converged: Array  # [N] bool


def _best_branch(
    evaluate: Callable[[Array, Array], Array],
    pressure: Callable[[Array, Array], Array],
    starts: list[Array],
    mu: Array,
    scale: Array,
    clip: Callable[[Array, Array], None],
    sweeps: int = 6,
) -> Array:
    """Multi-start Newton, the largest-pressure converged solution per μ, then up to ``sweeps``
    continuation sweeps warm-starting each point from its neighbours (vectorised), until
    nothing improves (a point that failed to converge takes a converged neighbour's branch)."""
    n, k = mu.size, len(starts)
    x_all, ok = _newton(evaluate, np.concatenate(starts, axis=1), np.tile(mu, k), scale, clip)
    p_all = np.where(ok, pressure(x_all, np.tile(mu, k)), -np.inf).reshape(k, n)
    best = np.argmax(p_all, axis=0)
    x = x_all.reshape(-1, k, n)[:, best, np.arange(n)]
    p = p_all[best, np.arange(n)]
    for _ in range(sweeps):
        # with one start only failed points are retried; with several, every point
        redo = np.flatnonzero(~np.isfinite(p) if k == 1 else np.ones(n, dtype=bool))
        if not redo.size:
            break
        left, right = np.maximum(redo - 1, 0), np.minimum(redo + 1, n - 1)
        guess = np.concatenate([x[:, left], x[:, right]], axis=1)
        mus = np.tile(mu[redo], 2)
        xs, oks = _newton(evaluate, guess, mus, scale, clip)
        ps = np.where(oks, pressure(xs, mus), -np.inf).reshape(2, redo.size)
        j = np.argmax(ps, axis=0)
        cand = ps[j, np.arange(redo.size)]
        old = p[redo]
        floor = np.where(np.isfinite(old), old, -np.inf)
        floor = floor + 1e-9 * np.abs(np.where(np.isfinite(old), old, 0.0))
        better = np.isfinite(cand) & (cand > floor)
        if not better.any():
            break
        pick = xs.reshape(-1, 2, redo.size)[:, j, np.arange(redo.size)]
        x[:, redo[better]] = pick[:, better]
        p[redo[better]] = cand[better]
    return x


def _check_mu(mu_B: ArrayLike) -> Array:
    mu = np.asarray(mu_B, dtype=float)
    if mu.ndim != 1 or mu.size == 0 or not np.all(np.isfinite(mu)) or np.any(mu <= 0):
        raise ValueError("mu_B: must be a non-empty 1-D array of finite values > 0 MeV")
    if np.any(np.diff(mu) <= 0):
        raise ValueError("mu_B: must be strictly increasing")
    return mu


def _normal_starts(mu: Array, sv: Array, params: NJLParams) -> list[Array]:
    """Chirally broken, u/d-restored and fully restored starting points [5, N] each."""
    mu_q = mu / 3.0
    n_free = N_C * mu_q**3 / np.pi**2 / (1 + 6 * params.g_V * mu_q**2 / np.pi**2)
    one = np.ones_like(mu)
    return [
        np.stack(
            [fu * sv[0] * one, fu * sv[1] * one, fs * sv[2] * one, n_free * (fu < 1), 0.02 * mu]
        )
        for fu, fs in ((1.0, 1.0), (0.02, 1.0), (0.02, 0.1))
    ]


def solve_njl(mu_B: ArrayLike, params: NJLParams = HATSUDA_KUNIHIRO) -> NJLState:
    """Neutral unpaired NJL matter at μ_B [MeV] (sorted ascending), all points at once.

    Unknowns (σ_u, σ_d, σ_s, n_q, μ_e): three starts per point, Newton each, the converged
    solution of largest pressure wins, then continuation sweeps (``_best_branch``).
    """
    mu = _check_mu(mu_B)
    sv = vacuum_condensates(params)
    p_vac = _evaluate(np.r_[sv, 0.0, 0.0][:, None], np.zeros(1), params)[1][0]
    scale = np.array([params.cutoff**3] * 4 + [params.cutoff])

    def evaluate(x: Array, m: Array) -> Array:
        return _evaluate(x, m, params)[0]

    def pressure(x: Array, m: Array) -> Array:
        return _evaluate(x, m, params)[1]

    x = _best_branch(evaluate, pressure, _normal_starts(mu, sv, params), mu, scale, _clip_normal)
    res, p, mass, n_i = _evaluate(x, mu, params)
    return _state(mu, x[4], mass, np.zeros((3, mu.size)), n_i, p - p_vac, res)


def _state(
    mu: Array, mu_e: Array, mass: Array, gaps: Array, n_i: Array, p: Array, res: Array
) -> NJLState:
    pressure = p / HBARC3
    n_b = n_i.sum(0) / 3.0 / HBARC3
    return NJLState(
        mu_B=mu,
        mu_e=mu_e,
        masses=mass,
        gaps=gaps,
        n_flavour=n_i / HBARC3,
        n_B=n_b,
        pressure=pressure,
        energy_density=mu * n_b - pressure,
        converged=np.isfinite(p) & (np.abs(res).max(0) < 1e-9),
    )


# --- CFL pairing (docs/neutronstar.md §2.10): Nambu–Gorkov quasiparticles, numerically ----------
# Colour-flavour states k = (flavour f, colour c), index 3f + c. The pairing Σ_A Δ_A τ_A λ_A
# (A = 7, 5, 2 for Δ_1 = ds, Δ_2 = us, Δ_3 = ud) couples {ur, dg, sb} and the pairs {ug, dr},
# {ub, sr}, {db, sg}: one 12- and three 8-dimensional blocks per spin sector (p along z, in each
# spin sector Dirac → 2 components: α_z → τ_x, β → τ_z, γ⁰γ5 → iτ_y).
_BLOCKS = ((0, 4, 8), (1, 3), (2, 6), (5, 7))
_PAIRS = {(0, 4): 2, (0, 8): 1, (4, 8): 0, (1, 3): 2, (2, 6): 1, (5, 7): 0}  # k, k' -> gap index
_T3 = np.array([0.5, -0.5, 0.0])
_T8 = np.array([1.0, 1.0, -2.0]) / (2.0 * np.sqrt(3.0))
_N_THETA = 11  # θ = (M_u, M_d, M_s, Δ_1, Δ_2, Δ_3, μ_u, μ_d, μ_s, μ_3, μ_8)


def _block_matrices(states: tuple[int, ...]) -> tuple[Array, Array]:
    """Momentum matrix [d, d] and the 11 coupling matrices [11, d, d] of one CF block.

    Basis (NG a ∈ {particle, hole}, Dirac component s ∈ {0, 1}, state k), d = 4·len(states);
    H = p·P + Σ_a θ_a D_a, with particle block τ_x p + τ_z M_k − μ_k, hole block
    τ_x p + τ_z M_k + μ_k and pairing −iτ_y Δ̂ (real symmetric H).
    """
    nk = len(states)
    d = 4 * nk
    idx = {(a, s, j): (a * 2 + s) * nk + j for a in range(2) for s in range(2) for j in range(nk)}
    mom = np.zeros((d, d))
    coup = np.zeros((_N_THETA, d, d))
    for a in range(2):
        for j, k in enumerate(states):
            f, c = divmod(k, 3)
            i0, i1 = idx[a, 0, j], idx[a, 1, j]
            mom[i0, i1] = mom[i1, i0] = 1.0  # τ_x p
            coup[f, i0, i0], coup[f, i1, i1] = 1.0, -1.0  # τ_z M_f
            sign = -1.0 if a == 0 else 1.0  # −μ for particles, +μ for holes
            for s in range(2):
                i = idx[a, s, j]
                coup[6 + f, i, i] = sign
                coup[9, i, i] = sign * _T3[c]
                coup[10, i, i] = sign * _T8[c]
    for (k1, k2), gap in _PAIRS.items():
        if k1 in states and k2 in states:
            j1, j2 = states.index(k1), states.index(k2)
            for jx, jy in ((j1, j2), (j2, j1)):  # −Δ element of τ_A λ_A: symmetric in (k, k')
                # −iτ_y = [[0, −1], [1, 0]] on the Dirac pair, particle row, hole column
                for (s1, s2), v in (((0, 1), -1.0), ((1, 0), 1.0)):
                    r, col = idx[0, s1, jx], idx[1, s2, jy]
                    coup[3 + gap, r, col] += -v
                    coup[3 + gap, col, r] += -v
    return mom, coup


_CFL_BLOCKS = [_block_matrices(b) for b in _BLOCKS]
_P_NODES, _P_WEIGHTS = np.polynomial.legendre.leggauss(48)


def _cfl_sum(theta: Array, cutoff: float, symmetric: bool = False) -> tuple[Array, Array]:
    """Ω_q = −(1/4π²) ∫_0^Λ p² Σ|λ_j| dp over one spin sector (×2 spins folded in) and its
    gradient ∂Ω_q/∂θ [11, N] by Hellmann–Feynman, for θ [11, N].

    symmetric: θ has M_u = M_d, Δ_1 = Δ_2, μ_u = μ_d, μ_3 = 0, so the {db, sg} block is the
    mirror of {ub, sr} (u ↔ d, r ↔ g) and is not diagonalised again.
    """
    p = 0.5 * cutoff * (_P_NODES + 1.0)
    w = 0.5 * cutoff * _P_WEIGHTS * p**2 / (4 * np.pi**2)
    omega = np.zeros(theta.shape[1])
    grad = np.zeros_like(theta)
    for b, (mom, coup) in enumerate(_CFL_BLOCKS):
        if symmetric and _BLOCKS[b] == _MIRRORED:
            continue
        base = np.einsum("an,aij->nij", theta, coup)  # [N, d, d]
        lam, vec = np.linalg.eigh(base[:, None] + p[None, :, None, None] * mom)  # [N, P, d(, d)]
        # Hellmann–Feynman: ∂Σ|λ|/∂θ_a = tr(sign(H) D_a), sign(H) = V sign(Λ) Vᵀ, p-integrated
        sw = (np.sign(lam) * w[None, :, None])[..., None, :]
        f = ((vec * sw) @ vec.swapaxes(-1, -2)).sum(1)
        o, g = -np.abs(lam).sum(-1) @ w, -np.einsum("nij,aij->an", f, coup)
        omega += o
        grad += g
        if symmetric and _BLOCKS[b] == _MIRROR_OF:
            omega += o
            grad += g[_MIRROR] * _MIRROR_SIGN[:, None]
    return omega, grad


_MIRROR_OF, _MIRRORED = (2, 6), (5, 7)  # {ub, sr} -> {db, sg} under u ↔ d, r ↔ g
_MIRROR = np.array([1, 0, 2, 4, 3, 5, 7, 6, 8, 9, 10])  # θ index of each mirrored coupling
_MIRROR_SIGN = np.array([1.0] * 9 + [-1.0, 1.0])  # μ_3 (T_3 odd under r ↔ g) flips


def _evaluate_cfl(
    x: Array, mu_b: Array, params: NJLParams, symmetric: bool = False
) -> tuple[Array, Array, Array, Array]:
    """Residuals [10, N], pressure [N], masses [3, N] and n_f [3, N] of the paired system.

    x = (σ_u, σ_d, σ_s, Δ_1, Δ_2, Δ_3, n_q, μ_e, μ_3, μ_8); conditions: σ_i = ∂Ω_q/∂M_i,
    ∂Ω/∂Δ_A = ∂Ω_q/∂Δ_A + Δ_A/(2H) = 0, n_q = Σ_f n_f, charge, n_3 = n_8 = 0.
    """
    sigma, gaps, n_q, mu_e, mu_3, mu_8 = x[:3], x[3:6], x[6], x[7], x[8], x[9]
    mass = np.maximum(constituent_masses(sigma, params), 1e-3)
    mu_f = mu_b / 3.0 - CHARGES[:, None] * mu_e - 2.0 * params.g_V * n_q
    theta = np.concatenate([mass, gaps, mu_f, mu_3[None], mu_8[None]])
    omega_q, grad = _cfl_sum(theta, params.cutoff, symmetric)
    n_f = -grad[6:9]
    n_lep, p_lep = _leptons(mu_e)
    h = params.H
    lam3 = params.cutoff**3
    res = (
        np.concatenate(
            [
                sigma - grad[:3],
                grad[3:6] + gaps / (2 * h),
                (n_q - n_f.sum(0))[None],
                ((CHARGES[:, None] * n_f).sum(0) - n_lep)[None],
                -grad[9:11],
            ]
        )
        / lam3
    )
    su, sd, ss = sigma
    pressure = (
        -omega_q
        - 2.0 * params.G * (sigma**2).sum(0)
        + 4.0 * params.K * su * sd * ss
        - (gaps**2).sum(0) / (4 * h)
        + params.g_V * n_q**2
        + p_lep
    )
    return res, pressure, mass, n_f


def _cfl_full(y: Array) -> Array:
    """(σ_ud, σ_s, Δ_1 = Δ_2, Δ_3, n_q, μ_8) [6, N] -> the 10 unknowns, μ_e = μ_3 = 0."""
    zero = np.zeros_like(y[0])
    return np.stack([y[0], y[0], y[1], y[2], y[2], y[3], y[4], zero, zero, y[5]])


_CFL_EQUATIONS = [0, 2, 3, 5, 6, 9]  # σ_u, σ_s, Δ_1, Δ_3, n_q and n_8 conditions
_CFL_IMPLIED = [1, 4, 7, 8]  # σ_d, Δ_2, charge, n_3: hold by the u↔d (with r↔g) symmetry


def _clip_cfl(y: Array, mu_b: Array) -> None:
    y[2:4] = np.maximum(y[2:4], 1.0)
    y[4] = np.maximum(y[4], 0.0)


def solve_cfl(mu_B: ArrayLike, params: NJLParams) -> NJLState:
    """Neutral CFL quark matter (H > 0) at μ_B [MeV], all points at once.

    The 3 chiral + 3 diquark gap equations, the vector self-consistency and electric and colour
    neutrality, solved on the CFL ansatz M_u = M_d, Δ_1 = Δ_2, μ_e = μ_3 = 0 (CFL is an
    insulator: n_u = n_d = n_s without electrons); the conditions that ansatz implies are
    checked (``converged`` requires them too). Start: Δ = 200 MeV, M_ud = 50, M_s = 300 MeV;
    Newton per point, then continuation sweeps from the neighbours (``_best_branch``).
    Momentum integral: 48-point Gauss–Legendre on [0, Λ] (the vacuum too).
    """
    if params.H <= 0:
        raise ValueError("params: H_over_G must be > 0 for CFL pairing (use solve_njl)")
    mu = _check_mu(mu_B)
    sv = vacuum_condensates(params)
    lam3 = params.cutoff**3
    scale = np.array([lam3, lam3, params.cutoff, params.cutoff, lam3, params.cutoff])
    masses = np.array([[50.0], [50.0], [300.0]]) + 0 * mu
    sigma = _sigma_from_masses(masses, sv, params)
    n_q = N_C * (mu / 3.0) ** 3 / np.pi**2 / (1 + 6 * params.g_V * (mu / 3.0) ** 2 / np.pi**2)
    start = np.stack([sigma[0], sigma[2], 200.0 + 0 * mu, 200.0 + 0 * mu, n_q, 0 * mu])

    def evaluate(y: Array, m: Array) -> Array:
        return _evaluate_cfl(_cfl_full(y), m, params, symmetric=True)[0][_CFL_EQUATIONS]

    def pressure(y: Array, m: Array) -> Array:
        return _evaluate_cfl(_cfl_full(y), m, params, symmetric=True)[1]

    y = _best_branch(evaluate, pressure, [start], mu, scale, _clip_cfl, sweeps=3)
    vac = np.concatenate([sv, np.zeros(7)])[:, None]
    p_vac = _evaluate_cfl(vac, np.zeros(1), params)[1][0]
    x = _cfl_full(y)
    res, p, mass, n_f = _evaluate_cfl(x, mu, params)
    return _state(mu, x[7], mass, x[3:6], n_f, p - p_vac, res)


def _sigma_from_masses(mass: Array, sv: Array, params: NJLParams) -> Array:
    """σ_i [3, N] giving the constituent masses M_i (Newton on the linear-plus-KMT map)."""
    sigma = np.repeat(sv[:, None], mass.shape[1], axis=1)
    for _ in range(30):
        r = constituent_masses(sigma, params) - mass
        su, sd, ss = sigma
        g4, k2 = -4.0 * params.G, 2.0 * params.K
        jac = np.array(
            [
                [g4 + 0 * su, k2 * ss, k2 * sd],
                [k2 * ss, g4 + 0 * su, k2 * su],
                [k2 * sd, k2 * su, g4 + 0 * su],
            ]
        )  # [3, 3, N]
        sigma = sigma - np.linalg.solve(np.moveaxis(jac, -1, 0), r.T[..., None])[..., 0].T
    return sigma
