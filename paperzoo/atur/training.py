"""Training (standard, PGD-AT, TRADES, MART, FAT, AT-UR family) on the core loop, evaluation
under attack with conformal prediction, checkpoints, and the CLI's two library calls
(:func:`train_and_save`, :func:`evaluate_checkpoint`).

Each method base is an objective (:mod:`paperzoo.atur.objective`, :mod:`paperzoo.atur.baselines`)
wrapped with AT-UR's terms from :mod:`paperzoo.atur.losses`; attacks run on the unwrapped model
in eval mode, so the loss works unchanged under ``torchrun`` (DDP).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from paperzoo.atur.attacks import Attack
from paperzoo.atur.baselines import FAT, MART, TRADES
from paperzoo.atur.config import AttackConfig, CPConfig, MethodConfig, TrainSettings, parse_attack
from paperzoo.atur.conformal import evaluate_splits
from paperzoo.atur.data import Task, load_task
from paperzoo.atur.losses import beta_weight, entropy, loss_scale_control, true_class_rank
from paperzoo.atur.models import build_model
from paperzoo.atur.objective import PGDAT, Objective, Standard
from paperzoo.core.io import load_checkpoint, load_state_dict_checked, save_checkpoint
from paperzoo.core.runtime import eval_mode, seed_everything
from paperzoo.core.train import LossFn, TrainConfig, TrainResult, dist_info, train, unwrap

#: the objective of each method base (``MethodConfig.base``), by name
LOSSES: dict[str, type[Objective]] = {cls.name: cls for cls in (Standard, PGDAT, FAT, TRADES, MART)}


def make_loss(
    method: MethodConfig,
    num_classes: int,
    eps: float,
    steps: int = 10,
    alpha: float | None = None,
    seed: int = 0,
) -> LossFn:
    """``loss(model, x, y)`` for the core training loop: the base's inner attack (l∞, random
    start, step ``alpha`` = ε/4) on the unwrapped model in eval mode, then its outer loss with
    AT-UR's Beta weight and entropy term where the method has them (docs/atur.md §2.2).

    The base comes from :data:`LOSSES`. Random starts come from a generator per device seeded
    with ``seed`` + the process rank.
    """
    alpha = eps / 4 if alpha is None else alpha
    generators: dict[torch.device, torch.Generator] = {}
    objective = LOSSES[method.base].from_config(method, num_classes)
    lam = method.lambda_em if method.uses_em else 0.0
    denominator = method.rank_denominator or num_classes

    def loss_fn(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
        net = unwrap(model)
        if x.device not in generators:
            generators[x.device] = torch.Generator(x.device).manual_seed(seed + dist_info().rank)
        with eval_mode(net):
            x_adv = objective.perturb(net, x, y, eps, alpha, steps, generators[x.device])
        if objective.reads_clean:
            z_clean, z_adv = model(torch.cat([x, x_adv])).chunk(2)
        else:
            z_clean, z_adv = None, model(x_adv)
        weight = None
        if method.uses_beta or method.loss_scale_control:
            weight = beta_weight(
                true_class_rank(z_adv, y), denominator, method.beta_a, method.beta_b
            )
            if method.normalise_weights:
                weight = weight / weight.mean()
        if method.loss_scale_control:
            return loss_scale_control(z_adv, y, weight)
        loss = objective(z_clean, z_adv, y, weight)
        # Eq. AT-UR loss, docs/atur.md §2.2: the entropy term on any base
        return loss + lam * entropy(z_adv).mean() if lam else loss

    return loss_fn


def train_model(
    task: Task,
    method: MethodConfig,
    settings: TrainSettings,
    arch: str = "cnn",
    width: int | None = None,
) -> tuple[nn.Module, TrainResult]:
    """Train a fresh ``arch`` model on ``task.train`` (SGD, step decay); returned in eval mode."""
    seed_everything(settings.seed, deterministic=False)
    model = build_model(arch, task.input_shape, task.num_classes, width)
    loss_fn = make_loss(
        method, task.num_classes, settings.attack_eps, settings.attack_steps, seed=settings.seed + 1
    )
    info = dist_info()
    per_rank = math.ceil(len(task.train) / info.world_size)
    total_steps = settings.epochs * math.ceil(per_rank / settings.batch_size)
    boundaries = [round(m * total_steps) for m in settings.lr_milestones]
    optimizers: list[torch.optim.Optimizer] = []
    steps_taken = [0]

    def make_optimizer(params: list[nn.Parameter]) -> torch.optim.Optimizer:
        opt = torch.optim.SGD(
            params, lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay
        )
        optimizers.append(opt)
        return opt

    def scheduled_loss(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
        # step decay: the loss runs once per optimiser step, before that step
        lr = settings.lr * 0.1 ** sum(steps_taken[0] >= b for b in boundaries)
        for group in optimizers[0].param_groups:
            group["lr"] = lr
        steps_taken[0] += 1
        return loss_fn(model, x, y)

    cfg = TrainConfig(
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        lr=settings.lr,
        weight_decay=settings.weight_decay,
        seed=settings.seed,
        device=settings.device,
    )
    result = train(model, task.train, scheduled_loss, cfg, optimizer=make_optimizer)
    return model.eval(), result


@torch.no_grad()
def predict_logits(model: nn.Module, x: Tensor, batch_size: int = 1000) -> Tensor:
    """Logits ``[N, K]`` in eval mode, batched, on CPU."""
    device = next(model.parameters()).device
    with eval_mode(model):
        return torch.cat([model(xb.to(device)).cpu() for xb in x.split(batch_size)])


def attack_dataset(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    attack: AttackConfig,
    seed: int = 0,
    batch_size: int = 500,
) -> Tensor:
    """Attack every sample once (batched); returns ``x_adv`` on CPU."""
    device = next(model.parameters()).device
    run = Attack(attack)
    generator = torch.Generator(device=device).manual_seed(seed)
    parts = [
        run(model, xb.to(device), yb.to(device), generator).cpu()
        for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True)
    ]
    return torch.cat(parts)


def evaluate_model(
    model: nn.Module,
    test: TensorDataset,
    attack: AttackConfig | None,
    cp: CPConfig,
    seed: int = 0,
    curve_points: int = 0,
) -> dict[str, Any]:
    """Clean/robust accuracy and CP metrics under ``attack`` (None = clean test set).

    Keys: ``clean_acc``, ``robust_acc``, then coverage/PSS with calibration on attacked data
    (the paper's setting; no prefix) and with clean calibration (``cleancal_`` prefix).
    The test set is attacked once and then split, as in the paper's code.
    """
    x, y = test.tensors
    clean = predict_logits(model, x)
    adv = (
        clean
        if attack is None
        else predict_logits(model, attack_dataset(model, x, y, attack, seed))
    )
    adv_cal = evaluate_splits(adv, adv, y, cp, seed, curve_points=curve_points)
    clean_cal = evaluate_splits(clean, adv, y, cp, seed)
    out: dict[str, Any] = {
        "clean_acc": float((clean.argmax(1) == y).float().mean()),
        "robust_acc": float((adv.argmax(1) == y).float().mean()),
        **adv_cal.summary(),
        **clean_cal.summary("cleancal_"),
    }
    if curve_points:
        out["curve"] = {
            "q_scale": adv_cal.curve_q_scale.tolist(),
            "coverage": adv_cal.curve_coverage.tolist(),
            "size": adv_cal.curve_size.tolist(),
        }
    return out


def save_model(
    path: str | Path,
    model: nn.Module,
    task: Task,
    method: MethodConfig,
    settings: TrainSettings,
    arch: str,
    width: int | None = None,
) -> Path:
    """Checkpoint with the metadata needed to rebuild the model and check the dataset."""
    meta = {
        "arch": arch,
        "width": width,
        "input_shape": list(task.input_shape),
        "num_classes": task.num_classes,
        "dataset": task.name,
        "method": asdict(method),
        "settings": asdict(settings),
    }
    return save_checkpoint(path, model, meta)


def load_model(
    path: str | Path, num_classes: int | None = None
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild and load a checkpoint; ``num_classes`` (the dataset's K) must match the model's."""
    payload = load_checkpoint(path)
    meta = payload["meta"]
    missing = [k for k in ("arch", "input_shape", "num_classes") if k not in meta]
    if missing:
        raise ValueError(f"checkpoint: {path} lacks atur metadata {missing}")
    if num_classes is not None and num_classes != meta["num_classes"]:
        raise ValueError(
            f"num_classes: checkpoint {path} was trained with K={meta['num_classes']} "
            f"({meta.get('dataset')}) but the dataset has K={num_classes}"
        )
    model = build_model(
        meta["arch"], tuple(meta["input_shape"]), meta["num_classes"], meta["width"]
    )
    load_state_dict_checked(model, payload["state_dict"], source=str(path))
    return model.eval(), meta


def _default_arch(dataset: str) -> str:
    """``mlp`` for the 8×8 digits tasks, ``cnn`` otherwise."""
    return "mlp" if dataset.startswith("digit") else "cnn"


def train_and_save(
    out: str | Path,
    dataset: str,
    method: MethodConfig,
    settings: TrainSettings,
    arch: str = "auto",
    data_root: str | Path | None = None,
    n_train: int | None = None,
) -> tuple[Path, list[float]]:
    """Train ``method`` on ``dataset`` and write a checkpoint; returns (path, epoch losses)."""
    arch = _default_arch(dataset) if arch == "auto" else arch
    task = load_task(dataset, data_root, n_train=n_train, seed=0)
    model, result = train_model(task, method, settings, arch=arch)
    return save_model(out, model.cpu(), task, method, settings, arch), result.epoch_losses


def evaluate_checkpoint(
    checkpoint: str | Path,
    attack: str,
    cp: CPConfig,
    eps: float | None = None,
    dataset: str | None = None,
    data_root: str | Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Attack the test set of ``dataset`` (default: the checkpoint's) and run split CP.

    ``eps`` defaults to the training radius. Raises ``ValueError`` when the checkpoint's class
    count or input shape does not fit the dataset.
    """
    model, meta = load_model(checkpoint)
    dataset = dataset or meta["dataset"]
    task = load_task(dataset, data_root, n_train=1, seed=0)
    if task.num_classes != meta["num_classes"]:
        raise ValueError(
            f"num_classes: checkpoint {checkpoint} has K={meta['num_classes']} "
            f"({meta['dataset']}) but dataset {dataset} has K={task.num_classes}"
        )
    if list(task.input_shape) != list(meta["input_shape"]):
        raise ValueError(
            f"input_shape: checkpoint {checkpoint} expects {tuple(meta['input_shape'])}, "
            f"dataset {dataset} gives {task.input_shape}"
        )
    eps = float(meta["settings"]["attack_eps"]) if eps is None else eps
    attack_cfg = parse_attack(attack, eps)
    metrics = evaluate_model(model, task.test, attack_cfg, cp, seed=seed)
    method = meta["method"]["method"] if isinstance(meta.get("method"), dict) else "?"
    return {"dataset": dataset, "method": method, "attack": attack, "eps": eps, **metrics}
