"""The three channels and their four-body evaluation: amplitudes on the (m_ππ, m_KK̄) grid, the
interference matrices and the observables (docs/pqcd.md §2.4, §2.9).

Rate (our normalisation, §2.4):
d⁵Γ/(dω1 dω2 dcosθ1 dcosθ2 dφ) = (9/8π) · k(ω1, ω2)/(8π m_B²) · |Σ_k A_k(ω1, ω2) g_k(Ω)|²,
A_k = (G_F/√2) Σ_j λ_j c_j H_k(ω1, ω2) L_ππ(ω1) L_KK(ω2), so that Γ → Γ(B → V1V2) B(V1) B(V2)
as the widths vanish.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from paperzoo.pqcd import lineshapes as ls
from paperzoo.pqcd.angular import (
    Observables,
    combine,
    cp_conjugate,
    interference_matrix,
    observables,
)
from paperzoo.pqcd.ckm import ckm_matrix, weak_factors
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.das import check_gegenbauer
from paperzoo.pqcd.data import Inputs, load_inputs
from paperzoo.pqcd.factorization import effective_coefficients, form_factors, helicity_amplitudes
from paperzoo.pqcd.kinematics import pair_momentum, peaked_gauss_legendre
from paperzoo.pqcd.kt import (
    BV_SETS,
    SCALAR_SETS,
    bs_form_factor_basis,
    bv_form_factors,
    scalar_weights,
)
from paperzoo.pqcd.nonfact import (
    EMITTED,
    nonfactorisable_amplitudes,
    scalar_nonfactorisable_basis,
)

__all__ = [
    "CHANNELS",
    "STAGE",
    "Channel",
    "ChannelResult",
    "Grid",
    "SWave",
    "ScalarEmission",
    "amplitude_grid",
    "channel",
    "check_inputs",
    "point_amplitudes",
    "swave_coefficients",
    "evaluate",
    "interference_matrices",
    "factorisable_coefficients",
    "lcsr_transverse_unit",
    "longitudinal_scale",
    "nonfact_longitudinal",
    "transverse_scales",
    "two_body_rate",
    "window_fraction",
]


#: the stage of the dynamics the claims' amplitudes come from (docs/pqcd.md §4): B3 is partial
#: (kT A_0, A_1, V and the LO non-factorisable emission in all three P-wave helicities; the
#: f0(980) S-wave with the vector meson emitted in kT factorisation, §2.19, the f0 emitted by
#: O_6, O_8 in naive factorisation, §2.18)
STAGE = "B3"


@dataclass(frozen=True)
class SWave:
    """One f0(980) S-wave term (§2.16, Q21; §2.19): a vector meson emitted, the f0 the recoil."""

    wave: int  # 3 (VS: ππ from the ρ, K⁺K⁻ from the f0) or 4 (SV: π⁺π⁻ from the f0, φ)
    emitted: str  # rho or phi: the emitted vector meson (decay constant, pair mass)
    content: str  # "ss" (cos θ), "dd" or "uu" (sin θ/√2): the f0 component with the spectator
    flavour: float  # isospin factor of the emitted meson (1/√2 for a ρ0)
    tree: str  # expression of the λ_u coefficient
    penguin: str  # expression of the λ_t coefficient
    nf_tree: str = "0"  # non-factorisable (M̂_S^LL, M̂_S^LR) coefficients of λ_u (§2.19)
    nf_penguin: str = "0"  # the same for λ_t


@dataclass(frozen=True)
class ScalarEmission:
    """An f0(980) S-wave term with the f0 emitted through the scalar density of the (S − P)(S + P)
    penguins O_6, O_8 and the channel's vector meson the recoil (§2.18, Q23)."""

    wave: int  # 4 (SV: the f0 → π⁺π⁻ emitted, φ recoils) or 3 (VS: ρ recoils, f0 → K⁺K⁻)
    flavour: float  # isospin factor of the recoil (−1/√2 for the ρ0's dd̄)


@dataclass(frozen=True)
class Channel:
    """One decay B̄ → ρ φ: parent, b → q, which meson is emitted, form factors, couplings."""

    name: str
    label: str
    parent: str  # Bs, B0, Bp: picks m_<parent>, tau_<parent>
    q: str  # b → q
    emitted: str  # rho or phi: the meson made from the current (decay constant)
    form_factors: str  # B → V set of the recoil meson
    flavour: float  # isospin factor of the ρ (1/√2 for a ρ0)
    pi_masses: tuple[str, str]  # input names of the two pion masses
    tree: str  # expression of the tree coefficient (λ_u)
    penguin: str  # expression of the penguin coefficient (λ_t)
    nf_tree: str = "0"  # non-factorisable coefficients of (M̂^LL, M̂^LR) for λ_u (§2.15)
    nf_penguin: str = "0"  # the same for λ_t
    swaves: tuple[SWave, ...] = ()  # the f0(980) S-wave terms (§2.16)
    scalar: ScalarEmission | None = None  # the f0 emitted by O_6, O_8 (§2.18)

    def coefficients(self, a: Mapping[str, float]) -> tuple[float, float]:
        """(c_u, c_t): coefficients of λ_u and λ_t (§2.9)."""
        return _COEFF[self.tree](a), _COEFF[self.penguin](a)


