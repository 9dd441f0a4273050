"""SaCo: the Salience-guided Faithfulness Coefficient and older metrics (arXiv:2404.01415)."""

from paperzoo.saco.baselines import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    Sufficiency,
)
from paperzoo.saco.config import PerturbationMetricConfig, SaCoConfig
from paperzoo.saco.metric import SaCo
from paperzoo.saco.saco import group_salience, saco_coefficient, salience_groups
from paperzoo.saco.study import StudyConfig, StudyResult, run_study, separation

__all__ = [
    "AOPC",
    "Comprehensiveness",
    "DeletionAUC",
    "InsertionAUC",
    "LOdds",
    "PerturbationMetricConfig",
    "SaCo",
    "SaCoConfig",
    "StudyConfig",
    "StudyResult",
    "Sufficiency",
    "group_salience",
    "run_study",
    "saco_coefficient",
    "salience_groups",
    "separation",
]
