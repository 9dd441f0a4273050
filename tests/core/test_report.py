import json
import math
import time

import pytest
from scipy import stats

from paperzoo.core.registry import Reproduction, Verdict
from paperzoo.core.report import headline_text, run_claim, summarise, write_report


def _criterion(runs):
    mean = sum(r["value"] for r in runs) / len(runs)
    if mean > 1.0:
        return Verdict.reproduced(f"mean {mean:.3f} > 1")
    return Verdict.not_reproduced(f"mean {mean:.3f} <= 1")


def _repro(measure, stochastic=True, plot=None):
    return Reproduction(
        key="demo",
        name="claim",
        title="value exceeds one",
        claim="'value exceeds one' (Sec. 1)",
        paper_value="> 1",
        headline="value",
        measure=measure,
        criterion=_criterion,
        unit="u",
        stochastic=stochastic,
        plot=plot,
    )


def test_summarise_matches_student_t():
    values = [1.0, 2.0, 4.0]
    s = summarise(values)
    sem = stats.sem(values)
    assert s.mean == pytest.approx(7 / 3)
    assert s.half_width == pytest.approx(stats.t.ppf(0.975, 2) * sem)
    assert math.isnan(summarise([3.0]).half_width)
    assert summarise([math.nan]).n == 0
    same = summarise([0.05] * 3)  # identical values: exact mean, zero half-width
    assert (same.mean, same.half_width, same.n) == (0.05, 0.0, 3)


def test_run_claim_uses_every_seed_and_computes_verdict(tmp_path):
    seen = []

    def measure(seed, scale):
        seen.append((seed, scale))
        return {"value": 1.0 + seed, "other": 2.0 * seed}

    result = run_claim(_repro(measure), "quick", 3, tmp_path, lambda: None)
    assert seen == [(0, "quick"), (1, "quick"), (2, "quick")]
    assert result.verdict == Verdict.reproduced("mean 2.000 > 1")
    deterministic = run_claim(_repro(measure, stochastic=False), "quick", 3, tmp_path, lambda: None)
    assert len(deterministic.runs) == 1
    assert deterministic.verdict.status == "not reproduced"


def test_headline_text_is_the_mean_over_seeds_not_the_first_seed(tmp_path):
    result = run_claim(
        _repro(lambda seed, scale: {"value": 1.0 + seed}), "quick", 3, tmp_path, list
    )
    half = stats.t.ppf(0.975, 2) * stats.sem([1.0, 2.0, 3.0])
    assert headline_text(result) == f"value = 2 ± {half:.4g} u (95% CI, n=3)"
    broken = run_claim(_repro(lambda seed, scale: {"x": 1.0}), "quick", 1, tmp_path, list)
    assert headline_text(broken) == "—"


def test_before_runs_first_inside_the_claims_time(tmp_path):
    order = []

    def before():
        order.append("before")
        time.sleep(0.2)

    def measure(seed, scale):
        order.append(seed)
        return {"value": 2.0}

    result = run_claim(_repro(measure), "quick", 2, tmp_path, lambda: None, before)
    assert order == ["before", 0, 1]
    assert result.seconds >= 0.2 and result.verdict.status == "reproduced"


def test_errors_are_recorded_not_raised(tmp_path):
    def broken(seed, scale):
        raise RuntimeError("solver diverged")

    result = run_claim(_repro(broken), "full", 2, tmp_path, lambda: None)
    assert result.status == "error" and "solver diverged" in result.error
    missing = run_claim(_repro(lambda s, sc: {"x": 1.0}), "full", 1, tmp_path, lambda: None)
    assert "headline" in missing.error


def test_report_files_hold_measured_numbers(tmp_path):
    def plot(runs, out, scale):
        path = out / "demo.png"
        path.write_bytes(b"png")
        return [path]

    result = run_claim(
        _repro(lambda s, sc: {"value": 3.0 + s}, plot=plot), "quick", 2, tmp_path, lambda: None
    )
    md = write_report([result], tmp_path, "quick", 2).read_text()
    assert "| demo | value exceeds one | > 1 | value = 3.5 ± " in md and "(95% CI, n=2)" in md
    assert "**reproduced** — mean 3.500 > 1" in md
    assert "`paperzoo reproduce demo.claim --quick --seeds 2`" in md
    assert "![demo.png](demo.png)" in md
    html = (tmp_path / "index.html").read_text()
    assert "<img src='demo.png'" in html and "reproduced" in html
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["claims"][0]["runs"] == [{"value": 3.0}, {"value": 4.0}]
    assert payload["claims"][0]["verdict"] == "reproduced"


def test_html_opens_with_a_summary_table_grouped_by_system_then_collapsible_claims(tmp_path):
    result = run_claim(_repro(lambda s, sc: {"value": 3.0 + s}), "quick", 2, tmp_path, list)
    write_report([result], tmp_path, "quick", 2)
    page = (tmp_path / "index.html").read_text()
    summary, details = page.split("<h2>Claims</h2>")
    assert "<tr class='system'><th colspan='4'>demo</th></tr>" in summary
    assert "value exceeds one" in summary and "&gt; 1" in summary and "3.5 ± " in summary
    assert "class='chip'" in summary and "reproduced" in summary
    assert details.count("<details") == 1 and "mean 3.500 &gt; 1" in details
    payload = json.loads((tmp_path / "results.json").read_text())
    budget = payload["time_budgets"][0]
    assert budget["system"] == "demo" and budget["budget_s"] == 60.0 and not budget["over"]
    assert "quick budget" in (tmp_path / "report.md").read_text()
