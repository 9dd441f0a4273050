"""Cumulative perturbation metrics that SaCo says cannot tell real maps from random ones."""

from paperzoo.saco.baselines.aopc import AOPC
from paperzoo.saco.baselines.auc import DeletionAUC, InsertionAUC
from paperzoo.saco.baselines.eraser import Comprehensiveness, Sufficiency
from paperzoo.saco.baselines.lodds import LOdds

__all__ = ["AOPC", "Comprehensiveness", "DeletionAUC", "InsertionAUC", "LOdds", "Sufficiency"]
