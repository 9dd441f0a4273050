"""Baseline explainers, one module each, all behind the TokenTM explainer interface."""

from paperzoo.tokentm.baselines.attention_gradcam import AttentionGradCAM
from paperzoo.tokentm.baselines.chefer_lrp import CheferLRP, CheferLRPConfig
from paperzoo.tokentm.baselines.genatt import GenAtt, GenAttConfig
from paperzoo.tokentm.baselines.integrated_gradients import IGConfig, IntegratedGradients
from paperzoo.tokentm.baselines.random_map import RandomConfig, RandomMap
from paperzoo.tokentm.baselines.raw_attention import RawAttention
from paperzoo.tokentm.baselines.rollout import Rollout, RolloutConfig

__all__ = [
    "AttentionGradCAM", "CheferLRP", "CheferLRPConfig", "GenAtt", "GenAttConfig", "IGConfig",
    "IntegratedGradients", "RandomConfig", "RandomMap", "RawAttention", "Rollout", "RolloutConfig",
]  # fmt: skip
