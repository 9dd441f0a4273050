"""Run registered reproductions over seeds; write ``report.md``, ``index.html``, ``results.json``.

Every number in the report comes from a ``measure`` call in this run; every verdict from the claim's
criterion applied to those numbers.
"""

from __future__ import annotations

import html
import json
import math
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
    quick = " --quick" if scale == "quick" else ""
    seeds = f" --seeds {n_seeds}" if repro.stochastic else ""
    return f"paperzoo reproduce {repro.qualified_name}{quick}{seeds}"


def run_claim(
    repro: Reproduction, scale: Scale, n_seeds: int, out_dir: Path, on_run: Callable[[], None]
) -> ClaimResult:
    """Measure one claim over seeds, judge it, draw its figures; errors are recorded, not raised."""
    seeds = list(range(n_seeds)) if repro.stochastic else [0]
    result = ClaimResult(repro, seeds)
    start = time.perf_counter()
    try:
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
    ensure_writable_dir(out_dir)
    rows = [_row(r, scale, n_seeds, out_dir) for r in results]
    _write_json(results, rows, out_dir / RESULTS_FILE, scale, n_seeds)
    md_path = out_dir / "report.md"
    with atomic_write(md_path) as handle:
        handle.write(_markdown(results, rows, scale, n_seeds))
    with atomic_write(out_dir / "index.html") as handle:
        handle.write(_html(results, rows, scale, n_seeds))
    return md_path


def headline_text(r: ClaimResult) -> str:
    """``name = mean ± CI unit`` of the claim's headline value over its seeds ("—" if none)."""
    repro = r.repro
    if not r.runs or repro.headline not in r.runs[0]:
        return "—"
    summary = summarise([run[repro.headline] for run in r.runs])
    return f"{repro.headline} = {summary.format(repro.unit, deterministic=not repro.stochastic)}"


def _row(r: ClaimResult, scale: Scale, n_seeds: int, out_dir: Path) -> dict[str, Any]:
    repro = r.repro
    measured = headline_text(r)
    reason = r.verdict.reason if r.verdict else (r.error or "")
    return {
        "claim": repro.claim,
        "paper": repro.paper_value,
        "measured": measured,
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


def _markdown(results: list[ClaimResult], rows: list[dict[str, Any]], scale: Scale, n: int) -> str:
    lines = [
        "# paperzoo reproduction report",
        "",
        f"Scale: **{scale}**, seeds per stochastic claim: **{n}**. Made by `paperzoo reproduce`; "
        "every number below was measured in this run and every verdict computed from it.",
        "",
        "| claim | paper | our measurement | verdict | command |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = f"**{row['verdict']}** — {row['reason']}"
        cells = [row["claim"], row["paper"], row["measured"], verdict, f"`{row['command']}`"]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    for r, row in zip(results, rows, strict=True):
        lines += ["", f"## {r.repro.qualified_name}", "", r.repro.claim, ""]
        lines += [f"- {name}: {value}" for name, value in _details(r)]
        lines.append(f"- wall time: {r.seconds:.1f} s")
        if r.error:
            lines.append(f"- error: `{r.error}`")
        lines += [f"\n![{fig}]({fig})" for fig in row["figures"]]
    return "\n".join(lines) + "\n"


def _html(results: list[ClaimResult], rows: list[dict[str, Any]], scale: Scale, n: int) -> str:
    esc = html.escape
    colour = {"reproduced": "#2e7d32", "partial": "#ef6c00", "not reproduced": "#c62828"}
    body = [
        "<h1>paperzoo reproduction report</h1>",
        f"<p>Scale: <b>{esc(scale)}</b>, seeds per stochastic claim: <b>{n}</b>. Every number was "
        "measured in this run and every verdict computed from it.</p>",
        "<table><tr><th>claim</th><th>paper</th><th>our measurement</th><th>verdict</th>"
        "<th>command</th></tr>",
    ]
    for row in rows:
        c = colour.get(row["verdict"], "#555")
        body.append(
            f"<tr><td>{esc(row['claim'])}</td><td>{esc(row['paper'])}</td>"
            f"<td>{esc(row['measured'])}</td><td><b style='color:{c}'>{esc(row['verdict'])}</b>"
            f"<br>{esc(row['reason'])}</td><td><code>{esc(row['command'])}</code></td></tr>"
        )
    body.append("</table>")
    for r, row in zip(results, rows, strict=True):
        body.append(f"<h2>{esc(r.repro.qualified_name)}</h2><ul>")
        body += [f"<li>{esc(k)}: {esc(v)}</li>" for k, v in _details(r)]
        body.append(f"<li>wall time: {r.seconds:.1f} s</li></ul>")
        body += [f"<img src='{esc(fig)}' style='max-width:720px'>" for fig in row["figures"]]
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>paperzoo report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _write_json(
    results: list[ClaimResult], rows: list[dict[str, Any]], path: Path, scale: Scale, n: int
) -> None:
    payload = {
        "scale": scale,
        "seeds": n,
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
