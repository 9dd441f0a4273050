"""``paperzoo bimtdp train | evaluate | export-packed | predict | kernel``: parsing and printing."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.bimtdp.config import NYUD_TASKS, VARIANTS
from paperzoo.bimtdp.packed import KERNELS, cpu_flags, kernel_info
from paperzoo.bimtdp.pipeline import (
    evaluate_checkpoint,
    export_checkpoint,
    predict_image,
    train_checkpoint,
)

app = typer.Typer(
    help="Binary multi-task dense prediction with VIB, distillation and bit-packed inference "
    "(arXiv:2405.14136).",
    no_args_is_help=True,
)
console = Console()
Opt = typer.Option


def _fail(err: Exception) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(1)


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in {str(w.message) for w in caught}:
        console.print(f"note: {w}")


def _table(title: str, values: dict) -> None:
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for k, v in values.items():
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    console.print(table)


@app.command()
def train(
    variant: Annotated[str, Opt(help=f"One of: {', '.join(VARIANTS)}.")] = "f",
    out: Annotated[Path, Opt(help="Checkpoint to write.")] = Path("bimtdp.pt"),
    scale: Annotated[str, Opt(help="smoke, quick or full.")] = "quick",
    seed: int = 0,
    tasks: Annotated[str, Opt(help="Comma-separated subset of the tasks.")] = ",".join(NYUD_TASKS),
    binarizer: Annotated[str | None, Opt(help="fp, naive, irnet, reactnet, bidense.")] = None,
    teacher: Annotated[Path | None, Opt(help="FP teacher checkpoint for KD variants.")] = None,
) -> None:
    """Train one variant on SynthRooms and save it (cached per setting)."""
    try:
        task_tuple = tuple(t.strip() for t in tasks.split(",") if t.strip())
        metrics = train_checkpoint(variant, out, scale, seed, task_tuple, binarizer, teacher)
    except (ValueError, FileNotFoundError, PermissionError) as err:
        _fail(err)
    _table(f"{variant} → {out}", metrics)


@app.command()
def evaluate(
    checkpoint: Path,
    delta_m: Annotated[bool, Opt(help="Also Δ_m vs FP single-task baselines.")] = True,
) -> None:
    """Test metrics of a checkpoint (and Δ_m, training the baselines once if needed)."""
    try:
        metrics = evaluate_checkpoint(checkpoint, delta_m)
    except (ValueError, FileNotFoundError) as err:
        _fail(err)
    _table(str(checkpoint), metrics)


@app.command("export-packed")
def export_packed(
    checkpoint: Path,
    out: Annotated[Path, Opt(help="Packed model file.")] = Path("bimtdp-packed.pt"),
    kernel: Annotated[str, Opt(help=f"One of: {', '.join(KERNELS)}.")] = "auto",
) -> None:
    """Convert a binary student to the bit-packed model and check it against the float one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            info = export_checkpoint(checkpoint, out, kernel)
        except (ValueError, FileNotFoundError, RuntimeError) as err:
            _fail(err)
    _show_warnings(caught)
    diffs = info.pop("max_abs_diff")
    _table(f"{checkpoint} → {out}", {**info, **{f"max |Δ| {k}": v for k, v in diffs.items()}})


@app.command()
def predict(
    image: Path,
    checkpoint: Annotated[Path, Opt(help="Checkpoint from `train`.")] = Path("bimtdp.pt"),
    out: Annotated[Path, Opt(help="PNG with the task maps side by side.")] = Path("maps.png"),
    packed: Annotated[bool, Opt(help="Run the bit-packed model (binary variants).")] = True,
) -> None:
    """Predict every task of a checkpoint on IMAGE and write the maps as one PNG."""
    try:
        info = predict_image(checkpoint, image, out, packed)
    except (ValueError, FileNotFoundError, PermissionError) as err:
        _fail(err)
    for note in info["notes"]:
        console.print(f"note: {note}")
    console.print(f"{', '.join(info['tasks'])} ({info['runner']}) → {info['out']}")


@app.command()
def kernel(
    name: Annotated[str, Opt(help=f"One of: {', '.join(KERNELS)}.")] = "auto",
) -> None:
    """Which packed kernel runs here, and the CPU flags it was chosen by."""
    try:
        info = kernel_info(name)
    except (ValueError, RuntimeError) as err:  # unknown name; AMX forced where it cannot run
        _fail(err)
    shown = ("avx512", "amx", "popcnt", "avx2")
    flags = sorted(f for f in cpu_flags() if f.startswith(shown))
    console.print(f"kernel: {info.name} ({info.note}); CPU flags: {' '.join(flags) or 'unknown'}")
