"""A Survey on Multimodal Wearable Sensor-based Human Action Recognition (arXiv:2404.15349).

Ni, Tang, Haque, Yan, Ngu, 2024. The survey's taxonomy as a toolkit: modality specs and
multi-rate recordings with presence masks, subject-safe windows and normalisation, per-modality
encoders (1D-CNN, GRU/LSTM, DeepConvLSTM), fusion at data (early), feature (concat, gated,
attention over modality tokens) and decision level (late mean / weighted / product / stacking),
missing-modality handling (presence masks, renormalised late fusion, modality dropout, zero-fill
as the negative control), subject-wise evaluation (grouped k-fold, LOSO, labelled F1), and
on-device paths (int8, ONNX), IMU2CLIP-style acc↔gyro contrastive pretraining with a linear
probe. Data: UCI HAPT and BasicMotions from installed packages, a synthetic acc/gyro/ECG/skeleton
generator, and loaders for PAMAP2, Opportunity and WISDM files in their published formats.
Notes: docs/mmhar.md.
"""

from paperzoo.mmhar.baselines import DeepConvLSTMEncoder, FeatureTrees, window_features
from paperzoo.mmhar.config import ENCODERS, FUSIONS, ModelConfig, TrainConfig, WindowConfig
from paperzoo.mmhar.contrastive import (
    CrossModalEncoder,
    Pretrained,
    embed,
    info_nce,
    linear_probe,
    pretrain,
    retrieval_top1,
)
from paperzoo.mmhar.data import (
    HAPT_CLASSES,
    HAPT_MODALITIES,
    RestrictedUnpickler,
    Split,
    SynthConfig,
    load_basic_motions,
    load_csv,
    load_hapt,
    synthetic,
)
from paperzoo.mmhar.evaluate import (
    check_split,
    confusion,
    evaluate,
    grouped_kfold,
    loso,
    missing_sweep,
    plot_confusion,
    scores,
)
from paperzoo.mmhar.export import onnx_session, quantize_int8, run_onnx
from paperzoo.mmhar.fusion import (
    attention_pool,
    gated_sum,
    late_fusion,
    masked_concat,
    modality_dropout,
)
from paperzoo.mmhar.loaders import load_opportunity, load_pamap2, load_wisdm
from paperzoo.mmhar.modality import (
    KINDS,
    Modality,
    Normalization,
    Recording,
    Windows,
    align,
    resample,
    resample_recording,
    sliding_windows,
)
from paperzoo.mmhar.models import CNNEncoder, MultimodalNet, RecurrentEncoder, n_parameters
from paperzoo.mmhar.training import (
    Trained,
    load_trained,
    predict_log_proba,
    save_trained,
    train_model,
)

ENTRY_POINTS = ("Modality", "sliding_windows", "MultimodalNet", "train_model", "evaluate")

__all__ = [
    "ENCODERS",
    "FUSIONS",
    "HAPT_CLASSES",
    "HAPT_MODALITIES",
    "KINDS",
    "CNNEncoder",
    "CrossModalEncoder",
    "DeepConvLSTMEncoder",
    "FeatureTrees",
    "Modality",
    "ModelConfig",
    "MultimodalNet",
    "Normalization",
    "Pretrained",
    "Recording",
    "RecurrentEncoder",
    "RestrictedUnpickler",
    "Split",
    "SynthConfig",
    "TrainConfig",
    "Trained",
    "WindowConfig",
    "Windows",
    "align",
    "attention_pool",
    "check_split",
    "confusion",
    "embed",
    "evaluate",
    "gated_sum",
    "grouped_kfold",
    "info_nce",
    "late_fusion",
    "linear_probe",
    "load_basic_motions",
    "load_csv",
    "load_hapt",
    "load_opportunity",
    "load_pamap2",
    "load_trained",
    "load_wisdm",
    "loso",
    "masked_concat",
    "missing_sweep",
    "modality_dropout",
    "n_parameters",
    "onnx_session",
    "plot_confusion",
    "predict_log_proba",
    "pretrain",
    "quantize_int8",
    "resample",
    "resample_recording",
    "retrieval_top1",
    "run_onnx",
    "save_trained",
    "scores",
    "sliding_windows",
    "synthetic",
    "train_model",
    "window_features",
]
