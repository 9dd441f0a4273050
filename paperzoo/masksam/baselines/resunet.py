"""The baseline: MONAI ``DynUNet`` with residual blocks, nnU-Net's anisotropic layout.

In-plane-only first stage (kernel 1×3×3, as nnU-Net plans for thick slices), in-plane strides
(1, 2, 2) until the in-plane grid is 4× coarser, then isotropic steps. docs/masksam.md §2.9.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from monai.networks.nets import DynUNet
from torch import Tensor, nn


@dataclass(frozen=True)
class ResUNetConfig:
    """``filters`` per stage (len = stages); ``frames`` must allow the depth strides."""

    filters: tuple[int, ...] = (8, 16, 32, 64)
    num_classes: int = 10

    def __post_init__(self) -> None:
        if len(self.filters) < 2 or any(f < 1 for f in self.filters):
            raise ValueError(f"filters must be >= 2 positive ints, got {self.filters!r}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {self.num_classes!r}")


class ResUNet(nn.Module):
    """DynUNet(res_block=True); ``probabilities`` gives the softmax map for sliding windows."""

    def __init__(self, cfg: ResUNetConfig):
        super().__init__()
        stages = len(cfg.filters)
        kernels = [[1, 3, 3]] + [[3, 3, 3]] * (stages - 1)
        strides = [[1, 1, 1]] + [[1, 2, 2] if i < 2 else [2, 2, 2] for i in range(stages - 1)]
        self.net = DynUNet(
            3,
            1,
            cfg.num_classes,
            kernel_size=kernels,
            strides=strides,
            upsample_kernel_size=strides[1:],
            filters=list(cfg.filters),
            res_block=True,
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def probabilities(self, x: Tensor) -> Tensor:
        return torch.softmax(self.net(x), 1)


def build_resunet(cfg: ResUNetConfig | None = None) -> ResUNet:
    return ResUNet(cfg or ResUNetConfig())
