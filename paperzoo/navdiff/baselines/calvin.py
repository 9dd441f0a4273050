"""CALVIN / POCALVIN alone: act greedily in the QMDP values, a = argmax_a Q(b, a)
(docs/navdiff.md §2.4). No plan, no validity filter: the published baseline."""

from __future__ import annotations

import numpy as np
import torch

from paperzoo.navdiff.planner import QMDPPlanner, check_maps, one_hot_belief, qmdp_values


@torch.no_grad()
def calvin_actions(
    planner: QMDPPlanner, maps: np.ndarray, positions: np.ndarray, k: int | None = None
) -> np.ndarray:
    """Greedy QMDP actions ``int64 [B]`` for maps ``[B, 3, S, S]`` at known positions ``[B, 2]``."""
    q, *_ = planner(check_maps(maps), k)
    return greedy_actions(q, positions)


def greedy_actions(q: torch.Tensor, positions: np.ndarray) -> np.ndarray:
    """argmax_a Q(b, a) for known positions ``[B, 2]`` given the planner's Q ``[B, 9, S, S]``."""
    belief = one_hot_belief(torch.as_tensor(positions), tuple(q.shape[-2:]))
    return qmdp_values(belief, q).argmax(1).numpy()
