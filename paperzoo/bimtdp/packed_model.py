"""Converter from a trained student to the packed model (docs/bimtdp.md §2.6).

Every :class:`~paperzoo.bimtdp.blocks.BinaryBlock` becomes a :class:`PackedBlock`: its input is
packed against the binariser's thresholds τ (IR-Net: 0, ReActNet: α), its weights' signs are
packed, and weight scale and BN fold into one affine map a·dot + b; the residual add and a
Hardtanh ``post`` run inside the kernel, whose channels-last output the next block packs
directly. FP parts (stem, 1×1 projections, VIB, heads) stay as they are.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from paperzoo.bimtdp.blocks import BinaryBlock
from paperzoo.bimtdp.packed import PackedConv3x3


def fold_bn(bn: nn.BatchNorm2d, weight_scale: Tensor) -> tuple[Tensor, Tensor]:
    """BN(α_o·dot) = a·dot + b: a = γ α_o / √(σ² + ε), b = β − γ μ / √(σ² + ε)."""
    inv = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    return inv * weight_scale, bn.bias.detach() - inv * bn.running_mean


class PackedBlock(nn.Module):
    """A BinaryBlock run on the packed kernel: post(a·dot + b + shortcut)."""

    def __init__(self, block: BinaryBlock, kernel: str | None = None) -> None:
        super().__init__()
        b = block.conv.binarizer
        if not b.packable:
            raise ValueError(f"binarizer: {b.name!r} has no packed form (input-dependent scaling)")
        latent = block.conv.weight.detach()
        scale, bias = fold_bn(block.bn, b.weight_scale(latent))
        self.conv = PackedConv3x3(b.weight(latent).detach(), scale, bias, kernel=kernel)
        self.threshold = b.threshold().float().contiguous()
        self.shortcut = b.shortcut
        self.post = block.post

    def pre_activation(self, x: Tensor) -> Tensor:
        x = x.float()  # NCHW or channels last: the kernel packs either
        return self.conv(x, self.threshold, "affine", x if self.shortcut else None)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(self.post, nn.Hardtanh):  # fused into the kernel's epilogue
            x = x.float()
            clamp = (self.post.min_val, self.post.max_val)
            return self.conv(x, self.threshold, "affine", x if self.shortcut else None, None, clamp)
        return self.post(self.pre_activation(x))


def export_packed(model: nn.Module, kernel: str | None = None) -> nn.Module:
    """A copy of ``model`` (eval mode) with every BinaryBlock replaced by its packed form."""
    packed = copy.deepcopy(model).eval()
    for module in list(packed.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, BinaryBlock):
                setattr(module, child_name, PackedBlock(child, kernel))
    return packed


def packed_weight_bytes(model: nn.Module) -> tuple[int, int]:
    """(fp32 bytes, packed bytes) of the binary 3×3 weights of an exported model."""
    convs = [m.conv for m in model.modules() if isinstance(m, PackedBlock)]
    fp32 = sum(c.out_channels * c.in_channels * 9 * 4 for c in convs)
    return fp32, sum(c.weight_bytes for c in convs)


def model_bytes(model: nn.Module) -> int:
    """Bytes of every parameter and buffer, packed weights counted packed."""
    total = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    packed = [m.conv for m in model.modules() if isinstance(m, PackedBlock)]
    return total + sum(c.weight_bytes + 8 * c.out_channels for c in packed)
