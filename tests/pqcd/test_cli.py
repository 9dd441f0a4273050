"""``paperzoo pqcd`` through typer's CliRunner: tables, plots and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paperzoo.pqcd.cli import app

runner = CliRunner()


def test_observables_table_with_errors():
    result = runner.invoke(app, ["observables", "--channel", "B0_rho0phi"])
    assert result.exit_code == 0, result.output
    assert "B̄0 → ρ0 φ (stage B3 + S-wave)" in result.output and "f_0" in result.output


def test_observables_without_s_wave():
    """``--no-swave`` gives the P-wave-only table: the S-wave fraction row reads 0."""
    result = runner.invoke(app, ["observables", "--no-swave", "--dynamics", "B1"])
    assert result.exit_code == 0, result.output
    assert "(stage B1)" in result.output
    row = next(line for line in result.output.splitlines() if "S-wave fraction" in line)
    assert row.split("│")[2].strip() == "0"


def test_formfactor_prints_the_kt_form_factors_and_the_b3_amplitudes():
    result = runner.invoke(app, ["formfactor"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "F^(B→π)(0) = 0.26" in text and "A_0^(Bs→φ)(0) = 0.37" in text
    assert text.count("stage B3: non-factorisable M̂^LL") == 2 and "M̂^LR = −M̂^LL" in text
    assert "F^(Bs→f0, ss̄)(0) = 0.39" in text and text.count("M̂_S^LL") == 4


def test_spectrum_writes_pngs(tmp_path):
    result = runner.invoke(app, ["spectrum", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["pqcd_Bs_rho0phi_angles.png", "pqcd_Bs_rho0phi_masses.png"]
    assert all(p.stat().st_size > 5000 for p in tmp_path.glob("*.png"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "Bs_phiphi"], "unknown channel 'Bs_phiphi'"),
        (["--kk-window", "0.9:1.05"], "below the KK̄ threshold"),
        (["--pipi-window", "0.3"], "LOW:HIGH"),
        (["--rho-width", "-0.1"], "w_rho must be finite and > 0"),
        (["--a2-rho", "0.9"], "unphysical Gegenbauer moment"),
    ],
)
def test_bad_input_is_one_error_line(args, message):
    result = runner.invoke(app, ["observables", *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_input_file_missing_a_source_is_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"entries": {"G_F": {"value": 1.2e-5}}}))
    result = runner.invoke(app, ["observables", "--inputs", str(path)])
    assert result.exit_code == 2 and "missing 'source'" in result.output
