"""Run registered reproductions over seeds; write ``report.md``, ``index.html``, ``results.json``.

Every number in the report comes from a ``measure`` call in this run; every verdict from the claim's
criterion applied to those numbers.
"""

from __future__ import annotations

import html
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy import stats

from paperzoo.core.io import atomic_write, ensure_writable_dir
from paperzoo.core.registry import Measurement, Reproduction, Scale, Verdict

RESULTS_FILE = "results.json"
DEFAULT_QUICK_BUDGET_S = 60.0  # a new system's claims at quick scale, empty cache, 2 cores
TOTAL_QUICK_BUDGET_S = 600.0  # `paperzoo reproduce --quick` for every system


@dataclass(frozen=True)
class Summary:
    """Mean and 95 % Student-t half-width over seeds (``half_width`` is NaN for one value)."""

    mean: float
    half_width: float
    n: int

    def format(self, unit: str = "", deterministic: bool = False) -> str:
        def fmt(v: float) -> str:
            return f"{v:.4g}"

        unit = f" {unit}" if unit else ""
        if deterministic:
            return f"{fmt(self.mean)}{unit} (deterministic)"
        if self.n > 1:
            return f"{fmt(self.mean)} ± {fmt(self.half_width)}{unit} (95% CI, n={self.n})"
        return f"{fmt(self.mean)}{unit} (n=1, no CI)"


def summarise(values: list[float]) -> Summary:
    """Mean ± 95 % CI half-width, t-distribution with n − 1 degrees of freedom."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return Summary(math.nan, math.nan, 0)
    n = len(finite)
    mean = sum(finite) / n
    if n == 1:
        return Summary(mean, math.nan, 1)
    if len(set(finite)) == 1:  # exact: no rounding residue from the mean
        return Summary(finite[0], 0.0, n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1))
    return Summary(mean, float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n), n)


@dataclass
class ClaimResult:
    repro: Reproduction
    seeds: list[int]
    runs: list[Measurement] = field(default_factory=list)
    verdict: Verdict | None = None
    error: str | None = None
    trace: str | None = None
    seconds: float = 0.0
    figures: list[Path] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "error" if self.verdict is None else self.verdict.status


def regenerate_command(repro: Reproduction, scale: Scale, n_seeds: int) -> str:
    flag = scale.pick(smoke=" --scale smoke", quick=" --quick", full="")
    seeds = f" --seeds {n_seeds}" if repro.stochastic else ""
    return f"paperzoo reproduce {repro.qualified_name}{flag}{seeds}"


def run_claim(
    repro: Reproduction,
    scale: Scale,
    n_seeds: int,
    out_dir: Path,
    on_run: Callable[[], None],
    before: Callable[[], None] | None = None,
) -> ClaimResult:
    """Measure one claim over seeds, judge it, draw its figures; errors are recorded, not raised.

    ``before`` runs first, inside the claim's time (a system's ``prefetch``, see ``reproduce``).
    """
    scale = Scale.parse(scale)
    seeds = list(range(n_seeds)) if repro.stochastic else [0]
    result = ClaimResult(repro, seeds)
    start = time.perf_counter()
    try:
        if before is not None:
            before()
        for seed in seeds:
            result.runs.append({k: float(v) for k, v in repro.measure(seed, scale).items()})
            on_run()
        if repro.headline not in result.runs[0]:
            raise ValueError(f"measure returned no headline value {repro.headline!r}")
        result.verdict = repro.criterion(result.runs)
        if repro.plot is not None:
            result.figures = repro.plot(result.runs, out_dir, scale)
    except Exception as err:  # one broken claim must not hide the others' results
        result.error = f"{type(err).__name__}: {err}"
        result.trace = traceback.format_exc()
    result.seconds = time.perf_counter() - start
    return result


def write_report(results: list[ClaimResult], out_dir: Path, scale: Scale, n_seeds: int) -> Path:
    """Write ``report.md``, ``index.html`` and ``results.json`` into ``out_dir``; return the md."""
    scale = Scale.parse(scale)
    ensure_writable_dir(out_dir)
    rows = [_row(r, scale, n_seeds, out_dir) for r in results]
    _write_json(results, rows, out_dir / RESULTS_FILE, scale, n_seeds)
    md_path = out_dir / "report.md"
    with atomic_write(md_path) as handle:
        handle.write(_markdown(results, rows, scale, n_seeds))
    with atomic_write(out_dir / "index.html") as handle:
        handle.write(_html(results, rows, scale, n_seeds))
    return md_path


def headline_text(r: ClaimResult, with_name: bool = True) -> str:
    """``name = mean ± CI unit`` of the claim's headline value over its seeds ("—" if none)."""
    repro = r.repro
    if not r.runs or repro.headline not in r.runs[0]:
        return "—"
    summary = summarise([run[repro.headline] for run in r.runs])
    text = summary.format(repro.unit, deterministic=not repro.stochastic)
    return f"{repro.headline} = {text}" if with_name else text


