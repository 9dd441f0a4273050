"""The evaluation data: the core's placed digits / Fashion-MNIST, seen through the cached ViT.

Features follow LLaVA: the input of the ViT's last block (``hidden_states[-2]``), with that
block's [CLS] attention and keys (:func:`paperzoo.prumerge.patch.encode`). The object mask of
each placed item gives, per patch, whether the object covers it (for recall and k-vs-size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.data.placed import make_placed
from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.registry import Scale
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.patch import encode

OBJECT_COVER = 0.25  # a patch belongs to the object when the mask covers >= 25 % of its pixels
#: the detail ("small print") task: the same generator with the item pasted at this size instead
#: of the ViT's training size (24 px on the 32 px canvas): a digit over about 4×4 of the 8×8
#: patches (at 10 px the frozen quick ViT leaves the all-token head near chance, 0.15)
DETAIL_ITEM_SIZE = 16


@dataclass(frozen=True)
class Split:
    """Encoded images: ``tokens`` [n, N, D], ``attention`` [n, N], ``keys`` [n, N, D],
    ``labels`` [n], ``objects`` bool [n, N] (object patches)."""

    tokens: Tensor
    attention: Tensor
    keys: Tensor
    labels: Tensor
    objects: Tensor

    def full(self) -> ReducedTokens:
        """Every token, nothing reduced."""
        n, t, _ = self.tokens.shape
        mask = torch.ones(n, t, dtype=torch.bool)
        return ReducedTokens(self.tokens, mask, torch.arange(t).expand(n, t).clone())


@dataclass(frozen=True)
class Features:
    train: Split
    test: Split
    grid: tuple[int, int]
    classes: int
    vit: str  # which cached ViT (scale name of its spec)


def object_patches(masks: Tensor, patch: int) -> Tensor:
    """bool [n, h·w]: patches at least ``OBJECT_COVER`` object; ``masks`` [n, S, S]."""
    cover = F.avg_pool2d(masks[:, None].float(), patch)[:, 0]
    return (cover >= OBJECT_COVER).flatten(1)


def _encode(model: torch.nn.Module, split: str, data_cfg: object, limit: int | None) -> Split:
    data = make_placed(split, data_cfg, limit=limit)  # type: ignore[arg-type]
    parts = [
        encode(model, data.images[i : i + 256], PruMergeConfig()) for i in range(0, len(data), 256)
    ]
    return Split(
        torch.cat([p.tokens for p in parts]).detach(),
        torch.cat([p.attention for p in parts]).detach(),
        torch.cat([p.keys for p in parts]).detach(),
        data.labels,
        object_patches(data.masks, model.cfg.patch_size),
    )


def split_sizes(scale: Scale) -> tuple[int | None, int | None]:
    """Images encoded from the (train, test) splits: the first ones of the core's seeded order
    (None: the whole split). Quick caps them just above the placed-digits splits (1,258 /
    359), which the quick claims were sized on: with Fashion-MNIST installed, all 54k training
    items are about 40 times the head-training work (one seed had not finished after 17 min)."""
    return Scale.parse(scale).pick(smoke=(256, 256), quick=(1300, 500), full=(None, None))


@cache
def features(scale: Scale, item_size: int | None = None) -> Features:
    """Train and test features through the cached trained ViT of ``scale`` (in-process cache);
    ``item_size`` pastes the items at that size instead (the detail task), same generator."""
    from paperzoo.core.vit.train import trained_vit

    model, meta = trained_vit(scale)
    data_cfg = meta["data_config"]
    if item_size is not None:
        data_cfg = replace(data_cfg, item_size=item_size)
    n_train, n_test = split_sizes(scale)
    with torch.no_grad():
        train = _encode(model, "train", data_cfg, n_train)
        test = _encode(model, "test", data_cfg, n_test)
    return Features(train, test, (model.cfg.grid,) * 2, model.cfg.num_classes, meta["scale"])
