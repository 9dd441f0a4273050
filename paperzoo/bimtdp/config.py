"""Typed, validated options: the model variant, training and data (docs/bimtdp.md §2.3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from paperzoo.bimtdp.data import TASKS

NYUD_TASKS = ("semseg", "depth", "normals", "boundary")
#: fp: full-precision teacher; naive: sign + clipped STE, no shortcuts; bnn: IR-Net blocks;
#: ib: bnn + VIB; kd: bnn + feature KD at the backbone output; f: Bi-MTDP-F (VIB + multi-scale
#: KD); c: Bi-MTDP-C (f + binary cross-talk module). Our reading of the variants: §3.1.
VARIANTS = ("fp", "naive", "bnn", "ib", "kd", "f", "c")
BINARIZER_NAMES = ("fp", "naive", "irnet", "reactnet", "bidense")
LOWER_BETTER = {
    "semseg": False,
    "depth": True,
    "normals": True,
    "boundary": False,
    "saliency": False,
}


def check_tasks(tasks: tuple[str, ...]) -> tuple[str, ...]:
    """``tasks`` validated: known names, no repeats, at least one."""
    if not tasks:
        raise ValueError("tasks: need at least one task")
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"tasks: unknown {unknown} (known: {', '.join(TASKS)})")
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks: repeated names in {tasks}")
    return tuple(tasks)


@dataclass(frozen=True)
class ModelConfig:
    """A multi-task dense predictor: FP stem, two binary stages, optional VIB, per-task decoders.

    ``binarizer`` None picks the variant's own (fp → fp, naive → naive, otherwise IR-Net).
    """

    variant: str = "f"
    tasks: tuple[str, ...] = NYUD_TASKS
    width1: int = 16
    width2: int = 32
    blocks1: int = 1
    blocks2: int = 2
    classes: int = 6
    binarizer: str | None = None

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant: unknown {self.variant!r} (known: {', '.join(VARIANTS)})")
        object.__setattr__(self, "tasks", check_tasks(tuple(self.tasks)))
        for name in ("width1", "width2", "blocks1", "blocks2"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.classes < 2:
            raise ValueError(f"classes must be >= 2, got {self.classes!r}")
        if self.binarizer is not None and self.binarizer not in BINARIZER_NAMES:
            raise ValueError(
                f"binarizer: unknown {self.binarizer!r} (known: {', '.join(BINARIZER_NAMES)})"
            )
        if self.variant == "fp" and self.binarizer not in (None, "fp"):
            raise ValueError(f"binarizer: the fp variant is full precision, got {self.binarizer!r}")

    @property
    def binarizer_name(self) -> str:
        if self.binarizer is not None:
            return self.binarizer
        return {"fp": "fp", "naive": "naive"}.get(self.variant, "irnet")

    @property
    def vib(self) -> bool:
        return self.variant in ("ib", "f", "c")

    @property
    def kd(self) -> bool:
        return self.variant in ("kd", "f", "c")

    @property
    def kd_layers(self) -> tuple[str, ...]:
        """Features distilled: backbone output only (kd) or every scale (f, c)."""
        if not self.kd:
            return ()
        if self.variant == "kd":
            return ("z",)
        return ("stage1", "z", *(f"dec_{t}" for t in self.tasks))

    @property
    def crosstalk(self) -> bool:
        return self.variant == "c"


@dataclass(frozen=True)
class TrainConfig:
    """Adam with cosine decay; loss L = Σ w_t L_t + β L_IB + λ_f L_feat + λ_o L_out."""

    steps: int = 300
    batch_size: int = 32
    lr: float = 2e-3
    beta: float = 1e-3
    # 0.1 picked on a validation split (SynthRooms seed 2·10⁶, quick scale, seed 0) from
    # {0.1, 0.3, 1}: λ_f = 1 over six distilled maps drowned the task losses (docs/bimtdp.md §3.1)
    lambda_feat: float = 0.1
    lambda_out: float = 0.0
    #: "post": distil features after the activation; "pre": before it (BN + shortcut), which
    #: sidesteps the teacher's ReLU (≥ 0) vs the student's Hardtanh ([−1, 1]) range mismatch
    kd_features: str = "post"
    seed: int = 0
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "semseg": 1.0,
            "depth": 1.0,
            "normals": 1.0,
            "boundary": 1.0,
            "saliency": 1.0,
        }
    )

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(
                f"steps and batch_size must be >= 1, got {self.steps}, {self.batch_size}"
            )
        for name in ("lr", "beta", "lambda_feat", "lambda_out"):
            value = getattr(self, name)
            if not value >= 0 or value != value:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if self.kd_features not in ("post", "pre"):
            raise ValueError(f"kd_features must be 'post' or 'pre', got {self.kd_features!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")


@dataclass(frozen=True)
class DataConfig:
    """A SynthRooms split pair, rendered from ``seed``."""

    n_train: int = 512
    n_test: int = 256
    size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_train < 1 or self.n_test < 1:
            raise ValueError(f"n_train and n_test must be >= 1, got {self.n_train}, {self.n_test}")
        if self.size < 8 or self.size % 2:
            raise ValueError(f"size must be an even number >= 8, got {self.size!r}")
