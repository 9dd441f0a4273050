"""The training-objective interface and the method's own bases: standard training and PGD-AT.

An objective is the inner maximisation (:meth:`Objective.perturb`) and the outer loss on logits
(:meth:`Objective.__call__`); :func:`paperzoo.atur.training.make_loss` puts AT-UR's Beta weight
and entropy term around any of them (docs/atur.md §2.2). The AT baselines (TRADES, MART, FAT) in
:mod:`paperzoo.atur.baselines` implement the same interface.
"""

from __future__ import annotations

from typing import ClassVar

import torch.nn.functional as F
from torch import Generator, Tensor, nn

from paperzoo.atur.attacks import pgd
from paperzoo.atur.config import MethodConfig
from paperzoo.atur.losses import weighted_cross_entropy


class Objective:
    """One training objective: hyperparameters in the constructor, logits in the call.

    ``name`` is the method base it registers (``MethodConfig.base``); ``reads_clean``: the outer
    loss also reads the clean logits f(x) (else it is passed ``None``). ``weight`` is AT-UR's
    per-sample weight, or ``None`` for w ≡ 1.
    """

    name: ClassVar[str]
    paper: ClassVar[str]
    reads_clean: ClassVar[bool] = False

    @classmethod
    def from_config(cls, method: MethodConfig, num_classes: int) -> Objective:
        """The objective with its hyperparameters taken from ``method``."""
        return cls()

    def perturb(
        self,
        net: nn.Module,
        x: Tensor,
        y: Tensor,
        eps: float,
        alpha: float,
        steps: int,
        generator: Generator,
    ) -> Tensor:
        """The inner maximisation: l∞ PGD on CE from a random start (docs/atur.md §2.1)."""
        return pgd(net, x, y, eps, alpha, steps, "linf", True, generator)

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        """The outer loss (a scalar)."""
        raise NotImplementedError


class Standard(Objective):
    """Standard training: cross-entropy on the clean inputs, no attack and no weight."""

    name: ClassVar[str] = "standard"
    paper: ClassVar[str] = "no adversarial training"

    def perturb(
        self,
        net: nn.Module,
        x: Tensor,
        y: Tensor,
        eps: float,
        alpha: float,
        steps: int,
        generator: Generator,
    ) -> Tensor:
        """No inner maximisation: the clean batch."""
        return x

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        if weight is not None:
            raise ValueError("weight: standard training takes no per-sample weight")
        return F.cross_entropy(logits_adv, y)


class PGDAT(Objective):
    """PGD-AT (Madry et al. 2018), AT-UR's base: mean_i w_i · CE(f(x̃_i), y_i) on PGD-10 inputs."""

    name: ClassVar[str] = "at"
    paper: ClassVar[str] = "Madry et al. 2018"

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        return weighted_cross_entropy(logits_adv, y, weight)  # docs/atur.md §2.3
