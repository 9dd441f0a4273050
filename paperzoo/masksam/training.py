"""Training (set criterion with Hungarian matching), MONAI sliding-window inference and Dice.

docs/masksam.md §2.5 and §2.8. Training samples random T-slice chunks of the training volumes;
the residual U-Net baseline trains on the same chunks with MONAI's DiceCE loss.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from monai.inferers import sliding_window_inference
from monai.losses import DiceCELoss
from monai.metrics import DiceMetric
from torch import Tensor, nn

from paperzoo.masksam.config import TrainConfig
from paperzoo.masksam.data import Volume
from paperzoo.masksam.masksam import (
    dice_loss,
    generalized_iou,
    hungarian_match,
    mask_to_box,
    pairwise_bce,
    pairwise_dice,
)

Predictor = Callable[[Tensor], Tensor]  # chunk [b, 1, T, H, W] -> class probabilities [b, C, ...]


def set_criterion(out: dict[str, Tensor], target: Tensor, cfg: TrainConfig) -> dict[str, Tensor]:
    """MaskSAM's loss on one batch: per-slice Hungarian matching, then CE (no-object weight
    ``eos_coef``), BCE + Dice on matched masks, auxiliary mask BCE + Dice and box L1 + GIoU.

    docs/masksam.md §2.5. target: [B, T, H, W] labels (0 = background, a class as well).
    Returns the weighted ``loss`` and its parts, each normalised by the number of targets.
    """
    logits = out["pred_logits"]
    b, t, n, c1 = logits.shape
    c, s = c1 - 1, b * t
    hw = target.shape[-2] * target.shape[-1]
    logits = logits.reshape(s, n, c1)
    masks = out["pred_masks"].transpose(1, 2).reshape(s, n, hw)
    aux = out["aux_masks"].transpose(1, 2).reshape(s, n, hw)
    boxes = out["aux_boxes"].reshape(s, n, 4)
    onehot = F.one_hot(target.reshape(s, *target.shape[-2:]).long(), c).permute(0, 3, 1, 2)
    tboxes, _ = mask_to_box(onehot.bool())  # [S, C, 4]; target j is class j
    tmasks = onehot.flatten(2).float()
    valid = tmasks.any(-1)
    with torch.no_grad():
        cost = (
            -cfg.class_weight * logits.softmax(-1)[..., :c]
            + cfg.mask_bce_weight * pairwise_bce(masks, tmasks)
            + cfg.mask_dice_weight * pairwise_dice(masks, tmasks)
            + cfg.aux_weight * torch.cdist(boxes, tboxes, p=1)
            + cfg.aux_weight * (pairwise_bce(aux, tmasks) + pairwise_dice(aux, tmasks))
            - cfg.giou_weight * generalized_iou(boxes[:, :, None], tboxes[:, None])
        )
    si, qi, ti = hungarian_match(cost, valid)
    k = max(int(si.numel()), 1)
    classes = torch.full((s, n), c, dtype=torch.long, device=logits.device)
    classes[si, qi] = ti
    weight = torch.ones(c1, device=logits.device)
    weight[c] = cfg.eos_coef
    parts = {"ce": F.cross_entropy(logits.reshape(-1, c1), classes.reshape(-1), weight=weight)}
    tm = tmasks[si, ti]
    for name, pred in (("mask", masks), ("aux", aux)):
        m = pred[si, qi]
        parts[f"{name}_bce"] = (
            F.binary_cross_entropy_with_logits(m, tm, reduction="none").mean(-1).sum() / k
        )
        parts[f"{name}_dice"] = dice_loss(m, tm).sum() / k
    pb, tb = boxes[si, qi], tboxes[si, ti]
    parts["box_l1"] = (pb - tb).abs().sum(-1).sum() / k
    parts["box_giou"] = (1 - generalized_iou(pb, tb)).sum() / k
    parts["loss"] = (
        cfg.class_weight * parts["ce"]
        + cfg.mask_bce_weight * parts["mask_bce"]
        + cfg.mask_dice_weight * parts["mask_dice"]
        + cfg.aux_weight * (parts["aux_bce"] + parts["aux_dice"] + parts["box_l1"])
        + cfg.giou_weight * parts["box_giou"]
    )
    return parts


def sample_chunks(
    volumes: Sequence[Volume], frames: int, size: int, batch: int, rng: np.random.Generator
) -> tuple[Tensor, Tensor]:
    """A batch of random ``frames``×``size``×``size`` chunks: x [B, 1, T, H, W], y [B, T, H, W]."""
    xs, ys = [], []
    for _ in range(batch):
        vol = volumes[int(rng.integers(len(volumes)))]
        d, h, w = vol.image.shape
        if d < frames or h < size or w < size:
            raise ValueError(f"volumes: {vol.image.shape} is smaller than a {frames}×{size}² chunk")
        z0, y0, x0 = (int(rng.integers(m + 1)) for m in (d - frames, h - size, w - size))
        sl = (slice(z0, z0 + frames), slice(y0, y0 + size), slice(x0, x0 + size))
        xs.append(vol.image[sl])
        ys.append(vol.label[sl])
    return torch.from_numpy(np.stack(xs))[:, None], torch.from_numpy(np.stack(ys).astype(np.int64))


def _optimiser(model: nn.Module, cfg: TrainConfig) -> tuple[torch.optim.Optimizer, object]:
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, eps=cfg.eps)
    power = 0.9 if cfg.schedule == "poly" else 0.0
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=cfg.steps, power=power)
    return opt, sched


def train(
    model: nn.Module,
    volumes: Sequence[Volume],
    cfg: TrainConfig,
    frames: int,
    size: int,
    loss_fn: Callable[[nn.Module, Tensor, Tensor], Tensor],
) -> list[float]:
    """AdamW + poly (or constant) LR + gradient clipping for ``cfg.steps`` steps; returns the
    losses."""
    if not volumes or any(v.label is None for v in volumes):
        raise ValueError("volumes: training needs at least one labelled volume")
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    opt, sched = _optimiser(model, cfg)
    model.train()
    losses = []
    for _ in range(cfg.steps):
        x, y = sample_chunks(volumes, frames, size, cfg.batch_size, rng)
        loss = loss_fn(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.grad_clip)
        opt.step()
        sched.step()  # type: ignore[attr-defined]
        losses.append(float(loss.detach()))
    model.eval()
    return losses


def masksam_loss(cfg: TrainConfig) -> Callable[[nn.Module, Tensor, Tensor], Tensor]:
    return lambda model, x, y: set_criterion(model(x), y, cfg)["loss"]


def unet_loss() -> Callable[[nn.Module, Tensor, Tensor], Tensor]:
    dice_ce = DiceCELoss(to_onehot_y=True, softmax=True)
    return lambda model, x, y: dice_ce(model(x), y[:, None])


def predict_volume(
    predictor: Predictor,
    image: np.ndarray,
    roi: tuple[int, int, int],
    overlap: float = 0.5,
    sw_batch_size: int = 4,
    progress: bool = False,
) -> Tensor:
    """MONAI gaussian-blended sliding-window class probabilities [C, D, H, W] of image [D, H, W].

    ``sw_batch_size`` windows go through the model at once (4: measured cheaper per window than 2
    or 8 on CPU, docs/masksam.md §4); no autograd state is kept (``torch.inference_mode``).
    """
    if image.ndim != 3:
        raise ValueError(f"image: expected [D, H, W], got shape {image.shape}")
    x = torch.as_tensor(np.ascontiguousarray(image), dtype=torch.float32)[None, None]
    with torch.inference_mode():
        probs = sliding_window_inference(
            x, roi, sw_batch_size, predictor, overlap=overlap, mode="gaussian", progress=progress
        )
    return probs[0]  # type: ignore[index]


def dice_per_class(
    preds: Sequence[Tensor], labels: Sequence[np.ndarray], num_classes: int
) -> np.ndarray:
    """MONAI ``DiceMetric`` (no background, empty ground truth ignored) per foreground class,
    over a set of volumes: [num_classes − 1], NaN for a class absent everywhere."""
    metric = DiceMetric(include_background=False, reduction="none", ignore_empty=True)
    for pred, label in zip(preds, labels, strict=True):
        p = F.one_hot(pred.long(), num_classes).permute(3, 0, 1, 2)[None]
        y = F.one_hot(torch.as_tensor(label.astype(np.int64)), num_classes).permute(3, 0, 1, 2)[
            None
        ]
        metric(p, y)
    per_volume = metric.aggregate().numpy()  # [volumes, C − 1], NaN where a class is absent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a class absent from every volume
        return np.nanmean(per_volume, axis=0)


def evaluate(
    predictor: Predictor,
    volumes: Sequence[Volume],
    roi: tuple[int, int, int],
    classes: Sequence[str],
    twins: Sequence[str] = (),
) -> dict[str, float]:
    """Mean foreground Dice, per-class Dice and (if given) the mean Dice of the twin classes."""
    preds = [predict_volume(predictor, v.image, roi).argmax(0) for v in volumes]
    dice = dice_per_class(preds, [v.label for v in volumes], len(classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = {"dice": float(np.nanmean(dice))}
    out.update({f"dice_{name}": float(d) for name, d in zip(classes[1:], dice, strict=True)})
    if twins:
        out["dice_twins"] = float(np.nanmean([out[f"dice_{t}"] for t in twins]))
    return out
