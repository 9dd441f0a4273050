"""The ``paperzoo`` command: ``list``, ``reproduce``, ``bench`` and each system's own subcommands.

System subcommands load lazily from ``paperzoo/<key>/cli.py`` (a ``typer.Typer`` named ``app``),
so ``paperzoo list`` does not import every system's dependencies.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from paperzoo.core import registry

console = Console()
err_console = Console(stderr=True)
DEFAULT_OUT = Path("paperzoo-report")
USER_ERRORS = (ValueError, FileNotFoundError, PermissionError, NotADirectoryError)


class SystemGroup(click.Group):
    """Top-level group that resolves ``paperzoo <key>`` to the system's typer app on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(super().list_commands(ctx)) + registry.system_keys()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in registry.system_keys():
            return command
        try:
            module = importlib.import_module(f"paperzoo.{name}.cli")
        except ModuleNotFoundError as err:
            if err.name != f"paperzoo.{name}.cli":
                raise
            return None
        return typer.main.get_command(module.app)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            raise click.UsageError(
                f"unknown system or command {name!r} "
                f"(commands: {', '.join(self.list_commands(ctx))})"
            )
        return super().resolve_command(ctx, args)


@click.group(cls=SystemGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperzoo")
def cli() -> None:
    """Ten 2024 papers as working systems: reproduce their claims, benchmark them, use them."""


@cli.command("list")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Report folder whose results.json gives each claim's last verdict.",
)
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the README's systems table and the results table of --out's results.json.",
)
def list_systems(out: Path, markdown: bool) -> None:
    """Systems, one line each, with the verdicts of their claims from the last report."""
    from paperzoo.core.report import read_statuses
    from paperzoo.core.tables import results_table, systems_table

    if markdown:
        click.echo(systems_table())
        results = out / "results.json"
        if results.is_file():
            click.echo("")
            click.echo(results_table(results))
        return
    statuses = read_statuses(out)
    table = Table("system", "what it does", "claims (last verdict)")
    for key in registry.system_keys():
        claims = registry.reproductions([key])
        if not claims:
            status = "no claims registered"
        else:
            status = ", ".join(
                f"{r.name}: {statuses.get(r.qualified_name, 'not run')}" for r in claims
            )
        table.add_row(key, registry.system_title(key), status)
    console.print(table)


def _scale(quick: bool, scale: str | None) -> registry.Scale:
    if quick and scale not in (None, "quick"):
        raise ValueError(f"scale: --quick contradicts --scale {scale}")
    return registry.Scale.parse(scale or ("quick" if quick else "full"))


SCALE_OPTION = click.option(
    "--scale",
    type=click.Choice([s.value for s in registry.Scale]),
    default=None,
    help="smoke (seconds, for tests), quick, or full [default: full; --quick = --scale quick].",
)


def _split_targets(targets: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """``key`` or ``key.claim`` arguments -> (system keys, claim names to keep; empty = all)."""
    keys, names = [], set()
    for target in targets:
        key, _, name = target.partition(".")
        if key not in keys:
            keys.append(key)
        if name:
            names.add(target)
    return keys, names


@cli.command()
@click.argument("targets", nargs=-1, metavar="[KEY | KEY.CLAIM]...")
@click.option("--quick", is_flag=True, help="Small-scale run (all systems in <= 10 min).")
@SCALE_OPTION
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes that run the claims' cached experiments first (same cache folder).",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=None,
    help="Seeds per stochastic claim [default: 1 with --quick, 3 otherwise].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for report.md, index.html, results.json and plots.",
)
def reproduce(
    targets: tuple[str, ...],
    quick: bool,
    scale: str | None,
    jobs: int,
    seeds: int | None,
    out: Path,
) -> None:
    """Run each system's registered headline experiments and write the report."""
    from paperzoo.core.experiments import run_calls
    from paperzoo.core.io import ensure_writable_dir
    from paperzoo.core.report import headline_text, run_claim, write_report

    ensure_writable_dir(out)
    keys, names = _split_targets(targets)
    claims = registry.reproductions(keys)
    if names:
        unknown = names - {r.qualified_name for r in claims}
        if unknown:
            raise ValueError(f"claim: unknown {', '.join(sorted(unknown))}")
        claims = [r for r in claims if r.qualified_name in names]
    if not claims:
        raise ValueError("reproduce: no registered claims for " + (", ".join(keys) or "any system"))
    run_scale = _scale(quick, scale)
    n_seeds = seeds or run_scale.pick(smoke=1, quick=1, full=3)
    total = sum(n_seeds if r.stochastic else 1 for r in claims)
    if jobs > 1:
        calls = _planned_calls(claims, run_scale, n_seeds)
        with err_console.status(f"running {len(calls)} experiments in {jobs} processes"):
            for call, error in run_calls(calls, jobs):
                err_console.print(f"experiment {call.describe()} failed in a worker: {error}")
    prefetches = _prefetches(claims, run_scale, n_seeds) if jobs == 1 else {}
    results = []
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("reproducing", total=total)
        for repro in claims:
            progress.update(task, description=f"reproducing {repro.qualified_name}")
            before = prefetches.pop(repro.key, None)  # inside the system's first claim
            results.append(
                run_claim(repro, run_scale, n_seeds, out, lambda: progress.advance(task), before)
            )
    report = write_report(results, out, run_scale, n_seeds)
    table = Table("claim", "our measurement", "verdict")
    for r in results:
        table.add_row(r.repro.qualified_name, headline_text(r), r.status)
    console.print(table)
    console.print(f"report: {report}  (also {out / 'index.html'})")
    failed = [r for r in results if r.error]
    for r in failed:
        err_console.print(f"error in {r.repro.qualified_name}: {r.error}")
        if os.environ.get("PAPERZOO_DEBUG"):
            err_console.print(r.trace)
    if failed:
        raise click.exceptions.Exit(1)


