import subprocess
import sys

import pytest
from click.testing import CliRunner

from paperzoo import cli as cli_module
from paperzoo.core import registry
from paperzoo.core.registry import BenchResult, Verdict


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "paperzoo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["nosuchsystem"], "unknown system or command 'nosuchsystem'"),
        (["reproduce", "--bogus"], "No such option '--bogus'"),
        (["reproduce", "nosuchsystem"], "system: unknown nosuchsystem"),
        (["bench", "nosuchsystem"], "system: unknown nosuchsystem"),
        (["reproduce", "--seeds", "0"], "Invalid value for '--seeds'"),
    ],
)
def test_user_errors_print_one_line_and_exit_nonzero(args, message):
    proc = _run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in proc.stderr


def test_unwritable_out_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _run("reproduce", "--quick", "--out", str(blocker / "report"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: out: cannot create directory")


@pytest.fixture
def demo_system(monkeypatch):
    """A throw-away system 'demo' with one claim and one benchmark, registered in-process."""
    monkeypatch.setattr(registry, "system_keys", lambda: ["demo"])
    monkeypatch.setattr(registry, "system_title", lambda key: "Demo system")
    monkeypatch.setattr(registry, "_load", lambda key, module: None)

    def criterion(runs):
        return Verdict.partial(f"{len(runs)} runs")

    registry.reproduction(
        key="demo",
        name="claim",
        claim="demo claim",
        paper_value="1",
        headline="x",
        criterion=criterion,
    )(lambda seed, scale: {"x": seed + 1.0})
    registry.benchmark(key="demo", name="speed", description="d")(
        lambda quick: BenchResult("fast", "slow", [0.001, 0.001], [0.004, 0.004], {"n": 3})
    )
    yield
    registry._REPRODUCTIONS.pop("demo.claim")
    registry._BENCHMARKS.pop("demo.speed")


def test_reproduce_list_and_bench_through_the_cli(demo_system, tmp_path):
    runner = CliRunner()
    out = tmp_path / "rep"
    result = runner.invoke(cli_module.cli, ["reproduce", "demo", "--seeds", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text()
    assert "x = 1.5 ± " in md and "**partial** — 2 runs" in md
    listed = runner.invoke(cli_module.cli, ["list", "--out", str(out)])
    assert "claim: partial" in listed.output
    bench_json = tmp_path / "b.json"
    result = runner.invoke(cli_module.cli, ["bench", "demo", "--out", str(bench_json)])
    assert result.exit_code == 0, result.output
    assert "4.00x" in result.output
    import json

    record = json.loads(bench_json.read_text())[0]
    assert record["speedup"] == pytest.approx(4.0) and record["threads"] >= 1
    result = runner.invoke(cli_module.cli, ["reproduce", "demo.nope", "--out", str(out)])
    assert isinstance(result.exception, ValueError) and "demo.nope" in str(result.exception)


def test_main_turns_library_errors_into_one_line(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise FileNotFoundError("dataset: Fashion-MNIST not found in /nowhere")

    monkeypatch.setattr(cli_module.cli, "main", fail)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main(["reproduce"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == "error: dataset: Fashion-MNIST not found in /nowhere"
