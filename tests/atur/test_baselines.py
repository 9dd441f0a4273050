import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paperzoo.atur.attacks import pgd, trades_inner
from paperzoo.atur.baselines import (
    FAT,
    MART,
    TRADES,
    fat_class_weights,
    mart_loss,
    per_class_error,
    trades_loss,
)
from paperzoo.atur.config import METHODS, MethodConfig
from paperzoo.atur.losses import at_ur_loss, beta_weight, entropy, true_class_rank
from paperzoo.atur.models import build_model
from paperzoo.atur.objective import PGDAT, Standard
from paperzoo.atur.training import LOSSES, make_loss


def test_trades_loss_matches_reference():
    torch.manual_seed(4)
    zc, za = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (6,))
    w = torch.rand(6, dtype=torch.float64)
    pc, pa = zc.softmax(1).numpy(), za.softmax(1).numpy()
    per = -np.log(pc[np.arange(6), y]) + 6.0 * (pc * np.log(pc / pa)).sum(1)
    assert float(trades_loss(zc, za, y, 6.0)) == pytest.approx(per.mean(), rel=1e-10)
    assert float(trades_loss(zc, za, y, 6.0, w)) == pytest.approx(
        (w.numpy() * per).mean(), rel=1e-10
    )


def test_mart_loss_matches_loop_reference():
    torch.manual_seed(5)
    zc, za = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    y = torch.randint(0, 4, (5,))
    total = 0.0
    for i in range(5):
        pc, pa = zc[i].softmax(0).tolist(), za[i].softmax(0).tolist()
        yi = int(y[i])
        wrong = max(p for k, p in enumerate(pa) if k != yi)
        bce = -math.log(pa[yi]) - math.log(1 - wrong)
        kl = sum(c * math.log(c / a) for c, a in zip(pc, pa, strict=True))
        total += bce + 6.0 * kl * (1 - pc[yi])
    assert float(mart_loss(zc, za, y, 6.0)) == pytest.approx(total / 5, rel=1e-6)


def test_fat_class_weights():
    torch.testing.assert_close(fat_class_weights(torch.full((10,), 0.3)), torch.ones(10))
    w = fat_class_weights(torch.tensor([0.1, 0.5, 0.9]), temperature=1.0)
    assert w.sum() == pytest.approx(3.0) and w[2] > w[1] > w[0]
    errors, counts = per_class_error(torch.eye(3)[[0, 0, 2, 1]], torch.tensor([0, 1, 2, 1]), 3)
    assert errors.tolist() == [0.0, 1.0, 0.0] and counts.tolist() == [1.0, 2.0, 1.0]


def test_every_method_base_has_one_registered_objective():
    assert set(LOSSES) == {MethodConfig(m).base for m in METHODS}
    assert all(cls.name == name for name, cls in LOSSES.items())
    assert {LOSSES["trades"], LOSSES["mart"], LOSSES["fat"]} == {TRADES, MART, FAT}
    cfg = MethodConfig("trades", trades_beta=2.0, mart_beta=3.0, fat_temperature=0.5)
    assert LOSSES["trades"].from_config(cfg, 10) == TRADES(beta=2.0)
    assert LOSSES["mart"].from_config(cfg, 10) == MART(beta=3.0)
    assert LOSSES["fat"].from_config(cfg, 10).temperature == 0.5


def _logits(seed=7, n=8, k=4):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, k, generator=g, dtype=torch.float64),
            torch.randn(n, k, generator=g, dtype=torch.float64),
            torch.randint(0, k, (n,), generator=g))  # fmt: skip


def test_objectives_share_one_interface_on_logits():
    zc, za, y = _logits()
    w = torch.rand(8, dtype=torch.float64) + 1
    ce = F.cross_entropy(za, y, reduction="none")
    torch.testing.assert_close(PGDAT()(None, za, y, w), (w * ce).mean())
    torch.testing.assert_close(Standard()(None, za, y, None), F.cross_entropy(za, y))
    torch.testing.assert_close(TRADES(beta=2.0)(zc, za, y, w), trades_loss(zc, za, y, 2.0, w))
    torch.testing.assert_close(MART(beta=3.0)(zc, za, y, None), mart_loss(zc, za, y, 3.0))
    for objective in (TRADES(), MART()):
        with pytest.raises(ValueError, match="logits_clean: .* needs the clean logits"):
            objective(None, za, y, None)
    for objective in (Standard(), MART()):
        with pytest.raises(ValueError, match="weight: .*no per-sample weight"):
            objective(zc, za, y, w)


def test_fat_weights_classes_by_their_running_error():
    zc, za, y = _logits(seed=8, n=12)
    fat = FAT(4, temperature=1.0, momentum=0.5)
    w = torch.rand(12, dtype=torch.float64) + 1
    expected_error = torch.zeros(4)
    for _ in range(2):  # the error is a running average over calls
        errors, counts = per_class_error(za, y, 4)
        seen = counts > 0
        expected_error[seen] = 0.5 * expected_error[seen] + 0.5 * errors[seen] / counts[seen]
        class_w = fat_class_weights(expected_error, 1.0)[y]
        ce = F.cross_entropy(za, y, reduction="none")
        torch.testing.assert_close(fat(None, za, y, w), (w * class_w * ce).mean())
    torch.testing.assert_close(fat.class_error.error, expected_error)


def test_inner_attacks_are_pgd_on_ce_for_at_and_the_kl_ascent_for_trades():
    torch.manual_seed(0)
    net = build_model("mlp", (1, 8, 8), 10, width=16).eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(6, 1, 8, 8, generator=g), torch.randint(0, 10, (6,), generator=g)
    for objective in (PGDAT(), MART(), FAT(10)):
        ours = objective.perturb(net, x, y, 0.1, 0.025, 2, torch.Generator().manual_seed(1))
        ref = pgd(net, x, y, 0.1, 0.025, 2, "linf", True, torch.Generator().manual_seed(1))
        torch.testing.assert_close(ours, ref)
    ours = TRADES().perturb(net, x, y, 0.1, 0.025, 2, torch.Generator().manual_seed(1))
    ref = trades_inner(net, x, 0.1, 0.025, 2, torch.Generator().manual_seed(1))
    torch.testing.assert_close(ours, ref)
    assert Standard().perturb(net, x, y, 0.1, 0.025, 2, torch.Generator()) is x


@pytest.mark.parametrize("method", ["at-beta-em", "trades-beta-em"])
def test_make_loss_puts_the_at_ur_terms_on_the_base_objective(method):
    torch.manual_seed(0)
    model = build_model("mlp", (1, 8, 8), 10, width=16)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(12, 1, 8, 8, generator=g), torch.randint(0, 10, (12,), generator=g)
    loss = make_loss(MethodConfig(method), 10, eps=0.1, steps=2, seed=3)(model, x, y)
    objective = LOSSES[MethodConfig(method).base]()
    x_adv = objective.perturb(model.eval(), x, y, 0.1, 0.025, 2, torch.Generator().manual_seed(3))
    z_clean, z_adv = model(x), model(x_adv)
    w = beta_weight(true_class_rank(z_adv, y), 10)
    if method == "at-beta-em":  # the paper's AT-UR loss itself
        torch.testing.assert_close(loss, at_ur_loss(z_adv, y, w, 0.3))
    else:
        expected = trades_loss(z_clean, z_adv, y, 6.0, w) + 0.3 * entropy(z_adv).mean()
        torch.testing.assert_close(loss, expected)
