"""The CNN teacher and the distillation loss the full-scale ViT is trained with."""

import math

import pytest
import torch

from paperzoo.core.data.placed import PlacedConfig
from paperzoo.core.vit import train as train_mod
from paperzoo.core.vit.model import ViTConfig
from paperzoo.core.vit.teacher import (
    CNNTeacher,
    TeacherSpec,
    _trained_teacher,
    distillation_loss,
    trained_teacher,
)

DIGITS = PlacedConfig(source="digits")


def test_teacher_maps_images_to_logits():
    torch.manual_seed(0)
    model = CNNTeacher(in_chans=3, num_classes=7, width=4).eval()
    x = torch.rand(5, 3, 32, 32)
    out = model(x)
    assert out.shape == (5, 7)
    assert torch.allclose(model(x[:2]), out[:2], atol=1e-6)  # per-image (eval-mode batch norm)


def test_distillation_loss_soft_hard_and_plain():
    s, t = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([[0.0, 3.0, 0.0]])
    y = torch.tensor([0])
    ce = torch.nn.functional.cross_entropy
    assert torch.isclose(distillation_loss(s, t, y, 0.0, 2.0), ce(s, y))
    assert torch.isclose(distillation_loss(s, t, y, 1.0, 1.0, hard=True), ce(s, torch.tensor([1])))
    p, q = (t / 2).softmax(1), (s / 2).softmax(1)  # KL(teacher || student) at tau = 2, times tau²
    kl = 4 * float((p * (p.log() - q.log())).sum())
    assert math.isclose(float(distillation_loss(s, t, y, 1.0, 2.0)), kl, rel_tol=1e-5)
    assert float(distillation_loss(t, t, y, 1.0, 2.0)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="alpha must be in"):
        distillation_loss(s, t, y, 1.5, 2.0)
    with pytest.raises(ValueError, match="tau must be > 0"):
        distillation_loss(s, t, y, 0.5, 0.0)


def test_teacher_training_is_cached_and_deterministic(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    monkeypatch.setattr(_trained_teacher, "_memory", {})
    spec = TeacherSpec(data=DIGITS, width=4, epochs=1, train_limit=256)
    first, meta = trained_teacher(spec)
    assert _trained_teacher.cached(spec) and 0 <= meta["test_accuracy"] <= 1
    assert not any(p.requires_grad for p in first.parameters()) and not first.training
    _trained_teacher.forget(spec)
    again, _ = trained_teacher(spec)  # retrained from scratch: the same weights
    assert torch.equal(first.head.weight, again.head.weight)


def test_vit_distils_from_the_cached_teacher(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    monkeypatch.setattr(_trained_teacher, "_memory", {})
    teacher = TeacherSpec(data=DIGITS, width=4, epochs=1, train_limit=128)
    spec = train_mod.ViTTrainSpec(
        model=ViTConfig(dim=16, depth=1, heads=2, stem=4), data=DIGITS, epochs=1, batch_size=32,
        train_limit=64, warmup_steps=1, distill=teacher,
    )  # fmt: skip
    _, meta = train_mod.fit_vit(spec)
    assert _trained_teacher.cached(teacher)
    assert meta["teacher_test_accuracy"] == trained_teacher(teacher)[1]["test_accuracy"]
    with pytest.raises(ValueError, match="mixup and distill"):
        train_mod.ViTTrainSpec(data=DIGITS, distill=teacher, mixup=0.2)
    with pytest.raises(ValueError, match="the teacher must be trained on the student's data"):
        train_mod.ViTTrainSpec(distill=teacher)
