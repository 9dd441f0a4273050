"""Random attribution: i.i.d. uniform values per patch (or per pixel), the sanity floor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from paperzoo.core.interfaces import Explainer


@dataclass(frozen=True)
class RandomConfig:
    """``pixel_level``: one value per pixel (SaCo's Random Attribution; the default) or per patch
    (TokenTM's evaluation, which compares patch-level maps, asks for this)."""

    pixel_level: bool = True


class RandomMap(Explainer):
    """I.i.d. uniform maps in [0, 1) on the image (or the patch grid without ``pixel_level``).

    The maps are one deterministic stream seeded by the explainer's ``seed``: the generator is
    created once, at construction, and each ``explain`` call draws the next maps from it. So a
    fresh instance with the same seed, called with the same batch sizes in the same order, returns
    the same maps, while consecutive calls on one instance (e.g. successive batches of a study) get
    different, uncorrelated maps. Reseeding per call would give every equally sized batch
    identical maps.
    """

    name = "random"
    paper = "sanity baseline"
    Config: ClassVar[type] = RandomConfig

    @property
    def pixel_level(self) -> bool:  # type: ignore[override]
        return self.cfg.pixel_level

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        if target is not None:  # class-agnostic, but a bad class index is still an error
            self.adapter.check_target(target, x.new_zeros(len(x), self.adapter.num_classes))
        size = self.adapter.image_size if self.cfg.pixel_level else self.adapter.grid
        return torch.rand(len(x), *size, generator=self.generator).to(x.device)
