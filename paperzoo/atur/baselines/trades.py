"""TRADES (Zhang et al., ICML 2019, "Theoretically Principled Trade-off between Robustness and
Accuracy"): clean CE plus β · KL between clean and adversarial predictions (docs/atur.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch.nn.functional as F
from torch import Generator, Tensor, nn

from paperzoo.atur.attacks import trades_inner
from paperzoo.atur.config import MethodConfig
from paperzoo.atur.objective import Objective


def kl_per_sample(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    """KL(softmax(p) ‖ softmax(q)) per sample, ``[B, K] x2 -> [B]``."""
    log_p = F.log_softmax(logits_p, dim=1)
    log_q = F.log_softmax(logits_q, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(1)


def trades_loss(
    logits_clean: Tensor,
    logits_adv: Tensor,
    y: Tensor,
    beta: float = 6.0,
    weight: Tensor | None = None,
) -> Tensor:
    """TRADES: mean_i w_i·[CE(f(x_i), y_i) + β·KL(f(x_i) ‖ f(x̃_i))] (scalar).

    ``weight`` multiplies both terms per sample, as in the paper's TRADES-Beta (docs/atur.md §2.3).
    """
    per_sample = F.cross_entropy(logits_clean, y, reduction="none") + beta * kl_per_sample(
        logits_clean, logits_adv
    )  # Eq. TRADES: CE + β·KL
    return per_sample.mean() if weight is None else (weight * per_sample).mean()


@dataclass(frozen=True)
class TRADES(Objective):
    """TRADES with ``beta`` (6 in the paper); the inner attack maximises the KL term."""

    name: ClassVar[str] = "trades"
    paper: ClassVar[str] = "Zhang et al. 2019"
    reads_clean: ClassVar[bool] = True
    beta: float = 6.0

    @classmethod
    def from_config(cls, method: MethodConfig, num_classes: int) -> TRADES:
        return cls(beta=method.trades_beta)

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
        """PGD on KL(f(x) ‖ f(x̃)) from x + 0.001·N(0, I) (labels unused)."""
        return trades_inner(net, x, eps, alpha, steps, generator)

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        if logits_clean is None:
            raise ValueError("logits_clean: TRADES needs the clean logits f(x)")
        return trades_loss(logits_clean, logits_adv, y, self.beta, weight)
