"""Subject-wise evaluation: grouped k-fold and leave-one-subject-out splits with a leakage check,
labelled F1 scores, confusion matrices and the missing-modality sweep (docs/mmhar.md §2.6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from paperzoo.core.plot import new_figure, save_figure
from paperzoo.mmhar.modality import Windows
from paperzoo.mmhar.training import Trained, predict_log_proba, relabel

Fold = tuple[np.ndarray, np.ndarray]


def grouped_kfold(subjects: np.ndarray, k: int, seed: int = 0) -> list[Fold]:
    """``k`` folds of window indices, every subject's windows in exactly one test fold."""
    unique = np.unique(subjects)
    if not 2 <= k <= len(unique):
        raise ValueError(f"k must lie in [2, {len(unique)}] (number of subjects), got {k!r}")
    order = np.random.default_rng(seed).permutation(unique)
    groups = np.array_split(order, k)
    return [
        (np.flatnonzero(~np.isin(subjects, g)), np.flatnonzero(np.isin(subjects, g)))
        for g in groups
    ]


def loso(subjects: np.ndarray) -> list[Fold]:
    """Leave-one-subject-out: one fold per subject."""
    return [
        (np.flatnonzero(subjects != s), np.flatnonzero(subjects == s)) for s in np.unique(subjects)
    ]


def check_split(windows: Windows, train: np.ndarray, test: np.ndarray) -> None:
    """Raise ``ValueError`` if a subject, or a window overlapping in time with another window of
    the same recording, sits on both sides of the split."""
    shared = sorted(set(windows.subject[train].tolist()) & set(windows.subject[test].tolist()))
    if shared:
        raise ValueError(f"split: subjects {shared} appear in both train and test")
    shared_rec = np.intersect1d(windows.recording[train], windows.recording[test])
    for r in shared_rec:  # only recordings split across sides (never with subject-wise folds)
        a = np.sort(windows.start[train][windows.recording[train] == r])
        b = windows.start[test][windows.recording[test] == r]
        pos = np.searchsorted(a, b)
        near = np.minimum(
            np.abs(b - a[np.clip(pos - 1, 0, len(a) - 1)]),
            np.abs(a[np.clip(pos, 0, len(a) - 1)] - b),
        )
        if (near < windows.length_s).any():
            raise ValueError(f"split: overlapping windows of recording {r} in train and test")


def scores(y: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """``accuracy``, ``macro_f1`` and ``weighted_f1`` (always named which F1)."""
    labels = list(range(n_classes))
    return {
        "accuracy": float((y == pred).mean()),
        "macro_f1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y, pred, labels=labels, average="weighted", zero_division=0)),
    }


def evaluate(trained: Trained, windows: Windows) -> dict[str, float]:
    """Scores of ``trained`` on ``windows`` (labels unseen in training raise)."""
    y = relabel(windows, trained.classes)
    pred = predict_log_proba(trained, windows).argmax(1)
    return scores(y, pred, len(trained.classes))


def missing_sweep(
    trained: Trained, windows: Windows, rates: tuple[float, ...] = (0.25, 0.5), seed: int = 0
) -> dict[str, dict[str, float]]:
    """Scores with all modalities, with each one dropped, and with each modality independently
    missing in a share ``rate`` of windows (at least one kept per window)."""
    out = {"all": evaluate(trained, windows)}
    for name in windows.names:
        if len(windows.names) > 1:
            out[f"without-{name}"] = evaluate(trained, windows.drop([name]))
    rng = np.random.default_rng(seed)
    for rate in rates:
        lost = rng.random(windows.present.shape) < rate
        lost[lost.all(1), rng.integers(0, lost.shape[1], lost.all(1).sum())] = False
        present = windows.present & ~lost
        x = {n: windows.x[n] * present[:, j, None, None] for j, n in enumerate(windows.names)}
        swept = Windows(
            windows.modalities,
            windows.classes,
            x,
            present,
            windows.y,
            windows.subject,
            windows.recording,
            windows.start,
            windows.length_s,
            windows.recordings,
        )
        out[f"random-{rate:g}"] = evaluate(trained, swept)
    return out


def confusion(trained: Trained, windows: Windows) -> np.ndarray:
    """Confusion matrix ``[K, K]`` (rows: true class) over ``trained.classes``."""
    y = relabel(windows, trained.classes)
    pred = predict_log_proba(trained, windows).argmax(1)
    return confusion_matrix(y, pred, labels=list(range(len(trained.classes))))


def plot_confusion(
    cm: np.ndarray, classes: tuple[str, ...], path: str | Path, title: str = ""
) -> Path:
    """Row-normalised confusion matrix as PNG."""
    if cm.shape != (len(classes), len(classes)):
        raise ValueError(f"cm: expected [{len(classes)}, {len(classes)}], got {list(cm.shape)}")
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = new_figure(figsize=(1.0 + 0.7 * len(classes), 0.8 + 0.6 * len(classes)))
    ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    for i, j in np.ndindex(cm.shape):
        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                color="white" if norm[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return save_figure(fig, path)
