"""Parity doublet model EOS, TOV mass–radius and the HESS J1731-347 test (arXiv:2404.04786)

B. Gao, Y. Yan, M. Harada, "Reconciling the HESS J1731-347 constraints with Parity doublet model"
(arXiv:2404.04786). A mean-field parity doublet model (chiral-invariant nucleon mass m0) gives a
β-equilibrated EOS; glued to a crust it feeds a batched TOV + tidal solver whose M–R curve is
tested against HESS J1731-347, PSR J0740+6620 (M_max ≥ 2 M⊙), GW170817 (Λ_1.4) and causality.
"""

from paperzoo.neutronstar.constants import PDMInputs
from paperzoo.neutronstar.crust import glue_crust, sly_crust, sly_fit, sly_full
from paperzoo.neutronstar.eos import pdm_eos_table
from paperzoo.neutronstar.fit import fit_pdm, saturation_properties
from paperzoo.neutronstar.observations import (
    HESS_J1731,
    Measurement,
    check_constraints,
    curve_crosses_box,
    hess_radius_interval,
    plot_mass_radius,
)
from paperzoo.neutronstar.pdm import PDMParams
from paperzoo.neutronstar.scan import ScanPoint, ScanResult, parse_m0_range, scan_m0
from paperzoo.neutronstar.tov import (
    MassRadiusCurve,
    StarSolution,
    TabulatedEOS,
    love_number_k2,
    mass_radius,
    solve_tov,
    solve_tov_reference,
)

__all__ = [
    "HESS_J1731",
    "MassRadiusCurve",
    "Measurement",
    "PDMInputs",
    "PDMParams",
    "ScanPoint",
    "ScanResult",
    "StarSolution",
    "TabulatedEOS",
    "check_constraints",
    "curve_crosses_box",
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
    "solve_tov_reference",
]
