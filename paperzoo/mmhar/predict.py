"""Per-window prediction over a whole recording and its timeline plot (docs/mmhar.md §2.6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from paperzoo.core.plot import new_figure, save_figure
from paperzoo.mmhar.config import WindowConfig
from paperzoo.mmhar.modality import Recording, sliding_windows
from paperzoo.mmhar.training import Trained, predict_log_proba


@dataclass(frozen=True, eq=False)
class Timeline:
    """Predicted class per window: ``start`` (s), ``label`` (class name), ``confidence``."""

    start: np.ndarray
    label: tuple[str, ...]
    confidence: np.ndarray
    length_s: float


def predict_recording(
    trained: Trained, recording: Recording, window: WindowConfig | None = None
) -> Timeline:
    """Every window of ``recording`` (labels ignored) classified by ``trained``."""
    window = window or WindowConfig()
    blank = replace(recording, labels=np.zeros_like(recording.labels))
    w = sliding_windows([blank], {0: "?"}, window.length_s, window.step_s, 1.0, window.min_present)
    logp = predict_log_proba(trained, w)
    best = logp.argmax(1)
    return Timeline(
        w.start,
        tuple(trained.classes[i] for i in best),
        np.exp(logp.max(1)),
        window.length_s,
    )


def plot_timeline(timeline: Timeline, classes: tuple[str, ...], path: str | Path) -> Path:
    """Predicted class against time (window centres), confidence as marker shade."""
    fig, ax = new_figure(figsize=(9.0, 2.5 + 0.2 * len(classes)))
    centre = timeline.start + timeline.length_s / 2
    idx = [classes.index(c) for c in timeline.label]
    ax.step(centre, idx, where="mid", color="grey", lw=0.8)
    ax.scatter(centre, idx, c=timeline.confidence, cmap="viridis", vmin=0, vmax=1, s=12)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("time (s)")
    ax.set_title("predicted activity per window")
    return save_figure(fig, path)
