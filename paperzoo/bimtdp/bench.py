"""Benchmarks (2 threads, same process): the packed 3×3 binary conv against fp32 ``F.conv2d``
including activation packing, and the packed encoder against the FP encoder end to end."""

from __future__ import annotations

from statistics import median

import torch
import torch.nn.functional as F
from torch import nn

from paperzoo.bimtdp.blocks import BinaryConv2d
from paperzoo.bimtdp.config import ModelConfig
from paperzoo.bimtdp.models import MultiTaskNet
from paperzoo.bimtdp.packed import PackedConv3x3, cpu_flags, kernel_info, pack_activations
from paperzoo.bimtdp.packed_model import export_packed
from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.runtime import torch_threads

THREADS = 2
FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vpopcntdq", "popcnt")


def _flags() -> str:
    have = cpu_flags()
    return " ".join(f for f in FLAGS if f in have) or "unknown"


def count_ops(model: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """BOPs of the binary 3×3 convs, FLOPs (MACs) of the FP convs;
    OPs = BOPs/64 + FLOPs.

    Counted by hooks on one forward pass of the encoder on ``x``.
    """
    bops, flops, hooks = [0.0], [0.0], []

    def on(module: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
        w = module.weight
        macs = out.numel() // out.shape[0] * w.shape[1] * w.shape[2] * w.shape[3]
        binary = isinstance(module, BinaryConv2d) and module.binarizer.name != "fp"
        (bops if binary else flops)[0] += macs

    for m in model.modules():
        if isinstance(m, BinaryConv2d | nn.Conv2d):
            hooks.append(m.register_forward_hook(on))
    try:
        with torch.no_grad():
            model.encode(x) if hasattr(model, "encode") else model(x)
    finally:
        for h in hooks:
            h.remove()
    return {"bops": bops[0], "flops": flops[0], "ops": bops[0] / 64 + flops[0]}


@benchmark(name="conv3x3", description="binary 3×3 conv C=256, 28×28, batch 1: packed vs fp32")
def bench_conv(scale: Scale) -> BenchResult:
    c, hw = 256, 28
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, c, hw, hw, generator=g)
    w = torch.randn(c, c, 3, 3, generator=g)
    conv = PackedConv3x3(w)
    xs, ws = torch.where(x >= 0, 1.0, -1.0), conv.sign_weight
    repeats = scale.pick(smoke=3, quick=50, full=200)
    with torch_threads(THREADS):
        info = kernel_info()
        packed = pack_activations(x)
        ours, base = time_pair(lambda: conv(x), lambda: F.conv2d(x, w, padding=1), repeats, 10)
        kernel_only = time_calls(lambda: conv.run(packed, hw, hw), repeats, 10)
        packing = time_calls(lambda: pack_activations(x), repeats, 10)
        simulated = time_calls(lambda: F.conv2d(xs, ws, padding=1), repeats, 10)
    return BenchResult(
        f"packed XNOR-popcount ({info.name}), incl. packing",
        "fp32 F.conv2d (oneDNN)",
        ours,
        base,
        {
            "kernel": info.name,
            "kernel_note": info.note,
            "cpu_flags": _flags(),
            "threads": THREADS,
            "kernel_only_speedup": median(base) / median(kernel_only),
            "kernel_ms": median(kernel_only) * 1e3,
            "packing_ms": median(packing) * 1e3,
            "simulated_binary_speedup": median(base) / median(simulated),
            "weight_bytes_ratio": w.numel() * 4 / conv.weight_bytes,
            "target": "speedup >= 12 (including activation packing)",
        },
    )


@benchmark(name="encoder", description="packed binary encoder vs FP encoder (56×56 input)")
def bench_encoder(scale: Scale) -> BenchResult:
    w1, w2, size = scale.pick(smoke=(64, 128, 24), quick=(128, 256, 56), full=(128, 256, 56))
    torch.manual_seed(0)
    student = MultiTaskNet(ModelConfig("bnn", width1=w1, width2=w2, blocks1=2, blocks2=2)).eval()
    teacher = MultiTaskNet(ModelConfig("fp", width1=w1, width2=w2, blocks1=2, blocks2=2)).eval()
    packed = export_packed(student)
    x = torch.randn(1, 3, size, size)
    repeats = scale.pick(smoke=3, quick=30, full=100)
    with torch.no_grad(), torch_threads(THREADS):
        ours, base = time_pair(lambda: packed.encode(x), lambda: teacher.encode(x), repeats, 5)
    bnn_ops, fp_ops = count_ops(student, x), count_ops(teacher, x)
    return BenchResult(
        f"packed encoder ({kernel_info().name})",
        "FP encoder (fp32 oneDNN)",
        ours,
        base,
        {
            "input": f"1×3×{size}×{size}",
            "widths": f"{w1}/{w2}, 2+2 binary blocks",
            "bnn_ops": bnn_ops["ops"],
            "bnn_bops": bnn_ops["bops"],
            "bnn_flops": bnn_ops["flops"],
            "fp_ops": fp_ops["ops"],
            "ops_ratio": fp_ops["ops"] / bnn_ops["ops"],
            "cpu_flags": _flags(),
            "threads": THREADS,
            "target": "speedup >= 5",
        },
    )
