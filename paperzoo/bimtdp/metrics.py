"""Per-task metrics (mIoU, depth RMSE, normal mean angular error, boundary ODS-F, saliency maxF)
and whole-model evaluation (docs/bimtdp.md §2.7)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.bimtdp.bimtdp import gaussianity
from paperzoo.bimtdp.data import SynthRooms
from paperzoo.core.runtime import eval_mode

THRESHOLDS = torch.linspace(0.05, 0.95, 19)


def miou(labels: Tensor, target: Tensor, classes: int) -> float:
    """Mean IoU over the classes that occur in prediction or target. labels, target: [N, H, W]."""
    conf = torch.bincount(target.flatten() * classes + labels.flatten(), minlength=classes**2)
    conf = conf.view(classes, classes).double()
    inter = conf.diag()
    union = conf.sum(0) + conf.sum(1) - inter
    return float((inter[union > 0] / union[union > 0]).mean())


def depth_rmse(pred: Tensor, target: Tensor) -> float:
    return float((pred - target).pow(2).mean().sqrt())


def normal_error(pred: Tensor, target: Tensor) -> float:
    """Mean angle in degrees between unit normals [N, 3, H, W]."""
    cos = (F.normalize(pred, dim=1) * target).sum(1).clamp(-1, 1)
    return float(torch.rad2deg(torch.acos(cos)).mean())


def ods_f(prob: Tensor, target: Tensor, tolerance: int = 1) -> float:
    """Optimal-dataset-scale F: max over thresholds of F(P, R), a match counting within
    ``tolerance`` px (max-pool dilation; approximates SEISM's assignment). [N, 1, H, W]."""
    gt = target > 0.5
    pred = prob[None] >= THRESHOLDS.view(-1, 1, 1, 1, 1)  # [T, N, 1, H, W]
    k = 2 * tolerance + 1

    def dilate(m: Tensor) -> Tensor:
        flat = m.flatten(0, 1).float()
        return F.max_pool2d(flat, k, 1, tolerance).view(m.shape) > 0 if tolerance else m

    near_gt = dilate(gt[None])
    near_pred = dilate(pred)
    dims = (1, 2, 3, 4)
    precision = (pred & near_gt).sum(dims) / pred.sum(dims).clamp(min=1)
    recall = (gt[None] & near_pred).sum(dims) / gt.sum().clamp(min=1)
    f = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return float(f.max())


def evaluate(model: nn.Module, data: SynthRooms, batch_size: int = 128) -> dict[str, float]:
    """Every task metric of ``model`` on ``data``, plus the Gaussianity of its bottleneck z."""
    outs: dict[str, list[Tensor]] = {t: [] for t in model.cfg.tasks}
    zs = []
    with torch.no_grad(), eval_mode(model):
        for i in range(0, len(data), batch_size):
            r = model(data.rgb[i : i + batch_size])
            for t in outs:
                outs[t].append(r["out"][t])
            zs.append(r["z"])
    cat = {t: torch.cat(v) for t, v in outs.items()}
    metrics: dict[str, float] = {}
    if "semseg" in cat:
        metrics["semseg"] = miou(cat["semseg"].argmax(1), data.semseg, model.cfg.classes)
    if "depth" in cat:
        metrics["depth"] = depth_rmse(cat["depth"], data.depth)
    if "normals" in cat:
        metrics["normals"] = normal_error(cat["normals"], data.normals)
    if "boundary" in cat:
        metrics["boundary"] = ods_f(torch.sigmoid(cat["boundary"]), data.boundary)
    if "saliency" in cat:
        metrics["saliency"] = ods_f(torch.sigmoid(cat["saliency"]), data.saliency, tolerance=0)
    g = gaussianity(torch.cat(zs))
    metrics["z_abs_skew"], metrics["z_abs_kurtosis"] = g["abs_skew"], g["abs_kurtosis"]
    return metrics
