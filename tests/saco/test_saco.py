import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from paperzoo.saco import SaCo, SaCoConfig, saco_coefficient, salience_groups


def brute_force_coefficient(s, delta):
    """The definition as a double loop in float64: groups in descending salience, then all pairs."""
    pairs = sorted(zip(s, delta, strict=True), key=lambda p: -p[0])  # stable: ties keep order
    num = den = 0.0
    for (s_i, d_i), (s_j, d_j) in itertools.combinations(pairs, 2):
        sigma = 1.0 if d_i >= d_j else -1.0
        num += sigma * (s_i - s_j)
        den += abs(s_i - s_j)
    return num / den if den > 0 else float("nan")


def brute_force_saco(model, x, a, k, target=None):
    """Per image, per group: rank pixels, perturb each group with the image mean, one call each."""
    out = []
    for n in range(x.shape[0]):
        img, m = x[n], a[n].flatten().double()
        p0 = model(img[None]).softmax(1)[0]
        c = int(p0.argmax()) if target is None else int(target[n])
        order = np.argsort(-m.numpy(), kind="stable")
        groups = np.array_split(order, k)
        s, delta = [], []
        for g in groups:
            s.append(float(m[g].sum()))
            pert = img.clone().reshape(img.shape[0], -1)
            pert[:, g] = img.reshape(img.shape[0], -1).mean(1, keepdim=True)
            delta.append(float(p0[c] - model(pert.reshape(img.shape)[None]).softmax(1)[0, c]))
        out.append(brute_force_coefficient(s, delta))
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize("signed", [False, True])
def test_coefficient_matches_double_loop_with_ties_in_any_order(signed):
    gen = torch.Generator().manual_seed(0)
    s = torch.rand(200, 7, generator=gen, dtype=torch.float64) - 0.5 * signed  # not sorted
    s[:50] = torch.randint(-2, 3, (50, 7), generator=gen).double()  # tied salience
    delta = torch.randint(0, 3, (200, 7), generator=gen).double()  # many tied effects
    delta[150:] = torch.randn(50, 7, generator=gen, dtype=torch.float64)
    got = saco_coefficient(s, delta)
    want = torch.tensor(
        [brute_force_coefficient(a.tolist(), b.tolist()) for a, b in zip(s, delta, strict=True)],
        dtype=torch.float64,
    )
    torch.testing.assert_close(got, want, equal_nan=True)
    perm = torch.randperm(7, generator=gen)
    torch.testing.assert_close(saco_coefficient(s[:, perm], delta[:, perm]), got, equal_nan=True)


def test_tied_effects_agree_with_salience_whatever_the_group_order():
    tied = torch.zeros(1, 3, dtype=torch.float64)
    for s in ([[3.0, 2.0, 1.0]], [[1.0, 2.0, 3.0]], [[2.0, 3.0, 1.0]]):
        assert float(saco_coefficient(torch.tensor(s, dtype=torch.float64), tied)[0]) == 1.0
    s = torch.tensor([[1.0, 3.0, 2.0]])
    assert float(saco_coefficient(s, torch.tensor([[0.0, 2.0, 1.0]]))[0]) == 1.0
    assert float(saco_coefficient(s, torch.tensor([[2.0, 0.0, 1.0]]))[0]) == -1.0


def test_coefficient_rejects_non_finite_and_bad_shapes():
    s, delta = torch.rand(4, 5), torch.rand(4, 5)
    for name, bad in [("delta", float("nan")), ("delta", float("inf")), ("s", float("nan"))]:
        args = {"s": s.clone(), "delta": delta.clone()}
        args[name][1, 2] = bad
        with pytest.raises(ValueError, match=f"^{name} contains NaN or inf"):
            saco_coefficient(**args)
    with pytest.raises(ValueError, match=r"s must be \[B, K\], got shape \[5\]"):
        saco_coefficient(s[0], delta[0])
    with pytest.raises(ValueError, match=r"delta must be \[B, K\], got shape \[4, 5, 1\]"):
        saco_coefficient(s, delta[..., None])
    with pytest.raises(ValueError, match=r"same shape.*\[4, 5\].*\[4, 4\]"):
        saco_coefficient(s, delta[:, :4])
    with pytest.raises(TypeError, match="s must be a float tensor"):
        saco_coefficient(s.long(), delta)
    with pytest.raises(ValueError, match="k must be in"):
        salience_groups(s, 6)
    with pytest.raises(ValueError, match="salience must be"):
        salience_groups(s[0], 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3, max_size=12, unique=True), st.randoms())
