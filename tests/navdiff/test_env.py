import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from paperzoo.navdiff.config import EnvConfig
from paperzoo.navdiff.env import ENV_ID, GridMazeEnv, VecGridMaze
from paperzoo.navdiff.experts import goal_distances, optimistic_actions
from paperzoo.navdiff.maze import DONE

from .conftest import open_room


def test_registered_env_passes_check_env():
    env = gymnasium.make(ENV_ID)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
    obs, info = env.reset(seed=3)
    assert obs["map"].shape == (3, 15, 15) and obs["map"].dtype == np.uint8
    assert info["shortest"] >= 10


def test_gym_seed_gives_the_vectorised_episode():
    vec = VecGridMaze(EnvConfig())
    obs = vec.reset(np.array([11, 12, 13]))
    env = GridMazeEnv()
    single, _ = env.reset(seed=12)
    np.testing.assert_array_equal(single["map"], obs.maps[1])
    np.testing.assert_array_equal(single["position"], obs.positions[1])


def _room_env(start=(1, 1), goal=(5, 5), **kw):
    env = GridMazeEnv(size=7, **kw)
    obs, info = env.reset(options={"maze": open_room(), "start": start, "goal": goal})
    return env, obs, info


def test_done_at_goal_is_success_and_elsewhere_failure():
    env, *_ = _room_env(goal=(1, 2))
    assert env.step(2)[4]["reached"]  # east onto the goal
    _, reward, term, trunc, info = env.step(DONE)
    assert term and not trunc and info["success"] and reward == 1.0
    env, *_ = _room_env()
    _, reward, term, _, info = env.step(DONE)
    assert term and not info["success"] and reward == 0.0


def test_move_into_a_wall_terminates_and_step_after_end_raises():
    env, *_ = _room_env()
    _, _, term, _, info = env.step(0)  # north into the border wall
    assert term and info["collided"] and not info["success"]
    with pytest.raises(ValueError, match="reset"):
        env.step(2)


def test_truncation_at_max_steps():
    env, *_ = _room_env(max_steps=3, cycle_window=0)
    flags = [env.step(a)[2:4] for a in (2, 6, 2)]
    assert flags[-1] == (False, True) and flags[0] == (False, False)


def test_a_repeated_loop_terminates_but_a_step_back_does_not():
    # CALVIN's check_repeat (offset 5): east-west oscillation from (1, 1) repeats a loop of
    # length 6 (the smallest even lag >= 5) twice only after 11 moves
    env, *_ = _room_env(cycle_window=5)
    assert not any(env.step(a)[2] for a in (2, 6) * 5)
    _, _, term, _, info = env.step(2)
    assert term and info["cycle"] and not info["collided"]
    env, *_ = _room_env(cycle_window=5)
    assert not any(env.step(a)[2] for a in (2, 6, 2, 2, 6, 6, 2, 2, 2, 4, 4))
    env, *_ = _room_env(cycle_window=0)
    assert not any(env.step(a)[2] for a in (2, 6) * 8)


def test_cumulative_map_is_monotone_and_goal_hidden_until_seen():
    env = VecGridMaze(EnvConfig())
    obs = env.reset(np.arange(20))
    prev = obs.maps.copy()
    goal_seen_first = np.full(20, -1)
    t = 0
    while env.active.any():
        obs, *_ = env.step(optimistic_actions(obs.maps, obs.positions))
        t += 1
        assert (obs.maps >= prev).all()
        seen = obs.maps[:, 2].any((1, 2))
        goal_seen_first[(goal_seen_first < 0) & seen] = t
        prev = obs.maps.copy()
    assert (obs.maps[:, 2].sum((1, 2)) == 1).all()
    assert (obs.maps[:, 0] * obs.maps[:, 1] == 0).all()


def test_bad_layouts_raise_clear_errors():
    room = open_room()
    env = GridMazeEnv(size=7)
    with pytest.raises(ValueError, match="start.*wall"):
        env.reset(options={"maze": room, "start": (0, 0), "goal": (5, 5)})
    cut = room.copy()
    cut[:, 3] = False
    with pytest.raises(ValueError, match="goal.*unreachable"):
        env.reset(options={"maze": cut, "start": (1, 1), "goal": (5, 5)})
    with pytest.raises(ValueError, match="maze"):
        env.reset(options={"maze": room[:5], "start": (1, 1), "goal": (5, 5)})
    with pytest.raises(ValueError, match="options"):
        env.reset(options={"maze": room})
    with pytest.raises(ValueError, match="action"):
        env.reset(seed=0)
        env.step(9)
    with pytest.raises(ValueError, match="seeds"):
        VecGridMaze().reset(np.array([-1]))


def test_vectorised_step_matches_single_envs():
    seeds = np.arange(5)
    vec = VecGridMaze(EnvConfig())
    obs = vec.reset(seeds)
    envs = [GridMazeEnv() for _ in seeds]
    singles = [e.reset(seed=int(s))[0] for e, s in zip(envs, seeds, strict=True)]
    dist = goal_distances(vec.free, vec.goals)
    assert (dist[np.arange(5), obs.positions[:, 0], obs.positions[:, 1]] >= 10).all()
    for _ in range(12):
        act = optimistic_actions(obs.maps, obs.positions)
        live = vec.active.copy()
        obs, _, term, trunc, _ = vec.step(act)
        for i in np.flatnonzero(live):
            singles[i] = envs[i].step(int(act[i]))[0]
            np.testing.assert_array_equal(singles[i]["map"], obs.maps[i])
            np.testing.assert_array_equal(singles[i]["position"], obs.positions[i])
