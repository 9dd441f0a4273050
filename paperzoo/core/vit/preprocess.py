"""Image files to model inputs: decoding at the file's real bit depth, and each model's own
preprocessing (resize, centre crop, mean/std) as its host library defines it.

Sources: paperzoo's SmallViT takes [0, 1] pixels as they are; timm models use
``timm.data.resolve_model_data_config`` (mean, std, interpolation, ``crop_pct``, ``crop_mode``);
HF models use ``preprocessor_config.json`` in their local folder when there is one. The model's
own input size always wins over a size stored in a config (timm keeps the pretrained size).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core.vit.adapters import ViTAdapter, adapt

Interpolation = Literal["nearest", "bilinear", "bicubic"]
_PIL_RESAMPLE: dict[int, Interpolation] = {0: "nearest", 2: "bilinear", 3: "bicubic"}
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as PIL's RGB -> L


@dataclass(frozen=True)
class Preprocessing:
    """How [0, 1] pixels ``[C, h, w]`` become a model input ``[C, H, W]``.

    ``resize_to``: an int resizes the shorter edge to it, ``(h, w)`` resizes to exactly that,
    ``None`` resizes to ``size``; then the centre ``size`` crop is taken. The input is
    (pixels · ``scale`` − mean) / std per channel. ``source`` says where the values came from.
    """

    size: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resize_to: int | tuple[int, int] | None = None
    interpolation: Interpolation = "bilinear"
    scale: float = 1.0
    source: str = "none"

    def __post_init__(self) -> None:
        if len(self.mean) != len(self.std):
            raise ValueError(
                f"mean and std need one value per channel, got {self.mean}, {self.std}"
            )
        if not all(math.isfinite(s) and s > 0 for s in self.std):
            raise ValueError(f"std must be finite and > 0, got {self.std}")
        if not all(math.isfinite(m) for m in self.mean):
            raise ValueError(f"mean must be finite, got {self.mean}")
        if self.interpolation not in _PIL_RESAMPLE.values():
            raise ValueError(
                f"interpolation must be one of {tuple(_PIL_RESAMPLE.values())}, "
                f"got {self.interpolation!r}"
            )

    @property
    def channels(self) -> int:
        return len(self.mean)

    def describe(self, resize: bool = True) -> str:
        """One line: the source, mean/std and (with ``resize``) the resize policy."""
        if not resize:
            resize_text = ""
        elif self.resize_to is None:
            resize_text = f"; {self.interpolation} resize to {self.size[0]}x{self.size[1]}"
        else:
            to = self.resize_to
            to = f"shorter edge {to}" if isinstance(to, int) else f"{to[0]}x{to[1]}"
            resize_text = (
                f"; {self.interpolation} resize to {to}, centre crop {self.size[0]}x{self.size[1]}"
            )
        scale = "" if self.scale == 1 else f"pixels x {self.scale:g}, "
        numbers = ", ".join(f"{v:.4g}" for v in self.mean), ", ".join(f"{v:.4g}" for v in self.std)
        return f"{self.source}: {scale}mean ({numbers[0]}), std ({numbers[1]}){resize_text}"

    def override(self, mean: Sequence[float], std: Sequence[float]) -> Preprocessing:
        """The same resize policy with the user's ``mean`` and ``std`` for [0, 1] pixels.

        One value applies to every channel.
        """
        mean = _per_channel(mean, self.channels, "mean")
        std = _per_channel(std, self.channels, "std")
        return replace(self, mean=mean, std=std, scale=1.0, source="user mean/std")

    def unnormalised(self) -> Preprocessing:
        """The same resize policy, pixels left in [0, 1]."""
        ones = (1.0,) * self.channels
        zeros = (0.0,) * self.channels
        return replace(self, mean=zeros, std=ones, scale=1.0, source="unnormalised by request")

    def normalize(self, pixels: Tensor) -> Tensor:
        """(pixels · scale − mean) / std over the channel dim of ``[..., C, H, W]``."""
        if pixels.shape[-3] != self.channels:
            raise ValueError(
                f"pixels must have {self.channels} channel(s), got shape {list(pixels.shape)}"
            )
        mean = pixels.new_tensor(self.mean)[:, None, None]
        std = pixels.new_tensor(self.std)[:, None, None]
        return (pixels * self.scale - mean) / std

    def resize(self, pixels: Tensor) -> Tensor:
        """``[C, h, w]`` -> ``[C, H, W]``: antialiased resize as ``resize_to`` says, centre crop."""
        h, w = pixels.shape[-2:]
        if self.resize_to is None:
            target = self.size
        elif isinstance(self.resize_to, int):  # shorter edge, aspect kept (torchvision's rule)
            short, long = sorted((h, w))
            other = int(self.resize_to * long / short)
            target = (self.resize_to, other) if h <= w else (other, self.resize_to)
        else:
            target = self.resize_to
        if target[0] < self.size[0] or target[1] < self.size[1]:
            raise ValueError(f"resize_to: {target} is smaller than the crop {self.size}")
        if (h, w) != tuple(target):
            mode = self.interpolation
            pixels = F.interpolate(
                pixels[None], size=target, mode=mode, antialias=mode != "nearest",
                **({} if mode == "nearest" else {"align_corners": False}),
            )[0].clamp(0, 1)  # fmt: skip
        top = int(round((target[0] - self.size[0]) / 2))
        left = int(round((target[1] - self.size[1]) / 2))
        return pixels[:, top : top + self.size[0], left : left + self.size[1]]


def _per_channel(values: Sequence[float], channels: int, name: str) -> tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) == 1:
        return values * channels
    if len(values) != channels:
        raise ValueError(f"{name} needs 1 or {channels} values, got {len(values)}: {values}")
    return values


def resolve_preprocessing(
    model: nn.Module | ViTAdapter, checkpoint_dir: str | Path | None = None
) -> Preprocessing:
    """The model's own preprocessing, from its host library's config (module docstring).

    ``checkpoint_dir``: where an HF model's ``preprocessor_config.json`` lives (default: the
    folder it was loaded from). Hosts without a known rule get [0, 1] pixels, saying so.
    """
    adapter = adapt(model)
    rule = {"paperzoo": _smallvit, "timm": _timm, "hf": _hf}.get(adapter.host)
    if rule is None:
        return _identity(adapter, f"none known for {adapter.host} models ([0, 1] pixels)")
    return rule(adapter, checkpoint_dir)


def _identity(adapter: ViTAdapter, source: str) -> Preprocessing:
    c = adapter.in_chans
    return Preprocessing(tuple(adapter.image_size), (0.0,) * c, (1.0,) * c, source=source)


def _smallvit(adapter: ViTAdapter, _dir: str | Path | None) -> Preprocessing:
    return _identity(adapter, "paperzoo ViT ([0, 1] pixels, as trained)")


def _timm(adapter: ViTAdapter, _dir: str | Path | None) -> Preprocessing:
    from timm.data import DEFAULT_CROP_PCT, resolve_model_data_config

    cfg = resolve_model_data_config(adapter.model)
    tag = getattr(adapter.model, "pretrained_cfg", None) or {}
    name = tag.get("architecture", "")
    name = f"{name}.{tag['tag']}" if name and tag.get("tag") else name
    source = f"timm data config ({name})" if name else "timm data config (timm defaults)"
    size = tuple(adapter.image_size)
    crop_pct = float(cfg.get("crop_pct") or DEFAULT_CROP_PCT)
    mode = cfg.get("crop_mode", "center")
    if mode not in ("center", "squash"):
        raise ValueError(f"model: timm crop_mode {mode!r} is not supported (center, squash)")
    scaled = tuple(math.floor(s / crop_pct) for s in size)
    square = size[0] == size[1] and mode == "center"
    resize_to = scaled[0] if square else scaled
    interpolation = cfg.get("interpolation", "bilinear")
    if interpolation not in _PIL_RESAMPLE.values():
        raise ValueError(f"model: timm interpolation {interpolation!r} is not supported")
    mean = _config_channels(cfg["mean"], adapter, source)
    std = _config_channels(cfg["std"], adapter, source)
    return Preprocessing(size, mean, std, resize_to, interpolation, source=source)


def _hf(adapter: ViTAdapter, checkpoint_dir: str | Path | None) -> Preprocessing:
    folder = checkpoint_dir or getattr(adapter.model, "name_or_path", "") or ""
    path = Path(folder) / "preprocessor_config.json"
    if not folder or not path.is_file():
        where = f"in {folder}" if folder else "(model not loaded from a folder)"
        return _identity(adapter, f"none (no preprocessor_config.json {where}; [0, 1] pixels)")
    try:
        cfg = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"model: cannot read {path} ({err})") from err
    source = f"HF {path}"
    size = tuple(adapter.image_size)
    c = adapter.in_chans
    mean, std = (0.0,) * c, (1.0,) * c
    if cfg.get("do_normalize", True) and "image_mean" in cfg:
        mean = _config_channels(cfg["image_mean"], adapter, source)
        std = _config_channels(cfg.get("image_std", 1.0), adapter, source)
    scale = (
        255.0 * float(cfg.get("rescale_factor", 1 / 255)) if cfg.get("do_rescale", True) else 255.0
    )
    scale = 1.0 if math.isclose(scale, 1.0) else scale  # rescale_factor 1/255: [0, 1] as read
    resize_to = _hf_size(cfg.get("size"), size) if cfg.get("do_resize", True) else size
    crop = _hf_size(cfg.get("crop_size"), size) if cfg.get("do_center_crop", False) else resize_to
    if crop != size:  # also a shorter-edge resize without a crop: no fixed input size
        raise ValueError(f"model: {path} does not make the {size[0]}x{size[1]} inputs it takes")
    resample = cfg.get("resample", 2)
    if resample not in _PIL_RESAMPLE:
        raise ValueError(f"model: {path} resample={resample!r} is not supported (0, 2, 3)")
    resize_to = None if resize_to == size else resize_to
    return Preprocessing(size, mean, std, resize_to, _PIL_RESAMPLE[resample], scale, source)


def _hf_size(value: object, fallback: tuple[int, int]) -> int | tuple[int, int]:
    """HF ``size``/``crop_size``: ``{"height", "width"}``, ``{"shortest_edge"}`` or an int."""
    if value is None:
        return fallback
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, dict) and "height" in value and "width" in value:
        return (int(value["height"]), int(value["width"]))
    if isinstance(value, dict) and "shortest_edge" in value:
        return int(value["shortest_edge"])
    raise ValueError(f"model: preprocessor size {value!r} is not supported")


def _config_channels(values: object, adapter: ViTAdapter, source: str) -> tuple[float, ...]:
    values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
    if len(values) not in (1, adapter.in_chans):
        raise ValueError(
            f"model: {source} gives {len(values)} mean/std values for a {adapter.in_chans}-channel "
            "model; pass the model's own mean and std"
        )
    return _per_channel(values, adapter.in_chans, "mean/std")


def read_image(path: str | Path, background: float | None = None) -> Tensor:
    """An image file as float32 ``[C, h, w]`` in [0, 1] (C = 1 grey, 3 colour), by its bit depth.

    8-bit images divide by 255, 16-bit greyscale by 65535 (PIL reads 16-bit colour as 8-bit).
    Transparent pixels are composited on a grey ``background`` in [0, 1]; with ``None`` an image
    with any transparent pixel is refused (a fully opaque alpha channel is simply dropped).
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if background is not None and not 0 <= background <= 1:
        raise ValueError(f"background must be in [0, 1], got {background!r}")
    if not path.is_file():
        raise FileNotFoundError(f"image: no such file {path}")
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"image: cannot read {path} as an image ({err})") from err
    if img.mode in ("I", "F"):
        kind = "float" if img.mode == "F" else "integer"
        raise ValueError(
            f"image: {path.name} is a 32-bit {kind} image, whose value range is unknown; "
            "save it as an 8- or 16-bit PNG"
        )
    if img.mode.startswith("I;16"):
        array = np.asarray(img, dtype=np.float32)[..., None] / 65535.0
        alpha = None
    else:
        grey = img.mode in ("1", "L", "LA", "La")
        transparent = img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info
        mode = ("L" if grey else "RGB") + ("A" if transparent else "")
        array = np.asarray(img.convert(mode), dtype=np.float32).reshape(img.height, img.width, -1)
        array, alpha = (array[..., :-1], array[..., -1:]) if transparent else (array, None)
        array = array / 255.0
        alpha = None if alpha is None else alpha / 255.0
    if alpha is not None and (alpha < 1).any():
        if background is None:
            raise ValueError(
                f"image: {path.name} has transparent pixels; give a background grey level in "
                "[0, 1] to composite them on (--background), or remove the alpha channel"
            )
        array = array * alpha + background * (1 - alpha)
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).contiguous()


def to_channels(pixels: Tensor, channels: int) -> Tensor:
    """``[C, h, w]`` with C in {1, 3} -> ``channels``: grey repeated, or RGB to ITU-R 601 luma."""
    if channels not in (1, 3):
        raise ValueError(f"model: only 1- or 3-channel models can read image files, got {channels}")
    if pixels.shape[0] == channels:
        return pixels
    if channels == 3:
        return pixels.expand(3, -1, -1).contiguous()
    return (pixels * pixels.new_tensor(_LUMA)[:, None, None]).sum(0, keepdim=True)
