import pytest
import torch
from torch import nn

from paperzoo.core.vit import SmallViT, ViTConfig, adapt, load_small_vit, load_vit, save_small_vit
from paperzoo.core.vit.convert import to_hf, to_timm

timm = pytest.importorskip("timm")
transformers = pytest.importorskip("transformers")

CFG = ViTConfig(image_size=16, patch_size=4, in_chans=3, num_classes=5, dim=24, depth=2, heads=3)


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    own = SmallViT(CFG).eval()
    return {"paperzoo": own, "timm": to_timm(own), "hf": to_hf(own)}


@pytest.fixture(scope="module")
def x():
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))


def _hook_count(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._forward_hooks_with_kwargs)
        for m in model.modules()
    )


def test_same_weights_same_logits(models, x):
    with torch.no_grad():
        ref = models["paperzoo"](x)
        assert torch.allclose(models["timm"](x), ref, atol=1e-5, rtol=0)
        assert torch.allclose(models["hf"](pixel_values=x).logits, ref, atol=1e-5, rtol=0)


def test_own_vit_matches_timm_forward_features(models, x):
    own, host = models["paperzoo"], models["timm"]
    with torch.no_grad():
        ours = own.norm(own.blocks(own.embed(x)))
        torch.testing.assert_close(host.forward_features(x), ours, atol=1e-5, rtol=0)


@pytest.mark.parametrize("host", ["paperzoo", "timm", "hf"])
def test_trace_exposes_blocks_and_restores_model(models, x, host):
    model = models[host]
    model.train()  # capture must switch to eval and back
    fused_before = [getattr(getattr(b, "attn", None), "fused_attn", None) for b in model.modules()]
    impl_before = getattr(getattr(model, "config", None), "_attn_implementation", None)
    hooks_before = _hook_count(model)
    adapter = adapt(model)
    trace = adapter.trace(x)
    assert trace.cls_index == 0 and trace.grid == (4, 4)
    assert len(trace.blocks) == 2
    b0, b1 = trace.blocks
    assert b0.attn.shape == (3, 3, 17, 17) and b0.attn.requires_grad
    torch.testing.assert_close(b0.attn.sum(-1), torch.ones(3, 3, 17))
    torch.testing.assert_close(trace.z0, models["paperzoo"].embed(x).detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(b1.x, b0.z)  # block output feeds the next block
    own = models["paperzoo"].blocks[0]
    with torch.no_grad():
        y_ref = b0.x + own.attn(own.norm1(b0.x))
    torch.testing.assert_close(b0.y, y_ref, atol=1e-5, rtol=0)
    with torch.no_grad():
        torch.testing.assert_close(trace.logits, models["paperzoo"](x), atol=1e-5, rtol=0)
    grads = trace.attention_grads(trace.logits.argmax(1))
    assert all(g.shape == (3, 3, 17, 17) and g.abs().sum() > 0 for g in grads)
    # unchanged after the with: hooks, flags, train mode
    assert _hook_count(model) == hooks_before
    assert [getattr(getattr(b, "attn", None), "fused_attn", None) for b in model.modules()] == (
        fused_before
    )
    assert getattr(getattr(model, "config", None), "_attn_implementation", None) == impl_before
    assert model.training
    model.eval()


def test_capture_cleans_up_after_error(models, x):
    model = models["timm"]
    adapter = adapt(model)
    with pytest.raises(RuntimeError, match="boom"), adapter.capture():
        raise RuntimeError("boom")
    assert _hook_count(model) == 0
    assert all(b.attn.fused_attn for b in model.blocks) or not timm.layers.use_fused_attn()


def test_bad_inputs(models):
    adapter = adapt(models["paperzoo"])
    with pytest.raises(ValueError, match=r"x must have shape \[B, 3, 16, 16\]"):
        adapter.trace(torch.rand(2, 1, 16, 16))
    with pytest.raises(ValueError, match="x must have shape"):
        adapter.trace(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="x must be a float"):
        adapter.trace(torch.zeros(2, 3, 16, 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match="x must be finite"):
        adapter.trace(torch.full((1, 3, 16, 16), float("nan")))
    logits = torch.zeros(2, 5)
    with pytest.raises(ValueError, match=r"target: class index 7 out of range \[0, 5\)"):
        adapter.check_target(7, logits)
    with pytest.raises(ValueError, match="target: class index -1"):
        adapter.check_target(torch.tensor([0, -1]), logits)
    assert adapter.check_target(None, torch.tensor([[0.0, 1.0, 0, 0, 0]] * 2)).tolist() == [1, 1]
    with pytest.raises(ValueError, match="model must be a paperzoo SmallViT"):
        adapt(nn.Sequential(nn.Flatten(), nn.Linear(768, 5)))
    with pytest.raises(ValueError, match="global_pool"):
        adapt(timm.models.vision_transformer.VisionTransformer(
            img_size=16, patch_size=4, embed_dim=24, depth=1, num_heads=3, global_pool="avg"
        ))  # fmt: skip


def test_config_validation():
    with pytest.raises(ValueError, match="image_size must be divisible by patch_size"):
        ViTConfig(image_size=30, patch_size=4)
    with pytest.raises(ValueError, match="dim must be divisible by heads, got 10"):
        ViTConfig(dim=10, heads=4)
    with pytest.raises(ValueError, match="depth must be >= 1, got 0"):
        ViTConfig(depth=0)


def test_loaders_round_trip(models, x, tmp_path):
    own = models["paperzoo"]
    save_small_vit(tmp_path / "own.pt", own, {"note": "test"})
    loaded, meta = load_small_vit(tmp_path / "own.pt")
    assert meta["note"] == "test"
    torch.save({"state_dict": models["timm"].state_dict()}, tmp_path / "timm.pth")
    kwargs = dict(img_size=16, patch_size=4, in_chans=3, num_classes=5, embed_dim=24, depth=2,
                  num_heads=3, mlp_ratio=2.0)  # fmt: skip
    from paperzoo.core.vit import load_timm

    host = load_timm("vit_tiny_patch16_224", tmp_path / "timm.pth", **kwargs)
    models["hf"].save_pretrained(tmp_path / "hf")
    hf = load_vit(f"hf:{tmp_path / 'hf'}")
    assert hf.config._attn_implementation == "eager"
    with torch.no_grad():
        ref = own(x)
        for m in (loaded, host, load_vit(tmp_path / "own.pt")):
            torch.testing.assert_close(m(x), ref, atol=1e-5, rtol=0)
        torch.testing.assert_close(hf(pixel_values=x).logits, ref, atol=1e-5, rtol=0)


def test_loaders_reject_mismatch(models, tmp_path):
    save_small_vit(tmp_path / "own.pt", models["paperzoo"])
    payload = torch.load(tmp_path / "own.pt", weights_only=True)
    payload["meta"]["vit_config"]["dim"] = 48
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="shape mismatch"):
        load_small_vit(tmp_path / "bad.pt")
    torch.save(models["timm"].state_dict(), tmp_path / "timm.pth")
    with pytest.raises(ValueError, match="does not match the model"):
        load_vit(f"timm:vit_tiny_patch16_224:{tmp_path / 'timm.pth'}")
    with pytest.raises(ValueError, match="timm:NAME:PATH"):
        load_vit("timm:only_a_name")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_vit(f"hf:{tmp_path}")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_vit(tmp_path / "missing.pt")
    cfg = models["hf"].config.to_dict()
    models["hf"].save_pretrained(tmp_path / "hf")
    import json

    cfg["num_hidden_layers"] = 3
    (tmp_path / "hf" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="does not match its config"):
        load_vit(f"hf:{tmp_path / 'hf'}")
