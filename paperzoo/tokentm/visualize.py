"""Image files in, heatmap overlays and evaluation plots out."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from paperzoo.core.interfaces import upsample_map
from paperzoo.core.io import atomic_write
from paperzoo.core.plot import bar_chart, new_figure
from paperzoo.core.vit.adapters import ViTAdapter
from paperzoo.core.vit.preprocess import (
    Preprocessing,
    read_image,
    resolve_preprocessing,
    to_channels,
)


def load_image(
    path: str | Path,
    adapter: ViTAdapter,
    resize: bool = False,
    preprocessing: Preprocessing | None = None,
    background: float | None = None,
) -> Tensor:
    """Read an image file as pixels ``[1, C, H, W]`` in [0, 1] for ``adapter``'s model.

    Without ``resize`` its size and channels must match the model; with it, channels are converted
    and it is resized and centre-cropped by ``preprocessing`` (default: the model's own). The
    pixels are not normalised: the model input is ``preprocessing.normalize(pixels)``.
    ``background``: grey level for transparent pixels (:func:`read_image`).
    """
    pixels = read_image(path, background)
    want_c, (want_h, want_w) = adapter.in_chans, adapter.image_size
    have_c, have_h, have_w = pixels.shape
    if not resize and (have_c, have_h, have_w) != (want_c, want_h, want_w):
        kind = {1: "grey", 3: "RGB"}[have_c]
        raise ValueError(
            f"image: {Path(path).name} is {have_w}x{have_h} {kind}, the model needs "
            f"{want_w}x{want_h} with {want_c} channel(s) (pass --resize to convert)"
        )
    pixels = to_channels(pixels, want_c)
    if resize:
        pixels = (preprocessing or resolve_preprocessing(adapter)).resize(pixels)
    return pixels[None].contiguous()


OVERLAY_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".pdf": "pdf", ".svg": "svg"}


def overlay_format(path: str | Path) -> str:
    """The file format ``path``'s suffix names; ``ValueError`` for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in OVERLAY_FORMATS:
        raise ValueError(
            f"out: cannot write {suffix or 'a file without suffix'!s} ({Path(path).name}); "
            f"use {', '.join(OVERLAY_FORMATS)}"
        )
    return OVERLAY_FORMATS[suffix]


def save_overlay(x: Tensor, heatmap: Tensor, path: str | Path, title: str = "") -> Path:
    """Write the image ``[C, H, W]`` in [0, 1] with the (upsampled) ``heatmap`` ``[h, w]`` overlaid.

    The format is the one ``path``'s suffix names (:data:`OVERLAY_FORMATS`).
    """
    path = Path(path)
    fmt = overlay_format(path)
    h, w = x.shape[-2:]
    heat = upsample_map(heatmap[None].detach().float().cpu(), (h, w))[0].numpy()
    image = x.detach().float().cpu().permute(1, 2, 0).numpy()
    image = image.squeeze(-1) if image.shape[-1] == 1 else image
    fig, axes = new_figure(1, 2, figsize=(6, 3))
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(heat, cmap="jet", alpha=0.5)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format=fmt, dpi=150)
    return path


def plot_results(results: dict[str, dict[str, float]], out_dir: Path, tag: str) -> list[Path]:
    """Bar charts of every metric per method; returns the written files."""
    metrics = ["positive_auc", "negative_auc", "pixel_accuracy", "miou", "ap"]
    panels = {
        metric + (" (lower better)" if metric == "positive_auc" else ""): {
            method: values[metric] for method, values in results.items()
        }
        for metric in metrics
    }
    path = out_dir / f"tokentm-{tag}.png"
    return [bar_chart(path, panels, rotation=70, panel_size=(3.2, 3.2))]
