"""``paperzoo neutronstar`` commands through typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from paperzoo.neutronstar.cli import app
from paperzoo.neutronstar.crust import sly_full

runner = CliRunner()


def test_mr_from_csv_prints_constraints_and_plots(tmp_path):
    csv = sly_full(n_points=300).to_csv(tmp_path / "sly.csv")
    png = tmp_path / "mr.png"
    result = runner.invoke(
        app, ["mr", "--eos-csv", str(csv), "--plot", str(png), "--n-stars", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "max_mass" in result.output and "2.04" in result.output
    assert "hess_2sigma" in result.output
    assert png.stat().st_size > 10_000


def test_mr_missing_csv_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["mr", "--eos-csv", str(tmp_path / "nope.csv")])
    assert isinstance(result.exception, FileNotFoundError)
    assert "nope.csv" in str(result.exception)


def test_scan_rejects_bad_range():
    result = runner.invoke(app, ["scan", "--m0", "900:500:25"])
    assert isinstance(result.exception, ValueError)
    assert str(result.exception).startswith("m0")


def test_fit_prints_parameters_and_saturation():
    result = runner.invoke(app, ["fit", "--m0", "850"])
    assert result.exit_code == 0, result.output
    assert "g_omega" in result.output and "lambda_omega_rho" in result.output
    assert "240" in result.output  # K recomputed from the fitted EOS


def test_fit_rejects_unphysical_m0():
    result = runner.invoke(app, ["fit", "--m0", "1000"])
    assert isinstance(result.exception, ValueError)
    assert "m0" in str(result.exception)


@pytest.mark.parametrize("command", ["fit", "eos", "mr", "scan"])
def test_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "--m0" in result.output