def _planned_calls(claims: list, run_scale: registry.Scale, n_seeds: int) -> list:
    """Every experiment the claims' plans name, over the seeds each claim runs."""
    return [
        call
        for r in claims
        if r.plan is not None
        for seed in (range(n_seeds) if r.stochastic else [0])
        for call in r.plan(seed, run_scale)
    ]


def _prefetches(claims: list, run_scale: registry.Scale, n_seeds: int) -> dict[str, Any]:
    """Per system whose ``repro.py`` defines ``prefetch(calls, cpus)``: a callable that hands it
    every experiment its selected claims plan (all seeds) and this process's usable CPUs, so it
    can fill the cache in parallel (docs/adding-a-system.md, "Many workers, many machines"). A
    failing prefetch only warns: the claims then compute what is missing and record any error
    themselves."""
    from paperzoo.core.runtime import usable_cpus

    out = {}
    for key in dict.fromkeys(r.key for r in claims):
        hook = getattr(registry.load_module(key, "repro"), "prefetch", None)
        if hook is None:
            continue
        calls = _planned_calls([r for r in claims if r.key == key], run_scale, n_seeds)

        def run(hook=hook, calls=calls, key=key) -> None:
            try:
                hook(calls, usable_cpus())
            except Exception as err:  # the claims recompute and record any error
                err_console.print(f"warning: {key} prefetch failed ({err}); claims compute alone")

        out[key] = run
    return out


@cli.command()
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@click.option("--quick", is_flag=True, help="Fewer repeats and smaller inputs.")
@SCALE_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT / "bench.json",
    show_default=True,
    help="JSON file with machine, threads, versions, medians, ratio.",
)
def bench(keys: tuple[str, ...], quick: bool, scale: str | None, out: Path) -> None:
    """Run registered benchmarks: each against its baseline, in the same run."""
    from paperzoo.core.bench import run_benchmark, write_bench_json
    from paperzoo.core.io import ensure_writable_dir

    ensure_writable_dir(out.parent)
    benches = registry.benchmarks(list(keys))
    if not benches:
        raise ValueError("bench: no registered benchmarks for " + (", ".join(keys) or "any system"))
    run_scale = _scale(quick, scale)
    records = []
    table = Table("benchmark", "ours (median)", "baseline (median)", "speed-up", "machine")
    with err_console.status("benchmarking") as status:
        for b in benches:
            status.update(f"benchmarking {b.qualified_name}")
            record = run_benchmark(b, run_scale)
            records.append(record)
            load = record["load"]
            table.add_row(
                b.qualified_name,
                f"{record['ours']['label']}: {record['ours']['median_s'] * 1e3:.1f} ms",
                f"{record['baseline']['label']}: {record['baseline']['median_s'] * 1e3:.1f} ms",
                f"{record['speedup']:.2f}x",
                f"BUSY ({load['others_share']:.0%} others)" if load["busy"] else "idle",
            )
    console.print(table)
    if any(r["load"]["busy"] for r in records):
        err_console.print("warning: other processes loaded the machine; rerun on an idle one")
    console.print(
        f"threads: {records[0]['threads']}, torch {records[0]['torch']}; json: "
        f"{write_bench_json(records, out)}"
    )


def main(argv: list[str] | None = None) -> Any:
    """Entry point: user errors print one line and exit 2; ``PAPERZOO_DEBUG=1`` shows tracebacks."""
    try:
        code = cli.main(args=argv, prog_name="paperzoo", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as err:
        click.echo(f"error: {err.format_message()}", err=True)
        sys.exit(err.exit_code)
    except USER_ERRORS as err:
        if os.environ.get("PAPERZOO_DEBUG"):
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
