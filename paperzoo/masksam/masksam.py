"""MaskSAM's equations as pure tensor functions (arXiv:2403.14103 v2; docs/masksam.md §2).

Boxes are normalised ``xyxy`` in [0, 1]; masks are logits unless a name says otherwise.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def decode_box(raw: Tensor) -> Tensor:
    """Box head output in (0, 1) ``(x1, y1, px, py)`` → ``xyxy`` with x2 = x1 + (1 − x1)·px.

    docs/masksam.md §2.3. raw: [..., 4] -> [..., 4]; x2 ≥ x1 and y2 ≥ y1 by construction.
    """
    x1, y1, px, py = raw.unbind(-1)
    return torch.stack([x1, y1, x1 + (1 - x1) * px, y1 + (1 - y1) * py], dim=-1)


def mask_to_box(masks: Tensor) -> tuple[Tensor, Tensor]:
    """Tight normalised ``xyxy`` box of each boolean mask, and whether the mask is non-empty.

    docs/masksam.md §2.3 (vectorised; the official code loops over N×T). masks: [..., H, W] bool
    -> boxes [..., 4] (pixel edges / size, so a full mask gives (0, 0, 1, 1)), valid [...].
    """
    h, w = masks.shape[-2:]
    rows, cols = masks.any(-1), masks.any(-2)  # [..., H], [..., W]
    ar_h = torch.arange(h, device=masks.device)
    ar_w = torch.arange(w, device=masks.device)
    big = max(h, w) + 1
    y1 = torch.where(rows, ar_h, big).amin(-1)
    y2 = torch.where(rows, ar_h, -1).amax(-1) + 1
    x1 = torch.where(cols, ar_w, big).amin(-1)
    x2 = torch.where(cols, ar_w, -1).amax(-1) + 1
    valid = rows.any(-1)
    box = torch.stack([x1 / w, y1 / h, x2 / w, y2 / h], dim=-1).float()
    return torch.where(valid[..., None], box, torch.zeros_like(box)), valid


def prompt_box(pred_box: Tensor, aux_mask_logits: Tensor) -> Tensor:
    """The box prompt: mean of the predicted box and the tight box of the auxiliary mask > 0.5.

    docs/masksam.md §2.3; where the thresholded mask is empty the predicted box alone is used.
    pred_box: [..., 4], aux_mask_logits: [..., H, W] -> [..., 4] (normalised).
    """
    tight, valid = mask_to_box(aux_mask_logits > 0)
    return torch.where(valid[..., None], 0.5 * (pred_box + tight), pred_box)


def semantic_map(class_logits: Tensor, mask_logits: Tensor) -> Tensor:
    """Per-class probability map: semseg[c] = Σ_q softmax(p_q)[c] · σ(m_q), no-object dropped.

    docs/masksam.md §2.4. class_logits: [B, T, N, C+1], mask_logits: [B, N, T, H, W]
    -> [B, C, T, H, W].
    """
    probs = class_logits.softmax(-1)[..., :-1]
    return torch.einsum("btnc,bnthw->bcthw", probs, mask_logits.sigmoid())


def box_area(boxes: Tensor) -> Tensor:
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(
        min=0
    )


def generalized_iou(a: Tensor, b: Tensor) -> Tensor:
    """Generalised IoU of paired ``xyxy`` boxes (Rezatofighi et al.): IoU − |C \\ (A ∪ B)| / |C|.

    docs/masksam.md §2.5. a, b: [..., 4] -> [...] in [−1, 1].
    """
    lt, rb = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = box_area(a) + box_area(b) - inter
    hull = (torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])).prod(-1)
    eps = 1e-7
    return inter / (union + eps) - (hull - union) / (hull + eps)


def pairwise_bce(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean sigmoid BCE of every prediction against every target mask.

    docs/masksam.md §2.5. logits: [S, N, P], targets: [S, M, P] (0/1) -> [S, N, M].
    """
    pos = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none")
    neg = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none")
    t = targets.to(logits.dtype)
    return (pos @ t.transpose(1, 2) + neg @ (1 - t).transpose(1, 2)) / logits.shape[-1]


def pairwise_dice(logits: Tensor, targets: Tensor) -> Tensor:
    """Dice loss 1 − (2 Σ σ(m)·t + 1) / (Σ σ(m) + Σ t + 1) of every prediction/target pair.

    docs/masksam.md §2.5. logits: [S, N, P], targets: [S, M, P] -> [S, N, M].
    """
    p, t = logits.sigmoid(), targets.to(logits.dtype)
    num = 2 * p @ t.transpose(1, 2)
    return 1 - (num + 1) / (p.sum(-1)[..., None] + t.sum(-1)[:, None, :] + 1)


def dice_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Dice loss of paired masks. logits, targets: [K, P] -> [K]."""
    p, t = logits.sigmoid(), targets.to(logits.dtype)
    return 1 - (2 * (p * t).sum(-1) + 1) / (p.sum(-1) + t.sum(-1) + 1)


def hungarian_match(cost: Tensor, valid: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Minimum-cost one-to-one matching of queries to the valid targets of each slice.

    docs/masksam.md §2.5 (scipy's ``linear_sum_assignment`` per slice). cost: [S, N, M],
    valid: [S, M] bool with at most N per slice -> (slice, query, target) index triples [K].
    """
    if (valid.sum(-1) > cost.shape[1]).any():
        raise ValueError(f"cost: more valid targets than the {cost.shape[1]} queries in a slice")
    c = cost.detach().double().cpu().numpy()
    ok = valid.cpu().numpy()
    slices, queries, targets = [], [], []
    for s in range(c.shape[0]):  # one small assignment problem per slice
        cols = np.flatnonzero(ok[s])
        if cols.size == 0:
            continue
        q, j = linear_sum_assignment(c[s][:, cols])
        slices.append(np.full(q.size, s))
        queries.append(q)
        targets.append(cols[j])
    if not slices:
        empty = torch.zeros(0, dtype=torch.long, device=cost.device)
        return empty, empty, empty
    return tuple(  # type: ignore[return-value]
        torch.as_tensor(np.concatenate(a), dtype=torch.long, device=cost.device)
        for a in (slices, queries, targets)
    )
