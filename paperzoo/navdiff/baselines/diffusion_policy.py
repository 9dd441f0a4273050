"""Diffusion Policy alone: one sampled plan, executed as decoded (docs/navdiff.md §2.6); the
paper's "single sample" ablation. Non-action codes end the episode as ``done``."""

from __future__ import annotations

import numpy as np
import torch

from paperzoo.navdiff.diffusion import DiffusionPolicy


def single_sample_plans(
    policy: DiffusionPolicy, maps: np.ndarray, positions: np.ndarray, generator: torch.Generator
) -> np.ndarray:
    """One plan per map: ``int64 [B, H]``."""
    return policy.sample(maps, positions, 1, generator)[:, 0].numpy()
