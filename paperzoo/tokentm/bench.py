"""Benchmarks: TokenTM vs one forward+backward vs GenAtt (and Chefer-LRP), same run and inputs.

Batch 64 on the trained small ViT and on a ViT-B/16-shaped random-weight model (N = 197, L = 12).
On a CPU-only machine ``--quick`` shrinks the ViT-B batch (stated in the result's ``extra``).
"""

from __future__ import annotations

from dataclasses import replace
from statistics import median

import torch
from torch import nn

from paperzoo.core.bench import time_calls
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.runtime import choose_device
from paperzoo.core.vit.adapters import adapt
from paperzoo.core.vit.model import SmallViT, ViTConfig
from paperzoo.tokentm.baselines import CheferLRP, GenAtt
from paperzoo.tokentm.explainer import TokenTM

VIT_B16 = ViTConfig(
    image_size=224, patch_size=16, in_chans=3, num_classes=1000, dim=768, depth=12, heads=12,
    mlp_ratio=4.0,
)  # fmt: skip


def compare(model: nn.Module, batch: int, repeats: int, warmup: int = 1) -> BenchResult:
    """Median times of TokenTM, forward+backward (attention kept), GenAtt and Chefer-LRP."""
    device = next(model.parameters()).device
    adapter = adapt(model)
    x = torch.rand(batch, adapter.in_chans, *adapter.image_size, device=device)

    def forward_backward() -> None:
        trace = adapter.trace(x)
        trace.attention_grads(trace.logits.argmax(1))

    fns = {
        "tokentm": lambda: TokenTM(adapter).explain(x),
        "forward+backward": forward_backward,
        "genatt": lambda: GenAtt(adapter).explain(x),
        "chefer_lrp": lambda: CheferLRP(adapter).explain(x),
    }
    times = {name: time_calls(fn, repeats, warmup) for name, fn in fns.items()}
    med = {name: median(t) for name, t in times.items()}
    return BenchResult(
        "tokentm",
        "forward+backward",
        times["tokentm"],
        times["forward+backward"],
        {
            "batch": batch,
            "device": str(device),
            "tokens": adapter.grid[0] * adapter.grid[1] + adapter.num_prefix_tokens,
            "blocks": adapter.num_blocks,
            "genatt_median_s": med["genatt"],
            "chefer_lrp_median_s": med["chefer_lrp"],
            "tokentm_over_forward_backward": med["tokentm"] / med["forward+backward"],
            "tokentm_over_genatt": med["tokentm"] / med["genatt"],
            "chefer_lrp_over_tokentm": med["chefer_lrp"] / med["tokentm"],
        },
    )


@benchmark(
    name="trained_vit",
    description="TokenTM vs forward+backward vs GenAtt vs Chefer-LRP, batch 64, trained small ViT",
)
def bench_trained(scale: Scale) -> BenchResult:
    from paperzoo.core.vit.train import trained_vit

    model = trained_vit(scale)[0].to(choose_device())
    batch = scale.pick(smoke=8, quick=64, full=64)
    return compare(model, batch, repeats=scale.pick(smoke=1, quick=3, full=7))


@benchmark(
    name="vit_b16_random",
    description="Same comparison on a ViT-B/16-shaped random-weight model (N=197, L=12)",
)
def bench_vit_b16(scale: Scale) -> BenchResult:
    device = choose_device()
    torch.manual_seed(0)
    cfg = scale.pick(smoke=replace(VIT_B16, depth=2), quick=VIT_B16, full=VIT_B16)
    model = SmallViT(cfg).to(device).eval()
    cpu_batch = scale.pick(smoke=1, quick=4, full=64)
    batch = 64 if device.type == "cuda" else cpu_batch
    return compare(model, batch, repeats=scale.pick(smoke=1, quick=2, full=5), warmup=1)
