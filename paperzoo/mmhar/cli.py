"""``paperzoo mmhar train | evaluate | sweep-missing | predict``: parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.mmhar.config import ENCODERS, FUSIONS, ModelConfig, TrainConfig, WindowConfig
from paperzoo.mmhar.data import DATASETS, load_csv, load_recordings, parse_subjects
from paperzoo.mmhar.evaluate import confusion, evaluate, missing_sweep, plot_confusion
from paperzoo.mmhar.modality import Windows, check_modalities, sliding_windows
from paperzoo.mmhar.predict import plot_timeline, predict_recording
from paperzoo.mmhar.training import load_trained, save_trained, train_model

app = typer.Typer(
    help="Multimodal wearable HAR: modalities, fusion levels, missing-modality robustness "
    "(arXiv:2404.15349).",
    no_args_is_help=True,
)
console = Console()
Opt = typer.Option
DATA_HELP = f"One of: {', '.join(DATASETS)}."
SUBJ_HELP = "Subjects, e.g. 1-21 or 1,3,5 [default: all]."


def _windows(dataset: str, subjects: str | None, seed: int = 0) -> Windows:
    recs, classes = load_recordings(dataset, parse_subjects(subjects), seed)
    cfg = WindowConfig()
    return sliding_windows(recs, classes, cfg.length_s, cfg.step_s, cfg.purity, cfg.min_present)


@app.command()
def train(
    dataset: Annotated[str, Opt(help=DATA_HELP)] = "hapt",
    subjects: Annotated[str | None, Opt(help=SUBJ_HELP)] = None,
    modalities: Annotated[str, Opt(help="Comma-separated modality names.")] = "acc,gyro",
    encoder: Annotated[str, Opt(help=f"One of: {', '.join(ENCODERS)}.")] = "cnn",
    fusion: Annotated[str, Opt(help=f"One of: {', '.join(FUSIONS)}.")] = "gated",
    modality_dropout: float = 0.3,
    width: int = 24,
    epochs: int = 10,
    seed: int = 0,
    out: Annotated[Path, Opt(help="Checkpoint path.")] = Path("mmhar.pt"),
) -> None:
    """Train a model on the windows of the given subjects and save a checkpoint."""
    cfg = ModelConfig(encoder, fusion, width, modality_dropout)
    w = _windows(dataset, subjects, seed)
    names = [m.strip() for m in modalities.split(",") if m.strip()]
    check_modalities(names, w.names)
    trained = train_model(w.select(names), cfg, TrainConfig(epochs=epochs, seed=seed))
    save_trained(out, trained)
    console.print(f"trained {encoder}+{fusion} on {len(w)} {dataset} windows; checkpoint: {out}")


def _table(title: str, rows: dict[str, dict[str, float]]) -> Table:
    table = Table(title=title)
    for col in ("setting", "accuracy", "macro_f1", "weighted_f1"):
        table.add_column(col)
    for name, s in rows.items():
        table.add_row(name, *(f"{s[k]:.4f}" for k in ("accuracy", "macro_f1", "weighted_f1")))
    return table


@app.command(name="evaluate")
def evaluate_cmd(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo mmhar train`.")],
    dataset: Annotated[str, Opt(help=DATA_HELP)] = "hapt",
    subjects: Annotated[str | None, Opt(help="Test subjects (disjoint from training!).")] = None,
    plot: Annotated[Path | None, Opt(help="Write the confusion matrix PNG here.")] = None,
) -> None:
    """Accuracy, macro-F1 and weighted-F1 on the given subjects; optional confusion plot."""
    trained = load_trained(checkpoint)
    w = _windows(dataset, subjects)
    overlap = sorted(trained.normalization.subjects & set(w.subject.tolist()))
    if overlap:
        raise ValueError(f"subjects: {overlap} were used in training (leakage)")
    console.print(_table(f"{checkpoint.name} on {dataset}", {"all": evaluate(trained, w)}))
    if plot is not None:
        plot_confusion(confusion(trained, w), trained.classes, plot, checkpoint.name)
        console.print(f"confusion matrix: {plot}")


@app.command(name="sweep-missing")
def sweep_missing(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo mmhar train`.")],
    dataset: Annotated[str, Opt(help=DATA_HELP)] = "hapt",
    subjects: Annotated[str | None, Opt(help="Test subjects.")] = None,
    seed: int = 0,
) -> None:
    """Scores with each modality dropped and with random per-window modality loss."""
    trained = load_trained(checkpoint)
    w = _windows(dataset, subjects).select(trained.model.names)
    console.print(_table("missing-modality sweep", missing_sweep(trained, w, seed=seed)))


@app.command()
def predict(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo mmhar train`.")],
    recording: Annotated[Path, typer.Argument(help="CSV: one row per sample, acc-x… columns.")],
    rate: Annotated[float, Opt(help="Sampling rate of the CSV rows (Hz).")] = 50.0,
    plot: Annotated[Path | None, Opt(help="Write the timeline PNG here.")] = None,
) -> None:
    """Per-window activity labels for a CSV recording, and a timeline plot."""
    trained = load_trained(checkpoint)
    rec = load_csv(recording, trained.model.modalities, rate)
    timeline = predict_recording(trained, rec)
    table = Table(title=f"{recording.name}: {len(timeline.label)} windows")
    for col in ("start_s", "label", "confidence"):
        table.add_column(col)
    for s, lab, c in zip(timeline.start, timeline.label, timeline.confidence, strict=True):
        table.add_row(f"{s:.2f}", lab, f"{c:.3f}")
    console.print(table)
    if plot is not None:
        plot_timeline(timeline, trained.classes, plot)
        console.print(f"timeline: {plot}")
