"""Headless figures for reports: ``matplotlib.figure.Figure`` without pyplot's global state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
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


def bar_chart(
    path: str | Path,
    panels: Mapping[str, Mapping[str, float]],
    ylabel: str = "",
    *,
    errors: Mapping[str, Mapping[str, float]] | None = None,
    colors: str | Sequence[str] = "tab:blue",
    hline: float | None = None,
    rotation: float = 30.0,
    panel_size: tuple[float, float] = (5.0, 3.6),
    dpi: int = 120,
) -> Path:
    """One row of bar panels written as PNG; returns the path.

    ``panels`` maps each panel's title to its bars, ``{label: height}``, in drawing order.
    ``errors`` has the same shape and gives error-bar half-lengths (a bar without one gets none);
    ``colors`` is one colour, or one per bar of every panel; ``hline`` draws a dashed reference
    line in each panel; tick labels turn by ``rotation`` degrees.
    """
    if not panels:
        raise ValueError("panels: need at least one panel of bars")
    for title, bars in panels.items():
        if not bars:
            raise ValueError(f"panels: panel {title!r} has no bars")
        bad = [k for k, v in bars.items() if not isinstance(v, Real)]
        if bad:
            raise TypeError(f"panels: panel {title!r} has non-numeric heights for {bad}")
    errors = errors or {}
    stray = [(t, k) for t, e in errors.items() for k in e if k not in panels.get(t, {})]
    if stray:
        raise ValueError(f"errors: (panel, label) pairs {stray} are not bars of panels")
    if not isinstance(colors, str):
        sizes = {len(bars) for bars in panels.values()}
        if sizes != {len(colors)}:
            raise ValueError(f"colors: {len(colors)} colours for panels of {sorted(sizes)} bars")
    width, height = panel_size
    fig, axes = new_figure(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, (title, bars) in zip(axes[0], panels.items(), strict=True):
        spread = errors.get(title, {})
        yerr = [spread.get(k, 0.0) for k in bars] if spread else None
        ax.bar(range(len(bars)), list(bars.values()), yerr=yerr, capsize=3, color=colors)
        ax.set_xticks(
            range(len(bars)), list(bars), rotation=rotation, ha="right" if rotation else "center"
        )
        ax.tick_params(axis="x", labelsize=8)
        if hline is not None:
            ax.axhline(hline, color="grey", ls="--", lw=1)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
    return save_figure(fig, path, dpi=dpi)
