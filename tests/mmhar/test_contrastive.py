import numpy as np
import pytest
import torch

from paperzoo.mmhar.config import TrainConfig
from paperzoo.mmhar.contrastive import (
    embed,
    info_nce,
    label_subset,
    linear_probe,
    pretrain,
    retrieval,
    retrieval_top1,
    untrained,
)
from paperzoo.mmhar.evaluate import grouped_kfold
from paperzoo.mmhar.modality import Modality, Windows


def test_info_nce_matches_a_numpy_softmax_and_is_symmetric():
    g = torch.Generator().manual_seed(0)
    za, zb = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    a = za.numpy() / np.linalg.norm(za.numpy(), axis=1, keepdims=True)
    b = zb.numpy() / np.linalg.norm(zb.numpy(), axis=1, keepdims=True)
    s = a @ b.T / 0.1

    def ce(m):
        return float(np.mean(np.log(np.exp(m).sum(1)) - np.diag(m)))

    assert info_nce(za, zb, 0.1, symmetric=False).item() == pytest.approx(ce(s), rel=1e-5)
    assert info_nce(za, zb, 0.1).item() == pytest.approx((ce(s) + ce(s.T)) / 2, rel=1e-5)
    assert info_nce(za, za * 3.0).item() < info_nce(za, zb).item()  # scale-free, matched pairs
    with pytest.raises(ValueError, match="equal"):
        info_nce(za, zb[:5])
    with pytest.raises(ValueError, match="temperature"):
        info_nce(za, zb, 0.0)


def test_retrieval_top1_and_stratified_label_subset(synth_windows):
    z = torch.eye(5)
    assert retrieval_top1(z, z) == 1.0 and retrieval_top1(z, z.roll(1, 0)) == 0.0
    idx = label_subset(synth_windows, 0.1, seed=0)
    per_class = np.bincount(synth_windows.y[idx], minlength=6)
    full = np.bincount(synth_windows.y, minlength=6)
    assert (per_class >= 1).all() and np.allclose(per_class, np.maximum(1, np.round(full * 0.1)))
    with pytest.raises(ValueError, match="share"):
        label_subset(synth_windows, 0.0)


def _paired_windows(n=384, seed=0):
    """acc and gyro share a per-window latent (frequency, amplitude); class = frequency bin."""
    rng = np.random.default_rng(seed)
    t = np.arange(64) / 32.0
    f, amp = rng.uniform(0.5, 6.0, n), rng.uniform(0.5, 2.0, n)
    phase = rng.uniform(0, 2 * np.pi, (n, 3, 1))
    wave = amp[:, None, None] * np.sin(2 * np.pi * f[:, None, None] * t + phase)
    acc = wave + rng.normal(0, 0.3, wave.shape)
    gyro = np.roll(wave, 5, axis=2) ** 2 + rng.normal(0, 0.3, wave.shape)
    mods = (Modality("acc", "acc", 3, 32.0), Modality("gyro", "gyro", 3, 32.0))
    y = np.digitize(f, [2.3, 4.2])
    subject = np.arange(n) % 6
    return Windows(mods, ("low", "mid", "high"),
                   {"acc": acc.astype(np.float32), "gyro": gyro.astype(np.float32)},
                   np.ones((n, 2), bool), y, subject, subject, np.arange(n) * 2.0, 2.0)  # fmt: skip


@pytest.mark.slow
def test_pretraining_aligns_modalities_on_held_out_subjects():
    w = _paired_windows()
    train, test = grouped_kfold(w.subject, 3)[0]
    tr, te = w.take(train), w.take(test)
    pre = pretrain(tr, TrainConfig(epochs=15, batch_size=64, seed=0), width=8)
    assert pre.normalization.subjects == set(tr.subject.tolist())
    chance = 1 / 64
    top1 = retrieval(pre, te, 64)
    assert top1 > 3 * chance and top1 > retrieval(untrained(tr, width=8), te, 64)
    feats = embed(pre, te)
    assert feats.shape == (len(te), 2 * 16) and np.isfinite(feats).all()
    pred = linear_probe(embed(pre, tr), tr.y, feats)
    assert (pred == te.y).mean() > 0.6  # chance 1/3
    with pytest.raises(ValueError, match="both modalities present"):
        pretrain(tr.drop(["gyro"]), TrainConfig(epochs=1), width=4)
