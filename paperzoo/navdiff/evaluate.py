"""Batched evaluation: every episode of a round steps together; replanning (N plans per episode,
one sampling batch for all episodes) happens only where an episode's action queue is empty or
its next action became invalid. docs/navdiff.md §2.6.

Methods: ``vi`` (CALVIN: greedy argmax Q(b, ·)), ``expert`` (optimistic replanning) and the
diffusion policy with a :class:`~paperzoo.navdiff.config.SelectConfig` selection mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from paperzoo.navdiff.baselines import single_sample_plans
from paperzoo.navdiff.baselines.calvin import greedy_actions
from paperzoo.navdiff.bev import seen_through
from paperzoo.navdiff.config import EnvConfig, SelectConfig
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.experts import goal_distances, optimistic_actions
from paperzoo.navdiff.maze import DONE, N_ACTIONS
from paperzoo.navdiff.planner import QMDPPlanner, one_hot_belief, qmdp_values
from paperzoo.navdiff.selection import (
    PAD,
    known_moves,
    oracle_scores,
    plan_values,
    simulate,
    soft_plan_values,
    truncate,
    vote,
)

METHODS = ("vi", "expert", "diffusion")


@dataclass
class Trace:
    """What the GIF demo draws, per step of episode 0: map, position, candidates, chosen plan."""

    frames: list[dict] = field(default_factory=list)
    last: dict = field(default_factory=dict)


class PlannerCache:
    """The planner's Q for each episode's last map: value iteration reruns only for the episodes
    whose observed map changed since (Q is a function of the map alone, so the result is exact)."""

    def __init__(self, planner: QMDPPlanner, k: int | None, n_episodes: int) -> None:
        self.planner, self.k = planner, k
        self.maps: np.ndarray | None = None
        self.q: torch.Tensor | None = None
        self.known = np.zeros(n_episodes, dtype=bool)

    def __call__(self, idx: np.ndarray, maps: np.ndarray) -> torch.Tensor:
        """Q ``[len(idx), 9, S, S]`` of episodes ``idx`` whose current maps are ``maps``."""
        if self.maps is None:
            self.maps = np.zeros((len(self.known), *maps.shape[1:]), dtype=maps.dtype)
        stale = ~self.known[idx] | (self.maps[idx] != maps).reshape(len(idx), -1).any(1)
        if stale.any():
            new = idx[stale]
            q, *_ = self.planner(torch.from_numpy(maps[stale]).float(), self.k)
            if self.q is None:
                self.q = q.new_zeros((len(self.known), *q.shape[1:]))
            self.q[new] = q
            self.maps[new] = maps[stale]
            self.known[new] = True
        return self.q[idx]


def episode_metrics(env: VecGridMaze) -> dict[str, list[float]]:
    """Per-episode outcomes: success, reach, collision, cycle, truncation, ``done`` off the
    goal, steps, SPL."""
    spl = env.success * env.shortest / np.maximum(env.path_cost, env.shortest)
    return {
        "success": env.success.astype(float).tolist(),
        "reached": env.reached.astype(float).tolist(),
        "collided": env.collided.astype(float).tolist(),
        "cycled": env.cycled.astype(float).tolist(),
        "truncated": env.truncated.astype(float).tolist(),
        "done_off_goal": (env.terminated & ~(env.success | env.collided | env.cycled))
        .astype(float)
        .tolist(),
        "steps": env.steps.astype(float).tolist(),
        "spl": spl.tolist(),
    }


@torch.no_grad()
def evaluate(
    env_config: EnvConfig,
    seeds: np.ndarray,
    method: str,
    planner: QMDPPlanner | None = None,
    policy: DiffusionPolicy | None = None,
    select: SelectConfig | None = None,
    seed: int = 0,
    planner_k: int | None = None,
    trace: Trace | None = None,
    bev: np.ndarray | None = None,
) -> dict:
    """Run one episode per seed with ``method``; per-episode metrics plus replanning counts.

    ``bev``: full-layout BEV maps ``[B, 3, S, S]`` projected from point clouds (§2.7); the agent
    then sees them, through the cells the environment has revealed, instead of the true map.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method in ("vi", "diffusion") and planner is None:
        raise ValueError(f"planner: method {method!r} needs a trained QMDPPlanner")
    if method == "diffusion" and policy is None:
        raise ValueError("policy: method 'diffusion' needs a trained DiffusionPolicy")
    seeds = np.asarray(seeds)
    if seeds.ndim != 1 or seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer):
        raise ValueError(
            f"seeds: expected a non-empty 1-D integer array, got {seeds.dtype} {seeds.shape}"
        )
    select = select or SelectConfig()
    env = VecGridMaze(env_config)
    obs = env.reset(seeds)
    if bev is not None and bev.shape != obs.maps.shape:
        raise ValueError(f"bev: expected maps of shape {obs.maps.shape}, got {bev.shape}")
    b = len(seeds)
    rows = np.arange(b)
    gen = torch.Generator().manual_seed(seed)
    horizon = policy.config.horizon if policy is not None else 1
    queue = np.full((b, horizon), PAD)
    head = np.zeros(b, dtype=np.int64)
    memory = np.full((b, horizon), PAD)
    dist = goal_distances(env.free, env.goals) if select.selection == "oracle" else None
    raw = select.selection in ("single", "vote")
    counts = {"replans": 0, "fallbacks": 0}
    q_of = PlannerCache(planner, planner_k, b) if planner is not None else None
    while env.active.any():
        live = env.active
        maps, pos = obs
        if bev is not None:
            maps = seen_through(bev, maps)
        if method == "expert":
            act = optimistic_actions(maps, pos)
        elif method == "vi":
            act = greedy_actions(q_of(rows, maps), pos)
        else:
            valid = known_moves(maps)
            nxt = queue[rows, np.minimum(head, horizon - 1)]
            nxt = np.where(head < horizon, nxt, PAD)
            at_goal = maps[rows, 2, pos[:, 0], pos[:, 1]] > 0
            nxt_ok = (nxt >= 0) & valid[rows, np.clip(nxt, 0, DONE), pos[:, 0], pos[:, 1]]
            need = live & ((nxt == PAD) | (~raw & ~nxt_ok & ~at_goal))
            if need.any():
                idx = np.flatnonzero(need)
                chosen = _replan(
                    idx, maps[idx], pos[idx], valid[idx], memory[idx], q_of, policy, select, gen,
                    None if dist is None else (dist[idx], env.free[idx]), counts,
                    trace if trace is not None and need[0] else None,
                )  # fmt: skip
                queue[idx] = PAD
                queue[idx, : select.execute] = chosen[:, : select.execute]
                memory[idx] = PAD
                tail = chosen[:, select.execute :]
                memory[idx, : tail.shape[1]] = tail
                head[idx] = 0
            act = queue[rows, np.minimum(head, horizon - 1)]
            head += 1
            if not raw:
                act = np.where(at_goal, DONE, act)  # stop at the goal
            act = np.where((act < 0) | (act >= N_ACTIONS), DONE, act)
        if trace is not None and live[0]:
            trace.frames.append(
                {"map": maps[0], "position": pos[0], "free": env.free[0], "goal": env.goals[0],
                 "action": int(act[0]), **trace.last}
            )  # fmt: skip
        obs, *_ = env.step(np.where(live, act, DONE).astype(np.int64))
    return {**episode_metrics(env), **counts, "seeds": [int(s) for s in seeds]}


