"""One interface per family, shared across systems: explainers, explanation metrics, token reducers.

Hyperparameters go to the constructor (a frozen config), data to the call; results are returned,
never kept on ``self``. Class attributes ``name``, ``paper`` and ``higher_is_better`` feed reports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core.classifier import Classifier, SupportedModel, as_classifier
from paperzoo.core.runtime import eval_mode
from paperzoo.core.vit.adapters import ViTAdapter, ViTTrace, adapt


@dataclass(frozen=True)
class MetricResult:
    """Per-sample scores [B] (NaN where undefined), with counts a user should see."""

    scores: Tensor
    skipped: int = 0
    forward_images: int = 0
    extra: dict[str, Tensor] = field(default_factory=dict)

    def mean(self) -> float:
        """Mean over the defined (non-NaN) scores."""
        return float(torch.nanmean(self.scores.double()))


class Metric(ABC):
    """An explanation metric: ``metric(model=, x_batch=, y_batch=, a_batch=) -> MetricResult``."""

    name: ClassVar[str]
    paper: ClassVar[str]
    higher_is_better: ClassVar[bool]

    def __call__(
        self,
        model: SupportedModel,
        x_batch: Tensor | np.ndarray,
        y_batch: Tensor | np.ndarray | None = None,
        a_batch: Tensor | np.ndarray | None = None,
        device: str | torch.device | None = None,
    ) -> MetricResult:
        """Validate inputs (numpy or torch, [B, C, H, W] images) and score each sample.

        ``model``: any classifier :func:`~paperzoo.core.classifier.as_classifier` accepts (an
        ``nn.Module`` returning logits or ``.logits``, or a ViT adapter). ``device``: the model's.
        """
        classifier = as_classifier(model)
        x = _as_tensor(x_batch, "x_batch", torch.float32)
        if x.ndim != 4 or x.shape[0] == 0:
            raise ValueError(f"x_batch must be [B, C, H, W], B >= 1, got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("x_batch contains NaN or inf")
        if a_batch is None:
            raise ValueError("a_batch: salience maps are required")
        a = _as_tensor(a_batch, "a_batch", torch.float32)
        if a.ndim < 2:
            raise ValueError(f"a_batch must be [B, H, W], [B, h, w] or [B, N], got {list(a.shape)}")
        if a.shape[0] != x.shape[0]:
            raise ValueError(f"a_batch has {a.shape[0]} maps for {x.shape[0]} images")
        if not torch.isfinite(a).all():
            raise ValueError("a_batch contains NaN or inf")
        y = None
        if y_batch is not None:
            y = _as_tensor(y_batch, "y_batch", None)
            if torch.is_floating_point(y) or y.dtype == torch.bool:
                raise ValueError(f"y_batch must hold integer class indices, got dtype {y.dtype}")
            y = y.long()
        if y is not None and y.shape != (x.shape[0],):
            raise ValueError(f"y_batch must be [B] = [{x.shape[0]}], got {tuple(y.shape)}")
        device = classifier.device if device is None else device
        with torch.no_grad(), eval_mode(classifier.module):
            return self._compute(
                classifier, x.to(device), None if y is None else y.to(device), a.to(device)
            )

    @abstractmethod
    def _compute(self, model: Classifier, x: Tensor, y: Tensor | None, a: Tensor) -> MetricResult:
        """The metric's math on validated tensors (``y`` None = the predicted class)."""


