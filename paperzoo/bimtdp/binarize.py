"""Binarisers behind one interface, and the surrogate gradients they train with.

A :class:`Binarizer` turns latent weights into binary weights (``weight``) and real activations
into ±1 (``act``); ``post`` is the activation after the residual add. ``sign`` maps 0 to +1
everywhere, so training, packing and the reference convolution agree bit for bit.
IR-Net (the default, inferred from the first author's code: docs/bimtdp.md §2.1) lives here; the
baselines (naive, ReActNet, BiDense-style) are in :mod:`paperzoo.bimtdp.baselines`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn


def sign(x: Tensor) -> Tensor:
    """±1 with sign(0) = +1 (the bit convention of the packed kernel)."""
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class _SignSurrogate(torch.autograd.Function):
    """Forward sign(x); backward g · s'(x) for a surrogate s chosen by ``kind``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, kind: str, t: float, k: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.kind, ctx.t, ctx.k = kind, t, k
        return sign(x)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        return g * surrogate_grad(x, ctx.kind, ctx.t, ctx.k), None, None, None


def surrogate_grad(x: Tensor, kind: str, t: float = 1.0, k: float = 1.0) -> Tensor:
    """d sign(x)/dx as the surrogate of ``kind`` (docs/bimtdp.md §2.1).

    ``ste``: clipped STE 1{|x| ≤ 1}. ``ede``: IR-Net's EDE k·t·(1 − tanh²(t x)).
    ``approx``: ReActNet/Bi-Real's piecewise polynomial 2 − 2|x| on |x| < 1.
    """
    if kind == "ste":
        return (x.abs() <= 1).to(x.dtype)
    if kind == "ede":
        return k * t * (1 - torch.tanh(t * x) ** 2)  # EDE: k t (1 − tanh²(t x))
    if kind == "approx":
        return (2 - 2 * x.abs()).clamp(min=0)  # ApproxSign: 2 ∓ 2x on [−1, 1]
    raise ValueError(f"kind: unknown surrogate {kind!r} (known: ste, ede, approx)")


def binary_sign(x: Tensor, kind: str = "ste", t: float = 1.0, k: float = 1.0) -> Tensor:
    """sign(x) in the forward pass, the ``kind`` surrogate gradient in the backward pass."""
    return _SignSurrogate.apply(x, kind, t, k)


def irnet_balance(w: Tensor) -> Tensor:
    """IR-Net balanced weights: per output channel zero mean, unit std. w: [O, C, kh, kw]."""
    flat = w.flatten(1)
    flat = flat - flat.mean(1, keepdim=True)  # ŵ = (w − mean) / std
    return (flat / (flat.std(1, keepdim=True) + 1e-8)).view_as(w)


def pow2_scale(w: Tensor) -> Tensor:
    """IR-Net per-channel scale 2^round(log2 mean|w|), detached. w: [O, ...] -> [O, 1, 1, 1]."""
    mean_abs = w.detach().flatten(1).abs().mean(1).clamp(min=1e-8)
    return torch.pow(2.0, torch.round(torch.log2(mean_abs))).view(-1, 1, 1, 1)


def ede_schedule(progress: float, t_min: float = 0.1, t_max: float = 10.0) -> tuple[float, float]:
    """IR-Net's annealing: t = t_min·10^(p·log10(t_max/t_min)), k = max(1/t, 1)."""
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must be in [0, 1], got {progress!r}")
    t = t_min * 10 ** (progress * math.log10(t_max / t_min))
    return t, max(1 / t, 1.0)


class Binarizer(nn.Module):
    """One binariser: ``weight(w)`` binary weights (with scale), ``act(x)`` ±1 activations.

    ``channels`` sizes learnable per-channel parts. ``threshold()`` is the per-channel
    activation threshold τ (act(x) = sign(x − τ)) the packed kernel uses; ``weight_scale(w)``
    the per-output-channel scale it folds into BN. ``shortcut`` says whether blocks using it
    keep the per-conv identity shortcut; ``packable`` whether the packed model can run it.
    """

    name = "base"
    shortcut = True
    packable = True

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.progress = 0.0  # training progress in [0, 1], set by the trainer (EDE annealing)

    def act(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def weight(self, w: Tensor) -> Tensor:
        raise NotImplementedError

    def threshold(self) -> Tensor:
        return torch.zeros(self.channels)

    def weight_scale(self, w: Tensor) -> Tensor:
        return torch.ones(w.shape[0])

    def post(self, channels: int) -> nn.Module:
        """The activation after BN and the residual add."""
        return nn.Hardtanh()


class FullPrecision(Binarizer):
    """Identity: the full-precision teacher's blocks (ReLU after the residual add)."""

    name = "fp"
    packable = False

    def act(self, x: Tensor) -> Tensor:
        return x

    def weight(self, w: Tensor) -> Tensor:
        return w

    def post(self, channels: int) -> nn.Module:
        return nn.ReLU()


class IRNet(Binarizer):
    """IR-Net: balanced weights, power-of-two scale, EDE surrogate (docs/bimtdp.md §2.1)."""

    name = "irnet"

    def _tk(self) -> tuple[float, float]:
        return ede_schedule(self.progress)

    def act(self, x: Tensor) -> Tensor:
        t, k = self._tk()
        return binary_sign(x, "ede", t, k)

    def weight(self, w: Tensor) -> Tensor:
        wb = irnet_balance(w)
        t, k = self._tk()
        return binary_sign(wb, "ede", t, k) * pow2_scale(wb)

    def weight_scale(self, w: Tensor) -> Tensor:
        return pow2_scale(irnet_balance(w.detach())).flatten()
