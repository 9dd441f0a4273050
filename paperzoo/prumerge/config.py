"""Options of PruMerge / PruMerge+ and of the evaluation; defaults are the official code's."""

from __future__ import annotations

from dataclasses import dataclass

ATTENTION_MODES = ("concat", "per_head")
PLUS_MODES = ("raster", "grid2d")


@dataclass(frozen=True)
class PruMergeConfig:
    """PruMerge (``plus=False``) or PruMerge+ (``plus=True``); docs/prumerge.md §3 for each switch.

    ``ratio``: keep ⌊N·ratio⌋ tokens by [CLS] attention instead of the adaptive IQR count (the
    official non-adaptive path). ``knn``: neighbours merged into each kept token (official 32 of
    575; scale it with N on small grids). ``layer``: the block whose q/k give the attention; the
    features are that block's input (official: the last block, features = ``hidden_states[-2]``).
    """

    attention: str = "concat"
    iqr_k: float = 1.5
    batch_pooled_iqr: bool = False  # deviation switch: the official code pools over the batch
    min_keep: int = 1  # deviation: the official code keeps 0 tokens (and divides by 0 in +)
    max_keep: int | None = None
    ratio: float | None = None
    knn: int = 32
    normalise_merge: bool = False  # deviation switch: the official merge is unnormalised
    pooled_token: bool = True
    plus: bool = False
    plus_mode: str = "raster"
    layer: int = -1

    def __post_init__(self) -> None:
        if self.attention not in ATTENTION_MODES:
            raise ValueError(f"attention must be one of {ATTENTION_MODES}, got {self.attention!r}")
        if not (isinstance(self.iqr_k, int | float) and self.iqr_k >= 0):
            raise ValueError(f"iqr_k must be a number >= 0, got {self.iqr_k!r}")
        if (
            isinstance(self.min_keep, bool)
            or not isinstance(self.min_keep, int)
            or self.min_keep < 1
        ):
            raise ValueError(f"min_keep must be an int >= 1, got {self.min_keep!r}")
        if self.max_keep is not None and (
            not isinstance(self.max_keep, int) or self.max_keep < self.min_keep
        ):
            raise ValueError(f"max_keep must be an int >= min_keep, got {self.max_keep!r}")
        if self.ratio is not None and not 0 < self.ratio <= 1:
            raise ValueError(f"ratio must be in (0, 1], got {self.ratio!r}")
        if isinstance(self.knn, bool) or not isinstance(self.knn, int) or self.knn < 1:
            raise ValueError(f"knn must be an int >= 1, got {self.knn!r}")
        if self.plus_mode not in PLUS_MODES:
            raise ValueError(f"plus_mode must be one of {PLUS_MODES}, got {self.plus_mode!r}")
        if not isinstance(self.layer, int) or isinstance(self.layer, bool):
            raise ValueError(f"layer must be an int block index, got {self.layer!r}")


def official(plus: bool = False, **changes: object) -> PruMergeConfig:
    """The official code's behaviour, including its batch-pooled IQR (``min_keep`` stays 1)."""
    return PruMergeConfig(batch_pooled_iqr=True, plus=plus, **changes)  # type: ignore[arg-type]
