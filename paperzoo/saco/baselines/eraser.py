"""Comprehensiveness and sufficiency (DeYoung et al., ACL 2020, "ERASER"), on image pixels."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import MetricResult
from paperzoo.saco.baselines._cumulative import CumulativeMetric


class Comprehensiveness(CumulativeMetric):
    """mean_f [p(ŷ|x) − p(ŷ|x with top-f removed)]; higher is more faithful."""

    name: ClassVar[str] = "Comprehensiveness"
    paper: ClassVar[str] = "DeYoung et al. 2020"
    higher_is_better: ClassVar[bool] = True
    keep_top: ClassVar[bool] = False

    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        fractions = self._fractions(x.device)
        base, curve = self._curve(model, x, y, a, fractions, keep_top=self.keep_top)
        scores = (base.unsqueeze(1) - curve).mean(1)  # ERASER comprehensiveness / sufficiency
        return MetricResult(scores, forward_images=x.shape[0] * (1 + len(fractions)))


class Sufficiency(Comprehensiveness):
    """mean_f [p(ŷ|x) − p(ŷ|x with only the top-f kept)]; lower is more faithful."""

    name: ClassVar[str] = "Sufficiency"
    higher_is_better: ClassVar[bool] = False
    keep_top: ClassVar[bool] = True
