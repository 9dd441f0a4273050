"""Launched by test_train.py under torchrun: one training step, then each rank saves what it saw."""

import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from paperzoo.core.train import TrainConfig, dist_info, shutdown_distributed, train


def main(out: Path) -> None:
    torch.manual_seed(0)  # same data and initial weights on every rank
    x = torch.randn(16, 5)
    y = torch.randint(0, 3, (16,))
    model = nn.Linear(5, 3)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    seen: dict[str, torch.Tensor] = {}

    def loss_fn(m: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        seen["x"], seen["y"] = xb.clone(), yb.clone()
        return nn.functional.cross_entropy(m(xb), yb)

    def on_step(step: int, m: nn.Module, loss: float) -> None:
        seen["grad_w"] = m.weight.grad.clone()
        seen["grad_b"] = m.bias.grad.clone()

    cfg = TrainConfig(epochs=1, batch_size=8, lr=0.1, seed=3, device="cpu")
    result = train(model, TensorDataset(x, y), loss_fn, cfg, on_step=on_step)
    info = dist_info()
    torch.save(
        {
            **seen,
            "init": init,
            "final": model.state_dict(),
            "world_size": info.world_size,
            "steps": result.steps,
            "epoch_loss": result.epoch_losses[0],
        },
        out / f"rank{info.rank}.pt",
    )


if __name__ == "__main__":
    try:
        main(Path(sys.argv[1]))
    finally:
        shutdown_distributed()
