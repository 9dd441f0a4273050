"""Baselines: hand-crafted features + extra-trees, DeepConvLSTM, MiniRocket (aeon)."""

from paperzoo.mmhar.baselines.deepconvlstm import DeepConvLSTMEncoder
from paperzoo.mmhar.baselines.features_tree import FeatureTrees, window_features
from paperzoo.mmhar.baselines.minirocket import MiniRocketRidge, fused_channels

__all__ = [
    "DeepConvLSTMEncoder",
    "FeatureTrees",
    "MiniRocketRidge",
    "fused_channels",
    "window_features",
]