def quick_budget_s(key: str) -> float:
    """Seconds the system's claims may take at quick scale, from an empty cache on 2 cores.

    A system states its own as ``QUICK_BUDGET_S`` in ``<key>/repro.py``; the default is
    :data:`DEFAULT_QUICK_BUDGET_S`. The report flags a system over its budget, and the whole
    quick report over :data:`TOTAL_QUICK_BUDGET_S`.
    """
    module = sys.modules.get(f"paperzoo.{key}.repro")
    return float(getattr(module, "QUICK_BUDGET_S", DEFAULT_QUICK_BUDGET_S))


def time_budgets(results: list[ClaimResult], scale: Scale) -> list[dict[str, Any]]:
    """Per system: wall time of its claims in this run, its budget (quick scale only)."""
    seconds: dict[str, float] = {}
    for r in results:
        seconds[r.repro.key] = seconds.get(r.repro.key, 0.0) + r.seconds
    rows = []
    for key, spent in seconds.items():
        budget = quick_budget_s(key) if scale == Scale.QUICK else math.nan
        rows.append({"system": key, "seconds": spent, "budget_s": budget, "over": spent > budget})
    return rows


def _row(r: ClaimResult, scale: Scale, n_seeds: int, out_dir: Path) -> dict[str, Any]:
    repro = r.repro
    reason = r.verdict.reason if r.verdict else (r.error or "")
    return {
        "system": repro.key,
        "title": repro.title,
        "claim": repro.claim,
        "paper": repro.paper_value,
        "measured": headline_text(r),
        "ours": headline_text(r, with_name=False),
        "verdict": r.status,
        "reason": reason,
        "command": regenerate_command(repro, scale, n_seeds),
        "figures": [
            str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in r.figures
        ],
    }


def _details(r: ClaimResult) -> list[tuple[str, str]]:
    if not r.runs:
        return []
    names = list(r.runs[0])
    return [
        (
            n,
            summarise([run.get(n, math.nan) for run in r.runs]).format(
                deterministic=not r.repro.stochastic
            ),
        )
        for n in names
    ]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _budget_lines(results: list[ClaimResult], scale: Scale) -> list[str]:
    rows = time_budgets(results, scale)
    total = sum(row["seconds"] for row in rows)
    if scale != Scale.QUICK:
        return [f"Wall time: {total:.0f} s."]
    parts = [
        f"{row['system']} {row['seconds']:.0f} s / {row['budget_s']:.0f} s"
        + (" **over budget**" if row["over"] else "")
        for row in rows
    ]
    over = " **over budget**" if total > TOTAL_QUICK_BUDGET_S else ""
    return [
        f"Wall time {total:.0f} s of the {TOTAL_QUICK_BUDGET_S:.0f} s quick budget{over} "
        f"(per system: {'; '.join(parts)})."
    ]


def _markdown(results: list[ClaimResult], rows: list[dict[str, Any]], scale: Scale, n: int) -> str:
    lines = [
        "# paperzoo reproduction report",
        "",
        f"Scale: **{scale}**, seeds per stochastic claim: **{n}**. Made by `paperzoo reproduce`; "
        "every number below was measured in this run and every verdict computed from it.",
        "",
        *_budget_lines(results, scale),
        "",
        "| system | claim | paper | ours | verdict |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            row["system"],
            row["title"],
            row["paper"],
            row["measured"],
            f"**{row['verdict']}**",
        ]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    for r, row in zip(results, rows, strict=True):
        lines += ["", f"## {r.repro.qualified_name}: {r.repro.title}", "", r.repro.claim, ""]
        lines.append(f"- paper: {row['paper']}")
        lines.append(f"- verdict: **{row['verdict']}** — {row['reason']}")
        lines += [f"- {name}: {value}" for name, value in _details(r)]
        lines.append(f"- wall time: {r.seconds:.1f} s")
        lines.append(f"- regenerate: `{row['command']}`")
        if r.error:
            lines.append(f"- error: `{r.error}`")
        lines += [f"\n![{fig}]({fig})" for fig in row["figures"]]
    return "\n".join(lines) + "\n"


