"""Frozen, validated configs: environment, planner, diffusion policy, plan selection, training.

Defaults follow the paper and its CALVIN environment (docs/navdiff.md §2); every departure is a
field documented in docs/navdiff.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SELECTIONS = ("single", "vote", "value", "memory", "oracle", "guided")
Selection = Literal["single", "vote", "value", "memory", "oracle", "guided"]
Expert = Literal["optimistic", "true"]


def _at_least(name: str, value: int, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not value > 0 or value != value:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")


@dataclass(frozen=True)
class EnvConfig:
    """GridMaze2D: a ``size``×``size`` perfect maze, view range ``view_range`` (window
    (2vr+1)², line of sight), strict termination, ``max_steps`` before truncation.

    ``cycle_window``: the ``offset`` of CALVIN's ``check_repeat``: terminate when the path ends
    in the same loop twice, the loop's length being the smallest lag ≥ ``cycle_window`` at
    which the current position was held before (0 disables). A single step back is no cycle.
    ``min_distance``: least start–goal path cost.
    """

    size: int = 15
    view_range: int = 2
    max_steps: int = 100
    min_distance: float = 10.0
    cycle_window: int = 5

    def __post_init__(self) -> None:
        _at_least("size", self.size, 5)
        _at_least("view_range", self.view_range, 1)
        _at_least("max_steps", self.max_steps, 1)
        _at_least("cycle_window", self.cycle_window, 0)
        if not self.min_distance >= 0:
            raise ValueError(f"min_distance must be >= 0, got {self.min_distance!r}")


@dataclass(frozen=True)
class PlannerConfig:
    """CALVIN-style QMDP planner: ``k`` value-iteration steps with discount ``gamma``; the
    available-action net has ``hidden`` channels; ``kernel_temperature`` is the 10 of
    T_a = softmax(10·W_a)."""

    k: int = 60
    gamma: float = 0.99
    hidden: int = 16
    kernel_temperature: float = 10.0

    def __post_init__(self) -> None:
        _at_least("k", self.k, 1)
        _at_least("hidden", self.hidden, 1)
        _positive("kernel_temperature", self.kernel_temperature)
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma!r}")


@dataclass(frozen=True)
class DiffusionConfig:
    """Plan generator: plans of ``horizon`` actions as ``n_bits`` analog bits, a FiLM 1D U-Net
    of width ``width`` conditioned on an egocentric crop of radius ``crop`` of the current map;
    DDPM with ``train_timesteps``, sampled with DDIM in ``sample_steps``."""

    horizon: int = 8
    n_bits: int = 4
    width: int = 32
    embed: int = 64
    crop: int = 7
    train_timesteps: int = 100
    sample_steps: int = 10

    def __post_init__(self) -> None:
        _at_least("horizon", self.horizon, 2)
        if self.horizon % 2:
            raise ValueError(f"horizon must be even (one U-Net down-sampling), got {self.horizon}")
        _at_least("n_bits", self.n_bits, 4)  # 9 actions need 4 bits
        _at_least("width", self.width, 4)
        _at_least("embed", self.embed, 4)
        _at_least("crop", self.crop, 1)
        _at_least("train_timesteps", self.train_timesteps, 2)
        _at_least("sample_steps", self.sample_steps, 1)
        if self.sample_steps > self.train_timesteps:
            raise ValueError(
                f"sample_steps must be <= train_timesteps ({self.train_timesteps}), "
                f"got {self.sample_steps}"
            )


@dataclass(frozen=True)
class SelectConfig:
    """How a plan is chosen and executed: ``selection`` mode, ``n_plans`` candidates,
    ``execute`` actions of the chosen plan before replanning (receding horizon).

    Modes: ``single`` (one sample, executed as decoded), ``vote`` (per-step majority of N),
    ``value`` (N ranked by the learned QMDP value), ``memory`` (value plus the previous best
    plan's tail: the full method), ``oracle`` (ranked by true cost-to-go: an upper bound only).
    ``guided``: classifier-style value guidance, the comparison to sample-then-select: each
    DDIM step moves the predicted clean plans ``guide_scale`` (RMS) along the gradient of their
    soft learned value; the N guided plans are then ranked like ``value`` (N = 1: the guided
    sample alone). ``truncate_invalid``: cut each candidate at its first invalid step instead
    of dropping it.
    """

    selection: Selection = "memory"
    n_plans: int = 20
    execute: int = 1
    truncate_invalid: bool = True
    guide_scale: float = 0.5

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")
        _at_least("n_plans", self.n_plans, 1)
        _at_least("execute", self.execute, 1)
        _positive("guide_scale", self.guide_scale)


@dataclass(frozen=True)
class TrainConfig:
    """Imitation data and optimisation: ``n_mazes`` expert episodes from ``expert``; planner and
    diffusion steps, batch sizes and learning rates."""

    n_mazes: int = 400
    expert: Expert = "optimistic"
    planner_steps: int = 300
    planner_lr: float = 5e-3
    planner_batch: int = 64
    diffusion_steps: int = 1500
    diffusion_lr: float = 2e-3
    diffusion_batch: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        _at_least("n_mazes", self.n_mazes, 1)
        if self.expert not in ("optimistic", "true"):
            raise ValueError(f"expert must be 'optimistic' or 'true', got {self.expert!r}")
        _at_least("planner_steps", self.planner_steps, 0)
        _at_least("diffusion_steps", self.diffusion_steps, 0)
        _at_least("planner_batch", self.planner_batch, 1)
        _at_least("diffusion_batch", self.diffusion_batch, 1)
        _positive("planner_lr", self.planner_lr)
        _positive("diffusion_lr", self.diffusion_lr)
        _at_least("seed", self.seed, 0)


@dataclass(frozen=True)
class BEVConfig:
    """Synthetic point clouds of a maze and their bird's-eye-view projection (docs/navdiff.md §2.7).

    Geometry: ``cell`` metres per grid cell, walls ``wall_height`` high, a ceiling at
    ``ceiling``; ``density`` floor/ceiling points per cell (walls get twice as many), Gaussian
    xyz noise ``noise`` (m), a ``clutter`` share of extra points on low objects and hanging
    fixtures outside the obstacle band plus sparse outliers, a ``label_flip`` share of labels
    replaced at random. Projection: a cell is an obstacle when at least ``obstacle_share`` of
    its points lie in the height band ``band`` (label-free), the goal where at least
    ``goal_share`` of its points are labelled target.
    """

    cell: float = 0.25
    wall_height: float = 2.5
    ceiling: float = 2.6
    density: int = 24
    noise: float = 0.02
    clutter: float = 0.1
    label_flip: float = 0.05
    band: tuple[float, float] = (0.35, 2.2)
    obstacle_share: float = 0.25
    goal_share: float = 0.1

    def __post_init__(self) -> None:
        _positive("cell", self.cell)
        _positive("wall_height", self.wall_height)
        if not self.ceiling > self.wall_height:
            raise ValueError(f"ceiling must exceed wall_height, got {self.ceiling!r}")
        _at_least("density", self.density, 1)
        for name in ("noise", "clutter", "label_flip"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not 0 <= v < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {v!r}")
        lo, hi = self.band
        if not 0 <= lo < hi <= self.wall_height:
            raise ValueError(f"band must satisfy 0 <= low < high <= wall_height, got {self.band}")
        for name in ("obstacle_share", "goal_share"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not 0 < v <= 1:
                raise ValueError(f"{name} must be a number in (0, 1], got {v!r}")
