from dataclasses import replace

import pytest

import paperzoo.navdiff.experiments as ex
from paperzoo.core.io import CACHE_ENV
from paperzoo.core.registry import Scale, reproductions
from paperzoo.navdiff import repro

TRAININGS = ("trained_planner", "trained_policy")


@pytest.mark.parametrize("scale", [Scale.QUICK, Scale.FULL])
def test_every_claim_plans_the_same_two_trainings(scale):
    claims = reproductions(["navdiff"])
    assert len(claims) == 6
    paths = {name: set() for name in TRAININGS}
    for claim in claims:
        calls = [c for c in claim.plan(0, scale) if c.name in TRAININGS]
        assert sorted(c.name for c in calls) == sorted(TRAININGS), claim.qualified_name
        for c in calls:
            paths[c.name].add(c.experiment().path(*c.args, **c.kwargs))
    assert {name: len(p) for name, p in paths.items()} == {name: 1 for name in TRAININGS}


@pytest.mark.slow
def test_claims_read_the_cached_models_and_never_retrain(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    counts = {"planner": 0, "policy": 0}

    def counted(name, fn):
        def run(*args, **kwargs):
            counts[name] += 1
            return fn(*args, **kwargs)

        return run

    monkeypatch.setattr(ex, "train_planner", counted("planner", ex.train_planner))
    monkeypatch.setattr(ex, "train_diffusion", counted("policy", ex.train_diffusion))
    full = repro.measure_full_vs_vi(0, Scale.SMOKE)
    bev = repro.measure_bev_zero_shot(0, Scale.SMOKE)
    assert counts == {"planner": 1, "policy": 1}
    assert 0 <= full["full_success"] <= 1 and 0 <= bev["bev_success"] <= 1
    # the 2D evaluation of the BEV claim is the full method's evaluation, read from the cache
    assert bev["grid_success"] == full["full_success"]
    for name in TRAININGS:
        assert len(list((tmp_path / "experiments" / "navdiff" / name).glob("*.pt"))) == 1


def _planned(scale):
    return [call for claim in reproductions(["navdiff"]) for call in claim.plan(0, scale)]


def test_prefetch_trains_first_then_runs_the_costliest_evaluations_first(monkeypatch):
    batches = []
    monkeypatch.setattr(ex, "run_calls", lambda calls, jobs, shuffle: batches.append(calls) or [])
    calls = _planned(Scale.QUICK)
    repro.prefetch(calls, 2)
    first, rest = batches
    assert [c.name for c in first[:2]] == list(TRAININGS)
    assert {ex._arguments(c)["method"] for c in first if c.name == "evaluation"} == {"expert"}
    assert [c.name for c in rest] == ["evaluation"] * len(rest)
    assert all(c in first or c in rest for c in calls)  # nothing planned is left out
    costs = [ex._cost(c) for c in rest]
    assert costs == sorted(costs, reverse=True)
    assert ex._arguments(rest[0])["size"] == repro.BIG  # the 30×30 rounds are the longest


def test_prefetch_starts_no_worker_at_smoke_scale_or_on_one_cpu(monkeypatch):
    monkeypatch.setattr(ex, "run_calls", lambda *a, **k: pytest.fail("started workers"))
    repro.prefetch(_planned(Scale.SMOKE), 2)
    repro.prefetch(_planned(Scale.QUICK), 1)


@pytest.mark.slow
def test_prefetched_results_equal_those_computed_in_one_process(tmp_path, monkeypatch):
    parallel = replace(ex.SMOKE, parallel=True)
    calls = [
        *ex.training_calls(parallel, 0),
        *ex.round_calls(parallel, 0, "expert"),
        *ex.round_calls(parallel, 0, "diffusion", "memory", 4),
    ]
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "workers"))
    ex.fill_cache(calls, 2)  # two worker processes
    assert all(call.cached() for call in calls)
    prefetched = ex.evaluation(parallel, 0, "diffusion", "memory", 4)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "alone"))
    monkeypatch.setattr(ex, "usable_cpus", lambda: 1)  # trainings too in this process
    assert ex.evaluation(parallel, 0, "diffusion", "memory", 4) == prefetched
