import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.masksam.masksam import (
    decode_box,
    dice_loss,
    generalized_iou,
    hungarian_match,
    mask_to_box,
    pairwise_bce,
    pairwise_dice,
    prompt_box,
    semantic_map,
)


@given(st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_decode_box_is_ordered_and_inside_the_unit_square(raw):
    box = decode_box(torch.tensor(raw))
    assert 0 <= box[0] <= box[2] <= 1 and 0 <= box[1] <= box[3] <= 1


def test_mask_to_box_matches_a_loop_over_pixels():
    gen = torch.Generator().manual_seed(0)
    masks = torch.rand(5, 7, 9, generator=gen) > 0.8
    masks[3] = False
    boxes, valid = mask_to_box(masks)
    for i in range(5):
        ys, xs = np.nonzero(masks[i].numpy())
        assert bool(valid[i]) == (ys.size > 0)
        if ys.size:
            ref = [xs.min() / 9, ys.min() / 7, (xs.max() + 1) / 9, (ys.max() + 1) / 7]
            torch.testing.assert_close(boxes[i], torch.tensor(ref, dtype=torch.float32))
    assert boxes[3].tolist() == [0, 0, 0, 0]


def test_prompt_box_averages_with_the_tight_box_and_falls_back_when_empty():
    logits = torch.full((2, 4, 4), -5.0)
    logits[0, 1:3, 0:2] = 5.0  # tight box (0, .25, .5, .75)
    pred = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.1, 0.2, 0.3, 0.4]])
    out = prompt_box(pred, logits)
    torch.testing.assert_close(out[0], torch.tensor([0.0, 0.125, 0.75, 0.875]))
    torch.testing.assert_close(out[1], pred[1])


def test_semantic_map_matches_the_sum_over_queries():
    gen = torch.Generator().manual_seed(1)
    logits, masks = (
        torch.randn(1, 2, 3, 4, generator=gen),
        torch.randn(1, 3, 2, 2, 2, generator=gen),
    )
    out = semantic_map(logits, masks)
    ref = torch.zeros(1, 3, 2, 2, 2)
    for t, q, c in itertools.product(range(2), range(3), range(3)):
        ref[0, c, t] += logits[0, t, q].softmax(-1)[c] * masks[0, q, t].sigmoid()
    torch.testing.assert_close(out, ref)


def test_generalized_iou_known_values():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 2.0, 1.0], [2.0, 2.0, 3.0, 3.0]])
    out = generalized_iou(a, b)
    torch.testing.assert_close(out, torch.tensor([1.0, 0.0, -7 / 9]), atol=1e-6, rtol=0)


def test_pairwise_costs_match_per_pair_losses():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(2, 3, 10, generator=gen, dtype=torch.float64)
    targets = (torch.rand(2, 4, 10, generator=gen) > 0.5).double()
    bce, dice = pairwise_bce(logits, targets), pairwise_dice(logits, targets)
    for s, n, m in itertools.product(range(2), range(3), range(4)):
        ref = F.binary_cross_entropy_with_logits(logits[s, n], targets[s, m])
        torch.testing.assert_close(bce[s, n, m], ref)
        torch.testing.assert_close(
            dice[s, n, m], dice_loss(logits[s, n][None], targets[s, m][None])[0]
        )


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_hungarian_recovers_a_planted_permutation(seed):
    rng = np.random.default_rng(seed)
    n, m = 6, 4
    perm = rng.permutation(n)[:m]  # target j belongs to query perm[j]
    cost = torch.as_tensor(rng.uniform(1, 2, size=(1, n, m)))
    cost[0, perm, np.arange(m)] = 0.0
    valid = torch.ones(1, m, dtype=torch.bool)
    s, q, t = hungarian_match(cost, valid)
    assert dict(zip(t.tolist(), q.tolist(), strict=True)) == dict(enumerate(perm.tolist()))


def test_hungarian_skips_invalid_targets_and_rejects_too_many():
    cost = torch.zeros(2, 2, 3)
    valid = torch.tensor([[True, False, True], [False, False, False]])
    s, q, t = hungarian_match(cost, valid)
    assert s.tolist() == [0, 0] and sorted(t.tolist()) == [0, 2]
    with pytest.raises(ValueError, match="cost"):
        hungarian_match(cost, torch.ones(2, 3, dtype=torch.bool))
