"""Cached runs the claims read (core ``@experiment``), sized by scale (docs/mmhar.md §4).

HAPT protocol: 6 activity classes, 2.56 s windows with 50 % overlap and ≥ 80 % label purity,
subject-wise folds (every split checked by :func:`evaluate.check_split`), normalisation fitted
on the training subjects of each fold. Smoke: subjects 1–6 at 25 Hz, one of 3 grouped folds.
Quick: all 30 subjects at the native 50 Hz, one of 3 grouped folds per seed (fold = seed mod 3:
seeds 0–2 make a complete subject-wise 3-fold CV). Full: all 30 subjects at 50 Hz,
leave-one-subject-out. Scores pool the test predictions of the folds run, then take macro-F1.
The contrastive run (:func:`hapt_contrastive`) uses the same folds at its own rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import confusion_matrix

from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Scale
from paperzoo.mmhar.baselines.features_tree import FeatureTrees
from paperzoo.mmhar.config import ModelConfig, TrainConfig, WindowConfig
from paperzoo.mmhar.contrastive import (
    embed,
    label_subset,
    linear_probe,
    pretrain,
    retrieval,
    untrained,
)
from paperzoo.mmhar.data import HAPT_CLASSES, load_basic_motions, load_hapt
from paperzoo.mmhar.evaluate import check_split, grouped_kfold, loso, scores
from paperzoo.mmhar.fusion import late_fusion
from paperzoo.mmhar.modality import Windows, resample_recording, sliding_windows
from paperzoo.mmhar.training import predict_log_proba, train_model


@dataclass(frozen=True)
class HaptProtocol:
    """Which subjects, at what rate, which folds (``folds=0``: LOSO) and how long to train."""

    subjects: tuple[int, ...]
    rate: float
    folds: int
    all_folds: bool
    epochs: int
    width: int
    trees: int
    batch: int = 64


def hapt_protocol(scale: Scale) -> HaptProtocol:
    return Scale.parse(scale).pick(
        smoke=HaptProtocol(tuple(range(1, 7)), 25.0, 3, False, 1, 8, 20),
        quick=HaptProtocol(tuple(range(1, 31)), 50.0, 3, False, 5, 16, 60),
        full=HaptProtocol(tuple(range(1, 31)), 50.0, 0, True, 10, 24, 200),
    )


def hapt_windows(
    subjects: tuple[int, ...], rate: float, cfg: WindowConfig | None = None
) -> Windows:
    """HAPT windows of ``subjects`` with both modalities resampled to ``rate`` Hz."""
    cfg = cfg or WindowConfig()
    recs = load_hapt(list(subjects))
    if rate != 50.0:
        recs = [resample_recording(r, {"acc": rate, "gyro": rate}) for r in recs]
    return sliding_windows(recs, HAPT_CLASSES, cfg.length_s, cfg.step_s, cfg.purity)


def _folds(w: Windows, proto: HaptProtocol, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    folds = loso(w.subject) if proto.folds == 0 else grouped_kfold(w.subject, proto.folds, seed=0)
    return folds if proto.all_folds else [folds[seed % len(folds)]]


#: the deep variants trained per fold: (name, modalities, model config)
def _variants(width: int) -> dict[str, tuple[tuple[str, ...], ModelConfig]]:
    single = ModelConfig(fusion="concat", width=width, modality_dropout=0.0)
    return {
        "acc": (("acc",), single),
        "gyro": (("gyro",), single),
        "early": (("acc", "gyro"), ModelConfig(fusion="early", width=width, modality_dropout=0.0)),
        "fused": (("acc", "gyro"), ModelConfig(fusion="gated", width=width, modality_dropout=0.3)),
        "fused_nodrop": (
            ("acc", "gyro"),
            ModelConfig(fusion="gated", width=width, modality_dropout=0.0),
        ),
    }


@experiment()
def hapt_fusion(seed: int, scale: Scale) -> dict[str, Any]:
    """Every HAPT variant on the scale's folds: macro-F1 with all modalities, gyro missing and
    acc missing; late fusion from the two unimodal models; features + extra-trees."""
    proto = hapt_protocol(scale)
    w = hapt_windows(proto.subjects, proto.rate)
    train_cfg = TrainConfig(epochs=proto.epochs, batch_size=proto.batch, seed=seed)
    preds: dict[str, list[np.ndarray]] = {}
    ys: list[np.ndarray] = []

    def add(key: str, logp: np.ndarray) -> None:
        preds.setdefault(key, []).append(logp.argmax(1))

    for train, test in _folds(w, proto, seed):
        check_split(w, train, test)
        tr, te = w.take(train), w.take(test)
        ys.append(te.y)
        logps = {}
        for name, (mods, cfg) in _variants(proto.width).items():
            trained = train_model(tr.select(mods), cfg, train_cfg)
            logps[name] = predict_log_proba(trained, te)
            add(name, logps[name])
            if len(mods) == 2:
                add(f"{name}_nogyro", predict_log_proba(trained, te.drop(["gyro"])))
                add(f"{name}_noacc", predict_log_proba(trained, te.drop(["acc"])))
        # late fusion of the two unimodal models, renormalised over the present branches
        stacked = torch.from_numpy(np.stack([logps["acc"], logps["gyro"]], 1))
        both = torch.ones(len(te), 2, dtype=torch.bool)
        only_acc = torch.tensor([True, False]).expand(len(te), 2)
        for mode in ("mean", "product"):
            add(f"late_{mode}", late_fusion(stacked, both, mode).numpy())
        add("late_mean_nogyro", late_fusion(stacked, only_acc, "mean").numpy())
        for fusion in ("early", "late"):
            trees = FeatureTrees(fusion, proto.trees, seed)
            forests = trees.fit(tr)
            add(f"trees_{fusion}", np.log(trees.predict_proba(forests, te) + 1e-12))
            add(
                f"trees_{fusion}_nogyro",
                np.log(trees.predict_proba(forests, te.drop(["gyro"])) + 1e-12),
            )
    y = np.concatenate(ys)
    k = len(w.classes)
    out: dict[str, Any] = {
        "n_test_windows": float(len(y)),
        "n_subjects": float(len(proto.subjects)),
    }
    for key, parts in preds.items():
        pred = np.concatenate(parts)
        s = scores(y, pred, k)
        out[f"{key}_macro_f1"] = s["macro_f1"]
        out[f"{key}_accuracy"] = s["accuracy"]
        if key == "fused":
            out["fused_confusion"] = confusion_matrix(y, pred, labels=list(range(k))).tolist()
    out["classes"] = list(w.classes)
    return out


def basic_motions_protocol(scale: Scale) -> tuple[int, int]:
    """(epochs, width) for BasicMotions."""
    return Scale.parse(scale).pick(smoke=(15, 8), quick=(40, 16), full=(60, 24))


@experiment(libraries=("torch", "numpy", "scipy", "aeon"))
def basic_motions(seed: int, scale: Scale) -> dict[str, float]:
    """Accuracy on BasicMotions' official test split of each single modality and fusion."""
    epochs, width = basic_motions_protocol(scale)
    split = load_basic_motions()
    train_cfg = TrainConfig(epochs=epochs, batch_size=16, seed=seed)
    out = {}
    variants = {
        "acc": (("acc",), ModelConfig(fusion="concat", width=width, modality_dropout=0.0)),
        "gyro": (("gyro",), ModelConfig(fusion="concat", width=width, modality_dropout=0.0)),
        **{
            f: (("acc", "gyro"), ModelConfig(fusion=f, width=width, modality_dropout=0.0))
            for f in ("early", "concat", "gated", "attention", "late-mean")
        },
    }
    for name, (mods, cfg) in variants.items():
        trained = train_model(split.train.select(mods), cfg, train_cfg)
        pred = predict_log_proba(trained, split.test).argmax(1)
        out[f"{name}_accuracy"] = float((pred == split.test.y).mean())
    return out


