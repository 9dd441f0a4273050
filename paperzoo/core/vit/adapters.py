"""One protocol over every ViT host: per block the attention A, block input X, post-attention
residual Y and block output Z, plus Z₀, the prefix-token count and the CLS index.

The hosts (paperzoo's :class:`~paperzoo.core.vit.model.SmallViT`, timm ``VisionTransformer``, HF
``ViTForImageClassification``, ...) live in :mod:`paperzoo.core.vit.hosts`, one module each;
:func:`adapt` asks that registry which host recognises a model. Token layout: the prefix tokens
([CLS], a distillation token, registers) occupy positions ``[0, num_prefix_tokens)``, ``cls_index``
is one of them, and the ``h·w`` patch tokens follow in row-major grid order.

Capture is a context manager: hooks are registered on entry and removed in ``finally``; the host's
switch to materialised attention and the train/eval flags are restored. At weight level,
:meth:`ViTAdapter.weights` and :func:`reforward` reproduce the model's forward exactly, or refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core import runtime

LNParams = tuple[Tensor | None, Tensor | None, float]
"""A LayerNorm over the last dim as (weight, bias, eps); ``None`` weight or bias: not affine."""

BLOCK_EXTRAS: dict[str, str] = {
    "qk_norm": "q/k normalisation (timm qk_norm=True: attn.q_norm, attn.k_norm)",
    "attn_norm": "attention-output normalisation (timm scale_attn_norm=True: attn.norm)",
    "mlp_norm": "MLP hidden normalisation (timm scale_mlp_norm=True: mlp.norm)",
    "layer_scale": "LayerScale (timm init_values: ls1, ls2)",
}
"""Optional block parts beyond the plain pre-LN block, name -> what they are."""


@dataclass(frozen=True)
class BlockWeights:
    """Parameters of one pre-LN block, host-independent (``qkv_w`` is ``[3D, D]``, q|k|v).

    [Q|K|V] = LN₁(X) W_qkvᵀ + b_qkv, A = softmax(N_q(Q) N_k(K)ᵀ / √d_h) per head,
    Y = X + γ₁ ⊙ proj(N_a(A V)), Z = Y + γ₂ ⊙ fc2(N_m(GELU(fc1(LN₂(Y))))).
    N_q, N_k, N_a, N_m (LayerNorms) and γ₁, γ₂ (LayerScale) are the :data:`BLOCK_EXTRAS`; ``None``
    means the part is absent (identity).
    """

    norm1: LNParams
    qkv_w: Tensor
    qkv_b: Tensor
    proj_w: Tensor
    proj_b: Tensor
    norm2: LNParams
    fc1_w: Tensor
    fc1_b: Tensor
    fc2_w: Tensor
    fc2_b: Tensor
    q_norm: LNParams | None = None
    k_norm: LNParams | None = None
    attn_norm: LNParams | None = None
    mlp_norm: LNParams | None = None
    ls1: Tensor | None = None
    ls2: Tensor | None = None

    @property
    def extras(self) -> list[str]:
        """The :data:`BLOCK_EXTRAS` this block uses."""
        used = {
            "qk_norm": self.q_norm is not None or self.k_norm is not None,
            "attn_norm": self.attn_norm is not None,
            "mlp_norm": self.mlp_norm is not None,
            "layer_scale": self.ls1 is not None or self.ls2 is not None,
        }
        return [name for name in BLOCK_EXTRAS if used[name]]


@dataclass(frozen=True)
class ViTWeights:
    """All weights after Z₀: blocks, final LayerNorm (``None``: none) and the linear head.

    logits = concat(T[:, i] for i in ``head_tokens``) · head_wᵀ + head_b, T = norm(Z_L). A plain ViT
    reads the CLS token (``head_tokens=(0,)``); DeiT's distilled model averages a head on [CLS] and
    one on the distillation token, i.e. ``head_tokens=(0, 1)`` with both heads halved.
    """

    blocks: list[BlockWeights]
    norm: LNParams | None
    head_w: Tensor
    head_b: Tensor
    heads: int
    head_tokens: tuple[int, ...] = (0,)

    @property
    def extras(self) -> list[str]:
        """The :data:`BLOCK_EXTRAS` any block uses."""
        used = {name for block in self.blocks for name in block.extras}
        return [name for name in BLOCK_EXTRAS if name in used]


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
    num_prefix_tokens: int = 1

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
    """Base adapter; subclasses (one per host, :mod:`paperzoo.core.vit.hosts`) name the host's
    modules and flags. ``host`` is the name the class is registered under."""

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
        """Positions added in Z₀, ``[1, N, D]`` (zero rows for tokens that get none)."""
        raise NotImplementedError

    def _weights(self) -> ViTWeights:
        """Every weight after Z₀, exact; ``ValueError`` naming any part it cannot describe."""
        raise NotImplementedError

    image_size: tuple[int, int]
    in_chans: int
    num_classes: int
    num_heads: int
    grid: tuple[int, int]
    num_prefix_tokens = 1
    cls_index = 0

    def weights(self, supports: Collection[str] = ()) -> ViTWeights:
        """The weights after Z₀, exact for this model: :func:`reforward` reproduces its forward.

        ``supports`` names the :data:`BLOCK_EXTRAS` the caller's own block maths models; a model
        using any other one is refused with a ``ValueError``, so no caller drops a part silently.
        """
        supports = (supports,) if isinstance(supports, str) else tuple(supports)
        unknown = sorted(set(supports) - set(BLOCK_EXTRAS))
        if unknown:
            raise ValueError(
                f"supports: unknown block parts {unknown}; known: {list(BLOCK_EXTRAS)}"
            )
        weights = self._weights()
        missing = [name for name in weights.extras if name not in supports]
        if missing:
            parts = "; ".join(BLOCK_EXTRAS[name] for name in missing)
            raise ValueError(
                f"model: this {self.host} ViT uses {parts}, which this explainer's weight-level "
                "re-forward does not model; explainers that read only the captured trace "
                "(attention, X, Y, Z) support it"
            )
        return weights

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
        if t.dtype == torch.bool:
            raise ValueError("target must be integer class indices, got bool")
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
        tokens = self.num_prefix_tokens + self.grid[0] * self.grid[1]
        if rec.attn[0].shape[-1] != tokens:
            raise RuntimeError(
                f"{self.host}: {rec.attn[0].shape[-1]} tokens captured, the adapter counts "
                f"{tokens} ({self.num_prefix_tokens} prefix + {self.grid[0]}x{self.grid[1]} "
                "patches)"
            )
        blocks = [
            BlockTrace(rec.attn[i], rec.x[i].detach(), rec.y[i].detach(), rec.z[i].detach())
            for i in range(n)
        ]
        return ViTTrace(
            logits, blocks[0].x, blocks, self.cls_index, self.grid, self.num_prefix_tokens
        )


def ln_params(module: nn.Module, where: str, types: tuple[type, ...] = (nn.LayerNorm,)) -> LNParams:
    """(weight, bias, eps) of a LayerNorm over the last dim (an exact type in ``types``);
    ``ValueError`` naming ``where`` for any other norm."""
    if type(module) not in types or len(module.normalized_shape) != 1:
        raise ValueError(
            f"model: {where} is {type(module).__name__}; the weight-level re-forward models "
            "LayerNorm only"
        )
    weight = None if module.weight is None else module.weight.detach()
    bias = None if module.bias is None else module.bias.detach()
    return weight, bias, float(module.eps)


def linear_bias(linear: nn.Linear) -> Tensor:
    """The bias of ``linear``, zeros when it has none."""
    if linear.bias is None:
        return torch.zeros(
            linear.out_features, dtype=linear.weight.dtype, device=linear.weight.device
        )
    return linear.bias.detach()


def layer_norm(x: Tensor, params: LNParams | None) -> Tensor:
    """LayerNorm over the last dim with (weight, bias, eps); ``None`` is the identity."""
    if params is None:
        return x
    w, b, eps = params
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def block_forward(x: Tensor, w: BlockWeights, heads: int) -> tuple[Tensor, Tensor]:
    """One block from its weights (equations on :class:`BlockWeights`): ``[B,N,D] -> (Y, Z)``."""
    b, n, _ = x.shape
    head_dim = w.qkv_w.shape[0] // (3 * heads)
    qkv = layer_norm(x, w.norm1) @ w.qkv_w.T + w.qkv_b
    q, k, v = qkv.reshape(b, n, 3, heads, head_dim).permute(2, 0, 3, 1, 4).unbind(0)
    q, k = layer_norm(q, w.q_norm), layer_norm(k, w.k_norm)  # [B, H, N, d_h]
    attn = (q * head_dim**-0.5 @ k.transpose(-2, -1)).softmax(dim=-1)
    mixed = layer_norm((attn @ v).transpose(1, 2).reshape(b, n, heads * head_dim), w.attn_norm)
    o = mixed @ w.proj_w.T + w.proj_b
    y = x + (o if w.ls1 is None else o * w.ls1)
    hidden = layer_norm(F.gelu(layer_norm(y, w.norm2) @ w.fc1_w.T + w.fc1_b), w.mlp_norm)
    m = hidden @ w.fc2_w.T + w.fc2_b
    return y, y + (m if w.ls2 is None else m * w.ls2)


def reforward(weights: ViTWeights, z0: Tensor) -> tuple[Tensor, Tensor]:
    """The model's forward from Z₀ ``[B, N, D]`` with ``weights`` alone.

    Returns (final tokens T = norm(Z_L) ``[B, N, D]``, logits ``[B, C]``).
    """
    z = z0
    for w in weights.blocks:
        z = block_forward(z, w, weights.heads)[1]
    tokens = layer_norm(z, weights.norm)
    pooled = tokens[:, list(weights.head_tokens)].flatten(1)
    return tokens, pooled @ weights.head_w.T + weights.head_b


def adapt(model: nn.Module | ViTAdapter) -> ViTAdapter:
    """The adapter of the one registered host that recognises ``model``
    (:mod:`paperzoo.core.vit.hosts`); ``ValueError`` naming its type and the hosts otherwise."""
    if isinstance(model, ViTAdapter):
        return model
    from paperzoo.core.vit.hosts import find_host  # the host modules import this one

    return find_host(model).adapter(model)
