"""Converter from a trained student to the packed model (docs/bimtdp.md §2.6).

Every :class:`~paperzoo.bimtdp.blocks.BinaryBlock` becomes a :class:`PackedBlock`: its input is
packed against the binariser's thresholds τ (IR-Net: 0, ReActNet: α), its weights' signs are
packed, and weight scale and BN fold into one affine map a·dot + b; the residual add and a
Hardtanh ``post`` run inside the kernel, whose channels-last output the next block packs
directly. A stage of consecutive blocks becomes a :class:`PackedStage`: only its first block packs
from float; every later block's packed input comes out of the previous block's epilogue. FP parts
(stem, 1×1 projections, VIB, heads) stay as they are. The blocks run the ``auto`` kernel (AMX
where it runs, docs/bimtdp.md §4); ``kernel`` or ``$PAPERZOO_BIMTDP_KERNEL`` choose otherwise.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import torch
from torch import Tensor, nn

from paperzoo.bimtdp.blocks import BinaryBlock
from paperzoo.bimtdp.packed import (
    KERNEL_ENV,
    PackedConv3x3,
    backend,
    packed_buffer,
)


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
        self.kernel = kernel

    @property
    def clamp(self) -> tuple[float, float] | None:
        """The fused Hardtanh's (lo, hi), or None where ``post`` is something else."""
        if isinstance(self.post, nn.Hardtanh):
            return float(self.post.min_val), float(self.post.max_val)
        return None

    def pre_activation(self, x: Tensor) -> Tensor:
        x = x.float()  # NCHW or channels last: the kernel packs either
        return self.conv(x, self.threshold, "affine", x if self.shortcut else None)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(self.post, nn.Hardtanh):  # fused into the kernel's epilogue
            x = x.float()
            clamp = (self.post.min_val, self.post.max_val)
            return self.conv(x, self.threshold, "affine", x if self.shortcut else None, None, clamp)
        return self.post(self.pre_activation(x))


class PackedStage(nn.Sequential):
    """Consecutive PackedBlocks with activations handed on packed.

    The first block packs the float input (inside its conv call, in the kernel's thread team,
    where the kernel can); block k's epilogue writes block k+1's packed input (its sign bits
    against block k+1's threshold τ) beside its own output. The float output is still written
    where the next block's real-valued shortcut reads it (Bi-Real/IR-Net blocks:
    y_{k+1} = post(a·dot + b + y_k)): into one channels-last buffer, updated in place, that is
    the stage's output. Blocks without a shortcut (naive) keep no float between them. The two
    packed buffers are kept and reused across calls (so one instance must not run in two threads
    at once). Indexing and ``pre_activation`` of the blocks work as in an nn.Sequential.
    """

    def __init__(self, *blocks: Any) -> None:  # PackedBlocks, or an OrderedDict (slicing)
        super().__init__(*blocks)
        self._packed: dict[tuple[int, int, int, int], tuple[Tensor, Tensor]] = {}

    @property
    def fused(self) -> bool:
        """Whether the blocks chain packed (every ``post`` a Hardtanh, equal widths)."""
        blocks = list(self)
        if not blocks:
            return False
        c = blocks[0].conv.in_channels
        return all(
            b.clamp is not None and b.conv.in_channels == b.conv.out_channels == c for b in blocks
        )

    def _packed_buffers(self, n: int, h: int, w: int, c: int) -> tuple[Tensor, Tensor]:
        key = (n, h, w, c)
        if key not in self._packed:
            self._packed[key] = packed_buffer(n, h, w, c), packed_buffer(n, h, w, c)
        return self._packed[key]

    def forward(self, x: Tensor) -> Tensor:
        blocks = list(self)
        if not self.fused:
            return super().forward(x)
        x = x.float()
        n, c, h, w = x.shape
        first = blocks[0].conv
        if c != first.in_channels:
            raise ValueError(f"x: expected [N, {first.in_channels}, H, W], got {tuple(x.shape)}")
        bufs = self._packed_buffers(n, h, w, c)
        cl = getattr(backend(first.kernel)[0], "channels_last", False)
        y = torch.empty(n, h, w, c).permute(0, 3, 1, 2) if cl else torch.empty(n, c, h, w)
        packed = bufs[0]
        res = x
        for k, block in enumerate(blocks):
            nxt = blocks[k + 1] if k + 1 < len(blocks) else None
            pout = None if nxt is None else bufs[(k + 1) % 2]
            keep_float = nxt is None or nxt.shortcut  # the next shortcut reads the real values
            residual = res if block.shortcut else None
            out = y if keep_float else None  # None: packed bits only
            tau = None if nxt is None else nxt.threshold
            args = ("affine", residual, None, block.clamp)
            if k == 0:  # packs x into bufs[0] (inside the conv call where the kernel can)
                block.conv(x, block.threshold, *args, pack_into=packed, out=out, pack_out=pout,
                           pack_threshold=tau)  # fmt: skip
            else:
                block.conv.run(packed, h, w, *args, out, pout, tau)
            if out is not None:
                res = y
            packed = pout
        return y


def encoder_kernel() -> str:
    """The default kernel of exported models: ``$PAPERZOO_BIMTDP_KERNEL``, else ``auto`` (the
    AMX kernel where it runs: the whole encoder measured faster on it, docs §4)."""
    return os.environ.get(KERNEL_ENV) or "auto"


def export_packed(model: nn.Module, kernel: str | None = None) -> nn.Module:
    """A copy of ``model`` (eval mode) with every BinaryBlock replaced by its packed form and
    every nn.Sequential of them by a :class:`PackedStage` (``kernel``: default
    :func:`encoder_kernel`)."""
    kernel = kernel or encoder_kernel()
    packed = copy.deepcopy(model).eval()
    for module in list(packed.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, BinaryBlock):
                setattr(module, child_name, PackedBlock(child, kernel))
    for module in list(packed.modules()):
        for child_name, child in list(module.named_children()):
            kids = list(child.children())
            blocks = kids and all(isinstance(k, PackedBlock) for k in kids)
            if type(child) is nn.Sequential and blocks:
                setattr(module, child_name, PackedStage(*kids))
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
