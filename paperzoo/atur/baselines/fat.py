"""FAT (Xu et al., ICML 2021, "To be Robust or to be Fair"): PGD-AT with per-class weights from
a running per-class adversarial error (docs/atur.md §2.3).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.atur.config import MethodConfig
from paperzoo.atur.losses import weighted_cross_entropy
from paperzoo.atur.objective import Objective


def fat_class_weights(class_error: Tensor, temperature: float = 1.0) -> Tensor:
    """FAT class weights K·softmax(err_c / T), ``[K] -> [K]``; uniform error gives weight 1.

    # deviation: softmax(err / T) sums to 1; the ×K keeps the loss on AT's scale.
    """
    return class_error.numel() * torch.softmax(class_error / temperature, 0)


def per_class_error(logits: Tensor, y: Tensor, num_classes: int) -> tuple[Tensor, Tensor]:
    """(errors, counts) per class in a batch, ``[K]`` each, for the running FAT estimate."""
    wrong = (logits.detach().argmax(1) != y).float()
    errors = torch.zeros(num_classes, device=y.device).index_add_(0, y, wrong)
    counts = torch.zeros(num_classes, device=y.device).index_add_(0, y, torch.ones_like(wrong))
    return errors, counts


class ClassErrorEMA:
    """FAT's running per-class adversarial error (exponential moving average over batches)."""

    def __init__(self, num_classes: int, momentum: float) -> None:
        self.error = torch.zeros(num_classes)
        self.momentum = momentum

    def update(self, logits: Tensor, y: Tensor) -> Tensor:
        """Fold one batch's per-class error rates into the average; returns it ``[K]``."""
        errors, counts = per_class_error(logits, y, self.error.numel())
        seen = counts > 0
        batch_rate = errors[seen] / counts[seen]
        self.error = self.error.to(y.device)
        self.error[seen] = self.momentum * self.error[seen] + (1 - self.momentum) * batch_rate
        return self.error


class FAT(Objective):
    """FAT on PGD-10 inputs: mean_i w_i · c_{y_i} · CE, c = :func:`fat_class_weights`.

    The running error is training state: one instance per training run (``make_loss`` builds
    it), updated by every call.
    """

    name: ClassVar[str] = "fat"
    paper: ClassVar[str] = "Xu et al. 2021"

    def __init__(self, num_classes: int, temperature: float = 1.0, momentum: float = 0.9) -> None:
        self.temperature = temperature
        self.class_error = ClassErrorEMA(num_classes, momentum)

    @classmethod
    def from_config(cls, method: MethodConfig, num_classes: int) -> FAT:
        return cls(num_classes, method.fat_temperature, method.fat_momentum)

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        class_w = fat_class_weights(self.class_error.update(logits_adv, y), self.temperature)[y]
        weight = class_w if weight is None else weight * class_w
        return weighted_cross_entropy(logits_adv, y, weight)  # docs/atur.md §2.3
