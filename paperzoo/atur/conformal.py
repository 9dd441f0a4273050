"""Split conformal prediction: THR/LAC, APS, RAPS, temperature scaling, splits and metrics.

APS: Romano et al. 2020; RAPS: Angelopoulos et al. 2021 (the paper's evaluation code is a copy of
theirs, with Platt temperature scaling); THR/LAC: Sadinle et al. 2019 (our addition). Scores are
non-conformity scores: a class enters the set when its score is ≤ q̂. Probabilities ``[N, K]``.
Public functions take torch tensors or numpy arrays (converted, on CPU); labels may be any integer
dtype; every result is computed and returned in float64.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paperzoo.atur.config import CPConfig

#: set-size strata for size-stratified coverage (Angelopoulos et al. 2021), inclusive bounds
SIZE_STRATA = ((0, 1), (2, 3), (4, 6), (7, 10), (11, 100), (101, 1_000_000))
#: each row of a probability matrix must sum to 1 within this tolerance
PROB_SUM_TOL = 1e-4
QUANTILE_METHODS = ("finite-sample", "code")

ArrayLike = Tensor | np.ndarray


def _as_tensor(value: object, name: str) -> Tensor:
    """A tensor as is; a numeric numpy array copied into a CPU tensor; anything else refused."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a numeric array, got numpy dtype {value.dtype}")
        return torch.from_numpy(np.array(value))
    raise TypeError(f"{name}: expected a torch.Tensor or numpy.ndarray, got {type(value).__name__}")


def _check_alpha(alpha: object) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")


