"""``paperzoo tokentm train | explain | evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from torch import nn

from paperzoo.core.data.placed import PlacedConfig

app = typer.Typer(help="TokenTM ViT explanations and their baselines.", no_args_is_help=True)
console = Console()


def _model(spec: str | None) -> tuple[nn.Module, PlacedConfig | None]:
    """The user's model, or the cached trained ViT with the data config it was trained on."""
    from paperzoo.core.vit.train import resolve_model

    return resolve_model(spec)


@app.command()
def train(
    quick: Annotated[
        bool, typer.Option(help="Smaller, shorter training (about a minute).")
    ] = False,
    retrain: Annotated[bool, typer.Option(help="Train even if a cached model exists.")] = False,
) -> None:
    """Train the small ViT on placed Fashion-MNIST (CPU) and cache it."""
    from paperzoo.core.vit.train import trained_vit

    _, meta = trained_vit("quick" if quick else "full", retrain=retrain)
    console.print(
        f"test accuracy {meta['test_accuracy']:.4f} (val {meta['val_accuracy']:.4f}), "
        f"trained in {meta['train_seconds']:.0f} s on {meta['threads']} thread(s), "
        f"scale {meta['scale']}\ncheckpoint: {meta['path']}"
    )


def _floats(text: str, name: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"{name}: expected comma-separated numbers, got {text!r}") from None


@app.command()
def explain(
    image: Annotated[Path, typer.Argument(help="Image file (PNG, JPEG, ...).")],
    model: Annotated[
        str | None, typer.Option(help="CKPT | timm:NAME:PATH | hf:DIR (default: the trained ViT)")
    ] = None,
    method: Annotated[str, typer.Option(help="Explainer name.")] = "tokentm",
    target: Annotated[
        int | None, typer.Option(help="Class index (default: the predicted one).")
    ] = None,
    resize: Annotated[
        bool, typer.Option(help="Convert channels, resize and crop as the model's preprocessing.")
    ] = False,
    normalize: Annotated[
        bool, typer.Option(help="Apply the model's mean/std (timm data config, HF preprocessor).")
    ] = True,
    mean: Annotated[
        str | None, typer.Option(help="Per-channel mean for [0, 1] pixels, e.g. 0.5,0.5,0.5.")
    ] = None,
    std: Annotated[str | None, typer.Option(help="Per-channel std, with --mean.")] = None,
    background: Annotated[
        float | None,
        typer.Option(help="Grey level in [0, 1] under transparent pixels (default: refuse them)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Overlay to write: .png, .jpg, .pdf or .svg.")] = Path(
        "map.png"
    ),
) -> None:
    """Explain one image and write a heatmap overlay."""
    import torch

    from paperzoo.core.vit.adapters import adapt
    from paperzoo.core.vit.preprocess import resolve_preprocessing
    from paperzoo.tokentm import get_explainer
    from paperzoo.tokentm.visualize import load_image, overlay_format, save_overlay

    overlay_format(out)
    if (mean is None) != (std is None):
        raise ValueError("mean: --mean and --std go together")
    if mean is not None and not normalize:
        raise ValueError("normalize: --no-normalize contradicts --mean/--std")
    explainer_cls = get_explainer(method)
    adapter = adapt(_model(model)[0])
    pre = resolve_preprocessing(adapter)
    if mean is not None and std is not None:
        pre = pre.override(_floats(mean, "mean"), _floats(std, "std"))
    elif not normalize:
        pre = pre.unnormalised()
    console.print(f"preprocessing: {pre.describe(resize)}", highlight=False, soft_wrap=True)
    pixels = load_image(image, adapter, resize, pre, background)
    x = pre.normalize(pixels)
    heat = explainer_cls(adapter).explain(x, target)
    with adapter.eval_mode(), torch.no_grad():
        logits = adapter.logits(x)[0]
    cls = int(logits.argmax()) if target is None else target
    save_overlay(pixels[0], heat[0], out, f"{method}, class {cls}")
    console.print(f"{method}: class {cls} (predicted {int(logits.argmax())}); overlay: {out}")


@app.command()
def evaluate(
    methods: Annotated[
        str, typer.Option(help="Comma-separated explainer names (default: all).")
    ] = "",
    n: Annotated[int, typer.Option(help="Test images.")] = 500,
    seed: Annotated[int, typer.Option(help="Picks and places the test images.")] = 0,
    model: Annotated[str | None, typer.Option(help="CKPT | timm:NAME:PATH | hf:DIR")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the plot.")] = Path("paperzoo-report"),
) -> None:
    """Perturbation and segmentation tests of each method on placed Fashion-MNIST."""
    from paperzoo.core.io import ensure_writable_dir
    from paperzoo.tokentm.evaluate import DEFAULT_METHODS, evaluate_methods
    from paperzoo.tokentm.visualize import plot_results

    names = [m.strip() for m in methods.split(",") if m.strip()] or list(DEFAULT_METHODS)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    net, data = _model(model)
    results = evaluate_methods(net, names, n=n, seed=seed, data=data)
    table = Table("method", "pos. AUC ↓", "neg. AUC ↑", "pixel acc.", "mIoU", "AP", "s/image")
    for name, r in results.items():
        table.add_row(
            name, *(f"{r[k]:.4f}" for k in ("positive_auc", "negative_auc", "pixel_accuracy")),
            f"{r['miou']:.4f}", f"{r['ap']:.4f}", f"{r['explain_seconds_per_image']:.4f}",
        )  # fmt: skip
    console.print(table)
    plots = plot_results(results, ensure_writable_dir(out), f"evaluate-n{n}-seed{seed}")
    console.print(f"plot: {plots[0]}")
