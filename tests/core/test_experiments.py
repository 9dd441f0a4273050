import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from paperzoo.core import experiments
from paperzoo.core.experiments import ExperimentCall, canonical, experiment, run_calls
from paperzoo.core.registry import Scale

DEMO = Path(__file__).parents[1] / "demo_systems"


@dataclass(frozen=True)
class Setting:
    lr: float
    layers: tuple[int, ...] = (1, 2)


def test_canonical_forms_tell_values_apart_exactly():
    assert canonical(Setting(0.1)) == {"__class__": "Setting", "lr": "0.1", "layers": [1, 2]}
    assert canonical(1.0) != canonical(1) and canonical(Scale.QUICK) == "quick"
    with pytest.raises(TypeError, match="plain values or dataclasses, got object"):
        canonical(object())


def test_results_are_cached_on_disk_keyed_by_arguments_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    calls = []

    @experiment(code=("paperzoo.core.experiments",))
    def run(setting: Setting, seed: int, scale: Scale = Scale.QUICK) -> dict:
        calls.append(seed)
        return {"value": setting.lr * seed}

    assert run(Setting(0.5), 2) == {"value": 1.0}
    assert run(Setting(0.5), seed=2, scale="quick") == {"value": 1.0}  # same bound arguments
    assert calls == [2]
    path = run.path(Setting(0.5), 2)
    stored = json.loads(path.read_text())
    assert stored["result"] == {"value": 1.0} and stored["experiment_key"]["args"]["seed"] == 2
    run._memory.clear()  # a new process: only the disk is left
    result = run(Setting(0.5), 2)
    result["value"] = 99.0  # callers get copies: the cache is not theirs to change
    assert run(Setting(0.5), 2) == {"value": 1.0} and calls == [2]
    run(Setting(0.25), 2)
    run(Setting(0.5), 2, Scale.FULL)
    assert calls == [2, 2, 2]
    run._memory.clear()
    monkeypatch.setattr(experiments, "source_digest", lambda modules: "edited code")
    run(Setting(0.5), 2)
    assert calls == [2, 2, 2, 2]
    with pytest.raises(TypeError, match="run: missing a required argument: 'seed'"):
        run.path(Setting(0.5))


def test_the_in_process_memo_does_not_cross_cache_folders(tmp_path, monkeypatch):
    """A second cache folder is a second cache: its entries are written there, not served from
    what the process memorised for the first (a claim's plan is checked against the disk)."""
    calls = []

    @experiment(code=("paperzoo.core.experiments",))
    def run(seed: int) -> dict:
        calls.append(seed)
        return {"value": seed}

    for name in ("a", "b"):
        monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path / name))
        assert run(1) == {"value": 1} and run.cached(1)
    assert calls == [1, 1]


def test_a_damaged_entry_is_recomputed_and_binary_results_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))

    @experiment(binary=True, code=("paperzoo.core.experiments",))
    def weights(n: int) -> dict:
        return {"state_dict": {"w": torch.arange(n)}, "meta": {"n": n}}

    assert torch.equal(weights(3)["state_dict"]["w"], torch.arange(3))
    payload = torch.load(weights.path(3), weights_only=True)  # also a plain checkpoint
    assert payload["meta"] == {"n": 3} and "experiment_key" in payload
    weights.path(3).write_bytes(b"garbage")
    weights._memory.clear()
    assert weights(3)["meta"] == {"n": 3}
    weights.forget(3)
    assert not weights.cached(3)


def _demo_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERZOO_SYSTEMS_PATH": str(DEMO),
        "PAPERZOO_CACHE": str(tmp_path / "cache"),
        "ZZDEMO_MARKER": str(tmp_path / "computed.txt"),
    }


CHILD = (
    "from paperzoo.core.experiments import ExperimentCall\n"
    "from paperzoo.core.registry import Scale\n"
    "ExperimentCall('paperzoo.zzdemo.repro', 'mean_ratio', (7, Scale.SMOKE), {}).run()\n"
)


def test_concurrent_writers_compute_each_entry_once(tmp_path):
    env = _demo_env(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], env=env) for _ in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    assert (tmp_path / "computed.txt").read_text().splitlines() == ["7,smoke"]


def test_run_calls_fills_the_cache_in_worker_processes(tmp_path, monkeypatch):
    for name, value in _demo_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    import paperzoo

    monkeypatch.setattr(paperzoo, "__path__", [*paperzoo.__path__, str(DEMO)])
    calls = [ExperimentCall("paperzoo.zzdemo.repro", "mean_ratio", (s, Scale.SMOKE), {})
             for s in (0, 1, 1, 2)]  # fmt: skip
    assert run_calls(calls, jobs=2) == []
    assert sorted((tmp_path / "computed.txt").read_text().splitlines()) == [
        "0,smoke", "1,smoke", "2,smoke",
    ]  # fmt: skip
    assert all(call.cached() for call in calls)
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        run_calls(calls, jobs=0)


def test_run_calls_without_shuffle_starts_the_calls_in_the_given_order(tmp_path, monkeypatch):
    for name, value in _demo_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    import paperzoo

    monkeypatch.setattr(paperzoo, "__path__", [*paperzoo.__path__, str(DEMO)])
    seeds = (5, 3, 9, 4)
    calls = [ExperimentCall("paperzoo.zzdemo.repro", "mean_ratio", (s, Scale.SMOKE), {})
             for s in seeds]  # fmt: skip
    assert run_calls(calls, jobs=1, shuffle=False) == []
    computed = (tmp_path / "computed.txt").read_text().splitlines()
    assert computed == [f"{s},smoke" for s in seeds]
    assert run_calls(calls, jobs=1, shuffle=False) == []  # all cached: no pool, nothing new
    assert (tmp_path / "computed.txt").read_text().splitlines() == computed
