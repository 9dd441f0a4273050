"""Frozen, validated configs for attacks, AT-UR training methods and conformal prediction.

Defaults are the paper's (arXiv:2405.08886, as summarised in docs/atur.md §2);
every departure from the paper or its official code is a switch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

Norm = Literal["linf", "l2"]
ScoreName = Literal["thr", "aps", "raps"]

#: every training method name: a base, optionally "-em", "-beta", "-beta-em"; "at-scale" is the
#: loss-scale control (AT loss times the batch-mean Beta weight).
METHODS = (
    "standard",
    "at",
    "at-em",
    "at-beta",
    "at-beta-em",
    "at-scale",
    "fat",
    "fat-em",
    "fat-beta",
    "fat-beta-em",
    "trades",
    "trades-em",
    "trades-beta",
    "trades-beta-em",
    "mart",
)


def from_dict(cls: type, values: dict[str, Any]) -> Any:
    """Build a config dataclass from a mapping; unknown keys raise one ValueError listing them."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"config: unknown keys {unknown} for {cls.__name__} (known: {sorted(known)})"
        )
    return cls(**values)


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class AttackConfig:
    """One evasion attack on inputs in [0, 1].

    ``name``: ``pgd`` (l∞ or l2), ``fgsm``, ``apgd-ce``, ``apgd-t`` or ``aa`` (APGD-CE, then
    APGD-T on the points still robust, which is what the paper's code runs as "AutoAttack").
    ``step_size=None`` means ε/4 (the paper's 2/255 at ε = 8/255) for PGD and 2ε for APGD.
    ``keep_clean_if_robust``: AutoAttack returns the clean input where it fails; PGD returns the
    last iterate. APGD returns its highest-loss iterate unless this flag is set.
    """

    name: Literal["pgd", "fgsm", "apgd-ce", "apgd-t", "aa"] = "pgd"
    eps: float = 8 / 255
    steps: int = 10
    step_size: float | None = None
    norm: Norm = "linf"
    random_start: bool = True
    n_target_classes: int = 9
    rho: float = 0.75
    keep_clean_if_robust: bool = False

    def __post_init__(self) -> None:
        if self.name not in ("pgd", "fgsm", "apgd-ce", "apgd-t", "aa"):
            raise ValueError(f"attack must be pgd, fgsm, apgd-ce, apgd-t or aa, got {self.name!r}")
        _positive("eps", self.eps)
        if self.norm == "linf" and self.eps > 1:
            raise ValueError(
                f"eps must be <= 1 for an l∞ attack on [0, 1] inputs, got {self.eps!r}"
            )
        if self.norm not in ("linf", "l2"):
            raise ValueError(f"norm must be 'linf' or 'l2', got {self.norm!r}")
        if not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {self.steps!r}")
        if self.step_size is not None:
            _positive("step_size", self.step_size)
        if self.n_target_classes < 1:
            raise ValueError(f"n_target_classes must be >= 1, got {self.n_target_classes!r}")
        if not 0 < self.rho < 1:
            raise ValueError(f"rho must be in (0, 1), got {self.rho!r}")

    @property
    def alpha(self) -> float:
        """PGD step size (ε/4 unless given)."""
        return self.step_size if self.step_size is not None else self.eps / 4


def parse_attack(spec: str, eps: float, norm: Norm = "linf") -> AttackConfig | None:
    """``none``, ``fgsm``, ``pgd<N>``, ``pgdl2-<N>``, ``apgd-ce``, ``apgd-t``, ``aa`` -> config.

    Evaluation PGD has no random start, as in the paper's PGD-100; APGD runs 100 iterations.
    """
    spec = spec.strip().lower()
    if spec == "none":
        return None
    if spec == "fgsm":
        return AttackConfig("fgsm", eps=eps, steps=1, step_size=eps, random_start=False)
    if spec in ("apgd-ce", "apgd-t", "aa"):
        return AttackConfig(spec, eps=eps, steps=100, norm=norm)  # type: ignore[arg-type]
    for prefix, p_norm in (("pgdl2-", "l2"), ("pgd", norm)):
        if spec.startswith(prefix) and spec[len(prefix) :].isdigit():
            steps = int(spec[len(prefix) :])
            step = eps / 4 if p_norm == "linf" else 2.5 * eps / steps
            return AttackConfig(
                "pgd", eps=eps, steps=steps, step_size=step, norm=p_norm, random_start=False
            )
    raise ValueError(
        f"attack must be none, fgsm, pgd<N>, pgdl2-<N>, apgd-ce, apgd-t or aa, got {spec!r}"
    )


