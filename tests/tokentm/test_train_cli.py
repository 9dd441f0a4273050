import json

import pytest
import torch
from PIL import Image

from paperzoo.cli import main
from paperzoo.core.vit import SmallViT, ViTConfig, save_small_vit
from paperzoo.tokentm.repro import SEGMENTATION, _compare

TINY = ViTConfig(dim=16, depth=1, heads=2)


def _cli(*args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_cli_explain_and_errors(tmp_path, capsys):
    torch.manual_seed(0)
    save_small_vit(tmp_path / "vit.pt", SmallViT(TINY))
    Image.new("L", (32, 32), 128).save(tmp_path / "ok.png")
    Image.new("RGB", (64, 48)).save(tmp_path / "big.png")
    out = tmp_path / "map.png"
    assert _cli("tokentm", "explain", str(tmp_path / "ok.png"), "--model", str(tmp_path / "vit.pt"),
                "--out", str(out)) == 0  # fmt: skip
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert _cli("tokentm", "explain", str(tmp_path / "big.png"), "--model",
                str(tmp_path / "vit.pt")) == 2  # fmt: skip
    assert "64x48 RGB, the model needs 32x32 with 1 channel" in capsys.readouterr().err
    ckpt = str(tmp_path / "vit.pt")
    assert _cli("tokentm", "explain", str(tmp_path / "big.png"), "--model", ckpt,
                "--resize", "--method", "rollout", "--out", str(out)) == 0  # fmt: skip
    assert _cli("tokentm", "explain", str(tmp_path / "ok.png"), "--model", ckpt,
                "--target", "10") == 2  # fmt: skip
    assert "target: class index 10 out of range [0, 10)" in capsys.readouterr().err
    assert _cli("tokentm", "explain", str(tmp_path / "ok.png"), "--model",
                str(tmp_path / "missing.pt")) == 2  # fmt: skip
    assert "no such file" in capsys.readouterr().err


@pytest.mark.fashion_mnist
def test_cli_evaluate_small(tmp_path, capsys):
    torch.manual_seed(0)
    save_small_vit(tmp_path / "vit.pt", SmallViT(TINY))
    code = _cli("tokentm", "evaluate", "--model", str(tmp_path / "vit.pt"), "--n", "8",
                "--methods", "random,genatt", "--out", str(tmp_path))  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "genatt" in text and "random" in text
    assert (tmp_path / "tokentm-evaluate-n8-seed0.png").is_file()
    assert _cli("tokentm", "evaluate", "--methods", "bt", "--model", str(tmp_path / "vit.pt")) == 2


def _runs(margins):
    return [
        {f"margin.{m}.vs_{o}": v for m, _ in SEGMENTATION for o, v in margins.items()}
        for _ in range(3)
    ]


def test_verdicts_are_computed_from_margins():
    others = ["random", "rollout", "raw_attention", "attention_gradcam", "genatt", "chefer_lrp",
              "integrated_gradients"]  # fmt: skip
    assert _compare(_runs(dict.fromkeys(others, 0.1)), SEGMENTATION).status == "reproduced"
    partial = _compare(_runs({**dict.fromkeys(others, 0.1), "genatt": -0.01}), SEGMENTATION)
    assert partial.status == "partial" and "genatt on pixel_accuracy" in partial.reason
    failed = _compare(_runs({**dict.fromkeys(others, 0.1), "rollout": -0.2}), SEGMENTATION)
    assert failed.status == "not reproduced" and "rollout" in failed.reason
    json.dumps(failed.reason)
    runs = [{**r, "vit_test_accuracy": 0.8512} for r in _runs(dict.fromkeys(others, 0.1))]
    assert _compare(runs, SEGMENTATION).reason.startswith("ViT test accuracy 85.1 %; TokenTM")
