"""Baseline: the interference matrices by ``scipy.integrate.nquad``, one adaptive 2-D integral
per distinct non-zero real entry, the integrand evaluated point by point (docs/pqcd.md §2.7).

It uses the same amplitudes as ours (``fourbody.point_amplitudes``); only the quadrature differs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.integrate import nquad

from paperzoo.pqcd.angular import Observables, observables
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.fourbody import channel, point_amplitudes

__all__ = ["nquad_matrix", "nquad_observables"]


def nquad_matrix(
    name: str,
    cfg: FourBodyConfig,
    inp: Mapping[str, float],
    bar: bool,
    epsrel: float = 1e-3,
    diagonal_only: bool = False,
    max_waves: int = 6,
) -> np.ndarray:
    """M_kl [6, 6] of channel ``name`` (or of its CP conjugate with ``bar``) by nquad; waves
    whose amplitude vanishes at the pole masses are skipped; ``diagonal_only`` fills only M_kk,
    ``max_waves`` keeps the first waves only (a cheap subset for smoke runs)."""
    ch = channel(name)
    peaks = (inp["m_rho"], inp["m_phi"])
    probe = point_amplitudes(ch, cfg, inp, *peaks, bar)
    waves = [k for k in range(6) if abs(probe[k]) > 0][:max_waves]
    # absolute tolerance: epsrel × (peak height × widths), the size of the rate integral
    size = float(np.sum(np.abs(probe) ** 2)) * inp["w_rho"] * inp["w_phi"] * cfg.width_scale**2
    opts = {"epsrel": epsrel, "epsabs": epsrel * size, "limit": 100}
    ranges = [cfg.pipi_window, cfg.kk_window]
    point_opts = [{**opts, "points": [peaks[0]]}, {**opts, "points": [peaks[1]]}]
    m = np.zeros((6, 6), dtype=complex)
    for i, k in enumerate(waves):
        for j in waves[i:] if not diagonal_only else [k]:

            def entry(a: float, b: float, k: int = k, j: int = j) -> complex:
                amp = point_amplitudes(ch, cfg, inp, a, b, bar)
                return complex(amp[k] * np.conj(amp[j]))

            re = nquad(lambda a, b: entry(a, b).real, ranges, opts=point_opts)[0]
            if k == j:
                m[k, k] = re
                continue
            im = nquad(lambda a, b: entry(a, b).imag, ranges, opts=point_opts)[0]
            m[k, j], m[j, k] = complex(re, im), complex(re, -im)
    return m


def nquad_observables(
    name: str, cfg: FourBodyConfig, inp: Mapping[str, float], epsrel: float = 1e-3
) -> Observables:
    """Observables of channel ``name`` from nquad interference matrices over (m_ππ, m_KK̄)."""
    return observables(
        nquad_matrix(name, cfg, inp, False, epsrel), nquad_matrix(name, cfg, inp, True, epsrel)
    )
