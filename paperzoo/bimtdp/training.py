"""Training: task losses, the VIB and distillation terms, Adam with cosine decay
(docs/bimtdp.md §2.5)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.bimtdp.bimtdp import feature_kd, output_kd
from paperzoo.bimtdp.blocks import set_progress
from paperzoo.bimtdp.config import ModelConfig, TrainConfig
from paperzoo.bimtdp.data import SynthRooms
from paperzoo.bimtdp.models import MultiTaskNet, check_teacher
from paperzoo.core.runtime import eval_mode, seed_everything


def task_loss(task: str, pred: Tensor, data: SynthRooms, idx: Tensor) -> Tensor:
    """CE (semseg), L1 (depth, unit normals), class-balanced BCE (boundary, saliency)."""
    if task == "semseg":
        return F.cross_entropy(pred, data.semseg[idx])
    if task == "depth":
        return F.l1_loss(pred, data.depth[idx])
    if task == "normals":
        return F.l1_loss(pred, data.normals[idx])
    target = getattr(data, task)[idx]
    pos = target.mean().clamp(1e-3, 1 - 1e-3)
    return F.binary_cross_entropy_with_logits(pred, target, pos_weight=(1 - pos) / pos)


def teacher_feature(feat: dict[str, Tensor], layer: str, where: str) -> Tensor:
    """The teacher map a student ``layer`` is distilled to: its own, or the stage-2 output for
    the bottleneck z; before the activation when ``where`` is "pre"."""
    name = "stage2" if layer == "z" else layer
    return feat[f"pre_{name}" if where == "pre" else name]


def student_feature(feat: dict[str, Tensor], layer: str, where: str) -> Tensor:
    """The student map of ``layer`` (z has no activation, so it is the same either way)."""
    return feat[f"pre_{layer}" if where == "pre" and layer != "z" else layer]


def train(
    cfg: ModelConfig,
    train_cfg: TrainConfig,
    data: SynthRooms,
    teacher: MultiTaskNet | None = None,
) -> MultiTaskNet:
    """Train a model of ``cfg`` on ``data``; a KD variant needs the frozen FP ``teacher``."""
    if cfg.kd and teacher is None:
        raise ValueError(f"teacher: variant {cfg.variant!r} distils and needs an FP teacher")
    if teacher is not None:
        check_teacher(cfg, teacher.cfg)
    g = seed_everything(train_cfg.seed)
    model = MultiTaskNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=train_cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, train_cfg.steps)
    n = len(data)
    model.train()
    for step in range(train_cfg.steps):
        set_progress(model, step / max(train_cfg.steps - 1, 1))
        idx = torch.randint(0, n, (min(train_cfg.batch_size, n),), generator=g)
        r = model(data.rgb[idx])
        loss = sum(train_cfg.weights[t] * task_loss(t, r["out"][t], data, idx) for t in cfg.tasks)
        loss = loss + train_cfg.beta * r["kl"]
        if teacher is not None and cfg.kd:
            with torch.no_grad(), eval_mode(teacher):
                tr = teacher(data.rgb[idx])
            kd = sum(
                feature_kd(
                    student_feature(r["feat"], k, train_cfg.kd_features),
                    teacher_feature(tr["feat"], k, train_cfg.kd_features),
                )
                for k in cfg.kd_layers
            )
            loss = loss + train_cfg.lambda_feat * kd
            if train_cfg.lambda_out > 0 and "semseg" in cfg.tasks:
                loss = loss + train_cfg.lambda_out * output_kd(
                    r["out"]["semseg"], tr["out"]["semseg"]
                )
        if not math.isfinite(float(loss.detach())):
            raise FloatingPointError(f"loss became {float(loss.detach())} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    set_progress(model, 1.0)
    return model.eval()
