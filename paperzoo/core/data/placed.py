"""Items pasted on a larger cluttered canvas, with the object mask known exactly.

Sources: Fashion-MNIST (IDX files, see :mod:`paperzoo.core.data.fashion_mnist`) or scikit-learn's
bundled 8×8 digits (no system package needed). Each item is resized to ``item_size`` and
alpha-composited at a random position over a background of a smooth random field, Gaussian noise and
random bars; the mask is where the item is (mostly) opaque. Everything is vectorised and seeded: the
same ``(config, split)`` gives the same tensors. Train/val come from disjoint source indices of the
source's training part; test from its test part (Fashion-MNIST's t10k file, or held-out digits).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import TensorDataset

from paperzoo.core.data.fashion_mnist import (
    DEFAULT_ROOT,
    FASHION_MNIST_CLASSES,
    ROOT_ENV,
    load_fashion_mnist,
)

Source = Literal["fashion_mnist", "digits"]
Split = Literal["train", "val", "test"]
DIGIT_CLASSES = tuple(str(d) for d in range(10))
_CHUNK = 4096


@dataclass(frozen=True)
class PlacedConfig:
    """How items are placed; ``seed`` fixes splits and placements."""

    source: Source = "fashion_mnist"
    canvas: int = 32
    item_size: int = 24
    bars: int = 2
    bar_level: tuple[float, float] = (0.25, 0.6)
    noise_std: float = 0.06
    background: float = 0.15
    texture: float = 0.12
    alpha_gain: float = 3.0
    mask_alpha: float = 0.5
    val_fraction: float = 0.1
    digits_test_fraction: float = 0.2
    seed: int = 0
    root: str | None = None

    def __post_init__(self) -> None:
        if self.source not in ("fashion_mnist", "digits"):
            raise ValueError(f"source must be 'fashion_mnist' or 'digits', got {self.source!r}")
        if self.item_size < 4:
            raise ValueError(f"item_size must be >= 4, got {self.item_size!r}")
        if self.canvas < self.item_size:
            raise ValueError(f"canvas must be >= item_size ({self.item_size}), got {self.canvas!r}")
        if self.bars < 0:
            raise ValueError(f"bars must be >= 0, got {self.bars!r}")
        lo, hi = self.bar_level
        if not 0 <= lo <= hi <= 1:
            raise ValueError(
                f"bar_level must satisfy 0 <= low <= high <= 1, got {self.bar_level!r}"
            )
        for name in ("noise_std", "background", "texture"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if not self.alpha_gain >= 1:
            raise ValueError(f"alpha_gain must be >= 1, got {self.alpha_gain!r}")
        if not 0 < self.mask_alpha <= 1:
            raise ValueError(f"mask_alpha must be in (0, 1], got {self.mask_alpha!r}")
        for name in ("val_fraction", "digits_test_fraction"):
            if not 0 < getattr(self, name) < 0.5:
                raise ValueError(f"{name} must be in (0, 0.5), got {getattr(self, name)!r}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32), got {self.seed!r}")


@dataclass(frozen=True)
class PlacedSplit:
    """``images`` float [N,1,S,S] in [0,1]; ``masks`` bool [N,S,S]; ``labels`` int64 [N];
    ``source_index`` int64 [N]: the item's index in its source file (for leakage checks)."""

    images: Tensor
    masks: Tensor
    labels: Tensor
    source_index: Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def dataset(self) -> TensorDataset:
        return TensorDataset(self.images, self.labels)


def fashion_mnist_available(root: str | Path | None = None) -> bool:
    """Whether Fashion-MNIST's IDX files are where :func:`load_fashion_mnist` looks."""
    folder = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")  # fmt: skip
    return all((folder / s).is_file() or (folder / f"{s}.gz").is_file() for s in stems)


