"""ReActNet (Liu et al., ECCV 2020): RSign with a learnable per-channel threshold, RPReLU, and
weights sign(w)·mean|w| per output channel (docs/bimtdp.md §2.1)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from paperzoo.bimtdp.binarize import Binarizer, binary_sign


class RPReLU(nn.Module):
    """RPReLU(x) = PReLU(x − γ) + ζ with learnable per-channel γ, ζ and slope."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.zeta = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.prelu = nn.PReLU(channels, init=0.25)

    def forward(self, x: Tensor) -> Tensor:
        return self.prelu(x - self.gamma) + self.zeta  # PReLU(x − γ) + ζ


class ReActNet(Binarizer):
    """RSign(x) = sign(x − α_c) with the ApproxSign gradient; w_b = sign(w)·mean|w|."""

    name = "reactnet"

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.alpha = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def act(self, x: Tensor) -> Tensor:
        return binary_sign(x - self.alpha, "approx")  # RSign: sign(x − α)

    def weight(self, w: Tensor) -> Tensor:
        return binary_sign(w, "ste") * self.weight_scale(w).view(-1, 1, 1, 1)

    def threshold(self) -> Tensor:
        return self.alpha.detach().flatten()

    def weight_scale(self, w: Tensor) -> Tensor:
        return w.detach().flatten(1).abs().mean(1)

    def post(self, channels: int) -> nn.Module:
        return RPReLU(channels)
