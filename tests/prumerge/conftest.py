"""Shared fixtures: seeded random tokens with a peaked [CLS] attention, tiny host models."""

from __future__ import annotations

import pytest
import torch


def peaked(b: int, n: int, d: int, seed: int = 0, dtype: torch.dtype = torch.float64):
    """(tokens [B,N,D], attention [B,N] with a few spikes, keys [B,N,D])."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, n, d, generator=g, dtype=dtype)
    keys = torch.randn(b, n, d, generator=g, dtype=dtype)
    logits = torch.randn(b, n + 1, generator=g, dtype=dtype)
    logits[:, 1:] += 4 * (torch.rand(b, n, generator=g) < 0.1)
    return x, logits.softmax(-1)[:, 1:], keys


@pytest.fixture
def small_vit():
    from paperzoo.core.vit.model import SmallViT, ViTConfig

    torch.manual_seed(0)
    return SmallViT(ViTConfig(image_size=16, patch_size=4, dim=32, depth=2, heads=2)).eval()


@pytest.fixture
def timm_vit():
    import timm

    torch.manual_seed(0)
    return timm.create_model(
        "vit_tiny_patch16_224", pretrained=False, img_size=16, patch_size=4, num_classes=3,
        embed_dim=32, depth=2, num_heads=2,
    ).eval()  # fmt: skip


@pytest.fixture
def clip_vision():
    from transformers import CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    cfg = CLIPVisionConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        image_size=16, patch_size=4,
    )  # fmt: skip
    return CLIPVisionModel(cfg).eval()