_COEFF = {
    "0": lambda a: 0.0,
    "a2": lambda a: a["a2"],
    "-3/2(a7+a9)": lambda a: -1.5 * (a["a7"] + a["a9"]),
    "-(a3+a5-(a7+a9)/2)": lambda a: -(a["a3"] + a["a5"] - 0.5 * (a["a7"] + a["a9"])),
    "-(a3+a4+a5-(a7+a9+a10)/2)": lambda a: (
        -(a["a3"] + a["a4"] + a["a5"] - 0.5 * (a["a7"] + a["a9"] + a["a10"]))
    ),
    "a1": lambda a: a["a1"],
    "a4-3/2(a7+a9)-a10/2": lambda a: a["a4"] - 1.5 * (a["a7"] + a["a9"]) - 0.5 * a["a10"],
    "-(a4+a10)": lambda a: -(a["a4"] + a["a10"]),
}

#: non-factorisable emission (Q19): the colour-crossed operator of each a_i = C_i + C_j/N_c
_NF_COEFF = {
    "0": lambda c: (0.0, 0.0),
    "C2": lambda c: (c[2], 0.0),
    "-3/2(C10,C8)": lambda c: (-1.5 * c[10], -1.5 * c[8]),
    "-(C4-C10/2,C6-C8/2)": lambda c: (-(c[4] - 0.5 * c[10]), -(c[6] - 0.5 * c[8])),
    "-(C3+C4-(C9+C10)/2,C6-C8/2)": lambda c: (
        -(c[3] + c[4] - 0.5 * (c[9] + c[10])),
        -(c[6] - 0.5 * c[8]),
    ),
    "C1": lambda c: (c[1], 0.0),
    "-(-C3+3/2C10+C9/2,3/2C8)": lambda c: (-(-c[3] + 1.5 * c[10] + 0.5 * c[9]), -1.5 * c[8]),
    "-(C3+C9)": lambda c: (-(c[3] + c[9]), 0.0),
}

_SQRT_HALF = 1 / math.sqrt(2)
#: S-wave terms with a vector meson emitted and the f0 recoiling (Q21; kT at B3, Q24, Q25):
#: B̄s → ρ0 f0 (ρ0 emitted, the f0's ss̄ recoils: the ρ0φ couplings) and B̄s → φ f0 (φ from
#: b → s ss̄, both pairings); B̄0 → φ f0 (the f0's dd̄ recoils) and B̄0 → ρ0 f0 (ρ0 emitted from
#: b → d uū, dd̄ with the colour-suppressed tree, the f0's dd̄ recoils); B− → ρ− f0 (ρ− emitted,
#: colour-allowed tree, the f0's uū recoils). The f0 emitted by O_6, O_8 is ``ScalarEmission``
_BS_SWAVES = (
    SWave(3, "rho", "ss", _SQRT_HALF, "a2", "-3/2(a7+a9)", "C2", "-3/2(C10,C8)"),
    SWave(4, "phi", "ss", 1.0, "0", "-(a3+a4+a5-(a7+a9+a10)/2)", "0",
          "-(C3+C4-(C9+C10)/2,C6-C8/2)"),
)  # fmt: skip
_B0_SWAVES = (
    SWave(4, "phi", "dd", 1.0, "0", "-(a3+a5-(a7+a9)/2)", "0", "-(C4-C10/2,C6-C8/2)"),
    SWave(3, "rho", "dd", _SQRT_HALF, "a2", "a4-3/2(a7+a9)-a10/2", "C2",
          "-(-C3+3/2C10+C9/2,3/2C8)"),
)  # fmt: skip
_BM_SWAVES = (SWave(3, "rho", "uu", 1.0, "a1", "-(a4+a10)", "C1", "-(C3+C9)"),)
CHANNELS = {
    c.name: c
    for c in (
        Channel("Bs_rho0phi", "B̄s → ρ0 φ", "Bs", "s", "rho", "Bs_phi", _SQRT_HALF,
                ("m_pi", "m_pi"), "a2", "-3/2(a7+a9)", "C2", "-3/2(C10,C8)", _BS_SWAVES,
                ScalarEmission(4, 1.0)),
        Channel("B0_rho0phi", "B̄0 → ρ0 φ", "B0", "d", "phi", "B_rho", -_SQRT_HALF,
                ("m_pi", "m_pi"), "0", "-(a3+a5-(a7+a9)/2)", "0", "-(C4-C10/2,C6-C8/2)",
                _B0_SWAVES, ScalarEmission(3, -_SQRT_HALF)),
        Channel("Bm_rhomphi", "B− → ρ− φ", "Bp", "d", "phi", "B_rho", 1.0,
                ("m_pi", "m_pi0"), "0", "-(a3+a5-(a7+a9)/2)", "0",
                "-(C4-C10/2,C6-C8/2)", _BM_SWAVES, ScalarEmission(3, 1.0)),
    )
}  # fmt: skip


