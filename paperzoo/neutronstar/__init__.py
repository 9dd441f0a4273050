"""Reconciling the HESS J1731-347 constraints with Parity doublet model (arXiv:2404.04786)

B. Gao, Y. Yan, M. Harada. A mean-field parity doublet model (nucleon and N*(1535) sharing a
chiral-invariant mass m0) is fitted to saturation properties and gives a β-equilibrated EOS;
glued to a crust and continued to high density it feeds a batched TOV + tidal solver whose M–R
curve is tested against HESS J1731-347, PSR J0740+6620 (M_max ≥ 2 M⊙), GW170817 (Λ_1.4) and
causality. Above 2 n0 the EOS crosses over to three-flavour NJL quark matter with CFL pairing
(``QuarkNJL``) or a CSS stand-in; analytic EOS (polytropes, SLy fit) are EOS objects too.
Method, deviations and results: docs/neutronstar.md.
"""

from paperzoo.neutronstar.analytic import AnalyticEOS, PiecewisePolytrope, Polytrope
from paperzoo.neutronstar.config import CSS, Crossover, PDMInputs, QuarkCSS, QuarkNJL
from paperzoo.neutronstar.crust import SLyFit, glue_crust, sly_crust, sly_fit, sly_full
from paperzoo.neutronstar.data import (
    HESS_J1731,
    Measurement,
    check_constraints,
    curve_crosses_box,
    hess_radius_interval,
    plot_mass_radius,
)
from paperzoo.neutronstar.eos import (
    build_eos,
    build_from_options,
    continue_eos,
    parse_continuation,
    pdm_eos_table,
)
from paperzoo.neutronstar.fit import fit_pdm, saturation_properties
from paperzoo.neutronstar.njl import NJLParams, NJLState, solve_cfl, solve_njl
from paperzoo.neutronstar.pdm import PDMParams
from paperzoo.neutronstar.scan import ScanPoint, ScanResult, evaluate_eos, parse_m0_range, scan_m0
from paperzoo.neutronstar.tov import (
    MassRadiusCurve,
    StarSolution,
    TabulatedEOS,
    love_number_k2,
    mass_radius,
    solve_tov,
)

ENTRY_POINTS = (
    "fit_pdm",
    "build_eos",
    "TabulatedEOS",
    "mass_radius",
    "check_constraints",
    "scan_m0",
)

__all__ = [
    "CSS",
    "AnalyticEOS",
    "NJLParams",
    "NJLState",
    "PiecewisePolytrope",
    "Polytrope",
    "QuarkNJL",
    "SLyFit",
    "parse_continuation",
    "solve_cfl",
    "solve_njl",
    "HESS_J1731",
    "Crossover",
    "MassRadiusCurve",
    "Measurement",
    "PDMInputs",
    "PDMParams",
    "QuarkCSS",
    "ScanPoint",
    "ScanResult",
    "StarSolution",
    "TabulatedEOS",
    "build_eos",
    "build_from_options",
    "check_constraints",
    "continue_eos",
    "curve_crosses_box",
    "evaluate_eos",
    "fit_pdm",
    "glue_crust",
    "hess_radius_interval",
    "love_number_k2",
    "mass_radius",
    "parse_m0_range",
    "pdm_eos_table",
    "plot_mass_radius",
    "saturation_properties",
    "scan_m0",
    "sly_crust",
    "sly_fit",
    "sly_full",
    "solve_tov",
]
