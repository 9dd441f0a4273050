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
