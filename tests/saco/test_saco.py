import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.saco import SaCo, SaCoConfig, saco_coefficient, salience_groups


def brute_force_coefficient(s, delta):
    """The authors' pseudo-code, as a double loop in float64."""
    num = den = 0.0
    k = len(s)
    for i, j in itertools.combinations(range(k), 2):
        sigma = 1.0 if delta[i] >= delta[j] else -1.0
        num += sigma * (s[i] - s[j])
        den += abs(s[i] - s[j])
    return num / den


def brute_force_saco(model, x, a, k, target=None):
    """Per image, per group: rank pixels, perturb each group with the image mean, one call each."""
    out = []
    for n in range(x.shape[0]):
        img, m = x[n], a[n].flatten()
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


def test_coefficient_matches_double_loop_with_ties():
    gen = torch.Generator().manual_seed(0)
    s = torch.rand(20, 7, generator=gen, dtype=torch.float64)
    delta = torch.randint(0, 3, (20, 7), generator=gen).double()  # many ties
    got = saco_coefficient(s, delta)
    want = torch.tensor(
        [brute_force_coefficient(a.tolist(), b.tolist()) for a, b in zip(s, delta, strict=True)]
    )
    torch.testing.assert_close(got, want.double())


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
