"""Benchmarks, ours vs the obvious baseline in the same process, inputs and threads.

- ``vectorised_vs_loop``: batched PruMerge vs the official algorithm's structure (a Python loop
  over images and kept tokens, one similarity product per kept token), batch 32, CLIP-L shapes.
- ``overhead``: the reduction (attention from q/k + select + merge) vs the vision-encoder forward
  (random-weight HF CLIP); ``extra.share`` is the reduction's share of the forward.
- ``prefill``: decoder prefill (random-weight Llama-shaped model, 64 text tokens) with 32+1
  visual tokens vs 576; ``extra`` has the FLOP ratio (``torch.utils.flop_counter``) and the
  measured speed-up as a fraction of it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from paperzoo.core.bench import time_calls, time_pair
from paperzoo.core.registry import BenchResult, Scale, benchmark
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.merge import cls_attention
from paperzoo.prumerge.reducer import prumerge


def _inputs(b: int, n: int, d: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Tokens, a peaked [CLS] attention (a few dominant tokens, like CLIP's) and keys."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, n, d, generator=g)
    keys = torch.randn(b, n, d, generator=g)
    logits = torch.randn(b, n + 1, generator=g)
    logits[:, 1:] += 6 * (torch.rand(b, n, generator=g) < 0.05)
    return x, logits.softmax(-1)[:, 1:], keys


def official_style_loop(x: Tensor, scores: Tensor, keys: Tensor, k: int, knn: int) -> list[Tensor]:
    """The official code's loop structure, per image: top-k, then for each kept token one
    similarity product against the other tokens, top-``knn`` and the weighted sum."""
    out = []
    for xb, ab, kb in zip(x, scores, keys, strict=True):
        kn = F.normalize(kb, dim=-1)
        idx = torch.topk(ab, k).indices
        rows = []
        for i in idx.tolist():
            others = torch.cat([torch.arange(i), torch.arange(i + 1, len(ab))])
            nbrs = others[torch.topk(kn[others] @ kn[i], knn).indices]
            rows.append(xb[i] + (ab[nbrs, None] * xb[nbrs]).sum(0))
        pruned = torch.ones(len(ab), dtype=torch.bool)
        pruned[idx] = False
        rows.append((ab[pruned, None] * xb[pruned]).sum(0))
        out.append(torch.stack(rows))
    return out


@benchmark(name="vectorised_vs_loop", description="batched PruMerge vs official-style loop, B=32")
def bench_loop(scale: Scale) -> BenchResult:
    b, n, d = scale.pick(smoke=(4, 64, 32), quick=(32, 576, 1024), full=(32, 576, 1024))
    knn = scale.pick(smoke=4, quick=32, full=32)
    x, a, keys = _inputs(b, n, d)
    cfg = PruMergeConfig(knn=knn, ratio=1 / 18)  # the ~32 tokens LLaVA-1.5 keeps on average
    k = int(n / 18)
    repeats = scale.pick(smoke=2, quick=3, full=7)
    ours = time_calls(lambda: prumerge(x, a, keys, cfg), repeats)
    loop = time_calls(lambda: official_style_loop(x, a, keys, k, knn), repeats)
    return BenchResult("vectorised prumerge", "official-style loop", ours, loop,
                       {"batch": b, "tokens": n, "dim": d, "kept": k})  # fmt: skip


def _clip(scale: Scale) -> torch.nn.Module:
    from transformers import CLIPVisionConfig, CLIPVisionModel

    width, layers, heads, image, patch = scale.pick(
        smoke=(64, 2, 2, 32, 4), quick=(768, 12, 12, 224, 16), full=(1024, 24, 16, 336, 14)
    )
    cfg = CLIPVisionConfig(
        hidden_size=width, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=4 * width, image_size=image, patch_size=patch,
    )  # fmt: skip
    torch.manual_seed(0)
    return CLIPVisionModel(cfg).eval()


@benchmark(name="overhead", description="PruMerge reduction vs the CLIP vision-encoder forward")
def bench_overhead(scale: Scale) -> BenchResult:
    from paperzoo.prumerge.patch import capture_qk

    model = _clip(scale)
    c = model.config
    b = scale.pick(smoke=2, quick=4, full=4)
    images = torch.rand(
        b, 3, c.image_size, c.image_size, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad(), capture_qk(model) as rec:
        model(pixel_values=images)
    n = rec.x.shape[1] - 1
    cfg = PruMergeConfig(knn=min(32, n - 1))

    def reduce_only() -> None:
        scores = cls_attention(rec.q, rec.k, c.num_attention_heads)
        prumerge(rec.x[:, 1:], scores, rec.k[:, 1:], cfg)

    def encoder() -> None:
        with torch.no_grad():
            model(pixel_values=images)

    repeats = scale.pick(smoke=2, quick=5, full=7)
    ours, base = time_pair(reduce_only, encoder, repeats)
    share = sorted(ours)[len(ours) // 2] / sorted(base)[len(base) // 2]
    return BenchResult("prumerge reduction", "CLIP vision forward", ours, base,
                       {"batch": b, "tokens": n, "share": round(share, 5)})  # fmt: skip


def _decoder(scale: Scale) -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaModel

    width, layers = scale.pick(smoke=(64, 2), quick=(512, 4), full=(2048, 8))
    cfg = LlamaConfig(hidden_size=width, intermediate_size=int(2.6875 * width),
                      num_hidden_layers=layers, num_attention_heads=max(1, width // 128),
                      num_key_value_heads=max(1, width // 128), vocab_size=256)  # fmt: skip
    torch.manual_seed(0)
    return LlamaModel(cfg).eval()


def _flops(fn: object) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()  # type: ignore[operator]
    return counter.get_total_flops()


@benchmark(name="prefill", description="decoder prefill, 32+1 vs 576 visual + 64 text tokens")
def bench_prefill(scale: Scale) -> BenchResult:
    model = _decoder(scale)
    width = model.config.hidden_size
    full_n, kept_n, text = scale.pick(smoke=(64, 9, 8), quick=(576, 33, 64), full=(576, 33, 64))
    g = torch.Generator().manual_seed(0)
    full = torch.randn(1, full_n + text, width, generator=g)
    reduced = full[:, full_n - kept_n :].clone()

    def run(embeds: Tensor):  # noqa: ANN202
        def call() -> None:
            with torch.no_grad():
                model(inputs_embeds=embeds, use_cache=False)

        return call

    flop_ratio = _flops(run(full)) / _flops(run(reduced))
    repeats = scale.pick(smoke=2, quick=5, full=10)
    ours = time_calls(run(reduced), repeats)
    base = time_calls(run(full), repeats)
    speed = sorted(base)[len(base) // 2] / sorted(ours)[len(ours) // 2]
    return BenchResult(f"prefill {kept_n}+{text} tokens", f"prefill {full_n}+{text} tokens",
                       ours, base, {"flop_ratio": round(flop_ratio, 3),
                                    "speedup_over_flop_ratio": round(speed / flop_ratio, 3),
                                    "width": width})  # fmt: skip
