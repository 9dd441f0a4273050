import numpy as np
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

from paperzoo.bimtdp.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """A smoke-scale Bi-MTDP-F student and an FP model trained through the CLI."""
    folder = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for variant in ("f", "fp"):
        paths[variant] = folder / f"{variant}.pt"
        args = ["train", "--variant", variant, "--scale", "smoke", "--out", str(paths[variant])]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "semseg" in result.output
    return paths


@pytest.mark.slow
def test_train_evaluate_export_predict(checkpoints, tmp_path):
    result = runner.invoke(app, ["evaluate", str(checkpoints["f"])])
    assert result.exit_code == 0, result.output
    assert "delta_m" in result.output
    out = tmp_path / "packed.pt"
    result = runner.invoke(app, ["export-packed", str(checkpoints["f"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "not a multiple of 64" in result.output  # 8-channel smoke model
    image = tmp_path / "room.png"
    mpimg.imsave(image, np.random.default_rng(0).random((40, 30)), cmap="gray")
    maps = tmp_path / "maps.png"
    args = ["predict", str(image), "--checkpoint", str(checkpoints["f"]), "--out", str(maps)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert maps.is_file() and "resized 30×40" in result.output


@pytest.mark.slow
def test_user_errors_print_one_error_line(checkpoints, tmp_path):
    cases = [
        (["train", "--tasks", "semseg,edges", "--scale", "smoke"], "tasks: unknown"),
        (["train", "--variant", "z", "--scale", "smoke"], "variant: unknown"),
        (["predict", str(tmp_path / "none.png"), "--checkpoint", str(checkpoints["f"])],
         "no such file"),
        (["export-packed", str(checkpoints["fp"])], "no binary convs"),
        (["kernel", "--name", "gpu"], "kernel: unknown"),
    ]  # fmt: skip
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    sub = tmp_path / "semseg.pt"
    result = runner.invoke(app, ["train", "--variant", "fp", "--tasks", "semseg", "--scale",
                                 "smoke", "--out", str(sub)])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["train", "--variant", "f", "--scale", "smoke", "--teacher",
                                 str(sub)])  # fmt: skip
    assert result.exit_code == 1 and "teacher/student mismatch: tasks" in result.output


def test_kernel_command_names_the_kernel():
    result = runner.invoke(app, ["kernel"])
    assert result.exit_code == 0 and "kernel:" in result.output and "CPU flags" in result.output


def test_forcing_amx_without_it_is_one_error_line(monkeypatch):
    from paperzoo.bimtdp import packed

    monkeypatch.setattr(packed, "cpu_flags", lambda: {"avx2", "popcnt"})
    packed._backend.cache_clear()
    try:
        result = runner.invoke(app, ["kernel", "--name", "amx"])
    finally:
        packed._backend.cache_clear()
    assert result.exit_code == 1 and "error: kernel 'amx': CPU lacks amx_tile" in result.output
