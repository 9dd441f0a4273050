"""A per-image, per-token loop implementation of the official algorithm (docs/prumerge.md §2).

Written the way the official ``token_prune_merge_advanced[_plus]`` runs (numpy percentiles, a
Python loop over images and kept tokens, Python membership tests for PruMerge+), but per image
(B > 1 works) and with the ``min_keep`` guard. It is the independent reference the tests compare
:func:`paperzoo.prumerge.reducer.prumerge` against and the baseline of the speed benchmark.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def loop_prumerge(
    x: Tensor,
    scores: Tensor,
    keys: Tensor,
    knn: int = 32,
    plus: bool = False,
    min_keep: int = 1,
    iqr_k: float = 1.5,
) -> list[tuple[list[int], Tensor]]:
    """Per image: (kept positions in output order, tokens [k_i (+ samples) + 1, D])."""
    out = []
    for xb, ab, kb in zip(x, scores, keys, strict=True):
        n = len(ab)
        values = ab.double().cpu().numpy()
        q1, q3 = np.percentile(values, 25), np.percentile(values, 75)
        k = max(min_keep, int((values > q3 + iqr_k * (q3 - q1)).sum()))
        kept = [int(i) for i in torch.topk(ab, k).indices]
        if plus:
            step = n // k
            stride = max(1, step // 3)
            kept += [p for p in range(step // 6, n - 1, stride) if p not in kept]
        keys_n = F.normalize(kb, dim=-1)
        rows = []
        for i in kept:
            others = [j for j in range(n) if j != i]
            sims = torch.stack([keys_n[i] @ keys_n[j] for j in others])
            nbrs = [others[int(t)] for t in torch.topk(sims, knn).indices]
            rows.append(xb[i] + sum(ab[j] * xb[j] for j in nbrs))
        pruned = [j for j in range(n) if j not in kept]
        extra = sum((ab[j] * xb[j] for j in pruned), torch.zeros_like(xb[0]))
        out.append((kept, torch.stack([*rows, extra])))
    return out


def loop_cls_attention(q: Tensor, k: Tensor, heads: int, per_head: bool) -> Tensor:
    """[CLS] (position 0) attention over positions 1.. by explicit per-image, per-head loops."""
    rows = []
    for qb, kb in zip(q, k, strict=True):
        d = qb.shape[-1]
        if not per_head:
            logits = torch.stack([qb[0] @ kb[t] for t in range(len(kb))]) / d**0.5
            rows.append(logits.softmax(0)[1:])
            continue
        dh = d // heads
        per = []
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            logits = torch.stack([qb[0, sl] @ kb[t, sl] for t in range(len(kb))]) / dh**0.5
            per.append(logits.softmax(0)[1:])
        rows.append(torch.stack(per).mean(0))
    return torch.stack(rows)
