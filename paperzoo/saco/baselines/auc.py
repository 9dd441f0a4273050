"""Deletion and insertion AUC (Petsiuk et al., BMVC 2018, "RISE")."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import MetricResult
from paperzoo.saco.baselines._cumulative import CumulativeMetric


class DeletionAUC(CumulativeMetric):
    """Area under p(ŷ | top-f pixels removed) over f ∈ [0, 1]; lower is more faithful."""

    name: ClassVar[str] = "Deletion AUC"
    paper: ClassVar[str] = "Petsiuk et al. 2018"
    higher_is_better: ClassVar[bool] = False
    keep_top: ClassVar[bool] = False

    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        fractions = self._grid(x.device)
        _, curve = self._curve(model, x, y, a, fractions, keep_top=self.keep_top)
        scores = torch.trapezoid(curve, fractions, dim=1)  # AUC of the deletion/insertion curve
        return MetricResult(scores, forward_images=x.shape[0] * (1 + len(fractions)))


class InsertionAUC(DeletionAUC):
    """Area under p(ŷ | only the top-f pixels kept, the rest filled); higher is more faithful."""

    name: ClassVar[str] = "Insertion AUC"
    higher_is_better: ClassVar[bool] = True
    keep_top: ClassVar[bool] = True
