"""Angular decomposition with six amplitudes, CP conjugation and the observables built from the
interference matrix M_kl = ∫ w A_k A_l* (docs/pqcd.md §2.2, §2.5, §2.6).

Amplitude order everywhere: ``WAVES = (0, para, perp, VS, SV, SS)``; the last axis of an amplitude
array is that index. VS: ππ in P-wave, KK̄ in S-wave; SV the reverse; SS both S-wave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CP_PARITY",
    "WAVES",
    "Observables",
    "angular_functions",
    "cp_conjugate",
    "differential_rate",
    "interference_matrix",
    "monte_carlo_tpa",
    "observables",
    "tpa_from_matrix",
]

WAVES = ("0", "para", "perp", "VS", "SV", "SS")
#: η_k of Ā_k = η_k A_k(λ → λ*): CP of the final state in each wave (L = 0, 0, 1, 1, 1, 0)
CP_PARITY = np.array([1.0, 1.0, -1.0, -1.0, -1.0, 1.0])
ANGULAR_NORM = 8.0 * math.pi / 9.0  # ∫ |g_k|² dcosθ1 dcosθ2 dφ for every k


def angular_functions(cos1: np.ndarray, cos2: np.ndarray, phi: np.ndarray) -> np.ndarray:
    r"""g_k(θ1, θ2, φ) with A = Σ_k A_k g_k (§2.2):
    (c1c2, s1s2 cosφ/√2, i s1s2 sinφ/√2, c1/√3, c2/√3, 1/3) → [..., 6] complex."""
    c1, c2, ph = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (cos1, cos2, phi)))
    s12 = np.sqrt(np.clip(1 - c1 * c1, 0, None) * np.clip(1 - c2 * c2, 0, None))
    r2, r3 = math.sqrt(2.0), math.sqrt(3.0)
    return np.stack(
        [
            c1 * c2 + 0j,
            s12 * np.cos(ph) / r2 + 0j,
            1j * s12 * np.sin(ph) / r2,
            c1 / r3 + 0j,
            c2 / r3 + 0j,
            np.full_like(c1, 1 / 3) + 0j,
        ],
        axis=-1,
    )


def differential_rate(
    amps: np.ndarray, cos1: np.ndarray, cos2: np.ndarray, phi: np.ndarray
) -> np.ndarray:
    """|Σ_k A_k g_k|² at the given angles; ``amps`` [6] or broadcastable against them (§2.2)."""
    return np.abs(np.sum(np.asarray(amps) * angular_functions(cos1, cos2, phi), axis=-1)) ** 2


def cp_conjugate(terms: np.ndarray, weak: np.ndarray) -> np.ndarray:
    r"""Ā_k = η_k Σ_j λ_j* T_jk from the CKM decomposition A_k = Σ_j λ_j T_jk (§2.5).

    ``terms`` [J, ..., 6] (strong parts), ``weak`` [J] complex CKM factors; returns [..., 6].
    """
    weak = np.asarray(weak, dtype=complex)
    terms = np.asarray(terms, dtype=complex)
    if terms.shape[0] != weak.shape[0] or terms.shape[-1] != len(WAVES):
        raise ValueError(f"terms [J, ..., 6] and weak [J] disagree: {terms.shape}, {weak.shape}")
    w = np.conj(weak).reshape((-1,) + (1,) * (terms.ndim - 1))
    return CP_PARITY * np.sum(w * terms, axis=0)


def combine(terms: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """A_k = Σ_j λ_j T_jk ([J, ..., 6], [J] → [..., 6])."""
    weak = np.asarray(weak, dtype=complex)
    w = weak.reshape((-1,) + (1,) * (np.ndim(terms) - 1))
    return np.sum(w * np.asarray(terms, dtype=complex), axis=0)


def interference_matrix(amps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""M_kl = Σ_i w_i A_ik A_il* over quadrature points ([N, 6], [N] → [6, 6] Hermitian) (§2.4)."""
    amps = np.asarray(amps, dtype=complex)
    return np.einsum("i,ik,il->kl", np.asarray(weights, dtype=float), amps, np.conj(amps))


def tpa_from_matrix(m: np.ndarray) -> tuple[float, float]:
    r"""A_T^1 = −(2√2/π) Im M_⊥0 / D and A_T^2 = −(4/π) Im M_⊥∥ / D, D = tr M (§2.6)."""
    d = float(np.trace(m).real)
    a1 = -(2 * math.sqrt(2) / math.pi) * m[2, 0].imag / d
    a2 = -(4 / math.pi) * m[2, 1].imag / d
    return float(a1), float(a2)


