"""AT-UR: conformal prediction under adversarial attack and uncertainty-reducing AT (ICML'24).

Liu et al., "The Pitfalls and Promise of Conformal Inference Under Adversarial Attacks",
arXiv:2405.08886. Attacks (PGD l∞/l2, FGSM, APGD-CE, APGD-T), training methods (standard, PGD-AT,
TRADES, MART, FAT and the AT-UR family: Beta weighting on the true-class rank and entropy
minimisation, plus a loss-scale control), split conformal prediction (THR, APS, RAPS) with
calibration on clean or attacked data, and the data tasks (digits, Fashion-MNIST, K = 100 pairs,
CIFAR from disk).
"""

from paperzoo.atur.api import evaluate_checkpoint, train_and_save
from paperzoo.atur.attacks import Attack, apgd, apgd_targeted, pgd, trades_inner
from paperzoo.atur.config import AttackConfig, CPConfig, MethodConfig, TrainSettings, parse_attack
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
from paperzoo.atur.data import Task, load_cifar, load_task, make_pairs
from paperzoo.atur.losses import (
    at_ur_loss,
    beta_weight,
    entropy,
    fat_class_weights,
    mart_loss,
    trades_loss,
    true_class_rank,
)
from paperzoo.atur.models import build_model
from paperzoo.atur.training import (
    attack_dataset,
    evaluate_model,
    load_model,
    make_loss,
    save_model,
    train_model,
)

__all__ = [
    "Attack",
    "AttackConfig",
    "CPConfig",
    "CPResult",
    "Calibration",
    "MethodConfig",
    "SplitConformal",
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
    "load_cifar",
    "load_model",
    "load_task",
    "make_loss",
    "make_pairs",
    "mart_loss",
    "parse_attack",
    "pgd",
    "raps_scores",
    "save_model",
    "size_stratified_coverage",
    "thr_scores",
    "trades_inner",
    "trades_loss",
    "train_and_save",
    "train_model",
    "true_class_rank",
]
