"""timm ``VisionTransformer`` (timm >= 1.0), DeiT's ``VisionTransformerDistilled`` included.

Accepted by :func:`~paperzoo.core.vit.adapt` (the capture contract holds): a class token read by
the head (``global_pool='token'``; DeiT's distilled head reads [CLS] and the distillation token),
register tokens (``reg_tokens``), ``no_embed_class``, ``pos_embed='none'``, ``pre_norm``,
``fc_norm``, ``final_norm=False``, ``qkv_bias``/``proj_bias=False``, ``qk_norm``,
``scale_attn_norm``, ``scale_mlp_norm``, LayerScale (``init_values``), any ``norm_layer``,
``act_layer`` or ``mlp_layer``; every block must be timm's pre-norm ``Block`` with
``timm.layers.Attention``.

Refused by ``adapt``: no class token or another pooling (``class_token=False``, ``global_pool`` in
avg/avgmax/max/map/prr/''; the explainers read the [CLS] row), ``num_classes=0``,
``dynamic_img_size``, other blocks (``ResPostBlock``, ``ParallelScalingBlock``, ...) and other
attention (``attn_layer='diff'``, ...).

At weight level (:meth:`~paperzoo.core.vit.adapters.ViTAdapter.weights`) every accepted option is
modelled exactly except these, refused there: a norm other than LayerNorm
(``norm_layer='rmsnorm'``), an activation other than exact GELU (``act_layer='gelu_tanh'``,
``'quick_gelu'``, ...), an MLP other than ``Mlp`` (``SwiGLU``, ``GluMlp``, ``GatedMlp``), gated
attention. ``pos_embed()`` refuses
``pre_norm`` (the norm after the positions leaves no additive position part in Z₀).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import Tensor, nn

from paperzoo.core.vit.adapters import (
    BlockWeights,
    LNParams,
    ViTAdapter,
    ViTWeights,
    linear_bias,
    ln_params,
)
from paperzoo.core.vit.hosts._registry import register_host


class TimmLayoutAdapter(ViTAdapter):
    """Hosts laid out like timm: ``blocks[i].attn`` (``fused_attn``), ``norm2``, ``pos_embed``."""

    def blocks(self) -> list[nn.Module]:
        return list(self.model.blocks)

    def _norm2(self, block: nn.Module) -> nn.Module:
        return block.norm2

    def _enter_flags(self) -> Callable[[], None]:
        attns = [b.attn for b in self.blocks()]
        old = [a.fused_attn for a in attns]
        for a in attns:
            a.fused_attn = False  # SDPA never materialises the attention matrix

        def restore() -> None:
            for a, f in zip(attns, old, strict=True):
                a.fused_attn = f

        return restore

    def logits(self, x: Tensor) -> Tensor:
        return self.model(x)

    def pos_embed(self) -> Tensor:
        return self.model.pos_embed.detach()


def timm_layout_blocks(
    model: nn.Module, norm_types: tuple[type, ...], mlp_types: tuple[type, ...]
) -> list[BlockWeights]:
    """:class:`BlockWeights` of timm-layout ``model.blocks``; ``ValueError`` naming a part
    that is not modelled."""

    def norm(module: nn.Module | None, where: str) -> LNParams | None:
        if module is None or isinstance(module, nn.Identity):
            return None
        return ln_params(module, where, norm_types)

    def gamma(module: nn.Module | None, where: str) -> Tensor | None:
        if module is None or isinstance(module, nn.Identity):
            return None
        if not isinstance(getattr(module, "gamma", None), Tensor):
            raise ValueError(f"model: {where} is {type(module).__name__}, not a LayerScale")
        return module.gamma.detach()

    out = []
    for i, b in enumerate(model.blocks):
        at, attn, mlp = f"blocks.{i}", b.attn, b.mlp
        if getattr(attn, "gate", None) is not None:
            raise ValueError(f"model: {at}.attn is gated; the weight-level re-forward omits gates")
        if attn.qkv.out_features != 3 * attn.qkv.in_features:
            raise ValueError(f"model: {at}.attn has heads × head_dim != embed_dim; not modelled")
        if type(mlp) not in mlp_types:
            raise ValueError(
                f"model: {at}.mlp is {type(mlp).__name__}; the weight-level re-forward models "
                "fc1 -> GELU -> fc2 (timm Mlp) only"
            )
        if type(mlp.act) is not nn.GELU or mlp.act.approximate != "none":
            raise ValueError(
                f"model: {at}.mlp.act is {type(mlp.act).__name__}; the weight-level re-forward "
                "models exact GELU only"
            )
        out.append(
            BlockWeights(
                ln_params(b.norm1, f"{at}.norm1", norm_types),
                attn.qkv.weight.detach(),
                linear_bias(attn.qkv),
                attn.proj.weight.detach(),
                linear_bias(attn.proj),
                ln_params(b.norm2, f"{at}.norm2", norm_types),
                mlp.fc1.weight.detach(),
                linear_bias(mlp.fc1),
                mlp.fc2.weight.detach(),
                linear_bias(mlp.fc2),
                q_norm=norm(getattr(attn, "q_norm", None), f"{at}.attn.q_norm"),
                k_norm=norm(getattr(attn, "k_norm", None), f"{at}.attn.k_norm"),
                attn_norm=norm(getattr(attn, "norm", None), f"{at}.attn.norm"),
                mlp_norm=norm(getattr(mlp, "norm", None), f"{at}.mlp.norm"),
                ls1=gamma(getattr(b, "ls1", None), f"{at}.ls1"),
                ls2=gamma(getattr(b, "ls2", None), f"{at}.ls2"),
            )  # fmt: skip
        )
    return out


def _is_timm_vit(model: object) -> bool:
    module = sys.modules.get("timm.models.vision_transformer")
    return module is not None and isinstance(model, module.VisionTransformer)


@register_host("timm", _is_timm_vit, "timm VisionTransformer, incl. DeiT distilled")
class TimmViTAdapter(TimmLayoutAdapter):
    """timm ``VisionTransformer`` whose head reads the class token (see the module docstring)."""

    def __init__(self, model: nn.Module) -> None:
        from timm.layers import Attention
        from timm.models.vision_transformer import Block

        super().__init__(model)
        if model.cls_token is None or model.global_pool != "token":
            raise ValueError(
                "model: the explainers read the [CLS] row; this timm ViT has "
                f"class_token={model.cls_token is not None}, global_pool={model.global_pool!r} "
                "(needs class_token=True, global_pool='token')"
            )
        if model.num_classes < 1 or not isinstance(model.head, nn.Linear):
            raise ValueError("model: timm ViT has no classifier head (num_classes=0)")
        if model.dynamic_img_size:
            raise ValueError("model: dynamic_img_size=True is not supported")
        for i, block in enumerate(model.blocks):
            if type(block) is not Block:
                raise ValueError(
                    f"model: blocks.{i} is {type(block).__name__}; only timm's pre-norm Block "
                    "(Y = X + attn(norm1(X)), Z = Y + mlp(norm2(Y))) is supported"
                )
            if type(block.attn) is not Attention:
                raise ValueError(
                    f"model: blocks.{i}.attn is {type(block.attn).__name__}; only "
                    "timm.layers.Attention is supported"
                )
        self.distilled = getattr(model, "dist_token", None) is not None
        self.image_size = tuple(model.patch_embed.img_size)
        self.in_chans = model.patch_embed.proj.in_channels
        self.num_classes = model.num_classes
        self.num_heads = model.blocks[0].attn.num_heads
        self.grid = tuple(model.patch_embed.grid_size)
        self.num_prefix_tokens = int(model.num_prefix_tokens)  # [CLS], distillation, registers

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.attn.attn_drop, lambda out: out

    def pos_embed(self) -> Tensor:
        m = self.model
        if not isinstance(m.norm_pre, nn.Identity):
            raise ValueError(
                "model: pre_norm=True normalises Z₀ after the positions are added, so Z₀ has no "
                "additive position part"
            )
        n = self.num_prefix_tokens + self.grid[0] * self.grid[1]
        if m.pos_embed is None:  # pos_embed='none'
            return m.cls_token.detach().new_zeros(1, n, m.embed_dim)
        pos = m.pos_embed.detach()
        if pos.shape[1] == n - self.num_prefix_tokens:  # no_embed_class: prefix tokens get none
            pos = torch.cat([pos.new_zeros(1, self.num_prefix_tokens, pos.shape[2]), pos], dim=1)
        return pos

    def _weights(self) -> ViTWeights:
        from timm.layers import LayerNorm, LayerNormFp32, Mlp

        m = self.model
        norm_types = (nn.LayerNorm, LayerNorm, LayerNormFp32)
        blocks = timm_layout_blocks(m, norm_types, (Mlp,))
        # fc_norm acts on the pooled token; with token pooling that is the same LayerNorm applied
        # to every token after the blocks. DeiT's distilled head skips fc_norm.
        finals = [("norm", m.norm)] + ([] if self.distilled else [("fc_norm", m.fc_norm)])
        finals = [(name, mod) for name, mod in finals if not isinstance(mod, nn.Identity)]
        if len(finals) > 1:
            raise ValueError("model: both norm and fc_norm are set; not modelled")
        norm = ln_params(finals[0][1], finals[0][0], norm_types) if finals else None
        head_w, head_b, tokens = m.head.weight.detach(), linear_bias(m.head), (0,)
        if self.distilled:  # logits = (head(T_cls) + head_dist(T_dist)) / 2
            head_w = torch.cat([head_w, m.head_dist.weight.detach()], dim=1) / 2
            head_b = (head_b + linear_bias(m.head_dist)) / 2
            tokens = (0, 1)
        return ViTWeights(blocks, norm, head_w, head_b, self.num_heads, tokens)