def test_coefficient_bounds_and_extremes(values, rnd):
    s = torch.tensor(sorted(values, reverse=True), dtype=torch.float64)[None]
    f = float(saco_coefficient(s, s.clone())[0])
    assert f == pytest.approx(1.0)  # effects ordered exactly like salience
    assert float(saco_coefficient(s, -s)[0]) == pytest.approx(-1.0)
    delta = torch.tensor([rnd.random() for _ in values], dtype=torch.float64)[None]
    assert -1.0 - 1e-12 <= float(saco_coefficient(s, delta)[0]) <= 1.0 + 1e-12


def test_groups_rank_descending_with_remainder_and_ties():
    m = torch.tensor([[0.1, 0.9, 0.5, 0.5, 0.3, 0.7, 0.0]])
    # ranks: 0.9(1) 0.7(5) 0.5(2) 0.5(3) 0.3(4) 0.1(0) 0.0(6); K=3 sizes (3, 2, 2)
    got = salience_groups(m, 3)[0].tolist()
    expected = [0] * 7
    for rank, unit in enumerate([1, 5, 2, 3, 4, 0, 6]):
        expected[unit] = 0 if rank < 3 else (1 if rank < 5 else 2)
    assert got == expected


def test_metric_matches_per_image_per_group_loop(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(2))
    result = SaCo(SaCoConfig(k=5, batch_size=7))(model=model, x_batch=images, a_batch=a)
    with torch.no_grad():
        want = brute_force_saco(model, images, a, 5)
    torch.testing.assert_close(result.scores, want, rtol=1e-5, atol=1e-6)


class LeftColumns(nn.Module):
    """A linear classifier that sees only the two left pixel columns."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(3 * 8 * 2, 5)

    def forward(self, x):
        return self.fc(x[..., :2].flatten(1)) * 5.0


def test_signed_map_with_uneven_groups_matches_the_definition(images):
    """80 pixels in K=3 groups of 27, 27, 26. Rank groups 1 and 2 lie where the model does not
    look (tied Δ); with negative salience group 2's sum exceeds group 1's, so F must order the
    groups by their sums (the definition) for the tie to count as agreement."""
    model = LeftColumns()
    left = (torch.arange(80) % 10) < 2
    order = torch.cat([left.nonzero()[:, 0], (~left).nonzero()[:, 0]])  # the 16 visible first
    a = torch.empty(80).index_put_((order,), -1.0 - 1e-4 * torch.arange(80.0))
    a = a.view(1, 8, 10).expand(6, 8, 10)
    result = SaCo(SaCoConfig(k=3))(model=model, x_batch=images, a_batch=a)
    s, delta = result.extra["group_salience"], result.extra["delta"]
    assert (s[:, 2] > s[:, 1]).all() and (delta[:, 1] == delta[:, 2]).all()  # the hard case
    with torch.no_grad():
        want = brute_force_saco(model, images, a, 3)
    torch.testing.assert_close(result.scores, want, rtol=1e-6, atol=1e-9)


def test_forward_images_are_exactly_n_times_k_plus_one(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(3))
    model.images_seen = 0
    result = SaCo(SaCoConfig(k=10, batch_size=32))(model=model, x_batch=images, a_batch=a)
    assert model.images_seen == 6 * 11 == result.forward_images
    assert model.calls < 6 * 11  # batched, not one call per copy


def test_affine_invariance_and_antisymmetry(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(4))
    metric = SaCo(SaCoConfig(k=8))  # 80 pixels / 8: equal groups
    f = metric(model=model, x_batch=images, a_batch=a).scores
    torch.testing.assert_close(metric(model=model, x_batch=images, a_batch=3.5 * a - 2.0).scores, f)
    neg = metric(model=model, x_batch=images, a_batch=-a)
    assert all(len(set(row.tolist())) == 8 for row in neg.extra["delta"])  # no tied effects
    torch.testing.assert_close(neg.scores, -f)


def test_oracle_map_scores_exactly_one(model, images):
    """One patch per group and M = each patch's own occlusion effect: F = 1 (−M: −1)."""
    x = images[:, :, :8, :8]
    with torch.no_grad():
        probs = model(x).softmax(1)
        c = probs.argmax(1)
        effects = torch.zeros(6, 2, 2)
        for i, j in itertools.product(range(2), range(2)):
            pert = x.clone()
            pert[:, :, 4 * i : 4 * i + 4, 4 * j : 4 * j + 4] = x.mean((2, 3), keepdim=True)
            effects[:, i, j] = (
                probs[torch.arange(6), c] - model(pert).softmax(1)[torch.arange(6), c]
            )
    oracle = effects.repeat_interleave(4, 1).repeat_interleave(4, 2)  # per-pixel map
    metric = SaCo(SaCoConfig(k=4, grouping="patch", patch_size=4))
    torch.testing.assert_close(
        metric(model=model, x_batch=x, a_batch=oracle).scores, torch.ones(6, dtype=torch.float64)
    )
    torch.testing.assert_close(
        metric(model=model, x_batch=x, a_batch=-oracle).scores, -torch.ones(6, dtype=torch.float64)
    )


