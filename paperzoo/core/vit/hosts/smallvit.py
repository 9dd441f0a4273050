"""paperzoo's :class:`~paperzoo.core.vit.model.SmallViT`: a plain pre-LN ViT, one [CLS] token."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from paperzoo.core.vit.adapters import ViTWeights, linear_bias, ln_params
from paperzoo.core.vit.hosts._registry import register_host
from paperzoo.core.vit.hosts.timm_vit import TimmLayoutAdapter, timm_layout_blocks
from paperzoo.core.vit.model import Mlp, SmallViT


@register_host("paperzoo", lambda model: isinstance(model, SmallViT), "paperzoo SmallViT")
class SmallViTAdapter(TimmLayoutAdapter):
    """:class:`SmallViT`; attention is read at its ``attn.probs`` seam."""

    def __init__(self, model: SmallViT) -> None:
        super().__init__(model)
        c = model.cfg
        self.image_size = (c.image_size, c.image_size)
        self.in_chans, self.num_classes, self.num_heads = c.in_chans, c.num_classes, c.heads
        self.grid = (c.grid, c.grid)

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.attn.probs, lambda out: out

    def _weights(self) -> ViTWeights:
        m = self.model
        return ViTWeights(
            timm_layout_blocks(m, (nn.LayerNorm,), (Mlp,)), ln_params(m.norm, "norm"),
            m.head.weight.detach(), linear_bias(m.head), self.num_heads,
        )  # fmt: skip
