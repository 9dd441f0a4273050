"""Baselines: MONAI's residual DynUNet (the nnU-Net-like residual-encoder U-Net)."""

from paperzoo.masksam.baselines.resunet import ResUNetConfig, build_resunet

__all__ = ["ResUNetConfig", "build_resunet"]
