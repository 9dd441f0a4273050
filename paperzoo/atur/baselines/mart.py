"""MART (Wang et al., ICLR 2020, "Improving Adversarial Robustness Requires Revisiting
Misclassified Examples"): boosted CE plus a KL term weighted by the clean misclassification
(docs/atur.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.atur.baselines.trades import kl_per_sample
from paperzoo.atur.config import MethodConfig
from paperzoo.atur.objective import Objective


def mart_loss(logits_clean: Tensor, logits_adv: Tensor, y: Tensor, beta: float = 6.0) -> Tensor:
    """MART: BCE(f(x̃), y) + β·KL(f(x) ‖ f(x̃))·(1 − f_y(x)), averaged over the batch."""
    p_adv = logits_adv.softmax(1)
    p_clean = logits_clean.softmax(1)
    wrong = p_adv.masked_fill(F.one_hot(y, p_adv.shape[1]).bool(), -1.0).amax(1)
    bce = F.cross_entropy(logits_adv, y, reduction="none") - torch.log1p(-wrong + 1e-12)
    p_true = p_clean.gather(1, y[:, None]).squeeze(1)
    # Eq. MART: BCE + β·KL·(1 − p_y(x))
    return (bce + beta * kl_per_sample(logits_clean, logits_adv) * (1 - p_true)).mean()


@dataclass(frozen=True)
class MART(Objective):
    """MART with ``beta`` (6 in the paper) on PGD-10 inputs; the paper puts no AT-UR term on it."""

    name: ClassVar[str] = "mart"
    paper: ClassVar[str] = "Wang et al. 2020"
    reads_clean: ClassVar[bool] = True
    beta: float = 6.0

    @classmethod
    def from_config(cls, method: MethodConfig, num_classes: int) -> MART:
        return cls(beta=method.mart_beta)

    def __call__(
        self, logits_clean: Tensor | None, logits_adv: Tensor, y: Tensor, weight: Tensor | None
    ) -> Tensor:
        if logits_clean is None:
            raise ValueError("logits_clean: MART needs the clean logits f(x)")
        if weight is not None:
            raise ValueError("weight: MART has no per-sample weight (no mart-beta method)")
        return mart_loss(logits_clean, logits_adv, y, self.beta)
