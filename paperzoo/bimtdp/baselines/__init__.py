"""Baselines, one module each: the naive binariser (lower bound), ReActNet's RSign/RPReLU, the
BiDense-style distribution-adaptive binariser, and FP single-task models (``single_task``)."""

from paperzoo.bimtdp.baselines.bidense import BiDense
from paperzoo.bimtdp.baselines.naive import Naive
from paperzoo.bimtdp.baselines.reactnet import ReActNet, RPReLU

__all__ = ["BiDense", "Naive", "RPReLU", "ReActNet"]
