"""Frozen, validated options: the model (:class:`MaskSAMConfig`), training (:class:`TrainConfig`).

Defaults are the tiny CPU configuration (docs/masksam.md §3.1); :func:`sam_shaped` gives the
ViT-B/L/H-shaped model that real SAM checkpoints load into.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

#: SAM encoder shapes (segment_anything 1.0 ``build_sam.py``): dim, depth, heads, global blocks
SAM_SHAPES: dict[str, tuple[int, int, int, tuple[int, ...]]] = {
    "vit_b": (768, 12, 12, (2, 5, 8, 11)),
    "vit_l": (1024, 24, 16, (5, 11, 17, 23)),
    "vit_h": (1280, 32, 16, (7, 15, 23, 31)),
}


@dataclass(frozen=True)
class MaskSAMConfig:
    """Architecture of MaskSAM on segment_anything's modules (docs/masksam.md §2).

    ``img_size`` is the in-plane size H = W of a chunk and ``frames`` its slice count T (the
    depth-MLP adapters bake T into their weights). ``depth_context=False`` is the 2D ablation:
    no depth embeddings, no depth-MLP adapters, and every depth-mixing kernel 1 slice deep.
    """

    img_size: int = 48
    frames: int = 8
    patch_size: int = 4
    embed_dim: int = 96
    depth: int = 4
    num_heads: int = 4
    window_size: int = 6
    global_attn_indexes: tuple[int, ...] = (1, 3)
    prompt_dim: int = 64
    decoder_depth: int = 2
    decoder_heads: int = 4
    decoder_mlp_dim: int = 256
    num_queries: int = 12
    num_classes: int = 10  # including background (label 0), as nnU-Net counts them
    adapter_ratio: float = 0.25
    depth_mlp_ratio: int = 4
    pg_channels: int = 16
    depth_context: bool = True
    refine_residual: bool = True  # deviation (docs/masksam.md §3.2): refinement head adds its input
    hires_skip: bool = True  # deviation (docs/masksam.md §3.2): stem features at full resolution
    pos_embed_resize: Literal["crop", "interpolate"] = "crop"

    def __post_init__(self) -> None:
        positive = ("img_size", "frames", "patch_size", "embed_dim", "depth", "num_heads")
        positive += ("prompt_dim", "decoder_depth", "decoder_heads", "decoder_mlp_dim")
        positive += ("num_queries", "depth_mlp_ratio", "pg_channels")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2 (background + 1), got {self.num_classes!r}")
        if self.patch_size not in (4, 8, 16):
            raise ValueError(f"patch_size must be 4, 8 or 16, got {self.patch_size!r}")
        if self.img_size % self.patch_size:
            raise ValueError(
                f"img_size must be a multiple of patch_size {self.patch_size}, got {self.img_size}"
            )
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} must be divisible by num_heads")
        if self.prompt_dim % (2 * self.decoder_heads) or self.prompt_dim % 8:
            raise ValueError(
                f"prompt_dim must be divisible by 8 and by 2·decoder_heads, got {self.prompt_dim}"
            )
        if math.isqrt(self.prompt_dim) ** 2 != self.prompt_dim:
            raise ValueError(
                f"prompt_dim must be a square (s×s classifier map), got {self.prompt_dim}"
            )
        if not self.global_attn_indexes or not all(
            0 <= i < self.depth for i in self.global_attn_indexes
        ):
            raise ValueError(
                f"global_attn_indexes must be non-empty and in [0, {self.depth}), "
                f"got {self.global_attn_indexes!r}"
            )
        if self.window_size < 1:
            raise ValueError(f"window_size must be >= 1, got {self.window_size!r}")
        if self.num_queries < self.num_classes:
            raise ValueError(
                f"num_queries must be >= num_classes {self.num_classes} (every class present in "
                f"a slice needs a query), got {self.num_queries}"
            )
        if not 0 < self.adapter_ratio <= 1:
            raise ValueError(f"adapter_ratio must be in (0, 1], got {self.adapter_ratio!r}")
        if self.pos_embed_resize not in ("crop", "interpolate"):
            raise ValueError(
                f"pos_embed_resize must be 'crop' or 'interpolate', got {self.pos_embed_resize!r}"
            )

    @property
    def tokens(self) -> int:
        """Token grid side h = w = img_size / patch_size."""
        return self.img_size // self.patch_size

    @property
    def sam_shape(self) -> str | None:
        """``vit_b``/``vit_l``/``vit_h`` when the encoder has that SAM shape, else None."""
        for name, (dim, depth, heads, glob) in SAM_SHAPES.items():
            if (self.embed_dim, self.depth, self.num_heads, self.global_attn_indexes) == (
                dim,
                depth,
                heads,
                glob,
            ):
                return name
        return None


def sam_shaped(
    name: str, img_size: int = 256, frames: int = 4, **overrides: object
) -> MaskSAMConfig:
    """The config whose SAM parts have the shapes of SAM ``name`` (``vit_b``, ``vit_l``, ``vit_h``).

    Patch 16, window 14, prompt dim 256, decoder depth 2 / 8 heads / MLP 2048 as in SAM; the ACDC
    setting of the paper (ViT-B, 4 slices, N = 8) is ``sam_shaped("vit_b", 256, 4, num_queries=8,
    num_classes=4)``.
    """
    if name not in SAM_SHAPES:
        raise ValueError(f"sam: unknown shape {name!r} (known: {', '.join(SAM_SHAPES)})")
    dim, depth, heads, glob = SAM_SHAPES[name]
    base = MaskSAMConfig(
        img_size=img_size,
        frames=frames,
        patch_size=16,
        embed_dim=dim,
        depth=depth,
        num_heads=heads,
        window_size=14,
        global_attn_indexes=glob,
        prompt_dim=256,
        decoder_heads=8,
        decoder_mlp_dim=2048,
        num_queries=24,
        num_classes=10,
        pg_channels=16,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and loss weights (docs/masksam.md §2.5); defaults from the official AMOS run."""

    steps: int = 300
    batch_size: int = 2
    lr: float = 1e-3
    weight_decay: float = 3e-5
    eps: float = 1e-4  # AdamW epsilon (nnU-Net's)
    schedule: Literal["poly", "constant"] = "poly"  # nnU-Net's poly decay (power 0.9) or none
    grad_clip: float = 12.0
    class_weight: float = 0.2
    mask_bce_weight: float = 1.2
    mask_dice_weight: float = 1.2
    aux_weight: float = 0.5  # aux mask BCE, aux mask Dice and box L1
    giou_weight: float = 0.2
    eos_coef: float = 0.1  # CE weight of the "no object" class
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("lr", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("weight_decay", "grad_clip", "class_weight", "mask_bce_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("mask_dice_weight", "aux_weight", "giou_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.schedule not in ("poly", "constant"):
            raise ValueError(f"schedule must be 'poly' or 'constant', got {self.schedule!r}")
        if not 0 < self.eos_coef <= 1:
            raise ValueError(f"eos_coef must be in (0, 1], got {self.eos_coef!r}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in [0, 2**32), got {self.seed!r}")
