"""The SaCo metric: Quantus-style call, torch-native and batched."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.classifier import Classifier
from paperzoo.core.interfaces import Metric, MetricResult
from paperzoo.saco.config import SaCoConfig
from paperzoo.saco.perturb import (
    check_probabilities,
    choose_targets,
    expand_patches,
    fill_image,
    model_outputs,
    patch_salience,
    perturbed_scores,
    target_scores,
    to_pixel_map,
)
from paperzoo.saco.saco import group_salience, saco_coefficient, salience_groups


class SaCo(Metric):
    """Salience-guided Faithfulness Coefficient: F ∈ [−1, 1] per image, higher is more faithful.

    Costs exactly N·(K+1) forward images (N originals, K perturbed copies each), no backward.
    """

    name: ClassVar[str] = "SaCo"
    paper: ClassVar[str] = "Wu et al., CVPR 2024, arXiv:2404.01415"
    higher_is_better: ClassVar[bool] = True

    def __init__(self, cfg: SaCoConfig | None = None) -> None:
        self.cfg = cfg or SaCoConfig()

    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        cfg = self.cfg
        b, _, h, w = x.shape
        pixel_map = to_pixel_map(a, (h, w)).flatten(1)  # [B, H·W]
        units = pixel_map
        if cfg.patch_size is not None and cfg.grouping == "patch":  # patch sums
            units = patch_salience(pixel_map.view(b, h, w), cfg.patch_size) * cfg.patch_size**2
        if cfg.k > units.shape[1]:
            raise ValueError(
                f"k={cfg.k} is larger than the number of {cfg.grouping} groups available "
                f"({units.shape[1]})"
            )
        constant = pixel_map.amax(1) == pixel_map.amin(1)
        if constant.any() and cfg.constant_map == "raise":
            raise ValueError(
                f"a_batch: {int(constant.sum())} constant salience map(s) "
                f"(first at index {int(constant.nonzero()[0])}); SaCo is undefined for them"
            )
        groups = salience_groups(units, cfg.k)  # [B, U]
        s = group_salience(units.double(), groups, cfg.k)  # [B, K], float64: gaps of shifted maps
        pixel_groups = (
            groups
            if cfg.grouping == "pixel"
            else expand_patches(
                groups,
                (h, w),
                cfg.patch_size,  # type: ignore[arg-type]
            )
        )
        probabilities = cfg.model_outputs == "probabilities"
        out = model_outputs(model, x, cfg.batch_size)
        if probabilities:
            check_probabilities(out)
        target = choose_targets(out, y)
        base = target_scores(out, target, cfg.delta, probabilities)
        masks = pixel_groups.unsqueeze(1) == torch.arange(cfg.k, device=x.device).view(1, -1, 1)
        perturbed = perturbed_scores(
            model, x, fill_image(x, cfg.perturbation), masks, target, cfg.delta, probabilities,
            cfg.batch_size,
        )  # fmt: skip
        delta = base.unsqueeze(1) - perturbed  # Δ_i = p(ŷ|x) − p(ŷ|x⁽ⁱ⁾)
        scores = saco_coefficient(s, delta.double())
        scores = torch.where(constant, torch.nan, scores)
        return MetricResult(
            scores=scores,
            skipped=int(scores.isnan().sum()),
            forward_images=b * (cfg.k + 1),
            extra={"delta": delta, "group_salience": s, "target": target},
        )
