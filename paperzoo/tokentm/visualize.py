"""Image files in, heatmap overlays and evaluation plots out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from paperzoo.core.plot import new_figure, save_figure
from paperzoo.core.vit.adapters import ViTAdapter
from paperzoo.tokentm.base import upsample_map


def load_image(path: str | Path, adapter: ViTAdapter, resize: bool = False) -> Tensor:
    """Read an image file as ``[1, C, H, W]`` in [0, 1] for ``adapter``'s model.

    Without ``resize`` its size and channels must match the model; with it, it is converted
    (grayscale/RGB) and resized bilinearly.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image: no such file {path}")
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"image: cannot read {path} as an image ({err})") from err
    channels = {"L": 1, "RGB": 3}
    want_c, (want_h, want_w) = adapter.in_chans, adapter.image_size
    mode = {1: "L", 3: "RGB"}.get(want_c)
    if mode is None:
        raise ValueError(f"model: only 1- or 3-channel models can read image files, got {want_c}")
    have_c = channels.get(img.mode)
    if not resize and (have_c != want_c or img.size != (want_w, want_h)):
        raise ValueError(
            f"image: {path.name} is {img.size[0]}x{img.size[1]} {img.mode}, the model needs "
            f"{want_w}x{want_h} with {want_c} channel(s) (pass --resize to convert)"
        )
    img = img.convert(mode).resize((want_w, want_h), Image.BILINEAR)
    array = np.asarray(img, dtype=np.float32) / 255.0
    x = torch.from_numpy(array.reshape(want_h, want_w, want_c)).permute(2, 0, 1)
    return x[None].contiguous()


def save_overlay(x: Tensor, heatmap: Tensor, path: str | Path, title: str = "") -> Path:
    """Write the image ``[C, H, W]`` with the (upsampled) ``heatmap`` ``[h, w]`` overlaid (PNG)."""
    h, w = x.shape[-2:]
    heat = upsample_map(heatmap[None], (h, w))[0].numpy()
    image = x.permute(1, 2, 0).numpy()
    fig, axes = new_figure(1, 2, figsize=(6, 3))
    axes[0].imshow(image.squeeze(-1) if image.shape[-1] == 1 else image, cmap="gray")
    axes[1].imshow(image.squeeze(-1) if image.shape[-1] == 1 else image, cmap="gray")
    axes[1].imshow(heat, cmap="jet", alpha=0.5)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    return save_figure(fig, path, dpi=150)


def plot_results(results: dict[str, dict[str, float]], out_dir: Path, tag: str) -> list[Path]:
    """Bar charts of every metric per method; returns the written files."""
    methods = list(results)
    metrics = ["positive_auc", "negative_auc", "pixel_accuracy", "miou", "ap"]
    fig, axes = new_figure(1, len(metrics), figsize=(3.2 * len(metrics), 3.2))
    for ax, metric in zip(axes, metrics, strict=True):
        ax.bar(range(len(methods)), [results[m][metric] for m in methods])
        ax.set_xticks(range(len(methods)), methods, rotation=70, fontsize=7)
        ax.set_title(metric + (" (lower better)" if metric == "positive_auc" else ""), fontsize=8)
    return [save_figure(fig, out_dir / f"tokentm-{tag}.png", dpi=120)]
