"""Perturbation machinery shared by SaCo and the cumulative metrics (AOPC, AUC, LOdds, ERASER)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.classifier import Classifier


def to_pixel_map(a: Tensor, image_hw: tuple[int, int]) -> Tensor:
    """Salience maps [B, H, W], [B, h, w] (upsampled bilinearly) or [B, N] tokens -> [B, H, W].

    Token maps must form a square grid (N = g², optionally with a leading CLS entry: N = g² + 1).
    """
    h, w = image_hw
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 2:
        n = a.shape[1]
        g = math.isqrt(n)
        if g * g != n:
            g = math.isqrt(n - 1)
            if g * g != n - 1:
                raise ValueError(
                    f"a_batch: {n} tokens per map do not form a square grid (with or without CLS)"
                )
            a = a[:, 1:]
        a = a.reshape(-1, g, g)
    if a.ndim != 3:
        raise ValueError(f"a_batch must be [B, H, W], [B, h, w] or [B, N], got {tuple(a.shape)}")
    if a.shape[1:] == (h, w):
        return a
    if h % a.shape[1] or w % a.shape[2]:
        raise ValueError(
            f"a_batch: map {tuple(a.shape[1:])} cannot be mapped onto image {(h, w)} "
            "(image size must be a multiple of the map size)"
        )
    return F.interpolate(a.unsqueeze(1), size=(h, w), mode="bilinear", align_corners=False)[:, 0]


def patch_salience(pixel_map: Tensor, patch: int) -> Tensor:
    """Mean salience of each ``patch``×``patch`` block: [B, H, W] -> [B, (H/p)·(W/p)]."""
    h, w = pixel_map.shape[1:]
    if h % patch or w % patch:
        raise ValueError(f"patch_size {patch} does not divide the image size {(h, w)}")
    return F.avg_pool2d(pixel_map.unsqueeze(1), patch).flatten(1)


def expand_patches(unit_values: Tensor, image_hw: tuple[int, int], patch: int) -> Tensor:
    """Per-patch values [B, P] -> per-pixel [B, H·W] (each pixel takes its patch's value)."""
    h, w = image_hw
    grid = unit_values.reshape(-1, 1, h // patch, w // patch)
    return (
        F.interpolate(grid.float(), scale_factor=patch, mode="nearest")
        .flatten(1)
        .to(unit_values.dtype)
    )


def fill_image(x: Tensor, mode: str, blur_sigma: float = 2.0) -> Tensor:
    """A perturbed pixel's new value: per-image channel ``mean`` (SaCo), ``zero`` or ``blur``."""
    if mode == "mean":
        return x.mean(dim=(2, 3), keepdim=True).expand_as(x)
    if mode == "zero":
        return torch.zeros_like(x)
    if mode == "blur":
        radius = max(1, int(3 * blur_sigma))
        t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
        kernel = torch.exp(-(t**2) / (2 * blur_sigma**2))
        kernel = kernel / kernel.sum()
        c = x.shape[1]
        padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
        rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
        return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    raise ValueError(f"perturbation must be 'mean', 'zero' or 'blur', got {mode!r}")


def model_outputs(model: Classifier, images: Tensor, batch_size: int) -> Tensor:
    """``model(images)`` in chunks of ``batch_size``; raises on NaN/inf. [M, C, H, W] -> [M, K]."""
    out = torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    if not torch.isfinite(out).all():
        raise ValueError("model returned NaN or inf outputs; scores would be undefined")
    return out


def check_probabilities(outputs: Tensor) -> None:
    """Raise unless every row is a probability vector (non-negative, summing to 1)."""
    if (outputs < 0).any() or not torch.allclose(
        outputs.sum(1), torch.ones_like(outputs[:, 0]), atol=1e-4
    ):
        raise ValueError(
            "model_outputs='probabilities' but the model returned values that are not "
            "probabilities (negative, or rows not summing to 1); use model_outputs='logits'"
        )


def target_scores(outputs: Tensor, target: Tensor, kind: str, are_probabilities: bool) -> Tensor:
    """Score of ``target`` per row: ``prob`` (softmax unless already probabilities) or ``logit``.

    outputs: [M, classes], target: [M] -> [M].
    """
    if kind == "logit":
        return outputs.gather(1, target[:, None])[:, 0]
    probs = outputs if are_probabilities else outputs.softmax(1)
    return probs.gather(1, target[:, None])[:, 0]


def replace_where(x: Tensor, fill: Tensor, masks: Tensor) -> Tensor:
    """Copies of each image with masked pixels taken from ``fill``.

    x, fill: [B, C, H, W]; masks: bool [B, S, H·W] -> [B·S, C, H, W] (image-major order).
    """
    b, c, h, w = x.shape
    s = masks.shape[1]
    m = masks.view(b, s, 1, h, w)
    return torch.where(m, fill.unsqueeze(1), x.unsqueeze(1)).reshape(b * s, c, h, w)


def cumulative_masks(ranks: Tensor, fractions: Tensor, most_salient_first: bool = True) -> Tensor:
    """Masks of the top (or bottom) fraction f of units, per f. [B, P], [S] -> bool [B, S, P]."""
    p = ranks.shape[1]
    counts = torch.round(fractions * p).long().to(ranks.device)  # pixels covered at each step
    r = ranks if most_salient_first else (p - 1 - ranks)
    return r.unsqueeze(1) < counts.view(1, -1, 1)


def choose_targets(outputs: Tensor, y: Tensor | None) -> Tensor:
    """``y`` checked against the model's class count, or the predicted class when ``y`` is None."""
    if y is None:
        return outputs.argmax(1)
    if int(y.max()) >= outputs.shape[1] or int(y.min()) < 0:
        raise ValueError(f"y_batch: class index outside [0, {outputs.shape[1]})")
    return y


def perturbed_scores(
    model: Classifier,
    x: Tensor,
    fill: Tensor,
    masks: Tensor,
    target: Tensor,
    kind: str,
    are_probabilities: bool,
    batch_size: int,
) -> Tensor:
    """Target score of every perturbed copy, batched over images and copies.

    x, fill: [B, C, H, W]; masks: bool [B, S, H·W] (True = take ``fill``) -> [B, S].
    """
    s = masks.shape[1]
    chunk = max(1, batch_size // s)
    scores = []
    for i in range(0, x.shape[0], chunk):
        images = replace_where(x[i : i + chunk], fill[i : i + chunk], masks[i : i + chunk])
        out = model_outputs(model, images, batch_size)
        if are_probabilities:
            check_probabilities(out)
        t = target[i : i + chunk].repeat_interleave(s)
        scores.append(target_scores(out, t, kind, are_probabilities).view(-1, s))
    return torch.cat(scores)
