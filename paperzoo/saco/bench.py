"""Benchmark: batched SaCo vs a straightforward per-image, per-group loop, and vs plain forwards."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from paperzoo.core.bench import time_calls
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.vit.model import SmallViT, ViTConfig
from paperzoo.saco.metric import SaCo, SaCoConfig
from paperzoo.saco.saco import group_salience, saco_coefficient, salience_groups


def saco_loop(model: nn.Module, x: Tensor, a: Tensor, k: int) -> Tensor:
    """The same formula, written the obvious way: one forward per image and per perturbed group."""
    scores = []
    for img, m in zip(x, a.flatten(1), strict=True):
        p0 = model(img[None]).softmax(1)[0]
        c = int(p0.argmax())
        groups = salience_groups(m[None], k)[0]
        deltas = []
        for g in range(k):
            pert = img.clone()
            pert.view(img.shape[0], -1)[:, groups == g] = img.mean((1, 2))[:, None]
            deltas.append(p0[c] - model(pert[None]).softmax(1)[0, c])
        s = group_salience(m[None], groups[None], k)
        scores.append(saco_coefficient(s.double(), torch.stack(deltas)[None].double())[0])
    return torch.stack(scores)


@benchmark(
    name="saco_throughput",
    description="SaCo (K=10), small ViT, seconds per image: batched over all images vs a "
    "per-image/per-group loop timed on a subset (sizes in extra)",
)
def bench_saco(scale: Scale) -> BenchResult:
    n, k = scale.pick(smoke=8, quick=100, full=500), 10
    n_loop = scale.pick(smoke=4, quick=20, full=50)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = SmallViT(ViTConfig(dim=96, depth=4, heads=4)).eval()
    x = torch.rand(n, 1, 32, 32, generator=gen)
    a = torch.rand(n, 32, 32, generator=gen)
    metric = SaCo(SaCoConfig(k=k, batch_size=512))
    plain = torch.cat([x] * (k + 1))
    with torch.no_grad():
        batched = metric(model=model, x_batch=x, a_batch=a).scores
        looped = saco_loop(model, x[:n_loop], a[:n_loop], k)
        agree = float((batched[:n_loop] - looped).abs().max())
        ours = time_calls(lambda: metric(model=model, x_batch=x, a_batch=a), repeats=3)
        saco_loop(model, x[:2], a[:2], k)  # warm-up, discarded
        loop = time_calls(lambda: saco_loop(model, x[:n_loop], a[:n_loop], k), repeats=1, warmup=0)
        forwards = time_calls(
            lambda: [model(plain[i : i + 512]) for i in range(0, len(plain), 512)], repeats=3
        )
    median_forward = sorted(forwards)[1]
    return BenchResult(
        ours_label=f"batched SaCo per image ({n} images, K={k})",
        baseline_label=f"per-image, per-group loop per image ({n_loop} images)",
        ours_s=[t / n for t in ours],
        baseline_s=[t / n_loop for t in loop],
        extra={
            "images": n,
            "loop_images": n_loop,
            "k": k,
            "plain_forward_s": median_forward,
            "saco_over_plain_forward": sorted(ours)[1] / median_forward,
            "max_abs_diff_vs_loop": agree,
        },
    )
