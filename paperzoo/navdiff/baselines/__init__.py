"""Baselines of the paper's tables: CALVIN (value iteration alone, greedy in Q(b, ·)) and the plain
Diffusion Policy (one sampled plan executed as is)."""

from paperzoo.navdiff.baselines.calvin import calvin_actions
from paperzoo.navdiff.baselines.diffusion_policy import single_sample_plans

__all__ = ["calvin_actions", "single_sample_plans"]
