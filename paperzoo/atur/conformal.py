"""Split conformal prediction: THR/LAC, APS, RAPS, temperature scaling, splits and metrics.

APS: Romano et al. 2020; RAPS: Angelopoulos et al. 2021 (the paper's evaluation code is a copy of
theirs, with Platt temperature scaling); THR/LAC: Sadinle et al. 2019 (our addition). Scores are
non-conformity scores: a class enters the set when its score is ≤ q̂. Probabilities ``[N, K]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.atur.config import CPConfig

#: set-size strata for size-stratified coverage (Angelopoulos et al. 2021), inclusive bounds
SIZE_STRATA = ((0, 1), (2, 3), (4, 6), (7, 10), (11, 100), (101, 1_000_000))


def fit_temperature(logits: Tensor, labels: Tensor, max_iter: int = 100) -> float:
    """Temperature T > 0 minimising the NLL of softmax(logits / T) (Guo et al. 2017), float64."""
    z, y = logits.detach().double(), labels
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return float(log_t.detach().exp().clamp(1e-3, 1e3))


def thr_scores(probs: Tensor) -> Tensor:
    """THR/LAC non-conformity s(x, k) = 1 − p_k(x), ``[N, K] -> [N, K]``."""
    return 1.0 - probs


def aps_scores(probs: Tensor, u: Tensor | None = None) -> Tensor:
    """APS s(x, k) = Σ_{j: p_j > p_k} p_j + u·p_k; ``u=None`` is the non-randomised u = 1.

    ``u``: ``[N]`` uniform draws, one per sample. ``[N, K] -> [N, K]``.
    """
    p_sorted, order = probs.sort(1, descending=True)
    above = p_sorted.cumsum(1) - p_sorted  # mass of the classes ranked strictly above
    u_ = 1.0 if u is None else u[:, None]
    return torch.empty_like(probs).scatter_(1, order, above + u_ * p_sorted)


def raps_scores(probs: Tensor, u: Tensor | None, lam: float, k_reg: int) -> Tensor:
    """RAPS s(x, k) = APS(x, k) + λ·(o_x(k) − k_reg)⁺, o_x(k) the 1-based rank of class k."""
    order = probs.argsort(1, descending=True)
    rank = torch.empty_like(order).scatter_(
        1, order, torch.arange(1, probs.shape[1] + 1, device=probs.device).expand_as(order)
    )
    return aps_scores(probs, u) + lam * (rank - k_reg).clamp(min=0).to(probs.dtype)


def min_calibration_size(alpha: float) -> int:
    """Smallest n with ⌈(n+1)(1−α)⌉ ≤ n, i.e. n ≥ (1−α)/α."""
    return max(1, math.ceil((1 - alpha) / alpha - 1e-9))


def conformal_quantile(scores: Tensor, alpha: float, method: str = "finite-sample") -> float:
    """q̂: the ⌈(n+1)(1−α)⌉-th smallest score (``finite-sample``), or the 'higher' empirical
    (1−α)-quantile without the (n+1) correction (``code``, as the official code)."""
    n = scores.numel()
    if n < min_calibration_size(alpha):
        raise ValueError(
            f"alpha: a calibration set of {n} is too small for alpha={alpha}; "
            f"need at least {min_calibration_size(alpha)} samples"
        )
    if method == "finite-sample":
        k = math.ceil((n + 1) * (1 - alpha) - 1e-9)
    else:
        k = math.ceil((n - 1) * (1 - alpha) - 1e-9) + 1
    return float(scores.flatten().kthvalue(k).values)


@dataclass(frozen=True)
class Calibration:
    """What calibration learns: threshold q̂, temperature T, the sample size and α."""

    q_hat: float
    temperature: float
    n: int
    alpha: float


class SplitConformal:
    """Split CP with one non-conformity score: ``calibrate(logits, y)`` then ``predict``.

    Results are returned, never kept on the instance. Randomised scores draw one U(0, 1) per
    sample from ``generator``.
    """

    def __init__(self, cfg: CPConfig) -> None:
        self.cfg = cfg

    def scores(self, probs: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Non-conformity score of every class, ``[N, K] -> [N, K]``."""
        c = self.cfg
        if c.score == "thr":
            return thr_scores(probs)
        u = None
        if c.randomized:
            u = torch.rand(probs.shape[0], generator=generator, dtype=probs.dtype)
            u = u.to(probs.device)
        if c.score == "aps":
            return aps_scores(probs, u)
        return raps_scores(probs, u, c.raps_lambda, c.raps_k_reg)

    def calibrate(
        self, logits: Tensor, labels: Tensor, generator: torch.Generator | None = None
    ) -> Calibration:
        """Fit T (if enabled) and q̂ on calibration logits ``[n, K]`` and labels ``[n]``."""
        _check_logits(logits, labels)
        temperature = fit_temperature(logits, labels) if self.cfg.temperature_scaling else 1.0
        probs = (logits.double() / temperature).softmax(1)
        s = self.scores(probs, generator).gather(1, labels[:, None]).squeeze(1)
        q_hat = conformal_quantile(s, self.cfg.alpha, self.cfg.quantile)
        return Calibration(q_hat, temperature, labels.numel(), self.cfg.alpha)

    def predict(
        self,
        calibration: Calibration,
        logits: Tensor,
        generator: torch.Generator | None = None,
        q_scale: float = 1.0,
    ) -> Tensor:
        """Prediction sets as a bool mask ``[N, K]``; ``q_scale`` multiplies q̂ (for curves)."""
        _check_logits(logits)
        probs = (logits.double() / calibration.temperature).softmax(1)
        sets = self.scores(probs, generator) <= calibration.q_hat * q_scale
        if not self.cfg.allow_zero_sets:
            sets[torch.arange(len(sets)), probs.argmax(1)] = True
        return sets


