"""Baselines: hand-crafted features + extra-trees, DeepConvLSTM, MiniRocket (aeon)."""

from paperzoo.mmhar.baselines.deepconvlstm import DeepConvLSTMEncoder
from paperzoo.mmhar.baselines.features_tree import FeatureTrees, window_features

__all__ = ["DeepConvLSTMEncoder", "FeatureTrees", "window_features"]
