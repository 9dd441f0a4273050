"""High-level PDM EOS builder: fit → β-equilibrium table → continuation → crust.

Paper: arXiv:2404.04786 (Gao, Yan, Harada); method in docs/neutronstar.md §2. One call from m0 to a
TabulatedEOS for the TOV solver.
"""

from __future__ import annotations

import numpy as np

from paperzoo.neutronstar.constants import PDMInputs
from paperzoo.neutronstar.crust import glue_crust, sly_crust
from paperzoo.neutronstar.eos import CSS, Crossover, QuarkCSS, continue_eos, pdm_eos_table
from paperzoo.neutronstar.fit import fit_pdm
from paperzoo.neutronstar.tov import TabulatedEOS

__all__ = ["CSS", "Crossover", "PDMInputs", "QuarkCSS", "build_eos"]

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
    table = pdm_eos_table(params, n_max=pdm_top, n_points=n_points, n_min=n_min)
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
