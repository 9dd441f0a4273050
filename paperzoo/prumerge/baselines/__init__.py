"""Matched-budget baselines, one module each, all :class:`~paperzoo.core.interfaces.TokenReducer`s
constructed with a ``budget`` (an int, or one per image to match PruMerge's adaptive counts)."""

from paperzoo.prumerge.baselines.avg_pool import AvgPool2D
from paperzoo.prumerge.baselines.cls_topk import ClsTopK
from paperzoo.prumerge.baselines.random_k import RandomK
from paperzoo.prumerge.baselines.tome import ToMe, bipartite_to
from paperzoo.prumerge.baselines.visionzip import VisionZip, dominant_contextual

BASELINES = {cls.name: cls for cls in (RandomK, ClsTopK, AvgPool2D, ToMe, VisionZip)}

__all__ = [
    "BASELINES", "AvgPool2D", "ClsTopK", "RandomK", "ToMe", "VisionZip", "bipartite_to",
    "dominant_contextual",
]  # fmt: skip
