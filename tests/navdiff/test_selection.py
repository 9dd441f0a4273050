import numpy as np
import pytest
import torch

from paperzoo.navdiff.diffusion import encode_bits
from paperzoo.navdiff.experts import goal_distances
from paperzoo.navdiff.maze import DONE, valid_moves
from paperzoo.navdiff.planner import reward, value_iteration
from paperzoo.navdiff.selection import (
    PAD,
    end_cells,
    known_moves,
    oracle_scores,
    plan_values,
    simulate,
    soft_plan_values,
    truncate,
    vote,
)

from .conftest import open_room
from .test_planner import exact_kernels


def _room_maps():
    free = open_room()[None]
    maps = np.zeros((1, 3, 7, 7), dtype=np.uint8)
    maps[0, 0] = ~free[0]
    maps[0, 1] = free[0]
    maps[0, 2, 5, 5] = 1
    return free, maps


def test_simulate_flags_walls_done_off_goal_and_pad():
    free, maps = _room_maps()
    plans = np.array(
        [[[2, 2, 2, 2, 3, 3, 3, 3],  # east into the wall at step 5
          [3, 3, 3, 3, DONE, PAD, PAD, PAD],  # SE to the goal (5, 5) and stop
          [3, DONE, PAD, PAD, PAD, PAD, PAD, PAD],  # done off the goal
          [9, 2, 2, 2, 2, 2, 2, 2],  # not an action
          [PAD] * 8]]  # empty
    )  # fmt: skip
    path, ok, length, prefix = simulate(known_moves(maps), np.array([[1, 1]]), plans)
    end = end_cells(path, prefix)
    assert ok[0].tolist() == [False, True, False, False, False]
    assert length[0].tolist() == [8, 5, 2, 1, 0]
    assert prefix[0].tolist() == [4, 5, 1, 0, 0]
    assert end[0, 1].tolist() == [5, 5] and end[0, 0].tolist() == [1, 5]
    cut = truncate(plans, prefix)
    assert cut[0, 0].tolist() == [2, 2, 2, 2, PAD, PAD, PAD, PAD]
    assert simulate(known_moves(maps), np.array([[1, 1]]), cut)[1][0, :3].tolist() == [True] * 3


def test_unknown_cells_count_as_free_on_the_known_map():
    maps = np.zeros((1, 3, 5, 5), dtype=np.uint8)
    maps[0, 0, 0] = 1
    valid = known_moves(maps)
    assert valid[0, 4, 2, 2] and not valid[0, 0, 1, 2] and not valid[0, DONE].any()


def test_learned_value_ranks_goalward_plans_first():
    free, maps = _room_maps()
    goal = np.array([[5, 5]])
    avail = torch.from_numpy(valid_moves(free)).float()
    avail[:, DONE] = 1
    r_done = torch.where(torch.from_numpy(goal_distances(free, goal)) == 0, 0.0, -1e3).float()
    rewards = reward(avail, torch.tensor(30.0), -torch.ones(8), r_done)
    q, _ = value_iteration(rewards, avail, exact_kernels().float(), 1.0, 20)
    plans = torch.tensor([[[3, 3, 3, 3, DONE, PAD, PAD, PAD], [6, 6, 6, 6, 6, 6, 6, 6],
                           [2, 2, 2, 2, 4, 4, 4, 4]]])  # fmt: skip
    path, ok, length, _ = simulate(known_moves(maps), np.array([[1, 1]]), plans.numpy())
    score = plan_values(q, torch.from_numpy(path), plans, torch.from_numpy(length))
    # J is the mean of Q along the plan: check it against the Q of each step, by hand
    steps = [(1, 1, 3), (2, 2, 3), (3, 3, 3), (4, 4, 3), (5, 5, DONE)]
    by_hand = np.mean([float(q[0, a, r, c]) for r, c, a in steps])
    assert float(score[0, 0]) == pytest.approx(by_hand)
    assert score[0, 0] > score[0, 2] > score[0, 1]


def _room_q():
    free, maps = _room_maps()
    avail = torch.from_numpy(valid_moves(free)).float()
    avail[:, DONE] = 1
    r_done = torch.where(torch.from_numpy(goal_distances(free, np.array([[5, 5]]))) == 0, 0.0, -1e3)
    rewards = reward(avail, torch.tensor(30.0), -torch.ones(8), r_done.float())
    return maps, value_iteration(rewards, avail, exact_kernels().float(), 1.0, 20)[0]


def test_soft_plan_value_of_sharp_bits_is_the_plan_value():
    maps, q = _room_q()
    plans = torch.tensor([[3, 3, 3, 3, DONE, DONE, DONE, DONE], [2, 2, 2, 2, 4, 4, 4, 4]])
    path, _, length, _ = simulate(known_moves(maps), np.array([[1, 1]]), plans[None].numpy())
    hard = plan_values(q, torch.from_numpy(path), plans[None], torch.from_numpy(length))[0]
    valid = torch.from_numpy(known_moves(maps)).float().expand(2, -1, -1, -1)
    soft = soft_plan_values(
        encode_bits(plans, 4), q.expand(2, -1, -1, -1), valid, torch.tensor([[1, 1]] * 2), 30.0
    )
    torch.testing.assert_close(soft, hard, rtol=1e-4, atol=1e-4)


def test_the_value_gradient_points_goalward():
    # from (1, 1) with the goal at (5, 5): raising J must push the first step's bits towards
    # south-east (3 = bits 1100, least significant first) from a blurred start
    maps, q = _room_q()
    valid = torch.from_numpy(known_moves(maps)).float()
    x = torch.zeros(1, 4, 8, requires_grad=True)
    soft_plan_values(x, q, valid, torch.tensor([[1, 1]])).sum().backward()
    step = encode_bits(torch.tensor([[3]]), 4)[0, :, 0]
    assert float((x.grad[0, :, 0] * step).sum()) > 0


def test_vote_takes_the_per_step_majority():
    plans = np.array([[[1, 2], [1, 3], [4, 3]]])
    np.testing.assert_array_equal(vote(plans), [[1, 3]])


def test_oracle_scores_are_minus_true_cost_to_go():
    free, _ = _room_maps()
    dist = goal_distances(free, np.array([[5, 5]]))
    plans = np.array([[[3, 3, PAD, PAD], [0, 0, 0, 0]]])
    s = oracle_scores(dist, free, np.array([[1, 1]]), plans)
    np.testing.assert_allclose(s, [[-2 * np.sqrt(2), -100.0]])
