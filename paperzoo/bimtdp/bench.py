"""Benchmarks (2 threads, same process): the packed 3×3 binary conv against fp32 ``F.conv2d``
including activation packing, and the packed encoder against the FP encoder end to end.

Wall-clock medians at 2 threads are the registered figures; extras add minima, back-to-back
timings and, for a loaded machine, 1-thread CPU-time ratios (docs/bimtdp.md §4)."""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median

import torch
import torch.nn.functional as F
from torch import nn

from paperzoo.bimtdp.blocks import BinaryConv2d
from paperzoo.bimtdp.config import ModelConfig
from paperzoo.bimtdp.models import MultiTaskNet
from paperzoo.bimtdp.packed import (
    PackedConv3x3,
    cpu_flags,
    kernel_info,
    pack_activations,
    packed_buffer,
)
from paperzoo.bimtdp.packed_model import encoder_kernel, export_packed
from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.runtime import torch_threads

THREADS = 2
FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vpopcntdq", "popcnt", "amx_tile", "amx_int8")


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


def _cpu_pair(
    a: Callable[[], object], b: Callable[[], object], repeats: int, warmup: int
) -> tuple[list[float], list[float]]:
    """CPU seconds of the calling thread per call of ``a`` and ``b``, alternating (call it with
    1 thread: then all the work runs in this thread, and time the scheduler gives to other
    processes is not counted, unlike wall-clock time on a loaded machine)."""
    for _ in range(warmup):
        a(), b()
    times_a, times_b = [], []
    for _ in range(repeats):
        for fn, times in ((a, times_a), (b, times_b)):
            start = time.thread_time()
            fn()
            times.append(time.thread_time() - start)
    return times_a, times_b


def _amx_default(info_name: str) -> bool:
    """Whether ``auto`` runs the AMX kernel (then the benchmarks time the popcount one too)."""
    return info_name == "amx-int8"


def _ratios(base: list[float], ours: list[float]) -> tuple[float, float]:
    """(median ratio, min ratio) of baseline over ours: > 1 means ours is faster."""
    return median(base) / median(ours), min(base) / min(ours)


@benchmark(name="conv3x3", description="binary 3×3 conv C=256, 28×28, batch 1: packed vs fp32")
def bench_conv(scale: Scale) -> BenchResult:
    """Headline: one binary layer of a packed chain, float input packed here (the cost the
    first layer of a chain pays), output sign bits (BN folded into integer thresholds) written
    packed by the kernel's epilogue for the next layer; against fp32 ``F.conv2d``, calls
    alternating (each right after the other's, so each finds the caches as the other left them,
    as in a network), warm-up calls for both. Extras: the float-output form (a·dot + b, what a
    real-valued shortcut needs), kernel only (packed input), and everything back to back; where
    the AMX kernel runs, the same headline for the AVX-512 popcount kernel too (``vpopcntdq_*``)."""
    c, hw = 256, 28
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, c, hw, hw, generator=g)
    w = torch.randn(c, c, 3, 3, generator=g)
    conv = PackedConv3x3(w, torch.rand(c, generator=g) * 0.1, torch.randn(c, generator=g))
    xs, ws = torch.where(x >= 0, 1.0, -1.0), conv.sign_weight
    repeats = scale.pick(smoke=3, quick=50, full=200)
    warm = scale.pick(smoke=1, quick=10, full=10)
    pin, pout = packed_buffer(1, hw, hw, c), packed_buffer(1, hw, hw, c)
    with torch_threads(THREADS):
        info = kernel_info()
        packed = pack_activations(x)
        chain = lambda: conv(x, mode="packed", pack_into=pin, pack_out=pout)  # noqa: E731
        to_float = lambda: conv(x)  # noqa: E731
        chain_k = lambda: conv.run(packed, hw, hw, "packed", pack_out=pout)  # noqa: E731
        float_k = lambda: conv.run(packed, hw, hw)  # noqa: E731
        fp = lambda: F.conv2d(x, w, padding=1)  # noqa: E731
        ours, base = time_pair(chain, fp, repeats, warm)
        alt = {
            "float_out": time_pair(to_float, fp, repeats, warm),
            "kernel_only": time_pair(chain_k, fp, repeats, warm),
            "kernel_only_float_out": time_pair(float_k, fp, repeats, warm),
        }
        b2b = {name: time_calls(fn, repeats, warm) for name, fn in (
            ("fp", fp), ("chain", chain), ("float_out", to_float), ("kernel_only", chain_k),
            ("kernel_only_float_out", float_k))}  # fmt: skip
        packing = time_calls(lambda: pack_activations(x, out=pin), repeats, warm)
        simulated = time_calls(lambda: F.conv2d(xs, ws, padding=1), repeats, warm)
        if pop := _amx_default(info.name):
            pconv = PackedConv3x3(w, conv.scale, conv.bias, kernel="avx512")
            pchain = lambda: pconv(x, mode="packed", pack_into=pin, pack_out=pout)  # noqa: E731
            pop_ours, pop_base = time_pair(pchain, fp, repeats, warm)
    with torch_threads(1):
        one = _cpu_pair(chain, fp, repeats, warm)
        pop_one = _cpu_pair(pchain, fp, repeats, warm) if pop else None
    extra: dict[str, float | str] = {
        "kernel": info.name,
        "kernel_note": info.note,
        "cpu_flags": _flags(),
        "threads": THREADS,
        "ours_is": "float input packed + conv + sign bits packed in the epilogue (packed out)",
        "min_speedup": _ratios(base, ours)[1],
    }
    for name, (o, b) in alt.items():
        extra[f"{name}_speedup"], extra[f"{name}_min_speedup"] = _ratios(b, o)
        extra[f"{name}_ms"] = median(o) * 1e3
    for name in ("chain", "float_out", "kernel_only", "kernel_only_float_out"):
        med, low = _ratios(b2b["fp"], b2b[name])
        extra[f"back_to_back_{name}_speedup"], extra[f"back_to_back_{name}_min_speedup"] = med, low
    extra |= {
        "fp32_ms": median(base) * 1e3,
        "ours_ms": median(ours) * 1e3,
        "packing_ms": median(packing) * 1e3,
        "simulated_binary_speedup": median(base) / median(simulated),
        "one_thread_cpu_time_speedup": _ratios(one[1], one[0])[0],
        "one_thread_cpu_ms": median(one[0]) * 1e3,
        "one_thread_cpu_fp32_ms": median(one[1]) * 1e3,
        "weight_bytes_ratio": w.numel() * 4 / conv.weight_bytes,
        "amx_weight_scratch_bytes": conv.amx_scratch_bytes,
        "target": "speedup >= 12 (including activation packing)",
    }
    if pop_one is not None:
        extra |= {
            "vpopcntdq_speedup": _ratios(pop_base, pop_ours)[0],
            "vpopcntdq_min_speedup": _ratios(pop_base, pop_ours)[1],
            "vpopcntdq_ms": median(pop_ours) * 1e3,
            "vpopcntdq_one_thread_cpu_time_speedup": _ratios(pop_one[1], pop_one[0])[0],
        }
    return BenchResult(
        f"packed binary conv ({info.name}), incl. packing, packed out",
        "fp32 F.conv2d (oneDNN)",
        ours,
        base,
        extra,
    )


