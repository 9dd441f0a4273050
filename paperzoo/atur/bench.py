"""Benchmarks: PGD-10 throughput against torchattacks' PGD (or a per-sample loop when it is not
installed), and one PGD-AT epoch against (steps + 1) standard epochs; same process, inputs, threads.
The PGD benchmark also reports how much of our time is the model's 10 input-gradient passes alone.
"""

from __future__ import annotations

from statistics import median

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from paperzoo.atur.attacks import Attack
from paperzoo.atur.config import AttackConfig, MethodConfig
from paperzoo.atur.models import build_model
from paperzoo.atur.training import make_loss
from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.runtime import choose_device
from paperzoo.core.train import TrainConfig, train

EPS, STEPS = 8 / 255, 10


def _inputs(n: int, device: torch.device) -> tuple[nn.Module, Tensor, Tensor]:
    generator = torch.Generator().manual_seed(0)
    model = build_model("cnn", (1, 28, 28), 10).to(device).eval()
    x = torch.rand(n, 1, 28, 28, generator=generator).to(device)
    y = torch.randint(0, 10, (n,), generator=generator).to(device)
    return model, x, y


def per_sample_pgd(
    model: nn.Module, x: Tensor, y: Tensor, eps: float, alpha: float, steps: int
) -> Tensor:
    """The straightforward baseline: PGD one sample at a time (no random start)."""
    out = []
    for xi, yi in zip(x, y, strict=True):
        xa = xi[None].clone()
        for _ in range(steps):
            xa.requires_grad_(True)
            (g,) = torch.autograd.grad(F.cross_entropy(model(xa), yi[None]), xa)
            xa = (xi[None] + (xa.detach() + alpha * g.sign() - xi[None]).clamp(-eps, eps)).clamp(
                0, 1
            )
        out.append(xa)
    return torch.cat(out)


def _input_gradients(model: nn.Module, x: Tensor, y: Tensor, passes: int) -> None:
    for _ in range(passes):
        x_grad = x.clone().requires_grad_(True)
        torch.autograd.grad(F.cross_entropy(model(x_grad), y, reduction="sum"), x_grad)


@benchmark(name="pgd10", description="PGD-10 l∞ (ε=8/255) on a small CNN, 28×28 inputs")
def bench_pgd(scale: Scale) -> BenchResult:
    device = choose_device()
    n = scale.pick(smoke=16, quick=128, full=512)
    model, x, y = _inputs(n, device)
    ours = Attack(AttackConfig("pgd", eps=EPS, steps=STEPS))
    repeats = scale.pick(smoke=1, quick=5, full=11)

    def run_ours() -> Tensor:
        return ours(model, x, y, torch.Generator(device).manual_seed(0))

    try:
        import torchattacks
    except ImportError:
        label = "per-sample PGD loop"
        # time a slice and scale to the batch: the loop is linear in n
        k = scale.pick(smoke=4, quick=16, full=64)
        ours_s, slice_s = time_pair(
            run_ours, lambda: per_sample_pgd(model, x[:k], y[:k], EPS, EPS / 4, STEPS), repeats
        )
        base_s = [t * n / k for t in slice_s]
    else:
        label = f"torchattacks {torchattacks.__version__} PGD"
        theirs = torchattacks.PGD(model, eps=EPS, alpha=EPS / 4, steps=STEPS, random_start=True)
        ours_s, base_s = time_pair(run_ours, lambda: theirs(x, y), repeats)
    # the floor any PGD-10 shares: 10 input-gradient passes through the model, nothing else
    floor_s = time_calls(lambda: _input_gradients(model, x, y, STEPS), repeats)
    return BenchResult(
        "paperzoo PGD-10",
        label,
        ours_s,
        base_s,
        {
            "batch": n,
            "images_per_s_ours": n / median(ours_s),
            "images_per_s_baseline": n / median(base_s),
            "model_share_of_ours": median(floor_s) / median(ours_s),
            "target": "speed-up >= 1.0",
        },
    )


@benchmark(
    name="at_epoch",
    description="one PGD-10 AT epoch vs (steps+1) standard epochs, small CNN",
)
def bench_at_epoch(scale: Scale) -> BenchResult:
    device = choose_device()
    n = scale.pick(smoke=128, quick=512, full=2048)
    _, x, y = _inputs(n, device)
    data = TensorDataset(x.cpu(), y.cpu())
    cfg = TrainConfig(epochs=1, batch_size=128, seed=0, device=str(device))
    at_loss = make_loss(MethodConfig("at"), 10, EPS, STEPS)
    std_loss = make_loss(MethodConfig("standard"), 10, EPS, STEPS)

    def epoch(loss_fn):  # fresh model each call: timings do not depend on earlier updates
        return lambda: train(build_model("cnn", (1, 28, 28), 10), data, loss_fn, cfg)

    repeats = scale.pick(smoke=1, quick=2, full=5)
    at_s = time_calls(epoch(at_loss), repeats)
    std_s = time_calls(epoch(std_loss), repeats)
    scaled = [(STEPS + 1) * t for t in std_s]
    ratio = median(at_s) / median(std_s)
    return BenchResult(
        "PGD-AT epoch",
        f"{STEPS + 1} × standard epoch",
        at_s,
        scaled,
        {
            "samples": n,
            "at_over_standard": ratio,
            "target": f"at_over_standard <= {1.2 * (STEPS + 1):.1f}",
        },
    )
