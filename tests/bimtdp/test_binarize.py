import pytest
import torch

from paperzoo.bimtdp.baselines import BiDense, Naive, ReActNet
from paperzoo.bimtdp.binarize import (
    IRNet,
    binary_sign,
    ede_schedule,
    irnet_balance,
    pow2_scale,
    sign,
    surrogate_grad,
)
from paperzoo.bimtdp.blocks import BinaryBlock, BinaryConv2d, make_binarizer


def test_sign_maps_zero_to_plus_one():
    assert sign(torch.tensor([-2.0, -0.0, 0.0, 3.0])).tolist() == [-1, 1, 1, 1]


@pytest.mark.parametrize("kind", ["ste", "ede", "approx"])
def test_surrogate_gradients_match_their_formulas(kind):
    x = torch.linspace(-2, 2, 41, dtype=torch.float64, requires_grad=True)
    binary_sign(x, kind, 0.5, 2.0).sum().backward()
    xs = x.detach().tolist()
    if kind == "ste":
        want = [1.0 if abs(v) <= 1 else 0.0 for v in xs]
    elif kind == "ede":
        import math

        want = [2.0 * 0.5 * (1 - math.tanh(0.5 * v) ** 2) for v in xs]
    else:
        want = [max(2 - 2 * abs(v), 0.0) for v in xs]
    torch.testing.assert_close(x.grad, torch.tensor(want, dtype=torch.float64))


def test_unknown_surrogate_is_refused():
    with pytest.raises(ValueError, match="kind"):
        surrogate_grad(torch.zeros(2), "nope")


def test_irnet_weights_are_balanced_and_scaled_by_a_power_of_two():
    w = torch.randn(4, 3, 3, 3) * 0.3 + 0.1
    wb = irnet_balance(w).flatten(1)
    torch.testing.assert_close(wb.mean(1), torch.zeros(4), atol=1e-6, rtol=0)
    torch.testing.assert_close(wb.std(1), torch.ones(4), atol=1e-5, rtol=0)
    scale = pow2_scale(irnet_balance(w)).flatten()
    assert torch.equal(torch.log2(scale), torch.log2(scale).round())
    out = IRNet(3).weight(w)
    assert torch.equal(out.abs(), scale.view(-1, 1, 1, 1).expand_as(out))


def test_ede_schedule_anneals_from_01_to_10():
    assert ede_schedule(0.0) == pytest.approx((0.1, 10.0))
    assert ede_schedule(1.0) == pytest.approx((10.0, 1.0))
    with pytest.raises(ValueError, match="progress"):
        ede_schedule(1.5)


def test_every_binariser_gives_pm1_activations_and_signed_weights():
    x, w = torch.randn(2, 5, 4, 4), torch.randn(6, 5, 3, 3)
    for cls in (Naive, IRNet, ReActNet):
        b = cls(5)
        assert set(b.act(x).unique().tolist()) <= {-1.0, 1.0}
        assert torch.equal(torch.sign(b.weight(w)), sign(irnet_balance(w) if cls is IRNet else w))
    bd = BiDense(5)
    out = bd.act(x)
    assert torch.equal(torch.sign(out), sign(x - x.mean((2, 3), keepdim=True)))


def test_reactnet_threshold_is_learnable_and_exported():
    b = ReActNet(3)
    with torch.no_grad():
        b.alpha.fill_(0.5)
    x = torch.full((1, 3, 1, 1), 0.4)
    assert (b.act(x) == -1).all() and torch.equal(b.threshold(), torch.full((3,), 0.5))


def test_naive_blocks_have_no_shortcut_and_others_do():
    x = torch.randn(2, 8, 5, 5)
    for name, shortcut in (("naive", False), ("irnet", True), ("reactnet", True)):
        block = BinaryBlock(8, name).eval()
        assert block.conv.binarizer.shortcut is shortcut
        assert block(x).shape == x.shape


def test_binary_conv_is_a_conv_of_signs():
    conv = BinaryConv2d(4, 3, "naive")
    x = torch.randn(1, 4, 6, 6)
    want = torch.nn.functional.conv2d(sign(x), sign(conv.weight), padding=1)
    torch.testing.assert_close(conv(x), want)


def test_every_binariser_trains_every_parameter():
    for name in ("naive", "irnet", "reactnet", "bidense"):
        block = BinaryBlock(4, name)
        block(torch.randn(2, 4, 5, 5)).square().sum().backward()
        assert block.conv.weight.grad is not None and block.conv.weight.grad.abs().sum() > 0


def test_unknown_binariser_is_refused():
    with pytest.raises(ValueError, match="binarizer"):
        make_binarizer("xnor++", 4)
