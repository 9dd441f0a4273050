"""The differentiable planner: CALVIN-style value iteration and a QMDP belief filter.

Pure tensor functions (one per equation, docs/navdiff.md §2.2–§2.3) and :class:`QMDPPlanner`,
the module holding their learned parts: transition kernels, the available-action net, rewards.
Layouts: maps ``[B, 3, H, W]`` (obstacle, free, goal), action maps ``[B, 9, H, W]``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.navdiff.config import PlannerConfig
from paperzoo.navdiff.maze import DONE, N_ACTIONS

GOAL_WEIGHT = 1000.0  # prior weight of the seen goal cell against one unexplored cell


def check_maps(maps: Tensor | np.ndarray) -> Tensor:
    """Maps as float ``[B, 3, H, W]`` in {0, 1}; a channels-last or wrongly shaped map raises."""
    if isinstance(maps, np.ndarray):
        maps = torch.from_numpy(np.ascontiguousarray(maps))
    if not isinstance(maps, Tensor):
        raise TypeError(f"maps: expected a tensor or array, got {type(maps).__name__}")
    if maps.ndim != 4 or maps.shape[1] != 3:
        hint = " (channels-last? expected channels-first)" if maps.shape[-1] == 3 else ""
        raise ValueError(
            f"maps: expected [B, 3, H, W] (obstacle, free, goal){hint}, got {tuple(maps.shape)}"
        )
    maps = maps.float()
    if not torch.isfinite(maps).all() or ((maps != 0) & (maps != 1)).any():
        raise ValueError("maps: entries must be 0 or 1")
    if (maps[:, 0] * maps[:, 1]).any():
        raise ValueError("maps: a cell is marked both obstacle and free")
    return maps


def unknown_mask(maps: Tensor) -> Tensor:
    """Cells neither seen as obstacle nor as free: ``[B, H, W]``."""
    return (1 - maps[:, 0]) * (1 - maps[:, 1])


def goal_prior(maps: Tensor) -> Tensor:
    """Goal belief ``[B, H, W]``: uniform over unexplored cells, the seen goal weighted 1000.

    p(s) ∝ unknown(s) + 1000·goal(s)   (docs/navdiff.md §2.3)
    """
    p = unknown_mask(maps) + GOAL_WEIGHT * maps[:, 2]
    return p / p.sum((1, 2), keepdim=True).clamp_min(1e-12)


def transition_kernels(weights: Tensor, temperature: float = 10.0) -> Tensor:
    """T_a = softmax(10·W_a) over each 3×3 kernel: ``[9, 3, 3]`` -> ``[9, 3, 3]``."""
    return torch.softmax(temperature * weights.flatten(1), -1).view_as(weights)


def available_actions(logits: Tensor) -> Tensor:
    """A(s, a) = σ(f_a − f_thr): ``[B, 10, H, W]`` (last: the threshold) -> ``[B, 9, H, W]``."""
    return torch.sigmoid(logits[:, :-1] - logits[:, -1:])


def reward(avail: Tensor, r_fail: Tensor, r_move: Tensor, r_done: Tensor) -> Tensor:
    """R(s, a) = −softplus(r_fail)(1 − A) + A·r_move(a) for moves; R(s, done) = r_done(s).

    avail ``[B, 9, H, W]``, r_move ``[8]``, r_done ``[B, H, W]`` -> ``[B, 9, H, W]``.
    """
    moves = -F.softplus(r_fail) * (1 - avail[:, :DONE]) + avail[:, :DONE] * r_move.view(1, -1, 1, 1)
    return torch.cat([moves, r_done[:, None]], 1)


def value_iteration(
    rewards: Tensor, avail: Tensor, kernels: Tensor, gamma: float, k: int
) -> tuple[Tensor, Tensor]:
    """K steps of Q_{k+1}(s,a) = R(s,a) + γ A(s,a) (T_a ⋆ V_k)(s), V_k = max_a Q_k, V_0 = 0.

    ⋆ is a same-padded 3×3 correlation (the kernel entry at (1+dr, 1+dc) is the probability of
    moving by (dr, dc)); the done action's next value is zero. Returns (Q ``[B, 9, H, W]``,
    V ``[B, H, W]``).
    """
    b, _, h, w = rewards.shape
    value = rewards.new_zeros(b, 1, h, w)
    cont = avail.clone()
    cont[:, DONE] = 0  # done ends the episode: no next value
    cont = gamma * cont  # once, not per iteration (the same numbers: γ·A is formed first anyway)
    weight = kernels[:, None]  # [9, 1, 3, 3]
    q = rewards
    for _ in range(k):
        q = rewards + cont * F.conv2d(value, weight, padding=1)
        value = q.amax(1, keepdim=True)
    return q, value[:, 0]


def belief_predict(belief: Tensor, actions: Tensor, kernels: Tensor, avail: Tensor) -> Tensor:
    """Prediction b̄(s) = Σ_{s'} T_a(s − s') A(s', a) b(s') + (1 − A(s, a)) b(s), renormalised.

    A blocked move leaves its mass in place. belief ``[B, H, W]``, actions ``int [B]``,
    avail ``[B, 9, H, W]`` -> ``[B, H, W]``.
    """
    b, h, w = belief.shape
    rows = torch.arange(b)
    a_map = avail[rows, actions]  # [B, H, W]
    moving = (a_map * belief)[None]  # [1, B, H, W]
    kern = kernels[actions].flip(-1, -2)[:, None]  # transposed correlation: [B, 1, 3, 3]
    moved = F.conv2d(moving, kern, padding=1, groups=b)[0]
    out = moved + (1 - a_map) * belief
    done = actions == DONE
    out = torch.where(done[:, None, None], belief, out)
    return out / out.sum((1, 2), keepdim=True).clamp_min(1e-12)


def belief_correct(belief: Tensor, likelihood: Tensor) -> Tensor:
    """Correction b'(s) ∝ b̄(s)·O(s, o); ``[B, H, W]`` each. Zero evidence everywhere raises."""
    post = belief * likelihood
    z = post.sum((1, 2), keepdim=True)
    if (z <= 0).any():
        raise ValueError("likelihood: the observation has zero probability under the belief")
    return post / z


