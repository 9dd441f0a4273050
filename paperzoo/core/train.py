"""A small training loop that runs unchanged on one process or under ``torchrun`` (DDP).

Under ``torchrun --nproc_per_node=N`` the loop joins the process group (gloo on CPU, NCCL on CUDA),
wraps the model in ``DistributedDataParallel`` and shards the data with ``DistributedSampler``;
gradients are averaged across processes by DDP. Without ``torchrun`` it is a plain loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, RandomSampler, Sampler

from paperzoo.core.runtime import choose_device

LossFn = Callable[[nn.Module, Tensor, Tensor], Tensor]
StepHook = Callable[[int, nn.Module, float], None]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (AdamW unless an optimizer factory is given)."""

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str | None = None
    num_workers: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")


@dataclass
class TrainResult:
    """Mean training loss per epoch (averaged over all processes) and steps taken."""

    epoch_losses: list[float] = field(default_factory=list)
    steps: int = 0


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info() -> DistInfo:
    """Rank and world size from the ``torchrun`` environment (1 process without it)."""
    return DistInfo(
        int(os.environ.get("RANK", 0)),
        int(os.environ.get("WORLD_SIZE", 1)),
        int(os.environ.get("LOCAL_RANK", 0)),
    )


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group when launched by ``torchrun`` (idempotent)."""
    info = dist_info()
    if info.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return info


def shutdown_distributed() -> None:
    """Leave the process group cleanly (call once at the end of a ``torchrun`` script).

    Without it a rank can exit while gloo's threads still serve its peer, which aborts the
    other process ("terminate called without an active exception").
    """
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def unwrap(model: nn.Module) -> nn.Module:
    """The user's module inside a DDP wrapper (use it for attacks and evaluation inside a loss)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def train(
    model: nn.Module,
    dataset: Dataset,
    loss_fn: LossFn,
    cfg: TrainConfig,
    optimizer: Callable[[list[nn.Parameter]], torch.optim.Optimizer] | None = None,
    on_step: StepHook | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``dataset`` minimising ``loss_fn(model, x, y)``.

    ``on_step(step, model, loss)`` runs after each optimiser step, while ``.grad`` still holds the
    (all-reduced) gradient. Returns per-epoch mean losses averaged over processes.
    """
    device = choose_device(cfg.device)
    info = init_distributed(device)
    if device.type == "cuda" and info.world_size > 1:
        device = torch.device("cuda", info.local_rank)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (
        optimizer(params)
        if optimizer is not None
        else torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    )
    generator = torch.Generator().manual_seed(cfg.seed)
    sampler: Sampler[int]
    if info.world_size > 1:
        sampler = DistributedSampler(
            dataset, info.world_size, info.rank, shuffle=True, seed=cfg.seed
        )
        wrapped: nn.Module = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    else:
        sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
        wrapped = model
    loader = DataLoader(dataset, cfg.batch_size, sampler=sampler, num_workers=cfg.num_workers)
    result = TrainResult()
    wrapped.train()
    for epoch in range(cfg.epochs):
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)
        total = torch.zeros(2, dtype=torch.float64, device=device)  # [sum of losses, batches]
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(wrapped, x, y)
            loss.backward()
            opt.step()
            result.steps += 1
            total += torch.stack([loss.detach().double(), torch.ones((), device=device).double()])
            if on_step is not None:
                on_step(result.steps, model, loss.detach().item())
        if info.world_size > 1:
            dist.all_reduce(total)
        result.epoch_losses.append(float(total[0] / total[1]))
    wrapped.eval()
    return result


def cross_entropy_loss(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """Standard classification loss: mean cross-entropy of ``model(x)`` against ``y``."""
    return nn.functional.cross_entropy(model(x), y)
