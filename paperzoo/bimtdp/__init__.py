"""Efficient Multitask Dense Predictor via Binarization (Bi-MTDP, arXiv:2405.14136).

Shang, Xu, Liu, Kompella, Yan, CVPR 2024. A multi-task dense predictor (semantic segmentation,
depth, surface normals, boundaries) with binary 3×3 convolutions loses accuracy mainly through
information degradation; a deep variational information-bottleneck layer after the backbone
makes the representation passed to the task decoders Gaussian (forward pass), and feature
distillation from a full-precision teacher corrects the backward flow. Here: four binarisers
behind one interface (naive, IR-Net, ReActNet, BiDense-style), binary blocks with per-conv
shortcuts, the procedural SynthRooms dataset, the FP teacher, the binary students (variants
naive, bnn, ib, kd, F, C), Δ_m, and real bit-packed XNOR-popcount inference in C++ (AVX-512
VPOPCNTDQ when present). The paper's body and code were unavailable: what is ours is marked in
docs/bimtdp.md §3.
"""

from paperzoo.bimtdp.baselines import BiDense, Naive, ReActNet, RPReLU
from paperzoo.bimtdp.bimtdp import (
    delta_m,
    feature_kd,
    gaussianity,
    output_kd,
    vib_kl,
    vib_sample,
)
from paperzoo.bimtdp.binarize import (
    Binarizer,
    FullPrecision,
    IRNet,
    binary_sign,
    ede_schedule,
    irnet_balance,
    pow2_scale,
    sign,
    surrogate_grad,
)
from paperzoo.bimtdp.blocks import BINARIZERS, BinaryBlock, BinaryConv2d, make_binarizer
from paperzoo.bimtdp.config import VARIANTS, DataConfig, ModelConfig, TrainConfig
from paperzoo.bimtdp.data import CLASSES, TASKS, SynthRooms, depth_normals, render
from paperzoo.bimtdp.metrics import depth_rmse, evaluate, miou, normal_error, ods_f
from paperzoo.bimtdp.models import VIB, CrossTalk, MultiTaskNet, check_teacher
from paperzoo.bimtdp.packed import (
    KernelInfo,
    PackedConv3x3,
    fold_thresholds,
    kernel_info,
    pack_activations,
    pack_weights,
    padding_correction,
)
from paperzoo.bimtdp.packed_model import PackedBlock, export_packed
from paperzoo.bimtdp.pipeline import (
    evaluate_checkpoint,
    export_checkpoint,
    load_checkpoint,
    predict_image,
    train_checkpoint,
)
from paperzoo.bimtdp.training import train

ENTRY_POINTS = ("MultiTaskNet", "train", "evaluate", "export_packed", "PackedConv3x3", "render")

__all__ = [
    "BINARIZERS",
    "CLASSES",
    "TASKS",
    "VARIANTS",
    "VIB",
    "BiDense",
    "BinaryBlock",
    "BinaryConv2d",
    "Binarizer",
    "CrossTalk",
    "DataConfig",
    "FullPrecision",
    "IRNet",
    "KernelInfo",
    "ModelConfig",
    "MultiTaskNet",
    "Naive",
    "PackedBlock",
    "PackedConv3x3",
    "RPReLU",
    "ReActNet",
    "SynthRooms",
    "TrainConfig",
    "binary_sign",
    "check_teacher",
    "delta_m",
    "depth_normals",
    "depth_rmse",
    "ede_schedule",
    "evaluate",
    "evaluate_checkpoint",
    "export_checkpoint",
    "export_packed",
    "feature_kd",
    "fold_thresholds",
    "gaussianity",
    "irnet_balance",
    "kernel_info",
    "load_checkpoint",
    "make_binarizer",
    "miou",
    "normal_error",
    "ods_f",
    "output_kd",
    "pack_activations",
    "pack_weights",
    "padding_correction",
    "pow2_scale",
    "predict_image",
    "render",
    "sign",
    "surrogate_grad",
    "train",
    "train_checkpoint",
    "vib_kl",
    "vib_sample",
]
