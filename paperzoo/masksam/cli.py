"""``paperzoo masksam train | segment | evaluate | phantom``: argument parsing and printing only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.core.registry import Scale
from paperzoo.masksam.data import TWINS, make_phantom, save_volume
from paperzoo.masksam.experiments import TEST_SEED_OFFSET, phantoms, setting
from paperzoo.masksam.inference import load_model, save_model, segment_file
from paperzoo.masksam.model import MaskSAM
from paperzoo.masksam.training import evaluate as evaluate_model
from paperzoo.masksam.training import masksam_loss
from paperzoo.masksam.training import train as train_model

app = typer.Typer(
    help="MaskSAM: prompt-free SAM with 3D adapters (arXiv:2403.14103).", no_args_is_help=True
)
console = Console()
Opt = typer.Option


def _fail(err: Exception) -> None:
    console.print(f"error: {err}", style="red", markup=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def train(
    out: Annotated[Path, Opt(help="Checkpoint to write.")] = Path("masksam.pt"),
    scale: Annotated[str, Opt(help="Model/data size: smoke, quick or full.")] = "quick",
    steps: Annotated[int | None, Opt(help="Training steps [default: the scale's].")] = None,
    n_train: Annotated[int | None, Opt(help="Training phantoms [default: the scale's].")] = None,
    no_depth: Annotated[bool, Opt(help="The 2D ablation (no depth context).")] = False,
    seed: int = 0,
) -> None:
    """Train MaskSAM (random frozen SAM) on seeded phantoms and save a checkpoint."""
    try:
        s = setting(Scale.parse(scale))
        cfg = replace(s.train, seed=seed, steps=steps or s.train.steps)
        model = MaskSAM(replace(s.model, depth_context=not no_depth))
        data = phantoms(s.spec, range(seed * 1000, seed * 1000 + (n_train or s.n_train)))
        losses = train_model(model, data, cfg, s.model.frames, s.model.img_size, masksam_loss(cfg))
    except ValueError as err:
        _fail(err)
    save_model(out, model, s.spec.classes, {"loss_last": losses[-1]})
    counts = model.parameter_counts()
    console.print(
        f"trained {cfg.steps} steps (loss {losses[0]:.3f} → {losses[-1]:.3f}); trainable "
        f"{counts['trainable']:,}/{counts['total']:,} parameters; checkpoint: {out}"
    )


@app.command()
def segment(
    volume: Annotated[Path, typer.Argument(help="A 3D NIfTI volume (.nii or .nii.gz).")],
    out: Annotated[Path, Opt(help="Mask to write (.nii.gz); same grid, affine and header.")],
    checkpoint: Annotated[Path, Opt(help="A checkpoint from `paperzoo masksam train`.")] = Path(
        "masksam.pt"
    ),
    png: Annotated[Path | None, Opt(help="Overlay PNG [default: OUT with .png].")] = None,
) -> None:
    """Segment a volume with sliding windows (progress bar) and write the mask and a PNG."""
    png = png or out.with_name(out.name.split(".")[0] + ".png")
    try:
        model, classes = load_model(checkpoint)
        vol, mask = segment_file(model, volume, out, png)
    except (ValueError, FileNotFoundError) as err:
        _fail(err)
    table = Table(
        "label", "class", "voxels", title=f"{volume.name}: {'×'.join(map(str, vol.image.shape))}"
    )
    for i, name in enumerate(classes):
        table.add_row(str(i), name, str(int((mask == i).sum())))
    console.print(table)
    console.print(f"mask: {out}; overlay: {png}")


@app.command()
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo masksam train`.")],
    scale: Annotated[str, Opt(help="Phantom size: smoke, quick or full.")] = "quick",
    n_test: Annotated[int, Opt(help="Held-out phantoms.")] = 3,
    seed: int = 0,
) -> None:
    """Dice (MONAI DiceMetric, sliding window) on held-out phantoms."""
    try:
        model, classes = load_model(checkpoint)
        s = setting(Scale.parse(scale))
        if s.spec.classes != classes:
            raise ValueError(
                f"scale: {scale!r} phantoms have classes {s.spec.classes}, the checkpoint {classes}"
            )
        start = TEST_SEED_OFFSET + seed * 1000
        cfg = model.cfg
        r = evaluate_model(
            model.semantic,
            phantoms(s.spec, range(start, start + n_test)),
            (cfg.frames, cfg.img_size, cfg.img_size),
            classes,
            TWINS,
        )
    except (ValueError, FileNotFoundError) as err:
        _fail(err)
    table = Table("metric", "Dice")
    for key, value in r.items():
        table.add_row(key, f"{value:.4f}")
    console.print(table)


@app.command()
def phantom(
    out: Annotated[Path, typer.Argument(help="Volume to write (.nii.gz).")],
    label: Annotated[Path | None, Opt(help="Also write the label map here.")] = None,
    scale: Annotated[str, Opt(help="Phantom size: smoke, quick or full.")] = "quick",
    seed: int = 0,
) -> None:
    """Write one seeded phantom (and its labels) as NIfTI, spacing in the affine."""
    try:
        s = setting(Scale.parse(scale))
        save_volume(make_phantom(seed, s.spec), out, label)
    except ValueError as err:
        _fail(err)
    console.print(
        f"phantom {s.spec.shape} (seed {seed}): {out}" + (f", labels: {label}" if label else "")
    )
