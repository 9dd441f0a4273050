"""AT-UR's own equations as pure tensor functions: rank, Beta weight, entropy, AT-UR loss.

Paper: Liu et al., "The Pitfalls and Promise of Conformal Inference Under Adversarial Attacks",
ICML 2024, arXiv:2405.08886. We had no verified equation numbering for the paper, so each formula's
comment names it (``# Eq. AT-UR weight``) and points to docs/atur.md §2.2. The AT baselines the
weight and entropy term are put on (TRADES, MART, FAT) live in :mod:`paperzoo.atur.baselines`.
Logits are ``[B, K]``, labels ``int64 [B]``; per-sample functions return ``[B]``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def true_class_rank(logits: Tensor, y: Tensor) -> Tensor:
    """TCPR: 0-indexed position of ``y`` in the descending order of ``logits`` (no gradient).

    Ties favour the true class: only strictly larger logits rank above it, so a class tied with
    ``y`` does not push it down. ``[B, K] -> int64 [B]``.
    """
    logits = logits.detach()
    true = logits.gather(1, y[:, None])
    return (logits > true).sum(1)  # r = |{k : z_k > z_y}|, docs/atur.md §2.2


def beta_weight(rank: Tensor, denominator: int, a: float = 1.1, b: float = 5.0) -> Tensor:
    """AT-UR rank weight w = 1 + Beta-pdf(r / denominator; a, b), ``int [B] -> float [B]``.

    The +1 shift is the official code's; ``denominator`` is K (the code hard-codes 100).
    """
    r_hat = rank.double() / denominator
    log_beta_fn = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    log_pdf = torch.xlogy(a - 1, r_hat) + torch.xlogy(b - 1, 1 - r_hat) - log_beta_fn
    # Eq. AT-UR weight, docs/atur.md §2.2: w = 1 + r̂^(a−1)(1−r̂)^(b−1) / B(a, b)
    return (1 + torch.exp(log_pdf)).float()


def entropy(logits: Tensor) -> Tensor:
    """Shannon entropy of softmax(logits) per sample, ``[B, K] -> [B]`` (nats)."""
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(1)  # H(p) = −Σ_k p_k log p_k, docs/atur.md §2.2


def weighted_cross_entropy(logits: Tensor, y: Tensor, weight: Tensor | None) -> Tensor:
    """mean_i w_i · CE(z_i, y_i) (scalar); ``weight=None`` is the plain mean (w ≡ 1)."""
    ce = F.cross_entropy(logits, y, reduction="none")
    return ce.mean() if weight is None else (weight * ce).mean()  # docs/atur.md §2.2


def at_ur_loss(logits_adv: Tensor, y: Tensor, weight: Tensor | None, lambda_em: float) -> Tensor:
    """AT-UR objective on adversarial logits: mean(w · CE) + λ_EM · mean(H(softmax(z))).

    ``weight=None`` is w ≡ 1 (AT, AT-EM); ``lambda_em=0`` is AT-Beta / AT. Returns a scalar.
    """
    weighted = weighted_cross_entropy(logits_adv, y, weight)
    if lambda_em == 0:
        return weighted
    # Eq. AT-UR loss, docs/atur.md §2.2: mean(w·CE) + λ_EM·mean(H)
    return weighted + lambda_em * entropy(logits_adv).mean()


def loss_scale_control(logits_adv: Tensor, y: Tensor, weight: Tensor) -> Tensor:
    """The loss-scale control ``at-scale`` (ours): mean(w) · mean(CE), no per-sample reweighting.

    AT's loss on the overall scale of AT-Beta, to separate the Beta weight's effect from its
    raising the effective learning rate (docs/atur.md §2.2).
    """
    return weight.mean() * F.cross_entropy(logits_adv, y)  # w̄ · (1/B) Σ_i CE_i
