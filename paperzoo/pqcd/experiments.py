"""The runs the claims read (core cache): per-channel observables with input-range errors, and the
strong-phase probe of the CP structure. Grid sizes come from the scale."""

from __future__ import annotations

import numpy as np

from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Scale
from paperzoo.pqcd import fourbody
from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.fourbody import CHANNELS, evaluate
from paperzoo.pqcd.uncertainty import observables_with_errors

__all__ = [
    "b3_observables",
    "channel_observables",
    "grid_config",
    "kt_longitudinal_observables",
    "strong_phase_probe",
]


def grid_config(scale: Scale, **kwargs) -> FourBodyConfig:
    """Default windows with ``scale``'s Gauss–Legendre points (m_ππ × m_KK̄)."""
    n1, n2 = Scale.parse(scale).pick(smoke=(24, 16), quick=(64, 48), full=(128, 96))
    return FourBodyConfig(n_pipi=n1, n_kk=n2, **kwargs)


@experiment()
def channel_observables(channel: str, scale: Scale) -> dict[str, float]:
    """Every observable of ``channel`` with ``<name>_lo``/``<name>_hi`` errors from the ranges."""
    out: dict[str, float] = {}
    for key, (value, lo, hi) in observables_with_errors(channel, grid_config(scale)).items():
        out |= {key: value, f"{key}_lo": lo, f"{key}_hi": hi}
    return out


@experiment()
def kt_longitudinal_observables(channel: str, scale: Scale) -> dict[str, float]:
    """As ``channel_observables`` with the stage-B2 option (longitudinal amplitude normalised to
    the kT-factorisation A_0(0), docs/pqcd.md §2.13), plus that A_0(0) and the LCSR ratio."""
    cfg = grid_config(scale, dynamics="B2")
    out: dict[str, float] = {}
    for key, (value, lo, hi) in observables_with_errors(channel, cfg).items():
        out |= {key: value, f"{key}_lo": lo, f"{key}_hi": hi}
    ch = fourbody.channel(channel)
    ratio = fourbody.longitudinal_scale(ch, cfg, load_inputs())
    return out | {"kt_over_lcsr_a0": ratio}


@experiment()
def b3_observables(channel: str, scale: Scale) -> dict[str, float]:
    """As ``channel_observables`` at stage B3 (kT A_0(0), A_1(0), V(0) plus the LO
    non-factorisable emission in all three helicities, docs/pqcd.md §2.15, §2.17) with the f0(980)
    S-wave (kT vector emission, §2.19; f0 emission §2.18), plus the non-factorisable longitudinal
    amplitudes (n_u, n_t relative to A_0^{LCSR}(0)) and the kT/LCSR form-factor ratios of the
    central inputs."""
    cfg = grid_config(scale, dynamics="B3", swave=True)
    out: dict[str, float] = {}
    for key, (value, lo, hi) in observables_with_errors(channel, cfg).items():
        out |= {key: value, f"{key}_lo": lo, f"{key}_hi": hi}
    inp = load_inputs()
    ch = fourbody.channel(channel)
    n_u, n_t = fourbody.nonfact_longitudinal(ch, cfg, inp)
    s_a1, s_v = fourbody.transverse_scales(ch, cfg, inp)
    return out | {
        "kt_over_lcsr_a0": fourbody.longitudinal_scale(ch, cfg, inp),
        "kt_over_lcsr_a1": s_a1,
        "kt_over_lcsr_v": s_v,
        "nf_u_re": n_u.real,
        "nf_u_im": n_u.imag,
        "nf_t_re": n_t.real,
        "nf_t_im": n_t.imag,
    }


@experiment()
def strong_phase_probe(seed: int, scale: Scale) -> dict[str, float]:
    """Observables of every channel with random extra strong phases (seeded) on each wave and
    CKM term (stage B1 with the S-wave of §2.16): single-CKM channels must keep
    A_CP = A_T-true = 0, two-CKM ones need not."""
    rng = np.random.default_rng(seed)
    phases = tuple(tuple(row) for row in rng.uniform(-np.pi, np.pi, (2, 6)).tolist())
    cfg = grid_config(scale, strong_phases=phases, swave=True)
    out: dict[str, float] = {}
    for name in CHANNELS:
        for key, value in evaluate(name, cfg).obs.as_dict().items():
            out[f"{name}.{key}"] = value
    return out