def _replan(idx, maps, pos, valid, memory, q_of, policy, select, gen, truth, counts, trace):
    """Chosen plans ``int64 [n, H]`` for the n episodes ``idx`` that replan now."""
    counts["replans"] += len(maps)
    if select.selection == "single":
        plans = single_sample_plans(policy, maps, pos, gen)[:, None]
        chosen = plans[:, 0]
    elif select.selection == "vote":
        plans = policy.sample(maps, pos, select.n_plans, gen).numpy()  # [n_ep, N, H]
        chosen = vote(plans)
    else:
        q = None
        if select.selection == "guided":
            q = q_of(idx, maps)
            guide = _guide(q, valid, pos, select.n_plans)
            plans = policy.sample(maps, pos, select.n_plans, gen, guide=guide,
                                  guide_scale=select.guide_scale).numpy()  # fmt: skip
        else:
            plans = policy.sample(maps, pos, select.n_plans, gen).numpy()
        if select.selection == "memory":
            plans = np.concatenate([plans, memory[:, None]], 1)
        path, ok, length, prefix = simulate(valid, pos, plans)
        if select.truncate_invalid:  # deviation: keep each plan's valid prefix (docs/navdiff.md §3)
            plans = truncate(plans, prefix)
            ok, length = prefix > 0, prefix
        if select.selection == "oracle":
            score = oracle_scores(*truth, pos, plans)
        else:
            if q is None:
                q = q_of(idx, maps)
            score = plan_values(
                q, torch.from_numpy(path), torch.from_numpy(plans), torch.from_numpy(length)
            ).numpy()  # fmt: skip
        score = np.where(ok, score, -np.inf)
        best = score.argmax(1)
        chosen = plans[np.arange(len(plans)), best]
        none = ~ok.any(1)
        if none.any():  # no valid candidate: the best known-valid single action by Q(b, ·)
            counts["fallbacks"] += int(none.sum())
            q = q_of(idx[none], maps[none])
            qb = qmdp_values(one_hot_belief(torch.from_numpy(pos[none]), maps.shape[-2:]), q)
            p = pos[none]
            here = valid[none][np.arange(len(p)), :, p[:, 0], p[:, 1]]  # [m, 9]
            qb = qb.masked_fill(~torch.from_numpy(here), -torch.inf).numpy()
            chosen = chosen.copy()
            chosen[none] = PAD
            chosen[none, 0] = qb.argmax(1)
    if trace is not None:
        trace.last = {"plans": plans[0].copy(), "chosen": chosen[0].copy()}
    return chosen


def _guide(q: torch.Tensor, valid: np.ndarray, pos: np.ndarray, n_plans: int):
    """J(x̂0) of :func:`soft_plan_values` for the n_plans plans of each episode."""
    q_rep = q.repeat_interleave(n_plans, 0)
    valid_rep = torch.from_numpy(valid).float().repeat_interleave(n_plans, 0)
    pos_rep = torch.from_numpy(pos).repeat_interleave(n_plans, 0)
    return lambda x: soft_plan_values(x, q_rep, valid_rep, pos_rep)
