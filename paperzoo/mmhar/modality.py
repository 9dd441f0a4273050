"""The data model: modality specs, multi-rate recordings, subject-safe windows, normalisation.

A :class:`Recording` holds each modality at its own rate with a per-sample presence mask, the
clock offset of each modality against the label clock, and the subject id. :func:`sliding_windows`
cuts every recording on the label clock (windows never span recordings) and keeps subject and
recording ids on every window; :class:`Normalization` is fitted on training windows only.
See docs/mmhar.md §2.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

KINDS = (
    "acc",
    "gyro",
    "mag",
    "ecg",
    "emg",
    "ppg",
    "ambient",
    "skeleton",
    "depth",
    "rgb-embedding",
)
UNLABELLED = -1


@dataclass(frozen=True)
class Modality:
    """One sensor stream: ``kind`` (one of :data:`KINDS`), channels, rate (Hz), units, location."""

    name: str
    kind: str
    channels: int
    rate: float
    units: str = ""
    location: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: unknown {self.kind!r} (known: {', '.join(KINDS)})")
        if not (isinstance(self.channels, int) and self.channels >= 1):
            raise ValueError(f"channels must be an int >= 1, got {self.channels!r}")
        if not (isinstance(self.rate, int | float) and math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be a finite number > 0 Hz, got {self.rate!r}")


@dataclass(frozen=True, eq=False)
class Recording:
    """One session of one subject.

    ``signals[name]``: ``[T_m, C_m]`` at the modality's rate, finite; ``present[name]``: bool
    ``[T_m]`` (samples lost to a dropout are False; default all True). A modality absent from
    ``signals`` is missing for the whole recording. ``labels``: int ``[T]`` at ``label_rate``
    (−1 unlabelled). ``offsets[name]``: time (s, label clock) of the modality's first sample.
    """

    subject: int
    recording: str
    modalities: tuple[Modality, ...]
    signals: dict[str, np.ndarray]
    labels: np.ndarray
    label_rate: float
    present: dict[str, np.ndarray] = field(default_factory=dict)
    offsets: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        specs = {m.name: m for m in self.modalities}
        unknown = sorted(set(self.signals) - set(specs))
        if unknown:
            raise ValueError(f"signals: unknown modality {unknown} (known: {sorted(specs)})")
        for name, x in self.signals.items():
            spec = specs[name]
            if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != spec.channels:
                got = getattr(x, "shape", type(x).__name__)
                raise ValueError(
                    f"signals[{name!r}]: expected [T, {spec.channels}] channels, got {got}"
                )
            if not np.isfinite(x).all():
                raise ValueError(f"signals[{name!r}]: contains NaN or inf")
            mask = self.present.get(name)
            if mask is not None and (mask.dtype != bool or mask.shape != (len(x),)):
                raise ValueError(f"present[{name!r}]: expected bool [{len(x)}], got {mask.shape}")
        stray = sorted((set(self.present) | set(self.offsets)) - set(self.signals))
        if stray:
            raise ValueError(f"present/offsets: modality {stray} has no signal")
        if self.labels.ndim != 1 or not np.issubdtype(self.labels.dtype, np.integer):
            raise ValueError(
                f"labels: expected int [T], got {self.labels.dtype} {self.labels.shape}"
            )
        if not self.label_rate > 0:
            raise ValueError(f"label_rate must be > 0 Hz, got {self.label_rate!r}")

    @property
    def duration_s(self) -> float:
        return len(self.labels) / self.label_rate


@dataclass(frozen=True, eq=False)
class Windows:
    """Windows of many recordings: ``x[name]`` float32 ``[N, C_m, L_m]`` (each modality at its
    own rate), ``present`` bool ``[N, M]`` in ``modalities`` order, ``y`` int ``[N]`` indexing
    ``classes``, and per window its ``subject``, ``recording`` (index into ``recordings``) and
    ``start`` (s)."""

    modalities: tuple[Modality, ...]
    classes: tuple[str, ...]
    x: dict[str, np.ndarray]
    present: np.ndarray
    y: np.ndarray
    subject: np.ndarray
    recording: np.ndarray
    start: np.ndarray
    length_s: float
    recordings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.y)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modalities)

    def take(self, index: np.ndarray) -> Windows:
        """The windows at ``index`` (ints or a bool mask)."""
        return Windows(
            self.modalities,
            self.classes,
            {k: v[index] for k, v in self.x.items()},
            self.present[index],
            self.y[index],
            self.subject[index],
            self.recording[index],
            self.start[index],
            self.length_s,
            self.recordings,
        )

    def select(self, names: tuple[str, ...] | list[str]) -> Windows:
        """Only the modalities ``names`` (an unknown name raises)."""
        check_modalities(names, self.names)
        cols = [self.names.index(n) for n in names]
        specs = tuple(self.modalities[c] for c in cols)
        return Windows(
            specs,
            self.classes,
            {n: self.x[n] for n in names},
            self.present[:, cols],
            self.y,
            self.subject,
            self.recording,
            self.start,
            self.length_s,
            self.recordings,
        )

    def drop(self, names: tuple[str, ...] | list[str]) -> Windows:
        """The same windows with modalities ``names`` marked missing (data zeroed)."""
        check_modalities(names, self.names)
        present = self.present.copy()
        x = dict(self.x)
        for n in names:
            present[:, self.names.index(n)] = False
            x[n] = np.zeros_like(x[n])
        return Windows(
            self.modalities,
            self.classes,
            x,
            present,
            self.y,
            self.subject,
            self.recording,
            self.start,
            self.length_s,
            self.recordings,
        )


def check_modalities(names: tuple[str, ...] | list[str], known: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming any modality in ``names`` not in ``known``."""
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"modality: unknown {unknown} (known: {', '.join(known)})")
    if not names:
        raise ValueError("modality: need at least one modality")