@dataclass(frozen=True)
class MethodConfig:
    """A training method and the AT-UR options (Beta weight, entropy term).

    ``beta_a``/``beta_b``: Beta(a, b) of the rank weight w = 1 + Beta-pdf(r/K); the paper uses
    a = 1.1, b = 5. ``lambda_em``: entropy weight for the ``-em`` variants (0.3).
    ``rank_denominator``: None divides the rank by K (the official code hard-codes 100).
    ``normalise_weights``: divide w by its batch mean (control; not in the paper).
    """

    method: str = "at-beta-em"
    beta_a: float = 1.1
    beta_b: float = 5.0
    lambda_em: float = 0.3
    trades_beta: float = 6.0
    mart_beta: float = 6.0
    fat_temperature: float = 1.0
    fat_momentum: float = 0.9
    rank_denominator: int | None = None
    normalise_weights: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not self.beta_a >= 1:
            raise ValueError(f"beta_a must be >= 1 (finite weight at rank 0), got {self.beta_a!r}")
        _positive("beta_b", self.beta_b)
        for name in ("lambda_em", "trades_beta", "mart_beta"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        _positive("fat_temperature", self.fat_temperature)
        if not 0 <= self.fat_momentum < 1:
            raise ValueError(f"fat_momentum must be in [0, 1), got {self.fat_momentum!r}")
        if self.rank_denominator is not None and self.rank_denominator < 1:
            raise ValueError(f"rank_denominator must be >= 1, got {self.rank_denominator!r}")

    @property
    def base(self) -> str:
        """``standard``, ``at``, ``fat``, ``trades`` or ``mart``."""
        return self.method.split("-")[0]

    @property
    def uses_beta(self) -> bool:
        return "-beta" in self.method

    @property
    def uses_em(self) -> bool:
        return self.method.endswith("-em")

    @property
    def loss_scale_control(self) -> bool:
        return self.method == "at-scale"

    @property
    def adversarial(self) -> bool:
        return self.base != "standard"


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation for one run: SGD with momentum, LR × 0.1 at the given fractions of training.

    Paper: 60 epochs, batch 128, momentum 0.9, LR × 0.1 at epochs 30 and 50 (fractions 0.5, 5/6).
    ``attack_eps``: training PGD-10 radius (ε/4 steps, random start).
    """

    epochs: int = 60
    batch_size: int = 128
    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_milestones: tuple[float, ...] = (0.5, 5 / 6)
    attack_eps: float = 8 / 255
    attack_steps: int = 10
    seed: int = 0
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "attack_steps"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        _positive("lr", self.lr)
        _positive("attack_eps", self.attack_eps)
        if self.attack_eps > 1:
            raise ValueError(f"attack_eps must be <= 1 on [0, 1] inputs, got {self.attack_eps!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if any(not 0 < m < 1 for m in self.lr_milestones):
            raise ValueError(f"lr_milestones must lie in (0, 1), got {self.lr_milestones!r}")


@dataclass(frozen=True)
class CPConfig:
    """Split conformal prediction, as in the paper's evaluation (docs/atur.md §2.4).

    ``score``: ``thr`` (LAC; not in the paper), ``aps`` or ``raps``. ``randomized`` APS/RAPS draw
    one U(0, 1) per sample. ``quantile``: ``finite-sample`` takes the ⌈(n+1)(1−α)⌉-th smallest
    calibration score (paper text); ``code`` is ``np.quantile(s, 1−α, 'higher')`` (official code).
    ``cal_fraction`` 0.2 gives the paper's calibration:test = 1:4; ``n_splits`` splits per seed.
    ``set_rule`` (non-randomised APS/RAPS only): ``exclusive`` keeps the classes with score ≤ q̂,
    the exact counterpart of the calibration score, so often empty (then the top class unless
    ``allow_zero_sets``). ``inclusive`` (default) adds the class whose cumulative mass crosses q̂:
    Romano et al.'s non-randomised set, what the official APS/RAPS code that the paper's
    evaluation copies returns (``#{s ≤ τ} + 1`` classes), and MAPIE's default; never empty,
    coverage ≥ exclusive's ≥ 1 − α.
    """

    score: ScoreName = "aps"
    alpha: float = 0.1
    randomized: bool = True
    allow_zero_sets: bool = False
    raps_lambda: float = 0.01
    raps_k_reg: int = 5
    temperature_scaling: bool = True
    quantile: Literal["finite-sample", "code"] = "finite-sample"
    cal_fraction: float = 0.2
    n_splits: int = 5
    set_rule: Literal["inclusive", "exclusive"] = "inclusive"

    def __post_init__(self) -> None:
        if self.score not in ("thr", "aps", "raps"):
            raise ValueError(f"score must be 'thr', 'aps' or 'raps', got {self.score!r}")
        if not (isinstance(self.alpha, int | float) and 0 < self.alpha < 1):
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}")
        if not self.raps_lambda >= 0:
            raise ValueError(f"raps_lambda must be >= 0, got {self.raps_lambda!r}")
        if self.raps_k_reg < 0:
            raise ValueError(f"raps_k_reg must be >= 0, got {self.raps_k_reg!r}")
        if self.quantile not in ("finite-sample", "code"):
            raise ValueError(f"quantile must be 'finite-sample' or 'code', got {self.quantile!r}")
        if not 0 < self.cal_fraction < 1:
            raise ValueError(f"cal_fraction must lie in (0, 1), got {self.cal_fraction!r}")
        if self.n_splits < 1:
            raise ValueError(f"n_splits must be >= 1, got {self.n_splits!r}")
        if self.set_rule not in ("inclusive", "exclusive"):
            raise ValueError(f"set_rule must be 'inclusive' or 'exclusive', got {self.set_rule!r}")
        if self.set_rule == "exclusive" and (self.randomized or self.score == "thr"):
            raise ValueError(
                "set_rule: 'exclusive' applies to non-randomised APS/RAPS only, got "
                f"score={self.score!r}, randomized={self.randomized!r}"
            )
