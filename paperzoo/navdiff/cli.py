"""``paperzoo navdiff train | evaluate | demo``: argument parsing and printing only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from paperzoo.navdiff.config import SELECTIONS, EnvConfig, SelectConfig
from paperzoo.navdiff.data import eval_seeds, expert_data
from paperzoo.navdiff.evaluate import evaluate as run_evaluation
from paperzoo.navdiff.experiments import QUICK, Setting, trained_models
from paperzoo.navdiff.training import (
    load_checkpoint,
    save_checkpoint,
    train_diffusion,
    train_planner,
)

app = typer.Typer(
    help="Value-guided diffusion route planning under partial observability (arXiv:2404.02176).",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)
Opt = typer.Option


def _fail(error: Exception) -> None:
    err.print(f"error: {error}")
    raise typer.Exit(2)


def _train(s: Setting, seed: int):
    data = expert_data(s.env, s.train.n_mazes, s.train.expert, seed)
    planner, _ = train_planner(data, replace(s.planner, k=s.train_k), replace(s.train, seed=seed))
    planner.config = s.planner
    policy, losses = train_diffusion(data, s.diffusion, replace(s.train, seed=seed))
    return planner, policy, losses


@app.command()
def train(
    out: Annotated[Path, Opt(help="Checkpoint file to write.")] = Path("navdiff.pt"),
    mazes: Annotated[int, Opt(help="Expert episodes (one per maze).")] = 300,
    planner_steps: int = 300,
    diffusion_steps: int = 600,
    expert: Annotated[str, Opt(help="optimistic or true.")] = "optimistic",
    size: int = 15,
    view_range: int = 2,
    seed: int = 0,
) -> None:
    """Train the planner and the diffusion policy by imitation; save both."""
    try:
        s = replace(
            QUICK,
            env=EnvConfig(size=size, view_range=view_range),
            train=replace(
                QUICK.train,
                n_mazes=mazes,
                planner_steps=planner_steps,
                diffusion_steps=diffusion_steps,
                expert=expert,
            ),  # fmt: skip
        )
        planner, policy, losses = _train(s, seed)
    except ValueError as error:
        _fail(error)
    path = save_checkpoint(out, planner, policy, s.env)
    console.print(f"trained on {mazes} mazes; final denoising loss {losses[-1]:.4f}; {path}")


@app.command()
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint from `paperzoo navdiff train`.")],
    method: Annotated[str, Opt(help="vi, expert or diffusion.")] = "diffusion",
    selection: Annotated[str, Opt(help=f"One of: {', '.join(SELECTIONS)}.")] = "memory",
    n_plans: int = 20,
    episodes: int = 100,
    rounds: int = 1,
    size: Annotated[int | None, Opt(help="Maze size [default: the training size].")] = None,
    seed: int = 0,
) -> None:
    """Success, reach rate and SPL on held-out mazes (episode seeds printed)."""
    try:
        if rounds < 1 or episodes < 1:
            raise ValueError(f"episodes and rounds must be >= 1, got {episodes} and {rounds}")
        planner, policy, env = load_checkpoint(checkpoint)
        env = env if size is None else replace(env, size=size, max_steps=env.max_steps * 3)
        select = SelectConfig(selection, n_plans)  # type: ignore[arg-type]
        runs = [
            run_evaluation(
                env,
                eval_seeds(seed * 100 + r, episodes),
                method,
                planner,
                policy,
                select,
                seed * 100 + r,
            )  # fmt: skip
            for r in range(rounds)
        ]
    except (ValueError, FileNotFoundError) as error:
        _fail(error)
    table = Table("metric", "mean", "SD across rounds", title=f"{method} {selection} N={n_plans}")
    for key in ("success", "reached", "spl", "collided", "cycled"):
        per = [float(np.mean(r[key])) for r in runs]
        table.add_row(
            key, f"{np.mean(per):.3f}", f"{np.std(per, ddof=1):.3f}" if rounds > 1 else "—"
        )
    console.print(table)
    first = runs[0]["seeds"]
    console.print(f"episode seeds: {first[0]}…{first[-1]} per round (round r adds r·10**6)")


@app.command()
def demo(
    out: Annotated[Path, Opt(help="Animated GIF to write.")] = Path("episode.gif"),
    checkpoint: Annotated[
        Path | None,
        Opt(help="Trained models [default: the quick-scale pair `reproduce --quick` caches]."),
    ] = None,
    seed: Annotated[int, Opt(help="Held-out maze seed offset.")] = 0,
    n_plans: int = 20,
) -> None:
    """Write an animated GIF of one episode: map, belief, sampled plans, the chosen one."""
    from paperzoo.navdiff.demo import episode_gif

    try:
        if checkpoint is None:
            console.print("no --checkpoint: the quick-scale models (cached; about 30 s to train)")
            planner, policy, _ = trained_models(QUICK, 0)
            env = QUICK.env
        else:
            planner, policy, env = load_checkpoint(checkpoint)
        path, result = episode_gif(
            out, planner, policy, env, int(eval_seeds(seed, 1)[0]), SelectConfig("memory", n_plans)
        )
    except (ValueError, FileNotFoundError) as error:
        _fail(error)
    outcome = "success" if result["success"][0] else "failure"
    console.print(f"{outcome} in {int(result['steps'][0])} steps; wrote {path}")
