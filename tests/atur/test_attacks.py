import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from paperzoo.atur.attacks import (
    Attack,
    _apgd_checkpoints,
    apgd,
    apgd_targeted,
    cross_entropy,
    pgd,
)
from paperzoo.atur.bench import per_sample_pgd
from paperzoo.atur.config import AttackConfig, parse_attack
from paperzoo.atur.training import attack_dataset, predict_logits
from paperzoo.core.runtime import torch_threads


def _batch(n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 5, (n,), generator=g)


@settings(max_examples=15, deadline=None)
@given(eps=st.floats(0.001, 0.5), norm=st.sampled_from(["linf", "l2"]),
       steps=st.integers(1, 4), seed=st.integers(0, 1000))  # fmt: skip
def test_pgd_stays_in_eps_ball_and_unit_box(eps, norm, steps, seed):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 5))
    x, y = _batch(seed=seed)
    cfg = AttackConfig("pgd", eps=eps, steps=steps, norm=norm, step_size=eps / 2)
    x_adv = Attack(cfg)(model, x, y, torch.Generator().manual_seed(seed))
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert (size <= eps + 1e-6).all()
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert x_adv.shape == x.shape and not x_adv.requires_grad


def test_pgd_increases_loss_and_restores_training_flags(tiny_cnn):
    x, y = _batch()
    tiny_cnn.train()
    tiny_cnn[3].eval()  # a mixed-mode model: each flag must come back as it was
    with torch.no_grad():
        tiny_cnn.eval()
        before = torch.nn.functional.cross_entropy(tiny_cnn(x), y)
    tiny_cnn.train()
    tiny_cnn[3].eval()
    x_adv = Attack(AttackConfig("pgd", eps=0.1, steps=10))(tiny_cnn, x, y)
    assert tiny_cnn.training and not tiny_cnn[3].training and tiny_cnn[0].training
    with torch.no_grad():
        tiny_cnn.eval()
        after = torch.nn.functional.cross_entropy(tiny_cnn(x_adv), y)
    assert after > before


def test_fgsm_is_one_signed_step(tiny_cnn):
    x, y = _batch()
    tiny_cnn.eval()
    x_req = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(tiny_cnn(x_req), y).backward()
    expected = (x + 0.05 * x_req.grad.sign()).clamp(0, 1)
    got = Attack(parse_attack("fgsm", 0.05))(tiny_cnn, x, y)
    torch.testing.assert_close(got, expected)


def test_per_sample_baseline_equals_batched_pgd(tiny_cnn):
    x, y = _batch(6)
    tiny_cnn.eval()
    ours = pgd(tiny_cnn, x, y, 0.1, 0.025, 5, random_start=False)
    torch.testing.assert_close(per_sample_pgd(tiny_cnn, x, y, 0.1, 0.025, 5), ours)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_matches_torchattacks_pgd_under_a_shared_seed(tiny_cnn, norm):
    torchattacks = pytest.importorskip("torchattacks")
    x, y = _batch(32)
    tiny_cnn.eval()
    if norm == "linf":
        theirs_attack = torchattacks.PGD(tiny_cnn, eps=8 / 255, alpha=2 / 255, steps=10)
        cfg = AttackConfig("pgd", eps=8 / 255, steps=10, step_size=2 / 255)
    else:
        theirs_attack = torchattacks.PGDL2(tiny_cnn, eps=0.5, alpha=0.1, steps=10)
        cfg = AttackConfig("pgd", eps=0.5, steps=10, step_size=0.1, norm="l2")
    torch.manual_seed(123)
    theirs = theirs_attack(x, y)
    ours = Attack(cfg)(tiny_cnn, x, y, torch.Generator().manual_seed(123))
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_apgd_checkpoint_schedule():
    # windows of 0.22·N shrinking by 0.03·N down to 0.06·N (Croce & Hein 2020, §3.2)
    assert _apgd_checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
    assert all(c <= 10 for c in _apgd_checkpoints(10))


def _robust_acc(model, x, y, cfg):
    with torch_threads(1):
        x_adv = attack_dataset(model, x, y, cfg, seed=0)
    return float((predict_logits(model, x_adv).argmax(1) == y).float().mean()), x_adv


@pytest.mark.slow
def test_apgd_is_at_least_as_strong_as_pgd_and_agrees_with_torchattacks(digits, digits_models):
    model = digits_models["at"]
    x, y = digits.test.tensors
    x, y = x[:300], y[:300]
    eps = 0.2
    pgd_acc, _ = _robust_acc(model, x, y, parse_attack("pgd10", eps))
    ce_acc, x_ce = _robust_acc(model, x, y, AttackConfig("apgd-ce", eps=eps, steps=50))
    t_acc, _ = _robust_acc(model, x, y, AttackConfig("apgd-t", eps=eps, steps=50))
    aa_acc, x_aa = _robust_acc(model, x, y, AttackConfig("aa", eps=eps, steps=50))
    assert (x_aa - x).abs().amax() <= eps + 1e-6 and (x_ce - x).abs().amax() <= eps + 1e-6
    assert ce_acc <= pgd_acc + 0.01 and t_acc <= pgd_acc + 0.01
    assert aa_acc <= min(ce_acc, t_acc) + 1e-9
    assert 0.05 < pgd_acc < 0.95  # a regime where the comparison means something
    torchattacks = pytest.importorskip("torchattacks")
    with torch_threads(1):
        ta_ce = torchattacks.APGD(model, eps=eps, steps=50, loss="ce", seed=0)(x, y)
        ta_t = torchattacks.APGDT(model, eps=eps, steps=50, n_classes=10, seed=0)(x, y)
    for ours, theirs in ((ce_acc, ta_ce), (t_acc, ta_t)):
        their_acc = float((predict_logits(model, theirs).argmax(1) == y).float().mean())
        assert abs(ours - their_acc) <= 0.03, (ours, their_acc)


