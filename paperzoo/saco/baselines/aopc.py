"""AOPC, most relevant first (Samek et al., IEEE TNNLS 2017, "Evaluating the visualization ...")."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import MetricResult
from paperzoo.saco.baselines._cumulative import CumulativeMetric


class AOPC(CumulativeMetric):
    """AOPC = 1/(L+1) Σ_{k=0}^{L} [p(ŷ|x) − p(ŷ|x_MoRF^(k))], top k/L of pixels removed."""

    name: ClassVar[str] = "AOPC"
    paper: ClassVar[str] = "Samek et al. 2017"
    higher_is_better: ClassVar[bool] = True

    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        fractions = self._grid(x.device)
        base, curve = self._curve(model, x, y, a, fractions)
        scores = (base.unsqueeze(1) - curve).mean(1)  # AOPC, Samek Eq. (12)
        return MetricResult(scores, forward_images=x.shape[0] * (1 + len(fractions)))
