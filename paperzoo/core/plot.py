"""Headless figures for reports: ``matplotlib.figure.Figure`` without pyplot's global state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from paperzoo.core.io import atomic_write


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure and its axes (``Figure.subplots``); no display backend needed."""
    fig = Figure(figsize=kwargs.pop("figsize", (5.0 * ncols, 4.0 * nrows)), layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG atomically and return the path."""
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=dpi)
    return path
