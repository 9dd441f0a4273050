"""Binary convolution blocks: conv → BN → (+ per-conv shortcut) → activation (Bi-Real style).

Stem, 1×1 projections, VIB heads and prediction convs stay full precision (docs/bimtdp.md §2.3).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.bimtdp.baselines import BiDense, Naive, ReActNet
from paperzoo.bimtdp.binarize import Binarizer, FullPrecision, IRNet

BINARIZERS: dict[str, type[Binarizer]] = {
    b.name: b for b in (FullPrecision, Naive, IRNet, ReActNet, BiDense)
}


def make_binarizer(name: str, channels: int) -> Binarizer:
    """The binariser registered as ``name`` for ``channels`` input channels."""
    if name not in BINARIZERS:
        raise ValueError(f"binarizer: unknown {name!r} (known: {', '.join(BINARIZERS)})")
    return BINARIZERS[name](channels)


class BinaryConv2d(nn.Module):
    """3×3 convolution on binarised activations with binarised weights (zero padding 1)."""

    def __init__(self, cin: int, cout: int, binarizer: str, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.binarizer = make_binarizer(binarizer, cin)
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        nn.init.kaiming_normal_(self.weight, nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        b = self.binarizer
        return F.conv2d(b.act(x), b.weight(self.weight), stride=self.stride, padding=1)


class BinaryBlock(nn.Module):
    """y = post(BN(conv_b(x)) + g ⊙ x): one binary 3×3 conv with its own identity shortcut.

    The naive binariser drops the shortcut; BiDense-style scales it by its learnable per-channel
    bypass gain g (g = 1 otherwise). Channels in = out, stride 1.
    """

    def __init__(self, channels: int, binarizer: str) -> None:
        super().__init__()
        self.conv = BinaryConv2d(channels, channels, binarizer)
        self.bn = nn.BatchNorm2d(channels)
        self.post = self.conv.binarizer.post(channels)

    def pre_activation(self, x: Tensor) -> Tensor:
        """BN(conv_b(x)) + g ⊙ x, before ``post`` (what feature distillation can match)."""
        b = self.conv.binarizer
        y = self.bn(self.conv(x))
        if b.shortcut:
            y = y + (x * b.bypass if isinstance(b, BiDense) else x)
        return y

    def forward(self, x: Tensor) -> Tensor:
        return self.post(self.pre_activation(x))


def set_progress(model: nn.Module, progress: float) -> None:
    """Tell every binariser in ``model`` how far training is (IR-Net's EDE annealing)."""
    for m in model.modules():
        if isinstance(m, Binarizer):
            m.progress = progress
