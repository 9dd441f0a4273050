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
    with pytest.raises(
        ValueError,
        match=r"no ViT host adapter recognises torch\.nn\.modules\.container\.Sequential; "
        r"supported: hf \(HF ViTForImageClassification\); hf_clip \(HF CLIPVisionModel\); "
        r"paperzoo \(paperzoo SmallViT\); "
        r"timm \(timm VisionTransformer",
    ):
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


# --- host conformance: the weight-level re-forward equals each accepted host's own forward ------
TIMM_BASE = dict(img_size=16, patch_size=4, in_chans=3, num_classes=5, embed_dim=24, depth=2,
                 num_heads=3, mlp_ratio=2.0)  # fmt: skip
TIMM_ACCEPTED = {
    "plain": {},
    "qkv_bias=False": dict(qkv_bias=False),
    "proj_bias=False": dict(proj_bias=False),
    "qk_norm": dict(qk_norm=True),
    "scale_attn_norm": dict(scale_attn_norm=True),
    "scale_mlp_norm": dict(scale_mlp_norm=True),
    "init_values": dict(init_values=0.5),
    "fc_norm": dict(fc_norm=True),
    "final_norm=False": dict(final_norm=False),
    "no_embed_class": dict(no_embed_class=True),
    "pre_norm": dict(pre_norm=True),
    "pos_embed=none": dict(pos_embed="none"),
    "reg_tokens": dict(reg_tokens=4),
    "layernorm_fp32": dict(norm_layer="layernormfp32"),
    "all_options": dict(qk_norm=True, scale_attn_norm=True, scale_mlp_norm=True, init_values=0.5,
                        reg_tokens=2, no_embed_class=True, fc_norm=True, qkv_bias=False),
    "deit_distilled": dict(distilled=True),
    "deit_distilled_qk_norm": dict(distilled=True, qk_norm=True, init_values=0.5),
}  # fmt: skip


def _perturbed(model: nn.Module) -> nn.Module:
    """Every parameter moved off its init (LayerNorm weights != 1, biases and tokens != 0)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
    return model.eval()


def _timm_vit(distilled: bool = False, **kwargs) -> nn.Module:
    torch.manual_seed(0)
    if distilled:
        model = timm.create_model("deit_tiny_distilled_patch16_224", pretrained=False,
                                  **{**TIMM_BASE, **kwargs})  # fmt: skip
    else:
        model = timm.models.vision_transformer.VisionTransformer(**{**TIMM_BASE, **kwargs})
    return _perturbed(model)


def _hf_vit(num_labels: int = 5, **kwargs) -> nn.Module:
    cfg = transformers.ViTConfig(
        image_size=16, patch_size=4, num_channels=3, hidden_size=24, num_hidden_layers=2,
        num_attention_heads=3, intermediate_size=48, num_labels=num_labels, **kwargs,
    )  # fmt: skip
    torch.manual_seed(0)
    return _perturbed(transformers.ViTForImageClassification(cfg))


def _final_tokens(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The host's own tokens after its final norm (timm: fc_norm applied per token)."""
    if isinstance(model, SmallViT):
        return model.norm(model.blocks(model.embed(x)))
    if isinstance(model, transformers.ViTForImageClassification):
        return model.vit(pixel_values=x).last_hidden_state
    tokens = model.forward_features(x)
    return tokens if hasattr(model, "dist_token") else model.fc_norm(tokens)


HOST_CASES = {
    "paperzoo": lambda: _perturbed(SmallViT(CFG)),
    **{f"timm:{name}": (lambda kw=kw: _timm_vit(**kw)) for name, kw in TIMM_ACCEPTED.items()},
    "hf": lambda: _hf_vit(),
    "hf:qkv_bias=False": lambda: _hf_vit(qkv_bias=False),
}


