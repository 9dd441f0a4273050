"""``paperzoo pqcd``: observables with input-range errors, spectra and angular distributions."""

from __future__ import annotations

import cmath
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.pqcd.config import FourBodyConfig
from paperzoo.pqcd.data import load_inputs
from paperzoo.pqcd.fourbody import CHANNELS, STAGE, channel
from paperzoo.pqcd.kt import bpi_form_factor, bs_form_factor, bv_form_factors
from paperzoo.pqcd.nonfact import (
    nonfactorisable_emission,
    scalar_nonfactorisable,
    transverse_nonfactorisable,
)
from paperzoo.pqcd.spectra import plot_spectra
from paperzoo.pqcd.uncertainty import observables_with_errors

app = typer.Typer(
    help="Four-body B_(s) → (ππ)(KK̄) decays: helicity amplitudes, CP and TPAs (arXiv:2404.19198).",
    no_args_is_help=True,
)
console = Console()

CHANNEL = Annotated[str, typer.Option("--channel", help=f"One of {', '.join(CHANNELS)}.")]
PIPI = Annotated[str, typer.Option("--pipi-window", help="m_ππ window LOW:HIGH [GeV].")]
KK = Annotated[str, typer.Option("--kk-window", help="m_KK̄ window LOW:HIGH [GeV].")]
INPUTS = Annotated[
    Path | None, typer.Option("--inputs", help="Input file (default: the shipped inputs.json).")
]
RHO_W = Annotated[float | None, typer.Option("--rho-width", help="Override Γ_ρ [GeV].")]
PHI_W = Annotated[float | None, typer.Option("--phi-width", help="Override Γ_φ [GeV].")]
A2 = Annotated[float | None, typer.Option("--a2-rho", help="Override the ρ Gegenbauer a₂.")]
DYN = Annotated[
    str,
    typer.Option(
        "--dynamics",
        help=(
            "B1 (naive factorisation), B2 (longitudinal part from kT A_0(0)), B3L (B2 plus the "
            "LO non-factorisable longitudinal emission) or B3 (B3L plus the transverse one)."
        ),
    ),
]
SWAVE = Annotated[
    bool,
    typer.Option(
        "--swave/--no-swave",
        help=("Add the f0(980) S-wave (docs/pqcd.md §2.16; kT at B3, §2.19); on by default."),
    ),
]

#: (key, label, scale, unit) of the table rows
ROWS = (
    ("br_two_body", "B(B → ρφ) two-body", 1e7, "×10⁻⁷"),
    ("br_extracted", "B(four-body) / [B(ρ→ππ)B(φ→K⁺K⁻)]", 1e7, "×10⁻⁷"),
    ("br_four_body", "B(B → (π π)(K⁺K⁻)) in windows", 1e7, "×10⁻⁷"),
    ("f_swave", "S-wave fraction of the window rate", 1, ""),
    ("br_phi_f0", "B(B → φ f0(→π⁺π⁻)) from the SV rate", 1e7, "×10⁻⁷"),
    ("f0", "f_0", 1, ""),
    ("f_para", "f_∥", 1, ""),
    ("f_perp", "f_⊥", 1, ""),
    ("phi_para", "φ_∥ [rad]", 1, ""),
    ("phi_perp", "φ_⊥ [rad]", 1, ""),
    ("acp_dir", "A_CP^dir", 100, "%"),
    ("acp_pwave", "A_CP^dir (ρφ, P-wave rate)", 100, "%"),
    ("a_t1_true", "A_T-true^1", 100, "%"),
    ("a_t1_fake", "A_T-fake^1", 100, "%"),
    ("a_t2_true", "A_T-true^2", 100, "%"),
    ("a_t2_fake", "A_T-fake^2", 100, "%"),
    ("a_t1_true_ave", "A_T-true^1,ave", 100, "%"),
)


