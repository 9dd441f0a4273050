"""Each baseline's rule against an independent computation on random tensors / tiny models."""

import numpy as np
import pytest
import torch

from paperzoo.core.vit import SmallViT, ViTConfig, adapt
from paperzoo.core.vit.adapters import block_forward
from paperzoo.core.vit.convert import to_hf, to_timm
from paperzoo.tokentm import EXPLAINERS, get_explainer
from paperzoo.tokentm.baselines import (
    AttentionGradCAM,
    CheferLRP,
    GenAtt,
    IGConfig,
    IntegratedGradients,
    RandomConfig,
    RandomMap,
    RawAttention,
    Rollout,
    RolloutConfig,
)
from paperzoo.tokentm.baselines import chefer_lrp as lrp
from paperzoo.tokentm.baselines.attention_gradcam import attention_gradcam_row
from paperzoo.tokentm.baselines.genatt import GenAttConfig

CFG = ViTConfig(image_size=12, patch_size=4, in_chans=1, num_classes=4, dim=16, depth=3, heads=2)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(7)
    model = SmallViT(CFG).double().eval()
    x = torch.rand(3, 1, 12, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    trace = adapt(model).trace(x)
    target = trace.logits.argmax(1)
    grads = [g.numpy() for g in trace.attention_grads(target)]
    attns = [a.detach().numpy() for a in trace.attentions]
    return model, x, attns, grads


def test_raw_attention(tiny):
    model, x, attns, _ = tiny
    ref = np.maximum(attns[-1][:, :, 0, 1:].mean(1), 0)
    torch.testing.assert_close(RawAttention(model).explain(x).reshape(3, -1), torch.from_numpy(ref))


@pytest.mark.parametrize("start", [0, 1])
def test_rollout_matches_matrix_product(tiny, start):
    model, x, attns, _ = tiny
    ref = []
    for i in range(3):
        joint = np.eye(10)
        for a in attns[start:]:
            a_hat = a[i].mean(0) + np.eye(10)
            a_hat = a_hat / a_hat.sum(-1, keepdims=True)
            joint = a_hat @ joint
        ref.append(joint[0, 1:])
    for fast in (True, False):
        got = Rollout(model, RolloutConfig(start, fast)).explain(x).reshape(3, -1)
        torch.testing.assert_close(got, torch.from_numpy(np.stack(ref)))


def test_genatt_matches_chefer_rule(tiny):
    model, x, attns, grads = tiny
    ref = []
    for i in range(3):
        r = np.eye(10)
        for a, g in zip(attns, grads, strict=True):
            cam = np.mean([np.maximum(g[i, h] * a[i, h], 0) for h in range(2)], axis=0)
            r = r + cam @ r
        ref.append(r[0, 1:])
    for fast in (True, False):
        got = GenAtt(model, GenAttConfig(fast)).explain(x).reshape(3, -1)
        torch.testing.assert_close(got, torch.from_numpy(np.stack(ref)))


def test_attention_gradcam_formula_on_random_tensors():
    g = torch.Generator().manual_seed(0)
    attn = torch.rand(2, 3, 5, 5, generator=g, dtype=torch.float64)
    grad = torch.randn(2, 3, 5, 5, generator=g, dtype=torch.float64)
    ref = np.zeros((2, 5))
    for b in range(2):
        acc = np.zeros(5)
        for h in range(3):
            alpha = grad[b, h, 0, 1:].mean().item()
            acc += attn[b, h, 0].numpy() * alpha
        ref[b] = np.maximum(acc / 3, 0)
    torch.testing.assert_close(attention_gradcam_row(attn, grad), torch.from_numpy(ref))


def test_attention_gradcam_explainer_uses_last_layer(tiny):
    model, x, attns, grads = tiny
    ref = attention_gradcam_row(torch.from_numpy(attns[-1]), torch.from_numpy(grads[-1]))[:, 1:]
    torch.testing.assert_close(AttentionGradCAM(model).explain(x).reshape(3, -1), ref)


def test_random_is_seeded_and_uniform(tiny):
    model, x, _, _ = tiny
    a = RandomMap(model, RandomConfig(pixel_level=False), seed=3).explain(x)
    b = RandomMap(model, RandomConfig(pixel_level=False), seed=3).explain(x)
    assert torch.equal(a, b) and a.shape == (3, 3, 3) and 0 <= a.min() and a.max() < 1
    assert RandomMap(model, RandomConfig(pixel_level=True)).explain(x).shape == (3, 12, 12)


def test_random_maps_are_a_seeded_stream(tiny):
    model, x, _, _ = tiny
    first = RandomMap(model, RandomConfig(pixel_level=False), seed=3)
    a1, a2 = first.explain(x), first.explain(x)
    second = RandomMap(model, RandomConfig(pixel_level=False), seed=3)
    b1, b2 = second.explain(x), second.explain(x)
    assert not torch.equal(a1, a2)  # successive batches are not correlated
    assert torch.equal(a1, b1) and torch.equal(a2, b2)  # the stream is fixed by the seed


def test_lrp_linear_matches_loop():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    r = torch.rand(2, 3, generator=g, dtype=torch.float64)
    x[:, 0], w[:, 0] = x[:, 0].abs() + 0.1, w[:, 0].abs() + 0.1  # every denominator > 0
    ref = np.zeros((2, 4))
    for b in range(2):
        for j in range(3):
            z = [max(x[b, i].item(), 0) * max(w[j, i].item(), 0)
                 + min(x[b, i].item(), 0) * min(w[j, i].item(), 0) for i in range(4)]  # fmt: skip
            for i in range(4):
                ref[b, i] += z[i] / sum(z) * r[b, j].item()
    torch.testing.assert_close(lrp.lrp_linear(x, w, r), torch.from_numpy(ref))
    # α=1, β=0 without bias conserves relevance
    torch.testing.assert_close(lrp.lrp_linear(x, w, r).sum(1), r.sum(1))


def test_lrp_add_conserves_per_image_and_matmul_halves():
    g = torch.Generator().manual_seed(2)
    a, b = (
        torch.randn(3, 5, 4, generator=g, dtype=torch.float64),
        torch.randn(3, 5, 4, generator=g, dtype=torch.float64),
    )
    r = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    ra, rb = lrp.lrp_add(a, b, r)
    torch.testing.assert_close((ra + rb).sum((1, 2)), r.sum((1, 2)))
    # each branch gets the |share| of its LRP-0 relevance
    share = (a * r / (a + b)).sum((1, 2)).abs()
    other = (b * r / (a + b)).sum((1, 2)).abs()
    torch.testing.assert_close(ra.sum((1, 2)), share / (share + other) * r.sum((1, 2)))
    m1, m2 = (
        torch.rand(2, 3, 4, generator=g, dtype=torch.float64),
        torch.rand(2, 4, 5, generator=g, dtype=torch.float64),
    )
    rz = torch.rand(2, 3, 5, generator=g, dtype=torch.float64)
    r1, r2 = lrp.lrp_matmul(m1, m2, rz)
    ref1 = np.einsum("bik,bkj,bij->bik", m1.numpy(), m2.numpy(), (rz / (m1 @ m2)).numpy()) / 2
    torch.testing.assert_close(r1, torch.from_numpy(ref1))
    torch.testing.assert_close(r1.sum((1, 2)) + r2.sum((1, 2)), rz.sum((1, 2)))


def test_chefer_lrp_batched_equals_batch_of_one_and_fast_equals_full(tiny):
    model, x, _, _ = tiny
    batched = CheferLRP(model).explain(x)
    single = torch.cat([CheferLRP(model).explain(x[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batched, single)
    full = CheferLRP(model, lrp.CheferLRPConfig(fast=False)).explain(x)
    torch.testing.assert_close(batched, full)
    assert batched.abs().sum() > 0


def test_chefer_lrp_forward_recompute_matches_model(tiny):
    model, x, _, _ = tiny
    adapter = adapt(model)
    trace = adapter.trace(x)
    z = trace.z0
    for w, blk in zip(adapter.weights().blocks, trace.blocks, strict=True):
        z = block_forward(z, w, CFG.heads)[1]  # the re-forward Chefer-LRP runs
        torch.testing.assert_close(z, blk.z)


def test_integrated_gradients_completeness():
    torch.manual_seed(0)
    model = SmallViT(ViTConfig(image_size=8, patch_size=4, dim=8, depth=1, heads=2)).double().eval()
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    attr = IntegratedGradients(model, IGConfig(n_steps=200, reduce="sum")).explain(x, target=1)
    with torch.no_grad():
        gap = model(x)[:, 1] - model(torch.zeros_like(x))[:, 1]
    torch.testing.assert_close(attr.sum((1, 2)), gap, rtol=2e-3, atol=1e-4)
    assert attr.shape == (2, 8, 8)


@pytest.mark.parametrize("name", ["tokentm", "genatt", "chefer_lrp", "rollout"])
def test_maps_agree_across_hosts(name):
    torch.manual_seed(11)
    own = SmallViT(CFG).eval()
    x = torch.rand(2, 1, 12, 12, generator=torch.Generator().manual_seed(12))
    ref = get_explainer(name)(own).explain(x)
    for host in (to_timm(own), to_hf(own)):
        torch.testing.assert_close(get_explainer(name)(host).explain(x), ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(EXPLAINERS))
def test_every_explainer_rejects_bad_input(tiny, name):
    model, x, _, _ = tiny
    explainer = get_explainer(name)(model)
    with pytest.raises(ValueError, match="x must have shape"):
        explainer.explain(torch.rand(2, 3, 12, 12, dtype=torch.float64))
    with pytest.raises(ValueError, match="target: class index 9 out of range"):
        explainer.explain(x, target=9)


def test_unknown_method():
    with pytest.raises(ValueError, match="method: unknown explainer 'bt'"):
        get_explainer("bt")


@pytest.mark.parametrize("name", sorted(EXPLAINERS))
@pytest.mark.parametrize("target", [True, torch.tensor([True, False, True]), np.bool_(False)])
def test_every_explainer_refuses_bool_targets(tiny, name, target):
    model, x, _, _ = tiny
    with pytest.raises(ValueError, match="target must be integer class indices, got bool"):
        EXPLAINERS[name](model).explain(x, target=target)


def _timm_vit(dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    import timm

    torch.manual_seed(3)
    model = timm.create_model(
        "vit_tiny_patch16_224", pretrained=False, img_size=32, patch_size=8, depth=2, num_classes=5
    )  # fmt: skip
    return model.eval().to(dtype)


@pytest.mark.parametrize("name", sorted(EXPLAINERS))
def test_every_explainer_casts_inputs_to_the_models_dtype(name):
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    ref = EXPLAINERS[name](_timm_vit()).explain(x)
    torch.testing.assert_close(EXPLAINERS[name](_timm_vit()).explain(x.double()), ref)
    half = EXPLAINERS[name](_timm_vit(torch.float16)).explain(x)  # float32 input, fp16 model
    assert half.shape == ref.shape and torch.isfinite(half).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_chefer_lrp_relevance_is_computed_in_float32(dtype):
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    ref = CheferLRP(_timm_vit()).explain(x)
    got = CheferLRP(_timm_vit(dtype)).explain(x.to(dtype))
    assert got.dtype == torch.float32 and torch.isfinite(got).all()
    corr = torch.corrcoef(torch.stack([got.flatten(), ref.flatten()]))[0, 1]
    assert corr > 0.99  # before: all NaN (fp16), correlation -0.2 (bf16)


def test_ig_internal_batch_follows_the_memory_budget():
    from paperzoo.tokentm.baselines.integrated_gradients import step_memory_bytes

    # ViT-B/16 at 224 px (197 tokens, 768 wide, 12 blocks and heads), float32
    assert step_memory_bytes(197, 768, 12, 12, 4) == 12 * (16 * 197 * 768 + 2 * 12 * 197**2) * 4
    assert IntegratedGradients(_timm_vit()).rows_per_forward() == int(
        2048 * 2**20 // step_memory_bytes(17, 192, 2, 3, 4)
    )
    model = _timm_vit()
    rows = []  # images per forward that keeps a graph (the target's no-grad forward holds none)
    model.register_forward_pre_hook(
        lambda _m, args: rows.append(len(args[0])) if torch.is_grad_enabled() else None
    )
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    ref = IntegratedGradients(model, IGConfig(n_steps=8, internal_batch_size=10**6)).explain(x)
    assert max(rows) == 3 * 8  # one forward for every step of every image
    budget = 2.5 * step_memory_bytes(17, 192, 2, 3, 4) / 2**20  # room for 2 rows
    small = IntegratedGradients(model, IGConfig(n_steps=8, memory_budget_mib=budget))
    assert small.rows_per_forward() == 2
    rows.clear()
    torch.testing.assert_close(small.explain(x), ref, rtol=1e-4, atol=1e-6)
    assert max(rows) == 2  # also for 3 images: they go in slices
    with pytest.raises(ValueError, match="memory_budget_mib must be > 0"):
        IGConfig(memory_budget_mib=0)


def test_every_explainer_runs_on_a_vit_with_a_conv_stem():
    """The full-scale ViT has a convolutional stem; the maps stay on its 4×4 token grid."""
    torch.manual_seed(0)
    model = SmallViT(ViTConfig(image_size=16, dim=16, depth=2, heads=2, stem=4)).eval()
    x = torch.rand(2, 1, 16, 16)
    for name in EXPLAINERS:
        maps = get_explainer(name)(model).explain(x)
        assert maps.shape[0] == 2 and maps.shape[-2:] in ((4, 4), (16, 16)), name
        assert torch.isfinite(maps).all(), name
