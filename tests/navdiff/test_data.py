import numpy as np

from paperzoo.navdiff.config import EnvConfig
from paperzoo.navdiff.data import eval_seeds, expert_data, plan_windows, train_seeds
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.maze import DONE


def test_plan_windows_are_the_next_actions_then_done():
    actions = np.array([1, 2, 3, 4, 5])
    episode = np.array([0, 0, 0, 1, 1])
    t = np.array([0, 1, 2, 0, 1])
    w = plan_windows(actions, episode, t, 3)
    np.testing.assert_array_equal(w, [[1, 2, 3], [2, 3, DONE], [3, DONE, DONE],
                                      [4, 5, DONE], [5, DONE, DONE]])  # fmt: skip


def test_training_maps_are_those_seen_at_the_window_start():
    """No future leak: the map a window is conditioned on is the env's map at that step."""
    cfg = EnvConfig(size=9, min_distance=4.0)
    data = expert_data(cfg, 6, "optimistic", 0)
    env = VecGridMaze(cfg)
    obs = env.reset(data["seeds"])
    for step in range(int(data["t"].max()) + 1):
        rows = data["t"] == step
        np.testing.assert_array_equal(data["maps"][rows], obs.maps[data["episode"][rows]])
        act = np.full(6, DONE)
        act[data["episode"][rows]] = data["actions"][rows]
        obs, *_ = env.step(act)


def test_training_and_evaluation_seeds_are_disjoint():
    assert not set(train_seeds(0, 5000)) & set(eval_seeds(0, 500))
    assert not set(eval_seeds(0, 100)) & set(eval_seeds(1, 100))
