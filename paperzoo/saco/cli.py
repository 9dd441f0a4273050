"""``paperzoo saco score | benchmark``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from paperzoo.core.io import ensure_writable_dir
from paperzoo.core.report import summarise
from paperzoo.core.vit.train import resolve_model
from paperzoo.saco.config import SaCoConfig
from paperzoo.saco.data import fit_to_model, study_images
from paperzoo.saco.metric import SaCo
from paperzoo.saco.study import (
    RANDOM,
    StudyConfig,
    explain_batched,
    make_explainer,
    run_study_seeds,
    save_scores,
    separation,
    study_methods,
)

app = typer.Typer(help="SaCo faithfulness metric (arXiv:2404.01415).", no_args_is_help=True)
console = Console()

DEFAULT_OUT = Path("paperzoo-report/saco")
MODEL_HELP = "CKPT (paperzoo ViT), timm:NAME:PATH or hf:DIR; default: the trained small ViT."


@app.command()
def score(
    method: str = typer.Option("tokentm", help="Explainer: a registered name."),
    k: int = typer.Option(10, help="Number of salience groups K."),
    model: str | None = typer.Option(None, help=MODEL_HELP),
    n: int = typer.Option(100, help="Placed test images to score."),
    seed: int = typer.Option(0, help="Seed of the image draw (and of Random maps)."),
    grouping: str = typer.Option("pixel", help="'pixel' (paper) or 'patch'."),
    patch_size: int | None = typer.Option(None, help="Patch size for patch grouping."),
) -> None:
    """Score one explainer's maps with SaCo: mean ± 95 % CI over images."""
    cfg = SaCoConfig(k=k, grouping=grouping, patch_size=patch_size)
    net, data = resolve_model(model)
    x = fit_to_model(study_images(n, seed, data), net)
    maps = explain_batched(make_explainer(method, net, seed), x, 50)
    result = SaCo(cfg)(model=net, x_batch=x, a_batch=maps)
    summary = summarise(result.scores.tolist())
    console.print(
        f"SaCo({method}, K={k}) = {summary.format()} over {summary.n} images; "
        f"{result.skipped} skipped (constant maps); {result.forward_images} forward images"
    )


@app.command()
def benchmark(
    n: int = typer.Option(500, help="Test images per seed."),
    seeds: int = typer.Option(3, min=1, help="Seeds (image draws)."),
    ks: str = typer.Option("5,10,20", help="Comma-separated K values for SaCo."),
    methods: str | None = typer.Option(
        None, help="Comma-separated explainers (default: every registered one)."
    ),
    model: str | None = typer.Option(None, help=MODEL_HELP),
    out: Annotated[Path, typer.Option(help="Folder for the per-image scores.")] = DEFAULT_OUT,
) -> None:
    """Every explainer × every metric (SaCo at each K, AOPC, AUCs, LOdds, ERASER), with CIs."""
    try:
        k_values = tuple(int(v) for v in ks.split(","))
    except ValueError:
        raise ValueError(f"ks: expected comma-separated integers, got {ks!r}") from None
    names = None if methods is None else tuple(methods.split(","))
    cfg = StudyConfig(n_images=n, ks=k_values, methods=names)
    ensure_writable_dir(out)
    net, data = resolve_model(model)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("explaining and scoring", total=seeds * len(study_methods(cfg)))
        per_seed = run_study_seeds(net, cfg, seeds, data, lambda _m: progress.advance(task))
    metric_names = list(per_seed[0].higher_is_better)
    table = Table("method", *(f"{m} {'↑' if per_seed[0].higher_is_better[m] else '↓'}"
                              for m in metric_names))  # fmt: skip
    for method in per_seed[0].methods:
        cells = []
        for metric in metric_names:
            s = summarise([r.mean(method, metric) for r in per_seed])
            cells.append(f"{s.mean:.3f}" + (f" ± {s.half_width:.3f}" if s.n > 1 else ""))
        table.add_row(method, *cells)
    console.print(table)
    if RANDOM in per_seed[0].methods:
        rows = {m: separation(per_seed[0], m, cfg.bootstrap) for m in metric_names}
        console.print("methods better than Random (seed 0, paired 95% CI): " + ", ".join(
            f"{m}: {sum(v > 0 for v in sep.values())}/{len(sep)}" for m, sep in rows.items()
        ))  # fmt: skip
    path = save_scores(per_seed, out / "saco_benchmark.pt")
    console.print(f"per-image scores: {path}")
