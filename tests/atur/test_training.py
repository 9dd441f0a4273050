import pytest
import torch
import torch.nn.functional as F

from paperzoo.atur.config import METHODS, CPConfig, MethodConfig, TrainSettings, parse_attack
from paperzoo.atur.data import load_task
from paperzoo.atur.losses import beta_weight, true_class_rank
from paperzoo.atur.models import build_model
from paperzoo.atur.training import (
    evaluate_model,
    load_model,
    make_loss,
    save_model,
    train_model,
)
from paperzoo.core.runtime import torch_threads


def _batch():
    g = torch.Generator().manual_seed(0)
    return torch.rand(12, 1, 8, 8, generator=g), torch.randint(0, 10, (12,), generator=g)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_a_finite_loss_with_gradients(method):
    torch.manual_seed(0)
    model = build_model("mlp", (1, 8, 8), 10, width=16)
    x, y = _batch()
    model.train()
    loss = make_loss(MethodConfig(method), 10, eps=0.1, steps=2)(model, x, y)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert model.training  # the inner attack restored train mode


def test_loss_scale_control_is_ce_times_the_batch_mean_beta_weight():
    torch.manual_seed(0)
    model = build_model("mlp", (1, 8, 8), 10, width=16)
    x, y = _batch()
    scale_loss = make_loss(MethodConfig("at-scale"), 10, eps=0.1, steps=2, seed=3)
    beta_loss = make_loss(MethodConfig("at-beta"), 10, eps=0.1, steps=2, seed=3)
    at_loss = make_loss(MethodConfig("at"), 10, eps=0.1, steps=2, seed=3)
    # same seed -> same adversarial batch, so the three losses differ only by their weighting
    s, b, a = scale_loss(model, x, y), beta_loss(model, x, y), at_loss(model, x, y)
    from paperzoo.atur.attacks import pgd

    x_adv = pgd(model.eval(), x, y, 0.1, 0.025, 2, generator=torch.Generator().manual_seed(3))
    z = model(x_adv)
    w = beta_weight(true_class_rank(z, y), 10)
    ce = F.cross_entropy(z, y, reduction="none")
    torch.testing.assert_close(a, ce.mean())
    torch.testing.assert_close(s, w.mean() * ce.mean())
    torch.testing.assert_close(b, (w * ce).mean())


@pytest.mark.slow
def test_adversarial_training_buys_robustness_and_smaller_sets(digits, digits_models):
    attack = parse_attack("pgd10", 0.2)
    cp = CPConfig(n_splits=5)
    with torch_threads(1):
        std = evaluate_model(digits_models["standard"], digits.test, attack, cp)
        at = evaluate_model(digits_models["at"], digits.test, attack, cp)
    assert std["clean_acc"] > 0.9 and std["robust_acc"] < 0.1
    assert at["robust_acc"] > std["robust_acc"] + 0.2
    assert at["pss"] < std["pss"]
    for r in (std, at):  # calibrated on attacked data: coverage on target
        assert abs(r["coverage"] - 0.9) < 0.04
    assert std["cleancal_coverage"] < 0.5  # the pitfall: clean calibration fails under attack


def test_checkpoint_roundtrip_and_class_mismatch(tmp_path, digits):
    settings = TrainSettings(epochs=1, lr=0.05, attack_eps=0.1)
    small = load_task("digits", n_train=64)
    with torch_threads(1):
        model, result = train_model(small, MethodConfig("at-beta-em"), settings, arch="mlp")
    assert len(result.epoch_losses) == 1
    path = save_model(tmp_path / "m.pt", model, small, MethodConfig("at-beta-em"), settings, "mlp")
    loaded, meta = load_model(path)
    x = digits.test.tensors[0][:5]
    torch.testing.assert_close(loaded(x), model(x))
    assert meta["method"]["method"] == "at-beta-em" and meta["num_classes"] == 10
    with pytest.raises(ValueError, match="num_classes: .*K=10.*K=100"):
        load_model(path, num_classes=100)
