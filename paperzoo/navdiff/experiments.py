"""The cached runs the claims read: one planner and one diffusion-policy training per (setting,
seed), shared by every claim, and one batched evaluation of all rounds per (setting, seed, method,
selection, N, rounds, maze size, BEV).

Scales: smoke (tests) = 9×9 mazes and a handful of steps; quick = 15×15 vr2 mazes, 160 expert
episodes, tiny nets, 2 rounds × 8 held-out episodes; full = 1000 episodes, longer training,
5 rounds × 100 episodes (docs/navdiff.md §4).
"""

from __future__ import annotations

import inspect
import multiprocessing
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
import torch

from paperzoo.core.experiments import ExperimentCall, experiment, run_calls
from paperzoo.core.registry import Scale
from paperzoo.core.runtime import torch_threads, usable_cpus
from paperzoo.navdiff.bev import bev_maps, obstacle_iou
from paperzoo.navdiff.config import (
    BEVConfig,
    DiffusionConfig,
    EnvConfig,
    PlannerConfig,
    SelectConfig,
    TrainConfig,
)
from paperzoo.navdiff.data import eval_seeds, expert_data
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.evaluate import evaluate
from paperzoo.navdiff.maze import generate_mazes, place_start_goal
from paperzoo.navdiff.planner import QMDPPlanner
from paperzoo.navdiff.training import planner_accuracy, train_diffusion, train_planner


@dataclass(frozen=True)
class Setting:
    """Everything that decides a trained pair and its evaluation."""

    env: EnvConfig
    planner: PlannerConfig
    diffusion: DiffusionConfig
    train: TrainConfig
    train_k: int  # VI iterations while training (evaluation uses planner.k)
    rounds: int
    episodes: int
    execute: int = 1
    parallel: bool = True  # trainings and evaluations in worker processes (fill_cache)


SMOKE = Setting(
    EnvConfig(size=9, max_steps=25, min_distance=4.0),
    PlannerConfig(k=16, hidden=8),
    DiffusionConfig(width=8, embed=16, crop=4),
    TrainConfig(n_mazes=16, planner_steps=4, diffusion_steps=4, diffusion_batch=32),
    train_k=8,
    rounds=1,
    episodes=4,
    parallel=False,  # tests: no worker processes
)
QUICK = Setting(
    EnvConfig(),
    PlannerConfig(k=60, hidden=16),
    DiffusionConfig(width=16, embed=32),
    TrainConfig(
        n_mazes=160,
        planner_steps=300,
        planner_lr=1e-2,
        diffusion_steps=500,  # 700 before: the 60 s budget (docs/navdiff.md §4.2)
        diffusion_lr=3e-3,
        diffusion_batch=128,
    ),  # fmt: skip
    train_k=20,  # 30 at full scale; 20 trains 1.5× faster, no weaker (docs/navdiff.md §4.2)
    rounds=2,
    episodes=8,  # 2 × 8 held-out episodes: the 60 s budget (docs/navdiff.md §4.2)
)
FULL = Setting(
    EnvConfig(),
    PlannerConfig(k=60, hidden=16),
    DiffusionConfig(width=16, embed=32),
    TrainConfig(
        n_mazes=1000,
        planner_steps=1000,
        planner_lr=5e-3,
        diffusion_steps=2500,
        diffusion_lr=3e-3,
        diffusion_batch=128,
    ),  # fmt: skip
    train_k=30,
    rounds=5,
    episodes=100,
)


def setting(scale: Scale) -> Setting:
    return Scale.parse(scale).pick(smoke=SMOKE, quick=QUICK, full=FULL)


#: max steps on the larger (30×30) mazes, × the training size's: a partially observed maze of 4×
#: the cells needs that much exploration; within ×3 the optimistic expert itself fails a quarter
#: of them (docs/navdiff.md §3)
BIG_STEP_FACTOR = 6


@cache
def _expert_data(env: EnvConfig, n_mazes: int, expert: str, seed: int) -> dict:
    """Expert episodes, computed once per process for the two trainings that share them."""
    return expert_data(env, n_mazes, expert, seed)


