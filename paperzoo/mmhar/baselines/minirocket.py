"""MiniRocket (Dempster et al. 2021, aeon's transform) + ridge classifier on the early-fused
channels of each window (docs/mmhar.md §2.5). Each modality is resampled to the first one's
window length; missing modalities are zero after the training normalisation. aeon compiles its
kernels with numba on the first fit (≈ 19 s, measured: docs/mmhar.md §2.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from paperzoo.mmhar.modality import Normalization, Windows, resample


def fused_channels(windows: Windows) -> np.ndarray:
    """``[N, ΣC_m, L]``: every modality resampled to the first modality's window length."""
    n = windows.x[windows.names[0]].shape[-1]
    parts = []
    for name in windows.names:
        x = windows.x[name]
        if x.shape[-1] != n:
            flat = x.transpose(2, 0, 1).reshape(x.shape[-1], -1)
            x = resample(flat, x.shape[-1], n).reshape(n, *x.shape[:2]).transpose(1, 2, 0)
        parts.append(x.astype(np.float32))
    return np.concatenate(parts, 1)


@dataclass(frozen=True)
class MiniRocketRidge:
    """MiniRocket features, standardised, then ``RidgeClassifierCV`` (log-spaced alphas)."""

    n_kernels: int = 10_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_kernels < 84:
            raise ValueError(
                f"n_kernels must be >= 84 (one per MiniRocket kernel), got {self.n_kernels}"
            )

    def fit(self, windows: Windows) -> tuple[Normalization, Pipeline]:
        """Fit on ``windows`` (the training split): its normalisation and the pipeline."""
        from aeon.transformations.collection.convolution_based import MiniRocket

        norm = Normalization.fit(windows)
        pipe = make_pipeline(
            MiniRocket(self.n_kernels, random_state=self.seed),
            StandardScaler(),
            RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)),
        )
        pipe.fit(fused_channels(norm.apply(windows)), windows.y)
        return norm, pipe

    def predict(self, fitted: tuple[Normalization, Pipeline], windows: Windows) -> np.ndarray:
        norm, pipe = fitted
        return pipe.predict(fused_channels(norm.apply(windows.select(list(norm.mean)))))
