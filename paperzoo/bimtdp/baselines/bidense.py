"""BiDense-style binarisation (after Yin et al., arXiv:2411.10346; our reading, docs/bimtdp.md §3).

Distribution-adaptive binariser: the activation threshold follows each sample's per-channel
mean plus a learnable offset, and the ±1 output is rescaled per pixel by mean |x − τ| over
channels; weights are sign(w)·mean|w|. Its channel-adaptive full-precision bypass is the
block's shortcut with a learnable per-channel gain. The input-dependent threshold and scale do
not fold into the packed kernel, so ``packable`` is False (a training baseline only).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from paperzoo.bimtdp.binarize import Binarizer, binary_sign


class BiDense(Binarizer):
    """sign(x − τ)·mean_c|x − τ| with τ = spatial mean per (sample, channel) + β_c."""

    name = "bidense"
    packable = False

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.bypass = nn.Parameter(torch.ones(1, channels, 1, 1))

    def act(self, x: Tensor) -> Tensor:
        centred = x - (x.mean((2, 3), keepdim=True) + self.beta)  # x − τ(x)
        scale = centred.detach().abs().mean(1, keepdim=True)  # per-pixel magnitude
        return binary_sign(centred, "approx") * scale

    def weight(self, w: Tensor) -> Tensor:
        scale = w.detach().flatten(1).abs().mean(1).view(-1, 1, 1, 1)
        return binary_sign(w, "ste") * scale
