import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from paperzoo.navdiff.maze import (
    COST,
    DONE,
    MOVES,
    distances,
    generate_mazes,
    valid_moves,
    visible_cells,
)


@pytest.mark.parametrize("size", [15, 30])
def test_mazes_are_spanning_trees(size):
    free = generate_mazes(np.arange(6), size)
    cells = ((size - 1) // 2) ** 2
    assert (free.sum((1, 2)) == 2 * cells - 1).all()  # a tree: cells + (cells − 1) passages
    assert not free[:, 0].any() and not free[:, :, 0].any() and not free[:, -1].any()
    # connected: every free cell reaches cell (1, 1)
    target = np.zeros_like(free)
    target[:, 1, 1] = True
    d = distances(valid_moves(free), target)
    assert np.isfinite(d[free]).all()


def test_mazes_depend_on_their_own_seed_only():
    batch = generate_mazes(np.arange(10), 15)
    alone = generate_mazes(np.array([7]), 15)
    np.testing.assert_array_equal(batch[7], alone[0])
    assert not np.array_equal(batch[0], batch[1])
    np.testing.assert_array_equal(generate_mazes(np.arange(10), 15), batch)


def test_diagonal_needs_one_free_orthogonal_neighbour():
    free = np.zeros((1, 5, 5), dtype=bool)
    free[0, 1, 1] = free[0, 2, 2] = True
    ne_se = valid_moves(free)
    assert not ne_se[0, 3, 1, 1]  # SE from (1,1) with both (1,2) and (2,1) walls
    free[0, 1, 2] = True
    assert valid_moves(free)[0, 3, 1, 1]
    assert valid_moves(free)[0, 8, 1, 1] and not valid_moves(free)[0, 8, 0, 0]


def _scipy_distances(free: np.ndarray, goal: tuple[int, int]) -> np.ndarray:
    s = free.shape[0]
    valid = valid_moves(free[None])[0]
    rows, cols, costs = [], [], []
    for a in range(8):
        for r, c in zip(*np.nonzero(valid[a]), strict=True):
            rows.append(r * s + c)
            cols.append((r + MOVES[a, 0]) * s + c + MOVES[a, 1])
            costs.append(COST[a])
    graph = coo_matrix((costs, (rows, cols)), shape=(s * s, s * s)).tocsr()
    # cost from every cell to the goal = cost from the goal on the reversed graph
    return dijkstra(graph.T, indices=goal[0] * s + goal[1]).reshape(s, s)


def test_distances_equal_scipy_dijkstra():
    free = generate_mazes(np.array([3, 4]), 15)
    for b, goal in enumerate([(1, 1), (13, 7)]):
        target = np.zeros_like(free[b : b + 1])
        target[0, goal[0], goal[1]] = True
        ours = distances(valid_moves(free[b : b + 1]), target)[0]
        ref = _scipy_distances(free[b], goal)
        np.testing.assert_allclose(ours[free[b]], ref[free[b]], rtol=0, atol=1e-9)


def _bellman_ford(valid: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Reference: Bellman–Ford sweeps over the 8 moves until nothing changes."""
    b, h, w = targets.shape
    step_cost = np.where(valid[:, :DONE], COST[:DONE, None, None], np.inf)
    padded = np.full((b, h + 2, w + 2), np.inf)
    dist = padded[:, 1:-1, 1:-1]
    dist[...] = np.where(targets, 0.0, np.inf)
    while True:
        before = dist.copy()
        for a, (dr, dc) in enumerate(MOVES[:DONE]):
            shifted = padded[:, 1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w]
            np.minimum(dist, step_cost[:, a] + shifted, out=dist)
        if np.array_equal(before, dist):
            return dist


@pytest.mark.parametrize("size", [15, 30])
def test_distances_equal_bellman_ford_exactly(size):
    free = generate_mazes(np.arange(5), size)
    rng = np.random.default_rng(0)
    targets = free & (rng.random(free.shape) < 0.01)  # several targets per maze, one with none
    targets[0] = False
    targets[1, 1, 1] = True
    ours = distances(valid_moves(free), targets)
    np.testing.assert_array_equal(ours, _bellman_ford(valid_moves(free), targets))
    assert np.isinf(ours[0]).all() and np.isinf(ours[~free & ~targets]).all()


def test_line_of_sight_hides_cells_behind_walls():
    free = np.ones((1, 7, 7), dtype=bool)
    free[0, 3, 4] = False  # a wall right of the agent at (3, 3)
    cells, vis = visible_cells(free, np.array([[3, 3]]), 2)
    seen = {tuple(c) for c, v in zip(cells[0], vis[0], strict=True) if v}
    assert (3, 4) in seen  # the wall itself is seen
    assert (3, 5) not in seen  # the cell behind it is not
    assert (1, 1) in seen and (5, 5) in seen and (3, 1) in seen
    # the rays to (2, 5) and (4, 5) also cross the wall cell: 25 − 3 cells in sight
    assert (2, 5) not in seen and (4, 5) not in seen and len(seen) == 22


def test_neighbours_are_visible_unless_a_corner_hides_them():
    free = generate_mazes(np.arange(4), 15)
    pos = np.array([[1, 1], [3, 5], [7, 7], [13, 13]])
    cells, vis = visible_cells(free, pos, 1)
    assert vis[:, [1, 3, 5, 7]].all()  # orthogonal neighbours: always in sight
    rows = np.arange(4)[:, None]
    for w, (dr, dc) in zip([0, 2, 6, 8], [(-1, -1), (-1, 1), (1, -1), (1, 1)], strict=True):
        side = free[rows, pos[:, :1] + dr, pos[:, 1:]] | free[rows, pos[:, :1], pos[:, 1:] + dc]
        np.testing.assert_array_equal(vis[:, w], side[:, 0])  # the diagonal move rule
