import numpy as np
import pytest
import torch

from paperzoo.mmhar.fusion import (
    attention_pool,
    gated_sum,
    late_fusion,
    masked_concat,
    modality_dropout,
)


def _logp(b=5, m=3, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(torch.randn(b, m, k, generator=g, dtype=torch.float64), -1)


def test_late_fusion_matches_numpy_and_renormalises_over_present():
    logp = _logp()
    present = torch.tensor(
        [[1, 1, 1], [1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]], dtype=torch.bool
    )
    p, m = logp.exp().numpy(), present.numpy().astype(float)
    mean_ref = (p * m[..., None]).sum(1) / m.sum(1, keepdims=True)
    torch.testing.assert_close(late_fusion(logp, present, "mean").exp().numpy(), mean_ref)
    prod = np.exp((np.log(p) * m[..., None]).sum(1))
    prod_ref = prod / prod.sum(1, keepdims=True)
    torch.testing.assert_close(late_fusion(logp, present, "product").exp().numpy(), prod_ref)
    w = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64).expand(5, 3)
    wm = w.numpy() * m
    ref = (p * (wm / wm.sum(1, keepdims=True))[..., None]).sum(1)
    torch.testing.assert_close(late_fusion(logp, present, "weighted", w).exp().numpy(), ref)
    # a missing branch's values do not matter
    garbage = logp.clone()
    garbage[~present] = 0.0
    torch.testing.assert_close(late_fusion(garbage, present), late_fusion(logp, present))
    with pytest.raises(ValueError, match="mode"):
        late_fusion(logp, present, "max")


def test_feature_fusions_ignore_missing_embeddings():
    e = torch.randn(4, 3, 8, dtype=torch.float64)
    present = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 1, 1], [1, 0, 1]], dtype=torch.bool)
    gates = torch.rand(4, 3, dtype=torch.float64)
    e2 = e.clone()
    e2[~present] = 99.0
    torch.testing.assert_close(gated_sum(e, gates, present), gated_sum(e2, gates, present))
    g = (gates * present).numpy()
    ref = (g[..., None] * e.numpy()).sum(1) / g.sum(1, keepdims=True)
    torch.testing.assert_close(gated_sum(e, gates, present).numpy(), ref)
    q = torch.randn(8, dtype=torch.float64)
    torch.testing.assert_close(attention_pool(q, e, present), attention_pool(q, e2, present))
    torch.testing.assert_close(attention_pool(q, e, present)[1], e[1, 0])  # one token: itself
    assert (masked_concat(e2, present).view(4, 3, 8)[~present] == 0).all()


def test_modality_dropout_keeps_one_present_modality_per_row():
    present = torch.rand(500, 3, generator=torch.Generator().manual_seed(1)) > 0.3
    present[:, 0] |= ~present.any(1)
    out = modality_dropout(present, 0.9, torch.Generator().manual_seed(0))
    assert out.any(1).all() and not (out & ~present).any()
    assert out.sum() < present.sum() * 0.5
    assert torch.equal(modality_dropout(present, 0.0), present)
    with pytest.raises(ValueError, match="p must"):
        modality_dropout(present, 1.0)
