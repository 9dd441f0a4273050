"""One interface per family, shared across systems: explanation metrics (and their results).

Hyperparameters go to the constructor (a frozen config), data to the call; results are returned,
never kept on ``self``. Class attributes ``name``, ``paper`` and ``higher_is_better`` feed reports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from paperzoo.core.runtime import eval_mode


@dataclass(frozen=True)
class MetricResult:
    """Per-sample scores [B] (NaN where undefined), with counts a user should see."""

    scores: Tensor
    skipped: int = 0
    forward_images: int = 0
    extra: dict[str, Tensor] = field(default_factory=dict)

    def mean(self) -> float:
        """Mean over the defined (non-NaN) scores."""
        return float(torch.nanmean(self.scores.double()))


class Metric(ABC):
    """An explanation metric: ``metric(model=, x_batch=, y_batch=, a_batch=) -> MetricResult``."""

    name: ClassVar[str]
    paper: ClassVar[str]
    higher_is_better: ClassVar[bool]

    def __call__(
        self,
        model: nn.Module,
        x_batch: Tensor | np.ndarray,
        y_batch: Tensor | np.ndarray | None = None,
        a_batch: Tensor | np.ndarray | None = None,
        device: str | torch.device | None = None,
    ) -> MetricResult:
        """Validate inputs (numpy or torch, [B, C, H, W] images) and score each sample."""
        x = _as_tensor(x_batch, "x_batch", torch.float32)
        if x.ndim != 4:
            raise ValueError(f"x_batch must be [B, C, H, W], got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("x_batch contains NaN or inf")
        if a_batch is None:
            raise ValueError("a_batch: salience maps are required")
        a = _as_tensor(a_batch, "a_batch", torch.float32)
        if a.shape[0] != x.shape[0]:
            raise ValueError(f"a_batch has {a.shape[0]} maps for {x.shape[0]} images")
        if not torch.isfinite(a).all():
            raise ValueError("a_batch contains NaN or inf")
        y = None
        if y_batch is not None:
            y = _as_tensor(y_batch, "y_batch", None)
            if torch.is_floating_point(y) or torch.is_complex(y):
                raise ValueError(f"y_batch must hold integer class indices, got dtype {y.dtype}")
            y = y.long()
        if y is not None and y.shape != (x.shape[0],):
            raise ValueError(f"y_batch must be [B] = [{x.shape[0]}], got {tuple(y.shape)}")
        if device is None:
            device = next(model.parameters(), torch.empty(0)).device
        with torch.no_grad(), eval_mode(model):
            return self._compute(
                model, x.to(device), None if y is None else y.to(device), a.to(device)
            )

    @abstractmethod
    def _compute(self, model: nn.Module, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        """The metric's math on validated tensors (``y`` None = the predicted class)."""


def _as_tensor(value: Tensor | np.ndarray, name: str, dtype: torch.dtype | None) -> Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, Tensor):
        raise ValueError(
            f"{name} must be a torch tensor or numpy array, got {type(value).__name__}"
        )
    return value if dtype is None else value.to(dtype)
