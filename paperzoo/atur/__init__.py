"""The Pitfalls and Promise of Conformal Inference Under Adversarial Attacks (arXiv:2405.08886).

Liu et al., ICML 2024. Conformal prediction (CP) under attack and uncertainty-reducing adversarial
training (AT-UR): during PGD-AT each adversarial example's cross-entropy is weighted by a Beta
density of its true class's rank among the logits, and an entropy term is added, which shrinks
the CP sets at the same coverage. Here: attacks (PGD l∞/l2, FGSM, APGD-CE, APGD-T), the training
objectives (standard, PGD-AT, the AT-UR family, and the baselines TRADES, MART and FAT with the
AT-UR terms on top), split CP (THR, APS, RAPS) calibrated on clean or attacked data, and the data
tasks (digits, Fashion-MNIST, K = 100 pairs, CIFAR from disk). Notes: docs/atur.md.
"""

from paperzoo.atur.attacks import Attack, apgd, apgd_targeted, pgd, trades_inner
from paperzoo.atur.baselines import (
    FAT,
    MART,
    TRADES,
    ClassErrorEMA,
    fat_class_weights,
    kl_per_sample,
    mart_loss,
    per_class_error,
    trades_loss,
)
from paperzoo.atur.config import (
    METHODS,
    AttackConfig,
    CPConfig,
    MethodConfig,
    TrainSettings,
    parse_attack,
)
from paperzoo.atur.conformal import (
    Calibration,
    CPResult,
    SplitConformal,
    aps_scores,
    conformal_quantile,
    evaluate_splits,
    fit_temperature,
    raps_scores,
    size_stratified_coverage,
    thr_scores,
)
from paperzoo.atur.data import DATASETS, Task, load_cifar, load_task, make_pairs
from paperzoo.atur.losses import (
    at_ur_loss,
    beta_weight,
    entropy,
    loss_scale_control,
    true_class_rank,
    weighted_cross_entropy,
)
from paperzoo.atur.models import MLP, SmallCNN, build_model
from paperzoo.atur.objective import PGDAT, Objective, Standard
from paperzoo.atur.training import (
    LOSSES,
    attack_dataset,
    evaluate_checkpoint,
    evaluate_model,
    load_model,
    make_loss,
    predict_logits,
    save_model,
    train_and_save,
    train_model,
)

ENTRY_POINTS = ("Attack", "make_loss", "train_model", "SplitConformal", "evaluate_splits")

__all__ = [
    "DATASETS",
    "FAT",
    "LOSSES",
    "MART",
    "METHODS",
    "MLP",
    "PGDAT",
    "TRADES",
    "Attack",
    "AttackConfig",
    "CPConfig",
    "CPResult",
    "Calibration",
    "ClassErrorEMA",
    "MethodConfig",
    "Objective",
    "SmallCNN",
    "SplitConformal",
    "Standard",
    "Task",
    "TrainSettings",
    "apgd",
    "apgd_targeted",
    "aps_scores",
    "at_ur_loss",
    "attack_dataset",
    "beta_weight",
    "build_model",
    "conformal_quantile",
    "entropy",
    "evaluate_checkpoint",
    "evaluate_model",
    "evaluate_splits",
    "fat_class_weights",
    "fit_temperature",
    "kl_per_sample",
    "load_cifar",
    "load_model",
    "load_task",
    "loss_scale_control",
    "make_loss",
    "make_pairs",
    "mart_loss",
    "parse_attack",
    "per_class_error",
    "pgd",
    "predict_logits",
    "raps_scores",
    "save_model",
    "size_stratified_coverage",
    "thr_scores",
    "trades_inner",
    "trades_loss",
    "train_and_save",
    "train_model",
    "true_class_rank",
    "weighted_cross_entropy",
]