@benchmark(name="encoder", description="packed binary encoder vs FP encoder (56×56 input)")
def bench_encoder(scale: Scale) -> BenchResult:
    """Stages run as PackedStages (packed hand-off between blocks, float residual updated in
    place); alternating with the FP encoder, warm-up for both. Extras: back to back, the
    per-block (unfused) packed encoder for comparison and, where the default encoder runs the
    AMX kernel, the same encoder on the AVX-512 popcount kernel (``vpopcntdq_*``)."""
    w1, w2, size = scale.pick(smoke=(64, 128, 24), quick=(128, 256, 56), full=(128, 256, 56))
    torch.manual_seed(0)
    student = MultiTaskNet(ModelConfig("bnn", width1=w1, width2=w2, blocks1=2, blocks2=2)).eval()
    teacher = MultiTaskNet(ModelConfig("fp", width1=w1, width2=w2, blocks1=2, blocks2=2)).eval()
    packed = export_packed(student)
    x = torch.randn(1, 3, size, size)
    repeats = scale.pick(smoke=3, quick=30, full=100)

    def unfused() -> tuple[torch.Tensor, torch.Tensor]:
        h = packed.stem(x)
        for block in packed.stage1:
            h = block(h)
        s1 = h
        h = packed.down(s1)
        for block in packed.stage2:
            h = block(h)
        return s1, h

    with torch.no_grad(), torch_threads(THREADS):
        ours, base = time_pair(lambda: packed.encode(x), lambda: teacher.encode(x), repeats, 5)
        ours_u, base_u = time_pair(unfused, lambda: teacher.encode(x), repeats, 5)
        b2b_fp = time_calls(lambda: teacher.encode(x), repeats, 5)
        b2b_ours = time_calls(lambda: packed.encode(x), repeats, 5)
        pop = None
        if _amx_default(kernel_info(encoder_kernel()).name):
            pop_model = export_packed(student, kernel="avx512")
            pop = time_pair(lambda: pop_model.encode(x), lambda: teacher.encode(x), repeats, 5)
    with torch.no_grad(), torch_threads(1):
        one = _cpu_pair(lambda: packed.encode(x), lambda: teacher.encode(x), repeats, 5)
    bnn_ops, fp_ops = count_ops(student, x), count_ops(teacher, x)
    extra: dict[str, float] = {}
    if pop is not None:
        extra["vpopcntdq_speedup"] = _ratios(pop[1], pop[0])[0]
        extra["vpopcntdq_ms"] = median(pop[0]) * 1e3
    return BenchResult(
        f"packed encoder ({kernel_info(encoder_kernel()).name}), packed hand-off",
        "FP encoder (fp32 oneDNN)",
        ours,
        base,
        {
            "input": f"1×3×{size}×{size}",
            "widths": f"{w1}/{w2}, 2+2 binary blocks",
            "min_speedup": _ratios(base, ours)[1],
            "ours_ms": median(ours) * 1e3,
            "fp_ms": median(base) * 1e3,
            "unfused_speedup": _ratios(base_u, ours_u)[0],
            "unfused_ms": median(ours_u) * 1e3,
            "back_to_back_speedup": _ratios(b2b_fp, b2b_ours)[0],
            "back_to_back_min_speedup": _ratios(b2b_fp, b2b_ours)[1],
            "one_thread_cpu_time_speedup": _ratios(one[1], one[0])[0],
            "one_thread_cpu_ms": median(one[0]) * 1e3,
            "one_thread_cpu_fp_ms": median(one[1]) * 1e3,
            "float_between_blocks": "the residual stream (Bi-Real shortcuts read real values), "
            "one channels-last fp32 buffer per stage, updated in place",
            "bnn_ops": bnn_ops["ops"],
            "bnn_bops": bnn_ops["bops"],
            "bnn_flops": bnn_ops["flops"],
            "fp_ops": fp_ops["ops"],
            "ops_ratio": fp_ops["ops"] / bnn_ops["ops"],
            "cpu_flags": _flags(),
            "threads": THREADS,
            "target": "speedup >= 5",
        }
        | extra,
    )
