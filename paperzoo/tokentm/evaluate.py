"""Chefer-protocol perturbation and segmentation tests of explanation maps (docs/tokentm.md §2.11).

Perturbation: on the un-normalised image, zero the top (positive) or bottom (negative) fraction of
pixels by the upsampled map, cumulatively at 10 %…90 %; record whether the model still predicts the
clean image's predicted class; AUC by the trapezoid rule over [0, 1] with both endpoints
(0 %: clean, 100 %: all pixels removed). Positive AUC: lower is better; negative: higher is better.
Segmentation: min-max normalise the map, binarise at its mean; pixel accuracy and 2-class mIoU are
pooled over the dataset, AP is per image on the continuous map, averaged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import torch
from torch import Tensor

from paperzoo.core.data.placed import PlacedConfig, make_placed
from paperzoo.core.interfaces import Explainer, upsample_map
from paperzoo.core.vit.adapters import adapt
from paperzoo.tokentm.config import STEPS, EvalConfig


def removal_masks(maps: Tensor, fractions: Sequence[float], positive: bool) -> Tensor:
    """Which pixels are removed at each fraction: ``[B, H, W] -> bool [S, B, H, W]``.

    Pixels are ranked by the map (most relevant first if ``positive``); ties keep pixel order.
    """
    b = maps.shape[0]
    flat = maps.reshape(b, -1)
    order = torch.argsort(flat, dim=1, descending=positive, stable=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(flat.shape[1], device=maps.device).expand(b, -1))
    counts = torch.tensor([round(f * flat.shape[1]) for f in fractions], device=maps.device)
    return (rank[None] < counts[:, None, None]).reshape(len(fractions), *maps.shape)


@torch.no_grad()
def perturbation_curve(
    model: torch.nn.Module, x: Tensor, maps: Tensor, positive: bool, steps: Sequence[float] = STEPS
) -> Tensor:
    """Per image and step, whether the prediction survives removal; float ``[B, S]``.

    ``x`` [B,C,H,W] un-normalised; ``maps`` [B,h,w] (upsampled bilinearly to H×W).
    """
    adapter = adapt(model)
    with adapter.eval_mode():
        predicted = adapter.logits(x).argmax(1)
        masks = removal_masks(upsample_map(maps, x.shape[-2:]), steps, positive)  # [S, B, H, W]
        perturbed = x[None] * (~masks)[:, :, None]  # removed pixels set to 0 in every channel
        logits = adapter.logits(perturbed.reshape(-1, *x.shape[1:]))
    kept = logits.argmax(1).reshape(len(steps), -1) == predicted[None]
    return kept.float().T


def auc(curves: Tensor, steps: Sequence[float] = STEPS) -> Tensor:
    """Trapezoid area under mean curve(s) ``[..., S]`` over ``steps``."""
    return torch.trapezoid(curves, torch.tensor(steps, dtype=curves.dtype), dim=-1)


def average_precision(scores: Tensor, labels: Tensor) -> Tensor:
    """Per-row average precision, sklearn's step definition; ``[B, P] x2 -> [B]``.

    Rows without positives give NaN.
    """
    order = torch.argsort(scores, dim=1, descending=True, stable=True)
    s = scores.gather(1, order)
    y = labels.gather(1, order).double()
    tp = y.cumsum(1)
    # thresholds are distinct scores: evaluate at the last position of each run of ties
    last = torch.ones_like(s, dtype=torch.bool)
    last[:, :-1] = s[:, :-1] != s[:, 1:]
    ranks = torch.arange(1, s.shape[1] + 1, dtype=torch.float64, device=s.device)
    precision = tp / ranks
    total = y.sum(1, keepdim=True)
    recall = tp / total
    prev = torch.zeros_like(recall)
    prev_recall = torch.where(last, recall, torch.nan)
    # recall at the previous threshold: last defined recall before this position
    filled = torch.where(last, recall, torch.zeros_like(recall))
    prev[:, 1:] = torch.cummax(filled, dim=1).values[:, :-1]
    gain = torch.where(last, (prev_recall - prev) * precision, torch.zeros_like(precision))
    return torch.where(total[:, 0] > 0, gain.nansum(1), torch.nan)


def segmentation_scores(maps: Tensor, masks: Tensor) -> dict[str, float]:
    """Pixel accuracy, 2-class mIoU (pooled) and mean per-image AP of ``maps`` vs bool ``masks``."""
    maps = upsample_map(maps, masks.shape[-2:]).double()
    flat = maps.reshape(len(maps), -1)
    lo, hi = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    norm = (flat - lo) / (hi - lo).clamp(min=1e-12)
    pred = norm > norm.mean(1, keepdim=True)
    gt = masks.reshape(len(masks), -1)
    inter = torch.stack([(~pred & ~gt).sum(), (pred & gt).sum()]).double()
    union = torch.stack([(~pred | ~gt).sum(), (pred | gt).sum()]).double()
    return {
        "pixel_accuracy": float((pred == gt).double().mean()),
        "miou": float((inter / union).mean()),
        "ap": float(average_precision(norm, gt).nanmean()),
    }


def explain_batched(
    explainer: Explainer, x: Tensor, target: Tensor | None = None, batch_size: int = 50
) -> Tensor:
    """Maps for ``x`` in batches of ``batch_size`` (``target`` None = predicted classes)."""
    parts = []
    for i in range(0, len(x), batch_size):
        t = None if target is None else target[i : i + batch_size]
        parts.append(explainer.explain(x[i : i + batch_size], t))
    return torch.cat(parts)


def evaluate_explainer(
    explainer: Explainer, x: Tensor, masks: Tensor, cfg: EvalConfig | None = None
) -> dict[str, float]:
    """Both tests for one explainer on images ``x`` and object ``masks`` (first ``cfg.n``)."""
    cfg = cfg or EvalConfig()
    x, masks = x[: cfg.n], masks[: cfg.n]
    start = time.perf_counter()
    maps = explain_batched(explainer, x, None, cfg.batch_size)
    seconds = time.perf_counter() - start
    curves = {True: [], False: []}
    for i in range(0, len(x), cfg.batch_size):
        for positive in (True, False):
            curves[positive].append(
                perturbation_curve(
                    explainer.model,
                    x[i : i + cfg.batch_size],
                    maps[i : i + cfg.batch_size],
                    positive,
                    cfg.steps,
                )  # fmt: skip
            )
    pos = torch.cat(curves[True]).mean(0)
    neg = torch.cat(curves[False]).mean(0)
    return {
        "positive_auc": float(auc(pos, cfg.steps)),
        "negative_auc": float(auc(neg, cfg.steps)),
        **segmentation_scores(maps, masks),
        "explain_seconds_per_image": seconds / len(x),
    }


DEFAULT_METHODS = (
    "tokentm", "random", "raw_attention", "rollout", "attention_gradcam", "genatt", "chefer_lrp",
    "integrated_gradients",
)  # fmt: skip


def evaluate_methods(
    model: torch.nn.Module,
    methods: Sequence[str] = DEFAULT_METHODS,
    n: int = 500,
    seed: int = 0,
    batch_size: int = 50,
    data: PlacedConfig | None = None,
) -> dict[str, dict[str, float]]:
    """Both tests for each method on ``n`` placed test images drawn and placed with ``seed``.

    The test images come from the source's test part, never seen in training whatever the seed.
    """
    from paperzoo.tokentm import get_explainer
    from paperzoo.tokentm.baselines.random_map import RandomConfig

    classes = [get_explainer(m) for m in methods]  # unknown names fail before any work
    cfg = EvalConfig(n=n, batch_size=batch_size)
    split = make_placed("test", replace(data or PlacedConfig(), seed=seed), limit=n)
    results = {}
    for name, cls in zip(methods, classes, strict=True):
        options = RandomConfig(pixel_level=False) if name == "random" else None  # patch level
        explainer = cls(model, options, seed=seed)
        results[name] = evaluate_explainer(explainer, split.images, split.masks, cfg)
    return results
