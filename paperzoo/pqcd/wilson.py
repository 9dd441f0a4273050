"""Leading-order Wilson coefficients C_1…C_10 at a low scale from their values at M_W, by solving
the LO QCD renormalisation group of the ΔB = 1 operators (docs/pqcd.md §2.14): a cross-check of
the NDR values typed into ``inputs.json`` (which are NLO). ``running_modes`` evolves those typed
values from μ0 = m_b to each diagram's hard scale t (n_f = 4), as the kT integrals use them.

Basis and numbering of Buchalla–Buras–Lautenbacher (O_2 the colour-allowed tree, C_2(M_W) = 1 at
LO); the electroweak penguins start at O(α) from the Inami–Lim functions of x_t = m_t²/M_W².
QED mixing (O_1,2 → O_7,9 at O(α)) is left out, so C_7 is not predicted; C_8, C_9 and C_10
follow from the QCD running alone (C_9 ± 10 % of the NLO value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "inami_lim",
    "input_coefficients",
    "lo_anomalous_dimension",
    "lo_wilson_coefficients",
    "running_eta",
    "running_modes",
    "wilson_at",
]

N_C = 3.0


def lo_anomalous_dimension(n_f: int = 5, nc: float = N_C) -> np.ndarray:
    r"""γ^(0) [10, 10] of O_1…O_10 in units of α_s/(4π) (§2.14): the current-current block
    (−6/N, 6; 6, −6/N), the QCD-penguin block with the penguin insertions of O_2 and of the
    QCD penguins (f active flavours), O_7,8 like O_5,6 and O_9,10 like O_1,2 (their penguin
    insertions, O(α) × O(α_s), dropped)."""
    f, n = float(n_f), nc
    g = np.zeros((10, 10))
    g[0, :2] = (-6 / n, 6)
    g[1, :6] = (6, -6 / n, -2 / (3 * n), 2 / 3, -2 / (3 * n), 2 / 3)
    g[2, 2:6] = (-22 / (3 * n), 22 / 3, -4 / (3 * n), 4 / 3)
    g[3, 2:6] = (6 - 2 * f / (3 * n), -6 / n + 2 * f / 3, -2 * f / (3 * n), 2 * f / 3)
    g[4, 2:6] = (0, 0, 6 / n, -6)
    g[5, 2:6] = (-2 * f / (3 * n), 2 * f / 3, -2 * f / (3 * n), -6 * (n * n - 1) / n + 2 * f / 3)
    g[6, 6:8] = (6 / n, -6)
    g[7, 6:8] = (0, -6 * (n * n - 1) / n)
    g[8, 8:10] = (-6 / n, 6)
    g[9, 8:10] = (6, -6 / n)
    return g


def inami_lim(x: float) -> dict[str, float]:
    """B_0, C_0, D_0 of x = m_t²/M_W² (Inami–Lim, as in BBL) and D̃_0 = D_0 − 4/9 (NDR)."""
    b0 = 0.25 * (x / (1 - x) + x * math.log(x) / (x - 1) ** 2)
    c0 = x / 8 * ((x - 6) / (x - 1) + (3 * x + 2) / (x - 1) ** 2 * math.log(x))
    d0 = (
        -4 / 9 * math.log(x)
        + (-19 * x**3 + 25 * x**2) / (36 * (x - 1) ** 3)
        + x**2 * (5 * x**2 - 2 * x - 6) / (18 * (x - 1) ** 4) * math.log(x)
    )
    return {"B0": b0, "C0": c0, "D0": d0, "D0_tilde": d0 - 4 / 9}


def _alpha_s_one_loop(mu: float, alpha_mz: float, m_z: float, n_f: int = 5) -> float:
    beta0 = 11 - 2 * n_f / 3
    return alpha_mz / (1 + beta0 * alpha_mz / (4 * math.pi) * math.log(mu**2 / m_z**2))


def lo_wilson_coefficients(inp: Mapping[str, float], mu: float | None = None) -> np.ndarray:
    r"""C_1…C_10 at ``mu`` (default the input ``WC_mu_b``) at LO (§2.14):
    C(μ) = V diag(η^{γ_i/(2β_0)}) V⁻¹ C(M_W), γ^(0)ᵀ = V diag(γ_i) V⁻¹, η = α_s(M_W)/α_s(μ)
    (one-loop α_s, n_f = 5, from α_s(M_Z)), C(M_W) = (0, 1, 0, 0, 0, 0, C_7, 0, C_9, 0) with
    C_7 = α/(6π)[4C_0 + D̃_0], C_9 = α/(6π)[4C_0 + D̃_0 + (10B_0 − 4C_0)/sin²θ_W]."""
    mu = inp["WC_mu_b"] if mu is None else float(mu)
    m_w, m_z, alpha = inp["WC_M_W"], inp["WC_M_Z"], inp["alpha_em"]
    if not (math.isfinite(mu) and 1.0 <= mu <= m_w):
        raise ValueError(f"mu must lie in [1 GeV, M_W], got {mu}")
    il = inami_lim(inp["WC_mt"] ** 2 / m_w**2)
    c_w = np.zeros(10)
    c_w[1] = 1.0
    c_w[6] = alpha / (6 * math.pi) * (4 * il["C0"] + il["D0_tilde"])
    c_w[8] = c_w[6] + alpha / (6 * math.pi) * (10 * il["B0"] - 4 * il["C0"]) / inp["WC_sin2_thetaW"]
    beta0 = 11 - 2 * 5 / 3
    eta = _alpha_s_one_loop(m_w, inp["WC_alpha_s_MZ"], m_z) / _alpha_s_one_loop(
        mu, inp["WC_alpha_s_MZ"], m_z
    )
    vals, vecs = np.linalg.eig(lo_anomalous_dimension().T)
    u = (vecs * eta ** (vals / (2 * beta0))) @ np.linalg.inv(vecs)
    return np.real_if_close(u @ c_w).real


def input_coefficients(inp: Mapping[str, float]) -> np.ndarray:
    """C_1…C_10 [10] of the inputs at μ0 = ``WC_mu_b`` (C_7…C_10 from C_i/α_em × α_em)."""
    c = [inp[f"C{i}"] for i in range(1, 7)]
    return np.array(c + [inp[f"C{i}_over_alpha"] * inp["alpha_em"] for i in range(7, 11)])


def running_modes(inp: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    r"""(A [10, 10], p [10]) with C(t) = Σ_k A[:, k] η(t)^{p_k}, η(t) = α_s(μ0)/α_s(t): the LO
    solution C(t) = V diag(η^{γ_k/(2β_0)}) V⁻¹ C(μ0) with γ^(0) of n_f = 4 (β_0 = 25/3),
    μ0 = ``WC_mu_b`` and C(μ0) the typed inputs (§2.14, Eq. (Q15′)); α_s(t) is the one-loop
    n_f = 4 coupling of the kT integrals (Λ^(4) = ``Lambda_QCD4``), the PQCD lineage's
    C_i(t) (Lü, Ukai, Yang, PRD 63, 074009 (2001); Ali et al., PRD 76, 074018 (2007))."""
    vals, vecs = np.linalg.eig(lo_anomalous_dimension(n_f=4).T)
    if np.max(np.abs(np.imag(vals))) > 1e-12:
        raise ValueError("complex anomalous-dimension eigenvalues")
    vals, vecs = vals.real, vecs.real
    amps = vecs * (np.linalg.solve(vecs, input_coefficients(inp)))[None, :]
    return amps, vals / (2 * (11 - 2 * 4 / 3))


def running_eta(t: np.ndarray, inp: Mapping[str, float]) -> np.ndarray:
    """η(t) = α_s(μ0)/α_s(max(t, t_f)) of ``running_modes``: C_i(t) frozen at C_i(t_f) below
    t_f = ``WC_t_freeze`` (> Λ^(4)), where the one-loop α_s(t) and the LO running blow up as
    t → Λ^(4) (§2.14)."""
    from paperzoo.pqcd.kt import alpha_s

    lam, t_f = inp["Lambda_QCD4"], inp["WC_t_freeze"]
    if not (math.isfinite(t_f) and lam < t_f <= inp["WC_mu_b"]):
        raise ValueError(f"WC_t_freeze must lie in (Lambda_QCD4, WC_mu_b], got {t_f}")
    return alpha_s(inp["WC_mu_b"], lam) / alpha_s(np.maximum(t, t_f), lam)


def wilson_at(t: np.ndarray, inp: Mapping[str, float]) -> np.ndarray:
    """C_1…C_10 at the scales ``t`` [GeV] (> Λ^(4)): [10, *t.shape] (``running_modes``, frozen
    below ``WC_t_freeze`` by ``running_eta``)."""
    t = np.asarray(t, dtype=float)
    lam = inp["Lambda_QCD4"]
    if not np.all(np.isfinite(t) & (t > lam)):
        raise ValueError(f"scales must be finite and > Lambda_QCD4 = {lam} GeV")
    amps, powers = running_modes(inp)
    eta = running_eta(t, inp)
    return np.tensordot(amps, eta[None] ** powers.reshape((-1,) + (1,) * t.ndim), axes=1)
