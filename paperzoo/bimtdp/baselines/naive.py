"""Naive binarisation: sign with a clipped STE, no scale, no per-conv shortcut (the lower bound)."""

from __future__ import annotations

from torch import Tensor

from paperzoo.bimtdp.binarize import Binarizer, binary_sign


class Naive(Binarizer):
    """sign(x), sign(w); gradient 1{|·| ≤ 1}; blocks built with it drop the shortcut."""

    name = "naive"
    shortcut = False

    def act(self, x: Tensor) -> Tensor:
        return binary_sign(x, "ste")

    def weight(self, w: Tensor) -> Tensor:
        return binary_sign(w, "ste")
