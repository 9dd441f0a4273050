"""``paperzoo prumerge reduce | evaluate``: argument parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperzoo.core.registry import Scale
from paperzoo.prumerge.config import PruMergeConfig

app = typer.Typer(
    help="PruMerge / PruMerge+ adaptive visual-token reduction (arXiv:2403.15388).",
    no_args_is_help=True,
)
console = Console()
Opt = typer.Option


@app.command()
def reduce(
    image: Annotated[Path, typer.Argument(help="PNG/JPEG image file.")],
    model: Annotated[
        str | None, Opt(help="PATH | timm:NAME:PATH | hf:DIR [default: the cached trained ViT].")
    ] = None,
    plus: Annotated[bool, Opt(help="PruMerge+ (adds spatially uniform samples).")] = False,
    plus_mode: Annotated[str, Opt(help="raster (official) or grid2d.")] = "raster",
    attention: Annotated[str, Opt(help="concat (official) or per_head.")] = "concat",
    knn: Annotated[
        int, Opt(help="Neighbours merged per kept token (scaled down on small grids).")
    ] = 32,
    out: Annotated[Path, Opt(help="Overlay PNG to write.")] = Path("prumerge-overlay.png"),
) -> None:
    """Print how many tokens PruMerge keeps for IMAGE and save the kept-token overlay."""
    from paperzoo.core.vit.train import resolve_model
    from paperzoo.prumerge.visualize import reduce_image

    cfg = PruMergeConfig(attention=attention, knn=knn, plus=plus, plus_mode=plus_mode)
    net, _ = resolve_model(model, Scale.QUICK)
    r = reduce_image(net, image, out, cfg)
    console.print(
        f"k = {r.k} outlier tokens; {r.tokens} tokens out (incl. the pooled token) of {r.n}; "
        f"overlay: {r.overlay}"
    )


@app.command()
def evaluate(
    scale: Annotated[str, Opt(help="smoke, quick or full.")] = "quick",
    seed: int = 0,
) -> None:
    """Accuracy of the head stand-in per reducer at matched budgets (cached experiment)."""
    from paperzoo.prumerge.experiments import evaluation

    r = evaluation(seed, Scale.parse(scale))
    table = Table(title=f"prumerge evaluation ({scale}, seed {seed}; {r['n_tokens']:.0f} tokens)")
    for col in ("method", "tokens", "training-free", "fine-tuned"):
        table.add_column(col)
    names = ["prumerge", "prumerge_norm", "prumerge_plus", "plus_grid2d", "r8_prumerge",
             "random_k", "cls_topk", "avg_pool", "tome", "visionzip"]  # fmt: skip
    table.add_row("all tokens", f"{r['n_tokens']:.0f}", f"{r['full']:.3f}", f"{r['ft_full']:.3f}")
    for name in names:
        ft = r.get(f"ft_{name}")
        table.add_row(name, f"{r[f'tokens_{name}']:.1f}", f"{r[f'tf_{name}']:.3f}",
                      "" if ft is None else f"{ft:.3f}")  # fmt: skip
    console.print(table)
