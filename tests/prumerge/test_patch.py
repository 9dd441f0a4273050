"""Host patches: captured q/k equal recomputed ones, reversibility, clear errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.patch import capture_qk, encode, hook_count, patch, reduce

CFG = PruMergeConfig(knn=3)


def _images(model_name: str, b: int = 3) -> torch.Tensor:
    chans = 1 if model_name == "small_vit" else 3
    return torch.rand(b, chans, 16, 16, generator=torch.Generator().manual_seed(0))


def _warm(model, x):
    """One forward first: HF installs its own output-capture hooks lazily on the first call."""
    with torch.no_grad():
        if hasattr(model, "encoder"):
            model(pixel_values=x, output_hidden_states=True)
    return hook_count(model)


def _qk_from_x(model, x):
    """q, k of the last block recomputed by hand from its captured input."""
    if hasattr(model, "blocks"):
        blk = model.blocks[-1]
        qkv = F.linear(blk.norm1(x), blk.attn.qkv.weight, blk.attn.qkv.bias)
        d = x.shape[-1]
        return qkv[..., :d], qkv[..., d : 2 * d]
    layer = model.encoder.layers[-1]
    h = layer.layer_norm1(x)
    return layer.self_attn.q_proj(h), layer.self_attn.k_proj(h)


@pytest.mark.parametrize("name", ["small_vit", "timm_vit", "clip_vision"])
def test_captured_qk_equal_recomputed_and_features_are_hidden_states_minus_2(name, request):
    model = request.getfixturevalue(name)
    x = _images(name)
    hooks = _warm(model, x)
    with torch.no_grad(), capture_qk(model) as rec:
        if name == "clip_vision":
            out = model(pixel_values=x, output_hidden_states=True)
            torch.testing.assert_close(rec.x, out.hidden_states[-2])
        else:
            model(x)
    with torch.no_grad():
        q, k = _qk_from_x(model, rec.x)
    torch.testing.assert_close(rec.q, q)
    torch.testing.assert_close(rec.k, k)
    assert hook_count(model) == hooks


@pytest.mark.parametrize("name", ["small_vit", "timm_vit", "clip_vision"])
def test_patch_returns_reduced_tokens_and_leaving_restores_outputs_exactly(name, request):
    model = request.getfixturevalue(name)
    x = _images(name)
    hooks = _warm(model, x)
    call = (
        (lambda m: m(pixel_values=x).last_hidden_state)
        if name == "clip_vision"
        else (lambda m: m(x))
    )
    with torch.no_grad():
        before = call(model)
        with patch(model, CFG) as patched:
            reduced = patched(pixel_values=x) if name == "clip_vision" else patched(x)
        after = call(model)
    assert torch.equal(before, after)
    assert "forward" not in model.__dict__ and hook_count(model) == hooks
    direct = reduce(model, x, CFG)
    torch.testing.assert_close(reduced.tokens, direct.tokens)
    assert reduced.tokens.shape[0] == 3 and (reduced.lengths() >= 2).all()


def test_an_error_inside_the_patch_leaves_the_model_untouched(small_vit):
    x = _images("small_vit")
    before = small_vit(x)
    with pytest.raises(RuntimeError, match="boom"), patch(small_vit, CFG):
        raise RuntimeError("boom")
    assert torch.equal(small_vit(x), before)
    assert "forward" not in small_vit.__dict__ and hook_count(small_vit) == 0


def test_a_patch_failing_on_entry_or_mid_capture_leaves_nothing(small_vit, timm_vit):
    with pytest.raises(ValueError, match="layer"), patch(small_vit, PruMergeConfig(layer=5)):
        pass
    assert "forward" not in small_vit.__dict__ and hook_count(small_vit) == 0
    timm_vit.blocks[-1].attn.k_norm = torch.nn.LayerNorm(16)  # unsupported: fails after 1 hook
    with pytest.raises(ValueError, match="k_norm"), capture_qk(timm_vit):
        pass
    assert hook_count(timm_vit) == 0


def test_encode_stops_early_and_keeps_train_flags(small_vit):
    small_vit.train()
    enc = encode(small_vit, _images("small_vit"), CFG)
    assert small_vit.training and all(m.training for m in small_vit.modules())
    assert enc.tokens.shape == (3, 16, 32) and enc.grid == (4, 4)
    torch.testing.assert_close(enc.attention.sum(1) < 1, torch.ones(3, dtype=torch.bool))


def test_unknown_models_and_models_without_cls_are_refused():
    import timm

    with pytest.raises(ValueError, match="no ViT host adapter recognises"):
        reduce(torch.nn.Linear(3, 3), torch.rand(1, 3, 16, 16))
    no_cls = timm.create_model(
        "vit_tiny_patch16_224", pretrained=False, img_size=16, patch_size=4, num_classes=3,
        embed_dim=32, depth=1, num_heads=2, class_token=False, global_pool="avg",
    )  # fmt: skip
    with pytest.raises(ValueError, match="CLS"):
        reduce(no_cls, torch.rand(1, 3, 16, 16))


def test_bad_images_raise(small_vit):
    with pytest.raises(ValueError, match="shape"):
        reduce(small_vit, torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match="finite"):
        reduce(small_vit, torch.full((1, 1, 16, 16), float("nan")))
