"""``paperzoo neutronstar``: fit the PDM, write EOS tables, M–R curves and m0 scans."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.neutronstar import fit as pdm_fit
from paperzoo.neutronstar import scan as m0_scan
from paperzoo.neutronstar.data import plot_mass_radius
from paperzoo.neutronstar.eos import build_from_options
from paperzoo.neutronstar.tov import TabulatedEOS

app = typer.Typer(
    help="Parity doublet model neutron stars vs HESS J1731-347 (arXiv:2404.04786).",
    no_args_is_help=True,
)
console = Console()

M0 = Annotated[float, typer.Option("--m0", help="Chiral-invariant mass m0 [MeV].")]
L0 = Annotated[float, typer.Option("--L0", help="Symmetry-energy slope L0 [MeV] (sets λ_ωρ).")]
NMATCH = Annotated[float, typer.Option("--n-match", help="Crust matching density in units of n0.")]
CONT = Annotated[
    str,
    typer.Option(
        "--continuation",
        help="High-density continuation: none, css, crossover, njl or njl:<H/G>,<g_V/G>.",
    ),
]


def _fmt(value: float | bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if isinstance(value, float) and math.isnan(value) else f"{value:.4g}"


@app.command()
def fit(m0: M0 = 850.0, l0: L0 = 57.7) -> None:
    """Fit the PDM parameters at m0 and print them with the recomputed saturation properties."""
    params = pdm_fit.fit_pdm(m0, L0=l0)
    table = Table("parameter", "value", title=f"PDM parameters, m0 = {m0:g} MeV, L0 = {l0:g} MeV")
    for name in ("g1", "g2", "mu2bar", "lambda4", "lambda6", "g_omega", "g_rho"):
        table.add_row(name, _fmt(getattr(params, name)))
    table.add_row("lambda_omega_rho", _fmt(params.lambda_omega_rho))
    table.add_row("m_sigma [MeV]", _fmt(params.m_sigma))
    console.print(table)
    sat = Table("saturation property", "value", title="recomputed from the fitted EOS")
    for name, value in pdm_fit.saturation_properties(params).items():
        sat.add_row(name, _fmt(value))
    console.print(sat)


@app.command()
def eos(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (ε, P, n_B).")],
    m0: M0 = 850.0,
    l0: L0 = 57.7,
    n_match: NMATCH = 0.5,
    continuation: CONT = "css",
) -> None:
    """Build the crust-glued β-equilibrium EOS and write it as CSV."""
    table = build_from_options(m0, L0=l0, n_match_n0=n_match, continuation=continuation)
    path = table.to_csv(out)
    console.print(f"wrote {len(table)} points to {path}: {table!r}")


@app.command()
def mr(
    m0: M0 = 850.0,
    l0: L0 = 57.7,
    n_match: NMATCH = 0.5,
    continuation: CONT = "css",
    eos_csv: Annotated[
        Path | None, typer.Option("--eos-csv", help="Use this EOS table (ε, P[, n]) instead.")
    ] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="PNG with the M–R curve.")] = None,
    n_stars: Annotated[int, typer.Option("--n-stars", help="Stars on the curve.")] = 50,
) -> None:
    """Solve the M–R curve (TOV + tides) and check the observational constraints."""
    if eos_csv is not None:
        table: TabulatedEOS = TabulatedEOS.from_csv(eos_csv)
        label = eos_csv.name
    else:
        table = build_from_options(m0, L0=l0, n_match_n0=n_match, continuation=continuation)
        label = f"PDM m0={m0:g}, L0={l0:g}"
    curve, checks = m0_scan.evaluate_eos(table, n_stars=n_stars)
    out = Table("quantity", "value", title=f"M–R curve: {label}")
    out.add_row("R(M_max) [km]", _fmt(curve.radius_at_max_mass))
    for key, value in checks.items():
        out.add_row(key, _fmt(value))
    console.print(out)
    if plot is not None:
        console.print(f"plot: {plot_mass_radius({label: curve}, plot, title=label)}")


@app.command("scan")
def scan_command(
    m0: Annotated[str, typer.Option("--m0", help="START:STOP:STEP [MeV], e.g. 500:900:25.")] = (
        "500:900:50"
    ),
    l0: L0 = 57.7,
    n_match: NMATCH = 0.5,
    continuation: CONT = "css",
    hess_sigma: Annotated[float, typer.Option(help="HESS box used for 'passes all'.")] = 2.0,
) -> None:
    """Scan m0: R(0.77), R_1.4, M_max, Λ_1.4, constraints, and the m0 window passing all."""
    result = m0_scan.scan_m0(
        m0_scan.parse_m0_range(m0),
        hess_sigma=hess_sigma,
        builder=build_from_options,
        L0=l0,
        n_match_n0=n_match,
        continuation=continuation,
    )
    table = Table("m0", "R(0.77)", "R_1.4", "M_max", "Λ_1.4", "HESS 1σ", "HESS 2σ", "all")
    for p in result.points:
        if p.error:
            table.add_row(_fmt(p.m0), f"error: {p.error}", *[""] * 6)
            continue
        table.add_row(
            *(_fmt(v) for v in (p.m0, p.radius_0p77, p.radius_1p4, p.max_mass, p.lambda_1p4)),
            *(_fmt(v) for v in (p.hess_1sigma, p.hess_2sigma, p.passes_all)),
        )
    console.print(table)
    window = result.window
    console.print(
        "m0 window passing all: "
        + ("none" if window is None else f"{window[0]:g}–{window[1]:g} MeV")
        + ("" if window is None or result.window_is_contiguous else " (not contiguous)")
    )
