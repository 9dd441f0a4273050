"""``paperzoo atur train | evaluate | table``: argument parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.atur.config import METHODS, CPConfig, MethodConfig, TrainSettings
from paperzoo.atur.data import DATASETS
from paperzoo.atur.training import evaluate_checkpoint, train_and_save

app = typer.Typer(
    help="Conformal prediction under attack and AT-UR training (arXiv:2405.08886).",
    no_args_is_help=True,
)
console = Console()
Opt = typer.Option


@app.command()
def train(
    method: Annotated[str, Opt(help=f"One of: {', '.join(METHODS)}.")] = "at-beta-em",
    dataset: Annotated[str, Opt(help=f"One of: {', '.join(DATASETS)}.")] = "fashion-mnist",
    eps: Annotated[float, Opt(help="l∞ radius of training PGD-10 (inputs in [0, 1]).")] = 0.031,
    epochs: int = 10,
    lr: float = 0.05,
    batch_size: int = 128,
    seed: int = 0,
    arch: Annotated[str, Opt(help="mlp, cnn, or auto (mlp for 8×8 digits, else cnn).")] = "auto",
    n_train: Annotated[int | None, Opt(help="Training subset (pair tasks: pairs).")] = None,
    data_root: Annotated[Path | None, Opt(help="Folder with the dataset files.")] = None,
    device: str | None = None,
    out: Annotated[Path | None, Opt(help="Checkpoint [default: atur-METHOD-DATASET.pt].")] = None,
) -> None:
    """Train a classifier with one of the methods and save a checkpoint."""
    method_cfg = MethodConfig(method)
    settings = TrainSettings(
        epochs=epochs, batch_size=batch_size, lr=lr, attack_eps=eps, seed=seed, device=device
    )
    out = out or Path(f"atur-{method}-{dataset}.pt")
    path, losses = train_and_save(out, dataset, method_cfg, settings, arch, data_root, n_train)
    console.print(
        f"trained {method} on {dataset} (ε={eps:g}); final loss {losses[-1]:.4f}; "
        f"checkpoint: {path}"
    )


def _cp(
    cp: str, alpha: float, splits: int, randomized: bool, zero_sets: bool, set_rule: str
) -> CPConfig:
    return CPConfig(
        score=cp,  # type: ignore[arg-type]
        alpha=alpha,
        n_splits=splits,
        randomized=randomized,
        allow_zero_sets=zero_sets,
        set_rule=set_rule,  # type: ignore[arg-type]
    )


SET_RULE_HELP = (
    "Sets of non-randomised APS/RAPS (--no-randomized): inclusive also takes the class whose "
    "cumulative mass crosses the threshold (never empty; official code, MAPIE), exclusive only "
    "the classes scoring <= it."
)


ATTACK_HELP = "none, fgsm, pgd<N>, pgdl2-<N>, apgd-ce, apgd-t or aa."


@app.command()
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo atur train`.")],
    attack: Annotated[str, Opt(help=ATTACK_HELP)] = "pgd100",
    eps: Annotated[float | None, Opt(help="Attack radius [default: the training ε].")] = None,
    cp: Annotated[str, Opt(help="thr, aps or raps.")] = "aps",
    alpha: Annotated[float, Opt(help="Miscoverage level, in (0, 1).")] = 0.1,
    splits: Annotated[int, Opt(help="Calibration/test splits (1:4).")] = 5,
    randomized: Annotated[bool, Opt(help="Randomised APS/RAPS.")] = True,
    set_rule: Annotated[str, Opt(help=SET_RULE_HELP)] = "inclusive",
    allow_zero_sets: bool = False,
    dataset: Annotated[str | None, Opt(help="Dataset [default: the training one].")] = None,
    data_root: Path | None = None,
    seed: int = 0,
) -> None:
    """Attack the test set once, then conformal prediction over calibration/test splits."""
    cfg = _cp(cp, alpha, splits, randomized, allow_zero_sets, set_rule)
    r = evaluate_checkpoint(checkpoint, attack, cfg, eps, dataset, data_root, seed)
    table = Table("metric", "value", title="cleancal_*: calibrated on clean data")
    for key in ("dataset", "method", "attack", "eps"):
        table.add_row(key, str(r[key]))
    for key, value in r.items():
        if isinstance(value, float) and key != "eps":
            table.add_row(key, f"{value:.4f}")
    console.print(table)


@app.command("table")
def results_table(
    checkpoints: Annotated[list[Path], typer.Argument(help="Checkpoints (rows: methods).")],
    attack: Annotated[str, Opt(help=ATTACK_HELP)] = "pgd100",
    cp: str = "aps",
    alpha: float = 0.1,
    splits: int = 5,
    data_root: Path | None = None,
    seed: int = 0,
) -> None:
    """The paper's Table 1/3 layout: Rob. Cov / Rob. PSS / Clean acc / Rob. acc per cell."""
    cfg = _cp(cp, alpha, splits, True, False, "inclusive")
    cells: dict[tuple[str, str], str] = {}
    methods: list[str] = []
    datasets: list[str] = []
    for path in checkpoints:
        r = evaluate_checkpoint(path, attack, cfg, None, None, data_root, seed)
        methods += [r["method"]] if r["method"] not in methods else []
        datasets += [r["dataset"]] if r["dataset"] not in datasets else []
        values = (100 * r["coverage"], r["pss"], 100 * r["clean_acc"], 100 * r["robust_acc"])
        cells[r["method"], r["dataset"]] = " / ".join(f"{v:.2f}" for v in values)
    title = f"{attack}, {cp.upper()}, α={alpha}: Rob. Cov / Rob. PSS / Clean / Rob. acc"
    table = Table("method", *datasets, title=title)
    for m in methods:
        table.add_row(m, *(cells.get((m, d), "—") for d in datasets))
    console.print(table)
