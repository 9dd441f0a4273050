"""The explainer interface: ``Explainer(model, cfg).explain(x, target=None) -> map``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core.vit.adapters import ViTAdapter, ViTTrace, adapt


@dataclass(frozen=True)
class NoConfig:
    """For explainers without options."""


class Explainer:
    """Base class: holds the model adapter and a frozen config; results are returned, never kept.

    ``explain`` validates ``x`` ``[B, C, H, W]`` and ``target`` (``None`` = predicted class) and
    returns a map ``[B, h, w]`` on the patch grid (``pixel_level=False``) or the image (``True``).
    """

    name: ClassVar[str] = "explainer"
    paper: ClassVar[str] = ""
    Config: ClassVar[type] = NoConfig
    pixel_level: ClassVar[bool] = False

    def __init__(self, model: nn.Module | ViTAdapter, cfg: Any = None) -> None:
        self.adapter = adapt(model)
        self.model = self.adapter.model
        cfg = self.Config() if cfg is None else cfg
        if not isinstance(cfg, self.Config):
            raise ValueError(f"cfg must be a {self.Config.__name__}, got {type(cfg).__name__}")
        self.cfg = cfg

    def explain(self, x: Tensor, target: int | Tensor | None = None) -> Tensor:
        """The map for model inputs ``x``, which are cast to the model's float dtype."""
        x = self.adapter.check_input(x)
        param = next((p for p in self.model.parameters() if p.is_floating_point()), None)
        if param is not None:
            if x.device != param.device:
                raise ValueError(f"x is on {x.device} but the model on {param.device}")
            x = x.to(param.dtype)
        return self._explain(x, target).detach()

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        raise NotImplementedError

    # helpers for the attention-based explainers
    def _trace_and_grads(
        self, x: Tensor, target: int | Tensor | None
    ) -> tuple[ViTTrace, list[Tensor]]:
        trace = self.adapter.trace(x)
        t = self.adapter.check_target(target, trace.logits.detach())
        return trace, trace.attention_grads(t)

    def _to_grid(self, row: Tensor) -> Tensor:
        """CLS row ``[B, N]`` -> patch map ``[B, h, w]``: the prefix-token columns ([CLS],
        distillation, registers: the first ``num_prefix_tokens``) dropped."""
        return row[:, self.adapter.num_prefix_tokens :].reshape(row.shape[0], *self.adapter.grid)


def upsample_map(maps: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of ``[B, h, w]`` maps to ``size`` (no-op when already that size)."""
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    return F.interpolate(maps[:, None].float(), size=size, mode="bilinear", align_corners=False)[
        :, 0
    ]