def resample(x: np.ndarray, rate: float, new_rate: float) -> np.ndarray:
    """Resample ``[T, C]`` from ``rate`` to ``new_rate`` Hz by linear interpolation; when
    downsampling, a moving average over ``rate/new_rate`` samples first limits aliasing."""
    if rate <= 0 or new_rate <= 0:
        raise ValueError(f"rate and new_rate must be > 0, got {rate!r}, {new_rate!r}")
    width = int(round(rate / new_rate))
    if width > 1:
        c = np.cumsum(np.pad(x, ((width, 0), (0, 0)), mode="edge"), 0)
        x = (c[width:] - c[:-width]) / width  # trailing box filter, same length
    n = max(int(round(len(x) * new_rate / rate)), 1)
    pos = np.arange(n) * (rate / new_rate)
    lo = np.clip(np.floor(pos).astype(int), 0, len(x) - 1)
    hi = np.clip(lo + 1, 0, len(x) - 1)
    w = (pos - lo)[:, None]
    return (1 - w) * x[lo] + w * x[hi]


def resample_recording(recording: Recording, rates: dict[str, float]) -> Recording:
    """``recording`` with modality ``name`` resampled to ``rates[name]`` Hz (specs updated;
    presence masks follow by nearest sample). Labels keep their own clock."""
    check_modalities(list(rates), tuple(m.name for m in recording.modalities))
    specs = tuple(
        replace(m, rate=float(rates[m.name])) if m.name in rates else m
        for m in recording.modalities
    )
    signals, present = dict(recording.signals), dict(recording.present)
    for name, new_rate in rates.items():
        if name not in signals:
            continue
        old = next(m.rate for m in recording.modalities if m.name == name)
        signals[name] = resample(signals[name], old, new_rate)
        if name in present:
            idx = np.minimum(
                (np.arange(len(signals[name])) * old / new_rate).astype(int), len(present[name]) - 1
            )
            present[name] = present[name][idx]
    return Recording(
        recording.subject,
        recording.recording,
        specs,
        signals,
        recording.labels,
        recording.label_rate,
        present,
        dict(recording.offsets),
    )


def align(recording: Recording, lags: dict[str, float]) -> Recording:
    """``recording`` with each modality's clock shifted by ``lags[name]`` seconds (a measured
    lag: a sample stamped t happened at t − lag). Unknown names raise."""
    check_modalities(list(lags), tuple(recording.signals))
    offsets = {n: recording.offsets.get(n, 0.0) - lags.get(n, 0.0) for n in recording.signals}
    return Recording(
        recording.subject,
        recording.recording,
        recording.modalities,
        recording.signals,
        recording.labels,
        recording.label_rate,
        recording.present,
        offsets,
    )


def _window_labels(labels: np.ndarray, idx: np.ndarray, n_codes: int) -> tuple[np.ndarray, ...]:
    """Majority class of each window ``[N, L]`` and its share of all the window's samples
    (unlabelled samples, −1, count against purity)."""
    lw = labels[idx]
    counts = np.stack([(lw == c).sum(1) for c in range(n_codes)], 1)  # [N, K]: K loops, not N
    return counts.argmax(1), counts.max(1) / idx.shape[1]


