"""LLaVA-PruMerge: Adaptive Token Reduction for Efficient Large Multimodal Models (arXiv:2403.15388)

Shang, Cai, Xu, Lee, Yan (v1 March 2024; ICCV 2025 in its last version). PruMerge keeps the visual
tokens whose [CLS] attention is an interquartile-range outlier (> Q3 + 1.5·IQR), so the count
adapts per image, then adds to each kept token its k key-nearest tokens weighted by attention and
appends one attention-pooled token of the pruned rest; PruMerge+ adds spatially uniform samples.
Here: the algorithm as batched tensor functions (:mod:`.merge`), reversible host patches for
paperzoo's ViT, timm ViTs, HF CLIP towers (:mod:`.patch`) and HF LLaVA (:mod:`.llava`), five
matched-budget baselines, and an evaluation on a frozen trained ViT with a transformer-head
stand-in. Notes: docs/prumerge.md.
"""

from paperzoo.prumerge.baselines import BASELINES, AvgPool2D, ClsTopK, RandomK, ToMe, VisionZip
from paperzoo.prumerge.config import PruMergeConfig, official
from paperzoo.prumerge.llava import LlavaPatch, patch_llava
from paperzoo.prumerge.merge import (
    adaptive_keep_count,
    cls_attention,
    iqr_fence,
    knn_merge,
    plus_selection,
    pooled_token,
    topk_selection,
    uniform_mask,
)
from paperzoo.prumerge.models import TokenHead
from paperzoo.prumerge.patch import capture_qk, encode, patch, reduce
from paperzoo.prumerge.reducer import PruMerge, PruMergePlus, prumerge
from paperzoo.prumerge.visualize import reduce_image

ENTRY_POINTS = (
    "prumerge", "PruMerge", "PruMergePlus", "reduce", "patch", "patch_llava", "PruMergeConfig",
)  # fmt: skip
__all__ = [
    "BASELINES", "AvgPool2D", "ClsTopK", "LlavaPatch", "PruMerge", "PruMergeConfig",
    "PruMergePlus", "RandomK", "ToMe", "TokenHead", "VisionZip", "adaptive_keep_count",
    "capture_qk", "cls_attention", "encode", "iqr_fence", "knn_merge", "official", "patch",
    "patch_llava", "plus_selection", "pooled_token", "prumerge", "reduce", "reduce_image",
    "topk_selection", "uniform_mask",
]  # fmt: skip
