"""``paperzoo tokentm explain``: the model's preprocessing, image decoding and output files."""

import argparse
import os
import stat

import numpy as np
import pytest
import timm
import torch
import transformers
from PIL import Image

from paperzoo.cli import main
from paperzoo.core.vit import SmallViT, ViTConfig
from paperzoo.tokentm import cli as tokentm_cli

GREY = ViTConfig(image_size=16, patch_size=8, in_chans=1, num_classes=3, dim=16, depth=1, heads=2)


def _cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(["tokentm", "explain", *args])
    return exit_info.value.code


@pytest.fixture
def use_model(monkeypatch):
    """Make ``--model`` resolve to the given module; return the inputs its forwards receive."""
    seen: list[torch.Tensor] = []

    def install(model: torch.nn.Module) -> list[torch.Tensor]:
        model.register_forward_pre_hook(lambda _m, args: seen.append(args[0].detach().clone()))
        monkeypatch.setattr(tokentm_cli, "_model", lambda _spec: (model, None))
        return seen

    return install


def _timm_tiny() -> torch.nn.Module:
    torch.manual_seed(0)
    return timm.create_model(
        "vit_tiny_patch16_224", pretrained=False, img_size=32, patch_size=8, depth=1,
        num_classes=3,
    ).eval()  # fmt: skip


def _rgb(path, h: int = 32, w: int = 32) -> torch.Tensor:
    array = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(array).save(path)
    return torch.from_numpy(array / 255.0).float().permute(2, 0, 1)[None]


def test_explain_feeds_the_timm_models_own_preprocessing(tmp_path, use_model, capsys):
    seen = use_model(_timm_tiny())
    pixels = _rgb(tmp_path / "img.png")
    out = str(tmp_path / "m.png")
    assert _cli(str(tmp_path / "img.png"), "--method", "raw_attention", "--out", out) == 0
    printed = capsys.readouterr().out
    assert (
        "preprocessing: timm data config (vit_tiny_patch16_224.augreg_in21k_ft_in1k): " in printed
    )
    assert "mean (0.5, 0.5, 0.5), std (0.5, 0.5, 0.5)" in printed
    torch.testing.assert_close(seen[0], (pixels - 0.5) / 0.5)
    seen.clear()
    assert _cli(str(tmp_path / "img.png"), "--no-normalize", "--out", out) == 0
    torch.testing.assert_close(seen[0], pixels)
    seen.clear()
    assert (
        _cli(str(tmp_path / "img.png"), "--mean", "0.1", "--std", "0.2,0.4,0.5", "--out", out) == 0
    )
    std = torch.tensor([0.2, 0.4, 0.5])[:, None, None]
    torch.testing.assert_close(seen[0], (pixels - 0.1) / std)
    assert "user mean/std: mean (0.1, 0.1, 0.1)" in capsys.readouterr().out
    assert _cli(str(tmp_path / "img.png"), "--mean", "0.1", "--out", out) == 2
    assert "--mean and --std go together" in capsys.readouterr().err
    assert _cli(str(tmp_path / "img.png"), "--mean", "a", "--std", "1", "--out", out) == 2
    assert "mean: expected comma-separated numbers" in capsys.readouterr().err


def test_explain_resize_follows_the_timm_crop(tmp_path, use_model, capsys):
    seen = use_model(_timm_tiny())
    pixels = _rgb(tmp_path / "wide.png", 40, 70)
    assert _cli(str(tmp_path / "wide.png"), "--resize", "--out", str(tmp_path / "m.png")) == 0
    assert "bicubic resize to shorter edge 35, centre crop 32x32" in capsys.readouterr().out
    resized = torch.nn.functional.interpolate(
        pixels, size=(35, 61), mode="bicubic", antialias=True, align_corners=False
    ).clamp(0, 1)[..., 2:34, 14:46]  # 70·35/40 = 61 wide; centre crop offsets 1.5 -> 2, 14.5 -> 14
    torch.testing.assert_close(seen[0], (resized - 0.5) / 0.5)


def test_explain_hf_folder_uses_its_preprocessor_config(tmp_path, capsys):
    cfg = transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=3,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.ViTForImageClassification(cfg).save_pretrained(tmp_path / "hf")
    transformers.ViTImageProcessor(
        image_mean=[0.1, 0.2, 0.3], image_std=[0.4, 0.5, 0.6]
    ).save_pretrained(tmp_path / "hf")
    _rgb(tmp_path / "img.png")
    code = _cli(str(tmp_path / "img.png"), "--model", f"hf:{tmp_path / 'hf'}", "--out",
                str(tmp_path / "m.png"))  # fmt: skip
    assert code == 2  # the saved processor resizes to 224x224, the model takes 32x32
    assert "does not make the 32x32 inputs it takes" in capsys.readouterr().err
    transformers.ViTImageProcessor(
        size={"height": 32, "width": 32}, image_mean=[0.1, 0.2, 0.3], image_std=[0.4, 0.5, 0.6]
    ).save_pretrained(tmp_path / "hf")
    code = _cli(str(tmp_path / "img.png"), "--model", f"hf:{tmp_path / 'hf'}", "--out",
                str(tmp_path / "m.png"))  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "preprocessor_config.json: mean (0.1, 0.2, 0.3), std (0.4, 0.5, 0.6)" in printed


