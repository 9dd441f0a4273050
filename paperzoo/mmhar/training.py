"""Training and prediction for :class:`~paperzoo.mmhar.models.MultimodalNet` on
:class:`~paperzoo.mmhar.modality.Windows`; checkpoints that carry modalities, classes and the
training normalisation (docs/mmhar.md §2.5)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.core.io import load_weights_only, save_checkpoint
from paperzoo.core.runtime import eval_mode, seed_everything, torch_threads
from paperzoo.mmhar.config import ModelConfig, TrainConfig
from paperzoo.mmhar.modality import Modality, Normalization, Windows
from paperzoo.mmhar.models import MultimodalNet


@dataclass(frozen=True, eq=False)
class Trained:
    """A trained model with what it needs at prediction time."""

    model: MultimodalNet
    classes: tuple[str, ...]
    normalization: Normalization


def tensors(windows: Windows) -> tuple[dict[str, Tensor], Tensor]:
    return {n: torch.from_numpy(v) for n, v in windows.x.items()}, torch.from_numpy(windows.present)


def _loss(model: MultimodalNet, x: dict[str, Tensor], present: Tensor, y: Tensor) -> Tensor:
    if not model.cfg.fusion.startswith("late-"):
        return F.nll_loss(model(x, present), y)
    logp, fused, used = model.branches(x, present)
    # each branch is its own classifier: CE on present branches only
    per = -logp.gather(2, y[:, None, None].expand(-1, logp.shape[1], 1)).squeeze(-1)
    loss = (per * used).sum() / used.sum().clamp_min(1)
    if model.cfg.fusion in ("late-weighted", "late-stacking"):  # fitted on detached branches
        loss = loss + F.nll_loss(fused, y)
    return loss


def train_model(windows: Windows, cfg: ModelConfig, train_cfg: TrainConfig) -> Trained:
    """Fit a normalisation on ``windows`` (the training split) and train a model on them."""
    if len(windows) == 0:
        raise ValueError("windows: empty training set")
    generator = seed_everything(train_cfg.seed)
    norm = Normalization.fit(windows)
    x, present = tensors(norm.apply(windows))
    y = torch.from_numpy(windows.y)
    with torch_threads(train_cfg.threads):
        model = MultimodalNet(windows.modalities, len(windows.classes), cfg)
        opt = torch.optim.AdamW(
            model.parameters(), lr=train_cfg.lr, weight_decay=train_cfg.weight_decay
        )
        batch = min(train_cfg.batch_size, len(y))
        per_epoch = len(y) // batch
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, train_cfg.lr, total_steps=train_cfg.epochs * per_epoch
        )
        model.train()
        for _ in range(train_cfg.epochs):
            order = torch.randperm(len(y), generator=generator)[: per_epoch * batch]
            for idx in order.view(per_epoch, batch):
                loss = _loss(model, {n: v[idx] for n, v in x.items()}, present[idx], y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
        model.eval()
    return Trained(model, windows.classes, norm)


def check_compatible(trained: Trained, windows: Windows) -> None:
    """Raise if ``windows`` lacks a modality the model needs."""
    missing = [n for n in trained.model.names if n not in windows.names]
    if missing:
        raise ValueError(f"modality: {missing} needed by the model, absent from the data")


def predict_log_proba(trained: Trained, windows: Windows, batch: int = 2048) -> np.ndarray:
    """Log-probabilities ``[N, K]`` over ``trained.classes`` (windows normalised as in training)."""
    check_compatible(trained, windows)
    w = trained.normalization.apply(windows.select(trained.model.names))
    x, present = tensors(w)
    out = []
    with torch.inference_mode(), eval_mode(trained.model):
        for i in range(0, len(w), batch):
            out.append(
                trained.model({n: v[i : i + batch] for n, v in x.items()}, present[i : i + batch])
            )
    return torch.cat(out).numpy() if out else np.zeros((0, len(trained.classes)))


def relabel(windows: Windows, classes: tuple[str, ...]) -> np.ndarray:
    """``windows.y`` as indices into ``classes`` (every used label must be in ``classes``)."""
    lookup = np.array([classes.index(c) if c in classes else -1 for c in windows.classes])
    y = lookup[windows.y]
    if (y < 0).any():
        raise ValueError(
            f"labels: {sorted({windows.classes[i] for i in windows.y[y < 0]})} unseen in training"
        )
    return y


def save_trained(path: str | Path, trained: Trained) -> Path:
    meta = {
        "model": dataclasses.asdict(trained.model.cfg),
        "modalities": [dataclasses.asdict(m) for m in trained.model.modalities],
        "classes": list(trained.classes),
        "norm_mean": {k: v.tolist() for k, v in trained.normalization.mean.items()},
        "norm_std": {k: v.tolist() for k, v in trained.normalization.std.items()},
        "norm_subjects": sorted(trained.normalization.subjects),
    }
    return save_checkpoint(path, trained.model, meta)


def load_trained(path: str | Path) -> Trained:
    payload = load_weights_only(path)
    if not isinstance(payload, dict) or "meta" not in payload or "model" not in payload["meta"]:
        raise ValueError(f"checkpoint: {path} is not an mmhar checkpoint")
    meta = payload["meta"]
    mods = tuple(Modality(**m) for m in meta["modalities"])
    model = MultimodalNet(mods, len(meta["classes"]), ModelConfig(**meta["model"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    norm = Normalization(
        {k: np.array(v, np.float32) for k, v in meta["norm_mean"].items()},
        {k: np.array(v, np.float32) for k, v in meta["norm_std"].items()},
        frozenset(meta["norm_subjects"]),
    )
    return Trained(model, tuple(meta["classes"]), norm)
