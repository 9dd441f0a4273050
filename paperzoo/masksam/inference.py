"""Checkpoints of trained models, segmenting NIfTI files, and the three-plane overlay PNG."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from paperzoo.core.io import load_checkpoint, load_state_dict_checked, save_checkpoint
from paperzoo.core.plot import new_figure, save_figure
from paperzoo.masksam.config import MaskSAMConfig
from paperzoo.masksam.data import NiftiVolume, load_nifti, normalise, save_mask_like
from paperzoo.masksam.model import MaskSAM
from paperzoo.masksam.training import predict_volume


def save_model(
    path: str | Path, model: MaskSAM, classes: tuple[str, ...], metrics: dict | None = None
) -> Path:
    """Write model weights with its config and class names (``core.io`` checkpoint)."""
    meta = {
        "config": dataclasses.asdict(model.cfg),
        "classes": list(classes),
        "metrics": metrics or {},
    }
    return save_checkpoint(path, model, meta)


def load_model(path: str | Path) -> tuple[MaskSAM, tuple[str, ...]]:
    """A MaskSAM checkpoint written by :func:`save_model` (``weights_only=True``, strict keys)."""
    payload = load_checkpoint(path)
    meta = payload.get("meta", {})
    if "config" not in meta or "classes" not in meta:
        raise ValueError(f"checkpoint: {path} is not a MaskSAM checkpoint (no config/classes)")
    raw = dict(meta["config"])
    raw["global_attn_indexes"] = tuple(raw["global_attn_indexes"])
    fields = {f.name for f in dataclasses.fields(MaskSAMConfig)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise ValueError(f"checkpoint: {path} has unknown config keys {unknown}")
    model = MaskSAM(MaskSAMConfig(**raw))
    load_state_dict_checked(model, payload["state_dict"], source=str(path))
    return model.eval(), tuple(meta["classes"])


def segment_array(model: MaskSAM, image: np.ndarray, progress: bool = False) -> np.ndarray:
    """Label map [D, H, W] (uint8) of a raw volume [D, H, W], coarse axis first."""
    if image.ndim != 3:
        raise ValueError(f"image: expected a 3D volume [D, H, W], got shape {image.shape}")
    if not np.all(np.isfinite(image)):
        raise ValueError("image: holds NaN or infinite voxels")
    cfg = model.cfg
    roi = (cfg.frames, cfg.img_size, cfg.img_size)
    probs = predict_volume(model.semantic, normalise(image), roi, progress=progress)
    return probs.argmax(0).numpy().astype(np.uint8)


def segment_file(
    model: MaskSAM,
    volume: str | Path,
    out: str | Path,
    png: str | Path | None = None,
    progress: bool = True,
) -> tuple[NiftiVolume, np.ndarray]:
    """Segment a NIfTI file; the mask keeps the input's voxel grid, affine and header."""
    vol = load_nifti(volume)
    mask = segment_array(model, vol.image, progress=progress)
    save_mask_like(mask, vol, out)
    if png is not None:
        overlay_png(vol.image, mask, png, vol.spacing)
    return vol, mask


def overlay_png(
    image: np.ndarray, mask: np.ndarray, path: str | Path, spacing=(1.0, 1.0, 1.0)
) -> Path:
    """Three orthogonal slices through the centre with the mask overlaid (aspect from spacing)."""
    if image.shape != mask.shape:
        raise ValueError(f"mask: shape {mask.shape} does not match image {image.shape}")
    d, h, w = image.shape
    sz, sy, sx = spacing
    views = (
        ("slice (axis 0)", image[d // 2], mask[d // 2], sy / sx),
        ("axis 1", image[:, h // 2], mask[:, h // 2], sz / sx),
        ("axis 2", image[:, :, w // 2], mask[:, :, w // 2], sz / sy),
    )
    fig, axes = new_figure(1, 3, figsize=(12, 4))
    for ax, (title, img, lab, aspect) in zip(axes, views, strict=True):
        ax.imshow(img, cmap="gray", aspect=aspect)
        ax.imshow(
            np.ma.masked_equal(lab, 0),
            cmap="tab10",
            vmin=0,
            vmax=9,
            alpha=0.5,
            aspect=aspect,
            interpolation="nearest",
        )
        ax.set_title(title)
        ax.axis("off")
    return save_figure(fig, path)
