"""Bi-MTDP's equations as pure tensor functions (arXiv:2405.14136; the VIB and distillation forms
are our proposal where the paper's body was unavailable, docs/bimtdp.md §2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LOGVAR_RANGE = (-10.0, 5.0)


def vib_sample(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """z = μ + σ ⊙ ε, ε ~ N(0, I) (docs/bimtdp.md §2.4). mu, logvar: [B, C, H, W]."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps  # z = μ + σ ε


def vib_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per pixel, summed over channels, averaged over batch and pixels.

    ½ Σ_c (μ_c² + σ_c² − log σ_c² − 1) (docs/bimtdp.md §2.4).
    """
    kl = 0.5 * (mu**2 + logvar.exp() - logvar - 1)  # ½ (μ² + σ² − log σ² − 1)
    return kl.sum(1).mean()


def feature_kd(student: Tensor, teacher: Tensor) -> Tensor:
    """‖φ(F_s) − φ(F_t)‖² averaged over pixels, φ = per-pixel L2 normalisation over channels.

    docs/bimtdp.md §2.5. student, teacher: [B, C, H, W] (same shape; the teacher is detached).
    """
    if student.shape != teacher.shape:
        raise ValueError(
            f"teacher/student mismatch: feature shapes {tuple(student.shape)} vs "
            f"{tuple(teacher.shape)}"
        )
    diff = F.normalize(student, dim=1) - F.normalize(teacher.detach(), dim=1)
    return diff.pow(2).sum(1).mean()  # ‖φ(F_s) − φ(F_t)‖²


def output_kd(student: Tensor, teacher: Tensor, temperature: float = 2.0) -> Tensor:
    """Pixelwise KL(softmax(t/T) ‖ softmax(s/T))·T² for segmentation logits [B, K, H, W]."""
    t = F.log_softmax(teacher.detach() / temperature, 1)
    s = F.log_softmax(student / temperature, 1)
    return (t.exp() * (t - s)).sum(1).mean() * temperature**2


def delta_m(
    model: dict[str, float], baseline: dict[str, float], lower_better: dict[str, bool]
) -> float:
    """Δ_m = (1/T) Σ_t (−1)^{l_t} (M_m,t − M_b,t) / M_b,t (a fraction; docs/bimtdp.md §2.7)."""
    tasks = list(baseline)
    missing = [t for t in tasks if t not in model]
    if missing:
        raise ValueError(f"tasks: model lacks metrics for {missing}")
    terms = [
        (-1.0 if lower_better[t] else 1.0) * (model[t] - baseline[t]) / baseline[t] for t in tasks
    ]
    return float(sum(terms) / len(terms))


def gaussianity(z: Tensor) -> dict[str, float]:
    """Per-channel skewness and excess kurtosis over all pixels of z [B, C, H, W].

    Returns the medians over channels of |skew| and |excess kurtosis| (0 for a Gaussian).
    """
    x = z.detach().double().transpose(0, 1).flatten(1)  # [C, B·H·W]
    x = x - x.mean(1, keepdim=True)
    var = x.pow(2).mean(1).clamp(min=1e-12)
    skew = x.pow(3).mean(1) / var**1.5  # E[(x − μ)³] / σ³
    kurt = x.pow(4).mean(1) / var**2 - 3  # E[(x − μ)⁴] / σ⁴ − 3
    return {
        "abs_skew": float(skew.abs().median()),
        "abs_kurtosis": float(kurt.abs().median()),
    }
