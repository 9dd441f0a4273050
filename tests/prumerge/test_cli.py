"""``paperzoo prumerge reduce`` on a saved checkpoint and a PNG; user errors are one line."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import torch

from paperzoo import cli
from paperzoo.core.vit.load import save_small_vit
from paperzoo.core.vit.model import SmallViT, ViTConfig


def _run(argv: list[str]) -> int:
    try:
        cli.main(argv)
    except SystemExit as err:
        return int(err.code or 0)
    return 0


def _setup(tmp_path):
    torch.manual_seed(0)
    model = SmallViT(ViTConfig(image_size=16, patch_size=4, dim=32, depth=2, heads=2))
    ckpt = save_small_vit(tmp_path / "vit.pt", model)
    image = tmp_path / "img.png"
    mpimg.imsave(image, np.random.default_rng(0).random((20, 24, 3)))
    return ckpt, image


def test_reduce_prints_k_and_writes_the_overlay(tmp_path, capsys):
    ckpt, image = _setup(tmp_path)
    out = tmp_path / "overlay.png"
    argv = ["prumerge", "reduce", str(image), "--model", str(ckpt), "--out", str(out), "--plus"]
    assert _run(argv) == 0
    text = capsys.readouterr().out
    assert "k = " in text and "of 16" in text and out.is_file()
    assert mpimg.imread(out).shape[-1] in (3, 4)


def test_reduce_user_errors_print_one_error_line(tmp_path, capsys):
    ckpt, image = _setup(tmp_path)
    for argv in (
        ["prumerge", "reduce", str(tmp_path / "missing.png"), "--model", str(ckpt)],
        ["prumerge", "reduce", str(image), "--model", str(ckpt), "--attention", "mean"],
    ):
        assert _run(argv) != 0
        err_text = capsys.readouterr().err
        assert err_text.startswith("error:") and err_text.count("\n") == 1
