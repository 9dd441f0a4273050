import os
import stat

import pytest
import torch
from torch import nn

from paperzoo.core.io import (
    atomic_write,
    ensure_writable_dir,
    load_checkpoint,
    load_weights_only,
    save_checkpoint,
)


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half-written")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temp file left behind
    with atomic_write(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = save_checkpoint(tmp_path / "ckpt" / "m.pt", model, {"epochs": 3, "acc": 0.91})
    clone = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    payload = load_checkpoint(path, clone)
    assert payload["meta"] == {"epochs": 3, "acc": 0.91}
    x = torch.randn(5, 3)
    torch.testing.assert_close(clone(x), model(x))


def test_checkpoint_errors_are_clear(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(FileNotFoundError, match="checkpoint: no such file"):
        load_checkpoint(tmp_path / "missing.pt", model)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(corrupt, model)
    path = save_checkpoint(tmp_path / "m.pt", nn.Linear(3, 5))
    with pytest.raises(ValueError, match=r"shape mismatch.*weight"):
        load_checkpoint(path, model)
    path = save_checkpoint(tmp_path / "seq.pt", nn.Sequential(nn.Linear(3, 2)))
    with pytest.raises(ValueError, match=r"missing keys \['bias', 'weight'\].*unexpected keys"):
        load_checkpoint(path, model)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="state_dict"):
        load_checkpoint(tmp_path / "other.pt", model)


def test_unwritable_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PermissionError, match="out: cannot create"):
        ensure_writable_dir(blocker / "sub")


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_atomic_write_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with atomic_write(tmp_path / "out.txt") as handle:
            handle.write("x")
        open(tmp_path / "plain.txt", "w").close()
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "out.txt").stat().st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)


def test_refused_checkpoints_give_one_line_without_unpickling_advice(tmp_path):
    import argparse

    (tmp_path / "garbage.pt").write_bytes(b"\x00garbage")
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"args": argparse.Namespace(lr=0.1)}, tmp_path / "pickled.pt")
    expected = {
        "garbage.pt": "corrupt or not a torch file (UnpicklingError: Unsupported operand 0)",
        "empty.pt": "corrupt or not a torch file (EOFError)",
        "pickled.pt": "holds a pickled Python object (argparse.Namespace), not only tensors",
    }
    for name, reason in expected.items():
        with pytest.raises(ValueError) as info:
            load_weights_only(tmp_path / name)
        message = str(info.value)
        assert reason in message and "\n" not in message and "weights_only" not in message
