import pytest
import torch

from paperzoo.atur import experiments
from paperzoo.atur.data import load_task
from paperzoo.core import experiments as core_experiments


def test_validation_split_is_fixed_disjoint_and_complete():
    task = load_task("digits")
    fit, val = experiments.validation_split(task)
    fit2, val2 = experiments.validation_split(task)
    n = len(task.train)
    assert len(val) == int(experiments.VAL_FRACTION * n) and len(fit.train) + len(val) == n
    torch.testing.assert_close(val.tensors[0], val2.tensors[0])
    rows = {tuple(r.tolist()) for r in torch.cat([fit.train.tensors[0], val.tensors[0]]).flatten(1)}
    assert rows == {tuple(r.tolist()) for r in task.train.tensors[0].flatten(1)}
    assert fit.test is task.test


def test_best_of_grid_picks_the_lr_by_validation_pss_not_test_pss(monkeypatch):
    # test PSS favours lr 0.02, validation PSS favours lr 0.05: the test set must not decide
    fake = {0.02: {"pss": 1.0, "val_pss": 9.0}, 0.05: {"pss": 5.0, "val_pss": 2.0}}
    calls = []

    def run_setting(regime, method, seed, lr=None, curve_points=0, validation=False):
        calls.append((lr, validation))
        return {**fake[lr], "lr": lr}

    monkeypatch.setattr(experiments, "run_setting", run_setting)
    regime = experiments.FULL["k10"]
    assert experiments.best_of_grid(regime, "at", 0)["lr"] == 0.05
    assert calls == [(0.02, True), (0.05, True)]
    calls.clear()
    fake[None] = fake[0.05]
    experiments.best_of_grid(experiments.QUICK["k10"], "at", 0)  # one LR: no choice to make
    assert calls == [(None, False)]  # the same cached run as run_setting(regime, "at", 0)


def test_run_setting_caches_on_disk_and_retrains_when_the_source_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    trained = []

    def train_model(task, method, settings, arch):
        trained.append(method.method)
        return torch.nn.Linear(1, 1), None

    monkeypatch.setattr(experiments, "train_model", train_model)
    monkeypatch.setattr(experiments, "evaluate_model", lambda *a, **k: {"pss": 1.5})
    monkeypatch.setattr(experiments.run_setting, "_memory", {})
    regime = experiments.QUICK["k10"]
    first = experiments.run_setting(regime, "at", 0)
    assert experiments.run_setting.path(regime, "at", 0).is_file()
    assert experiments.run_setting.path(regime, "at", 0, lr=None, curve_points=0).is_file()
    monkeypatch.setattr(experiments.run_setting, "_memory", {})  # a new process: only the disk
    assert experiments.run_setting(regime, "at", 0) == first == {"pss": 1.5, "lr": regime.lr}
    assert trained == ["at"]
    monkeypatch.setattr(experiments.run_setting, "_memory", {})
    monkeypatch.setattr(core_experiments, "source_digest", lambda modules: "edited")
    experiments.run_setting(regime, "at", 0)
    assert trained == ["at", "at"]


def test_the_plan_of_each_claim_names_the_runs_it_reads():
    calls = experiments.grid_calls(experiments.FULL["k10"], "at", 0)
    assert [c.kwargs for c in calls] == [{"validation": True}] * 2
    assert [c.args[3] for c in calls] == [0.02, 0.05]
    assert all(c.experiment() is experiments.run_setting for c in calls)


@pytest.mark.fashion_mnist
def test_full_regimes_read_real_fashion_mnist():
    """The full-scale tasks, from ``$PAPERZOO_FASHION_MNIST`` or Debian's folder."""
    for key, k, shape in (("k10", 10, (1, 28, 28)), ("k100", 100, (1, 28, 56))):
        regime = experiments.FULL[key]
        task = load_task(regime.dataset, None, regime.n_train, regime.n_test, seed=0)
        assert task.num_classes == k and task.input_shape == shape
        assert (len(task.train), len(task.test)) == (regime.n_train, regime.n_test)
        x, y = task.train.tensors
        assert 0 <= float(x.min()) and float(x.max()) <= 1 and int(y.max()) < k


def test_quick_claims_share_one_cached_run_per_regime_and_method():
    # pitfall, trades_mart and at_ur all read PGD-AT: one training per regime, not one per claim
    from paperzoo.core import registry

    paths = [
        call.experiment().path(*call.args, **call.kwargs)
        for r in registry.reproductions(["atur"])
        for call in r.plan(0, registry.Scale.QUICK)
    ]
    distinct = set(paths)
    methods = ("standard", "at", "trades", "mart", "at-scale", "at-em", "at-beta", "at-beta-em")
    assert len(distinct) == len(experiments.QUICK) * len(methods)
    at = experiments.run_setting.path(experiments.QUICK["k10"], "at", 0)
    assert paths.count(at) == 3  # read by all three claims
