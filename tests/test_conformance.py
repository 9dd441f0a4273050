"""Conformance over the registry (timm's test_models.py style): every system, claim and benchmark.

No per-system code: a new system (or one in ``$PAPERZOO_SYSTEMS_PATH``) is tested here for free.
"""

from __future__ import annotations

import ast
import importlib
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperzoo import cli as cli_module
from paperzoo.core import registry
from paperzoo.core.bench import run_benchmark
from paperzoo.core.registry import Scale
from paperzoo.core.report import run_claim

SYSTEMS = registry.system_keys()
CLAIMS = [r.qualified_name for r in registry.reproductions()]
BENCHES = [b.qualified_name for b in registry.benchmarks()]
REQUIRED_FILES = ("__init__.py", "repro.py", "bench.py", "cli.py")
SCALE_NAMES = {s.value for s in Scale}


def _folder(key: str) -> Path:
    return Path(importlib.import_module(f"paperzoo.{key}").__file__).parent


def _sources(key: str) -> list[Path]:
    return sorted(_folder(key).rglob("*.py"))


@pytest.mark.parametrize("key", SYSTEMS)
def test_system_has_the_template_files(key):
    missing = [f for f in REQUIRED_FILES if not (_folder(key) / f).is_file()]
    assert not missing, f"{key} lacks {missing} (docs/adding-a-system.md)"


@pytest.mark.parametrize("key", SYSTEMS)
def test_system_exports_its_api(key):
    module = importlib.import_module(f"paperzoo.{key}")
    assert module.__doc__ and module.__doc__.strip(), f"{key}: no package docstring"
    assert isinstance(module.__all__, list | tuple) and module.__all__, f"{key}: empty __all__"
    unresolved = [name for name in module.__all__ if not hasattr(module, name)]
    assert not unresolved, f"{key}.__all__ names {unresolved}, which it does not define"
    entry = getattr(module, "ENTRY_POINTS", ())
    assert entry and set(entry) <= set(module.__all__), f"{key}: ENTRY_POINTS not in __all__"


@pytest.mark.parametrize("key", SYSTEMS)
def test_system_answers_help(key):
    result = CliRunner().invoke(cli_module.cli, [key, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "Commands" in result.output


@pytest.mark.parametrize("key", SYSTEMS)
def test_system_imports_no_other_system(key):
    others = set(SYSTEMS) - {key}
    offenders = []
    for path in _sources(key):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                names = ["paperzoo.<relative import out of the system>"]
            for name in names:
                parts = name.split(".")
                if parts[0] == "paperzoo" and len(parts) > 1 and parts[1] in others | {"<"}:
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
                if name.startswith("paperzoo.<"):
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert not offenders, "systems share code through paperzoo.core only: " + "; ".join(offenders)


@pytest.mark.parametrize("key", SYSTEMS)
def test_system_compares_no_scale_names_as_strings(key):
    """Sizes come from ``Scale.pick``, so a typo cannot silently mean full scale."""
    offenders = []
    for path in _sources(key):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                strings = {o.value for o in operands if isinstance(o, ast.Constant)}
                if strings & SCALE_NAMES:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"compare Scale members or use Scale.pick: {offenders}"


@pytest.mark.slow
@pytest.mark.parametrize("name", CLAIMS)
def test_claim_runs_at_smoke_scale_with_a_computed_verdict(name, tmp_path):
    repro = next(r for r in registry.reproductions() if r.qualified_name == name)
    assert repro.title and repro.claim and repro.paper_value
    result = run_claim(repro, Scale.SMOKE, 1, tmp_path, lambda: None)
    assert result.error is None, result.trace
    assert result.verdict.status in ("reproduced", "partial", "not reproduced")
    assert result.verdict.reason
    assert all(isinstance(v, float) for v in result.runs[0].values())
    assert all(p.is_file() for p in result.figures)
    if repro.plan is not None:  # the plan names experiments the claim really read
        calls = repro.plan(0, Scale.SMOKE)
        assert calls and all(call.cached() for call in calls), f"{name}: plan not read"


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_returns_a_ratio_against_its_baseline(name):
    bench = next(b for b in registry.benchmarks() if b.qualified_name == name)
    record = run_benchmark(bench, Scale.SMOKE)
    assert record["ours"]["label"] and record["baseline"]["label"]
    assert record["ours"]["label"] != record["baseline"]["label"]
    ratio = record["baseline"]["median_s"] / record["ours"]["median_s"]
    assert math.isfinite(record["speedup"]) and record["speedup"] == pytest.approx(ratio)
    assert record["load"]["loadavg_start"] >= 0 and record["threads"] >= 1
