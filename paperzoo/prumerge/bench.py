"""Benchmarks, ours vs the obvious baseline in the same process, inputs and threads.

- ``vectorised_vs_loop``: batched PruMerge vs the official algorithm's structure (a Python loop
  over images and kept tokens, one similarity product per kept token), batch 32, CLIP-L shapes.
- ``overhead``: the reduction (attention from q/k + select + merge) vs the vision-encoder forward
  (random-weight HF CLIP); ``extra.share`` is the reduction's share of the forward.
- ``prefill``: decoder prefill (random-weight Llama-shaped model, d = 1024, 4 layers, batch 4,
  64 text tokens) with per-image PruMerge counts (31–46, left-padded) vs 576 visual tokens;
  ``extra`` has the FLOP ratio (``torch.utils.flop_counter``) and the measured speed-up as a
  fraction of it.
- ``llava_prefill``: a tiny random HF LLaVA (576 image tokens), the whole forward with
  ``patch_llava`` vs without, batch 4; FLOP ratio of the whole forward and of the language model.
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

    width, layers = scale.pick(smoke=(64, 2), quick=(1024, 4), full=(2048, 8))
    cfg = LlamaConfig(hidden_size=width, intermediate_size=int(2.6875 * width),
                      num_hidden_layers=layers, num_attention_heads=max(1, width // 128),
                      num_key_value_heads=max(1, width // 128), vocab_size=256)  # fmt: skip
    torch.manual_seed(0)
    return LlamaModel(cfg).eval()


def _flops(fn: object) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()  # type: ignore[operator]
    return counter.get_total_flops()


def _median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]


def _left_padded(counts: list[int], full_n: int, text: int, width: int) -> tuple[Tensor, ...]:
    """Full inputs [B, full_n + text, W] and the reduced batch: row i keeps ``counts[i]`` image
    embeddings + the same text, left-padded to the longest row (as ``LlavaPatch.prepare`` does)."""
    g = torch.Generator().manual_seed(0)
    b = len(counts)
    full = torch.randn(b, full_n + text, width, generator=g)
    longest = max(counts) + text
    reduced = torch.zeros(b, longest, width)
    mask = torch.zeros(b, longest, dtype=torch.long)
    for i, k in enumerate(counts):  # B rows of setup, outside the timed calls
        reduced[i, longest - k - text :] = full[i, full_n - k :]
        mask[i, longest - k - text :] = 1
    return full, torch.ones(b, full_n + text, dtype=torch.long), reduced, mask


@benchmark(name="prefill", description="decoder prefill, B=4 with ~40 vs 576 visual + 64 text")
def bench_prefill(scale: Scale) -> BenchResult:
    """Same model, text and image embeddings apart from the reduction; alternating timing."""
    model = _decoder(scale)
    width = model.config.hidden_size
    full_n, text = scale.pick(smoke=(64, 8), quick=(576, 64), full=(576, 64))
    # per-image PruMerge counts k_i + 1 around LLaVA-1.5's ~32 (docs/prumerge.md §4.6)
    counts = scale.pick(smoke=[5, 9], quick=[31, 35, 41, 46], full=[31, 35, 41, 46])
    full, full_mask, reduced, mask = _left_padded(counts, full_n, text, width)

    def run(embeds: Tensor, attention: Tensor):  # noqa: ANN202
        def call() -> None:
            with torch.no_grad():
                model(inputs_embeds=embeds, attention_mask=attention, use_cache=False)

        return call

    ours_fn, base_fn = run(reduced, mask), run(full, full_mask)
    flop_ratio = _flops(base_fn) / _flops(ours_fn)
    repeats = scale.pick(smoke=2, quick=3, full=5)
    ours, base = time_pair(ours_fn, base_fn, repeats)
    speed = _median(base) / _median(ours)
    return BenchResult(f"prefill B={len(counts)}, {max(counts)}+{text} tokens",
                       f"prefill B={len(counts)}, {full_n}+{text} tokens", ours, base,
                       {"flop_ratio": round(flop_ratio, 3),
                        "speedup_over_flop_ratio": round(speed / flop_ratio, 3),
                        "width": width, "layers": model.config.num_hidden_layers,
                        "threads": torch.get_num_threads()})  # fmt: skip


def tiny_llava(scale: Scale) -> torch.nn.Module:
    """A random-weight HF LLaVA with LLaVA-1.5's 24×24 = 576 image tokens (shapes only)."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig
    from transformers import LlavaForConditionalGeneration as Llava

    (vw, vl, image, patch), (tw, tl) = scale.pick(
        smoke=((32, 2, 32, 4), (64, 2)),
        quick=((128, 2, 336, 14), (512, 4)),
        full=((1024, 24, 336, 14), (2048, 8)),
    )
    vision = CLIPVisionConfig(hidden_size=vw, num_hidden_layers=vl,
                              num_attention_heads=max(1, vw // 64), intermediate_size=4 * vw,
                              image_size=image, patch_size=patch)  # fmt: skip
    text = LlamaConfig(hidden_size=tw, intermediate_size=int(2.6875 * tw), num_hidden_layers=tl,
                       num_attention_heads=max(1, tw // 128), num_key_value_heads=max(1, tw // 128),
                       vocab_size=1000)  # fmt: skip
    torch.manual_seed(0)
    return Llava(LlavaConfig(vision_config=vision, text_config=text, image_token_id=999)).eval()


@benchmark(name="llava_prefill", description="tiny random HF LLaVA forward, patched vs unpatched")
def bench_llava_prefill(scale: Scale) -> BenchResult:
    """The whole prefill a user runs (vision tower, PruMerge, placeholder rewrite, projector,
    language model) with ``patch_llava`` vs without, same ``input_ids`` and images, B=4.

    Random weights give meaningless outlier counts, so the fixed-ratio path keeps
    ⌊576/14⌋ + 1 = 42 tokens per image (``PruMergeConfig(ratio=1/14)``)."""
    from paperzoo.prumerge.llava import patch_llava

    model = tiny_llava(scale)
    c = model.config
    n = (c.vision_config.image_size // c.vision_config.patch_size) ** 2
    b, text = scale.pick(smoke=(2, 8), quick=(4, 64), full=(4, 64))
    g = torch.Generator().manual_seed(0)
    words = torch.randint(1, 998, (b, text), generator=g)
    ids = torch.cat([words[:, :4], torch.full((b, n), c.image_token_id), words[:, 4:]], 1)
    attention = torch.ones_like(ids)
    size = c.vision_config.image_size
    pixels = torch.rand(b, 3, size, size, generator=g)
    cfg = PruMergeConfig(ratio=1 / 14, knn=min(32, n - 1))

    def unpatched() -> None:
        with torch.no_grad():
            model(input_ids=ids, attention_mask=attention, pixel_values=pixels)

    def patched() -> None:
        with torch.no_grad(), patch_llava(model, cfg) as llava:
            model(**llava.prepare(ids, attention, pixels))

    def language_model(inputs: dict[str, Tensor]):  # noqa: ANN202
        embeds = model.get_input_embeddings()(inputs["input_ids"])
        return lambda: model.model.language_model(
            inputs_embeds=embeds, attention_mask=inputs["attention_mask"], use_cache=False
        )

    with torch.no_grad():
        flop_ratio = _flops(unpatched) / _flops(patched)
        with patch_llava(model, cfg) as llava:
            short = llava.prepare(ids, attention, pixels)
        lm_ratio = _flops(language_model({"input_ids": ids, "attention_mask": attention}))
        lm_ratio /= _flops(language_model(short))
    repeats = scale.pick(smoke=2, quick=3, full=5)
    ours, base = time_pair(patched, unpatched, repeats)
    speed = _median(base) / _median(ours)
    return BenchResult(f"patched LLaVA, {short['input_ids'].shape[1]} tokens",
                       f"LLaVA, {ids.shape[1]} tokens", ours, base,
                       {"flop_ratio": round(flop_ratio, 3), "lm_flop_ratio": round(lm_ratio, 3),
                        "speedup_over_flop_ratio": round(speed / flop_ratio, 3),
                        "batch": b, "threads": torch.get_num_threads()})  # fmt: skip