def channel(name: str) -> Channel:
    """The channel called ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in CHANNELS:
        raise ValueError(f"unknown channel {name!r}; known: {', '.join(CHANNELS)}")
    return CHANNELS[name]


@dataclass(frozen=True)
class Grid:
    """Quadrature grid and amplitudes: ``terms`` [2, N, 6] (λ_u, λ_t parts), ``weak`` [2]."""

    w1: np.ndarray  # [N] m_ππ
    w2: np.ndarray  # [N] m_KK̄
    weights: np.ndarray  # [N] GL weights × k(ω1, ω2)/(8π m_B²)
    terms: np.ndarray
    weak: np.ndarray


def _masses(ch: Channel, inp: Mapping[str, float]) -> dict[str, float]:
    return {
        "m_B": inp[f"m_{ch.parent}"],
        "m_a": inp[ch.pi_masses[0]],
        "m_b": inp[ch.pi_masses[1]],
        "m_K": inp["m_K"],
    }


def check_inputs(inp: Mapping[str, float]) -> None:
    """``ValueError`` naming the first unphysical model input (widths, couplings, moments)."""
    for name in ("w_rho", "w_phi", "m_rho", "m_phi", "f_rho", "f_phi", "f0_g_pipi", "r_BW"):
        if not (math.isfinite(inp[name]) and inp[name] > 0):
            raise ValueError(f"input {name} must be finite and > 0, got {inp[name]}")
    for name in ("f0_mass", "f0_g_KK_ratio", "f0_F1_0"):
        if not (math.isfinite(inp[name]) and inp[name] >= 0):
            raise ValueError(f"input {name} must be finite and >= 0, got {inp[name]}")
    if not 0 <= inp["f0_mixing_deg"] <= 180:
        raise ValueError(f"input f0_mixing_deg must lie in [0, 180], got {inp['f0_mixing_deg']}")
    for name in ("B_rho_pipi", "B_phi_KK"):
        if not 0 < inp[name] <= 1:
            raise ValueError(
                f"input {name} must be a branching fraction in (0, 1], got {inp[name]}"
            )
    for name in ("a2_rho", "a2_phi"):
        check_gegenbauer(inp[name], name)


def _check_windows(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]) -> None:
    check_inputs(inp)
    m = _masses(ch, inp)
    (lo1, hi1), (lo2, hi2) = cfg.pipi_window, cfg.kk_window
    if lo1 < m["m_a"] + m["m_b"]:
        raise ValueError(
            f"pipi_window starts at {lo1} GeV, below the ππ threshold {m['m_a'] + m['m_b']:.4f}"
        )
    if lo2 < 2 * m["m_K"]:
        raise ValueError(
            f"kk_window starts at {lo2} GeV, below the KK̄ threshold {2 * m['m_K']:.4f}"
        )
    if hi1 + hi2 >= m["m_B"]:
        raise ValueError(
            f"windows reach {hi1 + hi2} GeV, outside the phase space (m_B = {m['m_B']:.4f})"
        )


def _lineshapes(
    ch: Channel, w1: np.ndarray, w2: np.ndarray, inp: Mapping[str, float], scale: float
):
    """L_ρ(ω1) (GS), L_φ(ω2) (RBW with barrier), normalised to B(ρ → ππ), B(φ → K⁺K⁻) (§2.3)."""
    m = _masses(ch, inp)
    mr, gr = inp["m_rho"], inp["w_rho"] * scale
    mp, gp = inp["m_phi"], inp["w_phi"] * scale
    r = inp["r_BW"]
    s1, s2 = w1**2, w2**2
    if ch.pi_masses[0] == ch.pi_masses[1]:
        d1 = ls.gs_denominator(s1, mr, gr, m["m_a"], r)
    else:  # ρ− → π−π0: relativistic BW (GS is the equal-mass form)
        d1 = ls.rbw_denominator(s1, mr, gr, m["m_a"], m["m_b"], r)
    g1 = ls.p_wave_width(s1, mr, gr, m["m_a"], m["m_b"], r) * inp["B_rho_pipi"]
    d2 = ls.rbw_denominator(s2, mp, gp, m["m_K"], m["m_K"], r)
    g2 = ls.p_wave_width(s2, mp, gp, m["m_K"], m["m_K"], r) * inp["B_phi_KK"]
    return ls.resonance_amplitude(w1, d1, mr, g1), ls.resonance_amplitude(w2, d2, mp, g2)


def _wave_lineshapes(
    ch: Channel, w1: np.ndarray, w2: np.ndarray, inp: Mapping[str, float], scale: float
) -> np.ndarray:
    """[N, 6]: L_ρL_φ for the P-wave, L_ρF_KK (VS), F_ππL_φ (SV), F_ππF_KK (SS), F the Flatté
    f0(980) lineshape in π⁺π⁻ or K⁺K⁻ (§2.3 (Q5), §2.16); ``scale`` acts on Γ_ρ, Γ_φ only."""
    m = _masses(ch, inp)
    l1, l2 = _lineshapes(ch, w1, w2, inp, scale)
    flatte = (inp["f0_mass"], inp["f0_g_pipi"], inp["f0_g_pipi"] * inp["f0_g_KK_ratio"])
    f1 = ls.s_wave_amplitude(w1, *flatte, m["m_a"], m["m_K"], "pipi")
    f2 = ls.s_wave_amplitude(w2, *flatte, m["m_a"], m["m_K"], "KK")
    return np.stack([l1 * l2, l1 * l2, l1 * l2, l1 * f2, f1 * l2, f1 * f2], axis=-1)


def _swave_kt(cfg: FourBodyConfig) -> bool:
    return cfg.dynamics == "B3" and cfg.swave_kt


def swave_coefficients(
    ch: Channel, sw: SWave, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[complex, complex]:
    """(λ_u, λ_t) strong coefficients of one vector-emission S-wave term, in units of
    f_V λ^{1/2} κ: c_j F_1^{LCSR}(0) with C_i(m_b) (naive factorisation, §2.16), or at B3 with
    ``cfg.swave_kt`` c_j(C̄_i) F^{kT}(0) + Σ C M̂_S (the kT form factor of (Q24) with the C̄_i of its
    kernel, §2.14, and the non-factorisable emission (Q25), §2.19)."""
    if not _swave_kt(cfg):
        a = effective_coefficients(inp)
        return tuple(_COEFF[e](a) * inp["f0_F1_0"] + 0j for e in (sw.tree, sw.penguin))
    which = _scalar_set(ch)
    f_kt, c_f = _kt_scalar(which, inp)
    if cfg.wilson_at_t:
        run = dict(inp) | {f"C{i}": c_f[i - 1] / f_kt for i in range(1, 7)}
        run |= {f"C{i}_over_alpha": c_f[i - 1] / f_kt / inp["alpha_em"] for i in range(7, 11)}
        a = effective_coefficients(run)
    else:
        a = effective_coefficients(inp)
    m = _nonfact_scalar(which, sw.emitted, inp)
    nf = _nf_pair((sw.nf_tree, sw.nf_penguin), cfg, inp, m)
    return tuple(_COEFF[e](a) * f_kt + n for e, n in zip((sw.tree, sw.penguin), nf, strict=True))


def _swave_terms(
    ch: Channel, w1: np.ndarray, w2: np.ndarray, inp: Mapping[str, float], cfg: FourBodyConfig
) -> np.ndarray:
    """[2, N, 6] S-wave strong parts before lineshapes (§2.16, Q21; §2.19 at B3):
    H_S = (G_F/√2) · flavour · f_V λ^{1/2}(m_B², x², y²) κ · (``swave_coefficients``)_j, x the
    emitted vector's pair mass, y the f0's, κ = cos θ (ss̄) or sin θ/√2 (dd̄, uū); P-wave columns
    zero."""
    m_b = inp[f"m_{ch.parent}"]
    theta = math.radians(inp["f0_mixing_deg"])
    nn = math.sin(theta) / math.sqrt(2)
    kappa = {"ss": math.cos(theta), "dd": nn, "uu": nn}
    out = np.zeros((2, np.size(w1), 6), dtype=complex)
    for sw in ch.swaves:
        x, y = (w1, w2) if sw.emitted == "rho" else (w2, w1)
        h = inp[f"f_{sw.emitted}"] * 2 * m_b * pair_momentum(m_b, x, y)
        pre = inp["G_F"] / math.sqrt(2) * sw.flavour * kappa[sw.content]
        for j, c in enumerate(swave_coefficients(ch, sw, cfg, inp)):
            out[j, :, sw.wave] += pre * c * h
    return out


def _scalar_emission_terms(
    ch: Channel, w1: np.ndarray, w2: np.ndarray, inp: Mapping[str, float], cfg: FourBodyConfig
) -> np.ndarray:
    r"""[2, N, 6] strong parts of the f0 emitted by the (S − P)(S + P) penguins (§2.18, Q23), the
    channel's vector meson (mass x) the recoil, the f0 of mass y (its pair mass):
    H = (G_F/√2) λ_t σ_S · flavour · c_S λ^{1/2}(m_B², x², y²) A_0^{B→V}(0),
    c_S = 2y f̄_S/(m_b + m_q) [cos θ (a_6 − a_8/2) + (sin θ/√2)((a_6 + a_8) + (a_6 − a_8/2))],
    (−2 from the Fierz of O_6, O_8, the − of −λ_t in H_eff; ⟨f0|q̄q|0⟩ = y f̄_S × content,
    ⟨V|q̄γ5 b|B̄⟩ = λ^{1/2}A_0/(m_b + m_q)), A_0 the recoil's kT A_0(0) from stage B2 on (LCSR
    below), C_i(m_b) as in §2.16, σ_S = ``cfg.swave_scalar`` the relative sign convention."""
    out = np.zeros((2, np.size(w1), 6), dtype=complex)
    sc = ch.scalar
    if sc is None or cfg.swave_scalar == 0:
        return out
    a = effective_coefficients(inp)
    m_b = inp[f"m_{ch.parent}"]
    theta = math.radians(inp["f0_mixing_deg"])
    down, up = a["a6"] - 0.5 * a["a8"], a["a6"] + a["a8"]
    content = math.cos(theta) * down + math.sin(theta) / math.sqrt(2) * (up + down)
    m_q = inp["m_s_MSbar"] if ch.q == "s" else 0.0  # m_d neglected
    x, y = (w2, w1) if sc.wave == 4 else (w1, w2)
    a0 = _lcsr_a0(ch, inp) * longitudinal_scale(ch, cfg, inp)
    c_s = 2 * y * inp["f0_fbar_S"] / (inp["m_b_MSbar"] + m_q) * content
    pre = inp["G_F"] / math.sqrt(2) * sc.flavour * cfg.swave_scalar
    out[1, :, sc.wave] = pre * c_s * 2 * m_b * pair_momentum(m_b, x, y) * a0
    return out


#: grid of the kT integral inside the amplitudes (within 0.2 % of 32² × 40², §2.13)
KT_GRID = (24, 32)


@lru_cache(maxsize=64)
def _kt_form_factors(which: str, params: tuple[tuple[str, float], ...], axial_sign: float) -> dict:
    """A_0, A_1, V at q² = 0 in kT factorisation and the C̄_i = ∫C_i(t) dF / F of each (the
    coefficients at the kernel's hard scales), one pass over the grid (§2.13, §2.17)."""
    r = bv_form_factors(which, dict(params), *KT_GRID, wilson=True, axial_sign=axial_sign)
    return {k: (r[k], tuple(float(c) for c in r[f"{k}_C"] / r[k])) for k in ("A0", "A1", "V")}


def _scalar_set(ch: Channel) -> str:
    return "Bs_f0" if ch.parent == "Bs" else "B_f0"


@lru_cache(maxsize=64)
def _kt_scalar_basis(which: str, params: tuple[tuple[str, float], ...]) -> tuple:
    """The basis integrals of F^{B→f0}(0) and of ∫C_i(t) dF (§2.19, Q24), one pass; the f0
    inputs only weight them (``kt.scalar_weights``), so they are not part of the cache key."""
    return bs_form_factor_basis(which, dict(params), *KT_GRID)


def _kt_scalar(which: str, inp: Mapping[str, float]) -> tuple[float, np.ndarray]:
    """(F^{B→f0}(0), ∫C_i(t) dF [10]) in kT factorisation with the f0 inputs of ``inp``."""
    keys = (*SCALAR_SETS[which], "Lambda_QCD4", "threshold_c", *_WILSON_KEYS)
    vals, weighted = _kt_scalar_basis(which, tuple((k, float(inp[k])) for k in keys))
    w = scalar_weights(inp, inp[SCALAR_SETS[which][0]])
    return float(w @ vals), w @ weighted


#: grid of the non-factorisable integral inside the amplitudes (within 2 % of 24² × 28², §2.15)
NF_GRID = (12, 16)


@lru_cache(maxsize=64)
def _nonfact_scalar_basis(which: str, emitted: str, params: tuple[tuple[str, float], ...]):
    """The basis integrals of the non-factorisable S-wave emission M̂_S (f0 recoil, ``emitted``
    vector) (§2.19, Q25), one pass; the f0 inputs only weight them."""
    return [_split(r) for r in scalar_nonfactorisable_basis(which, emitted, dict(params), *NF_GRID)]


def _nonfact_scalar(which: str, emitted: str, inp: Mapping[str, float]) -> tuple:
    """(M̂_S^LL, M̂_S^LR, ∫C_i M̂_S^LL, ∫C_i M̂_S^LR) with the f0 inputs of ``inp``."""
    keys = (*SCALAR_SETS[which], "Lambda_QCD4", "hard_scale_factor")
    keys += (f"m_{emitted}", f"f_{emitted}", f"f_{emitted}_T", f"a2_{emitted}", *_WILSON_KEYS)
    basis = _nonfact_scalar_basis(which, emitted, tuple((k, float(inp[k])) for k in keys))
    w = scalar_weights(inp, inp[SCALAR_SETS[which][0]])
    ll, lr = (sum(wk * b[i] for wk, b in zip(w, basis, strict=True)) for i in (0, 1))
    c_ll, c_lr = (
        tuple(sum(wk * np.array(b[i]) for wk, b in zip(w, basis, strict=True))) for i in (2, 3)
    )
    return ll, lr, c_ll, c_lr


#: the inputs the LO running C_i(t) of §2.14 depends on
_WILSON_KEYS = (
    *(f"C{i}" for i in range(1, 7)),
    *(f"C{i}_over_alpha" for i in range(7, 11)),
    "alpha_em",
    "WC_mu_b",
    "WC_t_freeze",
)


def _split(r: Mapping[str, complex | np.ndarray]) -> tuple:
    return (
        r["LL"],
        r["LR"],
        tuple(complex(v) for v in r["LL_C"]),
        tuple(complex(v) for v in r["LR_C"]),
    )


@lru_cache(maxsize=64)
def _nonfact(which: str, params: tuple[tuple[str, float], ...], axial_sign: float) -> dict:
    """The longitudinal and transverse (±1) non-factorisable integrals, one pass (§2.15)."""
    r = nonfactorisable_amplitudes(which, dict(params), *NF_GRID, axial_sign=axial_sign)
    return {k: _split(v) for k, v in r.items()}


def _nf_combine(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float], m: tuple) -> tuple:
    """(λ_u, λ_t) of Σ C M̂ from one (M̂^LL, M̂^LR, ∫C_i M̂^LL, ∫C_i M̂^LR) (§2.14, §2.15): with
    ``cfg.wilson_at_t`` the channel's combination (linear in C_i) of the C_i(t)-weighted ones."""
    return _nf_pair((ch.nf_tree, ch.nf_penguin), cfg, inp, m)


