"""Experts, batched: Dijkstra on the true map, and optimistic replanning on the partial map.

The optimistic expert treats unknown cells as free, replans every step, heads for the goal once
it has been seen and for the nearest unknown cell before (docs/navdiff.md §2.5). Both are
greedy descents of a shortest-path field from :func:`paperzoo.navdiff.maze.distances`.
"""

from __future__ import annotations

import numpy as np

from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.maze import distances, greedy_actions, valid_moves


def goal_distances(free: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """Shortest-path cost to the goal on the true maps, ``float [B, S, S]``."""
    target = np.zeros_like(free)
    target[np.arange(len(goals)), goals[:, 0], goals[:, 1]] = True
    return distances(valid_moves(free), target)


def dijkstra_actions(free: np.ndarray, dist: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Full-map expert: the move along a shortest path, ``done`` at the goal. ``int64 [B]``."""
    return greedy_actions(dist, valid_moves(free), positions)


def optimistic_field(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimistic planning on partial maps ``[B, 3, S, S]``: (valid moves with unknown = free,
    cost-to-target field), targets being the seen goal, or every unknown cell before."""
    obstacle, seen_free, goal = maps[:, 0] > 0, maps[:, 1] > 0, maps[:, 2] > 0
    unknown = ~obstacle & ~seen_free
    goal_seen = goal.any((1, 2))
    targets = np.where(goal_seen[:, None, None], goal, unknown)
    valid = valid_moves(~obstacle)
    return valid, distances(valid, targets)


def optimistic_actions(maps: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Partial-map expert (optimistic replanning): ``int64 [B]``."""
    valid, dist = optimistic_field(maps)
    return greedy_actions(dist, valid, positions)


def run_expert(env: VecGridMaze, seeds: np.ndarray, expert: str = "optimistic") -> dict:
    """Roll an expert out on seeded mazes; per-step maps, positions and actions plus outcomes.

    Returns ``maps uint8 [N, 3, S, S]``, ``positions [N, 2]``, ``actions [N]``, ``episode [N]``,
    ``t [N]`` over all N steps taken, and the env's outcome arrays.
    """
    if expert not in ("optimistic", "true"):
        raise ValueError(f"expert must be 'optimistic' or 'true', got {expert!r}")
    obs = env.reset(seeds)
    dist = goal_distances(env.free, env.goals) if expert == "true" else None
    record: dict[str, list[np.ndarray]] = {k: [] for k in ("maps", "positions", "actions", "ep")}
    while env.active.any():
        live = env.active
        if dist is None:
            act = optimistic_actions(obs.maps, obs.positions)
        else:
            act = dijkstra_actions(env.free, dist, obs.positions)
        record["maps"].append(obs.maps[live])
        record["positions"].append(obs.positions[live])
        record["actions"].append(act[live])
        record["ep"].append(np.flatnonzero(live))
        obs, *_ = env.step(act)
    ep = np.concatenate(record["ep"])
    t = np.concatenate([np.full(len(e), i) for i, e in enumerate(record["ep"])])
    return {
        "maps": np.concatenate(record["maps"]),
        "positions": np.concatenate(record["positions"]),
        "actions": np.concatenate(record["actions"]),
        "episode": ep,
        "t": t,
        "success": env.success.copy(),
        "collided": env.collided.copy(),
        "steps": env.steps,
    }
