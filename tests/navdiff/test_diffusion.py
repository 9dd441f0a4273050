import numpy as np
import pytest
import torch

from paperzoo.navdiff.config import DiffusionConfig, EnvConfig
from paperzoo.navdiff.diffusion import (
    DiffusionPolicy,
    Mish,
    decode_bits,
    encode_bits,
    observed_crop,
)
from paperzoo.navdiff.env import VecGridMaze

SMALL = DiffusionConfig(width=8, embed=16, crop=4, sample_steps=4, train_timesteps=20)


def test_analog_bits_round_trip_every_code():
    codes = torch.arange(16)[None]
    bits = encode_bits(codes, 4)
    assert set(bits.unique().tolist()) == {-1.0, 1.0} and bits.shape == (1, 4, 16)
    torch.testing.assert_close(decode_bits(bits), codes)


def test_analog_bits_survive_small_noise():
    g = torch.Generator().manual_seed(0)
    actions = torch.randint(9, (2000, 8), generator=g)
    noisy = encode_bits(actions, 4) + 0.3 * torch.randn(2000, 4, 8, generator=g)
    assert (decode_bits(noisy) == actions).float().mean() >= 0.99


def test_bad_plans_are_rejected():
    with pytest.raises(ValueError, match="2\\*\\*n_bits"):
        encode_bits(torch.tensor([[16]]), 4)
    with pytest.raises(ValueError, match="actions"):
        encode_bits(torch.tensor([[0.5]]), 4)


def _episode_maps():
    env = VecGridMaze(EnvConfig())
    obs = env.reset(np.arange(3))
    return torch.from_numpy(obs.maps).float(), torch.from_numpy(obs.positions)


def test_policy_never_reads_an_unobserved_cell():
    torch.manual_seed(0)
    policy = DiffusionPolicy(SMALL)
    maps, pos = _episode_maps()
    unobserved = (maps[:, 0] + maps[:, 1]) == 0
    assert unobserved.any()
    # 1) no gradient reaches any channel of an unobserved cell
    x = maps.clone().requires_grad_(True)
    policy.encoder(x, pos).sum().backward()
    grad = x.grad.abs().sum(1)
    assert grad[~unobserved].abs().sum() > 0
    assert (grad[unobserved] == 0).all()
    # 2) a fake goal planted in unobserved cells changes nothing
    fake = maps.clone()
    fake[:, 2][unobserved] = 1
    crop_a, feat_a = observed_crop(maps, pos, 7)
    crop_b, feat_b = observed_crop(fake, pos, 7)
    torch.testing.assert_close(crop_a, crop_b)
    torch.testing.assert_close(feat_a, feat_b)
    torch.testing.assert_close(policy.encoder(maps, pos), policy.encoder(fake, pos))


def test_sampling_batches_n_plans_with_few_ddim_steps():
    torch.manual_seed(0)
    policy = DiffusionPolicy(SMALL)
    maps, pos = _episode_maps()
    calls = []
    handle = policy.unet.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        plans = policy.sample(maps, pos, 5, torch.Generator().manual_seed(1))
    finally:
        handle.remove()
    assert plans.shape == (3, 5, SMALL.horizon) and plans.dtype == torch.int64
    assert calls == [15] * SMALL.sample_steps  # one denoiser call per DDIM step, all plans
    again = policy.sample(maps, pos, 5, torch.Generator().manual_seed(1))
    torch.testing.assert_close(plans, again)
    with pytest.raises(ValueError, match="n_plans"):
        policy.sample(maps, pos, 0, torch.Generator())
    with pytest.raises(ValueError, match="channels-last"):
        policy.sample(maps.permute(0, 2, 3, 1), pos, 2, torch.Generator())


def test_denoising_loss_falls_on_a_fixed_plan():
    torch.manual_seed(0)
    policy = DiffusionPolicy(SMALL)
    maps, pos = _episode_maps()
    plans = torch.tensor([[2, 2, 4, 4, 2, 2, 4, 8]] * 3)
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        loss = policy.loss(maps, pos, plans, g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_mish_equals_torch_mish_in_value_and_gradient():
    x = torch.cat([torch.linspace(-100, 100, 20001), torch.randn(1000) * 3]).double()
    x = x.float().requires_grad_(True)
    ours, ref = Mish()(x), torch.nn.functional.mish(x)
    exact = torch.nn.functional.mish(x.detach().double())
    assert torch.isfinite(ours).all()
    assert ((ours.double() - exact).abs() <= 1e-6 * exact.abs() + 1e-7).all()
    (g_ours,) = torch.autograd.grad(ours.sum(), x)
    (g_ref,) = torch.autograd.grad(ref.sum(), x)
    assert torch.allclose(g_ours, g_ref, rtol=1e-5, atol=1e-6)
