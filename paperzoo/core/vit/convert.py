"""Copy a :class:`SmallViT` into timm and HF ViTs with the same weights (parity, export)."""

from __future__ import annotations

from functools import partial

from torch import nn

from paperzoo.core.vit.model import SmallViT


def _plain(model: SmallViT, target: str) -> None:
    if model.cfg.stem:
        raise ValueError(f"model: a SmallViT with a convolutional stem has no {target} equivalent")


def to_timm(model: SmallViT) -> nn.Module:
    """A timm ``VisionTransformer`` holding ``model``'s weights (module names are shared)."""
    from timm.models.vision_transformer import VisionTransformer

    _plain(model, "timm")
    c = model.cfg
    host = VisionTransformer(
        img_size=c.image_size, patch_size=c.patch_size, in_chans=c.in_chans,
        num_classes=c.num_classes, embed_dim=c.dim, depth=c.depth, num_heads=c.heads,
        mlp_ratio=c.mlp_ratio, qkv_bias=True, class_token=True, global_pool="token",
        norm_layer=partial(nn.LayerNorm, eps=c.ln_eps),
    )  # fmt: skip
    host.load_state_dict(model.state_dict(), strict=True)
    return host.eval()


def to_hf(model: SmallViT) -> nn.Module:
    """An HF ``ViTForImageClassification`` holding ``model``'s weights (q, k, v split)."""
    from transformers import ViTConfig, ViTForImageClassification

    _plain(model, "HF")
    c = model.cfg
    cfg = ViTConfig(
        image_size=c.image_size, patch_size=c.patch_size, num_channels=c.in_chans,
        hidden_size=c.dim, num_hidden_layers=c.depth, num_attention_heads=c.heads,
        intermediate_size=int(c.dim * c.mlp_ratio), hidden_act="gelu", layer_norm_eps=c.ln_eps,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, qkv_bias=True,
        num_labels=c.num_classes,
    )  # fmt: skip
    host = ViTForImageClassification(cfg)
    sd = model.state_dict()
    out = {
        "vit.embeddings.cls_token": sd["cls_token"],
        "vit.embeddings.position_embeddings": sd["pos_embed"],
        "vit.embeddings.patch_embeddings.projection.weight": sd["patch_embed.proj.weight"],
        "vit.embeddings.patch_embeddings.projection.bias": sd["patch_embed.proj.bias"],
        "vit.layernorm.weight": sd["norm.weight"],
        "vit.layernorm.bias": sd["norm.bias"],
        "classifier.weight": sd["head.weight"],
        "classifier.bias": sd["head.bias"],
    }
    for i in range(c.depth):
        src, dst = f"blocks.{i}.", f"vit.layers.{i}."
        for kind in ("weight", "bias"):
            q, k, v = sd[f"{src}attn.qkv.{kind}"].chunk(3)
            out[f"{dst}attention.q_proj.{kind}"] = q
            out[f"{dst}attention.k_proj.{kind}"] = k
            out[f"{dst}attention.v_proj.{kind}"] = v
            out[f"{dst}attention.o_proj.{kind}"] = sd[f"{src}attn.proj.{kind}"]
            out[f"{dst}layernorm_before.{kind}"] = sd[f"{src}norm1.{kind}"]
            out[f"{dst}layernorm_after.{kind}"] = sd[f"{src}norm2.{kind}"]
            out[f"{dst}mlp.fc1.{kind}"] = sd[f"{src}mlp.fc1.{kind}"]
            out[f"{dst}mlp.fc2.{kind}"] = sd[f"{src}mlp.fc2.{kind}"]
    host.load_state_dict(out, strict=True)
    return host.eval()
