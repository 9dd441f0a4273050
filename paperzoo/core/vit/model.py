"""A small pre-LN Vision Transformer (CLS token, learned positions), named like timm's.

Module names mirror ``timm.models.vision_transformer.VisionTransformer`` with ``qkv_bias=True`` and
``global_pool='token'``, so a state dict moves to timm unchanged (see
:mod:`paperzoo.core.vit.convert`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class ViTConfig:
    """Shape of :class:`SmallViT`; the full-scale model (``train.FULL_SPEC``) adds ``stem=32``."""

    image_size: int = 32
    patch_size: int = 4
    in_chans: int = 1
    num_classes: int = 10
    dim: int = 64
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 2.0
    ln_eps: float = 1e-6
    stem: int = 0  # >0: a convolutional stem of that width before the patch projection

    def __post_init__(self) -> None:
        for name in (
            "image_size",
            "patch_size",
            "in_chans",
            "num_classes",
            "dim",
            "depth",
            "heads",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.image_size % self.patch_size:
            raise ValueError(
                f"image_size must be divisible by patch_size, got {self.image_size!r} "
                f"and {self.patch_size!r}"
            )
        if self.dim % self.heads:
            raise ValueError(f"dim must be divisible by heads, got {self.dim!r} and {self.heads!r}")
        if not self.mlp_ratio > 0:
            raise ValueError(f"mlp_ratio must be > 0, got {self.mlp_ratio!r}")
        if not self.ln_eps > 0:
            raise ValueError(f"ln_eps must be > 0, got {self.ln_eps!r}")
        if self.stem < 0:
            raise ValueError(f"stem must be >= 0, got {self.stem!r}")
        if self.stem and self.patch_size != 4:
            raise ValueError(f"stem needs patch_size 4, got {self.patch_size!r}")

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_tokens(self) -> int:
        return self.grid**2 + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViTConfig:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"config: unknown keys {unknown}")
        return cls(**data)


class PatchEmbed(nn.Module):
    """Patch tokens ``[B, h·w, D]``: one ``p×p`` stride-``p`` convolution, or a convolutional stem.

    With ``cfg.stem = c > 0`` (patch size 4): conv 4×4 stride 2 (``c`` channels), GELU, then
    ``proj`` conv 4×4 stride 2 to ``D``, both padded by 1. Token ``(i, j)`` then sees the 10×10
    pixels centred on its own 4×4 patch (rows ``4i-3 … 4i+6``), so the token grid still maps to the
    same image regions as a plain patch embedding.
    """

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        if cfg.stem:
            self.stem: nn.Module = nn.Sequential(
                nn.Conv2d(cfg.in_chans, cfg.stem, 4, stride=2, padding=1), nn.GELU()
            )
            self.proj = nn.Conv2d(cfg.stem, cfg.dim, 4, stride=2, padding=1)
        else:
            self.stem = nn.Identity()
            self.proj = nn.Conv2d(cfg.in_chans, cfg.dim, cfg.patch_size, stride=cfg.patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(self.stem(x)).flatten(2).transpose(1, 2)  # [B, D, h, w] -> [B, h·w, D]


class Attention(nn.Module):
    """Multi-head self-attention; ``probs`` is an identity seam carrying softmax(QKᵀ/√d).

    The probabilities are ``[B, H, N, N]``; rows are queries.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.probs = nn.Identity()
        self.fused_attn = True  # SDPA for training; adapters switch it off to read `probs`

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each [B, H, N, d_h]
        if self.fused_attn:
            out = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = self.probs((q * self.scale @ k.transpose(-2, -1)).softmax(dim=-1))
            out = attn @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-LN block: Y = X + Attn(LN₁(X)), Z = Y + MLP(LN₂(Y))."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim, eps=cfg.ln_eps)
        self.attn = Attention(cfg.dim, cfg.heads)
        self.norm2 = nn.LayerNorm(cfg.dim, eps=cfg.ln_eps)
        self.mlp = Mlp(cfg.dim, int(cfg.dim * cfg.mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SmallViT(nn.Module):
    """Pre-LN ViT classifying from the CLS token; input ``[B, C, H, W]`` in [0, 1]."""

    def __init__(self, cfg: ViTConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ViTConfig()
        c = self.cfg
        self.patch_embed = PatchEmbed(c)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.dim))
        self.pos_embed = nn.Parameter(torch.randn(1, c.num_tokens, c.dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(c) for _ in range(c.depth)])
        self.norm = nn.LayerNorm(c.dim, eps=c.ln_eps)
        self.head = nn.Linear(c.dim, c.num_classes)
        self.apply(_init_weights)

    def embed(self, x: Tensor) -> Tensor:
        """Z₀ = [CLS; patches] + positions, ``[B, N, D]``."""
        tokens = self.patch_embed(x)
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([cls, tokens], dim=1) + self.pos_embed

    def forward(self, x: Tensor) -> Tensor:
        z = self.norm(self.blocks(self.embed(x)))
        return self.head(z[:, 0])


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        nn.init.zeros_(module.bias)