def position_likelihood(positions: Tensor, shape: tuple[int, int], eps: float = 0.0) -> Tensor:
    """O(s, o) for an observed position fix: (1 − ε)·[s = o] + ε. positions ``[B, 2]``."""
    b = len(positions)
    out = torch.full((b, *shape), eps)
    out[torch.arange(b), positions[:, 0], positions[:, 1]] += 1 - eps
    return out


def qmdp_values(belief: Tensor, q: Tensor) -> Tensor:
    """Q(b, a) = Σ_s b(s) Q(s, a): belief ``[B, H, W]``, Q ``[B, 9, H, W]`` -> ``[B, 9]``."""
    return torch.einsum("bhw,bahw->ba", belief, q)


def one_hot_belief(positions: Tensor, shape: tuple[int, int]) -> Tensor:
    """The belief of a known position: ``[B, H, W]``."""
    return position_likelihood(positions, shape, 0.0)


class QMDPPlanner(nn.Module):
    """Learned transition kernels, available-action net and rewards around :func:`value_iteration`.

    ``forward(maps)`` returns ``(Q, V, A, logits)`` for maps ``[B, 3, H, W]``. The done reward is
    r_done(s) = softplus(w_goal)·p(s)/max p − softplus(c_done) with p the :func:`goal_prior`.
    """

    def __init__(self, config: PlannerConfig | None = None) -> None:
        super().__init__()
        config = config or PlannerConfig()
        self.config = config
        h = config.hidden
        self.kernel_weights = nn.Parameter(0.01 * torch.randn(N_ACTIONS, 3, 3))
        self.avail_net = nn.Sequential(
            nn.Conv2d(4, h, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(h, h, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(h, N_ACTIONS + 1, 1),
        )
        # failing (a wall, done off the goal) starts expensive: softplus(5) ≈ 5 > a move's cost
        self.r_fail = nn.Parameter(torch.tensor(5.0))
        # moves cost: r_move = −softplus(w_move) < 0 (docs/navdiff.md §3); softplus(−0.43) ≈ 0.5
        self.w_move = nn.Parameter(torch.full((DONE,), -0.43))
        self.w_goal = nn.Parameter(torch.tensor(4.0))
        self.c_done = nn.Parameter(torch.tensor(2.0))

    def kernels(self) -> Tensor:
        return transition_kernels(self.kernel_weights, self.config.kernel_temperature)

    def forward(self, maps: Tensor, k: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        unknown = unknown_mask(maps)
        logits = self.avail_net(torch.cat([maps, unknown[:, None]], 1))
        avail = available_actions(logits)
        prior = goal_prior(maps)
        prior = prior / prior.flatten(1).amax(1).view(-1, 1, 1).clamp_min(1e-12)
        r_done = F.softplus(self.w_goal) * prior - F.softplus(self.c_done)
        rewards = reward(avail, self.r_fail, -F.softplus(self.w_move), r_done)
        q, v = value_iteration(
            rewards, avail, self.kernels(), self.config.gamma, k or self.config.k
        )
        return q, v, avail, logits
