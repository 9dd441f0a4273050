"""A small CNN teacher for distilling the ViT (DeiT-style), trained here and cached.

``trained_teacher(spec)`` returns the cached CNN when present, otherwise trains it on the same
placed data as the student; :func:`distillation_loss` is the student's loss against it.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from paperzoo.core.data.fashion_mnist import ROOT_ENV
from paperzoo.core.data.placed import PlacedConfig, make_placed
from paperzoo.core.experiments import experiment
from paperzoo.core.io import load_state_dict_checked
from paperzoo.core.runtime import seed_everything
from paperzoo.core.train import TrainConfig, train


class CNNTeacher(nn.Module):
    """Three conv-BN-ReLU-maxpool stages (``width``, 2·, 4· channels), global average pool,
    linear head; input ``[B, C, H, W]`` in [0, 1], logits ``[B, classes]``."""

    def __init__(self, in_chans: int = 1, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        chans = [in_chans, width, 2 * width, 4 * width]
        for c_in, c_out in zip(chans, chans[1:], strict=False):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]  # fmt: skip
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(4 * width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x).mean((2, 3)))


@dataclass(frozen=True)
class TeacherSpec:
    """Everything that determines the trained teacher (and its cache key)."""

    data: PlacedConfig = field(default_factory=PlacedConfig)
    width: int = 32
    epochs: int = 2
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    flip: float = 0.5
    shift: int = 2
    train_limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"width must be >= 1, got {self.width!r}")
        if self.train_limit is not None and self.train_limit < 1:
            raise ValueError(f"train_limit must be >= 1, got {self.train_limit!r}")
        TrainConfig(self.epochs, self.batch_size, self.lr, self.weight_decay, self.seed)

    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def distillation_loss(
    student: Tensor, teacher: Tensor, labels: Tensor, alpha: float, tau: float,
    label_smoothing: float = 0.0, hard: bool = False,
) -> Tensor:  # fmt: skip
    """(1 − ``alpha``)·CE(student, labels) + ``alpha``·distillation term, logits ``[B, K]``.

    Soft (Hinton): τ²·KL(softmax(teacher/τ) ‖ softmax(student/τ)); ``hard`` (DeiT): CE against
    the teacher's argmax. ``alpha`` 0 is plain cross-entropy.
    """
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    if not tau > 0:
        raise ValueError(f"tau must be > 0, got {tau!r}")
    ce = nn.functional.cross_entropy(student, labels, label_smoothing=label_smoothing)
    if hard:
        kd = nn.functional.cross_entropy(student, teacher.argmax(1))
    else:
        kd = nn.functional.kl_div(
            (student / tau).log_softmax(1), (teacher / tau).log_softmax(1),
            reduction="batchmean", log_target=True,
        ) * tau**2  # fmt: skip
    return (1 - alpha) * ce + alpha * kd


def fit_teacher(spec: TeacherSpec, device: str = "cpu") -> tuple[CNNTeacher, dict[str, Any]]:
    """Train a :class:`CNNTeacher` per ``spec`` (AdamW, cosine to 0, the ViT's flips and
    shifts); the model (on CPU, eval mode) and metadata."""
    from paperzoo.core.vit.train import accuracy, augment

    seed_everything(spec.seed)
    data = make_placed("train", spec.data, limit=spec.train_limit)
    test = make_placed("test", spec.data)
    model = CNNTeacher(data.images.shape[1], width=spec.width)
    steps = spec.epochs * math.ceil(len(data) / spec.batch_size)
    holder: dict[str, Any] = {}

    def make_opt(params: list[nn.Parameter]) -> torch.optim.Optimizer:
        opt = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay)
        holder["sched"] = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps))
        )
        return opt

    def loss_fn(m: nn.Module, x: Tensor, y: Tensor) -> Tensor:
        return nn.functional.cross_entropy(m(augment(x, spec.flip, spec.shift)), y)

    cfg = TrainConfig(spec.epochs, spec.batch_size, spec.lr, spec.weight_decay, spec.seed, device)
    start = time.perf_counter()
    result = train(model, data.dataset(), loss_fn, cfg, make_opt, lambda *_: holder["sched"].step())
    seconds = time.perf_counter() - start
    model.cpu().eval()
    meta = {
        "spec_key": spec.key(),
        "train_seconds": seconds,
        "epoch_losses": result.epoch_losses,
        "test_accuracy": accuracy(model, test.images, test.labels),
        "in_chans": data.images.shape[1],
    }
    return model, meta


@experiment(
    code=("paperzoo.core.vit.teacher", "paperzoo.core.vit.train", "paperzoo.core.data",
          "paperzoo.core.train"),
    env=(ROOT_ENV,),
    binary=True,
)  # fmt: skip
def _trained_teacher(spec: TeacherSpec) -> dict[str, Any]:
    model, meta = fit_teacher(spec)
    return {"state_dict": model.state_dict(), "meta": meta}


def trained_teacher(spec: TeacherSpec) -> tuple[CNNTeacher, dict[str, Any]]:
    """The cached teacher trained per ``spec`` (training it first if absent), in eval mode."""
    payload = _trained_teacher(spec)
    model = CNNTeacher(payload["meta"]["in_chans"], width=spec.width)
    load_state_dict_checked(model, payload["state_dict"], source=str(_trained_teacher.path(spec)))
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), payload["meta"]