def test_attack_rejects_bad_inputs(tiny_cnn):
    x, y = _batch()
    with pytest.raises(ValueError, match="x: inputs must lie in \\[0, 1\\]"):
        Attack(AttackConfig())(tiny_cnn, x * 2 - 0.5, y)
    with pytest.raises(ValueError, match="y"):
        Attack(AttackConfig())(tiny_cnn, x, y.float())
    with pytest.raises(ValueError, match="eps"):
        AttackConfig(eps=0.0)


def test_attack_rejects_labels_outside_the_model_classes(tiny_cnn):
    x, y = _batch()
    for bad in (5, -1):  # tiny_cnn has K = 5
        with pytest.raises(ValueError, match="y: labels must lie in \\[0, K\\)"):
            Attack(AttackConfig())(tiny_cnn, x, torch.cat([y[:-1], torch.tensor([bad])]))


class _Recorder(torch.nn.Module):
    """Wraps a model and records the batch size of every forward."""

    def __init__(self, model):
        super().__init__()
        self.model, self.sizes = model, []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.model(x)


def test_aa_runs_apgd_t_only_on_points_apgd_ce_did_not_fool(tiny_cnn):
    x, _ = _batch(32)
    tiny_cnn.eval()
    with torch.no_grad():
        y = tiny_cnn(x).argmax(1)  # every point starts correctly classified
    eps, steps = 0.05, 10
    cfg = AttackConfig("aa", eps=eps, steps=steps, keep_clean_if_robust=True)
    recorder = _Recorder(tiny_cnn)
    got = Attack(cfg)(recorder, x, y, torch.Generator().manual_seed(1))

    generator = torch.Generator().manual_seed(1)
    _, ce_fool, ce_fooled = apgd(
        tiny_cnn, x, y, eps, steps, "linf", cross_entropy, None, 0.75, generator
    )
    robust = (~ce_fooled).nonzero().squeeze(1)
    assert 0 < len(robust) < len(x)  # a mixed batch, so the test means something
    # stand-alone APGD-T on the whole batch, from the same seed (AutoAttack re-seeds each attack)
    _, t_fool, t_fooled = apgd_targeted(
        tiny_cnn, x, y, eps, steps, "linf", 9, 0.75, torch.Generator().manual_seed(1)
    )

    # one K probe, then APGD-CE on all points; APGD-T never sees more than the CE-robust ones
    ce_calls = 1 + (steps + 1)
    assert recorder.sizes[:ce_calls] == [1] + [len(x)] * (steps + 1)
    assert max(recorder.sizes[ce_calls:]) == len(robust)
    torch.testing.assert_close(got[ce_fooled], ce_fool[ce_fooled], rtol=0, atol=0)
    # unfooled points: exactly what stand-alone APGD-T gives them
    expected = torch.where(t_fooled.view(-1, 1, 1, 1), t_fool, x)[robust]
    torch.testing.assert_close(got[robust], expected)
    assert t_fooled[robust].any()  # APGD-T adds something here


def test_attack_refuses_numpy_inputs_with_a_clear_type_error(tiny_cnn):
    x, y = _batch()
    attack = Attack(AttackConfig())
    with pytest.raises(TypeError, match=r"x: expected a torch.Tensor, got ndarray \(convert with"):
        attack(tiny_cnn, x.numpy(), y)
    # numpy int64 labels used to be refused as "must be int64 ..., got int64"
    with pytest.raises(TypeError, match="y: expected a torch.Tensor, got ndarray"):
        attack(tiny_cnn, x, y.numpy())
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        attack(lambda t: tiny_cnn(t), x, y)


def test_attack_takes_any_integer_label_dtype(tiny_cnn):
    x, y = _batch()
    cfg = AttackConfig("pgd", eps=0.1, steps=3)
    ref = Attack(cfg)(tiny_cnn, x, y, torch.Generator().manual_seed(0))
    for dtype in (torch.int32, torch.uint8):
        got = Attack(cfg)(tiny_cnn, x, y.to(dtype), torch.Generator().manual_seed(0))
        torch.testing.assert_close(got, ref, rtol=0, atol=0)
    for bad in (torch.float32, torch.bool):
        with pytest.raises(ValueError, match="y: labels must be integer class indices, got dtype"):
            Attack(cfg)(tiny_cnn, x, y.to(bad))


def test_attack_checks_shapes_devices_and_the_model_dtype(tiny_cnn):
    x, y = _batch()
    attack = Attack(AttackConfig())
    with pytest.raises(ValueError, match=r"y: labels must have shape \(16,\), got \(15,\)"):
        attack(tiny_cnn, x, y[:-1])
    with pytest.raises(ValueError, match="x: expected a batch"):
        attack(tiny_cnn, x[0, 0, 0], y[:1])
    with pytest.raises(ValueError, match="y: on device meta but x is on cpu"):
        attack(tiny_cnn, x, y.to("meta"))
    with pytest.raises(ValueError, match=r"x: dtype torch.float64 differs from the model's"):
        attack(tiny_cnn, x.double(), y)
