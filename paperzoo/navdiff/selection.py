"""Best-plan selection (docs/navdiff.md §2.6): simulate candidate plans on the known map, score them
with the learned QMDP values, drop invalid ones; majority vote and an oracle for comparison.

Plans are ``int64 [B, N, H]``; ``PAD`` (−1) ends a plan early (the memory tail is shorter).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.navdiff.maze import DONE, MOVES, N_ACTIONS, valid_moves

PAD = -1
ORACLE_INVALID = -100.0  # the official code's score of a plan that fails on the true map


def known_moves(maps: np.ndarray) -> np.ndarray:
    """Moves valid on the optimistic known map (unknown = free) ``bool [B, 9, S, S]``; ``done``
    only on the seen goal."""
    valid = valid_moves(maps[:, 0] == 0)
    valid[:, DONE] = maps[:, 2] > 0
    return valid


def simulate(
    valid: np.ndarray, positions: np.ndarray, plans: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Roll plans out under move rules ``valid [B, 9, S, S]`` from ``positions [B, 2]``.

    A plan ends after ``done`` or at ``PAD``. Returns (the cell before each step and after the
    last ``[B, N, H + 1, 2]``, whole plan valid ``bool [B, N]``, length ``[B, N]``, valid-prefix
    length ``[B, N]``: the steps before the first invalid one); :func:`end_cells` gives the cell
    the valid prefix reaches.
    """
    b, n, h = plans.shape
    rows = np.arange(b)[:, None]
    pos = np.broadcast_to(positions[:, None], (b, n, 2)).copy()
    alive = np.ones((b, n), dtype=bool)
    clean = np.ones((b, n), dtype=bool)  # no invalid step so far
    length = np.zeros((b, n), dtype=np.int64)
    prefix = np.zeros((b, n), dtype=np.int64)
    path = np.zeros((b, n, h + 1, 2), dtype=np.int64)
    for t in range(h):
        path[:, :, t] = pos
        a = plans[..., t]
        alive &= a != PAD
        act = np.clip(a, 0, DONE)
        step_ok = (a < N_ACTIONS) & valid[rows, act, pos[..., 0], pos[..., 1]]
        clean &= ~alive | step_ok
        move = alive & clean & (act != DONE)
        pos[move] += MOVES[act[move]]
        length += alive
        prefix += alive & clean
        alive &= act != DONE
    path[:, :, h] = pos
    return path, (prefix == length) & (length > 0), length, prefix


