"""Registered reproductions of arXiv:2404.04786 (Gao, Yan, Harada): HESS radius, m0 window, trend.

EOS for every claim: PDM (ω–ρ mixing fixed by L0) in β-equilibrium, HP04 SLy crust glued at
``n_match``, and above 2 n0 the paper's lineage, ``NJL``: the crossover to CFL NJL quark matter
at 5 n0 (default (H, g_V)/G), the headline of every claim since issue 17; the landed stand-in
``CONTINUATION`` (CSS above 2 n0) is measured side by side, with its own verdict by the same
criterion. The paper's exact L0, crust matching and (H, g_V) are not known
(docs/neutronstar.md §3.1), so the knobs L0, the matching density and (H, g_V) are measured
alongside. Every curve is an ``experiments.eos_evaluation`` (cached, shared by the claims and
their plots); each claim's ``plan`` lists the ones it reads.
"""

from __future__ import annotations

import math
from pathlib import Path

from paperzoo.core.experiments import ExperimentCall
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction
from paperzoo.neutronstar.data import (
    HESS_J1731,
    curve_crosses_box,
    hess_radius_interval,
    plot_mass_radius,
)
from paperzoo.neutronstar.experiments import eos_evaluation, evaluated
from paperzoo.neutronstar.scan import radius_at_hess_mass

QUICK_BUDGET_S = 60.0  # the three claims at quick scale, empty cache, 2 cores

M0_PAPER = 850.0
L0_DEFAULT = 57.7
N_MATCH_DEFAULT = 0.5  # units of n0
NJL = "njl"  # crossover 2 n0 -> 5 n0 to CFL NJL, default (H, g_V)/G = (1.5, 0.8)
CONTINUATION = "css"  # the stand-in of the landed system, side by side
L0_KNOBS = (45.0, 40.0)
N_MATCH_KNOBS = (0.3, 0.7)


def _njl_scan(scale: Scale) -> tuple[str, ...]:
    """(H, g_V)/G settings besides the default (full scale only: a CFL solve each)."""
    scan = (
        "njl:1.4,0.5",
        "njl:1.6,1.0",
        "njl:1.5,1.0",
        "njl:1.5,1.3",
        "njl:1.4,0.8",
        "njl:1.6,0.8",
    )
    return scale.pick(smoke=(), quick=(), full=scan)


def _label(continuation: str) -> str:
    """Key fragment of a continuation: 'css', 'njl', 'njl_H1.4_gV0.5'."""
    head, _, arg = continuation.partition(":")
    if not arg:
        return head
    h, g = arg.split(",")
    return f"{head}_H{h}_gV{g}"


def _try(m0: float, l0: float, n_match: float, continuation: str, scale: Scale):  # noqa: ANN202
    """(curve, checks), or (None, error message) for a failed build."""
    try:
        return evaluated(m0, l0, n_match, continuation, scale)
    except ValueError as err:
        return None, str(err)


def _r077(m0: float, l0: float, n_match: float, scale: Scale, continuation: str = NJL) -> float:
    curve, _ = _try(m0, l0, n_match, continuation, scale)
    return math.nan if curve is None else radius_at_hess_mass(curve)


# --- (1) R(0.77 M⊙) at m0 = 850 MeV vs the HESS boxes ----------------------------------------
def _hess_verdict(r: float) -> tuple[str, str]:
    """(status, text) of R(0.77) against the 1σ and 2σ radius intervals."""
    lo1, hi1 = hess_radius_interval(1.0)
    lo2, hi2 = hess_radius_interval(2.0)
    if not math.isfinite(r):
        return "not reproduced", "the M–R branch does not reach 0.77 M_sun (or the build failed)"
    if lo1 <= r <= hi1:
        return "reproduced", f"R(0.77) = {r:.2f} km inside the 1σ box [{lo1:.2f}, {hi1:.2f}]"
    if lo2 <= r <= hi2:
        return "partial", (
            f"R(0.77) = {r:.2f} km inside 2σ [{lo2:.2f}, {hi2:.2f}] but outside 1σ "
            f"[{lo1:.2f}, {hi1:.2f}]"
        )
    return "not reproduced", f"R(0.77) = {r:.2f} km outside the 2σ box [{lo2:.2f}, {hi2:.2f}]"


