"""Bird's-eye-view maps from synthetic labelled point clouds (docs/navdiff.md §2.7).

A maze is extruded into a room-scale scene (floor, ceiling, walls as vertical point columns, a
target object at the goal, clutter outside the obstacle band, sparse outliers), corrupted by
xyz noise and label flips, and projected back onto the grid: obstacles by a label-free height
band, the goal by the target label. The projection has the 2D environment's channel order
(obstacle, free, goal), so a policy trained on grid maps runs on it without retraining.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from paperzoo.navdiff.config import BEVConfig

LABELS = ("floor", "ceiling", "wall", "target", "clutter")
FLOOR, CEILING, WALL, TARGET, CLUTTER = range(len(LABELS))


class PointCloud(NamedTuple):
    """Points of B scenes: ``maze int64 [P]`` (scene index), ``xyz float64 [P, 3]`` (x along
    columns, y along rows, z up, metres) and ``labels uint8 [P]`` (indices into LABELS)."""

    maze: np.ndarray
    xyz: np.ndarray
    labels: np.ndarray


def _in_cells(cells: tuple[np.ndarray, ...], per: int, z: tuple[float, float], rng, cell: float):
    """``per`` points uniform over each cell ``(b, r, c)`` with height uniform in ``z``."""
    b, r, c = (np.repeat(a, per) for a in cells)
    n = len(b)
    xyz = np.stack([(c + rng.random(n)) * cell, (r + rng.random(n)) * cell, rng.uniform(*z, n)], 1)
    return b, xyz


def point_clouds(
    free: np.ndarray, goals: np.ndarray, config: BEVConfig | None = None, seed: int = 0
) -> PointCloud:
    """Labelled point clouds of mazes ``free bool [B, S, S]`` with goals ``int [B, 2]``."""
    config = config or BEVConfig()
    free, goals = np.asarray(free), np.asarray(goals)
    if free.ndim != 3 or free.dtype != bool:
        raise ValueError(f"free: expected a bool grid [B, S, S], got {free.dtype} {free.shape}")
    if goals.shape != (len(free), 2) or not np.issubdtype(goals.dtype, np.integer):
        raise ValueError(f"goals: expected integer positions [{len(free)}, 2], got {goals.shape}")
    rng = np.random.default_rng(seed)
    b_, s, _ = free.shape
    k, cell = config.density, config.cell
    every = np.nonzero(np.ones_like(free))
    goal_cells = (np.arange(b_), goals[:, 0], goals[:, 1])
    parts = [
        (FLOOR, _in_cells(np.nonzero(free), k, (0.0, 0.02), rng, cell)),
        (CEILING, _in_cells(every, k, (config.ceiling - 0.02, config.ceiling), rng, cell)),
        (WALL, _in_cells(np.nonzero(~free), 2 * k, (0.0, config.wall_height), rng, cell)),
        (TARGET, _in_cells(goal_cells, k, (0.0, 0.3), rng, cell)),
    ]
    n_clutter = int(config.clutter * sum(len(p[1][0]) for p in parts))
    if n_clutter:
        fb, fr, fc = np.nonzero(free)
        pick = rng.integers(0, len(fb), n_clutter)
        low, high = config.band
        kind = rng.integers(0, 10, n_clutter)  # 0-4 low objects, 5-8 hanging fixtures, 9 outlier
        z = np.where(
            kind < 5,
            rng.uniform(0.0, low - 0.1, n_clutter),
            rng.uniform(high + 0.1, config.ceiling, n_clutter),
        )
        xyz = np.stack([(fc[pick] + rng.random(n_clutter)) * cell,
                        (fr[pick] + rng.random(n_clutter)) * cell, z], 1)  # fmt: skip
        out = kind == 9
        xyz[out] = rng.random((int(out.sum()), 3)) * [s * cell, s * cell, config.ceiling]
        parts.append((CLUTTER, (fb[pick], xyz)))
    maze = np.concatenate([p[1][0] for p in parts])
    xyz = np.concatenate([p[1][1] for p in parts])
    labels = np.concatenate([np.full(len(p[1][0]), p[0], dtype=np.uint8) for p in parts])
    xyz = xyz + rng.normal(0.0, config.noise, xyz.shape) if config.noise else xyz
    flip = rng.random(len(labels)) < config.label_flip
    labels[flip] = rng.integers(0, len(LABELS), int(flip.sum()))
    return PointCloud(maze.astype(np.int64), xyz, labels)


def project(cloud: PointCloud, n_mazes: int, size: int, config: BEVConfig | None = None):
    """BEV maps ``uint8 [B, 3, S, S]`` (obstacle, free, goal) of a point cloud.

    Per cell (one ``bincount`` per quantity): obstacle when at least ``obstacle_share`` of the
    cell's points lie in the height band; free when it holds points below the band and is not an
    obstacle; goal when at least ``goal_share`` of its points are labelled target. Cells without
    points stay unknown; points outside the grid are dropped.
    """
    config = config or BEVConfig()
    xyz = np.asarray(cloud.xyz)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or not np.isfinite(xyz).all():
        raise ValueError(f"xyz: expected finite points [P, 3], got shape {xyz.shape}")
    col = np.floor(xyz[:, 0] / config.cell).astype(np.int64)
    row = np.floor(xyz[:, 1] / config.cell).astype(np.int64)
    keep = (row >= 0) & (row < size) & (col >= 0) & (col < size)
    flat = ((cloud.maze * size + row) * size + col)[keep]
    z, labels = xyz[keep, 2], cloud.labels[keep]
    low, high = config.band
    cells = n_mazes * size * size

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(flat if mask is None else flat[mask], minlength=cells)

    total = count()
    obstacle = (total > 0) & (count((z >= low) & (z <= high)) >= config.obstacle_share * total)
    free = (count(z < low) > 0) & ~obstacle
    goal = (total > 0) & (count(labels == TARGET) >= config.goal_share * total) & free
    maps = np.stack([obstacle, free, goal], 1).reshape(n_mazes, size, size, 3)
    return maps.transpose(0, 3, 1, 2).astype(np.uint8)


def seen_through(bev: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """The BEV maps restricted to the cells the agent has seen in ``maps`` ``[B, 3, S, S]``."""
    seen = maps[:, :2].any(1, keepdims=True)
    return (bev * seen).astype(maps.dtype)


def obstacle_iou(bev: np.ndarray, free: np.ndarray) -> float:
    """Intersection over union of the projected obstacle cells and the true walls."""
    pred, true = bev[:, 0].astype(bool), ~np.asarray(free)
    return float((pred & true).sum() / max((pred | true).sum(), 1))


def bev_maps(free: np.ndarray, goals: np.ndarray, config: BEVConfig, seed: int) -> np.ndarray:
    """Point clouds of the mazes, projected: :func:`point_clouds` then :func:`project`."""
    return project(point_clouds(free, goals, config, seed), len(free), free.shape[-1], config)
