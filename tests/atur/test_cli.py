import re

import pytest

from paperzoo.atur.config import CPConfig, MethodConfig, TrainSettings
from paperzoo.atur.data import load_task
from paperzoo.atur.training import evaluate_checkpoint, save_model, train_model
from paperzoo.cli import main
from paperzoo.core.runtime import torch_threads


def _run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    return info.value.code, out.out + out.err


@pytest.mark.slow
def test_train_evaluate_and_table(tmp_path, capsys):
    ckpt = tmp_path / "at.pt"
    code, out = _run(["atur", "train", "--method", "at-beta-em", "--dataset", "digits",
                      "--eps", "0.1", "--epochs", "2", "--n-train", "300", "--out", str(ckpt)],
                     capsys)  # fmt: skip
    assert code == 0, out
    assert ckpt.is_file() and "checkpoint" in out
    code, out = _run(["atur", "evaluate", str(ckpt), "--attack", "pgd5", "--cp", "aps",
                      "--alpha", "0.1"], capsys)  # fmt: skip
    assert code == 0, out
    assert "coverage" in out and "robust_acc" in out and "cleancal_coverage" in out
    code, out = _run(["atur", "table", str(ckpt), "--attack", "fgsm"], capsys)
    assert code == 0, out
    assert "at-beta-em" in out and "digits" in out
    # bad inputs: one-line errors naming the parameter
    code, out = _run(["atur", "evaluate", str(ckpt), "--alpha", "1.5"], capsys)
    assert code == 2 and "alpha must lie in (0, 1), got 1.5" in out
    code, out = _run(["atur", "evaluate", str(ckpt), "--eps", "-0.1"], capsys)
    assert code == 2 and "eps must be" in out
    code, out = _run(["atur", "evaluate", str(ckpt), "--dataset", "digit-pairs"], capsys)
    assert code == 2 and "num_classes" in out and "K=100" in out
    code, out = _run(["atur", "evaluate", str(tmp_path / "missing.pt")], capsys)
    assert code == 2 and "no such file" in out


def test_train_rejects_bad_eps_and_method(capsys, tmp_path):
    code, out = _run(["atur", "train", "--eps", "0", "--dataset", "digits"], capsys)
    assert code == 2 and "attack_eps must be" in out
    code, out = _run(["atur", "train", "--method", "at-magic", "--dataset", "digits"], capsys)
    assert code == 2 and "method must be one of" in out


def _value(out, metric):
    return float(re.search(rf"│ {metric} +│ ([0-9.]+)", out)[1])


def test_evaluate_set_rule_reaches_the_conformal_sets(tmp_path, capsys):
    task = load_task("digits", n_train=64)
    settings = TrainSettings(epochs=1, lr=0.05, attack_eps=0.1)
    with torch_threads(1):
        model, _ = train_model(task, MethodConfig("standard"), settings, arch="mlp")
    ckpt = save_model(tmp_path / "m.pt", model, task, MethodConfig("standard"), settings, "mlp")
    base = ["atur", "evaluate", str(ckpt), "--attack", "none", "--splits", "2"]
    pss = {}
    for rule in ("exclusive", "inclusive"):
        code, out = _run([*base, "--no-randomized", "--set-rule", rule], capsys)
        assert code == 0, out
        pss[rule] = _value(out, "pss")
        cfg = CPConfig(randomized=False, set_rule=rule, n_splits=2)
        assert pss[rule] == pytest.approx(evaluate_checkpoint(ckpt, "none", cfg)["pss"], abs=1e-4)
    assert pss["inclusive"] > pss["exclusive"]  # the inclusive rule adds the crossing class
    code, out = _run([*base, "--set-rule", "exclusive"], capsys)  # randomised: no such rule
    assert code == 2 and "set_rule: 'exclusive' applies to non-randomised APS/RAPS only" in out
    code, out = _run([*base, "--no-randomized", "--set-rule", "last"], capsys)
    assert code == 2 and "set_rule must be 'inclusive' or 'exclusive', got 'last'" in out