def end_cells(path: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """The cell reached after each plan's valid prefix: ``[B, N, 2]``."""
    b, n = prefix.shape
    return path[np.arange(b)[:, None], np.arange(n)[None], prefix]


def truncate(plans: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """Plans cut to their valid prefix (later steps ``PAD``): ``[B, N, H]``."""
    return np.where(np.arange(plans.shape[-1]) < prefix[..., None], plans, PAD)


def plan_values(q: Tensor, path: Tensor, plans: Tensor, length: Tensor) -> Tensor:
    """J(τ) = (1/L) Σ_{t<L} Q(b_t, a_t) with b_t the belief at step t of the plan.

    The position is known and moves on the known map are deterministic, so b_t is one-hot at the
    simulated cell ``path[..., t, :]`` (from :func:`simulate`) and Q(b_t, a) = Q(s_t, a).
    q ``[B, 9, S, S]``, path ``[B, N, H + 1, 2]``, plans and length ``[B, N(, H)]`` -> ``[B, N]``.
    """
    b, n, h = plans.shape
    rows = torch.arange(b)[:, None, None].expand(b, n, h)
    acts = plans.clamp(0, DONE)
    q_t = q[rows, acts, path[..., :h, 0], path[..., :h, 1]]  # [B, N, H]
    running = torch.arange(h) < length[..., None]
    return (q_t * running).sum(-1) / length.clamp_min(1)


def vote(plans: np.ndarray) -> np.ndarray:
    """Per-step majority over the N candidates: ``[B, N, H]`` -> ``[B, H]`` (ties: lowest index)."""
    codes = np.clip(plans, 0, 15)
    counts = (codes[..., None] == np.arange(16)).sum(1)  # [B, H, 16]
    return counts.argmax(-1)


def oracle_scores(
    dist: np.ndarray, free: np.ndarray, positions: np.ndarray, plans: np.ndarray
) -> np.ndarray:
    """Upper bound only: −(true cost-to-go at the plan's end on the true map), −100 if it fails
    there (the ranking the official code uses). ``[B, N]``."""
    valid = valid_moves(free)
    valid[:, DONE] = dist == 0
    path, ok, _, prefix = simulate(valid, positions, plans)
    end = end_cells(path, prefix)
    rows = np.arange(len(plans))[:, None]
    return np.where(ok, -dist[rows, end[..., 0], end[..., 1]], ORACLE_INVALID)


def code_log_probs(x: Tensor, sharpness: float) -> Tensor:
    """Soft decoding of analog bits for guidance: bit i is 1 with probability σ(κ·x_i), bits
    independent. ``[B, n_bits, H]`` -> log-probabilities of the 2**n_bits codes ``[B, 2**n, H]``."""
    n_bits = x.shape[1]
    codes = (torch.arange(2**n_bits)[:, None] >> torch.arange(n_bits)[None]) & 1  # [C, n_bits]
    log_one, log_zero = F.logsigmoid(sharpness * x), F.logsigmoid(-sharpness * x)
    return torch.einsum("cn,bnh->bch", codes.float(), log_one) + torch.einsum(
        "cn,bnh->bch", 1 - codes.float(), log_zero
    )


def soft_plan_values(
    x: Tensor, q: Tensor, valid: Tensor, positions: Tensor, sharpness: float = 4.0
) -> Tensor:
    """Differentiable J of continuous analog-bit plans: the expected average Q along the plan
    when each step's action is drawn from :func:`code_log_probs` (classifier-style guidance).

    The belief starts one-hot at ``positions [B, 2]`` and moves by the expected known-map
    transition: a valid move shifts its mass, an invalid one leaves it in place, ``done`` ends
    it; codes that are not actions score the map's lowest Q minus 1. Each step contributes
    Σ_s b_t(s) Σ_a p_t(a) Q(s, a); J divides by the expected plan length, so one-hot bits give
    :func:`plan_values` of the decoded plan when it is valid. x ``[B, n_bits, H]``,
    q ``[B, 9, S, S]``, valid ``float [B, 9, S, S]`` -> ``[B]``.
    """
    b, _, h = x.shape
    s = q.shape[-1]
    probs = code_log_probs(x, sharpness).exp()  # [B, C, H]
    p_act, p_bad = probs[:, :N_ACTIONS], probs[:, N_ACTIONS:].sum(1)  # [B, 9, H], [B, H]
    q_bad = q.flatten(1).amin(1) - 1  # [B]
    belief = torch.zeros(b, s, s)
    belief[torch.arange(b), positions[:, 0], positions[:, 1]] = 1.0
    moves, blocked = valid[:, :DONE], 1 - valid[:, :DONE]
    total, length = x.new_zeros(b), x.new_zeros(b)
    for t in range(h):  # broadcast products, not einsum: ~1.5× faster with the gradient on CPU
        mass = belief.sum((1, 2))
        q_b = (belief[:, None] * q).sum((2, 3))  # Q(b_t, a): [B, 9]
        total = total + (q_b * p_act[..., t]).sum(1) + mass * p_bad[:, t] * q_bad
        length = length + mass
        p_move = p_act[:, :DONE, t, None, None]  # [B, 8, 1, 1]
        stay = (p_move * blocked).sum(1) * belief
        go = belief[:, None] * moves * p_move  # [B, 8, S, S]
        moved = F.conv2d(go, _MOVE_KERNELS, padding=1)[:, 0]  # mass at s moves to s + d_a
        belief = moved + stay + p_bad[:, t, None, None] * belief  # bad codes: mass stays
    return total / length.clamp_min(1e-6)


_MOVE_KERNELS = torch.zeros(1, DONE, 3, 3)
for _a, (_dr, _dc) in enumerate(MOVES[:DONE]):
    _MOVE_KERNELS[0, _a, 1 - _dr, 1 - _dc] = 1.0