def _check_finite_nonnegative(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _check_same_device(name: str, t: Tensor, other: str, ref: Tensor) -> None:
    if t.device != ref.device:
        raise ValueError(f"{name}: on device {t.device} but {other} is on {ref.device}")


def _check_float_matrix(value: ArrayLike, name: str) -> Tensor:
    """A finite floating-point ``[N, K]`` tensor."""
    t = _as_tensor(value, name)
    if not t.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point [N, K] array, got dtype {t.dtype}")
    if t.dim() != 2 or t.shape[1] < 1:
        raise ValueError(f"{name}: expected shape [N, K] with K >= 1, got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name}: contains NaN or inf")
    return t


def _check_probs(probs: ArrayLike) -> Tensor:
    """Rows of non-negative probabilities that sum to 1 (within ``PROB_SUM_TOL``)."""
    p = _check_float_matrix(probs, "probs")
    if p.numel() and p.min() < 0:
        raise ValueError(f"probs: probabilities must be >= 0, got min {float(p.min()):.4g}")
    off = (p.double().sum(1) - 1).abs()
    if off.numel() and off.max() > PROB_SUM_TOL:
        row = int(off.argmax())
        raise ValueError(
            f"probs: every row must sum to 1 (within {PROB_SUM_TOL:g}); row {row} sums to "
            f"{float(p[row].double().sum()):.6g} (pass softmax(logits), not logits)"
        )
    return p


def _check_labels(labels: ArrayLike, like: Tensor, what: str = "logits") -> Tensor:
    """Integer class indices ``[N]`` in [0, K) for ``like`` ``[N, K]``, returned as int64."""
    y = _as_tensor(labels, "labels")
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
        raise ValueError(f"labels: expected integer class indices, got dtype {y.dtype}")
    if y.shape != like.shape[:1]:
        raise ValueError(f"labels: expected shape {tuple(like.shape[:1])}, got {tuple(y.shape)}")
    _check_same_device("labels", y, what, like)
    k = like.shape[1]
    if y.numel() and (y.min() < 0 or y.max() >= k):
        raise ValueError(
            f"labels: must lie in [0, {k}) ({what} have K={k}), got "
            f"[{int(y.min())}, {int(y.max())}]"
        )
    return y.long()


def _check_uniforms(u: ArrayLike, like: Tensor) -> Tensor:
    """``[N]`` draws in [0, 1] for the rows of ``like``, in its dtype."""
    t = _as_tensor(u, "u")
    if not t.is_floating_point():
        raise ValueError(f"u: expected floating-point U(0, 1) draws, got dtype {t.dtype}")
    if t.shape != like.shape[:1]:
        raise ValueError(f"u: expected one draw per sample, shape {tuple(like.shape[:1])}, "
                         f"got {tuple(t.shape)}")  # fmt: skip
    _check_same_device("u", t, "the scores", like)
    if t.numel() and not (torch.isfinite(t).all() and t.min() >= 0 and t.max() <= 1):
        raise ValueError("u: draws must lie in [0, 1]")
    return t.to(like.dtype)


def _check_sets(sets: ArrayLike) -> Tensor:
    s = _as_tensor(sets, "sets")
    if s.dtype != torch.bool or s.dim() != 2:
        raise ValueError(
            f"sets: expected a bool mask [N, K], got dtype {s.dtype} shape {tuple(s.shape)}"
        )
    return s


def fit_temperature(logits: ArrayLike, labels: ArrayLike, max_iter: int = 100) -> float:
    """Temperature T > 0 minimising the NLL of softmax(logits / T) (Guo et al. 2017), float64."""
    logits = _check_float_matrix(logits, "logits")
    labels = _check_labels(labels, logits)
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not labels.numel():
        raise ValueError("labels: no samples to fit a temperature on")
    return _fit_temperature(logits, labels, max_iter)


def _fit_temperature(logits: Tensor, labels: Tensor, max_iter: int = 100) -> float:
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


def thr_scores(probs: ArrayLike) -> Tensor:
    """THR/LAC non-conformity s(x, k) = 1 − p_k(x), ``[N, K] -> [N, K]``."""
    return 1.0 - _check_probs(probs)


def aps_scores(probs: ArrayLike, u: ArrayLike | None = None) -> Tensor:
    """APS s(x, k) = Σ_{j: p_j > p_k} p_j + u·p_k; ``u=None`` is the non-randomised u = 1.

    ``u``: ``[N]`` uniform draws, one per sample. ``[N, K] -> [N, K]``.
    """
    p = _check_probs(probs)
    return _aps(p, None if u is None else _check_uniforms(u, p))


def raps_scores(probs: ArrayLike, u: ArrayLike | None, lam: float, k_reg: int) -> Tensor:
    """RAPS s(x, k) = APS(x, k) + λ·(o_x(k) − k_reg)⁺, o_x(k) the 1-based rank of class k."""
    p = _check_probs(probs)
    _check_finite_nonnegative(lam, "lam")
    if isinstance(k_reg, bool) or not isinstance(k_reg, numbers.Integral) or k_reg < 0:
        raise ValueError(f"k_reg must be an integer >= 0, got {k_reg!r}")
    return _raps(p, None if u is None else _check_uniforms(u, p), lam, k_reg)


def _aps(probs: Tensor, u: Tensor | None) -> Tensor:
    p_sorted, order = probs.sort(1, descending=True)
    above = p_sorted.cumsum(1) - p_sorted  # mass of the classes ranked strictly above
    u_ = 1.0 if u is None else u[:, None]
    return torch.empty_like(probs).scatter_(1, order, above + u_ * p_sorted)


def _raps(probs: Tensor, u: Tensor | None, lam: float, k_reg: int) -> Tensor:
    order = probs.argsort(1, descending=True)
    rank = torch.empty_like(order).scatter_(
        1, order, torch.arange(1, probs.shape[1] + 1, device=probs.device).expand_as(order)
    )
    return _aps(probs, u) + lam * (rank - k_reg).clamp(min=0).to(probs.dtype)


def _inclusive_sets(scores: Tensor, q: float) -> Tensor:
    """Classes with score ≤ q plus the first one above q, for scores that grow along the ranking.

    This is ``#{k: s_k ≤ q} + 1`` top-ranked classes (at most K). ``[N, K] -> bool [N, K]``.
    """
    s_sorted, order = scores.sort(dim=1, stable=True)
    previous = torch.cat([s_sorted.new_full((len(s_sorted), 1), -math.inf), s_sorted[:, :-1]], 1)
    return torch.zeros_like(scores, dtype=torch.bool).scatter_(1, order, previous <= q)


def min_calibration_size(alpha: float) -> int:
    """Smallest n with ⌈(n+1)(1−α)⌉ ≤ n, i.e. n ≥ (1−α)/α."""
    _check_alpha(alpha)
    return max(1, math.ceil((1 - alpha) / alpha - 1e-9))


def _check_calibration_size(n: int, alpha: float) -> None:
    if n < min_calibration_size(alpha):
        raise ValueError(
            f"alpha: a calibration set of {n} is too small for alpha={alpha}; "
            f"need at least {min_calibration_size(alpha)} samples"
        )


def conformal_quantile(scores: ArrayLike, alpha: float, method: str = "finite-sample") -> float:
    """q̂: the ⌈(n+1)(1−α)⌉-th smallest score (``finite-sample``), or the 'higher' empirical
    (1−α)-quantile without the (n+1) correction (``code``, as the official code).

    ``scores``: the calibration scores (any shape, flattened); NaN is refused, ±inf is ordered.
    """
    _check_alpha(alpha)
    if method not in QUANTILE_METHODS:
        raise ValueError(f"method must be 'finite-sample' or 'code', got {method!r}")
    scores = _as_tensor(scores, "scores")
    if scores.dtype == torch.bool or scores.is_complex():
        raise ValueError(f"scores: expected real numbers, got dtype {scores.dtype}")
    if torch.isnan(scores).any():
        raise ValueError(
            f"scores: {int(torch.isnan(scores).sum())} of {scores.numel()} calibration scores "
            "are NaN"
        )
    n = scores.numel()
    _check_calibration_size(n, alpha)
    if method == "finite-sample":
        k = math.ceil((n + 1) * (1 - alpha) - 1e-9)
    else:
        k = math.ceil((n - 1) * (1 - alpha) - 1e-9) + 1
    return float(scores.flatten().double().kthvalue(k).values)


@dataclass(frozen=True)
class Calibration:
    """What calibration learns: threshold q̂, temperature T, the sample size and α, plus the
    score and class count it belongs to (``predict`` refuses logits or configs that differ)."""

    q_hat: float
    temperature: float
    n: int
    alpha: float
    num_classes: int
    score: str

    def __post_init__(self) -> None:
        if math.isnan(self.q_hat):
            raise ValueError("q_hat must be a number, got nan")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a finite number > 0, got {self.temperature!r}")
        _check_alpha(self.alpha)
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ValueError(f"num_classes must be an integer >= 1, got {self.num_classes!r}")


class SplitConformal:
    """Split CP with one non-conformity score: ``calibrate(logits, y)`` then ``predict``.

    Results are returned, never kept on the instance. Randomised scores draw one U(0, 1) per
    sample from ``generator``, or take them from ``u`` (``[N]`` draws, e.g. another library's:
    MAPIE's APS score is mass up to and including k minus u'·p_k, so pass u = 1 − u').
    Non-randomised APS/RAPS sets follow ``cfg.set_rule`` (see :class:`CPConfig`).
    """

    def __init__(self, cfg: CPConfig) -> None:
        self.cfg = cfg

    def scores(
        self,
        probs: ArrayLike,
        generator: torch.Generator | None = None,
        u: ArrayLike | None = None,
    ) -> Tensor:
        """Non-conformity score of every class, ``[N, K] -> [N, K]``."""
        p = _check_probs(probs)
        return self._scores(p, self._uniforms(p, generator, u))

    def _uniforms(
        self, probs: Tensor, generator: torch.Generator | None, u: ArrayLike | None
    ) -> Tensor | None:
        """One U(0, 1) per row of ``probs`` for randomised APS/RAPS, else None."""
        c = self.cfg
        randomised = c.randomized and c.score != "thr"
        if u is not None:
            if not randomised:
                raise ValueError(
                    f"u: only randomised APS/RAPS use uniforms, but score={c.score!r} and "
                    f"randomized={c.randomized}"
                )
            if generator is not None:
                raise ValueError("u: pass either u or generator, not both")
            return _check_uniforms(u, probs)
        if not randomised:
            return None
        draws = torch.rand(probs.shape[0], generator=generator, dtype=probs.dtype)
        return draws.to(probs.device)

    def _scores(self, probs: Tensor, u: Tensor | None) -> Tensor:
        c = self.cfg
        if c.score == "thr":
            return 1.0 - probs
        if c.score == "aps":
            return _aps(probs, u)
        return _raps(probs, u, c.raps_lambda, c.raps_k_reg)

    def calibrate(
        self,
        logits: ArrayLike,
        labels: ArrayLike,
        generator: torch.Generator | None = None,
        u: ArrayLike | None = None,
    ) -> Calibration:
        """Fit T (if enabled) and q̂ on calibration logits ``[n, K]`` and labels ``[n]``."""
        logits = _check_float_matrix(logits, "logits")
        labels = _check_labels(labels, logits)
        _check_calibration_size(len(labels), self.cfg.alpha)
        t = _fit_temperature(logits, labels) if self.cfg.temperature_scaling else 1.0
        probs = (logits.double() / t).softmax(1)
        s = self._scores(probs, self._uniforms(probs, generator, u))
        q_hat = conformal_quantile(s.gather(1, labels[:, None]), self.cfg.alpha, self.cfg.quantile)
        return Calibration(
            q_hat, t, labels.numel(), self.cfg.alpha, logits.shape[1], self.cfg.score
        )

    def predict(
        self,
        calibration: Calibration,
        logits: ArrayLike,
        generator: torch.Generator | None = None,
        q_scale: float = 1.0,
        u: ArrayLike | None = None,
    ) -> Tensor:
        """Prediction sets as a bool mask ``[N, K]``; ``q_scale`` multiplies q̂ (for curves)."""
        c = self.cfg
        if not isinstance(calibration, Calibration):
            raise TypeError(
                f"calibration: expected a Calibration, got {type(calibration).__name__}"
            )
        if calibration.score != c.score:
            raise ValueError(
                f"calibration: fitted for score {calibration.score!r}, this predictor uses "
                f"{c.score!r}"
            )
        logits = _check_float_matrix(logits, "logits")
        if logits.shape[1] != calibration.num_classes:
            raise ValueError(
                f"logits: K={logits.shape[1]} classes, but the calibration was fitted on "
                f"K={calibration.num_classes}"
            )
        _check_finite_nonnegative(q_scale, "q_scale")
        probs = (logits.double() / calibration.temperature).softmax(1)
        u_ = self._uniforms(probs, generator, u)
        s, q = self._scores(probs, u_), calibration.q_hat * q_scale
        if not c.randomized and c.score != "thr" and c.set_rule == "inclusive":
            return _inclusive_sets(s, q)  # never empty: the top class is always in
        sets = s <= q
        if not c.allow_zero_sets:
            sets[torch.arange(len(sets)), probs.argmax(1)] = True
        return sets


def coverage(sets: ArrayLike, labels: ArrayLike) -> float:
    """Fraction of samples whose true label is in its set (float64); ``sets`` bool ``[N, K]``."""
    sets = _check_sets(sets)
    labels = _check_labels(labels, sets, "sets")
    if not len(sets):
        raise ValueError("sets: no samples, so coverage is undefined")
    return float(sets.gather(1, labels[:, None]).double().mean())


def size_stratified_coverage(
    sets: ArrayLike, labels: ArrayLike, strata: tuple[tuple[int, int], ...] = SIZE_STRATA
) -> dict[str, tuple[float, int]]:
    """``{"lo-hi": (coverage, count)}`` for each set-size stratum that holds samples (float64)."""
    sets = _check_sets(sets)
    labels = _check_labels(labels, sets, "sets")
    sizes = sets.sum(1)
    covered = sets.gather(1, labels[:, None]).squeeze(1).double()
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
    cal_logits: ArrayLike,
    test_logits: ArrayLike,
    labels: ArrayLike,
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
    cal_logits = _check_float_matrix(cal_logits, "cal_logits")
    test_logits = _check_float_matrix(test_logits, "test_logits")
    if test_logits.shape != cal_logits.shape:
        raise ValueError(
            f"test_logits: shape {tuple(test_logits.shape)} differs from cal_logits' "
            f"{tuple(cal_logits.shape)} (one row per sample in both)"
        )
    _check_same_device("test_logits", test_logits, "cal_logits", cal_logits)
    labels = _check_labels(labels, cal_logits, "cal_logits")
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