@dataclass(frozen=True)
class Observables:
    """The paper's observables for one decay and its CP conjugate (§2.6).

    ``rate``/``rate_bar``: ∫ of the window's rate for the decay and its conjugate (units of the
    weights); fractions and phases are CP averages; TPAs as defined in §2.6.
    """

    rate: float
    rate_bar: float
    f0: float
    f_para: float
    f_perp: float
    f_swave: float
    phi_para: float
    phi_perp: float
    acp_dir: float
    acp_pwave: float
    acp_0: float
    acp_para: float
    acp_perp: float
    a_t1: float
    a_t1_bar: float
    a_t2: float
    a_t2_bar: float
    a_t1_true: float
    a_t1_fake: float
    a_t2_true: float
    a_t2_fake: float
    a_t1_true_ave: float
    a_t1_fake_ave: float
    a_t1_true_pwave: float
    a_t1_fake_pwave: float
    a_t2_true_pwave: float
    a_t2_fake_pwave: float

    def as_dict(self) -> dict[str, float]:
        """Every field as ``{name: float}``."""
        return {k: float(v) for k, v in self.__dict__.items()}


def _asym(a: float, b: float) -> float:
    return (a - b) / (a + b) if a + b > 0 else 0.0


def observables(m: np.ndarray, m_bar: np.ndarray) -> Observables:
    r"""Observables from the interference matrices of the decay (M) and its CP conjugate (M̄).

    A_CP = (Γ − Γ̄)/(Γ + Γ̄) with Γ the decay of the b-quark meson (the paper's B̄ channels);
    A_T-true = (A_T + Ā_T)/2, A_T-fake = (A_T − Ā_T)/2; the averaged variants divide the summed
    (differenced) T-odd rates by Γ + Γ̄ (§2.6). The ``_pwave`` variants use the P-wave rates
    (M_00 + M_∥∥ + M_⊥⊥) in place of tr M: the observables of the ρφ component alone (§2.16).
    """
    rate, rate_bar = float(np.trace(m).real), float(np.trace(m_bar).real)
    avg = 0.5 * (m + m_bar * CP_PARITY[:, None] * CP_PARITY[None, :])
    p_wave = float(sum(avg[k, k].real for k in range(3)))
    t1, t2 = tpa_from_matrix(m)
    t1b, t2b = tpa_from_matrix(m_bar)
    total = rate + rate_bar
    p_rate = float(sum(m[k, k].real for k in range(3)))
    p_rate_bar = float(sum(m_bar[k, k].real for k in range(3)))
    t1p = t1 * rate / p_rate if p_rate > 0 else 0.0
    t1bp = t1b * rate_bar / p_rate_bar if p_rate_bar > 0 else 0.0
    t2p = t2 * rate / p_rate if p_rate > 0 else 0.0
    t2bp = t2b * rate_bar / p_rate_bar if p_rate_bar > 0 else 0.0
    return Observables(
        rate=rate,
        rate_bar=rate_bar,
        f0=float(avg[0, 0].real) / p_wave,
        f_para=float(avg[1, 1].real) / p_wave,
        f_perp=float(avg[2, 2].real) / p_wave,
        f_swave=float(sum(avg[k, k].real for k in range(3, 6))) / (0.5 * total),
        phi_para=float(np.angle(avg[1, 0])),
        phi_perp=float(np.angle(avg[2, 0])),
        acp_dir=_asym(rate, rate_bar),
        acp_pwave=_asym(p_rate, p_rate_bar),
        acp_0=_asym(m[0, 0].real, m_bar[0, 0].real),
        acp_para=_asym(m[1, 1].real, m_bar[1, 1].real),
        acp_perp=_asym(m[2, 2].real, m_bar[2, 2].real),
        a_t1=t1,
        a_t1_bar=t1b,
        a_t2=t2,
        a_t2_bar=t2b,
        a_t1_true=0.5 * (t1 + t1b),
        a_t1_fake=0.5 * (t1 - t1b),
        a_t2_true=0.5 * (t2 + t2b),
        a_t2_fake=0.5 * (t2 - t2b),
        a_t1_true_ave=(t1 * rate + t1b * rate_bar) / total,
        a_t1_fake_ave=(t1 * rate - t1b * rate_bar) / total,
        a_t1_true_pwave=0.5 * (t1p + t1bp),
        a_t1_fake_pwave=0.5 * (t1p - t1bp),
        a_t2_true_pwave=0.5 * (t2p + t2bp),
        a_t2_fake_pwave=0.5 * (t2p - t2bp),
    )


def monte_carlo_tpa(
    amps: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[float, float, float, float]:
    """A_T^1, A_T^2 by weighted sign counts of c1c2 sinφ and sin2φ over ``n`` uniform angles,
    with their statistical errors: (A1, σ1, A2, σ2) (§2.6)."""
    c1, c2 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    ph = rng.uniform(0, 2 * math.pi, n)
    w = differential_rate(amps, c1, c2, ph)
    out = []
    for sign in (np.sign(c1 * c2 * np.sin(ph)), np.sign(np.sin(2 * ph))):
        x = sign * w
        mean = x.sum() / w.sum()
        # ratio estimator error: var(x − mean·w)/n / E[w]²
        err = np.std(x - mean * w) / (w.mean() * math.sqrt(n))
        out += [float(mean), float(err)]
    return tuple(out)  # type: ignore[return-value]
