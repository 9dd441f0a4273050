"""Log-odds (LOdds) of the predicted class after removing the top pixels (Shrikumar et al. 2017;
the form used by AttCAT, Qiang et al. 2022)."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import MetricResult
from paperzoo.saco.baselines._cumulative import CumulativeMetric


class LOdds(CumulativeMetric):
    """LOdds = mean_f log[p(ŷ | x with top-f removed) / p(ŷ | x)]; lower is more faithful."""

    name: ClassVar[str] = "LOdds"
    paper: ClassVar[str] = "Shrikumar et al. 2017"
    higher_is_better: ClassVar[bool] = False

    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        fractions = self._fractions(x.device)
        base, curve = self._curve(model, x, y, a, fractions)
        eps = 1e-12
        scores = (torch.log(curve + eps) - torch.log(base + eps).unsqueeze(1)).mean(1)
        return MetricResult(scores, forward_images=x.shape[0] * (1 + len(fractions)))
