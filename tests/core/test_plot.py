from paperzoo.core.plot import new_figure, save_figure


def test_save_figure_writes_png(tmp_path):
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "sub" / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig, axes = new_figure(1, 2)
    assert len(axes) == 2
