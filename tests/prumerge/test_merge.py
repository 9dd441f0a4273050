"""The equations against independent loops, numpy and hand-computed cases (docs/prumerge.md §2)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.merge import (
    adaptive_keep_count,
    cls_attention,
    iqr_fence,
    knn_merge,
    plus_selection,
    topk_selection,
    uniform_mask,
)
from paperzoo.prumerge.reducer import PruMerge, PruMergePlus, prumerge
from paperzoo.prumerge.reference import loop_cls_attention, loop_prumerge

from .conftest import peaked


@pytest.mark.parametrize("plus", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_vectorised_merge_equals_independent_loop(plus, dtype):
    x, a, keys = peaked(5, 100, 24, seed=3, dtype=dtype)
    out = prumerge(x, a, keys, PruMergeConfig(knn=8, plus=plus))
    ref = loop_prumerge(x, a, keys, knn=8, plus=plus)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for b, (kept, tokens) in enumerate(ref):
        m = out.mask[b]
        assert out.index[b][m].tolist() == kept + [-1]  # same kept set, same order, pooled last
        torch.testing.assert_close(out.tokens[b][m], tokens, atol=tol, rtol=tol)
        assert not out.tokens[b][~m].any()  # padding is zero


def test_knn_merge_matches_official_k32_on_clip_shapes():
    x, a, keys = peaked(2, 576, 64, seed=1, dtype=torch.float32)
    out = prumerge(x, a, keys, PruMergeConfig(knn=32))
    for b, (kept, tokens) in enumerate(loop_prumerge(x, a, keys, knn=32)):
        assert out.index[b][out.mask[b]].tolist() == kept + [-1]
        torch.testing.assert_close(out.tokens[b][out.mask[b]], tokens, atol=1e-5, rtol=1e-5)


def test_normalised_merge_is_a_convex_combination():
    x, a, keys = peaked(3, 49, 8, seed=2)
    k = adaptive_keep_count(a)
    index, mask = topk_selection(a, k)
    y = knn_merge(x, keys, a, index, mask, knn=5, normalise=True)
    lo, hi = x.min(1).values[:, None], x.max(1).values[:, None]  # convex hull bound per channel
    assert ((y >= lo - 1e-12) & (y <= hi + 1e-12))[mask].all()
    # one neighbour, equal attention: the plain midpoint
    x2 = torch.tensor([[[0.0], [2.0], [10.0]]], dtype=torch.float64)
    keys2 = torch.tensor([[[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]]], dtype=torch.float64)
    a2 = torch.tensor([[0.4, 0.4, 0.2]], dtype=torch.float64)
    y2 = knn_merge(x2, keys2, a2, torch.tensor([[0]]), torch.tensor([[True]]), 1, normalise=True)
    assert y2.item() == pytest.approx(1.0)
    y3 = knn_merge(x2, keys2, a2, torch.tensor([[0]]), torch.tensor([[True]]), 1)
    assert y3.item() == pytest.approx(0.8)  # official: x_i + a_j x_j = 0 + 0.4 * 2


@pytest.mark.parametrize("pooled", [False, True])
def test_iqr_fence_matches_numpy_percentile(pooled):
    _, a, _ = peaked(4, 577, 4, seed=5)
    fence = iqr_fence(a, 1.5, pooled)
    rows = [a.flatten().numpy()] * 4 if pooled else list(a.numpy())
    for f, row in zip(fence[:, 0], rows, strict=True):
        q1, q3 = np.percentile(row, 25), np.percentile(row, 75)
        assert abs(float(f) - (q3 + 1.5 * (q3 - q1))) < 1e-7


def test_planted_spikes_are_kept_exactly_and_flat_keeps_min_keep():
    n, m = 200, 13
    a = torch.full((2, n), 1.0, dtype=torch.float64)
    spikes = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:m]
    a[0, spikes] = 5.0
    a = a / a.sum(1, keepdim=True)
    k = adaptive_keep_count(a, min_keep=3)
    assert k.tolist() == [m, 3]  # spikes counted exactly; the flat image falls to min_keep
    index, mask = topk_selection(a, k)
    assert set(index[0][mask[0]].tolist()) == set(spikes.tolist())
    assert adaptive_keep_count(a, min_keep=1, max_keep=5).tolist() == [5, 1]


def test_batch_pooled_iqr_gives_every_image_the_floor_of_the_mean():
    a = torch.full((2, 100), 1.0, dtype=torch.float64)
    a[0, :9] = 50.0  # 9 outliers in image 0, none in image 1
    a = a / a.sum(1, keepdim=True)
    per_image = adaptive_keep_count(a, min_keep=1)
    pooled = adaptive_keep_count(a, pooled=True, min_keep=1)
    assert per_image.tolist() == [9, 1]
    assert pooled.tolist() == [4, 4]  # official: int(N · 9 / (B·N)) = 4 for both


@pytest.mark.parametrize("per_head", [False, True])
def test_cls_attention_matches_hand_computed_loop(per_head):
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, 17, 12, generator=g, dtype=torch.float64)
    k = torch.randn(2, 17, 12, generator=g, dtype=torch.float64)
    mode = "per_head" if per_head else "concat"
    torch.testing.assert_close(cls_attention(q, k, 3, mode), loop_cls_attention(q, k, 3, per_head))


def test_concat_is_one_softmax_of_head_summed_logits_not_mean_of_heads():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(1, 9, 8, generator=g), torch.randn(1, 9, 8, generator=g)
    concat, per_head = cls_attention(q, k, 2, "concat"), cls_attention(q, k, 2, "per_head")
    assert not torch.allclose(concat, per_head)
    assert (concat.sum() < 1) and (per_head.sum() < 1)  # CLS->CLS stays in the denominator


def test_raster_plus_reproduces_the_official_index_set():
    n = 576
    _, a, _ = peaked(1, n, 4, seed=7)
    k = torch.tensor([32])
    index, mask = plus_selection(a, k, "raster")
    top = a[0].argsort(descending=True)[:32].tolist()
    step = int(1 / (32 / n))  # the official int(1/ratio) = 18, stride 6, start 3
    official = top + [p for p in range(step // 6, 575, step // 3) if p not in top]
    assert index[0][mask[0]].tolist() == official
    assert len(set(official)) == len(official)  # deduplicated


def test_raster_on_a_24_grid_picks_column_stripes_and_grid2d_covers_every_cell():
    k = torch.tensor([32])
    raster = uniform_mask(k, 576, "raster").reshape(24, 24)
    assert raster.any(0).sum() == 4  # only 4 of 24 columns (3, 9, 15, 21): the stripe quirk
    lattice = uniform_mask(k, 576, "grid2d").reshape(24, 24)  # cell round(√6) = 2
    cells = lattice.reshape(12, 2, 12, 2).any(3).any(1)
    assert cells.all() and lattice.sum() == 144


def test_no_outliers_gives_no_division_by_zero():
    a = torch.full((2, 64), 1 / 65)
    x, keys = torch.randn(2, 64, 4), torch.randn(2, 64, 4)
    out = prumerge(x, a, keys, PruMergeConfig(knn=4, plus=True))
    assert torch.isfinite(out.tokens).all() and (out.lengths() > 1).all()


def test_padded_output_mask_index_and_mixed_k_in_a_batch():
    x, a, keys = peaked(6, 64, 8, seed=11)
    out = PruMerge(PruMergeConfig(knn=4))(x, a, keys)
    k = adaptive_keep_count(a)
    assert len(set(k.tolist())) > 1  # mixed k in the batch
    assert out.lengths().tolist() == (k + 1).tolist()  # k kept + the pooled token
    for b in range(6):
        real = out.index[b][out.mask[b]]
        assert (real[:-1] >= 0).all() and real[-1] == -1  # pooled token has no position
        assert (out.index[b][~out.mask[b]] == -1).all()
    assert [t.shape[0] for t in out.unpadded()] == (k + 1).tolist()


def test_pooled_token_is_the_attention_weighted_sum_of_the_pruned():
    x, a, keys = peaked(2, 30, 5, seed=4)
    out = prumerge(x, a, keys, PruMergeConfig(knn=3))
    for b in range(2):
        kept = set(out.index[b][out.mask[b]].tolist()) - {-1}
        pruned = [j for j in range(30) if j not in kept]
        expected = (a[b, pruned, None] * x[b, pruned]).sum(0)
        torch.testing.assert_close(out.tokens[b][out.lengths()[b] - 1], expected)


@settings(max_examples=25, deadline=None)
@given(b=st.integers(1, 4), n=st.integers(9, 80), knn=st.integers(1, 8), seed=st.integers(0, 99))
def test_property_shapes_and_bounds(b, n, knn, seed):
    x, a, keys = peaked(b, n, 3, seed=seed)
    knn = min(knn, n - 1)
    cfg = PruMergeConfig(knn=knn, min_keep=2, max_keep=n // 2)
    out = prumerge(x, a, keys, cfg)
    k = out.lengths() - 1
    assert ((k >= 2) & (k <= n // 2)).all()
    assert out.tokens.shape == (b, int(out.lengths().max()), 3)
    assert out.index.max() < n
    plus = PruMergePlus(PruMergeConfig(knn=knn, plus=True))(x, a, keys)
    assert (plus.lengths() >= PruMerge(PruMergeConfig(knn=knn))(x, a, keys).lengths()).all()


def test_bad_inputs_raise_clear_errors():
    x, a, keys = peaked(2, 10, 4)
    with pytest.raises(ValueError, match="knn"):
        prumerge(x, a, keys, PruMergeConfig(knn=10))  # k >= N: no 10 other tokens
    with pytest.raises(ValueError, match="grid"):
        prumerge(x, a, keys, PruMergeConfig(knn=2, plus=True, plus_mode="grid2d"))  # 10 not square
    with pytest.raises(ValueError, match="keys"):
        PruMerge(PruMergeConfig(knn=2))(x, a)
    with pytest.raises(ValueError, match="NaN"):
        PruMerge(PruMergeConfig(knn=2))(x, a * float("nan"), keys)
    with pytest.raises(ValueError, match="cls_index"):
        cls_attention(torch.randn(1, 5, 4), torch.randn(1, 5, 4), 1, num_prefix=0)
    with pytest.raises(ValueError, match="mode"):
        cls_attention(torch.randn(1, 5, 4), torch.randn(1, 5, 4), 1, mode="mean")
    with pytest.raises(ValueError, match="plus"):
        PruMerge(PruMergeConfig(plus=True))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"attention": "x"}, "attention"), ({"min_keep": 0}, "min_keep"), ({"knn": 0}, "knn"),
     ({"ratio": 0.0}, "ratio"), ({"plus_mode": "diag"}, "plus_mode"),
     ({"max_keep": 0}, "max_keep"), ({"iqr_k": -1}, "iqr_k"), ({"layer": 1.5}, "layer")],
)  # fmt: skip
def test_config_rejects_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PruMergeConfig(**kwargs)
