"""Imitation data: expert episodes on seeded mazes, and the plan windows the diffusion policy
learns from. Training and evaluation mazes come from disjoint seed ranges (docs/navdiff.md §4).
"""

from __future__ import annotations

import numpy as np

from paperzoo.navdiff.config import EnvConfig
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.experts import run_expert
from paperzoo.navdiff.maze import DONE

TRAIN_SEED_BASE = 0  # training mazes: seed * 10**6 + i
EVAL_SEED_BASE = 10**9  # held-out mazes: 10**9 + seed * 10**6 + i


def train_seeds(seed: int, n: int) -> np.ndarray:
    return TRAIN_SEED_BASE + seed * 10**6 + np.arange(n)


def eval_seeds(seed: int, n: int) -> np.ndarray:
    """Episode seeds of evaluation round ``seed``: never used for training."""
    return EVAL_SEED_BASE + seed * 10**6 + np.arange(n)


def expert_data(env_config: EnvConfig, n_mazes: int, expert: str, seed: int) -> dict:
    """Expert steps on ``n_mazes`` training mazes (see :func:`experts.run_expert`), plus the true
    mazes ``free [E, S, S]`` and each step's plan window ``plans int64 [N, H]`` filled by
    :func:`plan_windows` at horizon 8."""
    env = VecGridMaze(env_config)
    data = run_expert(env, train_seeds(seed, n_mazes), expert)
    data["free"] = env.free.copy()
    data["seeds"] = train_seeds(seed, n_mazes)
    return data


def plan_windows(
    actions: np.ndarray, episode: np.ndarray, t: np.ndarray, horizon: int
) -> np.ndarray:
    """The next ``horizon`` expert actions from each step, ``done`` after the episode's last one.

    No later observation enters: only the actions that follow (docs/navdiff.md §3).
    """
    table = np.full((episode.max() + 1, t.max() + 1 + horizon), DONE, dtype=np.int64)
    table[episode, t] = actions
    idx = t[:, None] + np.arange(horizon)[None]
    return table[episode[:, None], idx]
