"""Matched-budget baselines: budgets honoured, references by hand, bad budgets refused."""

from __future__ import annotations

import pytest
import torch

from paperzoo.core.registry import TOKEN_REDUCERS
from paperzoo.prumerge.baselines import BASELINES, AvgPool2D, ClsTopK, RandomK, ToMe, VisionZip
from paperzoo.prumerge.baselines.tome import bipartite_to

from .conftest import peaked


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_baseline_honours_per_image_budgets(name):
    x, a, keys = peaked(5, 64, 6, seed=1)
    budget = torch.tensor([1, 4, 9, 9, 16])  # squares, so pooling matches exactly too
    out = BASELINES[name](budget)(x, a, keys)
    assert out.lengths().tolist() == budget.tolist()
    assert (out.index[out.mask] >= 0).all() and (out.index[~out.mask] == -1).all()
    assert not out.tokens[~out.mask].any() and name in TOKEN_REDUCERS


def test_cls_topk_keeps_the_highest_attention_tokens_unmerged():
    x, a, keys = peaked(2, 30, 4, seed=2)
    out = ClsTopK(5)(x, a, keys)
    for b in range(2):
        top = a[b].argsort(descending=True)[:5]
        assert out.index[b].tolist() == top.tolist()
        torch.testing.assert_close(out.tokens[b], x[b, top])


def test_random_k_is_seeded_and_uniformly_spread():
    x, a, keys = peaked(200, 20, 2, seed=3)
    one = RandomK(5, seed=1)(x, a, keys)
    assert torch.equal(one.index, RandomK(5, seed=1)(x, a, keys).index)
    assert not torch.equal(one.index, RandomK(5, seed=2)(x, a, keys).index)
    counts = torch.bincount(one.index.flatten(), minlength=20).double()
    assert (counts / counts.sum() - 1 / 20).abs().max() < 0.03  # each position ~ 1/20


def test_avg_pool_equals_block_means():
    x = torch.arange(16.0).reshape(1, 16, 1)
    out = AvgPool2D(4)(x, torch.full((1, 16), 0.05), None)
    grid = x.reshape(4, 4)
    expected = [grid[:2, :2].mean(), grid[:2, 2:].mean(), grid[2:, :2].mean(), grid[2:, 2:].mean()]
    torch.testing.assert_close(out.tokens[0, :, 0], torch.stack(expected))


def test_tome_merges_the_most_similar_pairs_by_size_weighted_average():
    x, _, keys = peaked(3, 33, 5, seed=4)
    merged, pos = bipartite_to(x, keys, 7)
    assert merged.shape == (3, 7, 5) and pos.shape == (3, 7)
    assert ToMe(7)(x, torch.full((3, 33), 0.01), keys).lengths().tolist() == [7, 7, 7]
    metric = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.99, 0.1], [1.0, 0.01]]])
    vals = torch.tensor([[[1.0], [5.0], [3.0], [7.0]]])
    m, p = bipartite_to(vals, metric, 3)  # A = {0, 2}, B = {1, 3}; 0 ~ 3 most similar
    assert sorted(m[0, :, 0].tolist()) == [3.0, 4.0, 5.0] and 3 in p[0].tolist()
    m2, _ = bipartite_to(vals, metric, 2)  # then 2 joins {0, 3}: (1 + 7 + 3) / 3
    assert sorted(m2[0, :, 0].tolist()) == pytest.approx([11 / 3, 5.0])


def test_visionzip_dominant_plus_contextual_means_by_loop():
    x, a, keys = peaked(2, 64, 4, seed=5)
    out = VisionZip(20)(x, a, keys)
    for b in range(2):
        order = a[b].argsort(descending=True)
        dom, rest = order[:17].tolist(), sorted(order[17:].tolist())  # c = round(20·10/64) = 3
        targets = [rest[0], rest[15], rest[30]]  # step = 47 // 3
        kn = torch.nn.functional.normalize(keys[b], dim=-1)
        groups = {t: [] for t in targets}
        for j in rest:
            best = j if j in targets else max(targets, key=lambda t: float(kn[j] @ kn[t]))
            groups[best].append(j)
        expected = [x[b, dom]] + [torch.stack([x[b, groups[t]].mean(0) for t in targets])]
        torch.testing.assert_close(out.tokens[b], torch.cat(expected))
        assert out.index[b].tolist() == dom + targets


@pytest.mark.parametrize("budget", [0, 65, 2.5, torch.tensor([1, 2, 3])])
def test_bad_budgets_raise(budget):
    x, a, keys = peaked(2, 64, 4)
    with pytest.raises(ValueError, match="budget"):
        RandomK(budget)(x, a, keys)


def test_similarity_baselines_need_keys_and_pooling_a_square_grid():
    x, a, _ = peaked(1, 10, 4)
    with pytest.raises(ValueError, match="keys"):
        ToMe(3)(x, a, None)
    with pytest.raises(ValueError, match="grid"):
        AvgPool2D(4)(x, a, None)
