"""GridMaze2D in numpy, batched over mazes: generation, moves, shortest paths, line of sight.

Every function takes a leading batch axis ``B`` and loops only over actions, window offsets or
sweeps (never over cells or mazes). Grids are ``[B, S, S]`` booleans (``True`` = free); positions
are ``int64 [B, 2]`` as (row, col). Rules: docs/navdiff.md §2.1.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: the 9 actions: 8 compass moves (clockwise from north) and ``done`` (index 8)
MOVES = np.array(
    [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (0, 0)], dtype=np.int64
)
DONE = 8
N_ACTIONS = 9
COST = np.where(np.abs(MOVES).sum(1) == 2, np.sqrt(2.0), 1.0)
COST[DONE] = 0.0
CHANNELS = ("obstacle", "free", "goal")  # the cumulative map's channel order

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def uniform(seeds: np.ndarray, counter: np.ndarray | int, stream: int) -> np.ndarray:
    """Counter-based uniforms in [0, 1) (splitmix64): one stream per seed, batch-independent.

    ``seeds`` and ``counter`` broadcast; maze ``b`` depends only on ``seeds[b]``.
    """
    with np.errstate(over="ignore"):
        x = np.asarray(seeds, dtype=np.uint64) * _M1
        x = x + (np.asarray(counter, dtype=np.uint64) * np.uint64(16) + np.uint64(stream)) * _M2
        x ^= x >> np.uint64(30)
        x *= _M2
        x ^= x >> np.uint64(27)
        x *= _M3
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def shift(x: np.ndarray, dr: int, dc: int, fill: bool | float = False) -> np.ndarray:
    """``y[..., r, c] = x[..., r + dr, c + dc]``, ``fill`` outside the grid."""
    h, w = x.shape[-2:]
    y = np.full_like(x, fill)
    dst_r = slice(max(0, -dr), h - max(0, dr))
    dst_c = slice(max(0, -dc), w - max(0, dc))
    src_r = slice(max(0, dr), h + min(0, dr))
    src_c = slice(max(0, dc), w + min(0, dc))
    y[..., dst_r, dst_c] = x[..., src_r, src_c]
    return y


def generate_mazes(seeds: np.ndarray, size: int) -> np.ndarray:
    """Perfect mazes ``bool [B, size, size]``: Aldous–Broder random-walk spanning trees.

    A 2n+1 layout holds n×n cells, n = (size − 1) // 2 (15 → 7×7, 30 → 14×14 plus a wall row and
    column). All B walks advance together, one vectorised step per iteration.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    n = (size - 1) // 2
    b = len(seeds)
    free = np.zeros((b, size, size), dtype=bool)
    free[:, 1 : 2 * n : 2, 1 : 2 * n : 2] = True
    dirs = MOVES[[0, 2, 4, 6]]  # N, E, S, W
    start = np.floor(uniform(seeds, 0, 1) * n * n).astype(np.int64)
    pos = np.stack([start // n, start % n], axis=1)
    visited = np.zeros((b, n, n), dtype=bool)
    rows = np.arange(b)
    visited[rows, pos[:, 0], pos[:, 1]] = True
    step = 0
    while not visited.all():
        step += 1
        nb = pos[:, None, :] + dirs[None]  # [B, 4, 2]
        inside = ((nb >= 0) & (nb < n)).all(-1)
        pick = np.floor(uniform(seeds, step, 0) * inside.sum(1)).astype(np.int64)
        chosen = inside & (np.cumsum(inside, 1) - 1 == pick[:, None])
        d = chosen.argmax(1)
        new = nb[rows, d]
        fresh = ~visited[rows, new[:, 0], new[:, 1]]
        wall = 2 * pos + 1 + dirs[d]
        free[rows[fresh], wall[fresh, 0], wall[fresh, 1]] = True
        visited[rows, new[:, 0], new[:, 1]] = True
        pos = new
    return free


def valid_moves(free: np.ndarray) -> np.ndarray:
    """``bool [B, 9, S, S]``: action a from cell s neither hits a wall nor cuts a blocked corner.

    A diagonal needs its target and at least one of the two orthogonal neighbours free;
    ``done`` is valid on every free cell.
    """
    out = np.zeros((free.shape[0], N_ACTIONS, *free.shape[1:]), dtype=bool)
    for a, (dr, dc) in enumerate(MOVES):
        ok = free & shift(free, dr, dc)
        if dr and dc:
            ok &= shift(free, dr, 0) | shift(free, 0, dc)
        out[:, a] = ok
    return out


def distances(valid: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Shortest-path cost ``float [B, S, S]`` from every cell to the nearest target (inf: none).

    One multi-source Dijkstra (``scipy.sparse.csgraph``, ``min_only``) on the reversed move graph
    of all B mazes at once (costs 1 and √2). It returns the same float64 numbers as Bellman–Ford
    sweeps, which the tests keep as the reference, in a fraction of the time on 30×30 mazes.
    """
    b, h, w = targets.shape
    cells = np.arange(b * h * w).reshape(b, h, w)
    src, dst, cost = [], [], []
    for a, (dr, dc) in enumerate(MOVES[:DONE]):
        m, r, c = np.nonzero(valid[:, a])
        src.append(cells[m, r, c])
        dst.append(cells[m, r + dr, c + dc])
        cost.append(np.full(len(m), COST[a]))
    n = b * h * w
    # reversed edges: the cost from a cell to a target is the cost from the target to it
    graph = csr_matrix(
        (np.concatenate(cost), (np.concatenate(dst), np.concatenate(src))), shape=(n, n)
    )
    sources = np.flatnonzero(targets)
    if len(sources) == 0:
        return np.full((b, h, w), np.inf)
    return dijkstra(graph, indices=sources, min_only=True).reshape(b, h, w)


def greedy_actions(dist: np.ndarray, valid: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``int64 [B]``: the move that descends ``dist`` fastest from ``pos``; ``done`` at a target.

    Ties go to the lowest action index (deterministic).
    """
    rows = np.arange(len(pos))
    nxt = pos[:, None, :] + MOVES[None, :DONE]  # [B, 8, 2]
    s = dist.shape[-1]
    inside = ((nxt >= 0) & (nxt < s)).all(-1)
    nxt = np.clip(nxt, 0, s - 1)
    d_next = dist[rows[:, None], nxt[..., 0], nxt[..., 1]]
    ok = valid[rows, :DONE, pos[:, 0], pos[:, 1]] & inside
    score = np.where(ok, COST[None, :DONE] + d_next, np.inf)
    act = score.argmin(1)
    here = dist[rows, pos[:, 0], pos[:, 1]]
    return np.where(here == 0, DONE, act)


def place_start_goal(
    seeds: np.ndarray, free: np.ndarray, min_distance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded goal (uniform over free cells) and start (uniform over free cells at least
    ``min_distance`` away; the farthest cells when none is). Returns two ``int64 [B, 2]``."""
    b, s, _ = free.shape
    cells = np.arange(s * s)
    keys_goal = np.where(free.reshape(b, -1), uniform(seeds[:, None], cells[None], 2), -1.0)
    goal_flat = keys_goal.argmax(1)
    goal = np.stack([goal_flat // s, goal_flat % s], 1)
    target = np.zeros_like(free)
    target[np.arange(b), goal[:, 0], goal[:, 1]] = True
    dist = distances(valid_moves(free), target).reshape(b, -1)
    finite = np.where(np.isfinite(dist), dist, -1.0)
    far = finite >= min_distance
    far |= ~far.any(1, keepdims=True) & (finite == finite.max(1, keepdims=True))
    keys_start = np.where(far, uniform(seeds[:, None], cells[None], 3), -1.0)
    start_flat = keys_start.argmax(1)
    return np.stack([start_flat // s, start_flat % s], 1), goal


@cache
def sight_rays(view_range: int) -> tuple[np.ndarray, np.ndarray]:
    """Window offsets ``[W, 2]`` and, for points sampled along the segment to each offset, the
    cells each point touches ``[W, P, 4, 2]`` (2 on a cell edge, up to 4 on a corner; the two
    endpoints left out, padded by repetition or with the agent's own cell)."""
    span = range(-view_range, view_range + 1)
    offsets = np.array([(r, c) for r in span for c in span])
    n_points = 4 * view_range - 1
    out = np.zeros((len(offsets), n_points, 4, 2), dtype=np.int64)
    for w, (dr, dc) in enumerate(offsets):
        m = max(abs(dr), abs(dc), 1)
        for i, t in enumerate(np.arange(1, 4 * m) / (4 * m)):
            p = t * np.array([dr, dc], dtype=float)
            rows = {int(np.floor(p[0] + 0.5)), int(np.ceil(p[0] - 0.5))}
            cols = {int(np.floor(p[1] + 0.5)), int(np.ceil(p[1] - 0.5))}
            cells = [(r, c) for r in rows for c in cols if (r, c) not in ((0, 0), (dr, dc))]
            cells = cells or [(0, 0)]
            out[w, i] = (cells * 4)[:4]
        out[w, 4 * m - 1 :] = 0  # unused points: the agent's cell, never blocking
    return offsets, out


def visible_cells(
    free: np.ndarray, pos: np.ndarray, view_range: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cells in sight: window cells ``int64 [B, W, 2]`` and ``bool [B, W]`` (in the grid, and no
    point of the segment from the agent touches only walls: a ray through a corner is blocked
    only when both cells beside it are walls, the diagonal move rule)."""
    offsets, rays = sight_rays(view_range)
    b, s, _ = free.shape
    padded = np.zeros((b, s + 2 * view_range, s + 2 * view_range), dtype=bool)
    padded[:, view_range:-view_range, view_range:-view_range] = free
    cells = pos[:, None, None, None, :] + view_range + rays[None]  # [B, W, P, 4, 2]
    idx = np.arange(b)[:, None, None, None]
    blocked = (~padded[idx, cells[..., 0], cells[..., 1]]).all(-1).any(-1)
    target = pos[:, None, :] + offsets[None]
    inside = ((target >= 0) & (target < s)).all(-1)
    return np.clip(target, 0, s - 1), ~blocked & inside
