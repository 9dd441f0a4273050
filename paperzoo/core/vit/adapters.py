"""One protocol over three ViT hosts: per block the attention A, block input X, post-attention
residual Y and block output Z, plus Z₀ and the CLS index.

Hosts: paperzoo's :class:`~paperzoo.core.vit.model.SmallViT`, timm ``VisionTransformer`` (>= 1.0,
``global_pool='token'``) and HF ``ViTForImageClassification`` (transformers 5.x layout:
``vit.layers[i].attention.{q,k,v,o}_proj``, ``mlp.fc1/fc2``; tested on 5.24; eager attention).
Capture is a context manager: hooks are registered on entry and removed in ``finally``; the fused
(SDPA) attention switch, the attention implementation and train/eval flags are restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core import runtime
from paperzoo.core.vit.model import SmallViT


@dataclass(frozen=True)
class BlockWeights:
    """Parameters of one pre-LN block, host-independent (``qkv_w`` is ``[3D, D]``, q|k|v)."""

    norm1: tuple[Tensor, Tensor, float]
    qkv_w: Tensor
    qkv_b: Tensor
    proj_w: Tensor
    proj_b: Tensor
    norm2: tuple[Tensor, Tensor, float]
    fc1_w: Tensor
    fc1_b: Tensor
    fc2_w: Tensor
    fc2_b: Tensor


@dataclass(frozen=True)
class ViTWeights:
    """All weights after Z₀: blocks, final LayerNorm and the linear head on the CLS token."""

    blocks: list[BlockWeights]
    norm: tuple[Tensor, Tensor, float]
    head_w: Tensor
    head_b: Tensor
    heads: int


@dataclass
class BlockTrace:
    """One block: ``attn`` [B,H,N,N] (in the autograd graph), X, Y, Z [B,N,D] (detached)."""

    attn: Tensor
    x: Tensor
    y: Tensor
    z: Tensor


@dataclass
class ViTTrace:
    """A forward pass seen through an adapter."""

    logits: Tensor
    z0: Tensor
    blocks: list[BlockTrace]
    cls_index: int
    grid: tuple[int, int]

    @property
    def attentions(self) -> list[Tensor]:
        return [b.attn for b in self.blocks]

    def attention_grads(self, target: Tensor) -> list[Tensor]:
        """∂y_c/∂A_l for every block, y_c the ``target`` logit of each image; [B,H,N,N] each."""
        score = self.logits.gather(1, target[:, None]).sum()
        return list(torch.autograd.grad(score, self.attentions, retain_graph=True))


@dataclass
class _Recording:
    x: dict[int, Tensor] = field(default_factory=dict)
    y: dict[int, Tensor] = field(default_factory=dict)
    z: dict[int, Tensor] = field(default_factory=dict)
    attn: dict[int, Tensor] = field(default_factory=dict)


def _first_arg(args: tuple, kwargs: dict, name: str) -> Tensor:
    return args[0] if args else kwargs[name]


class ViTAdapter:
    """Base adapter; subclasses name the host's modules and flags."""

    host = "vit"
    _x_kwarg = "x"

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    # --- host description (subclasses) -----------------------------------------------------
    def blocks(self) -> list[nn.Module]:
        raise NotImplementedError

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        raise NotImplementedError

    def _norm2(self, block: nn.Module) -> nn.Module:
        raise NotImplementedError

    def _enter_flags(self) -> Callable[[], None]:
        """Switch the host to materialised attention; return a function restoring it."""
        raise NotImplementedError

    def logits(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def pos_embed(self) -> Tensor:
        """Learned positions added in Z₀, ``[1, N, D]``."""
        raise NotImplementedError

    def weights(self) -> ViTWeights:
        raise NotImplementedError

    image_size: tuple[int, int]
    in_chans: int
    num_classes: int
    num_heads: int
    grid: tuple[int, int]
    cls_index = 0

    @property
    def num_blocks(self) -> int:
        return len(self.blocks())

    # --- validation ------------------------------------------------------------------------
    def check_input(self, x: Tensor) -> Tensor:
        """Reject anything but a finite float ``[B, C, H, W]`` batch of the model's size."""
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise ValueError(f"x must be a float tensor, got {getattr(x, 'dtype', type(x))}")
        want = (self.in_chans, *self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(
                f"x must have shape [B, {want[0]}, {want[1]}, {want[2]}] for this model "
                f"({want[0]} channel(s), {want[1]}x{want[2]} pixels), got {list(x.shape)}"
            )
        if x.shape[0] == 0:
            raise ValueError("x must hold at least one image, got an empty batch")
        if not torch.isfinite(x).all():
            raise ValueError("x must be finite, got NaN or inf values")
        return x

    def check_target(self, target: int | Tensor | None, logits: Tensor) -> Tensor:
        """Class per image: ``None`` = predicted class; an int or ``[B]`` ints in range."""
        batch = logits.shape[0]
        if target is None:
            return logits.argmax(dim=1)
        t = torch.as_tensor(target, device=logits.device)
        if t.is_floating_point() or t.is_complex():
            raise ValueError(f"target must be integer class indices, got dtype {t.dtype}")
        t = t.long().expand(batch) if t.ndim == 0 else t.long()
        if t.shape != (batch,):
            raise ValueError(f"target must be an int or shape [{batch}], got {list(t.shape)}")
        bad = (t < 0) | (t >= self.num_classes)
        if bad.any():
            raise ValueError(
                f"target: class index {int(t[bad][0])} out of range [0, {self.num_classes})"
            )
        return t

    # --- capture ---------------------------------------------------------------------------
    @contextmanager
    def eval_mode(self) -> Iterator[None]:
        """Eval mode inside the ``with``; every module's train flag restored after."""
        with runtime.eval_mode(self.model):
            yield

    @contextmanager
    def capture(self) -> Iterator[_Recording]:
        """Record A, X, Y, Z of every block during forwards inside the ``with`` (eval mode).

        Every hook handle, host flag and train flag is undone on exit, also after an error.
        """
        rec = _Recording()
        with ExitStack() as undo:
            undo.enter_context(self.eval_mode())
            undo.callback(self._enter_flags())
            for i, block in enumerate(self.blocks()):
                site, read = self._prob_site(block)
                hooks = (
                    block.register_forward_pre_hook(
                        lambda _m, a, k, i=i: rec.x.__setitem__(i, _first_arg(a, k, self._x_kwarg)),
                        with_kwargs=True,
                    ),
                    site.register_forward_hook(
                        lambda _m, _a, out, i=i, read=read: rec.attn.__setitem__(i, read(out))
                    ),
                    self._norm2(block).register_forward_pre_hook(
                        lambda _m, a, i=i: rec.y.__setitem__(i, a[0])
                    ),
                    block.register_forward_hook(lambda _m, _a, out, i=i: rec.z.__setitem__(i, out)),
                )
                for handle in hooks:
                    undo.callback(handle.remove)
            yield rec

    def trace(self, x: Tensor) -> ViTTrace:
        """Forward ``x`` (validated) and return logits, Z₀ and per-block A, X, Y, Z."""
        x = self.check_input(x)
        with torch.enable_grad(), self.capture() as rec:
            # a leaf that requires grad keeps A in the graph even for a frozen model
            logits = self.logits(x.detach().requires_grad_(True))
        n = self.num_blocks
        if len(rec.attn) != n or any(a is None for a in rec.attn.values()):
            raise RuntimeError(f"{self.host}: attention probabilities were not captured")
        blocks = [
            BlockTrace(rec.attn[i], rec.x[i].detach(), rec.y[i].detach(), rec.z[i].detach())
            for i in range(n)
        ]
        return ViTTrace(logits, blocks[0].x, blocks, self.cls_index, self.grid)


class _TimmLayoutAdapter(ViTAdapter):
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

    def weights(self) -> ViTWeights:
        return _timm_like_weights(self.model, self.num_heads)


class SmallViTAdapter(_TimmLayoutAdapter):
    host = "paperzoo"

    def __init__(self, model: SmallViT) -> None:
        super().__init__(model)
        c = model.cfg
        self.image_size = (c.image_size, c.image_size)
        self.in_chans, self.num_classes, self.num_heads = c.in_chans, c.num_classes, c.heads
        self.grid = (c.grid, c.grid)

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.attn.probs, lambda out: out


def _ln(m: nn.LayerNorm) -> tuple[Tensor, Tensor, float]:
    return m.weight.detach(), m.bias.detach(), float(m.eps)


def _bias(linear: nn.Linear) -> Tensor:
    if linear.bias is None:
        return torch.zeros(
            linear.out_features, dtype=linear.weight.dtype, device=linear.weight.device
        )
    return linear.bias.detach()


def _timm_like_weights(model: nn.Module, heads: int) -> ViTWeights:
    blocks = []
    for b in model.blocks:
        for name in ("norm1", "norm2"):
            if not isinstance(getattr(b, name), nn.LayerNorm):
                raise ValueError(
                    f"model: block {name} is not a LayerNorm; only plain ViTs supported"
                )
        if (
            not isinstance(b.mlp.act, nn.GELU)
            or getattr(b.mlp.act, "approximate", "none") != "none"
        ):
            raise ValueError("model: MLP activation is not exact GELU; only plain ViTs supported")
        for name in ("ls1", "ls2"):
            if not isinstance(getattr(b, name, nn.Identity()), nn.Identity):
                raise ValueError(f"model: block has LayerScale ({name}); only plain ViTs supported")
        blocks.append(
            BlockWeights(
                _ln(b.norm1),
                b.attn.qkv.weight.detach(),
                _bias(b.attn.qkv),
                b.attn.proj.weight.detach(),
                _bias(b.attn.proj),
                _ln(b.norm2),
                b.mlp.fc1.weight.detach(),
                _bias(b.mlp.fc1),
                b.mlp.fc2.weight.detach(),
                _bias(b.mlp.fc2),
            )  # fmt: skip
        )
    return ViTWeights(blocks, _ln(model.norm), model.head.weight.detach(), _bias(model.head), heads)


class TimmViTAdapter(_TimmLayoutAdapter):
    """timm ``VisionTransformer`` with a class token and ``global_pool='token'``."""

    host = "timm"

    def __init__(self, model: nn.Module) -> None:
        from timm.layers import Attention

        super().__init__(model)
        if getattr(model, "cls_token", None) is None or model.global_pool != "token":
            raise ValueError("model: timm ViT must have a class token and global_pool='token'")
        if getattr(model, "num_prefix_tokens", 1) != 1:
            raise ValueError(
                f"model: register tokens are not supported, got {model.num_prefix_tokens - 1}"
            )
        if getattr(model, "dynamic_img_size", False):
            raise ValueError("model: dynamic_img_size=True is not supported")
        if not all(isinstance(b.attn, Attention) for b in model.blocks):
            raise ValueError("model: every timm block must use timm.layers.Attention")
        self.image_size = tuple(model.patch_embed.img_size)
        self.in_chans = model.patch_embed.proj.in_channels
        self.num_classes = model.num_classes
        self.num_heads = model.blocks[0].attn.num_heads
        self.grid = tuple(model.patch_embed.grid_size)

    def _prob_site(self, block: nn.Module) -> tuple[nn.Module, Callable[[object], Tensor]]:
        return block.attn.attn_drop, lambda out: out

    def weights(self) -> ViTWeights:
        if not isinstance(self.model.fc_norm, nn.Identity):
            raise ValueError("model: fc_norm is not supported by weight-level explainers")
        return super().weights()


class HFViTAdapter(ViTAdapter):
    """HF ``ViTForImageClassification``; attention is switched to eager during capture."""

    host = "hf"
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
        old = self.model.config._attn_implementation
        self.model.set_attn_implementation("eager")

        def restore() -> None:
            self.model.set_attn_implementation(old)

        return restore

    def logits(self, x: Tensor) -> Tensor:
        return self.model(pixel_values=x).logits

    def pos_embed(self) -> Tensor:
        return self.model.vit.embeddings.position_embeddings.detach()

    def weights(self) -> ViTWeights:
        c = self.model.config
        if c.hidden_act != "gelu":
            raise ValueError(f"model: hidden_act must be 'gelu', got {c.hidden_act!r}")
        blocks = []
        for layer in self.blocks():
            a = layer.attention
            blocks.append(
                BlockWeights(
                    _ln(layer.layernorm_before),
                    torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]).detach(),
                    torch.cat([_bias(a.q_proj), _bias(a.k_proj), _bias(a.v_proj)]),
                    a.o_proj.weight.detach(),
                    _bias(a.o_proj),
                    _ln(layer.layernorm_after),
                    layer.mlp.fc1.weight.detach(),
                    _bias(layer.mlp.fc1),
                    layer.mlp.fc2.weight.detach(),
                    _bias(layer.mlp.fc2),
                )  # fmt: skip
            )
        m = self.model
        return ViTWeights(
            blocks, _ln(m.vit.layernorm), m.classifier.weight.detach(), _bias(m.classifier),
            self.num_heads,
        )  # fmt: skip


def adapt(model: nn.Module | ViTAdapter) -> ViTAdapter:
    """The adapter for ``model``; ``ValueError`` for anything that is not a supported ViT."""
    if isinstance(model, ViTAdapter):
        return model
    if isinstance(model, SmallViT):
        return SmallViTAdapter(model)
    try:
        from timm.models.vision_transformer import VisionTransformer
    except ImportError:  # optional extra
        VisionTransformer = ()  # noqa: N806
    if VisionTransformer and isinstance(model, VisionTransformer):
        return TimmViTAdapter(model)
    try:
        from transformers import ViTForImageClassification
    except ImportError:  # optional extra
        ViTForImageClassification = ()  # noqa: N806
    if ViTForImageClassification and isinstance(model, ViTForImageClassification):
        return HFViTAdapter(model)
    raise ValueError(
        "model must be a paperzoo SmallViT, a timm VisionTransformer or an HF "
        f"ViTForImageClassification, got {type(model).__name__}"
    )


def layer_norm(x: Tensor, params: tuple[Tensor, Tensor, float]) -> Tensor:
    """LayerNorm over the last dim with (weight, bias, eps)."""
    w, b, eps = params
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)
