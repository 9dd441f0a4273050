"""MaskSAM: auto-prompt SAM with mask classification for volumetric segmentation (arXiv:2403.14103).

Xie et al., ICCV 2025. A prompt generator on SAM's image encoder produces auxiliary masks, boxes
and classifier tokens; each mask+box prompt goes through SAM's prompt encoder and mask decoder,
whose classifier token (auxiliary token + a learnable global token) predicts the class of the
mask (MaskFormer-style mask classification with Hungarian matching). Depth-convolution adapters
in every encoder block and depth-MLP adapters in the decoder add volumetric context to a frozen
2D SAM. Here: the model on segment_anything's modules (random weights or a local SAM
checkpoint), a seeded anisotropic multi-organ phantom with shape-twin classes, MONAI training
and sliding-window inference, a residual U-Net baseline, NIfTI in/out. Notes: docs/masksam.md.
"""

from paperzoo.masksam.config import SAM_SHAPES, MaskSAMConfig, TrainConfig, sam_shaped
from paperzoo.masksam.model import MaskSAM
from paperzoo.masksam.sam import load_sam_checkpoint

__all__ = [
    "SAM_SHAPES",
    "MaskSAM",
    "MaskSAMConfig",
    "TrainConfig",
    "load_sam_checkpoint",
    "sam_shaped",
]
ENTRY_POINTS = ["MaskSAM", "MaskSAMConfig", "load_sam_checkpoint"]
