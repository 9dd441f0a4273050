"""HF ``CLIPVisionModel`` (the image tower LLaVA uses) in the transformers 5.x layout
(``encoder.layers[i].self_attn.{q,k,v,out}_proj``, ``layer_norm1/2``, ``mlp.fc1/fc2``; tested on
5.24, where the tower's modules sit on the model itself; 4.x's ``vision_model.`` prefix is
accepted). Attention is switched to eager during capture.

Accepted: any ``CLIPVisionConfig`` (one [CLS] prefix token, patches row-major). The tower has no
classifier: ``num_classes`` is 0 and :meth:`logits` returns the pooled, post-LayerNorm [CLS]
state, so capture and trace work but a class target does not. Refused at weight level: everything
(``pre_layrnorm`` and QuickGELU are not in the shared block maths).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from torch import Tensor, nn

from paperzoo.core.vit.adapters import ViTAdapter, ViTWeights
from paperzoo.core.vit.hosts._registry import register_host
from paperzoo.core.vit.hosts.hf_vit import eager_attention


def _is_hf_clip_vision(model: object) -> bool:
    module = sys.modules.get("transformers.models.clip.modeling_clip")
    return module is not None and isinstance(model, module.CLIPVisionModel)


@register_host("hf_clip", _is_hf_clip_vision, "HF CLIPVisionModel")
class HFCLIPVisionAdapter(ViTAdapter):
    """HF ``CLIPVisionModel``; one prefix token ([CLS]); no classifier head."""

    _x_kwarg = "hidden_states"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.tower = getattr(model, "vision_model", model)  # 4.x nests the tower
        layers = getattr(getattr(self.tower, "encoder", None), "layers", None)
        if layers is None or not hasattr(layers[0].self_attn, "q_proj"):
            raise ValueError(
                "model: HF CLIP layout not supported (needs encoder.layers[i].self_attn.q_proj)"
            )
        c = model.config
        self.image_size = (int(c.image_size), int(c.image_size))
        self.in_chans = int(c.num_channels)
        self.num_classes = 0
        self.num_heads = int(c.num_attention_heads)
        side = int(c.image_size) // int(c.patch_size)
        self.grid = (side, side)

    def blocks(self) -> list[nn.Module]:
        return list(self.tower.encoder.layers)

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.self_attn, lambda out: out[1]  # (attn_output, attn_weights)

    def _norm2(self, block: nn.Module) -> nn.Module:
        return block.layer_norm2

    def _enter_flags(self) -> Callable[[], None]:
        return eager_attention(self.model)

    def logits(self, x: Tensor) -> Tensor:
        return self.model(pixel_values=x).pooler_output

    def pos_embed(self) -> Tensor:
        return self.tower.embeddings.position_embedding.weight.detach()[None]

    def _weights(self) -> ViTWeights:
        raise ValueError(
            "model: CLIPVisionModel's pre_layrnorm and QuickGELU are not in the shared "
            "weight-level block maths"
        )
