import pytest
from click.testing import CliRunner

from paperzoo import cli as cli_module


def _run(*args):
    return CliRunner().invoke(cli_module.cli, ["navdiff", *args])


def test_help_lists_the_commands():
    out = _run("--help")
    assert out.exit_code == 0
    assert all(c in out.output for c in ("train", "evaluate", "demo"))


def test_missing_checkpoint_is_one_error_line(tmp_path):
    out = _run("evaluate", str(tmp_path / "none.pt"))
    assert out.exit_code != 0 and "error: checkpoint" in out.output


@pytest.mark.slow
def test_train_evaluate_demo_round_trip(tmp_path):
    ckpt = tmp_path / "nd.pt"
    out = _run("train", "--out", str(ckpt), "--mazes", "8", "--planner-steps", "3",
               "--diffusion-steps", "3", "--size", "9")  # fmt: skip
    assert out.exit_code == 0, out.output
    out = _run("evaluate", str(ckpt), "--episodes", "3", "--n-plans", "4")
    assert out.exit_code == 0, out.output
    assert "success" in out.output and "episode seeds" in out.output
    bad = _run("evaluate", str(ckpt), "--selection", "best")
    assert bad.exit_code != 0 and "error: selection" in bad.output
    gif = tmp_path / "ep.gif"
    out = _run("demo", "--out", str(gif), "--checkpoint", str(ckpt), "--n-plans", "4")
    assert out.exit_code == 0, out.output
    from PIL import Image

    with Image.open(gif) as img:
        assert img.format == "GIF" and img.n_frames >= 2


def test_damaged_or_foreign_checkpoint_is_one_error_line(tmp_path):
    import torch

    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"not a torch file")
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    for path, text in ((damaged, "corrupt or not a torch file"), (foreign, "not a navdiff")):
        out = _run("evaluate", str(path))
        said = " ".join(out.output.split())  # the console wraps long lines
        assert out.exit_code == 2 and said.startswith("error: checkpoint") and text in said
        assert "Traceback" not in said


def test_no_episodes_is_one_error_line(tmp_path):
    out = _run("evaluate", str(tmp_path / "none.pt"), "--episodes", "0")
    assert out.exit_code == 2 and "error: episodes and rounds must be >= 1" in out.output
