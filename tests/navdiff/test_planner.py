import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.navdiff.experts import goal_distances
from paperzoo.navdiff.maze import COST, DONE, MOVES, generate_mazes, valid_moves
from paperzoo.navdiff.planner import (
    belief_correct,
    belief_predict,
    check_maps,
    goal_prior,
    one_hot_belief,
    position_likelihood,
    qmdp_values,
    reward,
    value_iteration,
)


def exact_kernels() -> torch.Tensor:
    """One-hot T_a: action a moves by MOVES[a] with certainty."""
    k = torch.zeros(9, 3, 3, dtype=torch.float64)
    for a, (dr, dc) in enumerate(MOVES):
        k[a, 1 + dr, 1 + dc] = 1
    return k


def exact_model(free: np.ndarray, goals: np.ndarray):
    avail = torch.from_numpy(valid_moves(free)).double()
    avail[:, DONE] = 1
    goal_map = torch.zeros(free.shape, dtype=torch.float64)
    goal_map[torch.arange(len(goals)), goals[:, 0], goals[:, 1]] = 1
    r_done = -1e4 * (1 - goal_map)  # done pays 0 at the goal only
    r_move = -torch.from_numpy(COST[:DONE])
    rewards = reward(avail, torch.tensor(1e4, dtype=torch.float64), r_move, r_done)
    return rewards, avail


def test_value_iteration_with_hand_set_weights_is_minus_shortest_path():
    free = generate_mazes(np.array([1, 2]), 15)
    goals = np.array([[1, 1], [13, 13]])
    rewards, avail = exact_model(free, goals)
    dist = goal_distances(free, goals)
    _, v = value_iteration(rewards, avail, exact_kernels(), gamma=1.0, k=int(dist[free].max()) + 2)
    np.testing.assert_allclose(v.numpy()[free], -dist[free], atol=1e-4)


def test_greedy_rollouts_in_exact_values_always_reach_the_goal():
    free = generate_mazes(np.arange(8), 15)
    goals = np.tile([[7, 7]], (8, 1))
    rewards, avail = exact_model(free, goals)
    q, _ = value_iteration(rewards, avail, exact_kernels(), 1.0, 120)
    pos = np.tile([[13, 13]], (8, 1))
    for _ in range(200):
        a = qmdp_values(one_hot_belief(torch.from_numpy(pos), (15, 15)).double(), q).argmax(1)
        a = a.numpy()
        assert valid_moves(free)[np.arange(8), a, pos[:, 0], pos[:, 1]].all()
        pos = pos + MOVES[a]
        if (a == DONE).all():
            break
    assert (pos == goals).all()


def test_value_iteration_matches_a_loop_reference():
    torch.manual_seed(0)
    rewards = torch.randn(2, 9, 5, 6, dtype=torch.float64)
    avail = torch.rand(2, 9, 5, 6, dtype=torch.float64)
    kernels = torch.softmax(torch.randn(9, 9, dtype=torch.float64), -1).view(9, 3, 3)
    q, v = value_iteration(rewards, avail, kernels, 0.9, 3)
    r, a, k = rewards.numpy(), avail.numpy(), kernels.numpy()
    val = np.zeros((2, 5, 6))
    for _ in range(3):
        qq = np.zeros_like(r)
        for b in range(2):
            for act in range(9):
                for i in range(5):
                    for j in range(6):
                        nxt = 0.0
                        for di in (-1, 0, 1):
                            for dj in (-1, 0, 1):
                                if 0 <= i + di < 5 and 0 <= j + dj < 6:
                                    nxt += k[act, 1 + di, 1 + dj] * val[b, i + di, j + dj]
                        cont = 0.0 if act == DONE else a[b, act, i, j]
                        qq[b, act, i, j] = r[b, act, i, j] + 0.9 * cont * nxt
        val = qq.max(1)
    np.testing.assert_allclose(q.numpy(), qq, atol=1e-10)
    np.testing.assert_allclose(v.numpy(), val, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 8))
def test_belief_prediction_and_correction_sum_to_one(seed, action):
    g = torch.Generator().manual_seed(seed)
    belief = torch.rand(3, 6, 6, generator=g)
    belief /= belief.sum((1, 2), keepdim=True)
    kernels = torch.softmax(torch.randn(9, 9, generator=g), -1).view(9, 3, 3)
    avail = torch.rand(3, 9, 6, 6, generator=g)
    pred = belief_predict(belief, torch.full((3,), action), kernels, avail)
    torch.testing.assert_close(pred.sum((1, 2)), torch.ones(3))
    post = belief_correct(pred, torch.rand(3, 6, 6, generator=g) + 0.01)
    torch.testing.assert_close(post.sum((1, 2)), torch.ones(3))
    assert (pred >= 0).all() and (post >= 0).all()


def test_exact_filter_gives_a_one_hot_posterior_at_the_true_cell():
    free = generate_mazes(np.array([5]), 15)
    avail = torch.from_numpy(valid_moves(free)).float()
    prior = torch.from_numpy(free[0] / free.sum()).float()[None]  # uniform over free cells
    pos = np.array([[7, 7]])
    a = int(np.flatnonzero(valid_moves(free)[0, :DONE, 7, 7])[0])
    pred = belief_predict(prior, torch.tensor([a]), exact_kernels().float(), avail)
    new = torch.from_numpy(pos + MOVES[a])
    post = belief_correct(pred, position_likelihood(new, (15, 15)))
    expected = one_hot_belief(new, (15, 15))
    torch.testing.assert_close(post, expected)


def test_prediction_moves_mass_and_blocked_moves_stay():
    free = np.ones((1, 5, 5), dtype=bool)
    free[0, 2, 3] = False
    avail = torch.from_numpy(valid_moves(free)).float()
    b = one_hot_belief(torch.tensor([[2, 2]]), (5, 5))
    east = belief_predict(b, torch.tensor([2]), exact_kernels().float(), avail)
    torch.testing.assert_close(east, b)  # blocked: the mass stays
    north = belief_predict(b, torch.tensor([0]), exact_kernels().float(), avail)
    torch.testing.assert_close(north, one_hot_belief(torch.tensor([[1, 2]]), (5, 5)))


def test_goal_prior_uniform_over_unknown_until_the_goal_is_seen():
    maps = torch.zeros(1, 3, 4, 4)
    maps[0, 1, :2] = 1  # top half seen free
    p = goal_prior(maps)[0]
    assert torch.allclose(p[2:], torch.full((2, 4), 1 / 8)) and (p[:2] == 0).all()
    maps[0, 2, 1, 1] = 1
    p = goal_prior(maps)[0]
    assert p[1, 1] == pytest.approx(1000 / 1008) and p.sum() == pytest.approx(1.0)


def test_maps_with_the_wrong_layout_are_rejected():
    good = torch.zeros(2, 3, 5, 5)
    check_maps(good)
    with pytest.raises(ValueError, match="channels-last"):
        check_maps(torch.zeros(2, 5, 5, 3))
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        check_maps(torch.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="0 or 1"):
        check_maps(good + 0.5)
    both = good.clone()
    both[0, :2, 0, 0] = 1
    with pytest.raises(ValueError, match="both"):
        check_maps(both)
    with pytest.raises(TypeError, match="maps"):
        check_maps([[0]])
