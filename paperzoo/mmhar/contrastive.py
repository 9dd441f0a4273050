"""IMU2CLIP-style cross-modal contrastive pretraining (acc ↔ gyro) and linear-probe evaluation
(docs/mmhar.md §2.8).

Two per-modality encoders with projection heads are trained without labels so that the acc and
gyro embeddings of the same window match: symmetric InfoNCE on L2-normalised projections, the
other windows of the batch as negatives. The frozen encoders' concatenated features are then
read by a linear probe (multinomial logistic regression) fitted on a small labelled subset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch import Tensor, nn

from paperzoo.core.runtime import eval_mode, seed_everything, torch_threads
from paperzoo.mmhar.config import TrainConfig
from paperzoo.mmhar.modality import Normalization, Windows
from paperzoo.mmhar.models import CNNEncoder


def info_nce(za: Tensor, zb: Tensor, temperature: float = 0.1, symmetric: bool = True) -> Tensor:
    """InfoNCE between paired embeddings ``[B, D]``: with $\\hat z = z/\\lVert z\\rVert$ and
    $s_{ij} = \\hat z^a_i \\cdot \\hat z^b_j/\\tau$, $\\mathcal L = -\\frac1B\\sum_i \\log
    \\mathrm{softmax}_j(s_{ij})_{j=i}$, averaged with the b→a direction when ``symmetric``.
    docs/mmhar.md §2.8"""
    if za.shape != zb.shape or za.ndim != 2:
        raise ValueError(f"za, zb: expected equal [B, D], got {list(za.shape)}, {list(zb.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    logits = F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T / temperature
    target = torch.arange(len(za), device=za.device)
    loss = F.cross_entropy(logits, target)
    return (loss + F.cross_entropy(logits.T, target)) / 2 if symmetric else loss


def retrieval_top1(za: Tensor, zb: Tensor) -> float:
    """Share of rows ``i`` whose nearest ``zb`` (cosine) to ``za[i]`` is ``zb[i]``
    (chance: ``1/B``). docs/mmhar.md §2.8"""
    sim = F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T
    return float((sim.argmax(1) == torch.arange(len(za))).float().mean())


class CrossModalEncoder(nn.Module):
    """One :class:`CNNEncoder` and a 2-layer projection head per modality."""

    def __init__(self, channels: tuple[int, ...], width: int = 16, dim: int = 32):
        super().__init__()
        self.encoders = nn.ModuleList([CNNEncoder(c, width) for c in channels])
        d = self.encoders[0].out_dim
        self.heads = nn.ModuleList(
            [nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, dim)) for _ in channels]
        )

    def features(self, xs: list[Tensor]) -> list[Tensor]:
        return [e(x) for e, x in zip(self.encoders, xs, strict=True)]

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        return [h(f) for h, f in zip(self.heads, self.features(xs), strict=True)]


@dataclass(frozen=True, eq=False)
class Pretrained:
    """Contrastively pretrained encoders with the normalisation of their training windows."""

    model: CrossModalEncoder
    names: tuple[str, str]
    normalization: Normalization


def _pair(windows: Windows, names: tuple[str, str]) -> list[Tensor]:
    check = windows.present[:, [windows.names.index(n) for n in names]]
    if not check.all():
        raise ValueError("windows: contrastive pairs need both modalities present in every window")
    return [torch.from_numpy(windows.x[n]) for n in names]


def pretrain(
    windows: Windows,
    train_cfg: TrainConfig,
    names: tuple[str, str] = ("acc", "gyro"),
    width: int = 16,
    temperature: float = 0.1,
) -> Pretrained:
    """Cross-modal contrastive pretraining on ``windows`` (labels unused)."""
    if len(windows) < 2:
        raise ValueError("windows: need at least 2 windows for contrastive pairs")
    w = windows.select(list(names))
    norm = Normalization.fit(w)
    xs = _pair(norm.apply(w), names)
    generator = seed_everything(train_cfg.seed)
    with torch_threads(train_cfg.threads):
        model = CrossModalEncoder(tuple(x.shape[1] for x in xs), width)
        opt = torch.optim.AdamW(
            model.parameters(), lr=train_cfg.lr, weight_decay=train_cfg.weight_decay
        )
        batch = min(train_cfg.batch_size, len(w))
        per_epoch = len(w) // batch
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, train_cfg.lr, total_steps=train_cfg.epochs * per_epoch
        )
        model.train()
        for _ in range(train_cfg.epochs):
            order = torch.randperm(len(w), generator=generator)[: per_epoch * batch]
            for idx in order.view(per_epoch, batch):
                za, zb = model([x[idx] for x in xs])
                loss = info_nce(za, zb, temperature)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
        model.eval()
    return Pretrained(model, names, norm)


def untrained(
    windows: Windows, names: tuple[str, str] = ("acc", "gyro"), width: int = 16, seed: int = 0
) -> Pretrained:
    """Randomly initialised encoders (the linear probe's control), normalised like
    :func:`pretrain`."""
    w = windows.select(list(names))
    seed_everything(seed)
    model = CrossModalEncoder(tuple(w.x[n].shape[1] for n in names), width).eval()
    return Pretrained(model, names, Normalization.fit(w))


def _encode(pre: Pretrained, windows: Windows, project: bool) -> list[Tensor]:
    xs = _pair(pre.normalization.apply(windows.select(list(pre.names))), pre.names)
    with torch.inference_mode(), eval_mode(pre.model):
        return pre.model(xs) if project else pre.model.features(xs)


def embed(pre: Pretrained, windows: Windows) -> np.ndarray:
    """Frozen encoder features of both modalities, concatenated: ``[N, 2·D]``."""
    return torch.cat(_encode(pre, windows, project=False), 1).numpy()


def retrieval(pre: Pretrained, windows: Windows, gallery: int = 256, seed: int = 0) -> float:
    """acc → gyro top-1 retrieval among ``gallery`` random windows of ``windows``."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(windows), min(gallery, len(windows)), replace=False)
    za, zb = _encode(pre, windows.take(pick), project=True)
    return retrieval_top1(za, zb)


def linear_probe(
    train_features: np.ndarray, y: np.ndarray, test_features: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Predicted classes of a standardised multinomial logistic regression (the linear probe)."""
    mu, sd = train_features.mean(0), train_features.std(0) + 1e-6
    probe = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    probe.fit((train_features - mu) / sd, y)
    return probe.predict((test_features - mu) / sd)


def label_subset(windows: Windows, share: float, seed: int = 0) -> np.ndarray:
    """Indices of ``share`` of the windows, stratified by class (at least one per class)."""
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share!r}")
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(windows.y):
        idx = np.flatnonzero(windows.y == c)
        picks.append(rng.choice(idx, max(1, int(round(share * len(idx)))), replace=False))
    return np.sort(np.concatenate(picks))
