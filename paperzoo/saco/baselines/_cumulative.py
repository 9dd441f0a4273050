"""Shared machinery: a probability curve as the top pixels are perturbed cumulatively."""

from __future__ import annotations

import torch
from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import Metric
from paperzoo.saco.config import PerturbationMetricConfig
from paperzoo.saco.perturb import (
    check_probabilities,
    choose_targets,
    cumulative_masks,
    fill_image,
    model_outputs,
    perturbed_scores,
    target_scores,
    to_pixel_map,
)
from paperzoo.saco.saco import descending_ranks


class CumulativeMetric(Metric):
    """Base of metrics built from p(ŷ | x with the top fraction f of pixels perturbed)."""

    def __init__(self, cfg: PerturbationMetricConfig | None = None) -> None:
        self.cfg = cfg or PerturbationMetricConfig()

    def _curve(
        self,
        model: Classifier,
        x: Tensor,
        y: Tensor | None,
        a: Tensor,
        fractions: Tensor,
        keep_top: bool = False,
    ) -> tuple[Tensor, Tensor]:
        """(p(ŷ|x) [B], p(ŷ|x_f) [B, S]); x_f has its top-f pixels filled, or all but them."""
        cfg = self.cfg
        b, _, h, w = x.shape
        probabilities = cfg.model_outputs == "probabilities"
        out = model_outputs(model, x, cfg.batch_size)
        if probabilities:
            check_probabilities(out)
        target = choose_targets(out, y)
        base = target_scores(out, target, "prob", probabilities)
        masks = cumulative_masks(descending_ranks(to_pixel_map(a, (h, w)).flatten(1)), fractions)
        if keep_top:
            masks = ~masks
        fill = fill_image(x, cfg.perturbation)
        curve = perturbed_scores(
            model, x, fill, masks, target, "prob", probabilities, cfg.batch_size
        )
        return base, curve

    def _grid(self, device: torch.device) -> Tensor:
        """Fractions 0, 1/steps, ..., 1."""
        return torch.linspace(0, 1, self.cfg.steps + 1, device=device)

    def _fractions(self, device: torch.device) -> Tensor:
        return torch.tensor(self.cfg.fractions, device=device)
