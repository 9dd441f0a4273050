import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from paperzoo.core import plot
from paperzoo.core.plot import bar_chart, new_figure, save_figure


def test_save_figure_writes_png(tmp_path):
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "sub" / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig, axes = new_figure(1, 2)
    assert len(axes) == 2


def _drawn(monkeypatch):
    """The figure ``bar_chart`` builds, captured before it is written."""
    seen = {}
    real = plot.save_figure

    def capture(fig, path, dpi=120):
        seen["fig"], seen["dpi"] = fig, dpi
        return real(fig, path, dpi)

    monkeypatch.setattr(plot, "save_figure", capture)
    return seen


def test_bar_chart_draws_one_panel_per_title_with_heights_labels_and_errors(tmp_path, monkeypatch):
    seen = _drawn(monkeypatch)
    panels = {"k10": {"at": 3.0, "trades": 3.5}, "k100": {"at": 20.0, "mart": 24.0, "x": 1.0}}
    errors = {"k10": {"at": 0.2, "trades": 0.1}}
    path = bar_chart(tmp_path / "b.png", panels, "PSS", errors=errors, hline=2.0, dpi=90)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and seen["dpi"] == 90
    fig: Figure = seen["fig"]
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["k10", "k100"]
    for ax, bars in zip(axes, panels.values(), strict=True):
        assert [p.get_height() for p in ax.patches] == list(bars.values())
        assert [t.get_text() for t in ax.get_xticklabels()] == list(bars)
        assert ax.get_ylabel() == "PSS"
        dashed = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert dashed == [2.0]
    (bars_k10,) = [c for c in axes[0].containers if isinstance(c, BarContainer)]
    segments = bars_k10.errorbar.lines[2][0].get_segments()
    assert [round(float(s[1][1] - s[0][1]), 6) for s in segments] == [0.4, 0.2]  # ± 0.2, ± 0.1
    (bars_k100,) = axes[1].containers  # no error bars: nothing but the bars
    assert bars_k100.errorbar is None


def test_bar_chart_takes_one_colour_per_bar(tmp_path, monkeypatch):
    seen = _drawn(monkeypatch)
    bar_chart(tmp_path / "c.png", {"t": {"a": 1.0, "b": 2.0}}, colors=["red", "blue"])
    reds = [p.get_facecolor()[:3] for p in seen["fig"].axes[0].patches]
    assert reds == [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"panels": {}}, ValueError, "panels: need at least one panel"),
        ({"panels": {"t": {}}}, ValueError, "panel 't' has no bars"),
        ({"panels": {"t": {"a": "high"}}}, TypeError, "non-numeric heights for \\['a'\\]"),
        ({"errors": {"t": {"zz": 0.1}}}, ValueError, "errors: .*\\('t', 'zz'\\)"),
        ({"colors": ["red"]}, ValueError, "colors: 1 colours for panels of \\[2\\] bars"),
    ],
)
def test_bar_chart_rejects_bad_input_with_one_clear_message(tmp_path, kwargs, error, message):
    args = {"panels": {"t": {"a": 1.0, "b": 2.0}}} | kwargs
    with pytest.raises(error, match=message):
        bar_chart(tmp_path / "x.png", **args)
    assert not (tmp_path / "x.png").exists()