def hess_criterion(runs: list[Measurement]) -> Verdict:
    """Reproduced if R(0.77) lies in the 1σ R interval, partial if only in 2σ, else not.

    Judged on the headline ``R_0.77`` (the NJL crossover); the CSS stand-in's R(0.77) and its
    verdict by the same rule are quoted alongside when measured.
    """
    r = runs[0]
    status, text = _hess_verdict(r["R_0.77"])
    if "R_0.77_css" in r:
        css_status, css_text = _hess_verdict(r["R_0.77_css"])
        text += f"; CSS stand-in: {css_status}, {css_text}"
    make = {
        "reproduced": Verdict.reproduced,
        "partial": Verdict.partial,
        "not reproduced": Verdict.not_reproduced,
    }[status]
    return make(text)


def _knobs(scale: Scale) -> list[tuple[float, float, str]]:
    """(L0, n_match / n0, continuation) of the knobs at m0 = 850 (none at smoke)."""
    if scale.pick(smoke=True, quick=False, full=False):
        return []
    return [
        *((l0, N_MATCH_DEFAULT, c) for l0 in L0_KNOBS for c in (NJL, CONTINUATION)),
        *((L0_DEFAULT, nm, NJL) for nm in N_MATCH_KNOBS),
    ]


def _hess_settings(scale: Scale) -> list[tuple[float, float, str]]:
    """(L0, n_match / n0, continuation) at m0 = 850: NJL default, CSS, (H, g_V), the knobs."""
    return [
        (L0_DEFAULT, N_MATCH_DEFAULT, NJL),
        (L0_DEFAULT, N_MATCH_DEFAULT, CONTINUATION),
        *((L0_DEFAULT, N_MATCH_DEFAULT, c) for c in _njl_scan(scale)),
        *_knobs(scale),
    ]


