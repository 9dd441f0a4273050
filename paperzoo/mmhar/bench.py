"""Benchmark: windows/s on one thread of the default wearable model (per-modality CNNs, gated
fusion, ≤ 100k parameters) against DeepConvLSTM (early fusion), same inputs and run; the int8
(dynamic quantisation) and ONNX (onnxruntime) paths of the default model beside them, each
checked against the float torch outputs (docs/mmhar.md §2.7)."""

from __future__ import annotations

import warnings
from statistics import median

import torch

from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.core.runtime import torch_threads
from paperzoo.mmhar.config import ModelConfig
from paperzoo.mmhar.data import HAPT_MODALITIES, HAPT_RATE
from paperzoo.mmhar.export import onnx_session, quantize_int8, run_onnx
from paperzoo.mmhar.models import MultimodalNet, n_parameters

WINDOW = 128  # 2.56 s at 50 Hz
DEFAULT = ModelConfig()
DEEPCONVLSTM = ModelConfig(encoder="deepconvlstm", fusion="early", modality_dropout=0.0)


@benchmark(name="throughput", description="windows/s, batch 256, 1 thread: default vs DeepConvLSTM")
def bench_throughput(scale: Scale) -> BenchResult:
    batch = scale.pick(smoke=64, quick=256, full=256)
    repeats = scale.pick(smoke=2, quick=7, full=15)
    gen = torch.Generator().manual_seed(0)
    x = {m.name: torch.randn(batch, m.channels, WINDOW, generator=gen) for m in HAPT_MODALITIES}
    present = torch.ones(batch, len(HAPT_MODALITIES), dtype=torch.bool)
    torch.manual_seed(0)
    ours = MultimodalNet(HAPT_MODALITIES, 6, DEFAULT).eval()
    base = MultimodalNet(HAPT_MODALITIES, 6, DEEPCONVLSTM).eval()
    with torch_threads(1), torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notes on quantize_dynamic / export
        ours_s, base_s = time_pair(lambda: ours(x, present), lambda: base(x, present), repeats)
        ref = ours(x, present)
        int8 = quantize_int8(ours)
        int8_s = time_calls(lambda: int8(x, present), repeats)
        int8_err = float((int8(x, present) - ref).abs().max())
        session = onnx_session(ours, x, present)
        onnx_s = time_calls(lambda: run_onnx(session, x, present), repeats)
        onnx_err = float(abs(run_onnx(session, x, present) - ref.numpy()).max())
        one = {k: v[:1] for k, v in x.items()}
        latency_s = time_calls(lambda: ours(one, present[:1]), repeats * 5)
    rate = batch / median(ours_s)
    return BenchResult(
        f"default model ({DEFAULT.encoder}+{DEFAULT.fusion})",
        "DeepConvLSTM (1-layer LSTM, early fusion)",
        ours_s,
        base_s,
        {
            "batch": batch,
            "window": f"{WINDOW} samples at {HAPT_RATE:g} Hz, acc+gyro",
            "params_ours": n_parameters(ours),
            "params_deepconvlstm": n_parameters(base),
            "bytes_fp32_ours": 4 * n_parameters(ours),
            "windows_per_s_ours": rate,
            "windows_per_s_deepconvlstm": batch / median(base_s),
            "windows_per_s_int8": batch / median(int8_s),
            "windows_per_s_onnx": batch / median(onnx_s),
            "latency_ms_batch1": 1e3 * median(latency_s),
            "int8_max_abs_diff_logp": int8_err,
            "onnx_max_abs_diff_logp": onnx_err,
            "target": "windows_per_s_ours >= 1000 with params_ours <= 100000",
        },
    )
