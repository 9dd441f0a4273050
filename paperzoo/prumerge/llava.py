"""PruMerge inside HF ``LlavaForConditionalGeneration`` (transformers 5.x; tested on 5.24).

The language model must see exactly k_i + 1 image embeddings for image i, and HF checks that
the placeholder count matches. Use :func:`patch_llava` as a context manager:

    with patch_llava(model, cfg) as llava:
        inputs = llava.prepare(input_ids, attention_mask, pixel_values)
        out = model.generate(**inputs, max_new_tokens=8)

Inside it, ``model.model.get_image_features`` is replaced so that it returns the projected
PruMerge tokens of each image. :meth:`LlavaPatch.prepare` rewrites each sequence's run of image
placeholders to k_i + 1 of them, left-padding the batch, and keeps the reduced tokens so that
the forward that follows with the same ``pixel_values`` does not run the vision tower again. On
exit the method is restored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from paperzoo.core.interfaces import ReducedTokens
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.patch import reduce


def _is_llava(model: object) -> bool:
    import sys

    module = sys.modules.get("transformers.models.llava.modeling_llava")
    return module is not None and isinstance(model, module.LlavaForConditionalGeneration)


@dataclass
class LlavaPatch:
    """Handle :func:`patch_llava` yields: ``prepare`` rewrites the text inputs per image."""

    model: nn.Module
    cfg: PruMergeConfig
    _last: tuple[Tensor, ReducedTokens] | None = None

    def reduced(self, pixel_values: Tensor) -> ReducedTokens:
        """PruMerge tokens of the vision tower (before the projector), one image per row."""
        tower = self.model.model.vision_tower
        with torch.no_grad():
            return reduce(tower, pixel_values.to(tower.dtype), self.cfg)

    def _reduced_once(self, pixel_values: Tensor) -> ReducedTokens:
        """:meth:`reduced`, reusing the last result when the images are the same tensor values."""
        if self._last is not None:
            seen, r = self._last
            if seen is pixel_values or (
                seen.shape == pixel_values.shape
                and seen.dtype == pixel_values.dtype
                and torch.equal(seen, pixel_values)
            ):
                return r
        r = self.reduced(pixel_values)
        self._last = (pixel_values, r)
        return r

    def prepare(
        self, input_ids: Tensor, attention_mask: Tensor, pixel_values: Tensor
    ) -> dict[str, Tensor]:
        """``input_ids``/``attention_mask`` with each image's placeholder run cut to k_i + 1,
        left-padded; pass the result (with ``pixel_values``) to ``forward`` or ``generate``."""
        token = int(self.model.config.image_token_id)
        runs = (input_ids == token).sum(1)
        if input_ids.ndim != 2 or (runs == 0).any() or len(input_ids) != len(pixel_values):
            raise ValueError(
                "input_ids: need [B, L] with one run of image placeholders per row and one image "
                f"per row, got shape {list(input_ids.shape)}, runs {runs.tolist()}, "
                f"{len(pixel_values)} images"
            )
        counts = self._reduced_once(pixel_values).lengths()
        pad = self.model.config.text_config.pad_token_id
        pad = 0 if pad is None else int(pad)
        # vectorised rewrite: keep the first k_i + 1 placeholders of each run, drop the rest
        rank = (input_ids == token).cumsum(1)
        keep = (input_ids != token) | (rank <= counts[:, None])
        lengths = keep.sum(1)
        width = int(lengths.max())
        dest = (keep.cumsum(1) - 1) + (width - lengths)[:, None]  # left padding
        ids = input_ids.new_full((len(input_ids), width), pad)
        mask = attention_mask.new_zeros((len(input_ids), width))
        rows = torch.arange(len(input_ids))[:, None].expand_as(input_ids)
        ids[rows[keep], dest[keep]] = input_ids[keep]
        mask[rows[keep], dest[keep]] = attention_mask[keep]
        return {"input_ids": ids, "attention_mask": mask, "pixel_values": pixel_values}


@contextmanager
def patch_llava(model: nn.Module, cfg: PruMergeConfig | None = None) -> Iterator[LlavaPatch]:
    """Feed the language model PruMerge tokens (k_i + 1 per image) inside the ``with``."""
    if not _is_llava(model):
        raise ValueError(
            "model: expected transformers LlavaForConditionalGeneration, got "
            f"{type(model).__name__}"
        )
    c = model.config
    if not isinstance(c.vision_feature_layer, int) or c.vision_feature_layer >= -1:
        raise ValueError(
            "model: vision_feature_layer must be one int < -1 (features = the input of block "
            f"vision_feature_layer + 1), got {c.vision_feature_layer!r}"
        )
    if c.vision_feature_select_strategy != "default":
        raise ValueError("model: vision_feature_select_strategy must be 'default' (CLS dropped)")
    cfg = cfg or PruMergeConfig()
    cfg = replace(cfg, layer=c.vision_feature_layer + 1)  # hidden_states[l] feeds block l + 1
    handle = LlavaPatch(model, cfg)
    inner = model.model
    had_own = "get_image_features" in inner.__dict__
    original = inner.get_image_features

    def get_image_features(pixel_values: Tensor, **_kwargs: object) -> object:
        from transformers.modeling_outputs import BaseModelOutputWithPooling

        r = handle._reduced_once(pixel_values)
        projected = inner.multi_modal_projector(r.tokens.to(pixel_values.dtype))
        per_image = [p[m] for p, m in zip(projected, r.mask, strict=True)]  # k_i + 1 each
        return BaseModelOutputWithPooling(pooler_output=per_image)

    inner.get_image_features = get_image_features
    try:
        yield handle
    finally:
        handle._last = None
        if had_own:
            inner.get_image_features = original
        else:
            del inner.get_image_features
