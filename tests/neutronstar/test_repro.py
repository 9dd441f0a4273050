"""Reproduction criteria on synthetic numbers, and registration with the core registry."""

from __future__ import annotations

import math

from paperzoo.core import registry
from paperzoo.neutronstar import repro


def test_hess_criterion():
    assert repro.hess_criterion([{"R_0.77": 10.5}]).status == "reproduced"
    assert repro.hess_criterion([{"R_0.77": 11.8}]).status == "partial"
    assert repro.hess_criterion([{"R_0.77": 9.0}]).status == "partial"
    assert repro.hess_criterion([{"R_0.77": 12.5}]).status == "not reproduced"
    assert repro.hess_criterion([{"R_0.77": math.nan}]).status == "not reproduced"
    assert "11.80" in repro.hess_criterion([{"R_0.77": 11.8}]).reason


def test_window_criterion():
    def runs(passes: dict[str, float]) -> list[dict[str, float]]:
        r = {}
        for label in repro.WINDOW_SETTINGS:
            ok = passes.get(label, 0.0)
            r |= {
                f"{label}_m0_min": 800.0 if ok else math.nan,
                f"{label}_m0_max": 900.0 if ok else math.nan,
                f"{label}_n_pass": 3.0 * ok,
                f"{label}_passes_850": ok,
            }
        return [r]

    assert repro.window_criterion(runs({"L0_57.7_njl": 1.0})).status == "reproduced"
    verdict = repro.window_criterion(runs({"L0_57.7_css": 1.0}))  # the stand-in alone: partial
    assert verdict.status == "partial" and "L0_57.7_css: [800, 900] MeV" in verdict.reason
    verdict = repro.window_criterion(runs({"L0_40_css": 1.0}))
    assert verdict.status == "partial" and "L0_40_css: [800, 900] MeV" in verdict.reason
    assert repro.window_criterion(runs({})).status == "not reproduced"


def _trend(r077, r14):
    run = {f"R_0.77_m0_{m:g}": v for m, v in zip(repro.TREND_M0, r077, strict=True)}
    run |= {f"R_1.4_m0_{m:g}": v for m, v in zip(repro.TREND_M0, r14, strict=True)}
    return repro.trend_criterion([run]).status


def test_trend_criterion():
    assert _trend([12.5, 12.2, 12.0, 11.9], [12.8, 12.4, 12.2, 12.0]) == "reproduced"
    assert _trend([12.5, 12.2, 12.0, 11.9], [12.8, 12.9, 12.2, 12.0]) == "partial"
    assert _trend([12.5, 12.6, 12.0, 11.9], [12.8, 12.9, 12.2, 12.0]) == "not reproduced"
    assert _trend([12.5, 12.2, 12.0, math.nan], [12.8, 12.4, 12.2, 12.0]) == "partial"


def test_reproductions_are_registered():
    names = {r.name for r in registry.reproductions(["neutronstar"])}
    assert {"hess_radius_m0_850", "m0_window", "radius_falls_with_m0"} <= names
    for r in registry.reproductions(["neutronstar"]):
        assert not r.stochastic and r.plot is not None


def test_criteria_quote_the_css_stand_in_alongside():
    verdict = repro.hess_criterion([{"R_0.77": 11.0, "R_0.77_css": 12.5}])
    assert verdict.status == "reproduced" and "CSS stand-in: not reproduced" in verdict.reason
    r077, r14 = [12.5, 12.2, 12.0, math.nan], [12.8, 12.4, 12.2, math.nan]
    run = {f"R_0.77_m0_{m:g}": v for m, v in zip(repro.TREND_M0, r077, strict=True)}
    run |= {f"R_1.4_m0_{m:g}": v for m, v in zip(repro.TREND_M0, r14, strict=True)}
    run |= {f"css_{k}": v for k, v in run.items()}
    run["css_R_0.77_m0_900"] = run["css_R_1.4_m0_900"] = 11.0
    verdict = repro.trend_criterion([run])
    assert verdict.status == "partial" and "no EOS" in verdict.reason
    assert "over (700.0, 800.0, 850.0) only" in verdict.reason
    assert "CSS stand-in: reproduced" in verdict.reason
    run["R_0.77_m0_800"] = 12.9  # no longer falling on the built values
    assert repro.trend_criterion([run]).status == "not reproduced"


def test_trend_criterion_reads_the_m0_grid_from_the_run():
    run = {"R_0.77_m0_900": 12.3, "R_0.77_m0_700": 12.6, "R_0.77_m0_850": 12.4}
    run |= {"R_1.4_m0_900": 12.4, "R_1.4_m0_700": 12.7, "R_1.4_m0_850": 12.5}
    verdict = repro.trend_criterion([run])
    assert verdict.status == "reproduced" and "m0 (700.0, 850.0, 900.0)" in verdict.reason