def sliding_windows(
    recordings: list[Recording],
    classes: dict[int, str],
    length_s: float,
    step_s: float,
    purity: float = 0.8,
    min_present: float = 0.5,
) -> Windows:
    """Cut each recording into windows of ``length_s`` every ``step_s`` on its label clock.

    A window keeps the majority label when at least ``purity`` of its samples carry it; windows
    of other or unlabelled (−1) majority are dropped. A modality is present in a window when at
    least ``min_present`` of its samples exist and are unmasked (absent parts are zero).
    ``classes``: label code → name; codes outside it are treated as unlabelled.
    """
    if not recordings:
        raise ValueError("recordings: need at least one recording")
    if not (length_s > 0 and step_s > 0):
        raise ValueError(f"length_s and step_s must be > 0, got {length_s!r}, {step_s!r}")
    if not 0 < purity <= 1 or not 0 < min_present <= 1:
        raise ValueError(f"purity and min_present must lie in (0, 1], got {purity}, {min_present}")
    specs = recordings[0].modalities
    if any(r.modalities != specs for r in recordings):
        raise ValueError("recordings: all recordings must share one tuple of modalities")
    codes = sorted(classes)
    lookup = {c: i for i, c in enumerate(codes)}
    parts: list[dict] = []
    for r_index, rec in enumerate(recordings):
        n_label = int(round(length_s * rec.label_rate))
        if n_label > len(rec.labels):
            raise ValueError(
                f"length_s: {length_s} s windows are longer than recording {rec.recording!r} "
                f"({rec.duration_s:.2f} s)"
            )
        starts = np.arange(
            0, len(rec.labels) - n_label + 1, max(int(round(step_s * rec.label_rate)), 1)
        )
        idx = starts[:, None] + np.arange(n_label)
        uniq, inverse = np.unique(rec.labels, return_inverse=True)
        codes_rec = np.array([lookup.get(int(u), -1) for u in uniq])[inverse]
        mode, share = _window_labels(codes_rec, idx, len(codes))
        keep = share >= purity
        starts, mode = starts[keep], mode[keep]
        t0 = starts / rec.label_rate
        xs, pres = {}, []
        for spec in specs:
            n_m = int(round(length_s * spec.rate))
            sig = rec.signals.get(spec.name)
            if sig is None:
                xs[spec.name] = np.zeros((len(t0), spec.channels, n_m), np.float32)
                pres.append(np.zeros(len(t0), bool))
                continue
            first = np.round((t0 - rec.offsets.get(spec.name, 0.0)) * spec.rate).astype(int)
            sidx = first[:, None] + np.arange(n_m)  # [N, L_m]
            inside = (sidx >= 0) & (sidx < len(sig))
            clipped = np.clip(sidx, 0, len(sig) - 1)
            ok = inside & rec.present.get(spec.name, np.ones(len(sig), bool))[clipped]
            xs[spec.name] = (sig[clipped] * ok[..., None]).transpose(0, 2, 1).astype(np.float32)
            pres.append(ok.mean(1) >= min_present)
        parts.append(
            {
                "x": xs,
                "present": np.stack(pres, 1),
                "y": mode,
                "subject": np.full(len(t0), rec.subject),
                "recording": np.full(len(t0), r_index),
                "start": t0,
            }
        )
    if not sum(len(p["y"]) for p in parts):
        raise ValueError("no window passes the label-purity threshold: check labels and classes")
    return Windows(
        specs,
        tuple(classes[c] for c in codes),
        {s.name: np.concatenate([p["x"][s.name] for p in parts]) for s in specs},
        np.concatenate([p["present"] for p in parts]),
        np.concatenate([p["y"] for p in parts]).astype(np.int64),
        np.concatenate([p["subject"] for p in parts]).astype(np.int64),
        np.concatenate([p["recording"] for p in parts]).astype(np.int64),
        np.concatenate([p["start"] for p in parts]),
        float(length_s),
        tuple(r.recording for r in recordings),
    )


@dataclass(frozen=True, eq=False)
class Normalization:
    """Per-modality, per-channel mean and std fitted on training windows only (present ones).

    ``subjects`` records which subjects the statistics came from.
    """

    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]
    subjects: frozenset[int]

    @classmethod
    def fit(cls, windows: Windows) -> Normalization:
        """Statistics of ``windows`` (pass the training split only)."""
        mean, std = {}, {}
        for j, name in enumerate(windows.names):
            x = windows.x[name][windows.present[:, j]]
            if len(x) == 0:
                c = windows.x[name].shape[1]
                mean[name], std[name] = np.zeros(c, np.float32), np.ones(c, np.float32)
                continue
            mean[name] = x.mean((0, 2)).astype(np.float32)
            std[name] = np.maximum(x.std((0, 2)), 1e-6).astype(np.float32)
        return cls(mean, std, frozenset(np.unique(windows.subject).tolist()))

    def apply(self, windows: Windows) -> Windows:
        """``windows`` standardised; missing modalities stay exactly zero."""
        unknown = [n for n in windows.names if n not in self.mean]
        if unknown:
            raise ValueError(f"modality: {unknown} not seen when the normalisation was fitted")
        x = {}
        for j, n in enumerate(windows.names):
            z = (windows.x[n] - self.mean[n][:, None]) / self.std[n][:, None]
            x[n] = (z * windows.present[:, j, None, None]).astype(np.float32)
        return Windows(
            windows.modalities,
            windows.classes,
            x,
            windows.present,
            windows.y,
            windows.subject,
            windows.recording,
            windows.start,
            windows.length_s,
            windows.recordings,
        )
