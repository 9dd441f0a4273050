import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from paperzoo import cli as cli_module
from paperzoo.core import registry
from paperzoo.core.registry import Reproduction, Scale, Verdict
from paperzoo.core.runtime import usable_cpus


def _run(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "paperzoo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
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


DEMO = Path(__file__).parents[1] / "demo_systems"


@pytest.fixture
def demo_env(tmp_path):
    """The environment of a user who adds the throwaway system ``zzdemo`` (its own folder only)."""
    return {
        **os.environ,
        "PAPERZOO_SYSTEMS_PATH": str(DEMO),
        "PAPERZOO_CACHE": str(tmp_path / "cache"),
        "ZZDEMO_MARKER": str(tmp_path / "computed.txt"),
    }


@pytest.mark.slow
def test_a_new_system_appears_everywhere_with_no_edit_outside_its_folder(demo_env, tmp_path):
    listed = _run("list", env=demo_env)
    assert listed.returncode == 0 and "zzdemo" in listed.stdout and "Demo system" in listed.stdout
    out = tmp_path / "rep"
    rep = _run("reproduce", "zzdemo", "--scale", "smoke", "--seeds", "3", "--jobs", "2",
               "--out", str(out), env=demo_env)  # fmt: skip
    assert rep.returncode == 0, rep.stderr
    md = (out / "report.md").read_text()
    row = "| zzdemo | doubling doubles | ratio 2 | ratio = 2 ± 0 (95% CI, n=3) | **reproduced** |"
    assert row in md
    assert "zzdemo" in (out / "index.html").read_text()
    # --jobs 2 ran the three seeds' experiments in workers, each once; the claim then read them
    assert sorted((tmp_path / "computed.txt").read_text().splitlines()) == [
        "0,smoke", "1,smoke", "2,smoke",
    ]  # fmt: skip
    listed = _run("list", "--out", str(out), env=demo_env)
    assert "doubling: reproduced" in listed.stdout
    bench_json = tmp_path / "b.json"
    bench = _run("bench", "zzdemo", "--scale", "smoke", "--out", str(bench_json), env=demo_env)
    assert bench.returncode == 0, bench.stderr
    record = json.loads(bench_json.read_text())[0]
    # the plumbing, not the speed (a loaded machine may time either side slower): a finite ratio
    assert record["benchmark"] == "zzdemo.doubling" and 0 < record["speedup"] < float("inf")
    assert set(record["load"]) == {"others_share", "loadavg_start", "loadavg_end", "busy"}
    help_ = _run("zzdemo", "--help", env=demo_env)
    assert help_.returncode == 0 and "double" in help_.stdout
    markdown = _run("list", "--markdown", "--out", str(out), env=demo_env)
    assert "| `zzdemo` | Demo system" in markdown.stdout and "`doubled`" in markdown.stdout
    assert "| `zzdemo.doubling` | reproduced |" in markdown.stdout
    conformance = subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__).parents[1] / "test_conformance.py"),
         "-q", "-k", "zzdemo", "-p", "no:cacheprovider"],
        capture_output=True, text=True, env=demo_env, timeout=300,
    )  # fmt: skip
    assert conformance.returncode == 0, conformance.stdout[-2000:]
    assert "7 passed" in conformance.stdout


def test_scale_flags_are_checked(demo_env):
    proc = _run("reproduce", "zzdemo", "--quick", "--scale", "full", env=demo_env)
    assert proc.returncode == 2 and "--quick contradicts --scale full" in proc.stderr
    proc = _run("bench", "zzdemo", "--scale", "medium", env=demo_env)
    assert proc.returncode == 2 and "Invalid value for '--scale'" in proc.stderr


def test_main_turns_library_errors_into_one_line(monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise FileNotFoundError("dataset: Fashion-MNIST not found in /nowhere")

    monkeypatch.setattr(cli_module.cli, "main", fail)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main(["reproduce"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == "error: dataset: Fashion-MNIST not found in /nowhere"


def _claim(key, name, plan):
    return Reproduction(key=key, name=name, title=name, claim=name, paper_value="-",
                        headline="v", measure=lambda seed, scale: {"v": 1.0},
                        criterion=lambda runs: Verdict.reproduced("ok"), plan=plan)  # fmt: skip


def test_reproduce_hands_a_systems_prefetch_every_planned_call_once(monkeypatch, capsys):
    seen = []
    hooks = {
        "withhook": SimpleNamespace(prefetch=lambda calls, cpus: seen.append((calls, cpus))),
        "broken": SimpleNamespace(prefetch=lambda calls, cpus: 1 / 0),
    }
    monkeypatch.setattr(registry, "load_module", lambda key, module: hooks.get(key))
    claims = [
        _claim("withhook", "a", lambda seed, scale: [("a", seed, scale)]),
        _claim("plain", "p", lambda seed, scale: [("p", seed)]),
        _claim("withhook", "b", lambda seed, scale: [("b", seed)]),
        _claim("broken", "c", lambda seed, scale: [("c", seed)]),
    ]
    prefetches = cli_module._prefetches(claims, Scale.QUICK, 2)
    assert set(prefetches) == {"withhook", "broken"}  # none for a system without the hook
    prefetches["withhook"]()
    calls = [("a", 0, Scale.QUICK), ("a", 1, Scale.QUICK), ("b", 0), ("b", 1)]
    assert seen == [(calls, usable_cpus())]
    prefetches["broken"]()  # a failing prefetch warns; the claims then compute alone
    assert "warning: broken prefetch failed (division by zero)" in capsys.readouterr().err
