"""On the Faithfulness of Vision Transformer Explanations: SaCo (arXiv:2404.01415).

Wu et al., CVPR 2024. The Salience-guided Faithfulness Coefficient ranks pixels by a salience map,
cuts the ranking into K groups, perturbs each group on its own and weighs every pair of groups by
its salience gap, +1 when the more salient group also moves the prediction more and −1 otherwise:
F ∈ [−1, 1], about 0 for a random map. Here: the equations (``saco``), the metric (``SaCo``), the
older cumulative metrics it is compared with (AOPC, deletion/insertion AUC, LOdds, ERASER), and
the faithfulness study over every registered explainer. Notes: docs/saco.md.
"""

from paperzoo.saco.baselines import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    Sufficiency,
)
from paperzoo.saco.config import PerturbationMetricConfig, SaCoConfig
from paperzoo.saco.data import fit_to_model, study_images
from paperzoo.saco.metric import SaCo
from paperzoo.saco.saco import (
    descending_ranks,
    group_salience,
    group_sizes,
    saco_coefficient,
    salience_groups,
)
from paperzoo.saco.study import (
    ABLATION,
    OLDER_METRICS,
    RANDOM,
    StudyConfig,
    StudyResult,
    paired_bootstrap,
    run_study,
    run_study_seeds,
    save_scores,
    separation,
    study_methods,
)

ENTRY_POINTS = ("SaCo", "SaCoConfig", "run_study")
__all__ = [
    "ABLATION",
    "ENTRY_POINTS",
    "OLDER_METRICS",
    "RANDOM",
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
    "descending_ranks",
    "fit_to_model",
    "group_salience",
    "group_sizes",
    "paired_bootstrap",
    "run_study",
    "run_study_seeds",
    "saco_coefficient",
    "salience_groups",
    "save_scores",
    "separation",
    "study_images",
    "study_methods",
]
