"""Call any supported image classifier and get logits ``[B, K]``.

Supported: an ``nn.Module`` returning a Tensor (timm, torchvision, paperzoo), an ``nn.Module``
returning an output with ``.logits`` (HF ``ViTForImageClassification`` and friends), and a
paperzoo ViT adapter (:func:`paperzoo.core.vit.adapt`). Anything else is refused with one message.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from paperzoo.core.vit.adapters import ViTAdapter

_SUPPORTED = (
    "an nn.Module returning logits [B, K] (a Tensor, or an output with .logits such as HF "
    "ViTForImageClassification) or a paperzoo ViT adapter (paperzoo.core.vit.adapt(model))"
)


@dataclass(frozen=True)
class Classifier:
    """A classifier seen as ``images [B, C, H, W] -> logits [B, K]``.

    ``module`` is the ``nn.Module`` holding the weights (for ``eval_mode`` and the device);
    images are cast to the module's floating dtype, logits come back in at least float32.
    """

    module: nn.Module
    adapter: ViTAdapter | None = None

    @property
    def device(self) -> torch.device:
        """Device of the first parameter (or buffer); CPU for a module without tensors."""
        for t in (*self.module.parameters(), *self.module.buffers()):
            return t.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """Dtype of the first floating parameter; float32 for a module without one."""
        for p in self.module.parameters():
            if p.is_floating_point():
                return p.dtype
        return torch.float32

    def __call__(self, images: Tensor) -> Tensor:
        images = images.to(self.dtype)
        out = self.module(images) if self.adapter is None else self.adapter.logits(images)
        logits = out if isinstance(out, Tensor) else getattr(out, "logits", None)
        if not isinstance(logits, Tensor):
            raise TypeError(
                f"model returned {type(out).__name__}; it must be {_SUPPORTED}"
                + (" (HF: keep return_dict=True)" if isinstance(out, tuple) else "")
            )
        if logits.ndim != 2 or logits.shape[0] != images.shape[0]:
            raise ValueError(
                f"model must return logits [B, K] = [{images.shape[0]}, K] for {images.shape[0]} "
                f"image(s), got shape {tuple(logits.shape)}"
            )
        return logits if logits.dtype in (torch.float32, torch.float64) else logits.float()


def as_classifier(model: nn.Module | ViTAdapter | Classifier) -> Classifier:
    """Wrap ``model`` as a :class:`Classifier`; ``TypeError`` for unsupported objects."""
    if isinstance(model, Classifier):
        return model
    if isinstance(model, ViTAdapter):
        return Classifier(model.model, model)
    if isinstance(model, nn.Module):
        return Classifier(model)
    raise TypeError(f"model must be {_SUPPORTED}, got {type(model).__name__}")


SupportedModel = nn.Module | ViTAdapter | Classifier