def _nf_pair(exprs: tuple[str, str], cfg: FourBodyConfig, inp: Mapping[str, float], m: tuple):
    """``_nf_combine`` for the (λ_u, λ_t) coefficient expressions ``exprs`` of ``_NF_COEFF``."""
    m_ll, m_lr, c_ll, c_lr = m
    if not cfg.wilson_at_t:
        c = _wilson(inp)
        return tuple(_NF_COEFF[e](c)[0] * m_ll + _NF_COEFF[e](c)[1] * m_lr for e in exprs)
    ll_c, lr_c = dict(enumerate(c_ll, 1)), dict(enumerate(c_lr, 1))
    return tuple(_NF_COEFF[e](ll_c)[0] + _NF_COEFF[e](lr_c)[1] for e in exprs)


def _lcsr_a0(ch: Channel, inp: Mapping[str, float]) -> float:
    """A_0(0) = [(m_B + m_V)A_1(0) − (m_B − m_V)A_2(0)]/(2m_V) of the LCSR set (§2.13)."""
    mb_key, _, _, v = BV_SETS[ch.form_factors]
    m_b, m_v = inp[mb_key], inp[f"m_{v}"]
    _, a1, a2 = form_factors(np.zeros(1), ch.form_factors, inp)
    return float(((m_b + m_v) * a1[0] - (m_b - m_v) * a2[0]) / (2 * m_v))


