"""HF ``ViTForImageClassification`` in the transformers 5.x layout
(``vit.layers[i].attention.{q,k,v,o}_proj``, ``mlp.fc1/fc2``; tested on 5.24). Attention is
switched to eager during capture.

Accepted: any ``ViTConfig`` with ``num_labels >= 1`` (``qkv_bias`` either way). Refused by
:func:`~paperzoo.core.vit.adapt`: the transformers 4.x layout, ``num_labels=0``. Refused at weight
level: ``hidden_act`` other than ``'gelu'``, ``head_dim`` × heads != ``hidden_size``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import Tensor, nn

from paperzoo.core.vit.adapters import BlockWeights, ViTAdapter, ViTWeights, linear_bias, ln_params
from paperzoo.core.vit.hosts._registry import register_host


def eager_attention(model: nn.Module) -> Callable[[], None]:
    """Switch an HF model to eager attention (the one that returns weights); return the undo."""
    old = model.config._attn_implementation
    model.set_attn_implementation("eager")

    def restore() -> None:
        model.set_attn_implementation(old)

    return restore


def _is_hf_vit(model: object) -> bool:
    module = sys.modules.get("transformers.models.vit.modeling_vit")
    return module is not None and isinstance(model, module.ViTForImageClassification)


@register_host("hf", _is_hf_vit, "HF ViTForImageClassification")
class HFViTAdapter(ViTAdapter):
    """HF ``ViTForImageClassification``; one prefix token ([CLS])."""

    _x_kwarg = "hidden_states"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        layers = getattr(model.vit, "layers", None)
        if layers is None or not hasattr(layers[0].attention, "q_proj"):
            raise ValueError(
                "model: HF ViT layout not supported (needs transformers 5.x: vit.layers[i]"
                ".attention.q_proj); upgrade transformers"
            )
        c = model.config
        if int(c.num_labels) < 1 or not isinstance(model.classifier, nn.Linear):
            raise ValueError("model: HF ViT has no classifier head (num_labels=0)")
        size = c.image_size if isinstance(c.image_size, (tuple, list)) else (c.image_size,) * 2
        patch = c.patch_size if isinstance(c.patch_size, (tuple, list)) else (c.patch_size,) * 2
        self.image_size = (int(size[0]), int(size[1]))
        self.in_chans = int(c.num_channels)
        self.num_classes = int(c.num_labels)
        self.num_heads = int(c.num_attention_heads)
        self.grid = (self.image_size[0] // patch[0], self.image_size[1] // patch[1])

    def blocks(self) -> list[nn.Module]:
        return list(self.model.vit.layers)

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.attention, lambda out: out[1]  # (attn_output, attn_weights)

    def _norm2(self, block: nn.Module) -> nn.Module:
        return block.layernorm_after

    def _enter_flags(self) -> Callable[[], None]:
        return eager_attention(self.model)

    def logits(self, x: Tensor) -> Tensor:
        return self.model(pixel_values=x).logits

    def pos_embed(self) -> Tensor:
        return self.model.vit.embeddings.position_embeddings.detach()

    def _weights(self) -> ViTWeights:
        c = self.model.config
        if c.hidden_act != "gelu":
            raise ValueError(f"model: hidden_act must be 'gelu', got {c.hidden_act!r}")
        blocks = []
        for i, layer in enumerate(self.blocks()):
            a, at = layer.attention, f"vit.layers.{i}"
            if a.q_proj.out_features != a.q_proj.in_features:
                raise ValueError(f"model: {at} has head_dim × heads != hidden_size; not modelled")
            blocks.append(
                BlockWeights(
                    ln_params(layer.layernorm_before, f"{at}.layernorm_before"),
                    torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]).detach(),
                    torch.cat([linear_bias(p) for p in (a.q_proj, a.k_proj, a.v_proj)]),
                    a.o_proj.weight.detach(),
                    linear_bias(a.o_proj),
                    ln_params(layer.layernorm_after, f"{at}.layernorm_after"),
                    layer.mlp.fc1.weight.detach(),
                    linear_bias(layer.mlp.fc1),
                    layer.mlp.fc2.weight.detach(),
                    linear_bias(layer.mlp.fc2),
                )  # fmt: skip
            )
        m = self.model
        return ViTWeights(
            blocks, ln_params(m.vit.layernorm, "vit.layernorm"), m.classifier.weight.detach(),
            linear_bias(m.classifier), self.num_heads,
        )  # fmt: skip
