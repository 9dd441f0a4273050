"""One library call per CLI verb: train and save, evaluate a checkpoint under attack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperzoo.atur.config import CPConfig, MethodConfig, TrainSettings, parse_attack
from paperzoo.atur.data import load_task
from paperzoo.atur.training import evaluate_model, load_model, save_model, train_model


def default_arch(dataset: str) -> str:
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
    arch = default_arch(dataset) if arch == "auto" else arch
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