def _rng(cfg: PlacedConfig, tag: str) -> torch.Generator:
    digest = hashlib.sha256(f"{cfg.seed}|{cfg.source}|{tag}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def _source(cfg: PlacedConfig, split: Split) -> tuple[Tensor, Tensor, Tensor, tuple[str, ...]]:
    """(items float [M,h,w] in [0,1], labels, source indices) of the requested split."""
    if cfg.source == "fashion_mnist":
        part = "test" if split == "test" else "train"
        x, y = load_fashion_mnist(part, cfg.root)
        items, index = x.float() / 255.0, torch.arange(len(y))
        classes = FASHION_MNIST_CLASSES
        if split != "test":
            perm = torch.randperm(len(y), generator=_rng(cfg, "val-split"))
            n_val = int(round(cfg.val_fraction * len(y)))
            index = perm[:n_val] if split == "val" else perm[n_val:]
            index = index.sort().values
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()
        items = torch.from_numpy(digits.images.astype(np.float32) / 16.0)
        y = torch.from_numpy(digits.target.astype(np.int64))
        classes = DIGIT_CLASSES
        perm = torch.randperm(len(y), generator=_rng(cfg, "digits-split"))
        n_test = int(round(cfg.digits_test_fraction * len(y)))
        n_val = int(round(cfg.val_fraction * len(y)))
        bounds = {
            "test": (0, n_test),
            "val": (n_test, n_test + n_val),
            "train": (n_test + n_val, None),
        }
        lo, hi = bounds[split]
        index = perm[lo:hi].sort().values
    return items[index], y[index], index, classes


def _backgrounds(n: int, cfg: PlacedConfig, gen: torch.Generator) -> Tensor:
    """Clutter ``[n, S, S]``: smooth random field + noise, under random bars."""
    s = cfg.canvas
    coarse = torch.rand(n, 1, 4, 4, generator=gen) * 2 - 1
    field = F.interpolate(coarse, size=(s, s), mode="bilinear", align_corners=False)[:, 0]
    bg = cfg.background + cfg.texture * field + cfg.noise_std * torch.randn(n, s, s, generator=gen)
    if cfg.bars:
        k = cfg.bars
        grid = torch.arange(s)
        vertical = torch.rand(n, k, 1, 1, generator=gen) < 0.5
        pos = torch.randint(0, s, (n, k, 1, 1), generator=gen)
        thick = torch.randint(1, 3, (n, k, 1, 1), generator=gen)
        start = torch.randint(0, s, (n, k, 1, 1), generator=gen)
        length = torch.randint(s // 4, s, (n, k, 1, 1), generator=gen)
        lo, hi = cfg.bar_level
        level = lo + (hi - lo) * torch.rand(n, k, 1, 1, generator=gen)
        across = torch.where(vertical, grid[None, :], grid[:, None])  # [.., S, S] coordinate
        along = torch.where(vertical, grid[:, None], grid[None, :])
        on = (across >= pos) & (across < pos + thick) & (along >= start) & (along < start + length)
        bg = torch.maximum(bg, (on * level).amax(dim=1))
    return bg.clamp(0.0, 1.0)


def _place(items: Tensor, cfg: PlacedConfig, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """Composite resized ``items`` [n,h,w] onto clutter; returns (images [n,S,S], masks [n,S,S])."""
    n, s, k = len(items), cfg.canvas, cfg.item_size
    small = F.interpolate(items[:, None], size=(k, k), mode="bilinear", antialias=True)[:, 0]
    small = small.clamp(0.0, 1.0)
    canvas = _backgrounds(n, cfg, gen)
    oy = torch.randint(0, s - k + 1, (n,), generator=gen)
    ox = torch.randint(0, s - k + 1, (n,), generator=gen)
    rows = (oy[:, None] + torch.arange(k))[:, :, None]  # [n, k, 1]
    cols = (ox[:, None] + torch.arange(k))[:, None, :]  # [n, 1, k]
    batch = torch.arange(n)[:, None, None]
    alpha = (small * cfg.alpha_gain).clamp(max=1.0)
    under = canvas[batch, rows, cols]
    canvas[batch, rows, cols] = alpha * small + (1 - alpha) * under  # alpha compositing
    masks = torch.zeros(n, s, s, dtype=torch.bool)
    masks[batch, rows, cols] = alpha >= cfg.mask_alpha
    return canvas, masks


def make_placed(
    split: Split, cfg: PlacedConfig | None = None, limit: int | None = None
) -> PlacedSplit:
    """The ``train``/``val``/``test`` split of placed items (first ``limit`` of a seeded order)."""
    cfg = cfg or PlacedConfig()
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit!r}")
    items, labels, index, classes = _source(cfg, split)
    order = torch.randperm(len(labels), generator=_rng(cfg, f"order-{split}"))
    if limit is not None:
        order = order[:limit]
    items, labels, index = items[order], labels[order], index[order]
    gen = _rng(cfg, f"place-{split}")
    parts = [_place(items[i : i + _CHUNK], cfg, gen) for i in range(0, len(labels), _CHUNK)]
    images = torch.cat([p[0] for p in parts])[:, None]
    masks = torch.cat([p[1] for p in parts])
    return PlacedSplit(images.contiguous(), masks, labels, index, classes)
