import numpy as np
import pytest
import torch

from paperzoo.navdiff.config import DiffusionConfig, EnvConfig, PlannerConfig, SelectConfig
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.evaluate import PlannerCache, Trace, evaluate
from paperzoo.navdiff.planner import QMDPPlanner

ENV = EnvConfig(size=9, max_steps=30, min_distance=4.0)


@pytest.fixture(scope="module")
def untrained():
    torch.manual_seed(0)
    planner = QMDPPlanner(PlannerConfig(k=20, hidden=4)).eval()
    policy = DiffusionPolicy(DiffusionConfig(width=8, embed=16, crop=3, sample_steps=3)).eval()
    return planner, policy


def test_expert_method_succeeds_and_records_seeds():
    out = evaluate(ENV, np.arange(5), "expert")
    assert out["success"] == [1.0] * 5 and out["seeds"] == [0, 1, 2, 3, 4]
    assert all(0 < s <= 1 for s in out["spl"])


@pytest.mark.parametrize("seeds", [np.arange(0), np.zeros((2, 2), int), np.array([0.5, 1.5])])
def test_bad_seeds_are_refused(seeds):
    with pytest.raises(ValueError, match="seeds: expected a non-empty 1-D integer array"):
        evaluate(ENV, seeds, "expert")


@pytest.mark.parametrize("selection", ["value", "memory", "oracle", "guided"])
def test_filtered_modes_execute_only_valid_actions_and_stop_at_the_goal(untrained, selection):
    planner, policy = untrained
    out = evaluate(ENV, np.arange(6), "diffusion", planner, policy, SelectConfig(selection, 6))
    assert sum(out["collided"]) == 0  # only valid actions are executed
    assert all(s == r for s, r in zip(out["success"], out["reached"], strict=True))  # reach ⇒ stop
    assert out["replans"] > 0


def test_raw_single_sample_can_collide(untrained):
    planner, policy = untrained
    out = evaluate(ENV, np.arange(6), "diffusion", planner, policy, SelectConfig("single"))
    outcomes = np.array(
        [out[k] for k in ("success", "collided", "cycled", "truncated", "done_off_goal")]
    )
    assert (outcomes.sum(0) == 1).all()  # every episode ends for exactly one recorded reason
    assert out["fallbacks"] == 0


def test_trace_records_plans_and_the_chosen_one(untrained):
    planner, policy = untrained
    trace = Trace()
    evaluate(
        ENV, np.arange(2), "diffusion", planner, policy, SelectConfig("memory", 4), trace=trace
    )
    assert trace.frames and trace.frames[0]["plans"].shape == (5, 8)  # 4 samples + memory
    assert trace.frames[0]["map"].shape == (3, 9, 9)


def test_bad_arguments_raise(untrained):
    with pytest.raises(ValueError, match="method"):
        evaluate(ENV, np.arange(2), "nope")
    with pytest.raises(ValueError, match="planner"):
        evaluate(ENV, np.arange(2), "vi")
    with pytest.raises(ValueError, match="n_plans"):
        SelectConfig("value", 0)


def test_planner_cache_reruns_value_iteration_only_for_changed_maps(untrained):
    planner = untrained[0]
    calls = []

    def counted(maps, k=None):
        calls.append(len(maps))
        return planner(maps, k)

    maps = VecGridMaze(ENV).reset(np.arange(4)).maps
    cache, idx = PlannerCache(counted, None, 4), np.arange(4)
    direct, *_ = planner(torch.from_numpy(maps).float())
    assert torch.allclose(cache(idx, maps), direct) and calls == [4]
    assert torch.allclose(cache(idx[1:3], maps[1:3]), direct[1:3]) and calls == [4]
    changed = maps.copy()
    changed[2] = maps[0]  # episode 2 now sees another map: only it is planned again
    q = cache(idx, changed)
    assert calls == [4, 1]
    assert torch.allclose(q[2], direct[0], atol=1e-5)
    assert torch.allclose(q[[0, 1, 3]], direct[[0, 1, 3]])
