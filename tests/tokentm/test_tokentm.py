"""Reference tests: TokenTM equations against loop/float64 implementations written here."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.core.vit import SmallViT, ViTConfig, adapt
from paperzoo.tokentm import GenAtt, TokenTM, TokenTMConfig
from paperzoo.tokentm import tokentm as eq

CFG = ViTConfig(image_size=12, patch_size=4, in_chans=1, num_classes=4, dim=16, depth=2, heads=2)


def _weight_ref(u, v, scale_by_n=False, eps=1e-6):
    b, n, _ = u.shape
    out = np.zeros((b, n))
    for i in range(b):
        cos = [u[i, k] @ v[i, k] / max(np.linalg.norm(u[i, k]) * np.linalg.norm(v[i, k]), eps)
               for k in range(n)]  # fmt: skip
        e = np.exp(cos)
        for k in range(n):
            ratio = np.linalg.norm(v[i, k]) / (np.linalg.norm(u[i, k]) + eps)
            out[i, k] = ratio * e[k] / e.sum() * (n if scale_by_n else 1)
    return out


@pytest.mark.parametrize("scale_by_n", [False, True])
def test_transformation_weight_matches_loop(scale_by_n):
    g = torch.Generator().manual_seed(0)
    u, v = torch.randn(2, 7, 5, generator=g), torch.randn(2, 7, 5, generator=g)
    got = eq.transformation_weight(u.double(), v.double(), scale_by_n)
    torch.testing.assert_close(
        got, torch.from_numpy(_weight_ref(u.double().numpy(), v.double().numpy(), scale_by_n))
    )
    if not scale_by_n:
        torch.testing.assert_close(eq.necc(u, v).sum(-1), torch.ones(2))


def _random_layers(seed, b=2, h=3, n=6, layers=3):
    g = torch.Generator().manual_seed(seed)
    attn = torch.rand(layers, b, h, n, n, generator=g, dtype=torch.float64).softmax(-1)
    grad = torch.randn(layers, b, h, n, n, generator=g, dtype=torch.float64)
    w_attn = torch.rand(layers, b, n, generator=g, dtype=torch.float64)
    w_mlp = torch.rand(layers, b, n, generator=g, dtype=torch.float64)
    c0 = torch.rand(b, n, generator=g, dtype=torch.float64) + 0.5
    return attn, grad, w_attn, w_mlp, c0


def _tokentm_ref(attn, grad, w_attn, w_mlp, c0, per_head):
    """C_L = Π_l (I + diag w_mlp)(I + (Ā diag w) ⊙ G) · diag(c0), with numpy loops over images."""
    layers, b, h, n, _ = attn.shape
    out = np.zeros((b, n, n))
    for i in range(b):
        c = np.diag(c0[i].numpy())
        for layer in range(layers):
            a, gr = attn[layer, i].numpy(), grad[layer, i].numpy()
            w = np.diag(w_attn[layer, i].numpy())
            if per_head:
                m = np.mean([np.maximum((a[k] @ w) * gr[k], 0) for k in range(h)], axis=0)
            else:
                m = (a.mean(0) @ w) * np.maximum(gr, 0).mean(0)
            u = (np.eye(n) + np.diag(w_mlp[layer, i].numpy())) @ (np.eye(n) + m)
            c = u @ c
        out[i] = c
    return torch.from_numpy(out)


@pytest.mark.parametrize("per_head", [False, True])
def test_recursion_fast_and_full_match_reference(per_head):
    attn, grad, w_attn, w_mlp, c0 = _random_layers(1)
    layers = zip(attn, grad, w_attn, strict=True)
    mixing = [eq.gated_attention(a, g, w, per_head) for a, g, w in layers]
    ref = _tokentm_ref(attn, grad, w_attn, w_mlp, c0, per_head)
    full = eq.full_product(mixing, list(w_mlp), c0)
    torch.testing.assert_close(full, ref)
    for cls in (0, 3):
        torch.testing.assert_close(eq.cls_row(mixing, list(w_mlp), c0, cls), ref[:, cls])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 9), layers=st.integers(1, 4))
def test_cls_row_equals_full_product_property(seed, n, layers):
    attn, grad, w_attn, w_mlp, c0 = _random_layers(seed, n=n, layers=layers)
    mixing = [eq.gated_attention(a, g, w) for a, g, w in zip(attn, grad, w_attn, strict=True)]
    full = eq.full_product(mixing, list(w_mlp), c0)[:, 0]
    torch.testing.assert_close(eq.cls_row(mixing, list(w_mlp), c0), full, rtol=1e-10, atol=0)


def test_initial_state_is_token_norms():
    z0 = torch.randn(2, 5, 3, dtype=torch.float64)
    pos = torch.randn(1, 5, 3, dtype=torch.float64)
    c = torch.diag_embed(eq.initial_state(z0))
    assert torch.count_nonzero(c - torch.diag_embed(torch.diagonal(c, dim1=1, dim2=2))) == 0
    torch.testing.assert_close(torch.diagonal(c, dim1=1, dim2=2)[1, 2], z0[1, 2].norm())
    torch.testing.assert_close(eq.initial_state(z0, pos)[0, 4], (z0[0, 4] - pos[0, 4]).norm())


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(3)
    model = SmallViT(CFG).double().eval()
    x = torch.rand(3, 1, 12, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    return model, x


@pytest.mark.parametrize("transformation", ["sublayer", "branch"])
def test_one_block_model_matches_hand_computation(tiny, transformation):
    torch.manual_seed(5)
    model = SmallViT(ViTConfig(**{**CFG.to_dict(), "depth": 1})).double().eval()
    x = tiny[1]
    got = TokenTM(model, TokenTMConfig(transformation=transformation)).explain(x, target=2)
    trace = adapt(model).trace(x)
    (grad,) = trace.attention_grads(torch.full((3,), 2))
    blk, own, d = trace.blocks[0], model.blocks[0], CFG.dim
    with torch.no_grad():  # value path: W_O (W_V LN1(X) + b_V) + b_O, no token mixing
        value = own.norm1(blk.x) @ own.attn.qkv.weight[2 * d :].T + own.attn.qkv.bias[2 * d :]
        value_out = own.attn.proj(value)
    for i in range(3):
        xi, yi, zi = blk.x[i].numpy(), blk.y[i].numpy(), blk.z[i].numpy()
        if transformation == "sublayer":
            w1, w2 = _weight_ref(xi[None], yi[None])[0], _weight_ref(yi[None], zi[None])[0]
        else:
            w1 = _weight_ref(xi[None], value_out[i].numpy()[None])[0]
            w2 = _weight_ref(yi[None], (zi - yi)[None])[0]
        a = blk.attn[i].detach().numpy()
        m = (a.mean(0) @ np.diag(w1)) * np.maximum(grad[i].numpy(), 0).mean(0)
        u = (np.eye(10) + np.diag(w2)) @ (np.eye(10) + m)
        c = u @ np.diag(np.linalg.norm(trace.z0[i].numpy(), axis=-1))
        torch.testing.assert_close(got[i].reshape(-1), torch.from_numpy(c[0, 1:]))


@pytest.mark.parametrize(
    "cfg",
    [TokenTMConfig(), TokenTMConfig(necc_scale="n", gating="per_head"),
     TokenTMConfig(transformation="branch", c0_positional=False)],
)  # fmt: skip
def test_explainer_fast_path_equals_full_product(tiny, cfg):
    model, x = tiny
    fast = TokenTM(model, cfg).explain(x)
    full = TokenTM(model, TokenTMConfig(**{**cfg.__dict__, "fast": False})).explain(x)
    assert fast.shape == (3, 3, 3)
    torch.testing.assert_close(fast, full, rtol=1e-9, atol=0)


def test_reduces_to_genatt_when_token_weights_off(tiny):
    model, x = tiny
    off = TokenTMConfig(token_weights=False, mlp_term=False, gating="per_head", init="identity")
    torch.testing.assert_close(TokenTM(model, off).explain(x), GenAtt(model).explain(x))
    # and differs from GenAtt with its weights on
    assert not torch.allclose(TokenTM(model).explain(x), GenAtt(model).explain(x))


def test_config_validation():
    with pytest.raises(ValueError, match="necc_scale must be one of"):
        TokenTMConfig(necc_scale="sum")
    with pytest.raises(ValueError, match="gating must be one of .* got 'max'"):
        TokenTMConfig(gating="max")
    with pytest.raises(ValueError, match="eps must be > 0"):
        TokenTMConfig(eps=0.0)
    with pytest.raises(ValueError, match="cfg must be a TokenTMConfig"):
        TokenTM(SmallViT(CFG), object())


@pytest.mark.parametrize("no_embed_class", [False, True])
def test_c0_without_positions_on_timm_models(no_embed_class):
    import timm

    torch.manual_seed(6)
    model = timm.create_model(
        "vit_tiny_patch16_224", pretrained=False, img_size=32, patch_size=8, depth=2,
        num_classes=4, no_embed_class=no_embed_class,
    ).eval()  # fmt: skip
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(7))
    no_pos = TokenTM(model, TokenTMConfig(c0_positional=False)).explain(x, target=1)
    identity = TokenTM(model, TokenTMConfig(init="identity")).explain(x, target=1)
    with torch.no_grad():  # C₀ = diag‖Z₀ − positions‖: the patch embeddings' norms, per patch
        patch_norms = model.patch_embed(x).norm(dim=-1).reshape(2, 4, 4)
    torch.testing.assert_close(no_pos, identity * patch_norms, rtol=1e-5, atol=1e-7)
