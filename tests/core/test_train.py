import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from paperzoo.core.train import TrainConfig, cross_entropy_loss, train

WORKER = Path(__file__).with_name("ddp_worker.py")


def test_single_process_training_reduces_loss():
    torch.manual_seed(0)
    x = torch.randn(256, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    result = train(
        model,
        TensorDataset(x, y),
        cross_entropy_loss,
        TrainConfig(epochs=15, batch_size=32, lr=1e-2, device="cpu"),
    )
    assert result.steps == 15 * 8
    assert result.epoch_losses[-1] < 0.5 * result.epoch_losses[0]
    assert (model(x).argmax(1) == y).float().mean() > 0.9


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", 0), ("lr", 0.0)])
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


@pytest.mark.slow
def test_torchrun_two_processes_synchronise_gradients(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path.cwd())}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(WORKER),
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["steps"] == r1["steps"] == 1  # 16 samples, 2 ranks, batch 8: one step each
    # each rank saw a different half of the data
    assert not torch.equal(r0["x"], r1["x"])
    # the gradient after backward is the same on both ranks ...
    torch.testing.assert_close(r0["grad_w"], r1["grad_w"])
    torch.testing.assert_close(r0["grad_b"], r1["grad_b"])
    # ... and equals the full-batch gradient over the union of both shards (independent check)
    model = nn.Linear(5, 3)
    model.load_state_dict(r0["init"])
    x = torch.cat([r0["x"], r1["x"]])
    y = torch.cat([r0["y"], r1["y"]])
    nn.functional.cross_entropy(model(x), y).backward()
    torch.testing.assert_close(r0["grad_w"], model.weight.grad)
    torch.testing.assert_close(r0["grad_b"], model.bias.grad)
    # the local gradient differs from the synchronised one (so DDP really averaged)
    local = nn.Linear(5, 3)
    local.load_state_dict(r0["init"])
    nn.functional.cross_entropy(local(r0["x"]), r0["y"]).backward()
    assert not torch.allclose(local.weight.grad, r0["grad_w"])
    for k in r0["final"]:
        torch.testing.assert_close(r0["final"][k], r1["final"][k])
    assert r0["epoch_loss"] == pytest.approx(r1["epoch_loss"])
