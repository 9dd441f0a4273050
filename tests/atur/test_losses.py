import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from paperzoo.atur.losses import (
    at_ur_loss,
    beta_weight,
    entropy,
    loss_scale_control,
    true_class_rank,
    weighted_cross_entropy,
)


def test_beta_weights_match_closed_form_k10():
    w = beta_weight(torch.arange(10), 10, a=1.1, b=5.0)
    expected = [1.0, 4.252, 3.176, 2.33, 1.74, 1.36, 1.15, 1.05, 1.01, 1.00]
    np.testing.assert_allclose(w.numpy(), expected, atol=6e-3)
    reference = 1 + stats.beta.pdf(np.arange(10) / 10, 1.1, 5.0)
    np.testing.assert_allclose(w.numpy(), reference, rtol=1e-5)


def test_beta_weights_k100_values_from_notes():
    w = beta_weight(torch.tensor([1, 4, 10, 20, 50]), 100)
    assert 4.7 < w[0] < 5.0 and 4.7 < w[1] < 5.0
    np.testing.assert_allclose(w[2:].numpy(), [4.25, 3.18, 1.36], atol=0.01)


def test_rank_is_detached_and_matches_loop():
    torch.manual_seed(0)
    logits = torch.randn(50, 7, requires_grad=True)
    y = torch.randint(0, 7, (50,))
    rank = true_class_rank(logits, y)
    assert not rank.requires_grad
    for i in range(50):
        order = torch.argsort(logits[i].detach(), descending=True).tolist()
        assert rank[i] == order.index(int(y[i]))
    assert not beta_weight(rank, 7).requires_grad


def test_true_class_rank_ties_favour_the_true_class():
    logits = torch.tensor([[2.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 3.0]])
    # row 0: y=2 ties class 1 -> only class 0 ranks above; row 1: y=0 ties 1, 2 -> only class 3
    assert true_class_rank(logits, torch.tensor([2, 0])).tolist() == [1, 1]


def test_uniform_beta_gives_twice_cross_entropy():
    torch.manual_seed(1)
    logits, y = torch.randn(16, 5), torch.randint(0, 5, (16,))
    w = beta_weight(true_class_rank(logits, y), 5, a=1.0, b=1.0)
    torch.testing.assert_close(w, torch.full((16,), 2.0))
    torch.testing.assert_close(at_ur_loss(logits, y, w, 0.0), 2 * F.cross_entropy(logits, y))


def test_at_ur_loss_matches_reference():
    torch.manual_seed(2)
    logits, y = torch.randn(8, 4, dtype=torch.float64), torch.randint(0, 4, (8,))
    w = torch.rand(8, dtype=torch.float64) + 1
    p = logits.softmax(1).numpy()
    ce = -np.log(p[np.arange(8), y.numpy()])
    ent = -(p * np.log(p)).sum(1)
    expected = (w.numpy() * ce).mean() + 0.3 * ent.mean()
    assert float(at_ur_loss(logits, y, w, 0.3)) == pytest.approx(expected, rel=1e-10)


def test_entropy_gradient_matches_finite_differences():
    torch.manual_seed(3)
    logits = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: entropy(z).sum(), (logits,))
    uniform = entropy(torch.zeros(1, 6))
    assert float(uniform) == pytest.approx(math.log(6), rel=1e-6)


def test_weighted_cross_entropy_and_the_loss_scale_control():
    torch.manual_seed(6)
    logits, y = torch.randn(9, 4, dtype=torch.float64), torch.randint(0, 4, (9,))
    w = torch.rand(9, dtype=torch.float64) + 1
    ce = F.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(weighted_cross_entropy(logits, y, None), ce.mean())
    torch.testing.assert_close(weighted_cross_entropy(logits, y, w), (w * ce).mean())
    torch.testing.assert_close(loss_scale_control(logits, y, w), w.mean() * ce.mean())
