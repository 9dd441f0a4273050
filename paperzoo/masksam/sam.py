"""The segment_anything host: building SAM's parts, their adapted forwards, loading checkpoints.

Only this module knows segment_anything's internals (version 1.0). The forwards below are
copies of ``ImageEncoderViT.forward``/``Block.forward`` and ``TwoWayTransformer.forward``/
``TwoWayAttentionBlock.forward`` (segment_anything 1.0) with MaskSAM's adapters inserted; SAM's
modules themselves are never modified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, TwoWayTransformer
from segment_anything.modeling.image_encoder import Block, window_partition, window_unpartition
from segment_anything.modeling.transformer import Attention
from torch import Tensor, nn

from paperzoo.core.io import load_weights_only
from paperzoo.masksam.config import SAM_SHAPES, MaskSAMConfig

SAM_PREFIXES = ("image_encoder.", "prompt_encoder.", "mask_decoder.")
Adapter = Callable[[Tensor], Tensor]


def build_sam_parts(cfg: MaskSAMConfig) -> tuple[ImageEncoderViT, PromptEncoder, MaskDecoder]:
    """SAM's encoder, prompt encoder and mask decoder at ``cfg``'s sizes (random weights).

    Hyperparameters as in segment_anything's ``_build_sam`` (rel-pos on, LayerNorm eps 1e-6,
    mask_in_chans 16, 3 multimask outputs so every checkpoint key has a place).
    """
    tokens = cfg.tokens
    encoder = ImageEncoderViT(
        img_size=cfg.img_size,
        patch_size=cfg.patch_size,
        embed_dim=cfg.embed_dim,
        depth=cfg.depth,
        num_heads=cfg.num_heads,
        mlp_ratio=4,
        out_chans=cfg.prompt_dim,
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        use_rel_pos=True,
        window_size=cfg.window_size,
        global_attn_indexes=cfg.global_attn_indexes,
    )
    prompt = PromptEncoder(
        embed_dim=cfg.prompt_dim,
        image_embedding_size=(tokens, tokens),
        input_image_size=(cfg.img_size, cfg.img_size),
        mask_in_chans=16,
    )
    decoder = MaskDecoder(
        num_multimask_outputs=3,
        transformer=TwoWayTransformer(
            depth=cfg.decoder_depth,
            embedding_dim=cfg.prompt_dim,
            mlp_dim=cfg.decoder_mlp_dim,
            num_heads=cfg.decoder_heads,
        ),
        transformer_dim=cfg.prompt_dim,
        iou_head_depth=3,
        iou_head_hidden_dim=cfg.prompt_dim,
    )
    return encoder, prompt, decoder


def encoder_block(block: Block, x: Tensor, space_adapter: Adapter, mlp_adapter: Adapter) -> Tensor:
    """``Block.forward`` with MaskSAM's two encoder adapters (docs/masksam.md §2.2).

    x = x + A_space(Attn(LN(x))); x = x + MLP(LN(x)) + 0.5·A_mlp(LN(x)). The space adapter runs
    on the un-partitioned [B·T, h, w, D] grid, so its depth conv mixes slices, not windows
    (docs/masksam.md §3.3, defect 1).
    """
    shortcut = x
    y = block.norm1(x)
    if block.window_size > 0:
        h, w = y.shape[1], y.shape[2]
        y, pad_hw = window_partition(y, block.window_size)
    y = block.attn(y)
    if block.window_size > 0:
        y = window_unpartition(y, block.window_size, pad_hw, (h, w))
    x = shortcut + space_adapter(y)
    z = block.norm2(x)
    return x + block.mlp(z) + 0.5 * mlp_adapter(z)


def attention(attn: Attention, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """SAM's decoder ``Attention.forward`` through torch's fused ``scaled_dot_product_attention``:
    the same maths and weights (equal to float rounding, tested), 1.3–1.8× faster on CPU at the
    decoder's shapes (docs/masksam.md §4)."""
    q, k, v = attn.q_proj(q), attn.k_proj(k), attn.v_proj(v)
    q, k, v = (t.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v)
    return attn.out_proj(out.transpose(1, 2).flatten(2))


