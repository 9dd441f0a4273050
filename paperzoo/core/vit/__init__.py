"""Shared Vision Transformer core: a small pre-LN ViT, adapters for timm/HF ViTs, local loaders."""

from paperzoo.core.vit.adapters import (
    BlockTrace,
    BlockWeights,
    HFViTAdapter,
    SmallViTAdapter,
    TimmViTAdapter,
    ViTAdapter,
    ViTTrace,
    ViTWeights,
    adapt,
)
from paperzoo.core.vit.load import load_hf, load_small_vit, load_timm, load_vit, save_small_vit
from paperzoo.core.vit.model import SmallViT, ViTConfig

__all__ = [
    "BlockTrace", "BlockWeights", "HFViTAdapter", "SmallViT", "SmallViTAdapter",
    "TimmViTAdapter", "ViTAdapter", "ViTConfig", "ViTTrace", "ViTWeights", "adapt",
    "load_hf", "load_small_vit", "load_timm", "load_vit", "save_small_vit",
]  # fmt: skip
