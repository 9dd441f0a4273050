"""Random attribution: i.i.d. uniform values per patch (or per pixel), the sanity floor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from paperzoo.tokentm.base import Explainer


@dataclass(frozen=True)
class RandomConfig:
    seed: int = 0
    pixel_level: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be in [0, 2**63), got {self.seed!r}")


class RandomMap(Explainer):
    """I.i.d. uniform maps in [0, 1) on the patch grid (or the image with ``pixel_level``).

    The maps are one deterministic stream seeded by ``cfg.seed``: the generator is created once, at
    construction, and each ``explain`` call draws the next maps from it. So a fresh instance with
    the same seed, called with the same batch sizes in the same order, returns the same maps, while
    consecutive calls on one instance (e.g. successive batches of a study) get different,
    uncorrelated maps. This stream is the one state kept on the instance, on purpose: reseeding per
    call would give every equally sized batch identical maps.
    """

    name = "random"
    paper = "sanity baseline"
    Config: ClassVar[type] = RandomConfig

    def __init__(self, model: nn.Module, cfg: Any = None) -> None:
        super().__init__(model, cfg)
        self._generator = torch.Generator().manual_seed(self.cfg.seed)

    def _explain(self, x: Tensor, target: int | Tensor | None) -> Tensor:
        if target is not None:  # class-agnostic, but a bad class index is still an error
            self.adapter.check_target(target, x.new_zeros(len(x), self.adapter.num_classes))
        size = self.adapter.image_size if self.cfg.pixel_level else self.adapter.grid
        return torch.rand(len(x), *size, generator=self._generator).to(x.device)