def two_way_transformer(
    transformer: TwoWayTransformer,
    image_embedding: Tensor,
    image_pe: Tensor,
    point_embedding: Tensor,
    token_adapters: list[tuple[Adapter, Adapter, Adapter]],
    image_adapters: list[Adapter],
    final_adapter: Adapter,
) -> tuple[Tensor, Tensor]:
    """``TwoWayTransformer.forward`` with depth adapters (docs/masksam.md §2.4).

    Per block: depth-MLP adapters on the self-attention and token→image outputs, one parallel to
    the token MLP (×0.5), a depth-conv adapter on the image→token output; one more depth-MLP
    adapter on the final token→image output. image_embedding, image_pe: [B', C, h, w].
    """
    image_embedding = image_embedding.flatten(2).permute(0, 2, 1)
    image_pe = image_pe.flatten(2).permute(0, 2, 1)
    queries, keys = point_embedding, image_embedding
    query_pe, key_pe = point_embedding, image_pe
    for layer, (a_self, a_cross, a_mlp), a_image in zip(
        transformer.layers, token_adapters, image_adapters, strict=True
    ):
        if layer.skip_first_layer_pe:
            queries = a_self(attention(layer.self_attn, queries, queries, queries))
        else:
            q = queries + query_pe
            queries = queries + a_self(attention(layer.self_attn, q, q, queries))
        queries = layer.norm1(queries)
        q, k = queries + query_pe, keys + key_pe
        queries = layer.norm2(
            queries + a_cross(attention(layer.cross_attn_token_to_image, q, k, keys))
        )
        queries = layer.norm3(queries + layer.mlp(queries) + 0.5 * a_mlp(queries))
        q, k = queries + query_pe, keys + key_pe
        keys = layer.norm4(
            keys + a_image(attention(layer.cross_attn_image_to_token, k, q, queries))
        )
    q, k = queries + point_embedding, keys + image_pe
    attn_out = final_adapter(attention(transformer.final_attn_token_to_image, q, k, keys))
    return transformer.norm_final_attn(queries + attn_out), keys


def decoder_mask(decoder: MaskDecoder, mask_token: Tensor, keys: Tensor, hw: int) -> Tensor:
    """Mask of SAM's mask token 0 (as ``MaskDecoder.predict_masks``): [B', C], [B', hw², C] ->
    [B', 4·hw, 4·hw] logits."""
    b, _, c = keys.shape
    up = decoder.output_upscaling(keys.transpose(1, 2).reshape(b, c, hw, hw))
    hyper = decoder.output_hypernetworks_mlps[0](mask_token)  # [B', C/8]
    return torch.einsum("bc,bchw->bhw", hyper, up)


# --- checkpoints -------------------------------------------------------------------------------


def resize_pos_embed(pos: Tensor, size: int, mode: str) -> Tensor:
    """SAM's absolute position embedding [1, S, S, D] at a ``size``×``size`` token grid.

    ``crop`` keeps the first size×size entries (official MaskSAM), ``interpolate`` resizes
    bilinearly (SAMed). docs/masksam.md §2.6.
    """
    if pos.shape[1] == size and pos.shape[2] == size:
        return pos
    if mode == "crop":
        if pos.shape[1] < size or pos.shape[2] < size:
            raise ValueError(
                f"pos_embed: cannot crop a {pos.shape[1]}×{pos.shape[2]} grid to {size}×{size}; "
                "use pos_embed_resize='interpolate'"
            )
        return pos[:, :size, :size].contiguous()
    grid = F.interpolate(
        pos.permute(0, 3, 1, 2).float(), size=(size, size), mode="bilinear", align_corners=False
    )
    return grid.permute(0, 2, 3, 1).to(pos.dtype).contiguous()


