import numpy as np

from paperzoo.navdiff.config import EnvConfig
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.experts import run_expert


def test_dijkstra_expert_succeeds_along_shortest_paths():
    env = VecGridMaze(EnvConfig())
    out = run_expert(env, np.arange(40), "true")
    assert out["success"].all() and not out["collided"].any()
    np.testing.assert_allclose(env.path_cost, env.shortest, atol=1e-9)


def test_optimistic_expert_succeeds_on_partial_maps():
    env = VecGridMaze(EnvConfig(view_range=2))
    out = run_expert(env, np.arange(100, 160), "optimistic")
    assert out["success"].mean() >= 0.95
    assert not out["collided"].any()  # every neighbour is in sight, so no blind collision