def _window(text: str, option: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise ValueError(f"{option}: expected LOW:HIGH in GeV, got {text!r}") from None
    return lo, hi


def _setup(
    pipi: str,
    kk: str,
    inputs: Path | None,
    rho_w,
    phi_w,
    a2,
    dynamics: str = "B1",
    swave: bool = False,
):
    cfg = FourBodyConfig(
        pipi_window=_window(pipi, "--pipi-window"),
        kk_window=_window(kk, "--kk-window"),
        dynamics=dynamics,
        swave=swave,
    )
    inp = load_inputs(inputs)
    overrides = {
        k: v for k, v in (("w_rho", rho_w), ("w_phi", phi_w), ("a2_rho", a2)) if v is not None
    }
    return cfg, inp.with_values(**overrides) if overrides else inp


def _fail(err: Exception) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(2)


@app.command("observables")
def observables_command(
    channel_name: CHANNEL = "Bs_rho0phi",
    pipi_window: PIPI = "0.28:1.3",
    kk_window: KK = "0.99:1.05",
    inputs: INPUTS = None,
    rho_width: RHO_W = None,
    phi_width: PHI_W = None,
    a2_rho: A2 = None,
    dynamics: DYN = STAGE,
    swave: SWAVE = True,
) -> None:
    """Table of every observable of one channel, errors from the input ranges."""
    try:
        ch = channel(channel_name)
        cfg, inp = _setup(
            pipi_window, kk_window, inputs, rho_width, phi_width, a2_rho, dynamics, swave
        )
        values = observables_with_errors(ch.name, cfg, inp)
    except (ValueError, TypeError, KeyError, OSError) as err:
        _fail(err)
    table = Table(
        "observable",
        "value",
        "−",
        "+",
        "unit",
        title=f"{ch.label} (stage {cfg.dynamics}{' + S-wave' if cfg.swave else ''})",
    )
    for key, label, scale, unit in ROWS:
        v, lo, hi = values[key]
        table.add_row(label, f"{v * scale:.4g}", f"{lo * scale:.2g}", f"{hi * scale:.2g}", unit)
    console.print(table)


@app.command("spectrum")
def spectrum_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the PNGs.")] = Path("."),
    channel_name: CHANNEL = "Bs_rho0phi",
    pipi_window: PIPI = "0.28:1.3",
    kk_window: KK = "0.99:1.05",
    inputs: INPUTS = None,
    rho_width: RHO_W = None,
    phi_width: PHI_W = None,
) -> None:
    """m_ππ and m_KK̄ spectra and the cos θ1, cos θ2, φ distributions as PNG."""
    try:
        ch = channel(channel_name)
        cfg, inp = _setup(pipi_window, kk_window, inputs, rho_width, phi_width, None)
        paths = plot_spectra(ch.name, cfg, inp, out)
    except (ValueError, TypeError, KeyError, OSError) as err:
        _fail(err)
    for p in paths:
        console.print(f"wrote {p}")


#: (B → S set, emitted vector) of the S-wave terms (docs/pqcd.md §2.19)
_S_WAVE_PAIRS = (("Bs_f0", "rho"), ("Bs_f0", "phi"), ("B_f0", "phi"), ("B_f0", "rho"))