def longitudinal_scale(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]) -> float:
    """1 at stage B1; at B2 and B3 A_0^{kT}(0)/A_0^{LCSR}(0) of the recoil form factors (§2.13)."""
    if cfg.dynamics == "B1":
        return 1.0
    return _kt(ch, cfg, inp)["A0"][0] / _lcsr_a0(ch, inp)


def _kt(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]) -> dict:
    return _kt_form_factors(ch.form_factors, _kt_params(ch, inp), cfg.axial_sign)


def _transverse_kt(cfg: FourBodyConfig) -> bool:
    return cfg.dynamics == "B3" and cfg.transverse_kt


def transverse_scales(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[float, float]:
    """(A_1^{kT}(0)/A_1^{LCSR}(0), V^{kT}(0)/V^{LCSR}(0)) at B3 with ``cfg.transverse_kt``
    (§2.17), (1, 1) otherwise: the LCSR q² shape keeps, the normalisation is kT."""
    if not _transverse_kt(cfg):
        return 1.0, 1.0
    v, a1, _ = form_factors(np.zeros(1), ch.form_factors, inp)
    kt = _kt(ch, cfg, inp)
    return kt["A1"][0] / float(a1[0]), kt["V"][0] / float(v[0])


def _kt_params(ch: Channel, inp: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    mb_key, fb_key, om_key, v = BV_SETS[ch.form_factors]
    keys = (mb_key, fb_key, om_key, f"m_{v}", f"f_{v}", f"f_{v}_T", f"a2_{v}")
    keys += ("Lambda_QCD4", "threshold_c", *_WILSON_KEYS)
    return tuple((k, float(inp[k])) for k in keys)


def factorisable_coefficients(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float], kernel: str = "A0"
) -> tuple[float, float]:
    """(c_u, c_t) of the factorisable amplitudes: the a_i of μ = m_b at B1 or without
    ``cfg.wilson_at_t``; otherwise the a_i of C̄_i = ∫C_i(t) dF/F (§2.14) of the form factor
    ``kernel`` (``A0``, ``A1``, ``V``); the transverse kernels only at B3 with
    ``cfg.transverse_kt``, else the longitudinal kernel's average stands for them."""
    if kernel not in ("A0", "A1", "V"):
        raise ValueError(f"kernel must be A0, A1 or V, got {kernel!r}")
    if cfg.dynamics == "B1" or not cfg.wilson_at_t:
        return ch.coefficients(effective_coefficients(inp))
    c_bar = _kt(ch, cfg, inp)[kernel if _transverse_kt(cfg) else "A0"][1]
    run = dict(inp) | {f"C{i}": c_bar[i - 1] for i in range(1, 7)}
    run |= {f"C{i}_over_alpha": c_bar[i - 1] / inp["alpha_em"] for i in range(7, 11)}
    return ch.coefficients(effective_coefficients(run))


def nonfact_longitudinal(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[complex, complex]:
    """(n_u, n_t): the non-factorisable longitudinal amplitude of λ_u, λ_t relative to the LCSR
    A_0(0), Σ_{LL,LR} C M̂/A_0^{LCSR}(0) (§2.15); zero below stage B3."""
    if cfg.dynamics not in ("B3L", "B3"):
        return 0j, 0j
    lcsr = _lcsr_a0(ch, inp)
    return tuple(n / lcsr for n in _nf_combine(ch, cfg, inp, _nf(ch, cfg, inp)["L"]))


def _nf(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]) -> dict:
    return _nonfact(ch.form_factors, _nf_params(ch, inp), cfg.axial_sign)


def _nf_params(ch: Channel, inp: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    mb_key, fb_key, om_key, v = BV_SETS[ch.form_factors]
    v3 = EMITTED[ch.form_factors]
    keys = (mb_key, fb_key, om_key, f"f_{v}", f"a2_{v}", f"a2_{v3}", "Lambda_QCD4")
    keys += (f"m_{v}", f"m_{v3}", f"f_{v}_T", f"f_{v3}", f"f_{v3}_T", "hard_scale_factor")
    keys += _WILSON_KEYS
    return tuple((k, float(inp[k])) for k in keys)


def _wilson(inp: Mapping[str, float]) -> dict[int, float]:
    c = {i: inp[f"C{i}"] for i in range(1, 7)}
    return c | {i: inp[f"C{i}_over_alpha"] * inp["alpha_em"] for i in range(7, 11)}


def lcsr_transverse_unit(ch: Channel, inp: Mapping[str, float]) -> float:
    """F_−^{LCSR}(0) = [(1 + r)A_1(0) + (1 − r)V(0)]/2, r = m_V/m_B of the recoil: the twist-2
    transverse form factor of (Q22) in the LCSR set, the unit of M̂_± (§2.15)."""
    mb_key, _, _, v_name = BV_SETS[ch.form_factors]
    r = inp[f"m_{v_name}"] / inp[mb_key]
    v, a1, _ = form_factors(np.zeros(1), ch.form_factors, inp)
    return 0.5 * float((1 + r) * a1[0] + (1 - r) * v[0])


def nonfact_transverse(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[tuple[complex, complex], ...]:
    """((n_+, n_−) of λ_u, (n_+, n_−) of λ_t): the non-factorisable transverse helicity
    amplitudes Σ_{LL,LR} C M̂_± relative to F_−^{LCSR} = [(1 + r)A_1(0) + (1 − r)V(0)]/2,
    r = m_V/m_B of the recoil, per unit of the factorisable H_− (the §2.9 H_− at x → 0 is
    2 r_3 f_3 m_B² F_−^{LCSR}, §2.15, Q20, Q22); zero below stage B3."""
    if cfg.dynamics != "B3":
        return (0j, 0j), (0j, 0j)
    res = _nf(ch, cfg, inp)
    plus, minus = res[1], res[-1]
    unit = lcsr_transverse_unit(ch, inp)
    n_p, n_m = _nf_combine(ch, cfg, inp, plus), _nf_combine(ch, cfg, inp, minus)
    return tuple((p / unit, m / unit) for p, m in zip(n_p, n_m, strict=True))


def _strong_terms(
    ch: Channel,
    w1: np.ndarray,
    w2: np.ndarray,
    inp: Mapping[str, float],
    cfg: FourBodyConfig | None = None,
) -> np.ndarray:
    """(G_F/√2) c_j H_k(ω1, ω2) · flavour: [2, N, 6] before lineshapes (S-waves of §2.16 with
    ``cfg.swave``, zero otherwise).
    With ``cfg``'s dynamics B2 the longitudinal amplitude of λ_j is c_j H_0 A_0^{kT}/A_0^{LCSR}
    (§2.13); at B3L and B3 (c_j A_0^{kT} + Σ C M̂)H_0/A_0^{LCSR}, at B3 also the transverse
    H_± of (Q20) (§2.15)."""
    cfg = cfg or FourBodyConfig()
    scale_l = longitudinal_scale(ch, cfg, inp)
    nf = nonfact_longitudinal(ch, cfg, inp)
    nf_t = nonfact_transverse(ch, cfg, inp)
    m_b = inp[f"m_{ch.parent}"]
    x, y = (w1, w2) if ch.emitted == "rho" else (w2, w1)
    f_emit = inp[f"f_{ch.emitted}"]
    ffs = form_factors(x**2, ch.form_factors, inp)
    h = helicity_amplitudes(m_b, x, y, f_emit, ffs)
    s_a1, s_v = transverse_scales(ch, cfg, inp)
    h_t = helicity_amplitudes(m_b, x, y, f_emit, (ffs[0] * s_v, ffs[1] * s_a1, ffs[2]))
    pre = inp["G_F"] / math.sqrt(2) * ch.flavour
    out = np.zeros((2,) + h.shape[:-1] + (6,), dtype=complex)
    coef = {k: factorisable_coefficients(ch, cfg, inp, k) for k in ("A0", "A1", "V")}
    for j in range(2):
        c, c_a1, c_v = (coef[k][j] for k in ("A0", "A1", "V"))
        out[j, ..., 0] = pre * (c * scale_l + nf[j]) * h[..., 0]
        out[j, ..., 1] = pre * c_a1 * h_t[..., 1]
        out[j, ..., 2] = pre * c_v * h_t[..., 2]
        if cfg.dynamics == "B3":  # H_± = (A_∥ ± A_⊥)/√2 gain n_± H_−^{LCSR} (Q20)
            h_minus = (h[..., 1] - h[..., 2]) / math.sqrt(2)
            hp = (out[j, ..., 1] + out[j, ..., 2]) / math.sqrt(2) + pre * nf_t[j][0] * h_minus
            hm = (out[j, ..., 1] - out[j, ..., 2]) / math.sqrt(2) + pre * nf_t[j][1] * h_minus
            out[j, ..., 1] = (hp + hm) / math.sqrt(2)
            out[j, ..., 2] = (hp - hm) / math.sqrt(2)
    if cfg.swave:
        out = out + _swave_terms(ch, w1, w2, inp, cfg)
        out = out + _scalar_emission_terms(ch, w1, w2, inp, cfg)
    return out


def _weak(ch: Channel, inp: Mapping[str, float]) -> np.ndarray:
    v = ckm_matrix(inp["lambda"], inp["A"], inp["rhobar"], inp["etabar"])
    return np.array(weak_factors(v, ch.q), dtype=complex)


def _pipi_rule(cfg: FourBodyConfig, inp: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The m_ππ rule of §2.7; with the S-wave, two panels split at the f0's K⁺K⁻ cusp 2m_K
    (n_ππ/2 points each) when the window spans it (§2.16)."""
    lo, hi = cfg.pipi_window
    peak = (inp["m_rho"], inp["w_rho"] * cfg.width_scale)
    cusp = 2 * inp["m_K"]
    if not (cfg.swave and lo < cusp < hi):
        return peaked_gauss_legendre(lo, hi, cfg.n_pipi, *peak)
    n = cfg.n_pipi // 2
    a, b = peaked_gauss_legendre(lo, cusp, n, *peak), peaked_gauss_legendre(cusp, hi, n, *peak)
    return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])


def amplitude_grid(ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]) -> Grid:
    """Amplitudes on the tensor Gauss–Legendre grid of the two windows (§2.4, §2.7)."""
    _check_windows(ch, cfg, inp)
    x1, v1 = _pipi_rule(cfg, inp)
    x2, v2 = peaked_gauss_legendre(
        *cfg.kk_window, cfg.n_kk, inp["m_phi"], inp["w_phi"] * cfg.width_scale
    )
    w1, w2 = (a.ravel() for a in np.meshgrid(x1, x2, indexing="ij"))
    wts = np.outer(v1, v2).ravel()
    m_b = inp[f"m_{ch.parent}"]
    wts = wts * pair_momentum(m_b, w1, w2) / (8 * math.pi * m_b**2)
    terms = _strong_terms(ch, w1, w2, inp, cfg)
    terms = terms * _wave_lineshapes(ch, w1, w2, inp, cfg.width_scale)[None]
    if cfg.strong_phases is not None:
        terms = terms * np.exp(1j * np.asarray(cfg.strong_phases))[:, None, :]
    return Grid(w1, w2, wts, terms, _weak(ch, inp))


def point_amplitudes(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float], w1: float, w2: float, bar: bool
) -> np.ndarray:
    """√(k(ω1, ω2)/(8π m_B²)) A_k(ω1, ω2) [6] at one point (or Ā_k with ``bar``): the
    integrand of the interference matrix one point at a time, for the nquad baseline (§2.7)."""
    x1, x2 = np.array([w1], dtype=float), np.array([w2], dtype=float)
    terms = _strong_terms(ch, x1, x2, inp, cfg)
    terms = terms * _wave_lineshapes(ch, x1, x2, inp, cfg.width_scale)[None]
    if cfg.strong_phases is not None:
        terms = terms * np.exp(1j * np.asarray(cfg.strong_phases))[:, None, :]
    weak = _weak(ch, inp)
    amps = cp_conjugate(terms, weak) if bar else combine(terms, weak)
    m_b = inp[f"m_{ch.parent}"]
    return amps[0] * np.sqrt(pair_momentum(m_b, x1, x2)[0] / (8 * math.pi * m_b**2))


def two_body_rate(
    ch: Channel, inp: Mapping[str, float], cfg: FourBodyConfig | None = None
) -> float:
    """Γ(B̄ → ρ φ) at the pole masses, CP-averaged [GeV], with ``cfg``'s dynamics (§2.9);
    P-wave only (the S-wave of §2.16 is not part of ρφ)."""
    mr, mp = np.array([inp["m_rho"]]), np.array([inp["m_phi"]])
    terms = _strong_terms(ch, mr, mp, inp, cfg)
    terms[..., 3:] = 0.0
    m_b = inp[f"m_{ch.parent}"]
    k = float(pair_momentum(m_b, mr, mp)[0])
    weak = _weak(ch, inp)
    rate = np.sum(np.abs(combine(terms, weak)) ** 2)
    rate_bar = np.sum(np.abs(cp_conjugate(terms, weak)) ** 2)
    return float(0.5 * (rate + rate_bar) * k / (8 * math.pi * m_b**2))


@dataclass(frozen=True)
class ChannelResult:
    """One channel's observables and branching fractions (CP averages)."""

    channel: str
    obs: Observables
    br_four_body: float  # B(B → (π⁺π⁻)(K⁺K⁻)) in the windows
    br_extracted: float  # br_four_body / [B(ρ → ππ) B(φ → K⁺K⁻)]
    br_two_body: float  # B(B → ρ φ) at the pole masses
    br_vs: float = 0.0  # the VS, SV, SS parts of br_four_body (§2.16)
    br_sv: float = 0.0
    br_ss: float = 0.0
    br_phi_f0: float = 0.0  # br_sv / [B(φ → K⁺K⁻) × φ window fraction]: B(B → φ f0, f0 → π⁺π⁻)

    def as_dict(self) -> dict[str, float]:
        """Flat ``{name: float}``."""
        return self.obs.as_dict() | {
            "br_four_body": self.br_four_body,
            "br_extracted": self.br_extracted,
            "br_two_body": self.br_two_body,
            "br_vs": self.br_vs,
            "br_sv": self.br_sv,
            "br_ss": self.br_ss,
            "br_phi_f0": self.br_phi_f0,
        }


def interference_matrices(
    name: str, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(M, M̄) [6, 6] of channel ``name``: the decay and its CP conjugate (§2.4)."""
    g = amplitude_grid(channel(name), cfg, inp)
    m = interference_matrix(combine(g.terms, g.weak), g.weights)
    return m, interference_matrix(cp_conjugate(g.terms, g.weak), g.weights)


def evaluate(
    name: str, cfg: FourBodyConfig | None = None, inp: Inputs | Mapping[str, float] | None = None
) -> ChannelResult:
    """Observables of channel ``name`` with ``cfg`` (default windows) and inputs (default file)."""
    ch = channel(name)
    cfg = cfg or FourBodyConfig()
    inp = load_inputs() if inp is None else inp
    m, m_bar = interference_matrices(name, cfg, inp)
    obs = observables(m, m_bar)
    tau = inp[f"tau_{ch.parent}"] / inp["hbar"]
    br4 = 0.5 * (obs.rate + obs.rate_bar) * tau
    br_s = 0.5 * (np.diag(m).real + np.diag(m_bar).real)[3:] * tau
    phi_fraction = window_fraction(ch, cfg, inp)[1] if br_s[1] > 0 else 1.0
    return ChannelResult(
        channel=name,
        obs=obs,
        br_four_body=br4,
        br_extracted=br4 / (inp["B_rho_pipi"] * inp["B_phi_KK"]),
        br_two_body=two_body_rate(ch, inp, cfg) * tau,
        br_vs=float(br_s[0]),
        br_sv=float(br_s[1]),
        br_ss=float(br_s[2]),
        br_phi_f0=float(br_s[1] / (inp["B_phi_KK"] * phi_fraction)),
    )


def window_fraction(
    ch: Channel, cfg: FourBodyConfig, inp: Mapping[str, float]
) -> tuple[float, float]:
    """∫_window |L|² dω / B for the ππ and KK̄ lineshapes (the narrow-width bookkeeping, §2.4)."""
    x1, v1 = peaked_gauss_legendre(
        *cfg.pipi_window, cfg.n_pipi, inp["m_rho"], inp["w_rho"] * cfg.width_scale
    )
    x2, v2 = peaked_gauss_legendre(
        *cfg.kk_window, cfg.n_kk, inp["m_phi"], inp["w_phi"] * cfg.width_scale
    )
    l1, _ = _lineshapes(ch, x1, np.full_like(x1, inp["m_phi"]), inp, cfg.width_scale)
    _, l2 = _lineshapes(ch, np.full_like(x2, inp["m_rho"]), x2, inp, cfg.width_scale)
    return (
        float(np.sum(v1 * np.abs(l1) ** 2) / inp["B_rho_pipi"]),
        float(np.sum(v2 * np.abs(l2) ** 2) / inp["B_phi_KK"]),
    )