def resize_rel_pos(rel: Tensor, length: int) -> Tensor:
    """A relative-position table [L, C] linearly resized to ``length`` rows (2·tokens − 1)."""
    if rel.shape[0] == length:
        return rel
    out = F.interpolate(rel.T[None].float(), size=length, mode="linear", align_corners=False)
    return out[0].T.to(rel.dtype).contiguous()


def sam_shape_of(state: Mapping[str, Tensor]) -> str:
    """``vit_b``/``vit_l``/``vit_h`` from a state dict's embed dim and block count, or a
    description of an unknown shape."""
    pos = state.get("image_encoder.pos_embed")
    if pos is None or pos.ndim != 4:
        raise ValueError(
            "checkpoint: no image_encoder.pos_embed [1, S, S, D]: not a SAM state dict"
        )
    dim = int(pos.shape[-1])
    blocks = {k.split(".")[2] for k in state if k.startswith("image_encoder.blocks.")}
    for name, (d, depth, _, _) in SAM_SHAPES.items():
        if (d, depth) == (dim, len(blocks)):
            return name
    return f"{dim}-d/{len(blocks)}-block"


def adapt_sam_state(
    state: Mapping[str, Tensor], own: Mapping[str, Tensor], cfg: MaskSAMConfig
) -> dict[str, Tensor]:
    """SAM ``state`` with pos-embed and rel-pos tables resized to the model's (``own``) shapes."""
    out = dict(state)
    if "image_encoder.pos_embed" in out:
        out["image_encoder.pos_embed"] = resize_pos_embed(
            out["image_encoder.pos_embed"], cfg.tokens, cfg.pos_embed_resize
        )
    for key, value in out.items():
        if key.endswith(("rel_pos_h", "rel_pos_w")) and key in own:
            out[key] = resize_rel_pos(value, own[key].shape[0])
    return out


def load_sam_checkpoint(model: nn.Module, path: str | Path, cfg: MaskSAMConfig) -> dict[str, int]:
    """Load a SAM checkpoint (``sam_vit_[blh]_*.pth``, or ``{"state_dict": ...}``) into the SAM
    parts of ``model`` with ``weights_only=True``; returns counts of loaded and new keys.

    Strict allow-list: every key under ``image_encoder.``/``prompt_encoder.``/``mask_decoder.``
    must come from the file with its shape (a decoder saved under another name is an error, never
    silently skipped); only MaskSAM's own modules may be absent; no key may be left unused.
    """
    payload = load_weights_only(path)
    state = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f"checkpoint: {path} is not a state dict of tensors")
    shape, want = sam_shape_of(state), cfg.sam_shape or (f"{cfg.embed_dim}-d/{cfg.depth}-block")
    if shape != want:
        raise ValueError(
            f"checkpoint: {path} is a {shape} SAM but the model is {want}; "
            f"build it with sam_shaped({shape!r}) or pass the matching checkpoint"
        )
    own = model.state_dict()
    state = adapt_sam_state(state, own, cfg)
    sam_keys = {k for k in own if k.startswith(SAM_PREFIXES)}
    missing = sorted(sam_keys - set(state))
    unexpected = sorted(set(state) - sam_keys)
    shapes = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in sorted(sam_keys & set(state))
        if state[k].shape != own[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} SAM keys missing from the file, e.g. {missing[:4]}")
    if unexpected:
        problems.append(f"{len(unexpected)} keys with no place in the model, e.g. {unexpected[:4]}")
    if shapes:
        problems.append(f"shape mismatch {shapes[:3]}")
    if problems:
        raise ValueError(f"checkpoint: {path}: " + "; ".join(problems))
    result = model.load_state_dict(state, strict=False)
    new = [k for k in result.missing_keys if k.startswith(SAM_PREFIXES)]
    if new or result.unexpected_keys:  # internal invariant: the allow-list above is exact
        raise RuntimeError(f"checkpoint: unloaded SAM keys {new[:4]}")
    return {"loaded": len(sam_keys), "new": len(result.missing_keys)}