@pytest.mark.parametrize("case", list(HOST_CASES))
def test_reforward_from_weights_equals_forward(case, x):
    from paperzoo.core.vit import BLOCK_EXTRAS, block_forward, reforward

    model = HOST_CASES[case]()
    adapter = adapt(model)
    trace = adapter.trace(x)
    prefix = 1 + model.num_reg_tokens + hasattr(model, "dist_token") if "timm" in case else 1
    assert adapter.num_prefix_tokens == trace.num_prefix_tokens == prefix
    assert trace.blocks[0].attn.shape[-1] == prefix + 16
    weights = adapter.weights(supports=BLOCK_EXTRAS)
    for block, w in zip(trace.blocks, weights.blocks, strict=True):
        y, z = block_forward(block.x, w, weights.heads)
        torch.testing.assert_close(y, block.y, atol=1e-5, rtol=0)
        torch.testing.assert_close(z, block.z, atol=1e-5, rtol=0)
    tokens, logits = reforward(weights, trace.z0)
    with torch.no_grad():
        own = model(x)
        own = own.logits if isinstance(model, transformers.ViTForImageClassification) else own
        torch.testing.assert_close(logits, own, atol=1e-5, rtol=0)
        torch.testing.assert_close(tokens, _final_tokens(model, x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("case", list(HOST_CASES))
def test_pos_embed_is_the_additive_position_part_of_z0(case, x):
    model = HOST_CASES[case]()
    adapter = adapt(model)
    if "pre_norm" in case:
        with pytest.raises(ValueError, match="pre_norm=True normalises Z₀"):
            adapter.pos_embed()
        return
    z0, pos = adapter.trace(x).z0, adapter.pos_embed().clone()
    assert pos.shape == (1, z0.shape[1], z0.shape[2])
    with torch.no_grad():  # the same model with every position zeroed
        for name, p in model.named_parameters():
            if "pos" in name or "position_embeddings" in name:
                p.zero_()
    torch.testing.assert_close(z0 - pos, adapt(model).trace(x).z0)


EXTRA_CASES = {  # timm option -> (kwargs, BLOCK_EXTRAS name, words in the refusal)
    "qk_norm": (dict(qk_norm=True), "qk_norm", "q/k normalisation"),
    "scale_attn_norm": (dict(scale_attn_norm=True), "attn_norm", "attention-output normalisation"),
    "scale_mlp_norm": (dict(scale_mlp_norm=True), "mlp_norm", "MLP hidden normalisation"),
    "init_values": (dict(init_values=0.5), "layer_scale", "LayerScale"),
}


@pytest.mark.parametrize("option", list(EXTRA_CASES))
def test_weights_refuse_parts_the_caller_does_not_model(option):
    """Defect: these models passed and Chefer-LRP's plain re-forward silently ignored the part."""
    kwargs, extra, words = EXTRA_CASES[option]
    adapter = adapt(_timm_vit(**kwargs))
    with pytest.raises(ValueError, match=f"uses {words}.*does not model"):
        adapter.weights()
    assert adapter.weights(supports=(extra,)).extras == [extra]
    with pytest.raises(ValueError, match=r"supports: unknown block parts \['nope'\]"):
        adapter.weights(supports=("nope",))


TIMM_REFUSED_BY_ADAPT = {
    "class_token=False": (dict(class_token=False, global_pool="avg"), "class_token=False"),
    "global_pool=avg": (dict(global_pool="avg"), "global_pool='avg'"),
    "global_pool=map": (dict(global_pool="map"), "global_pool='map'"),
    "num_classes=0": (dict(num_classes=0), r"no classifier head \(num_classes=0\)"),
    "dynamic_img_size": (dict(dynamic_img_size=True), "dynamic_img_size=True"),
    "ResPostBlock": ("ResPostBlock", "blocks.0 is ResPostBlock"),
    "ParallelScalingBlock": ("ParallelScalingBlock", "blocks.0 is ParallelScalingBlock"),
    "attn_layer=diff": (dict(attn_layer="diff"), "blocks.0.attn is DiffAttention"),
}
TIMM_REFUSED_BY_WEIGHTS = {
    "rmsnorm": (dict(norm_layer="rmsnorm"), "blocks.0.norm1 is RmsNorm"),
    "gelu_tanh": (dict(act_layer="gelu_tanh"), "blocks.0.mlp.act is GELUTanh"),
    "quick_gelu": (dict(act_layer="quick_gelu"), "blocks.0.mlp.act is QuickGELU"),
    "SwiGLU": ("SwiGLU", "blocks.0.mlp is SwiGLU"),
    "GluMlp": ("GluMlp", "blocks.0.mlp is GluMlp"),
}


def _timm_kwargs(spec: dict | str) -> dict:
    vt = timm.models.vision_transformer
    if spec in ("ResPostBlock", "ParallelScalingBlock"):
        return dict(block_fn=getattr(vt, spec))
    return dict(mlp_layer=getattr(timm.layers, spec)) if isinstance(spec, str) else spec


@pytest.mark.parametrize("case", list(TIMM_REFUSED_BY_ADAPT))
def test_adapt_refuses_timm_configs_capture_cannot_describe(case):
    spec, message = TIMM_REFUSED_BY_ADAPT[case]
    model = _timm_vit(**_timm_kwargs(spec))
    with pytest.raises(ValueError, match=message):
        adapt(model)


@pytest.mark.parametrize("case", list(TIMM_REFUSED_BY_WEIGHTS))
def test_weights_refuse_unmodelled_timm_parts_but_capture_works(case, x):
    spec, message = TIMM_REFUSED_BY_WEIGHTS[case]
    model = _timm_vit(**_timm_kwargs(spec))
    adapter = adapt(model)
    trace = adapter.trace(x)
    with torch.no_grad():
        torch.testing.assert_close(trace.logits, model(x))
    with pytest.raises(ValueError, match=message):
        adapter.weights(supports=("qk_norm", "attn_norm", "mlp_norm", "layer_scale"))


def test_hf_refusals():
    with pytest.raises(ValueError, match=r"no classifier head \(num_labels=0\)"):
        adapt(_hf_vit(num_labels=0))
    with pytest.raises(ValueError, match="hidden_act must be 'gelu', got 'gelu_new'"):
        adapt(_hf_vit(hidden_act="gelu_new")).weights()


# --- the host registry ---------------------------------------------------------------------------
def test_host_registry_walk_duplicates_and_new_hosts(models, x):
    from paperzoo.core.registry import RegistryError
    from paperzoo.core.vit.adapters import ViTAdapter
    from paperzoo.core.vit.hosts import HOSTS, SmallViTAdapter, hosts, register_host

    assert {"paperzoo", "timm", "hf"} <= {h.name for h in hosts()}
    assert [type(adapt(models[h])).host for h in ("paperzoo", "timm", "hf")] == [
        "paperzoo", "timm", "hf"
    ]  # fmt: skip

    class Other(ViTAdapter):
        pass

    with pytest.raises(RegistryError, match="'timm' is already registered"):
        register_host("timm", lambda m: False, "another timm")(Other)
    assert HOSTS.get("timm").adapter.__name__ == "TimmViTAdapter"

    class Wrapped(nn.Module):  # a new host: one class and one registration, no edit elsewhere
        def __init__(self, inner: SmallViT) -> None:
            super().__init__()
            self.inner = inner

    class WrappedAdapter(SmallViTAdapter):
        def __init__(self, model: Wrapped) -> None:
            super().__init__(model.inner)

    register_host("wrapped", lambda m: isinstance(m, Wrapped), "a wrapped SmallViT")(WrappedAdapter)
    try:
        adapter = adapt(Wrapped(models["paperzoo"]))
        assert type(adapter) is WrappedAdapter and adapter.host == "wrapped"
        assert adapter.trace(x).blocks[0].attn.shape == (3, 3, 17, 17)
        register_host("greedy", lambda m: isinstance(m, SmallViT), "any SmallViT")(Other)
        with pytest.raises(ValueError, match=r"recognised by several hosts \(paperzoo, greedy\)"):
            adapt(models["paperzoo"])
    finally:
        HOSTS.remove("wrapped")
        HOSTS.remove("greedy")


# --- prefix tokens other than [CLS]: DeiT distillation token, register tokens -------------------
PREFIX_CASES = {"deit_distilled": dict(distilled=True), "reg_tokens": dict(reg_tokens=4),
                "reg_tokens_no_embed_class": dict(reg_tokens=4, no_embed_class=True)}  # fmt: skip


@pytest.mark.parametrize("case", list(PREFIX_CASES))
def test_every_explainer_maps_patches_of_prefix_token_models(case, x):
    """Defect: DeiT distilled and register-token ViTs were refused ("register tokens")."""
    from paperzoo.core.registry import explainers

    model = _timm_vit(**PREFIX_CASES[case])
    adapter = adapt(model)
    prefix = adapter.num_prefix_tokens
    assert prefix == (2 if case == "deit_distilled" else 5) and adapter.cls_index == 0
    trace = adapter.trace(x)
    for name, cls in sorted(explainers().items()):
        explainer = cls(model)
        maps = explainer.explain(x)
        size = adapter.image_size if explainer.pixel_level else adapter.grid
        assert maps.shape == (3, *size) and torch.isfinite(maps).all(), name
        if name == "raw_attention":  # the patch columns of the [CLS] row, prefix columns dropped
            row = trace.attentions[-1].detach()[:, :, 0, prefix:].mean(1).clamp(min=0)
            torch.testing.assert_close(maps, row.reshape(3, 4, 4))


def test_weight_level_explainers_refuse_what_they_do_not_model(x):
    """Defect: Chefer-LRP mapped qk_norm / scale_attn_norm ViTs as if those norms were absent."""
    from paperzoo.core.registry import explainer

    chefer, tokentm = explainer("chefer_lrp"), explainer("tokentm")
    branch = tokentm.Config(transformation="branch")
    refused = {"q/k normalisation": dict(qk_norm=True),
               "attention-output normalisation": dict(scale_attn_norm=True)}  # fmt: skip
    for words, kwargs in refused.items():
        with pytest.raises(ValueError, match=f"uses {words}.*does not model"):
            chefer(_timm_vit(**kwargs)).explain(x)
    # TokenTM's branch transformation reads LN₁, W_V, W_O only: q/k and MLP norms are captured
    for kwargs in (dict(qk_norm=True), dict(scale_mlp_norm=True)):
        maps = tokentm(_timm_vit(**kwargs), branch).explain(x)
        assert maps.shape == (3, 4, 4) and torch.isfinite(maps).all()
    with pytest.raises(ValueError, match="uses LayerScale"):
        tokentm(_timm_vit(init_values=0.5), branch).explain(x)


STEM = ViTConfig(image_size=16, patch_size=4, in_chans=1, num_classes=3, dim=8, depth=1, heads=2,
                 stem=4)  # fmt: skip


def test_conv_stem_keeps_the_token_grid_local_and_aligned():
    """Token (i, j) of the stem sees only rows/cols 4i-3 … 4i+6: its own 4×4 patch at the centre."""
    torch.manual_seed(0)
    model = SmallViT(STEM).eval()
    x = torch.rand(1, 1, 16, 16, requires_grad=True)
    tokens = model.patch_embed(x)
    assert tokens.shape == (1, 16, 8)
    i, j = 1, 2  # token 1·4 + 2 = 6
    (grad,) = torch.autograd.grad(tokens[0, i * 4 + j].sum(), x)
    rows, cols = grad[0, 0].abs().sum(1).nonzero()[:, 0], grad[0, 0].abs().sum(0).nonzero()[:, 0]
    assert rows.tolist() == list(range(4 * i - 3, 4 * i + 7))
    assert cols.tolist() == list(range(4 * j - 3, min(16, 4 * j + 7)))
    trace = adapt(model).trace(x.detach())
    assert trace.grid == (4, 4) and trace.blocks[0].attn.shape == (1, 2, 17, 17)


def test_conv_stem_round_trips_and_refuses_conversion(tmp_path):
    torch.manual_seed(0)
    model = SmallViT(STEM).eval()
    loaded, _ = load_small_vit(save_small_vit(tmp_path / "stem.pt", model))
    x = torch.rand(2, 1, 16, 16)
    assert loaded.cfg == STEM and torch.equal(loaded(x), model(x))
    with pytest.raises(ValueError, match="convolutional stem has no timm equivalent"):
        to_timm(model)
    with pytest.raises(ValueError, match="convolutional stem has no HF equivalent"):
        to_hf(model)
    plain = {k: v for k, v in CFG.to_dict().items() if k != "stem"}  # a checkpoint from before
    assert ViTConfig.from_dict(plain) == CFG
    with pytest.raises(ValueError, match="stem needs patch_size 4"):
        ViTConfig(image_size=16, patch_size=8, stem=4)
    with pytest.raises(ValueError, match="stem must be >= 0"):
        ViTConfig(stem=-1)
