"""The multi-task network: FP teacher and binary students share one topology (docs/bimtdp.md §2.3).

stem (FP 3×3) → stage 1 (binary blocks, W1, full res) → FP down (avg-pool 2, 1×1) → stage 2
(binary blocks, W2, half res) → VIB (optional) → FP 1×1 to W1, nearest ×2, + stage-1 skip →
per-task binary decoder block (→ cross-talk module for variant C) → FP 1×1 prediction conv.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.bimtdp.bimtdp import LOGVAR_RANGE, vib_kl, vib_sample
from paperzoo.bimtdp.blocks import BinaryBlock
from paperzoo.bimtdp.config import ModelConfig


def task_channels(task: str, classes: int) -> int:
    return {"semseg": classes, "depth": 1, "normals": 3, "boundary": 1, "saliency": 1}[task]


def _fp_conv1x1(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))


class VIB(nn.Module):
    """Deep VIB layer: 1×1 heads μ(h), log σ²(h); z = μ + σ ε in training, μ at evaluation."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.mu = nn.Conv2d(channels, channels, 1)
        self.logvar = nn.Conv2d(channels, channels, 1)
        nn.init.constant_(self.logvar.bias, -4.0)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = self.mu(h), self.logvar(h).clamp(*LOGVAR_RANGE)
        z = vib_sample(mu, logvar) if self.training else mu
        return z, mu, logvar


class CrossTalk(nn.Module):
    """Binary cross-talk (our Bi-MTDP-C): per-task features → shared binary block → per-task
    spatial attention; F_t ← F_t + sigmoid(a_t(S)) ⊙ S (PAD-Net-style distillation)."""

    def __init__(self, tasks: tuple[str, ...], channels: int, binarizer: str) -> None:
        super().__init__()
        self.tasks = tasks
        self.fuse = _fp_conv1x1(len(tasks) * channels, channels)
        self.block = BinaryBlock(channels, binarizer)
        self.attention = nn.ModuleDict({t: nn.Conv2d(channels, 1, 1) for t in tasks})

    def forward(self, feats: dict[str, Tensor]) -> dict[str, Tensor]:
        shared = self.block(self.fuse(torch.cat([feats[t] for t in self.tasks], 1)))
        return {t: feats[t] + torch.sigmoid(self.attention[t](shared)) * shared for t in self.tasks}


class MultiTaskNet(nn.Module):
    """``forward(rgb)`` → ``{"out": {task: map}, "feat": {name: map}, "kl": scalar, "z": map}``.

    ``feat`` holds stage1, stage2, z and dec_<task> (after the activation) and pre_stage1,
    pre_stage2 and pre_dec_<task> (before it: BN output + shortcut).

    Outputs: semseg logits [B, K, H, W]; depth [B, 1, H, W]; unit normals [B, 3, H, W];
    boundary and saliency logits [B, 1, H, W].
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        b, w1, w2 = cfg.binarizer_name, cfg.width1, cfg.width2
        act = nn.ReLU() if b == "fp" else nn.Hardtanh()
        self.stem = nn.Sequential(
            nn.Conv2d(3, w1, 3, padding=1, bias=False), nn.BatchNorm2d(w1), act
        )
        self.stage1 = nn.Sequential(*(BinaryBlock(w1, b) for _ in range(cfg.blocks1)))
        self.down = nn.Sequential(nn.AvgPool2d(2), _fp_conv1x1(w1, w2))
        self.stage2 = nn.Sequential(*(BinaryBlock(w2, b) for _ in range(cfg.blocks2)))
        self.vib = VIB(w2) if cfg.vib else None
        self.up = _fp_conv1x1(w2, w1)
        self.decoders = nn.ModuleDict({t: BinaryBlock(w1, b) for t in cfg.tasks})
        self.crosstalk = CrossTalk(cfg.tasks, w1, b) if cfg.crosstalk else None
        self.heads = nn.ModuleDict(
            {t: nn.Conv2d(w1, task_channels(t, cfg.classes), 1) for t in cfg.tasks}
        )

    def encode(self, rgb: Tensor) -> tuple[Tensor, Tensor]:
        """Stage-1 and stage-2 features (the encoder the packed model replaces)."""
        s1 = self.stage1(self.stem(rgb))
        return s1, self.stage2(self.down(s1))

    def forward(self, rgb: Tensor) -> dict[str, object]:
        pre1, s1 = _stage(self.stage1, self.stem(rgb))
        pre2, s2 = _stage(self.stage2, self.down(s1))
        kl = rgb.new_zeros(())
        z = s2
        if self.vib is not None:
            z, mu, logvar = self.vib(s2)
            kl = vib_kl(mu, logvar)
        shared = F.interpolate(self.up(z), scale_factor=2, mode="nearest") + s1
        pre_dec = {t: self.decoders[t].pre_activation(shared) for t in self.cfg.tasks}
        dec = {t: self.decoders[t].post(pre_dec[t]) for t in self.cfg.tasks}
        if self.crosstalk is not None:
            dec = self.crosstalk(dec)
        out = {t: self.heads[t](dec[t]) for t in self.cfg.tasks}
        if "normals" in out:
            out["normals"] = F.normalize(out["normals"], dim=1)
        feat = {"stage1": s1, "stage2": s2, "z": z, **{f"dec_{t}": dec[t] for t in dec}}
        feat |= {"pre_stage1": pre1, "pre_stage2": pre2}
        feat |= {f"pre_dec_{t}": pre_dec[t] for t in pre_dec}
        return {"out": out, "feat": feat, "kl": kl, "z": z}


def _stage(blocks: nn.Sequential, x: Tensor) -> tuple[Tensor, Tensor]:
    """Run a stage; return its last block's pre-activation and its output."""
    for block in blocks[:-1]:
        x = block(x)
    pre = blocks[-1].pre_activation(x)
    return pre, blocks[-1].post(pre)


def check_teacher(student: ModelConfig, teacher: ModelConfig) -> None:
    """Refuse a teacher whose tasks or feature widths do not match the student's."""
    problems = []
    if teacher.variant != "fp":
        problems.append(f"teacher variant is {teacher.variant!r}, not 'fp'")
    if set(teacher.tasks) != set(student.tasks):
        problems.append(f"tasks {teacher.tasks} vs {student.tasks}")
    for name in ("width1", "width2", "classes"):
        if getattr(teacher, name) != getattr(student, name):
            problems.append(f"{name} {getattr(teacher, name)} vs {getattr(student, name)}")
    if problems:
        raise ValueError("teacher/student mismatch: " + "; ".join(problems))