def _png16(path, array: np.ndarray) -> None:
    Image.fromarray(array).save(path)  # PIL writes uint16 greyscale as a 16-bit PNG
    assert Image.open(path).mode == "I;16"


@pytest.mark.parametrize("resize", [False, True])
def test_explain_reads_16_bit_png_by_bit_depth(tmp_path, use_model, resize):
    torch.manual_seed(0)
    seen = use_model(SmallViT(GREY).eval())
    array = np.linspace(0, 65535, 16 * 16).reshape(16, 16).astype(np.uint16)
    _png16(tmp_path / "g16.png", array)
    args = ["--resize"] if resize else []
    assert _cli(str(tmp_path / "g16.png"), *args, "--out", str(tmp_path / "m.png")) == 0
    torch.testing.assert_close(seen[0], torch.from_numpy(array / 65535.0).float()[None, None])


def test_explain_refuses_or_composites_transparency(tmp_path, use_model, capsys):
    torch.manual_seed(0)
    seen = use_model(SmallViT(GREY).eval())
    rgba = np.zeros((16, 16, 2), np.uint8)
    rgba[..., 0], rgba[..., 1] = 100, 128  # grey 100 at alpha ~0.5
    Image.fromarray(rgba, "LA").save(tmp_path / "la.png")
    out = str(tmp_path / "m.png")
    assert _cli(str(tmp_path / "la.png"), "--out", out) == 2
    assert "la.png has transparent pixels" in capsys.readouterr().err
    assert _cli(str(tmp_path / "la.png"), "--background", "1", "--out", out) == 0
    alpha = 128 / 255
    torch.testing.assert_close(seen[0], torch.full((1, 1, 16, 16), 100 / 255 * alpha + 1 - alpha))


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".jpg", b"\xff\xd8\xff"), (".JPEG", b"\xff\xd8\xff"), (".pdf", b"%PDF"),
                          (".svg", b"<?xml"), (".png", b"\x89PNG")],
)  # fmt: skip
def test_out_suffix_names_the_format(tmp_path, use_model, suffix, magic):
    torch.manual_seed(0)
    use_model(SmallViT(GREY).eval())
    Image.new("L", (16, 16), 90).save(tmp_path / "img.png")
    out = tmp_path / f"m{suffix}"
    assert _cli(str(tmp_path / "img.png"), "--method", "raw_attention", "--out", str(out)) == 0
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("name", ["m.bmp", "m.txt", "m"])
def test_unknown_out_suffix_is_refused_before_any_work(tmp_path, use_model, capsys, name):
    seen = use_model(SmallViT(GREY).eval())
    Image.new("L", (16, 16), 90).save(tmp_path / "img.png")
    assert _cli(str(tmp_path / "img.png"), "--out", str(tmp_path / name)) == 2
    assert "out: cannot write" in capsys.readouterr().err
    assert not seen and not (tmp_path / name).exists()


def test_out_file_honours_the_umask(tmp_path, use_model):
    use_model(SmallViT(GREY).eval())
    Image.new("L", (16, 16), 90).save(tmp_path / "img.png")
    old = os.umask(0o022)
    try:
        assert _cli(str(tmp_path / "img.png"), "--out", str(tmp_path / "m.png")) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.png").stat().st_mode) == 0o644


@pytest.mark.parametrize("kind", ["paperzoo", "timm"])
def test_garbage_checkpoint_gives_one_line(tmp_path, capsys, kind):
    Image.new("RGB", (32, 32)).save(tmp_path / "img.png")
    (tmp_path / "bad.pth").write_bytes(b"\x00garbage")
    torch.save({"cfg": argparse.Namespace(lr=0.1)}, tmp_path / "pickled.pth")
    prefix = "timm:vit_tiny_patch16_224:" if kind == "timm" else ""
    for name, reason in [
        ("bad.pth", "corrupt or not a torch file (UnpicklingError: Unsupported operand 0)"),
        ("pickled.pth", "save the model's state_dict() instead"),
    ]:
        assert _cli(str(tmp_path / "img.png"), "--model", prefix + str(tmp_path / name)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and reason in err and "weights_only" not in err