@experiment(binary=True)
def trained_planner(s: Setting, seed: int) -> dict[str, Any]:
    """The planner trained by imitation on seed ``seed``'s expert episodes (K = ``s.train_k``),
    and its action accuracy on held-out expert steps."""
    train = replace(s.train, seed=seed)
    with torch_threads(1):
        data = _expert_data(s.env, train.n_mazes, train.expert, seed)
        planner, p_loss = train_planner(data, replace(s.planner, k=s.train_k), train)
        planner.config = s.planner
        held_out = expert_data(s.env, max(train.n_mazes // 10, 4), train.expert, seed + 500)
        acc = planner_accuracy(planner, held_out)
    return {
        "planner": planner.state_dict(),
        "planner_loss": torch.tensor(p_loss),
        "planner_accuracy": torch.tensor(acc),
    }


@experiment(binary=True)
def trained_policy(s: Setting, seed: int) -> dict[str, Any]:
    """The diffusion policy trained by imitation on the same expert episodes (a separate entry,
    so ``reproduce --jobs 2`` trains both models at once)."""
    train = replace(s.train, seed=seed)
    with torch_threads(1):
        data = _expert_data(s.env, train.n_mazes, train.expert, seed)
        policy, d_loss = train_diffusion(data, s.diffusion, train)
    return {"policy": policy.state_dict(), "diffusion_loss": torch.tensor(d_loss)}


def training_calls(s: Setting, seed: int) -> list[ExperimentCall]:
    """The cached trainings every claim reads (one of each per setting and seed)."""
    return [trained_planner.call(s, seed), trained_policy.call(s, seed)]


def trained_models(s: Setting, seed: int) -> tuple[QMDPPlanner, DiffusionPolicy, dict[str, float]]:
    """The trained pair, rebuilt from the cache, plus training diagnostics.

    When neither is cached and ``s.parallel``, the two trainings run at once in two
    worker processes (main process only, ≥ 2 CPUs); each trains on one thread either way, so
    the cached models are the same as from one process."""
    calls = training_calls(s, seed)
    if (
        s.parallel
        and usable_cpus() >= 2
        and multiprocessing.parent_process() is None
        and not any(call.cached() for call in calls)
    ):
        failures = run_calls(calls, 2)
        if failures:
            call, error = failures[0]
            raise RuntimeError(f"{call.describe()} failed in a worker process: {error}") from error
    d_state = trained_policy(s, seed)
    policy = DiffusionPolicy(s.diffusion)
    policy.load_state_dict(d_state["policy"])
    d_loss = d_state["diffusion_loss"]
    n = max(len(d_loss) // 10, 1)
    planner, accuracy = _planner(s, seed)
    info = {
        "planner_accuracy": accuracy,
        "diffusion_loss_first": float(d_loss[:n].mean()),
        "diffusion_loss_last": float(d_loss[-n:].mean()),
    }
    return planner, policy.eval(), info


def _planner(s: Setting, seed: int) -> tuple[QMDPPlanner, float]:
    """The trained planner (one read of its cache entry) and its held-out action accuracy."""
    state = trained_planner(s, seed)
    planner = QMDPPlanner(s.planner)
    planner.load_state_dict(state["planner"])
    return planner.eval(), float(state["planner_accuracy"])


@experiment()
def evaluation(
    s: Setting,
    seed: int,
    method: str,
    selection: str = "memory",
    n_plans: int = 20,
    n_rounds: int = 1,
    size: int | None = None,
    episodes: int | None = None,
    bev: BEVConfig | None = None,
) -> dict[str, Any]:
    """``n_rounds`` rounds of ``episodes`` (default ``s.episodes``) held-out episodes (seeds
    recorded, ``round`` per episode) on mazes of ``size``, all stepped in one batch (one
    sampling generator, seed ``100·seed``); with ``bev``, on maps projected from point clouds
    of the same mazes."""
    # the expert needs no trained model; CALVIN only the planner
    planner, policy, info = None, None, {}
    if method == "diffusion":
        planner, policy, info = trained_models(s, seed)
    elif method == "vi":
        planner, _ = _planner(s, seed)
    env = (
        s.env
        if size is None
        else replace(s.env, size=size, max_steps=s.env.max_steps * BIG_STEP_FACTOR)
    )
    n = episodes or s.episodes
    seeds = np.concatenate([eval_seeds(seed * 100 + r, n) for r in range(n_rounds)])
    select = SelectConfig(selection, n_plans, s.execute)  # type: ignore[arg-type]
    maps = None
    if bev is not None:
        free = generate_mazes(seeds, env.size)
        _, goals = place_start_goal(seeds, free, env.min_distance)
        maps = np.concatenate([
            bev_maps(free[r * n : (r + 1) * n], goals[r * n : (r + 1) * n], bev, seed * 100 + r)
            for r in range(n_rounds)
        ])  # fmt: skip
        truth_goal = maps[np.arange(len(seeds)), 2, goals[:, 0], goals[:, 1]]
        spurious = float(maps[:, 2].sum() - truth_goal.sum()) / n_rounds
        info = {**info, "obstacle_iou": obstacle_iou(maps, free),
                "goal_found": float(truth_goal.mean()), "spurious_goals": spurious}  # fmt: skip
    # value iteration runs K ∝ maze size (the planner's K on the training size): on a larger maze
    # values must travel further (docs/navdiff.md §3)
    k = s.planner.k * max(env.size, s.env.size) // s.env.size
    with torch_threads(1):
        out = evaluate(
            env, seeds, method, planner, policy, select, seed=seed * 100, planner_k=k, bev=maps
        )
    return {**out, **info, "round": np.repeat(np.arange(n_rounds), n).tolist()}


def rounds(
    s: Setting, seed: int, method: str, selection: str = "memory", n_plans: int = 20,
    size: int | None = None, episodes: int | None = None, bev: BEVConfig | None = None,
    n_rounds: int | None = None,
) -> dict[str, float]:  # fmt: skip
    """Success, reach and SPL over rounds: mean and SD across rounds, episode count."""
    n = n_rounds or s.rounds
    run = evaluation(s, seed, method, selection, n_plans, n, size, episodes, bev)
    of = np.asarray(run["round"])
    out: dict[str, float] = {}
    for key in ("success", "reached", "spl", "collided", "cycled"):
        per_round = [float(np.mean(np.asarray(run[key])[of == r])) for r in range(n)]
        out[f"{key}"] = float(np.mean(per_round))
        out[f"{key}_sd"] = float(np.std(per_round, ddof=1)) if len(per_round) > 1 else 0.0
    out["episodes"] = float(len(run["success"]))
    out["fallback_share"] = run["fallbacks"] / run["replans"] if run["replans"] else 0.0
    out["first_seed"] = float(run["seeds"][0])
    for key in ("obstacle_iou", "goal_found", "spurious_goals"):
        if key in run:
            out[key] = float(run[key])
    return out


def round_calls(
    s: Setting, seed: int, method: str, selection: str = "memory", n_plans: int = 20,
    size: int | None = None, episodes: int | None = None, bev: BEVConfig | None = None,
    n_rounds: int | None = None,
) -> list:  # fmt: skip
    n = n_rounds or s.rounds
    return [evaluation.call(s, seed, method, selection, n_plans, n, size, episodes, bev)]


def _arguments(call: ExperimentCall) -> dict[str, Any]:
    """An evaluation call's arguments by name, defaults filled in."""
    bound = inspect.signature(evaluation.fn).bind(*call.args, **call.kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _cost(call: ExperimentCall) -> float:
    """Rough relative CPU time of an evaluation call, for scheduling only: episodes × maze area
    × per-replan cost (timed at quick scale: one guided sample ≈ 2.5 N = 20 ranked ones)."""
    a = _arguments(call)
    s: Setting = a["s"]
    episodes = (a["episodes"] or s.episodes) * a["n_rounds"]
    area = ((a["size"] or s.env.size) / s.env.size) ** 2
    if a["method"] != "diffusion":
        per = 0.2
    else:
        weight = {"single": 0.1, "vote": 0.15, "oracle": 0.4, "guided": 2.5}
        per = weight.get(a["selection"], 1.0) * (0.5 + a["n_plans"] / 40)
    return episodes * area * per


def fill_cache(calls: list[ExperimentCall], cpus: int) -> None:
    """Compute the claims' experiments in two worker processes before the claims read them:
    the two trainings and the expert runs (which need no model) first, then every other
    evaluation, the costliest first. The numbers are those of one process (each experiment
    runs on one thread either way). Does nothing on one CPU, for a setting with
    ``parallel=False`` (smoke scale) or inside a worker; calls that fail are left to the
    claims, which record the error."""
    settings = {call.args[0] for call in calls}
    if cpus < 2 or not all(s.parallel for s in settings) or multiprocessing.parent_process():
        return
    evaluations = [call for call in calls if call.name == "evaluation"]
    experts = [call for call in evaluations if _arguments(call)["method"] == "expert"]
    first = [call for call in calls if call.name != "evaluation"] + experts
    rest = sorted((c for c in evaluations if c not in experts), key=_cost, reverse=True)
    if not run_calls(first, 2, shuffle=False):
        run_calls(rest, 2, shuffle=False)
