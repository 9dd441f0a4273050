"""The AT baselines AT-UR is compared with and put on: TRADES, MART and FAT.

Each is a :class:`paperzoo.atur.objective.Objective` (inner attack + outer loss on logits), the
interface of the method's own base, PGD-AT; their equations are pure functions beside them.
"""

from paperzoo.atur.baselines.fat import FAT, ClassErrorEMA, fat_class_weights, per_class_error
from paperzoo.atur.baselines.mart import MART, mart_loss
from paperzoo.atur.baselines.trades import TRADES, kl_per_sample, trades_loss

__all__ = [
    "FAT",
    "MART",
    "TRADES",
    "ClassErrorEMA",
    "fat_class_weights",
    "kl_per_sample",
    "mart_loss",
    "per_class_error",
    "trades_loss",
]