def _plan_hess(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [eos_evaluation.call(M0_PAPER, l0, nm, c, scale) for l0, nm, c in _hess_settings(scale)]


def _plot_hess(runs: list[Measurement], out_dir: Path, scale: Scale) -> list[Path]:
    curves = {}
    for l0, nm, c in _hess_settings(scale):
        curve, _ = _try(M0_PAPER, l0, nm, c, scale)
        if curve is not None:
            curves[f"{_label(c)}, L0={l0:g}, n_match={nm:g} n0"] = curve
    path = out_dir / "neutronstar_hess_m0_850.png"
    return [plot_mass_radius(curves, path, title="PDM m0 = 850 MeV: NJL vs CSS, knobs")]


@reproduction(
    name="hess_radius_m0_850",
    title="R(0.77 M⊙) in the HESS box at m0 = 850 MeV",
    claim=(
        "With m0 ≃ 850 MeV the PDM neutron star of 0.77 M⊙ has a radius compatible with HESS "
        "J1731-347 (M = 0.77 +0.20/−0.17 M⊙, R = 10.4 +0.86/−0.78 km) (abstract, Sec. IV); "
        "judged with the NJL crossover, CSS stand-in alongside"
    ),
    paper_value="R(0.77 M⊙) inside the HESS J1731-347 region for m0 = 850 MeV",
    headline="R_0.77",
    criterion=hess_criterion,
    unit="km",
    stochastic=False,
    plan=_plan_hess,
    plot=_plot_hess,
)
def measure_hess_radius(seed: int, scale: Scale) -> Measurement:
    """R(0.77), M_max, Λ_1.4 at m0 = 850 MeV with the NJL crossover and with CSS; the L0 and
    crust-matching knobs (NJL); the (H, g_V)/G scan (a failed build: NaN and its reason)."""
    lo1, hi1 = hess_radius_interval(1.0)
    result: Measurement = {"hess_1sigma_R_lo": lo1, "hess_1sigma_R_hi": hi1}
    for c in (NJL, CONTINUATION, *_njl_scan(scale)):
        curve, checks = _try(M0_PAPER, L0_DEFAULT, N_MATCH_DEFAULT, c, scale)
        suffix = "" if c == NJL else f"_{_label(c)}"
        if curve is None:
            result |= {f"R_0.77{suffix}": math.nan, f"M_max{suffix}": math.nan}
            result |= {f"Lambda_1.4{suffix}": math.nan, f"build_failed{suffix}": 1.0}
            continue
        result |= {
            f"R_0.77{suffix}": radius_at_hess_mass(curve),
            f"M_max{suffix}": curve.max_mass,
            f"Lambda_1.4{suffix}": float(checks["lambda_1p4"]),
        }
        if c in (NJL, CONTINUATION):  # the looser reading: any mass of the box
            for sigma in (1.0, 2.0):
                result[f"curve_crosses_hess_{sigma:g}sigma_box{suffix}"] = float(
                    curve_crosses_box(curve, HESS_J1731, sigma)
                )
    for l0, nm, c in _knobs(scale):
        knob = f"L0_{l0:g}" if l0 != L0_DEFAULT else f"n_match_{nm:g}n0"
        suffix = "" if c == NJL else f"_{_label(c)}"
        result[f"R_0.77_{knob}{suffix}"] = _r077(M0_PAPER, l0, nm, scale, c)
    return result


# --- (2) the m0 window passing all constraints -------------------------------------------------
WINDOW_SETTINGS = {  # label -> (L0, continuation); the first is the headline setting
    "L0_57.7_njl": (L0_DEFAULT, NJL),
    "L0_57.7_css": (L0_DEFAULT, CONTINUATION),
    "L0_40_njl": (40.0, NJL),
    "L0_40_css": (40.0, CONTINUATION),
    "L0_57.7_crossover": (L0_DEFAULT, "crossover"),  # the QuarkCSS stand-in (full scale only)
}


def _window_settings(scale: Scale) -> dict[str, tuple[float, str]]:
    """WINDOW_SETTINGS, without the QuarkCSS crossover below full scale."""
    keep = list(WINDOW_SETTINGS)[: scale.pick(smoke=2, quick=4, full=5)]
    return {label: WINDOW_SETTINGS[label] for label in keep}


def _m0_grid(step: float) -> list[float]:
    return [500.0 + i * step for i in range(int(400 / step) + 1)]


def _window_m0(scale: Scale) -> list[float]:
    """500–900 MeV in steps of 50 (quick) or 25 (full) MeV; m0 = 850 alone at smoke."""
    return scale.pick(smoke=[M0_PAPER], quick=_m0_grid(50.0), full=_m0_grid(25.0))


def _plan_window(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [
        eos_evaluation.call(m0, l0, N_MATCH_DEFAULT, continuation, scale)
        for l0, continuation in _window_settings(scale).values()
        for m0 in _window_m0(scale)
    ]


def window_criterion(runs: list[Measurement]) -> Verdict:
    """Reproduced if m0 = 850 passes at the headline setting (L0 = 57.7, NJL); partial if only
    with another setting (the other L0 or the CSS stand-in); settings read from the run."""
    r = runs[0]
    labels = [label for label in WINDOW_SETTINGS if f"{label}_passes_850" in r]
    windows = ", ".join(
        f"{label}: [{r[f'{label}_m0_min']:g}, {r[f'{label}_m0_max']:g}] MeV"
        if r[f"{label}_n_pass"] > 0
        else f"{label}: none"
        for label in labels
    )
    headline = next(iter(WINDOW_SETTINGS))
    if r.get(f"{headline}_passes_850") == 1.0:
        return Verdict.reproduced(f"m0 = 850 MeV passes at the default setting; windows {windows}")
    others = [label for label in labels if r[f"{label}_passes_850"] == 1.0]
    if others:
        return Verdict.partial(
            f"m0 = 850 MeV passes only with {', '.join(others)}; windows {windows}"
        )
    return Verdict.not_reproduced(f"m0 = 850 MeV fails every setting; windows {windows}")


def _plot_window(runs: list[Measurement], out_dir: Path, scale: Scale) -> list[Path]:
    curves = {}
    for m0 in _window_m0(scale)[::2]:
        curve, _ = _try(m0, L0_DEFAULT, N_MATCH_DEFAULT, NJL, scale)
        if curve is not None:
            curves[f"m0={m0:g}"] = curve
    path = out_dir / "neutronstar_m0_window.png"
    return [plot_mass_radius(curves, path, title=f"m0 scan, L0 = {L0_DEFAULT:g} MeV, NJL")]


@reproduction(
    name="m0_window",
    title="window of m0 passing every constraint",
    claim=(
        "Combining HESS J1731-347 (2σ) with M_max ≥ 2 M⊙, Λ_1.4 ≤ 580 and causality leaves a "
        "window of m0 that contains 850 MeV (Sec. IV); judged with the NJL crossover"
    ),
    paper_value="window containing m0 = 850 MeV",
    headline=f"{next(iter(WINDOW_SETTINGS))}_passes_850",
    criterion=window_criterion,
    stochastic=False,
    plan=_plan_window,
    plot=_plot_window,
)
def measure_window(seed: int, scale: Scale) -> Measurement:
    """Constraints (HESS at 2σ) over the m0 grid for each setting: window ends, 850's verdict."""
    result: Measurement = {}
    for label, (l0, continuation) in _window_settings(scale).items():
        passing, errors = [], 0
        for m0 in _window_m0(scale):
            curve, checks = _try(m0, l0, N_MATCH_DEFAULT, continuation, scale)
            if curve is None:
                errors += 1
                continue
            if checks["passes_all"]:
                passing.append(m0)
        result |= {
            f"{label}_m0_min": min(passing) if passing else math.nan,
            f"{label}_m0_max": max(passing) if passing else math.nan,
            f"{label}_n_pass": float(len(passing)),
            f"{label}_n_failed_builds": float(errors),
            f"{label}_passes_850": float(M0_PAPER in passing),
        }
    return result


# --- (3) R(M) falls as m0 rises at fixed L0 ----------------------------------------------------
TREND_M0 = (700.0, 800.0, 850.0, 900.0)


def _trend_m0(scale: Scale) -> tuple[float, ...]:
    """TREND_M0, without 800 MeV at smoke (one build fewer)."""
    return scale.pick(smoke=(700.0, 850.0, 900.0), quick=TREND_M0, full=TREND_M0)


def _trend_status(r: Measurement, prefix: str) -> tuple[str, str]:
    """(status, text) of the monotonic-fall test on the keys ``<prefix>R_0.77_m0_<m0>``."""
    head = f"{prefix}R_0.77_m0_"
    m0s = tuple(sorted(float(k.removeprefix(head)) for k in r if k.startswith(head)))
    r077 = [r[f"{prefix}R_0.77_m0_{m:g}"] for m in m0s]
    r14 = [r[f"{prefix}R_1.4_m0_{m:g}"] for m in m0s]

    def falls(values: list[float]) -> bool:
        return all(math.isfinite(v) for v in values) and all(
            b < a for a, b in zip(values, values[1:], strict=False)
        )

    text = f"R(0.77) = {[round(v, 2) for v in r077]}, R_1.4 = {[round(v, 2) for v in r14]} km"
    missing = [m for m, v in zip(m0s, r077, strict=True) if not math.isfinite(v)]
    if missing:
        text += f" (no EOS or no 0.77 M_sun star at m0 = {missing})"
    if falls(r077) and falls(r14):
        return "reproduced", f"both fall with m0 {m0s}: {text}"
    built = [i for i, (a, b) in enumerate(zip(r077, r14, strict=True)) if math.isfinite(a + b)]
    if (
        missing
        and len(built) >= 2
        and falls([r077[i] for i in built])
        and falls([r14[i] for i in built])
    ):
        kept = tuple(m0s[i] for i in built)
        return "partial", f"both fall with m0 over {kept} only: {text}"
    if falls(r077) or falls(r14):
        return "partial", f"only one falls with m0 {m0s}: {text}"
    return "not reproduced", f"no monotonic fall with m0 {m0s}: {text}"


def trend_criterion(runs: list[Measurement]) -> Verdict:
    """Reproduced if R(0.77) and R_1.4 both fall monotonically with m0; partial if one does, or
    if both fall over the m0 values that have a star while some have none.

    Judged on the headline keys (NJL crossover); the CSS stand-in (``css_`` keys) by the same
    rule alongside when measured.
    """
    r = runs[0]
    status, text = _trend_status(r, "")
    if any(k.startswith("css_R_0.77_m0_") for k in r):
        css_status, css_text = _trend_status(r, "css_")
        text += f"; CSS stand-in: {css_status}, {css_text}"
    make = {
        "reproduced": Verdict.reproduced,
        "partial": Verdict.partial,
        "not reproduced": Verdict.not_reproduced,
    }[status]
    return make(text)


def _plan_trend(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [
        eos_evaluation.call(m0, L0_DEFAULT, N_MATCH_DEFAULT, c, scale)
        for c in (NJL, CONTINUATION)
        for m0 in _trend_m0(scale)
    ]


def _plot_trend(runs: list[Measurement], out_dir: Path, scale: Scale) -> list[Path]:
    curves = {}
    for m0 in _trend_m0(scale):
        curve, _ = _try(m0, L0_DEFAULT, N_MATCH_DEFAULT, NJL, scale)
        if curve is not None:
            curves[f"m0={m0:g}"] = curve
    path = out_dir / "neutronstar_m0_trend.png"
    return [plot_mass_radius(curves, path, title=f"R(M) vs m0 at L0 = {L0_DEFAULT:g} MeV, NJL")]


@reproduction(
    name="radius_falls_with_m0",
    title="radius falls as m0 rises",
    claim="At fixed L0 the radius of a given-mass star decreases as m0 increases (Sec. IV)",
    paper_value="R(M) decreasing in m0",
    headline="dR_0.77_700_to_last",
    criterion=trend_criterion,
    unit="km",
    stochastic=False,
    plan=_plan_trend,
    plot=_plot_trend,
)
def measure_trend(seed: int, scale: Scale) -> Measurement:
    """R(0.77) and R_1.4 for each m0 of ``_trend_m0``, NJL crossover (headline) and CSS
    (``css_`` keys); headline R(0.77) at the largest m0 with a 0.77 M_sun star
    (``last_m0_with_star``) minus R(0.77; 700). A failed build gives NaN."""
    result: Measurement = {}
    for c, prefix in ((NJL, ""), (CONTINUATION, "css_")):
        for m0 in _trend_m0(scale):
            curve, checks = _try(m0, L0_DEFAULT, N_MATCH_DEFAULT, c, scale)
            ok = curve is not None
            result[f"{prefix}R_0.77_m0_{m0:g}"] = radius_at_hess_mass(curve) if ok else math.nan
            result[f"{prefix}R_1.4_m0_{m0:g}"] = float(checks["radius_1p4"]) if ok else math.nan
        for hi in (850, 900):
            result[f"{prefix}dR_0.77_700_to_{hi}"] = (
                result[f"{prefix}R_0.77_m0_{hi}"] - result[f"{prefix}R_0.77_m0_700"]
            )
        built = [m for m in _trend_m0(scale) if math.isfinite(result[f"{prefix}R_0.77_m0_{m:g}"])]
        last = max(built, default=math.nan)
        result[f"{prefix}last_m0_with_star"] = last
        result[f"{prefix}dR_0.77_700_to_last"] = (
            result[f"{prefix}R_0.77_m0_{last:g}"] - result[f"{prefix}R_0.77_m0_700"]
            if built
            else math.nan
        )
    return result
