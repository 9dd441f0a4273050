"""CP-violating observables of four-body B(s)→(ππ)(KK̄) decays in PQCD (arXiv:2404.19198)

D.-C. Yan, Y. Yan, Z. Rui. The decays B̄s → ρ0φ, B̄0 → ρ0φ and B− → ρ−φ are written as four-body
decays B → (π π)(K⁺K⁻) with six helicity amplitudes (three P-wave VV and three S-wave), ρ as a
Gounaris–Sakurai, φ as a relativistic Breit–Wigner with barrier factors, f0(980) as a Flatté
lineshape; the observables are the branching ratio, polarisation fractions, relative phases,
direct CP asymmetry and the true, fake and averaged triple-product asymmetries. This system builds
the framework (stage B0) and the naive-factorisation quasi-two-body dynamics (stage B1); the
leading-order kT-factorisation machinery (stage B2) gives the B → π and B → V (A_0) form factors,
checked against published PQCD values, and an option that normalises the longitudinal amplitude to
the kT A_0(0); stage B3 (partial) adds the LO non-factorisable emission in all three helicities,
whose on-shell quark propagator gives the strong phases (Dirac numerators derived from explicit
traces); the S-wave B3 amplitudes are not built. LO Wilson running cross-checks
the typed coefficients. Method, stages and results: docs/pqcd.md.
"""

from paperzoo.pqcd.angular import (
    WAVES,
    Observables,
    angular_functions,
    cp_conjugate,
    differential_rate,
    interference_matrix,
    monte_carlo_tpa,
    observables,
    tpa_from_matrix,
)
from paperzoo.pqcd.ckm import ckm_matrix, weak_factors
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.das import check_gegenbauer, p_wave_twist2
from paperzoo.pqcd.data import Input, Inputs, load_inputs, parse_inputs
from paperzoo.pqcd.factorization import effective_coefficients, form_factors, helicity_amplitudes
from paperzoo.pqcd.fourbody import (
    CHANNELS,
    STAGE,
    Channel,
    ChannelResult,
    amplitude_grid,
    channel,
    evaluate,
    interference_matrices,
    longitudinal_scale,
    two_body_rate,
    window_fraction,
)
from paperzoo.pqcd.kt import bpi_form_factor, bv_form_factor_a0, bv_form_factors, sudakov_s
from paperzoo.pqcd.lineshapes import (
    flatte_denominator,
    gs_denominator,
    gs_form_factor,
    rbw_denominator,
)
from paperzoo.pqcd.nonfact import collinear_numerators, nonfactorisable_emission
from paperzoo.pqcd.spectra import angular_distributions, mass_spectra, plot_spectra
from paperzoo.pqcd.uncertainty import observables_with_errors
from paperzoo.pqcd.wilson import lo_wilson_coefficients

ENTRY_POINTS = (
    "evaluate",
    "observables_with_errors",
    "FourBodyConfig",
    "load_inputs",
    "plot_spectra",
)

__all__ = [
    "CHANNELS",
    "STAGE",
    "collinear_numerators",
    "nonfactorisable_emission",
    "WAVES",
    "Channel",
    "ChannelResult",
    "FourBodyConfig",
    "Input",
    "Inputs",
    "Observables",
    "amplitude_grid",
    "angular_distributions",
    "angular_functions",
    "bpi_form_factor",
    "bv_form_factor_a0",
    "bv_form_factors",
    "channel",
    "check_gegenbauer",
    "ckm_matrix",
    "cp_conjugate",
    "differential_rate",
    "effective_coefficients",
    "evaluate",
    "flatte_denominator",
    "form_factors",
    "gs_denominator",
    "gs_form_factor",
    "helicity_amplitudes",
    "interference_matrices",
    "interference_matrix",
    "load_inputs",
    "longitudinal_scale",
    "lo_wilson_coefficients",
    "mass_spectra",
    "monte_carlo_tpa",
    "observables",
    "observables_with_errors",
    "p_wave_twist2",
    "parse_inputs",
    "plot_spectra",
    "rbw_denominator",
    "sudakov_s",
    "tpa_from_matrix",
    "two_body_rate",
    "weak_factors",
    "window_fraction",
]