VERDICT_COLOURS = {
    "reproduced": "#2e7d32",
    "partial": "#ef6c00",
    "not reproduced": "#c62828",
    "error": "#555555",
}


def _chip(verdict: str) -> str:
    colour = VERDICT_COLOURS.get(verdict, "#555555")
    return f"<span class='chip' style='background:{colour}'>{html.escape(verdict)}</span>"


def _html(results: list[ClaimResult], rows: list[dict[str, Any]], scale: Scale, n: int) -> str:
    esc = html.escape
    counts = {v: sum(row["verdict"] == v for row in rows) for v in VERDICT_COLOURS}
    tally = " ".join(f"{_chip(v)} {c}" for v, c in counts.items() if c)
    budget = "".join(_budget_lines(results, scale)).replace("**", "")
    body = [
        "<h1>paperzoo reproduction report</h1>",
        f"<p>Scale <b>{esc(str(scale))}</b>, {n} seed(s) per stochastic claim. Every number was "
        "measured in this run and every verdict computed from it by the claim's criterion. "
        f"{esc(budget)}</p>",
        f"<p>{tally}</p>",
        "<table class='summary'><tr><th>claim</th><th>paper</th><th>ours (mean ± 95% CI)</th>"
        "<th>verdict</th></tr>",
    ]
    system = None
    for i, row in enumerate(rows):
        if row["system"] != system:
            system = row["system"]
            body.append(f"<tr class='system'><th colspan='4'>{esc(system)}</th></tr>")
        body.append(
            f"<tr><td><a href='#claim-{i}'>{esc(row['title'])}</a></td><td>{esc(row['paper'])}</td>"
            f"<td>{esc(row['measured'])}</td><td>{_chip(row['verdict'])}</td></tr>"
        )
    body.append("</table><h2>Claims</h2>")
    for i, (r, row) in enumerate(zip(results, rows, strict=True)):
        body.append(
            f"<details id='claim-{i}'><summary>{_chip(row['verdict'])} "
            f"<b>{esc(r.repro.qualified_name)}</b> — {esc(row['title'])}</summary>"
            f"<p>{esc(row['claim'])}</p><p><b>Paper:</b> {esc(row['paper'])}<br>"
            f"<b>Verdict:</b> {esc(row['reason'])}</p><ul>"
        )
        body += [f"<li>{esc(k)}: {esc(v)}</li>" for k, v in _details(r)]
        body.append(f"<li>wall time: {r.seconds:.1f} s</li>")
        body.append(f"<li>regenerate: <code>{esc(row['command'])}</code></li></ul>")
        if r.error:
            body.append(f"<pre>{esc(r.error)}</pre>")
        body += [f"<img src='{esc(fig)}' alt='{esc(fig)}'>" for fig in row["figures"]]
        body.append("</details>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:6px 8px;text-align:left;vertical-align:top}tr.system th{background:#f0f3f7;"
        "font-size:1.05em}.chip{color:#fff;border-radius:10px;padding:1px 9px;font-size:.85em;"
        "white-space:nowrap}details{border:1px solid #ddd;border-radius:6px;margin:8px 0;"
        "padding:6px 10px}summary{cursor:pointer}img{max-width:100%;display:block;margin:8px 0}"
        "a{color:#1a4f8b;text-decoration:none}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>paperzoo report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _write_json(
    results: list[ClaimResult], rows: list[dict[str, Any]], path: Path, scale: Scale, n: int
) -> None:
    payload = {
        "scale": str(scale),
        "seeds": n,
        "time_budgets": time_budgets(results, scale),
        "claims": [
            {
                "name": r.repro.qualified_name,
                "key": r.repro.key,
                "runs": r.runs,
                "seconds": r.seconds,
            }
            | row
            for r, row in zip(results, rows, strict=True)
        ],
    }
    with atomic_write(path) as handle:
        json.dump(payload, handle, indent=2, allow_nan=True)


def read_statuses(out_dir: Path) -> dict[str, str]:
    """``{claim name: verdict}`` from a previous report's ``results.json`` (empty if none)."""
    try:
        payload = json.loads((out_dir / RESULTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {c["name"]: c["verdict"] for c in payload.get("claims", [])}
