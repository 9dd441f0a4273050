"""MaskSAM: a frozen 2D SAM with 3D adapters, a prompt generator and mask classification.

docs/masksam.md §2. Input [B, 1, T, H, W] (T = ``cfg.frames`` slices of the coarse axis);
:meth:`MaskSAM.forward` returns the set predictions, :meth:`MaskSAM.semantic` the per-class map.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.masksam.config import MaskSAMConfig
from paperzoo.masksam.masksam import decode_box, prompt_box, semantic_map
from paperzoo.masksam.sam import (
    SAM_PREFIXES,
    build_sam_parts,
    decoder_mask,
    encoder_block,
    two_way_transformer,
)


class DepthConvAdapter(nn.Module):
    """h = GELU(W_d x); y = W_u (h + GELU(LN(DWConv3d(h)))) [+ x] (docs/masksam.md §2.2).

    Acts on a grid [(B·G)·T, h, w, D] whose batch holds ``frames`` consecutive slices per group;
    the depthwise kernel is ``depth_kernel`` slices deep (1 in the 2D ablation). W_u starts at
    zero, so a new adapter leaves SAM's output unchanged.
    """

    def __init__(self, dim: int, ratio: float, frames: int, depth_kernel: int, residual: bool):
        super().__init__()
        hidden = max(1, int(dim * ratio))
        self.frames, self.residual = frames, residual
        self.down = nn.Linear(dim, hidden)
        self.conv = nn.Conv3d(
            hidden, hidden, (depth_kernel, 3, 3), padding=(depth_kernel // 2, 1, 1), groups=hidden
        )
        self.norm = nn.LayerNorm(hidden)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: Tensor) -> Tensor:
        h = F.gelu(self.down(x))
        bt, hh, ww, c = h.shape
        v = h.reshape(bt // self.frames, self.frames, hh, ww, c).permute(0, 4, 1, 2, 3)
        v = self.conv(v).permute(0, 2, 3, 4, 1).reshape(bt, hh, ww, c)
        out = self.up(h + F.gelu(self.norm(v)))
        return x + out if self.residual else out


class DepthMLPAdapter(nn.Module):
    """h = GELU(W_d x); y = W_u (h + MLP_T(h)) [+ x], MLP_T: T → 4T → T along the slice axis.

    docs/masksam.md §2.2. Acts on decoder tokens [B·T·N, L, D] ordered (B, T, N).
    """

    def __init__(
        self, dim: int, ratio: float, frames: int, queries: int, depth_ratio: int, residual: bool
    ):
        super().__init__()
        hidden = max(1, int(dim * ratio))
        self.frames, self.queries, self.residual = frames, queries, residual
        self.down = nn.Linear(dim, hidden)
        self.t1 = nn.Linear(frames, depth_ratio * frames)
        self.t2 = nn.Linear(depth_ratio * frames, frames)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: Tensor) -> Tensor:
        h = F.gelu(self.down(x))
        btn, length, c = h.shape
        v = h.reshape(-1, self.frames, self.queries, length, c).permute(0, 2, 3, 4, 1)  # [.., T]
        v = self.t2(F.gelu(self.t1(v))).permute(0, 4, 1, 2, 3).reshape(btn, length, c)
        out = self.up(h + v)
        return x + out if self.residual else out


class ImageTokenAdapter(nn.Module):
    """The decoder's depth-conv adapter on image tokens [B·T·N, h·w, D] ordered (B, T, N): the
    conv runs along the slices of one query (docs/masksam.md §2.4)."""

    def __init__(self, adapter: DepthConvAdapter, tokens: int, queries: int):
        super().__init__()
        self.adapter, self.tokens, self.queries = adapter, tokens, queries

    def forward(self, x: Tensor) -> Tensor:
        btn, _, c = x.shape
        t, n, s = self.adapter.frames, self.queries, self.tokens
        grid = x.reshape(btn // (t * n), t, n, s, s, c).transpose(1, 2).reshape(btn, s, s, c)
        out = self.adapter(grid).reshape(btn // (t * n), n, t, s * s, c).transpose(1, 2)
        return out.reshape(btn, s * s, c)


class SliceNorm(nn.Module):
    """Instance norm of each slice of [B, C, T, H, W] (so the 2D ablation mixes no slices;
    docs/masksam.md §3.2)."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: Tensor) -> Tensor:
        b, c, t, h, w = x.shape
        y = self.norm(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.reshape(b, t, c, h, w).transpose(1, 2)


def _conv_block(cin: int, cout: int, kt: int, act: type[nn.Module] = nn.GELU) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(cin, cout, (kt, 3, 3), padding=(kt // 2, 1, 1)),
        SliceNorm(cout),
        act(),
    )


def _up_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose3d(cin, cout, (1, 2, 2), stride=(1, 2, 2)),
        SliceNorm(cout),
        nn.GELU(),
    )


class PromptGenerator(nn.Module):
    """U-shaped 3D-conv decoder over SAM's features: N auxiliary masks, boxes and classifier
    tokens per slice (docs/masksam.md §2.3).

    Starts from the neck map at the token grid, climbs in (1, 2, 2) steps to full resolution,
    adding at each stage a skip from a global-attention block's output; with ``cfg.hires_skip``
    the full-resolution stage also sees the stem's features (docs/masksam.md §3.2).
    """

    def __init__(self, cfg: MaskSAMConfig, kt: int):
        super().__init__()
        n_up = int(math.log2(cfg.patch_size))
        widths = [cfg.pg_channels * 2 ** (n_up - s) for s in range(n_up + 1)]
        self.side = math.isqrt(cfg.prompt_dim)
        self.inp = nn.Sequential(  # 1×1×1 projection of the neck (docs/masksam.md §3.2)
            nn.Conv3d(cfg.prompt_dim, widths[0], 1),
            SliceNorm(widths[0]),
            nn.GELU(),
        )
        self.skips = nn.ModuleList(nn.Conv3d(cfg.embed_dim, w, 1) for w in widths)
        self.ups = nn.ModuleList(
            nn.Sequential(_up_block(a, b), _conv_block(b, b, kt))
            for a, b in zip(widths, widths[1:], strict=False)
        )
        self.hires = (
            _conv_block(widths[-1] + STEM_WIDTH, widths[-1], kt) if cfg.hires_skip else None
        )
        self.mask_head = nn.Conv3d(widths[-1], cfg.num_queries, 1)
        self.box_head = nn.Conv3d(sum(widths), cfg.num_queries, 1)
        self.token_head = _conv_block(sum(widths), cfg.num_queries, kt)

    def forward(
        self, neck: Tensor, feats: list[Tensor], stem: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """neck [B, P, T, h, w], feats: global-block outputs [B, D, T, h, w], stem features
        [B, 8, T, H, W] -> aux mask logits [B, N, T, H, W], boxes [B, T, N, 4] (normalised
        xyxy), classifier tokens [B, T, N, P]."""
        x = self.inp(neck) + self.skips[0](feats[-1])
        stages = [x]
        for s, up in enumerate(self.ups, start=1):
            x = up(x)
            skip = self.skips[s](feats[-1 - s % len(feats)])
            x = x + F.interpolate(skip, size=x.shape[2:], mode="trilinear", align_corners=False)
            stages.append(x)
        if self.hires is not None:
            x = x + self.hires(torch.cat([x, stem], 1))
        t = x.shape[2]
        masks = self.mask_head(x)
        pooled = torch.cat([F.adaptive_avg_pool3d(s, (t, 2, 2)) for s in stages], 1)
        raw = self.box_head(pooled).sigmoid()  # [B, N, T, 2, 2]: the 4 values (x1, y1, px, py)
        boxes = decode_box(raw.flatten(3).permute(0, 2, 1, 3))
        side = self.side
        pooled = torch.cat([F.adaptive_avg_pool3d(s, (t, side, side)) for s in stages], 1)
        tokens = self.token_head(pooled).flatten(3).permute(0, 2, 1, 3)  # [B, T, N, P]
        return masks, boxes, tokens


STEM_WIDTH = 8  # channels of the stem's first block (1 → 8 → 3)


def _identity(x: Tensor) -> Tensor:
    return x


class MaskSAM(nn.Module):
    """MaskSAM on segment_anything's ImageEncoderViT, PromptEncoder and MaskDecoder.

    SAM's parts keep SAM's parameter names (``image_encoder.*``, ``prompt_encoder.*``,
    ``mask_decoder.*``) and are frozen; everything else is new and trains.
    """

    def __init__(self, cfg: MaskSAMConfig):
        super().__init__()
        self.cfg = cfg
        kt = 3 if cfg.depth_context else 1
        t, d, p, n = cfg.frames, cfg.embed_dim, cfg.prompt_dim, cfg.num_queries
        self.image_encoder, self.prompt_encoder, self.mask_decoder = build_sam_parts(cfg)
        self.stem = nn.Sequential(
            _conv_block(1, STEM_WIDTH, kt, nn.LeakyReLU),
            _conv_block(STEM_WIDTH, 3, kt, nn.LeakyReLU),
        )
        self.space_adapters = nn.ModuleList(
            DepthConvAdapter(d, cfg.adapter_ratio, t, kt, residual=True) for _ in range(cfg.depth)
        )
        self.mlp_adapters = nn.ModuleList(
            DepthConvAdapter(d, cfg.adapter_ratio, t, kt, residual=False) for _ in range(cfg.depth)
        )
        self.prompt_generator = PromptGenerator(cfg, kt)
        self.cls_token = nn.Embedding(1, p)  # the global classifier token
        self.classifier = nn.Linear(p, cfg.num_classes + 1)
        self.image_adapters = nn.ModuleList(
            ImageTokenAdapter(DepthConvAdapter(p, cfg.adapter_ratio, t, kt, True), cfg.tokens, n)
            for _ in range(cfg.decoder_depth)
        )
        if cfg.depth_context:
            self.depth_embed = nn.Parameter(torch.zeros(t, d))
            self.slice_pe = nn.Parameter(torch.zeros(t, p, cfg.tokens, cfg.tokens))
            self.token_adapters = nn.ModuleList(
                nn.ModuleList(self._mlp_adapter(res) for res in (True, True, False))
                for _ in range(cfg.decoder_depth)
            )
            self.final_adapter = self._mlp_adapter(True)
        hid = cfg.pg_channels
        n_up = int(math.log2(cfg.patch_size // 4))
        self.refine = nn.Sequential(
            _conv_block(n, hid, kt), *[_up_block(hid, hid) for _ in range(n_up)]
        )
        extra = STEM_WIDTH if cfg.hires_skip else 0
        self.refine_head = nn.Sequential(
            _conv_block(hid + extra, hid, kt),
            nn.Conv3d(hid, n, (kt, 3, 3), padding=(kt // 2, 1, 1)),
        )
        self.freeze_sam()

    def _mlp_adapter(self, residual: bool) -> DepthMLPAdapter:
        cfg = self.cfg
        return DepthMLPAdapter(
            cfg.prompt_dim,
            cfg.adapter_ratio,
            cfg.frames,
            cfg.num_queries,
            cfg.depth_mlp_ratio,
            residual,
        )

    def freeze_sam(self) -> None:
        """Freeze every SAM parameter; MaskSAM's own modules train (docs/masksam.md §2.7)."""
        for name, param in self.named_parameters():
            param.requires_grad_(not name.startswith(SAM_PREFIXES))

    def encode(self, x3: Tensor) -> tuple[list[Tensor], Tensor]:
        """SAM's encoder with adapters on a 3-channel chunk [B, 3, T, H, W]: the global blocks'
        outputs [B·T, h, w, D] and the neck [B·T, P, h, w] (docs/masksam.md §2.2)."""
        b, _, t, hh, ww = x3.shape
        enc = self.image_encoder
        x = enc.patch_embed(x3.transpose(1, 2).reshape(b * t, 3, hh, ww))
        x = x + enc.pos_embed
        if self.cfg.depth_context:
            x = (x.unflatten(0, (b, t)) + self.depth_embed[None, :, None, None]).flatten(0, 1)
        feats = []
        for block, a_space, a_mlp in zip(
            enc.blocks, self.space_adapters, self.mlp_adapters, strict=True
        ):
            x = encoder_block(block, x, a_space, a_mlp)
            if block.window_size == 0:
                feats.append(x)
        return feats, enc.neck(x.permute(0, 3, 1, 2))

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """x [B, 1, T, H, W] -> pred_logits [B, T, N, C+1], pred_masks and aux_masks (logits)
        [B, N, T, H, W], aux_boxes [B, T, N, 4]."""
        cfg = self.cfg
        b, _, t, hh, ww = x.shape
        if (t, hh, ww) != (cfg.frames, cfg.img_size, cfg.img_size):
            raise ValueError(
                f"x: expected chunks of {cfg.frames}×{cfg.img_size}×{cfg.img_size}, got "
                f"{t}×{hh}×{ww} (use segment_volume for whole volumes)"
            )
        n, s = cfg.num_queries, cfg.tokens
        stem = self.stem[0](x)
        feats, neck = self.encode(self.stem[1](stem))
        aux_masks, boxes, aux_tokens = self.prompt_generator(
            neck.unflatten(0, (b, t)).transpose(1, 2),
            [f.unflatten(0, (b, t)).permute(0, 4, 1, 2, 3) for f in feats],  # [B, D, T, h, w]
            stem,
        )
        # prompts per (slice, query), batch order (B, T, N)
        aux_flat = aux_masks.permute(0, 2, 1, 3, 4)  # [B, T, N, H, W]
        box = prompt_box(boxes, aux_flat).detach()
        box_px = (box * cfg.img_size).floor().reshape(b * t * n, 4)
        mask_in = F.interpolate(
            (aux_flat > 0).float().reshape(b * t * n, 1, hh, ww),
            size=self.prompt_encoder.mask_input_size,
            mode="nearest",
        )
        sparse, dense = self.prompt_encoder(points=None, boxes=box_px, masks=mask_in)
        dec = self.mask_decoder
        cls = self.cls_token.weight + aux_tokens.reshape(b * t * n, 1, -1)
        fixed = torch.cat([dec.iou_token.weight, dec.mask_tokens.weight], 0)
        tokens = torch.cat([fixed.expand(b * t * n, -1, -1), sparse, cls], 1)
        src = neck.repeat_interleave(n, 0) + dense
        pe = self.prompt_encoder.get_dense_pe()  # [1, P, h, w]
        if cfg.depth_context:
            pe = pe + self.slice_pe
            adapters = [tuple(a) for a in self.token_adapters]
            final = self.final_adapter
        else:
            adapters = [(_identity, _identity, torch.zeros_like)] * cfg.decoder_depth
            final = _identity
        pe = pe.expand(t, -1, -1, -1)[None].expand(b, -1, -1, -1, -1).reshape(b * t, -1, s, s)
        queries, keys = two_way_transformer(
            dec.transformer,
            src,
            pe.repeat_interleave(n, 0),
            tokens,
            adapters,
            list(self.image_adapters),
            final,
        )
        masks = decoder_mask(dec, queries[:, 1], keys, s)  # [B·T·N, 4h, 4w]
        masks = masks.reshape(b, t, n, 4 * s, 4 * s).transpose(1, 2)
        refined = self.refine(masks)
        refined = self.refine_head(torch.cat([refined, stem], 1) if cfg.hires_skip else refined)
        if cfg.refine_residual:
            refined = refined + F.interpolate(masks, size=refined.shape[2:], mode="nearest")
        logits = self.classifier(queries[:, -1]).reshape(b, t, n, -1)
        return {
            "pred_logits": logits,
            "pred_masks": refined,
            "aux_masks": aux_masks,
            "aux_boxes": boxes,
        }

    def semantic(self, x: Tensor) -> Tensor:
        """Per-class probability map [B, C, T, H, W] of a chunk (docs/masksam.md §2.4)."""
        out = self(x)
        return semantic_map(out["pred_logits"], out["pred_masks"])

    def parameter_counts(self) -> dict[str, int]:
        """Total, trainable and frozen-SAM parameter counts."""
        total = sum(p.numel() for p in self.parameters())
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return {"total": total, "trainable": trainable, "sam": total - trainable}