def test_token_maps_and_patch_maps_are_upsampled(model, images):
    x = images[:, :, :8, :8]
    tokens = torch.rand(6, 17)  # CLS + 4x4 grid
    grid = tokens[:, 1:].reshape(6, 4, 4)
    metric = SaCo(SaCoConfig(k=4))
    torch.testing.assert_close(
        metric(model=model, x_batch=x, a_batch=tokens).scores,
        metric(model=model, x_batch=x, a_batch=grid).scores,
    )


def test_constant_maps_are_nan_and_counted(model, images):
    a = torch.rand(6, 8, 10)
    a[2] = 0.3
    result = SaCo()(model=model, x_batch=images, a_batch=a)
    assert result.skipped == 1 and torch.isnan(result.scores[2])
    assert not torch.isnan(result.scores[[0, 1, 3, 4, 5]]).any()
    with pytest.raises(ValueError, match="constant salience map"):
        SaCo(SaCoConfig(constant_map="raise"))(model=model, x_batch=images, a_batch=a)


def test_bad_inputs_are_named(model, images):
    metric = SaCo()
    with pytest.raises(ValueError, match="cannot be mapped"):
        metric(model=model, x_batch=images, a_batch=torch.rand(6, 3, 3))
    with pytest.raises(ValueError, match="square grid"):
        metric(model=model, x_batch=images, a_batch=torch.rand(6, 15))
    bad = torch.rand(6, 8, 10)
    bad[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        metric(model=model, x_batch=images, a_batch=bad)
    with pytest.raises(ValueError, match="k=100 is larger than the number of pixel groups"):
        SaCo(SaCoConfig(k=100))(model=model, x_batch=images, a_batch=torch.rand(6, 8, 10))
    with pytest.raises(ValueError, match="not probabilities"):
        SaCo(SaCoConfig(model_outputs="probabilities"))(
            model=model, x_batch=images, a_batch=torch.rand(6, 8, 10)
        )
    with pytest.raises(ValueError, match="a_batch has 2 maps for 6 images"):
        metric(model=model, x_batch=images, a_batch=torch.rand(2, 8, 10))
    with pytest.raises(ValueError, match="class index"):
        metric(
            model=model, x_batch=images, y_batch=torch.full((6,), 9), a_batch=torch.rand(6, 8, 10)
        )
    for field, value in [("k", 1), ("grouping", "row"), ("perturbation", "noise"), ("delta", "x")]:
        with pytest.raises(ValueError, match=field):
            SaCoConfig(**{field: value})


def test_numpy_inputs_and_options(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(5))
    torch_scores = SaCo()(model=model, x_batch=images, a_batch=a).scores
    np_scores = SaCo()(model=model, x_batch=images.numpy(), a_batch=a.numpy()).scores
    torch.testing.assert_close(np_scores, torch_scores)
    for cfg in [
        SaCoConfig(perturbation="zero"),
        SaCoConfig(perturbation="blur"),
        SaCoConfig(delta="logit"),
    ]:
        scores = SaCo(cfg)(model=model, x_batch=images, a_batch=a).scores
        assert scores.shape == (6,) and ((scores >= -1) & (scores <= 1)).all()
