"""Training losses: PGD-AT, TRADES, MART, FAT and the AT-UR terms, as pure tensor functions.

Paper: Liu et al., "The Pitfalls and Promise of Conformal Inference Under Adversarial Attacks",
ICML 2024, arXiv:2405.08886. We had no verified equation numbering for the paper, so each formula's
comment names it (``# Eq. AT-UR weight``) and points to docs/atur.md §2.2; baselines
cite their own papers (TRADES: Zhang et al. 2019; MART: Wang et al. 2020; FAT: Xu et al. 2021).
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
    return (logits > true).sum(1)  # r = |{k : z_k > z_y}|


def beta_weight(rank: Tensor, denominator: int, a: float = 1.1, b: float = 5.0) -> Tensor:
    """AT-UR rank weight w = 1 + Beta-pdf(r / denominator; a, b), ``int [B] -> float [B]``.

    The +1 shift is the official code's; ``denominator`` is K (the code hard-codes 100).
    """
    r_hat = rank.double() / denominator
    log_beta_fn = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    log_pdf = torch.xlogy(a - 1, r_hat) + torch.xlogy(b - 1, 1 - r_hat) - log_beta_fn
    return (
        1 + torch.exp(log_pdf)
    ).float()  # Eq. AT-UR weight: w = 1 + r̂^(a−1)(1−r̂)^(b−1) / B(a, b)


def entropy(logits: Tensor) -> Tensor:
    """Shannon entropy of softmax(logits) per sample, ``[B, K] -> [B]`` (nats)."""
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(1)  # H(p) = −Σ_k p_k log p_k


def at_ur_loss(logits_adv: Tensor, y: Tensor, weight: Tensor | None, lambda_em: float) -> Tensor:
    """AT-UR objective on adversarial logits: mean(w · CE) + λ_EM · mean(H(softmax(z))).

    ``weight=None`` is w ≡ 1 (AT, AT-EM); ``lambda_em=0`` is AT-Beta / AT. Returns a scalar.
    """
    ce = F.cross_entropy(logits_adv, y, reduction="none")
    weighted = ce.mean() if weight is None else (weight * ce).mean()
    if lambda_em == 0:
        return weighted
    return (
        weighted + lambda_em * entropy(logits_adv).mean()
    )  # Eq. AT-UR loss: mean(w·CE) + λ_EM·mean(H)


def kl_per_sample(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    """KL(softmax(p) ‖ softmax(q)) per sample, ``[B, K] x2 -> [B]``."""
    log_p = F.log_softmax(logits_p, dim=1)
    log_q = F.log_softmax(logits_q, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(1)


def trades_loss(
    logits_clean: Tensor,
    logits_adv: Tensor,
    y: Tensor,
    beta: float = 6.0,
    weight: Tensor | None = None,
) -> Tensor:
    """TRADES: mean_i w_i·[CE(f(x_i), y_i) + β·KL(f(x_i) ‖ f(x̃_i))] (scalar).

    ``weight`` multiplies both terms per sample, as in the paper's TRADES-Beta (docs/atur.md §2.3).
    """
    per_sample = F.cross_entropy(logits_clean, y, reduction="none") + beta * kl_per_sample(
        logits_clean, logits_adv
    )  # Eq. TRADES: CE + β·KL
    return per_sample.mean() if weight is None else (weight * per_sample).mean()


def mart_loss(logits_clean: Tensor, logits_adv: Tensor, y: Tensor, beta: float = 6.0) -> Tensor:
    """MART: BCE(f(x̃), y) + β·KL(f(x) ‖ f(x̃))·(1 − f_y(x)), averaged over the batch."""
    p_adv = logits_adv.softmax(1)
    p_clean = logits_clean.softmax(1)
    wrong = p_adv.masked_fill(F.one_hot(y, p_adv.shape[1]).bool(), -1.0).amax(1)
    bce = F.cross_entropy(logits_adv, y, reduction="none") - torch.log1p(-wrong + 1e-12)
    p_true = p_clean.gather(1, y[:, None]).squeeze(1)
    # Eq. MART: BCE + β·KL·(1 − p_y(x))
    return (bce + beta * kl_per_sample(logits_clean, logits_adv) * (1 - p_true)).mean()


def fat_class_weights(class_error: Tensor, temperature: float = 1.0) -> Tensor:
    """FAT class weights K·softmax(err_c / T), ``[K] -> [K]``; uniform error gives weight 1.

    # deviation: softmax(err / T) sums to 1; the ×K keeps the loss on AT's scale.
    """
    return class_error.numel() * torch.softmax(class_error / temperature, 0)


def per_class_error(logits: Tensor, y: Tensor, num_classes: int) -> tuple[Tensor, Tensor]:
    """(errors, counts) per class in a batch, ``[K]`` each, for the running FAT estimate."""
    wrong = (logits.detach().argmax(1) != y).float()
    errors = torch.zeros(num_classes, device=y.device).index_add_(0, y, wrong)
    counts = torch.zeros(num_classes, device=y.device).index_add_(0, y, torch.ones_like(wrong))
    return errors, counts
