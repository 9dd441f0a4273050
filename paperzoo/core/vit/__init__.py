"""Shared ViT core: a small pre-LN ViT, host adapters (timm, HF, ...), local loaders."""

from paperzoo.core.vit.adapters import (
    BLOCK_EXTRAS,
    BlockTrace,
    BlockWeights,
    ViTAdapter,
    ViTTrace,
    ViTWeights,
    adapt,
    block_forward,
    reforward,
)
from paperzoo.core.vit.hosts import HFViTAdapter, SmallViTAdapter, TimmViTAdapter, register_host
from paperzoo.core.vit.load import load_hf, load_small_vit, load_timm, load_vit, save_small_vit
from paperzoo.core.vit.model import SmallViT, ViTConfig

__all__ = [
    "BLOCK_EXTRAS", "BlockTrace", "BlockWeights", "HFViTAdapter", "SmallViT", "SmallViTAdapter",
    "TimmViTAdapter", "ViTAdapter", "ViTConfig", "ViTTrace", "ViTWeights", "adapt",
    "block_forward", "load_hf", "load_small_vit", "load_timm", "load_vit", "reforward",
    "register_host", "save_small_vit",
]  # fmt: skip
