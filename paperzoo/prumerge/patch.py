"""Host patches (ToMe style, reversible): read one block's input and q/k, then PruMerge.

Hosts come from core's adapters (:func:`paperzoo.core.vit.adapt`): paperzoo's ``SmallViT`` and
timm ``VisionTransformer`` (q, k split from the fused ``attn.qkv``), HF ``CLIPVisionModel``
(``self_attn.q_proj``/``k_proj``, the official code's hooks; work under SDPA). As in the official
code, the features are the input of block ``layer`` (``hidden_states[-2]`` for the last block) and
the attention is that block's. The forward stops once q and k are captured (nothing after that
block changes the output). Every hook is removed and ``forward`` restored on exit, also after an
error; a patch that fails while entering leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from torch import Tensor, nn

from paperzoo.core import runtime
from paperzoo.core.interfaces import ReducedTokens
from paperzoo.core.vit.adapters import ViTAdapter, adapt
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.merge import cls_attention
from paperzoo.prumerge.reducer import prumerge

SUPPORTED_HOSTS = ("paperzoo", "timm", "hf_clip")


class _Stop(Exception):
    """Raised by a hook once q and k are captured: the rest of the forward is not needed."""


@dataclass
class Capture:
    """What one forward left: block input ``x``, ``q``, ``k`` [B, T, D] (T with prefix tokens)."""

    x: Tensor | None = None
    q: Tensor | None = None
    k: Tensor | None = None
    stop: bool = False

    def _maybe_stop(self) -> None:
        if self.stop and self.q is not None and self.k is not None:
            raise _Stop


@dataclass(frozen=True)
class Encoded:
    """Encoder output for PruMerge: patch ``tokens`` [B, N, D], [CLS] ``attention`` [B, N],
    patch ``keys`` [B, N, D], and the patch ``grid``."""

    tokens: Tensor
    attention: Tensor
    keys: Tensor
    grid: tuple[int, int]


def _adapter(model: nn.Module | ViTAdapter) -> ViTAdapter:
    adapter = adapt(model)  # ValueError naming the model type when no host recognises it
    if adapter.host not in SUPPORTED_HOSTS:
        raise ValueError(
            f"model: prumerge has no q/k capture for host {adapter.host!r}; "
            f"supported: {', '.join(SUPPORTED_HOSTS)}"
        )
    return adapter


def _block(adapter: ViTAdapter, layer: int) -> nn.Module:
    blocks = adapter.blocks()
    if not -len(blocks) <= layer < len(blocks):
        raise ValueError(f"layer: {layer} out of range for a model with {len(blocks)} blocks")
    return blocks[layer]


def _register(adapter: ViTAdapter, block: nn.Module, rec: Capture, undo: ExitStack) -> None:
    """Hooks that fill ``rec`` from ``block``; each handle's removal is pushed onto ``undo``."""

    def on_input(_m: nn.Module, args: tuple, kwargs: dict) -> None:
        rec.x = args[0] if args else kwargs["hidden_states"]

    undo.callback(block.register_forward_pre_hook(on_input, with_kwargs=True).remove)
    if adapter.host == "hf_clip":
        attn = block.self_attn

        def on_q(_m: nn.Module, _a: tuple, out: Tensor) -> None:
            rec.q = out
            rec._maybe_stop()

        def on_k(_m: nn.Module, _a: tuple, out: Tensor) -> None:
            rec.k = out
            rec._maybe_stop()

        undo.callback(attn.q_proj.register_forward_hook(on_q).remove)
        undo.callback(attn.k_proj.register_forward_hook(on_k).remove)
        return
    attn = block.attn
    for part in ("q_norm", "k_norm"):
        if not isinstance(getattr(attn, part, nn.Identity()), nn.Identity):
            raise ValueError(f"model: attn.{part} (timm qk_norm=True) is not supported")

    def on_qkv(_m: nn.Module, _a: tuple, out: Tensor) -> None:
        rec.q, rec.k = out.chunk(3, dim=-1)[:2]  # [q | k | v] along the last dim
        rec._maybe_stop()

    undo.callback(attn.qkv.register_forward_hook(on_qkv).remove)


@contextmanager
def capture_qk(
    model: nn.Module | ViTAdapter, layer: int = -1, stop: bool = False
) -> Iterator[Capture]:
    """Record block ``layer``'s input and q/k projections during forwards inside the ``with``.

    ``stop``: abort the forward (caught by :func:`encode`) once they are captured."""
    adapter = _adapter(model)
    block = _block(adapter, layer)
    rec = Capture(stop=stop)
    with ExitStack() as undo:
        _register(adapter, block, rec, undo)
        yield rec


def _call(adapter: ViTAdapter, forward: Callable[..., object], x: Tensor) -> None:
    if adapter.host == "hf_clip":
        forward(pixel_values=x)
    else:
        forward(x)


def encode(
    model: nn.Module | ViTAdapter,
    x: Tensor,
    cfg: PruMergeConfig | None = None,
    forward: Callable[..., object] | None = None,
) -> Encoded:
    """Patch tokens, [CLS] attention and keys of block ``cfg.layer`` for images ``x`` [B,C,H,W]."""
    cfg = cfg or PruMergeConfig()
    adapter = _adapter(model)
    x = adapter.check_input(x)
    p = adapter.num_prefix_tokens
    with runtime.eval_mode(adapter.model), capture_qk(adapter, cfg.layer, stop=True) as rec:
        try:
            _call(adapter, forward or adapter.model, x)
        except _Stop:
            pass
    if rec.x is None or rec.q is None or rec.k is None:
        raise RuntimeError(f"{adapter.host}: block {cfg.layer} input or q/k were not captured")
    scores = cls_attention(rec.q, rec.k, adapter.num_heads, cfg.attention, adapter.cls_index, p)
    return Encoded(rec.x[:, p:], scores, rec.k[:, p:], adapter.grid)


def reduce(
    model: nn.Module | ViTAdapter,
    x: Tensor,
    cfg: PruMergeConfig | None = None,
    forward: Callable[..., object] | None = None,
) -> ReducedTokens:
    """PruMerge (or PruMerge+, ``cfg.plus``) visual tokens of images ``x`` through ``model``."""
    cfg = cfg or PruMergeConfig()
    enc = encode(model, x, cfg, forward)
    return prumerge(enc.tokens, enc.attention, enc.keys, cfg, enc.grid)


@contextmanager
def patch(model: nn.Module, cfg: PruMergeConfig | None = None) -> Iterator[nn.Module]:
    """Inside the ``with``, ``model(x)`` returns PruMerge's :class:`ReducedTokens` (like the
    official ``CLIPVisionTower.forward``); on exit ``forward`` is restored exactly."""
    cfg = cfg or PruMergeConfig()
    adapter = _adapter(model)
    _block(adapter, cfg.layer)  # fail before changing anything
    had_own = "forward" in model.__dict__
    original = model.forward

    def patched(*args: object, **kwargs: object) -> ReducedTokens:
        x = kwargs.get("pixel_values", args[0] if args else None)
        if not isinstance(x, Tensor):
            raise ValueError("x: the patched model takes one image batch [B, C, H, W]")
        return reduce(adapter, x, cfg, original)

    model.forward = patched
    try:
        yield model
    finally:
        if had_own:
            model.forward = original
        else:
            del model.forward


def hook_count(model: nn.Module) -> int:
    """Forward hooks and pre-hooks on ``model`` and its submodules (tests: none left behind)."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