@app.command("formfactor")
def formfactor_command(
    omega_b: Annotated[float, typer.Option("--omega-b", help="B-meson shape ω_B [GeV].")] = 0.40,
    a2_pi: Annotated[float, typer.Option("--a2-pi", help="Pion twist-2 Gegenbauer a₂.")] = 0.25,
    inputs: INPUTS = None,
) -> None:
    """Stage-B2 check: F^{B→π}(0) and A_0, A_1, V^{B→V}(0) at LO in kT factorisation vs published
    and LCSR values; stage B3: the non-factorisable amplitudes M̂ (longitudinal: units of A_0;
    transverse helicities ±: units of the transverse form factor, per unit r_3); the kT B → f0
    form factor and the non-factorisable S-wave M̂_S (units of F, docs/pqcd.md §2.19)."""
    try:
        inp = load_inputs(inputs)
        value = bpi_form_factor(inp, omega_B=omega_b, a2_pi=a2_pi)
        ref = inp.record("FF_Bpi_PQCD_published")
        ff_phi = bv_form_factors("Bs_phi", inp)
        ff_rho = bv_form_factors("B_rho", inp, omega_B=omega_b)
        a0_phi, a0_rho = ff_phi["A0"], ff_rho["A0"]
        ref_phi = inp.record("FF_Bs_phi_A0_PQCD_published")
        ref_v, ref_a1 = inp["FF_B_rho_V_PQCD_published"], inp["FF_B_rho_A1_PQCD_published"]
        nf = {w: nonfactorisable_emission(w, inp) for w in ("Bs_phi", "B_rho")}
        nft = {w: transverse_nonfactorisable(w, inp) for w in ("Bs_phi", "B_rho")}
        f_s = {w: bs_form_factor(w, inp) for w in ("Bs_f0", "B_f0")}
        nfs = {(w, e): scalar_nonfactorisable(w, e, inp) for w, e in _S_WAVE_PAIRS}
    except (ValueError, TypeError, KeyError, OSError) as err:
        _fail(err)
    console.print(
        f"F^(B→π)(0) = {value:.4f} (ω_B = {omega_b:g} GeV, a2_π = {a2_pi:g}); published PQCD "
        f"{ref.value:g} ± {ref.high - ref.value:g}"
    )
    console.print(
        f"A_0^(Bs→φ)(0) = {a0_phi:.4f} (ω_Bs = {inp['omega_Bs']:g} GeV); published PQCD "
        f"{ref_phi.value:g} ± {ref_phi.high - ref_phi.value:g}"
    )
    console.print(f"A_0^(B→ρ)(0) = {a0_rho:.4f} (ω_B = {omega_b:g} GeV); no published value filed")
    console.print(
        f"A_1^(Bs→φ)(0) = {ff_phi['A1']:.4f}, V^(Bs→φ)(0) = {ff_phi['V']:.4f}; A_1^(B→ρ)(0) = "
        f"{ff_rho['A1']:.4f}, V^(B→ρ)(0) = {ff_rho['V']:.4f} (recalled published PQCD "
        f"{ref_a1:g}, {ref_v:g})"
    )
    for w, label in (("Bs_phi", "Bs → φ, ρ emitted"), ("B_rho", "B → ρ, φ emitted")):
        m = nf[w]["LL"]
        console.print(
            f"stage B3: non-factorisable M̂^LL ({label}) = {m.real:.4f} {m.imag:+.4f}i "
            f"(|M̂| = {abs(m):.4f}, phase {math.degrees(cmath.phase(m)):.0f}°; M̂^LR = −M̂^LL)"
        )
        for hel in (-1, 1):
            m = nft[w][hel]["LL"]
            console.print(
                f"stage B3: transverse M̂_{'+' if hel > 0 else '−'}^LL ({label}) = "
                f"{m.real:.4f} {m.imag:+.4f}i; M̂^LR = {nft[w][hel]['LR'].real:.4f} "
                f"{nft[w][hel]['LR'].imag:+.4f}i"
            )
    console.print(
        f"S-wave (§2.19): F^(Bs→f0, ss̄)(0) = {f_s['Bs_f0']:.4f}, F^(B→f0, dd̄)(0) = "
        f"{f_s['B_f0']:.4f} in kT (no published value filed; LCSR F_1 = {inp['f0_F1_0']:g})"
    )
    for (w, e), m in nfs.items():
        ll = m["LL"]
        console.print(
            f"S-wave non-factorisable M̂_S^LL ({w}, {e} emitted) = {ll.real:.4f} {ll.imag:+.4f}i "
            f"(units of F; M̂^LR = −M̂^LL)"
        )