@dataclass(frozen=True)
class ContrastiveProtocol:
    """HAPT subset and rate, grouped folds (one per seed), pretraining epochs and batch, the
    labelled share, and the supervised baseline's epochs."""

    subjects: tuple[int, ...]
    rate: float
    folds: int
    pretrain_epochs: int
    batch: int
    label_share: float
    supervised_epochs: int
    width: int


def contrastive_protocol(scale: Scale) -> ContrastiveProtocol:
    return Scale.parse(scale).pick(
        smoke=ContrastiveProtocol(tuple(range(1, 7)), 25.0, 3, 1, 128, 0.1, 10, 8),
        quick=ContrastiveProtocol(tuple(range(1, 31)), 25.0, 3, 4, 128, 0.1, 30, 16),
        full=ContrastiveProtocol(tuple(range(1, 31)), 50.0, 5, 20, 256, 0.1, 60, 16),
    )


@experiment()
def hapt_contrastive(seed: int, scale: Scale) -> dict[str, float]:
    """Cross-modal (acc ↔ gyro) InfoNCE pretraining on the training subjects' unlabelled
    windows, then a linear probe on ``label_share`` of their labels, against a supervised gated
    model and a probe on untrained encoders with the same labels; test on held-out subjects."""

    proto = contrastive_protocol(scale)
    w = hapt_windows(proto.subjects, proto.rate)
    train, test = grouped_kfold(w.subject, proto.folds, seed=0)[seed % proto.folds]
    check_split(w, train, test)
    tr, te = w.take(train), w.take(test)
    labelled = tr.take(label_subset(tr, proto.label_share, seed))
    k = len(w.classes)
    pre_cfg = TrainConfig(epochs=proto.pretrain_epochs, batch_size=proto.batch, seed=seed)
    pre = pretrain(tr, pre_cfg, width=proto.width)
    control = untrained(tr, width=proto.width, seed=seed)
    out = {
        "n_subjects": float(len(proto.subjects)),
        "n_test_windows": float(len(te)),
        "n_labelled": float(len(labelled)),
        "n_pretrain": float(len(tr)),
        "retrieval_top1": retrieval(pre, te, 256, seed),
        "retrieval_chance": 1.0 / min(256, len(te)),
    }
    for name, model in (("probe", pre), ("random_probe", control)):
        pred = linear_probe(embed(model, labelled), labelled.y, embed(model, te), seed)
        out[f"{name}_macro_f1"] = scores(te.y, pred, k)["macro_f1"]
    sup_cfg = TrainConfig(epochs=proto.supervised_epochs, batch_size=32, seed=seed)
    sup = train_model(labelled, ModelConfig(width=proto.width, modality_dropout=0.0), sup_cfg)
    out["supervised_macro_f1"] = scores(te.y, predict_log_proba(sup, te).argmax(1), k)["macro_f1"]
    return out
