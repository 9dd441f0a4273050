"""Reduce one image file and draw its kept tokens (what ``paperzoo prumerge reduce`` does)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.plot import new_figure, save_figure
from paperzoo.core.vit.adapters import adapt
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.patch import encode
from paperzoo.prumerge.reducer import keep_count, prumerge


@dataclass(frozen=True)
class ImageReduction:
    """``k`` outliers kept, ``tokens`` fed onward (with PruMerge+ samples and the pooled token),
    of ``n`` patch tokens; ``kept`` patch indices; ``overlay`` the PNG written."""

    k: int
    tokens: int
    n: int
    kept: list[int]
    overlay: Path


def load_image(path: str | Path, size: tuple[int, int], channels: int) -> Tensor:
    """A PNG/JPEG file as ``[1, channels, H, W]`` in [0, 1], resized (bilinear) to ``size``."""
    import matplotlib.image as mpimg

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image: no such file {path}")
    try:
        pixels = np.asarray(mpimg.imread(path), dtype=np.float32)
    except (OSError, ValueError, SyntaxError) as err:
        raise ValueError(f"image: cannot read {path} ({err})") from err
    if pixels.max() > 1:
        pixels = pixels / 255.0
    img = torch.from_numpy(pixels)
    img = img[..., None] if img.ndim == 2 else img[..., :3]
    img = img.permute(2, 0, 1)[None]
    img = img.mean(1, keepdim=True) if channels == 1 else img.expand(-1, channels, -1, -1)
    return F.interpolate(img, size=size, mode="bilinear", align_corners=False).clamp(0, 1)


def reduce_image(
    model: torch.nn.Module, image: str | Path, out: str | Path, cfg: PruMergeConfig | None = None
) -> ImageReduction:
    """PruMerge one image file through ``model`` and save the kept-token overlay to ``out``."""
    cfg = cfg or PruMergeConfig()
    adapter = adapt(model)
    x = load_image(image, adapter.image_size, adapter.in_chans)
    enc = encode(adapter, x, cfg)
    n = enc.tokens.shape[1]
    if cfg.knn >= n:
        cfg = replace(cfg, knn=max(1, round(32 * n / 576)))  # docs/prumerge.md §3
    reduced = prumerge(enc.tokens, enc.attention, enc.keys, cfg, enc.grid)
    kept = [int(i) for i in reduced.index[0] if i >= 0]
    h, w = enc.grid
    grid = torch.zeros(h * w)
    grid[kept] = 1
    fig, ax = new_figure()
    ax.imshow(x[0].permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray")
    ph, pw = x.shape[2] / h, x.shape[3] / w
    ax.imshow(grid.reshape(h, w).numpy(), cmap="autumn", alpha=0.45,
              extent=(-0.5, w * pw - 0.5, h * ph - 0.5, -0.5))  # fmt: skip
    k = int(keep_count(enc.attention, cfg)[0])
    ax.set_title(f"PruMerge{'+' if cfg.plus else ''}: k={k}, {len(kept)} of {n} patches kept")
    ax.axis("off")
    path = save_figure(fig, out)
    return ImageReduction(k, int(reduced.lengths()[0]), n, kept, path)
