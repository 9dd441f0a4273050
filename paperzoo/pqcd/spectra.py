"""m_ππ and m_KK̄ spectra and the three angular distributions of a channel, and their figure
(docs/pqcd.md §2.4)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from paperzoo.core.plot import new_figure, save_figure
from paperzoo.pqcd.angular import angular_functions, combine
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.fourbody import amplitude_grid, channel, interference_matrices
from paperzoo.pqcd.kinematics import peaked_gauss_legendre

__all__ = ["angular_distributions", "mass_spectra", "plot_spectra"]


def mass_spectra(name: str, cfg: FourBodyConfig, inp: Mapping[str, float]) -> dict[str, np.ndarray]:
    """dΓ/dm_ππ on the m_ππ nodes and dΓ/dm_KK̄ on the m_KK̄ nodes of the decay [GeV/GeV]."""
    g = amplitude_grid(channel(name), cfg, inp)
    dens = (g.weights * np.sum(np.abs(combine(g.terms, g.weak)) ** 2, axis=-1)).reshape(
        cfg.n_pipi, cfg.n_kk
    )
    w1, w2 = g.w1.reshape(cfg.n_pipi, cfg.n_kk)[:, 0], g.w2.reshape(cfg.n_pipi, cfg.n_kk)[0]
    # Σ_j W_ij |A|² = (dΓ/dω1)_i v1_i: divide by the node weights of that axis
    _, v1 = peaked_gauss_legendre(
        *cfg.pipi_window, cfg.n_pipi, inp["m_rho"], inp["w_rho"] * cfg.width_scale
    )
    _, v2 = peaked_gauss_legendre(
        *cfg.kk_window, cfg.n_kk, inp["m_phi"], inp["w_phi"] * cfg.width_scale
    )
    return {"m_pipi": w1, "dG_dm_pipi": dens.sum(1) / v1, "m_KK": w2, "dG_dm_KK": dens.sum(0) / v2}


def angular_distributions(m: np.ndarray, n: int = 48) -> dict[str, np.ndarray]:
    """dΓ/dcosθ1, dΓ/dcosθ2, dΓ/dφ from the interference matrix: |A|² = Σ_kl M_kl g_k g_l*."""
    x, wx = np.polynomial.legendre.leggauss(n)
    ph = math.pi * (x + 1.0)
    wph = math.pi * wx
    c1, c2, p = np.meshgrid(x, x, ph, indexing="ij")
    g = angular_functions(c1, c2, p)
    dens = np.einsum("...k,kl,...l->...", g, m, np.conj(g)).real
    return {
        "cos": x,
        "dG_dcos1": np.einsum("ijk,j,k->i", dens, wx, wph),
        "dG_dcos2": np.einsum("ijk,i,k->j", dens, wx, wph),
        "phi": ph,
        "dG_dphi": np.einsum("ijk,i,j->k", dens, wx, wx),
    }


def plot_spectra(
    name: str, cfg: FourBodyConfig, inp: Mapping[str, float], out_dir: Path
) -> list[Path]:
    """Write ``pqcd_<channel>_masses.png`` and ``pqcd_<channel>_angles.png``; return the paths."""
    out_dir = Path(out_dir)
    spec = mass_spectra(name, cfg, inp)
    ang = angular_distributions(interference_matrices(name, cfg, inp)[0])
    label = channel(name).label
    fig, axes = new_figure(1, 2)
    for ax, key, xlabel in ((axes[0], "pipi", "m_ππ [GeV]"), (axes[1], "KK", "m_KK̄ [GeV]")):
        y = spec[f"dG_dm_{key}"]
        ax.plot(spec[f"m_{key}"], y / y.max(), marker=".")
        ax.set(xlabel=xlabel, ylabel="dΓ/dm (normalised)", title=label)
    paths = [save_figure(fig, out_dir / f"pqcd_{name}_masses.png")]
    fig, axes = new_figure(1, 3)
    for ax, x, key, xlabel in (
        (axes[0], ang["cos"], "dG_dcos1", "cos θ1 (π⁺)"),
        (axes[1], ang["cos"], "dG_dcos2", "cos θ2 (K⁺)"),
        (axes[2], ang["phi"], "dG_dphi", "φ [rad]"),
    ):
        y = ang[key]
        ax.plot(x, y / y.max())
        ax.set(xlabel=xlabel, ylabel="normalised", title=label, ylim=(0, 1.05))
    paths.append(save_figure(fig, out_dir / f"pqcd_{name}_angles.png"))
    return paths
