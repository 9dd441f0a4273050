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
    m = check_maps(maps)
    q, *_ = planner(m, k)
    belief = one_hot_belief(torch.as_tensor(positions), tuple(m.shape[-2:]))
    return qmdp_values(belief, q).argmax(1).numpy()