def _check_logits(logits: Tensor, labels: Tensor | None = None) -> None:
    if logits.dim() != 2 or not torch.isfinite(logits).all():
        raise ValueError(
            f"logits: expected a finite [N, K] tensor, got shape {tuple(logits.shape)}"
        )
    if labels is not None:
        if labels.shape != logits.shape[:1]:
            raise ValueError(
                f"labels: expected shape {tuple(logits.shape[:1])}, got {tuple(labels.shape)}"
            )
        if labels.numel() and (labels.min() < 0 or labels.max() >= logits.shape[1]):
            raise ValueError(
                f"labels: must lie in [0, {logits.shape[1]}), got "
                f"[{int(labels.min())}, {int(labels.max())}]"
            )


def coverage(sets: Tensor, labels: Tensor) -> float:
    """Fraction of samples whose true label is in its set."""
    return float(sets.gather(1, labels[:, None]).float().mean())


def size_stratified_coverage(
    sets: Tensor, labels: Tensor, strata: tuple[tuple[int, int], ...] = SIZE_STRATA
) -> dict[str, tuple[float, int]]:
    """``{"lo-hi": (coverage, count)}`` for each set-size stratum that holds samples."""
    sizes = sets.sum(1)
    covered = sets.gather(1, labels[:, None]).squeeze(1).float()
    out = {}
    for lo, hi in strata:
        mask = (sizes >= lo) & (sizes <= hi)
        if mask.any():
            out[f"{lo}-{hi}"] = (float(covered[mask].mean()), int(mask.sum()))
    return out


@dataclass(frozen=True)
class CPResult:
    """Per-split coverage, mean set size and worst size-stratified coverage, plus curves."""

    num_classes: int
    coverage: np.ndarray
    size: np.ndarray
    ssc_min: np.ndarray
    curve_q_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curve_coverage: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curve_size: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def summary(self, prefix: str = "") -> dict[str, float]:
        """Mean and sd over splits: coverage, PSS, PSS/K, worst stratum coverage."""
        return {
            f"{prefix}coverage": float(self.coverage.mean()),
            f"{prefix}coverage_sd": float(self.coverage.std(ddof=1))
            if len(self.coverage) > 1
            else 0.0,
            f"{prefix}pss": float(self.size.mean()),
            f"{prefix}pss_sd": float(self.size.std(ddof=1)) if len(self.size) > 1 else 0.0,
            f"{prefix}pss_over_k": float(self.size.mean() / self.num_classes),
            f"{prefix}ssc_min": float(np.nanmean(self.ssc_min)),
        }


def evaluate_splits(
    cal_logits: Tensor,
    test_logits: Tensor,
    labels: Tensor,
    cfg: CPConfig,
    seed: int = 0,
    min_stratum: int = 20,
    curve_points: int = 0,
) -> CPResult:
    """Repeated calibration/test splits of N samples; ``cal_logits``/``test_logits`` ``[N, K]``.

    Calibrate on ``cal_logits`` of the calibration part and predict on ``test_logits`` of the rest:
    pass attacked logits twice for the paper's known-attack setting, clean then attacked for clean
    calibration. ``curve_points`` > 0 records coverage and size at q̂ × linspace(0.9, 1.1).
    """
    _check_logits(cal_logits, labels)
    _check_logits(test_logits, labels)
    n = labels.numel()
    n_cal = round(cfg.cal_fraction * n)
    if n_cal < min_calibration_size(cfg.alpha) or n - n_cal < 1:
        raise ValueError(
            f"alpha: {n} samples give a calibration split of {n_cal}, too small for "
            f"alpha={cfg.alpha}; need at least {min_calibration_size(cfg.alpha)} for calibration"
        )
    cp = SplitConformal(cfg)
    generator = torch.Generator().manual_seed(seed)
    q_scales = np.linspace(0.9, 1.1, curve_points) if curve_points else np.zeros(0)
    cov, size, ssc = [], [], []
    curve_cov = np.zeros((cfg.n_splits, len(q_scales)))
    curve_size = np.zeros_like(curve_cov)
    for s in range(cfg.n_splits):
        perm = torch.randperm(n, generator=generator)
        cal, test = perm[:n_cal], perm[n_cal:]
        calibration = cp.calibrate(cal_logits[cal], labels[cal], generator)
        sets = cp.predict(calibration, test_logits[test], generator)
        cov.append(coverage(sets, labels[test]))
        size.append(float(sets.sum(1).double().mean()))
        strata = size_stratified_coverage(sets, labels[test])
        ssc.append(min((c for c, k in strata.values() if k >= min_stratum), default=np.nan))
        for j, q in enumerate(q_scales):
            curve_sets = cp.predict(calibration, test_logits[test], generator, q_scale=float(q))
            curve_cov[s, j] = coverage(curve_sets, labels[test])
            curve_size[s, j] = float(curve_sets.sum(1).double().mean())
    return CPResult(
        test_logits.shape[1],
        np.array(cov),
        np.array(size),
        np.array(ssc),
        q_scales,
        curve_cov.mean(0),
        curve_size.mean(0),
    )
