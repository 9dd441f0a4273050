"""Hand-crafted window features + extra-trees: per channel mean, std, min, max, quartiles,
energy of the first FFT bins, and the magnitude channel of 3-axis sensors; early fusion
concatenates all modalities' features, late fusion averages per-modality forests
(docs/mmhar.md §2.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier

from paperzoo.mmhar.modality import Windows

FFT_BINS = 8


def window_features(x: np.ndarray) -> np.ndarray:
    """``[N, C, L] -> [N, F]``: statistics and low FFT-band energies (plus magnitude for C=3)."""
    if x.shape[1] == 3:
        x = np.concatenate([x, np.linalg.norm(x, axis=1, keepdims=True)], 1)
    q = np.percentile(x, [25, 50, 75], axis=2).transpose(1, 2, 0)  # [N, C, 3]
    spec = np.abs(np.fft.rfft(x - x.mean(2, keepdims=True), axis=2))
    bands = np.array_split(spec[..., 1:], FFT_BINS, axis=2)
    energy = np.stack([b.mean(2) for b in bands], 2)  # [N, C, FFT_BINS]
    stats = np.stack([x.mean(2), x.std(2), x.min(2), x.max(2)], 2)
    return np.concatenate([stats, q, np.log1p(energy)], 2).reshape(len(x), -1)


@dataclass(frozen=True)
class FeatureTrees:
    """Extra-trees on :func:`window_features`; ``fusion`` is ``early`` (one forest on all
    features, missing modalities zero-filled) or ``late`` (one forest per modality, mean of the
    present ones' probabilities)."""

    fusion: str = "early"
    trees: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.fusion not in ("early", "late"):
            raise ValueError(f"fusion: unknown {self.fusion!r} (known: early, late)")
        if self.trees < 1:
            raise ValueError(f"trees must be >= 1, got {self.trees!r}")

    def _forest(self) -> ExtraTreesClassifier:
        return ExtraTreesClassifier(self.trees, random_state=self.seed, n_jobs=1)

    def fit(self, windows: Windows) -> list[ExtraTreesClassifier]:
        """Fitted forests (one, or one per modality)."""
        feats = {n: window_features(windows.x[n]) for n in windows.names}
        if self.fusion == "early":
            return [self._forest().fit(np.concatenate(list(feats.values()), 1), windows.y)]
        return [self._forest().fit(f, windows.y) for f in feats.values()]

    def predict_proba(self, forests: list[ExtraTreesClassifier], windows: Windows) -> np.ndarray:
        """Class probabilities ``[N, K]`` (missing modalities zero-filled / left out)."""
        k = len(windows.classes)
        feats = [window_features(windows.x[n]) for n in windows.names]
        if self.fusion == "early":
            return _proba(forests[0], np.concatenate(feats, 1), k)
        probs = np.stack([_proba(f, x, k) for f, x in zip(forests, feats, strict=True)], 1)
        w = windows.present.astype(float)
        return (probs * w[..., None]).sum(1) / np.maximum(w.sum(1, keepdims=True), 1e-12)


def _proba(forest: ExtraTreesClassifier, x: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(x), k))
    out[:, forest.classes_] = forest.predict_proba(x)
    return out
