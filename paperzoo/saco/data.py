"""The images SaCo's study scores: placed test images, shaped for the model that is explained."""

from __future__ import annotations

from dataclasses import replace

import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core.data.placed import PlacedConfig, make_placed
from paperzoo.core.vit.adapters import ViTAdapter, adapt


def study_images(n: int, seed: int, data: PlacedConfig | None = None) -> Tensor:
    """``n`` placed test images, drawn and placed with ``seed`` (never seen in training)."""
    return make_placed("test", replace(data or PlacedConfig(), seed=seed), limit=n).images


def fit_to_model(x: Tensor, model: nn.Module | ViTAdapter) -> Tensor:
    """``x`` [N, C, H, W] with the channels (grey repeated) and size (bilinear) ``model`` takes."""
    adapter = adapt(model)
    if adapter.in_chans != x.shape[1]:
        if x.shape[1] != 1:
            raise ValueError(
                f"x: {x.shape[1]}-channel images cannot feed a {adapter.in_chans}-channel model"
            )
        x = x.expand(-1, adapter.in_chans, -1, -1)
    if tuple(x.shape[-2:]) != tuple(adapter.image_size):
        x = F.interpolate(x, size=adapter.image_size, mode="bilinear")
    return x
