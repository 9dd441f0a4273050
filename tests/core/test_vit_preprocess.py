"""Model preprocessing against the host libraries' own transforms, and image decoding."""

import json
import struct
import zlib

import numpy as np
import pytest
import timm
import torch
import transformers
from PIL import Image

from paperzoo.core.vit import SmallViT, ViTConfig, load_hf
from paperzoo.core.vit.preprocess import (
    Preprocessing,
    read_image,
    resolve_preprocessing,
    to_channels,
)


def _photo(h: int = 45, w: int = 60) -> Image.Image:
    """A smooth RGB test image (resampling differences stay small on smooth content)."""
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx / w, yy / h, 0.5 + 0.4 * np.sin(xx / 7.0) * np.cos(yy / 5.0)], -1)
    return Image.fromarray((rgb * 255).round().astype(np.uint8))


def _ours(pre: Preprocessing, img: Image.Image) -> torch.Tensor:
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255).permute(2, 0, 1)
    return pre.normalize(pre.resize(x))


def _timm_model(name: str) -> torch.nn.Module:
    return timm.create_model(name, pretrained=False, img_size=32, patch_size=8, depth=1).eval()


@pytest.mark.parametrize(
    ("name", "mean", "std"),
    [
        ("vit_tiny_patch16_224", (0.5,) * 3, (0.5,) * 3),
        ("deit_tiny_patch16_224", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ("vit_base_patch16_clip_224.openai", (0.48145466, 0.4578275, 0.40821073),
         (0.26862954, 0.26130258, 0.27577711)),
    ],
)  # fmt: skip
def test_timm_models_get_their_data_config(name, mean, std):
    pre = resolve_preprocessing(_timm_model(name))
    assert pre.mean == pytest.approx(mean) and pre.std == pytest.approx(std)
    assert pre.size == (32, 32) and pre.interpolation == "bicubic"
    assert pre.resize_to == 35  # floor(32 / crop_pct 0.9): shorter edge, then the 32x32 crop
    assert name.split(".")[0] in pre.describe() and "centre crop 32x32" in pre.describe()


def test_timm_pipeline_matches_timm_eval_transform():
    from timm.data import create_transform, resolve_model_data_config

    model = _timm_model("vit_base_patch16_clip_224.openai")
    cfg = {**resolve_model_data_config(model), "input_size": (3, 32, 32)}
    img = _photo()
    ref = create_transform(**cfg, is_training=False)(img)
    got = _ours(resolve_preprocessing(model), img)
    assert got.shape == ref.shape == (3, 32, 32)
    # PIL resamples uint8 images, torch float ones: the two differ by rounding only
    assert (got - ref).abs().mean() < 0.01 and (got - ref).abs().max() < 0.03


def _hf_dir(tmp_path, processor=None):
    cfg = transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=3,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.ViTForImageClassification(cfg).save_pretrained(tmp_path)
    if processor is not None:
        processor.save_pretrained(tmp_path)
    return load_hf(tmp_path)


@pytest.mark.parametrize("kind", ["vit", "clip"])
def test_hf_pipeline_matches_its_image_processor(tmp_path, kind):
    if kind == "vit":
        processor = transformers.ViTImageProcessor(
            size={"height": 32, "width": 32}, image_mean=[0.1, 0.2, 0.3], image_std=[0.4, 0.5, 0.6]
        )
    else:
        processor = transformers.CLIPImageProcessor(
            size={"shortest_edge": 36}, crop_size={"height": 32, "width": 32}
        )
    model = _hf_dir(tmp_path, processor)
    assert json.loads((tmp_path / "preprocessor_config.json").read_text())
    pre = resolve_preprocessing(model)
    assert str(tmp_path / "preprocessor_config.json") in pre.describe()
    assert pre.mean == pytest.approx(tuple(processor.image_mean))
    img = _photo()
    ref = processor(images=img, return_tensors="pt")["pixel_values"][0]
    got = _ours(pre, img)
    assert got.shape == ref.shape == (3, 32, 32)
    assert (got - ref).abs().mean() < 0.01 and (got - ref).abs().max() < 0.03


def test_hf_without_processor_config_and_smallvit_keep_pixels(tmp_path):
    pre = resolve_preprocessing(_hf_dir(tmp_path))
    assert "no preprocessor_config.json" in pre.describe()
    small = resolve_preprocessing(SmallViT(ViTConfig(image_size=8, patch_size=4, dim=8, heads=2)))
    x = torch.rand(1, 1, 8, 8)
    for p in (pre, small):
        assert set(p.mean) == {0.0} and set(p.std) == {1.0}
    torch.testing.assert_close(small.normalize(x), x)


def test_hf_processor_config_that_contradicts_the_model_is_refused(tmp_path):
    processor = transformers.ViTImageProcessor(size={"height": 64, "width": 64})
    model = _hf_dir(tmp_path, processor)
    with pytest.raises(ValueError, match="does not make the 32x32 inputs"):
        resolve_preprocessing(model)


def test_override_and_validation():
    pre = resolve_preprocessing(_timm_model("vit_tiny_patch16_224"))
    user = pre.override((0.1,), (0.2, 0.3, 0.4))
    assert (
        user.mean == (0.1,) * 3 and user.std == (0.2, 0.3, 0.4) and user.source.startswith("user")
    )
    assert user.resize_to == pre.resize_to
    x = torch.rand(2, 3, 4, 4)
    torch.testing.assert_close(pre.unnormalised().normalize(x), x)
    torch.testing.assert_close(pre.normalize(x), (x - 0.5) / 0.5)
    with pytest.raises(ValueError, match="mean needs 1 or 3 values"):
        pre.override((0.1, 0.2), (0.3,))
    with pytest.raises(ValueError, match="std must be finite and > 0"):
        pre.override((0.1,), (0.0,))
    with pytest.raises(ValueError, match="pixels must have 3 channel"):
        pre.normalize(torch.rand(1, 1, 4, 4))


def _png16(path, array: np.ndarray, color_type: int) -> None:
    """Write a 16-bit PNG by hand (PIL writes 16-bit greyscale only)."""
    h, w = array.shape[:2]
    raw = b"".join(b"\x00" + array[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def test_16_bit_images_scale_by_their_bit_depth(tmp_path):
    grey = np.linspace(0, 65535, 12 * 10).reshape(12, 10).astype(np.uint16)
    _png16(tmp_path / "g16.png", grey, 0)
    got = read_image(tmp_path / "g16.png")
    torch.testing.assert_close(got, torch.from_numpy(grey / 65535.0).float()[None])
    rgb = np.full((4, 4, 3), 30000, np.uint16)
    _png16(tmp_path / "rgb16.png", rgb, 2)
    torch.testing.assert_close(read_image(tmp_path / "rgb16.png"), torch.full((3, 4, 4), 117 / 255))


def test_alpha_is_refused_or_composited(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[0, 0, 3] = 51  # one pixel at alpha 0.2
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.raises(ValueError, match="a.png has transparent pixels.*--background"):
        read_image(tmp_path / "a.png")
    got = read_image(tmp_path / "a.png", background=1.0)
    assert got[0, 0, 0].item() == pytest.approx(200 / 255 * 0.2 + 0.8)
    assert got[1, 0, 0].item() == pytest.approx(0.8)  # green 0 on white at alpha 0.2
    assert got[0, 1, 1].item() == pytest.approx(200 / 255)
    rgba[0, 0, 3] = 255  # fully opaque: the alpha channel carries nothing
    Image.fromarray(rgba, "RGBA").save(tmp_path / "opaque.png")
    torch.testing.assert_close(
        read_image(tmp_path / "opaque.png"), got.new_tensor(rgba[..., :3] / 255).permute(2, 0, 1)
    )
    with pytest.raises(ValueError, match="background must be in"):
        read_image(tmp_path / "a.png", background=2.0)


def test_unknown_range_images_are_refused_and_channels_convert(tmp_path):
    Image.fromarray(np.full((4, 4), 3.5, np.float32)).save(tmp_path / "f.tiff")
    with pytest.raises(ValueError, match="32-bit float image"):
        read_image(tmp_path / "f.tiff")
    rgb = torch.rand(3, 2, 2)
    grey = to_channels(rgb, 1)
    torch.testing.assert_close(grey[0], 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
    assert torch.equal(to_channels(grey, 3), grey.expand(3, -1, -1))
