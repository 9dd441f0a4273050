"""Options of SaCo and of the perturbation metrics it is compared with (defaults = the paper's)."""

from __future__ import annotations

from dataclasses import dataclass

_PERTURBATIONS = ("mean", "zero", "blur")
_OUTPUTS = ("logits", "probabilities")


def _check_common(perturbation: str, model_outputs: str, batch_size: int) -> None:
    if perturbation not in _PERTURBATIONS:
        raise ValueError(f"perturbation must be one of {_PERTURBATIONS}, got {perturbation!r}")
    if model_outputs not in _OUTPUTS:
        raise ValueError(f"model_outputs must be one of {_OUTPUTS}, got {model_outputs!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")


@dataclass(frozen=True)
class SaCoConfig:
    """SaCo (arXiv:2404.01415) options.

    k: number of salience groups. grouping: ``pixel`` (paper) or ``patch`` (needs ``patch_size``).
    perturbation: pixels of a group become the per-image channel ``mean`` (paper), ``zero`` or a
    ``blur`` of the image. delta: change of the softmax ``prob`` (paper) or of the ``logit``.
    constant_map: a map with one value everywhere gets ``nan`` (counted as skipped) or ``raise``s.
    model_outputs: whether the model returns ``logits`` (softmax applied) or ``probabilities``.
    """

    k: int = 10
    grouping: str = "pixel"
    patch_size: int | None = None
    perturbation: str = "mean"
    delta: str = "prob"
    constant_map: str = "nan"
    model_outputs: str = "logits"
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.k < 2:
            raise ValueError(f"k must be >= 2, got {self.k!r}")
        if self.grouping not in ("pixel", "patch"):
            raise ValueError(f"grouping must be 'pixel' or 'patch', got {self.grouping!r}")
        if self.grouping == "patch" and (self.patch_size is None or self.patch_size < 1):
            raise ValueError(f"patch_size must be >= 1 for patch grouping, got {self.patch_size!r}")
        if self.delta not in ("prob", "logit"):
            raise ValueError(f"delta must be 'prob' or 'logit', got {self.delta!r}")
        if self.delta == "logit" and self.model_outputs == "probabilities":
            raise ValueError("delta='logit' needs model_outputs='logits'")
        if self.constant_map not in ("nan", "raise"):
            raise ValueError(f"constant_map must be 'nan' or 'raise', got {self.constant_map!r}")
        _check_common(self.perturbation, self.model_outputs, self.batch_size)


@dataclass(frozen=True)
class PerturbationMetricConfig:
    """Options of the cumulative metrics (AOPC, deletion/insertion AUC, LOdds, ERASER).

    steps: curve points for AOPC and the AUCs (fractions 0, 1/steps, ..., 1).
    fractions: the top fractions removed (LOdds) or removed/kept (comprehensiveness/sufficiency).
    """

    steps: int = 10
    fractions: tuple[float, ...] = (0.01, 0.05, 0.1, 0.2, 0.5)
    perturbation: str = "mean"
    model_outputs: str = "logits"
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps!r}")
        if not self.fractions or not all(0 < f <= 1 for f in self.fractions):
            raise ValueError(f"fractions must be non-empty and in (0, 1], got {self.fractions!r}")
        _check_common(self.perturbation, self.model_outputs, self.batch_size)
