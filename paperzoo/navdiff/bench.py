"""Benchmarks: one replanning step (N = 20 plans in one batch vs one at a time) and the vectorised
environment (B mazes per numpy step vs a loop over Gymnasium envs)."""

from __future__ import annotations

from statistics import median

import numpy as np
import torch

from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.navdiff.config import DiffusionConfig, EnvConfig, PlannerConfig
from paperzoo.navdiff.data import eval_seeds
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.env import GridMazeEnv, VecGridMaze
from paperzoo.navdiff.experts import run_expert
from paperzoo.navdiff.planner import QMDPPlanner
from paperzoo.navdiff.selection import known_moves, plan_values, simulate, truncate

N_PLANS = 20


def _replan_inputs() -> tuple[QMDPPlanner, DiffusionPolicy, np.ndarray, np.ndarray]:
    torch.manual_seed(0)
    env = VecGridMaze(EnvConfig())
    obs = env.reset(eval_seeds(0, 1))
    return QMDPPlanner(PlannerConfig()), DiffusionPolicy(DiffusionConfig()), obs.maps, obs.positions


@torch.no_grad()
def replan_step(planner, policy, maps, pos, sequential: bool) -> np.ndarray:
    """Value iteration (K = 60), N plans (10 DDIM steps), simulation and QMDP scoring: the
    chosen plan for each map."""
    gen = torch.Generator().manual_seed(0)
    q, *_ = planner(torch.from_numpy(maps).float())
    sample = policy.sample_sequential if sequential else policy.sample
    plans = sample(torch.from_numpy(maps).float(), torch.from_numpy(pos), N_PLANS, gen).numpy()
    path, _, _, prefix = simulate(known_moves(maps), pos, plans)
    plans, ok, length = truncate(plans, prefix), prefix > 0, prefix
    score = plan_values(
        q, torch.from_numpy(path), torch.from_numpy(plans), torch.from_numpy(length)
    ).numpy()  # fmt: skip
    return plans[np.arange(len(plans)), np.where(ok, score, -np.inf).argmax(1)]


@benchmark(
    name="replan_step",
    description="one replanning step, N=20 plans, 10 DDIM steps, VI K=60 on 15×15: one batch "
    "vs plans sampled one at a time",
)
def bench_replan(scale: Scale) -> BenchResult:
    planner, policy, maps, pos = _replan_inputs()
    repeats = scale.pick(smoke=1, quick=7, full=21)
    ours, theirs = time_pair(
        lambda: replan_step(planner, policy, maps, pos, False),
        lambda: replan_step(planner, policy, maps, pos, True),
        repeats,
    )
    n_params = sum(p.numel() for p in policy.parameters())
    return BenchResult(
        "batched N=20 (one denoiser call per DDIM step)",
        "sequential N=20 (20 sampling loops)",
        ours,
        theirs,
        {
            "ms_per_replan_ours": 1000 * median(ours),
            "unet_params": float(n_params),
            "target": "ms_per_replan_ours <= 150",
        },
    )


@benchmark(
    name="vec_env",
    description="GridMaze2D steps/s, 15×15 vr2, expert actions replayed: VecGridMaze (one numpy "
    "step for all B mazes) vs a loop over B Gymnasium envs",
)
def bench_vec_env(scale: Scale) -> BenchResult:
    b = scale.pick(smoke=16, quick=128, full=512)
    cfg = EnvConfig()
    seeds = eval_seeds(1, b)
    record = run_expert(VecGridMaze(cfg), seeds)
    t_max = int(record["t"].max()) + 1
    actions = np.full((t_max, b), 8, dtype=np.int64)
    actions[record["t"], record["episode"]] = record["actions"]
    n_steps = len(record["actions"])

    def vectorised() -> None:
        env = VecGridMaze(cfg)
        env.reset(seeds)
        for t in range(t_max):
            env.step(actions[t])

    envs = [GridMazeEnv() for _ in range(b)]

    def loop() -> None:
        for i, env in enumerate(envs):
            env.reset(seed=int(seeds[i]))
            for t in range(t_max):
                _, _, term, trunc, _ = env.step(int(actions[t, i]))
                if term or trunc:
                    break

    repeats = scale.pick(smoke=1, quick=5, full=11)
    ours = time_calls(vectorised, repeats)
    theirs = time_calls(loop, repeats)
    return BenchResult(
        f"VecGridMaze, B={b}",
        f"loop over {b} GridMazeEnv",
        ours,
        theirs,
        {
            "env_steps": float(n_steps),
            "steps_per_s_ours": n_steps / median(ours),
            "steps_per_s_loop": n_steps / median(theirs),
        },
    )
