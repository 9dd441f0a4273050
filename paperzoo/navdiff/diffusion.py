"""The diffusion plan generator: analog-bit action plans, a FiLM 1D U-Net conditioned on the map
seen so far, DDPM training and few-step DDIM sampling (``diffusers`` schedulers).

docs/navdiff.md §2.5. Plans are ``int64 [B, H]`` action indices; their analog bits are
``float [B, n_bits, H]`` in {−1, +1}. The map encoder sees only observed cells (masked input).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler
from torch import Tensor, nn

from paperzoo.navdiff.config import DiffusionConfig
from paperzoo.navdiff.maze import N_ACTIONS
from paperzoo.navdiff.planner import check_maps


def encode_bits(actions: Tensor, n_bits: int) -> Tensor:
    """Analog bits: action index -> n_bits values ±1 (least significant first). ``[B, H]`` ->
    ``[B, n_bits, H]``."""
    if actions.dtype not in (torch.int64, torch.int32) or (actions < 0).any():
        raise ValueError("actions: expected non-negative integer action indices")
    if (actions >= 2**n_bits).any():
        raise ValueError(f"actions: indices must be < 2**n_bits = {2**n_bits}")
    bits = (actions[:, None, :] >> torch.arange(n_bits)[None, :, None]) & 1
    return bits.float() * 2 - 1


def decode_bits(x: Tensor) -> Tensor:
    """Inverse of :func:`encode_bits` by sign: ``[B, n_bits, H]`` -> ``int64 [B, H]`` (values
    ≥ 9 are not actions; such plans are invalid)."""
    bits = (x > 0).long()
    return (bits << torch.arange(x.shape[1])[None, :, None]).sum(1)


def observed_crop(maps: Tensor, positions: Tensor, radius: int) -> tuple[Tensor, Tensor]:
    """Egocentric input of the map encoder: a ``[B, 4, 2r+1, 2r+1]`` crop of (obstacle, free,
    goal, unknown) around the agent and goal features ``[B, 3]`` (offset / (2r+1), seen flag:
    the scale is the crop's, not the map's, so a 30×30 map means what a 15×15 one does).

    Every channel is multiplied by the observed mask (computed without gradient), so nothing at an
    unobserved cell reaches the network; outside the grid counts as seen obstacle.
    """
    b, _, s, _ = maps.shape
    seen = (maps[:, 0] + maps[:, 1]).clamp(max=1).detach()  # [B, S, S]
    masked = maps * seen[:, None]
    unknown = 1 - seen
    goal = masked[:, 2]
    goal_seen = goal.flatten(1).amax(1)
    flat = goal.flatten(1).argmax(1)
    goal_rc = torch.stack([flat // s, flat % s], 1)
    feats = torch.cat(
        [(goal_rc - positions).float() / (2 * radius + 1) * goal_seen[:, None], goal_seen[:, None]],
        1,
    )
    full = torch.cat([masked, unknown[:, None]], 1)
    padded = F.pad(full, (radius,) * 4)
    padded[:, 0, :radius] = padded[:, 0, -radius:] = 1
    padded[:, 0, :, :radius] = padded[:, 0, :, -radius:] = 1
    offs = torch.arange(2 * radius + 1)
    rows = (positions[:, 0, None] + offs[None])[:, :, None]  # [B, 2r+1, 1]
    cols = (positions[:, 1, None] + offs[None])[:, None, :]  # [B, 1, 2r+1]
    crop = padded[torch.arange(b)[:, None, None], :, rows, cols]  # [B, 2r+1, 2r+1, 4]
    return crop.permute(0, 3, 1, 2), feats


class Mish(nn.Module):
    """Mish x·tanh(softplus(x)) as x·n/(n + 2), n = eˣ(eˣ + 2), since tanh(log u) =
    (u² − 1)/(u² + 1) with u = 1 + eˣ: ``nn.Mish`` to float32 rounding (relative error
    < 1e-6), about 3× faster on CPU, where ``F.mish`` was the U-Net's slowest op (70–140 µs
    per call on its small tensors)."""

    def forward(self, x: Tensor) -> Tensor:
        e = torch.exp(x.clamp(max=20.0))  # beyond 20, n/(n + 2) is 1 in float32
        n = e * (e + 2)
        return x * n / (n + 2)


class MapEncoder(nn.Module):
    """CNN over :func:`observed_crop` -> the global condition ``[B, embed]``."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.radius = config.crop
        side = 2 * config.crop + 1
        for _ in range(2):
            side = (side + 1) // 2
        self.conv = nn.Sequential(
            nn.Conv2d(4, 16, 3, padding=1),
            Mish(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            Mish(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1),
            Mish(),
            nn.Flatten(),
        )
        self.head = nn.Linear(32 * side * side + 3, config.embed)

    def forward(self, maps: Tensor, positions: Tensor) -> Tensor:
        crop, feats = observed_crop(maps, positions, self.radius)
        return self.head(torch.cat([self.conv(crop), feats], 1))


def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal embedding of diffusion steps ``[B]`` -> ``[B, dim]``."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], 1)


class FiLMBlock(nn.Module):
    """Two conv1d layers; the condition scales and shifts the first one's output (FiLM)."""

    def __init__(self, c_in: int, c_out: int, cond: int) -> None:
        super().__init__()
        groups = math.gcd(8, c_out)
        self.conv1 = nn.Sequential(
            nn.Conv1d(c_in, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), Mish()
        )
        self.conv2 = nn.Sequential(
            nn.Conv1d(c_out, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), Mish()
        )
        self.film = nn.Linear(cond, 2 * c_out)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        scale, bias = self.film(cond)[..., None].chunk(2, 1)
        h = self.conv1(x) * (1 + scale) + bias
        return self.conv2(h) + self.skip(x)


class ConditionalUnet1D(nn.Module):
    """A one-level 1D U-Net over the plan's time axis with FiLM conditioning (Diffusion Policy's
    ``ConditionalUnet1D`` shape, small). ``forward(x [B, bits, H], t [B], cond [B, E])``."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        w, e = config.width, config.embed
        self.t_embed = nn.Sequential(nn.Linear(e, e), Mish(), nn.Linear(e, e))
        cond = 2 * e
        self.down = FiLMBlock(config.n_bits, w, cond)
        self.pool = nn.Conv1d(w, w, 3, stride=2, padding=1)
        self.mid = FiLMBlock(w, 2 * w, cond)
        self.mid2 = FiLMBlock(2 * w, 2 * w, cond)
        self.up = nn.ConvTranspose1d(2 * w, w, 4, stride=2, padding=1)
        self.out_block = FiLMBlock(2 * w, w, cond)
        self.out = nn.Conv1d(w, config.n_bits, 1)
        self.embed = e

    def forward(self, x: Tensor, t: Tensor, cond: Tensor) -> Tensor:
        c = torch.cat([cond, self.t_embed(timestep_embedding(t, self.embed))], 1)
        h1 = self.down(x, c)
        h = self.mid2(self.mid(self.pool(h1), c), c)
        h = self.out_block(torch.cat([self.up(h), h1], 1), c)
        return self.out(h)


class DiffusionPolicy(nn.Module):
    """Map encoder + U-Net, trained as a DDPM that predicts the clean plan x0 (Diffuser-style),
    sampled with DDIM in ``config.sample_steps`` steps."""

    def __init__(self, config: DiffusionConfig | None = None) -> None:
        super().__init__()
        config = config or DiffusionConfig()
        self.config = config
        self.encoder = MapEncoder(config)
        self.unet = ConditionalUnet1D(config)
        self._schedule = {
            "num_train_timesteps": config.train_timesteps,
            "beta_schedule": "squaredcos_cap_v2",
            "prediction_type": "sample",
            "clip_sample": True,
        }
        self.train_scheduler = DDPMScheduler(**self._schedule)
        self._samplers: dict[int, DDIMScheduler] = {}

    def loss(
        self, maps: Tensor, positions: Tensor, plans: Tensor, generator: torch.Generator
    ) -> Tensor:
        """Denoising loss ‖x̂0(x_t, t, c) − x0‖² on analog-bit plans ``int64 [B, H]``."""
        x0 = encode_bits(plans, self.config.n_bits)
        noise = torch.randn(x0.shape, generator=generator)
        t = torch.randint(self.config.train_timesteps, (len(x0),), generator=generator)
        xt = self.train_scheduler.add_noise(x0, noise, t)
        return F.mse_loss(self.unet(xt, t, self.encoder(maps, positions)), x0)

    def _scheduler(self, steps: int | None) -> DDIMScheduler:
        steps = steps or self.config.sample_steps
        if steps not in self._samplers:  # built from kwargs: from_config imports every scheduler
            sched = DDIMScheduler(**self._schedule)
            sched.set_timesteps(steps)
            self._samplers[steps] = sched
        return self._samplers[steps]

    @torch.no_grad()
    def sample(
        self,
        maps: Tensor | np.ndarray,
        positions: Tensor | np.ndarray,
        n_plans: int,
        generator: torch.Generator,
        steps: int | None = None,
        guide: Callable[[Tensor], Tensor] | None = None,
        guide_scale: float = 0.0,
    ) -> Tensor:
        """``n_plans`` plans per map in one batch: ``int64 [B, n_plans, H]`` (DDIM, η = 0).

        ``guide``: a differentiable value of the analog-bit plans ``[B·n_plans, bits, H]`` ->
        ``[B·n_plans]`` (map b's plans are rows b·n_plans…); at every DDIM step the predicted
        clean plan x̂0 moves ``guide_scale`` (in RMS per plan) along ∇J(x̂0) before the update:
        classifier-style value guidance (docs/navdiff.md §2.6)."""
        if not isinstance(n_plans, int) or n_plans < 1:
            raise ValueError(f"n_plans must be an int >= 1, got {n_plans!r}")
        maps = check_maps(maps)
        positions = torch.as_tensor(positions, dtype=torch.int64)
        if positions.shape != (len(maps), 2):
            raise ValueError(f"positions: expected [{len(maps)}, 2], got {tuple(positions.shape)}")
        cond = self.encoder(maps, positions).repeat_interleave(n_plans, 0)
        plans = self._denoise(cond, generator, steps, guide, guide_scale)
        return plans.view(len(maps), n_plans, -1)

    def _denoise(
        self,
        cond: Tensor,
        generator: torch.Generator,
        steps: int | None,
        guide: Callable[[Tensor], Tensor] | None = None,
        guide_scale: float = 0.0,
    ) -> Tensor:
        sched = self._scheduler(steps)
        x = torch.randn((len(cond), self.config.n_bits, self.config.horizon), generator=generator)
        for t in sched.timesteps:
            x0 = self.unet(x, t.expand(len(x)), cond)
            if guide is not None and guide_scale > 0:
                with torch.enable_grad():
                    x0_var = x0.clamp(-1, 1).detach().requires_grad_(True)
                    (grad,) = torch.autograd.grad(guide(x0_var).sum(), x0_var)
                rms = grad.pow(2).mean((1, 2), keepdim=True).sqrt().clamp_min(1e-12)
                x0 = (x0 + guide_scale * grad / rms).clamp(-1, 1)
            x = sched.step(x0, t, x).prev_sample
        return decode_bits(x)

    @torch.no_grad()
    def sample_sequential(
        self, maps: Tensor, positions: Tensor, n_plans: int, generator: torch.Generator
    ) -> Tensor:
        """The baseline of the benchmark: the same plans drawn one at a time (the official
        code's loop). ``int64 [B, n_plans, H]``."""
        cond = self.encoder(check_maps(maps), torch.as_tensor(positions))
        plans = [self._denoise(cond, generator, None) for _ in range(n_plans)]
        return torch.stack(plans, 1)


def plan_is_action(plans: Tensor) -> Tensor:
    """Steps whose decoded index is one of the 9 actions: ``bool``, same shape."""
    return plans < N_ACTIONS