def _as_tensor(value: Tensor | np.ndarray, name: str, dtype: torch.dtype | None) -> Tensor:
    """``value`` as a real tensor (numpy copied only if not contiguous), cast to ``dtype``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got numpy dtype {value.dtype}")
        value = torch.from_numpy(np.ascontiguousarray(value))  # negative strides: copy
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch tensor or numpy array, got {type(value).__name__}")
    if value.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    return value if dtype is None else value.to(dtype)


@dataclass(frozen=True)
class ReducedTokens:
    """A batch of token sets of different lengths, padded to the longest (``M``).

    ``tokens`` [B, M, D]; ``mask`` [B, M] (True = a real token); ``index`` [B, M] the position in
    the input of each kept token (-1 on padding; merged tokens keep their centre's position).
    """

    tokens: Tensor
    mask: Tensor
    index: Tensor

    def lengths(self) -> Tensor:
        """Tokens kept per image [B]."""
        return self.mask.sum(1)

    def unpadded(self) -> list[Tensor]:
        """One [M_b, D] tensor per image."""
        return [t[m] for t, m in zip(self.tokens, self.mask, strict=True)]


class TokenReducer(ABC):
    """Reduces visual tokens: ``reducer(tokens, attention, keys) -> ReducedTokens``.

    ``tokens`` [B, N, D] are the patch tokens (no prefix tokens), ``attention`` [B, N] the [CLS]
    attention over them, ``keys`` [B, N, Dk] their keys (for similarity-based merging; optional).
    Hyperparameters go to the constructor; the public call validates, ``_reduce`` computes.
    """

    name: ClassVar[str]
    paper: ClassVar[str]

    def __call__(
        self, tokens: Tensor, attention: Tensor, keys: Tensor | None = None
    ) -> ReducedTokens:
        """Validate the batch and reduce each image's tokens."""
        for label, value in (("tokens", tokens), ("attention", attention), ("keys", keys)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{label} must be a torch tensor, got {type(value).__name__}")
            if value is not None and not torch.is_floating_point(value):
                raise ValueError(f"{label} must be floating point, got {value.dtype}")
            if value is not None and not torch.isfinite(value).all():
                raise ValueError(f"{label} contains NaN or inf")
        if tokens.ndim != 3:
            raise ValueError(f"tokens must be [B, N, D], got shape {tuple(tokens.shape)}")
        if attention.shape != tokens.shape[:2]:
            raise ValueError(
                f"attention must be [B, N] = {list(tokens.shape[:2])}, got {list(attention.shape)}"
            )
        if (attention < 0).any():
            raise ValueError("attention must be non-negative (softmax weights)")
        if keys is not None and (keys.ndim != 3 or keys.shape[:2] != tokens.shape[:2]):
            raise ValueError(
                f"keys must be [B, N, Dk] with B, N = {list(tokens.shape[:2])}, "
                f"got {list(keys.shape)}"
            )
        return self._reduce(tokens, attention, keys)

    @abstractmethod
    def _reduce(self, tokens: Tensor, attention: Tensor, keys: Tensor | None) -> ReducedTokens:
        """The reduction on validated tensors."""


@dataclass(frozen=True)
class NoConfig:
    """For explainers without options."""


class Explainer:
    """A ViT explainer: ``Explainer(model, cfg, seed=0).explain(x, target=None) -> map``.

    Holds the model adapter (any host of :func:`paperzoo.core.vit.adapters.adapt`), a frozen config
    and a random stream seeded by ``seed`` (the uniform argument every explainer takes, so that a
    caller such as SaCo's study can build any registered explainer without knowing its config).
    ``explain`` validates ``x`` ``[B, C, H, W]`` and ``target`` (``None`` = predicted class) and
    returns a map ``[B, h, w]`` on the patch grid (``pixel_level=False``) or the image (``True``);
    ``_explain`` computes it. Results are returned, never kept.
    """

    name: ClassVar[str] = "explainer"
    paper: ClassVar[str] = ""
    Config: ClassVar[type] = NoConfig
    pixel_level: ClassVar[bool] = False

    def __init__(self, model: nn.Module | ViTAdapter, cfg: Any = None, *, seed: int = 0) -> None:
        self.adapter = adapt(model)
        self.model = self.adapter.model
        cfg = self.Config() if cfg is None else cfg
        if not isinstance(cfg, self.Config):
            raise ValueError(f"cfg must be a {self.Config.__name__}, got {type(cfg).__name__}")
        self.cfg = cfg
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
        self.seed = seed
        # the one state an explainer keeps: its random stream (used only by stochastic methods)
        self.generator = torch.Generator().manual_seed(seed)

    def explain(self, x: Tensor, target: int | Tensor | None = None) -> Tensor:
        """The map for model inputs ``x``, which are cast to the model's float dtype."""
        x = self.adapter.check_input(x)
        param = next((p for p in self.model.parameters() if p.is_floating_point()), None)
        if param is not None:
            if x.device != param.device:
                raise ValueError(f"x is on {x.device} but the model on {param.device}")
            x = x.to(param.dtype)
        return self._explain(x, target).detach()

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        raise NotImplementedError

    # helpers for the attention-based explainers
    def _trace_and_grads(
        self, x: Tensor, target: int | Tensor | None
    ) -> tuple[ViTTrace, list[Tensor]]:
        trace = self.adapter.trace(x)
        t = self.adapter.check_target(target, trace.logits.detach())
        return trace, trace.attention_grads(t)

    def _to_grid(self, row: Tensor) -> Tensor:
        """CLS row ``[B, N]`` -> patch map ``[B, h, w]``: the prefix-token columns ([CLS],
        distillation, registers: the first ``num_prefix_tokens``) dropped."""
        return row[:, self.adapter.num_prefix_tokens :].reshape(row.shape[0], *self.adapter.grid)


def upsample_map(maps: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of ``[B, h, w]`` maps to ``size`` (no-op when already that size)."""
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    return F.interpolate(maps[:, None].float(), size=size, mode="bilinear", align_corners=False)[
        :, 0
    ]
