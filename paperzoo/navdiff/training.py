"""Imitation training: the planner (CALVIN-style, docs/navdiff.md §2.4) and the diffusion policy
(DDPM on analog-bit plans, docs/navdiff.md §2.5)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

from paperzoo.core.io import load_state_dict_checked, load_weights_only
from paperzoo.navdiff.config import DiffusionConfig, EnvConfig, PlannerConfig, TrainConfig
from paperzoo.navdiff.data import plan_windows
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.maze import DONE, valid_moves
from paperzoo.navdiff.planner import QMDPPlanner, one_hot_belief, qmdp_values


def train_planner(
    data: dict, config: PlannerConfig | None = None, train: TrainConfig | None = None
) -> tuple[QMDPPlanner, list[float]]:
    """Fit :class:`QMDPPlanner` to expert actions: CE(Q(b, ·), a*) + BCE of the available-action
    logits on seen free cells against the true move validity. Returns the model and losses."""
    config, train = config or PlannerConfig(), train or TrainConfig()
    gen = torch.Generator().manual_seed(train.seed)
    torch.manual_seed(train.seed)
    model = QMDPPlanner(config)
    opt = torch.optim.Adam(model.parameters(), lr=train.planner_lr)
    maps = torch.from_numpy(data["maps"]).float()
    pos = torch.from_numpy(data["positions"])
    act = torch.from_numpy(data["actions"])
    valid = torch.from_numpy(valid_moves(data["free"])[:, :DONE]).float()  # [E, 8, S, S]
    ep = torch.from_numpy(data["episode"])
    shape = tuple(maps.shape[-2:])
    losses = []
    for _ in range(train.planner_steps):
        idx = torch.randint(len(maps), (train.planner_batch,), generator=gen)
        m = maps[idx]
        q, _, _, logits = model(m)
        q_b = qmdp_values(one_hot_belief(pos[idx], shape), q)
        loss_a = F.cross_entropy(q_b, act[idx])
        seen_free = m[:, 1:2].expand(-1, DONE, -1, -1)
        avail_logit = logits[:, :DONE] - logits[:, -1:]
        bce = F.binary_cross_entropy_with_logits(avail_logit, valid[ep[idx]], reduction="none")
        loss_m = (bce * seen_free).sum() / seen_free.sum().clamp_min(1)
        loss = loss_a + loss_m
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.eval(), losses


@torch.no_grad()
def planner_accuracy(model: QMDPPlanner, data: dict) -> float:
    """Share of expert steps where argmax_a Q(b, a) is the expert's action."""
    maps = torch.from_numpy(data["maps"]).float()
    pos = torch.from_numpy(data["positions"])
    hits = 0
    for i in range(0, len(maps), 512):
        q, *_ = model(maps[i : i + 512])
        q_b = qmdp_values(one_hot_belief(pos[i : i + 512], tuple(maps.shape[-2:])), q)
        hits += int((q_b.argmax(1) == torch.from_numpy(data["actions"][i : i + 512])).sum())
    return hits / len(maps)


def train_diffusion(
    data: dict, config: DiffusionConfig | None = None, train: TrainConfig | None = None
) -> tuple[DiffusionPolicy, list[float]]:
    """Fit :class:`DiffusionPolicy` (DDPM, x0-prediction) to the expert's next-``horizon``
    actions from each step, conditioned on that step's map only. Returns model and losses."""
    config, train = config or DiffusionConfig(), train or TrainConfig()
    gen = torch.Generator().manual_seed(train.seed + 1)
    torch.manual_seed(train.seed + 1)
    model = DiffusionPolicy(config)
    opt = torch.optim.AdamW(model.parameters(), lr=train.diffusion_lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, train.diffusion_lr, total_steps=max(train.diffusion_steps, 1), pct_start=0.1
    )
    maps = torch.from_numpy(data["maps"]).float()
    pos = torch.from_numpy(data["positions"])
    plans = torch.from_numpy(
        plan_windows(data["actions"], data["episode"], data["t"], config.horizon)
    )
    losses = []
    model.train()
    for _ in range(train.diffusion_steps):
        idx = torch.randint(len(maps), (train.diffusion_batch,), generator=gen)
        loss = model.loss(maps[idx], pos[idx], plans[idx], gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return model.eval(), losses


def save_checkpoint(
    path: Path, planner: QMDPPlanner, policy: DiffusionPolicy, env: EnvConfig
) -> Path:
    """Both models and their configs in one file (loadable with ``weights_only=True``)."""
    torch.save(
        {
            "planner": planner.state_dict(),
            "policy": policy.state_dict(),
            "planner_config": asdict(planner.config),
            "diffusion_config": asdict(policy.config),
            "env_config": asdict(env),
        },
        path,
    )
    return path


def load_checkpoint(path: Path) -> tuple[QMDPPlanner, DiffusionPolicy, EnvConfig]:
    """Models and environment config saved by :func:`save_checkpoint`."""
    state = load_weights_only(path)
    keys = {"planner", "policy", "planner_config", "diffusion_config", "env_config"}
    missing = keys - set(state) if isinstance(state, dict) else keys
    if missing:
        raise ValueError(f"checkpoint: {path} lacks {sorted(missing)} (not a navdiff checkpoint)")
    try:
        planner_config = PlannerConfig(**state["planner_config"])
        diffusion_config = DiffusionConfig(**state["diffusion_config"])
        env = EnvConfig(**state["env_config"])
    except TypeError as err:
        raise ValueError(
            f"checkpoint: {path} has a config this version does not know ({err})"
        ) from err
    planner, policy = QMDPPlanner(planner_config), DiffusionPolicy(diffusion_config)
    load_state_dict_checked(planner, state["planner"], source=f"{path} (planner)")
    load_state_dict_checked(policy, state["policy"], source=f"{path} (policy)")
    return planner.eval(), policy.eval(), env
