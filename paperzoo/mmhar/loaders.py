"""Loaders for datasets users download themselves, in their published formats (docs/mmhar.md §2.2):
PAMAP2 ``Protocol/subject1xx.dat``, Opportunity ``S<k>-ADL<j>.dat`` / ``-Drill.dat`` and WISDM
v1.1 ``WISDM_ar_v1.1_raw.txt``. Each returns :class:`~paperzoo.mmhar.modality.Recording` objects
with a presence mask where the file has gaps (NaN) and label code −1 where unlabelled.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from paperzoo.mmhar.modality import Modality, Recording

# --- PAMAP2 --------------------------------------------------------------------------------------

PAMAP2_RATE = 100.0
PAMAP2_COLUMNS = 54
PAMAP2_CLASSES = {
    1: "lying",
    2: "sitting",
    3: "standing",
    4: "walking",
    5: "running",
    6: "cycling",
    7: "nordic-walking",
    9: "watching-tv",
    10: "computer-work",
    11: "car-driving",
    12: "ascending-stairs",
    13: "descending-stairs",
    16: "vacuum-cleaning",
    17: "ironing",
    18: "folding-laundry",
    19: "house-cleaning",
    20: "playing-soccer",
    24: "rope-jumping",
}
#: IMU block start (0-based column) of each location; a block is 17 columns: temperature,
#: acc ±16 g (3), acc ±6 g (3), gyro (3), magnetometer (3), orientation (4, invalid)
PAMAP2_IMUS = {"hand": 3, "chest": 20, "ankle": 37}
PAMAP2_PARTS = {"acc": (1, "m/s^2"), "gyro": (7, "rad/s"), "mag": (10, "uT")}


def pamap2_modalities(heart_rate: bool = True) -> tuple[Modality, ...]:
    """``<location>_<acc|gyro|mag>`` for hand, chest, ankle (acc: the ±16 g sensor, as the
    dataset's readme recommends) and the chest strap's heart rate (kind ``ecg``, in bpm)."""
    mods = tuple(
        Modality(f"{loc}_{part}", part, 3, PAMAP2_RATE, unit, loc)
        for loc in PAMAP2_IMUS
        for part, (_, unit) in PAMAP2_PARTS.items()
    )
    hr = Modality("heart_rate", "ecg", 1, PAMAP2_RATE, "bpm", "chest (strap, ~9 Hz)")
    return mods + ((hr,) if heart_rate else ())


def _read_table(path: Path, columns: int, what: str) -> np.ndarray:
    """A whitespace-separated numeric table with exactly ``columns`` columns (``NaN`` allowed)."""
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no such file {path}")
    try:
        data = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as err:  # numpy names the line: wrong column count, non-numeric value
        raise ValueError(f"{what}: {path.name}: {err}") from None
    if data.size == 0:
        raise ValueError(f"{what}: {path.name} has no data rows")
    if data.shape[1] != columns:
        raise ValueError(f"{what}: {path.name} has {data.shape[1]} columns, expected {columns}")
    return data


def _check_time(t: np.ndarray, name: str, what: str) -> None:
    if not np.isfinite(t).all() or (np.diff(t) <= 0).any():
        raise ValueError(f"{what}: {name} timestamps must be finite and strictly increasing")


def _masked(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(signal with NaN rows zeroed, presence mask: rows with every channel finite)."""
    ok = np.isfinite(block).all(1)
    return np.where(ok[:, None], block, 0.0), ok


def load_pamap2(path: str | Path, subject: int | None = None, heart_rate: bool = True) -> Recording:
    """One PAMAP2 ``.dat`` file: 54 space-separated columns at 100 Hz (timestamp s, activity id,
    heart rate, 3 IMUs × 17). Activity 0 (transient) becomes unlabelled; NaN samples (dropped
    packets) are masked; the heart rate (NaN between its ~9 Hz readings) is held from its last
    reading and masked before the first. ``subject`` defaults to the number in the file name."""
    path = Path(path)
    data = _read_table(path, PAMAP2_COLUMNS, "PAMAP2")
    _check_time(data[:, 0], path.name, "PAMAP2")
    labels = data[:, 1]
    if not np.isfinite(labels).all():
        raise ValueError(f"PAMAP2: {path.name} has NaN activity ids")
    labels = labels.astype(np.int64)
    unknown = sorted(set(labels.tolist()) - set(PAMAP2_CLASSES) - {0})
    if unknown:
        raise ValueError(f"PAMAP2: {path.name} has unknown activity ids {unknown}")
    labels[labels == 0] = -1
    specs = pamap2_modalities(heart_rate)
    signals, present = {}, {}
    for loc, start in PAMAP2_IMUS.items():
        for part, (offset, _) in PAMAP2_PARTS.items():
            name = f"{loc}_{part}"
            block = data[:, start + offset : start + offset + 3]
            signals[name], present[name] = _masked(block)
    if heart_rate:
        hr = data[:, 2]
        seen = np.isfinite(hr)
        last = np.maximum.accumulate(np.where(seen, np.arange(len(hr)), -1))
        held = np.where(last >= 0, hr[np.maximum(last, 0)], 0.0)
        signals["heart_rate"], present["heart_rate"] = held[:, None], last >= 0
    if subject is None:
        found = re.findall(r"\d+", path.stem)
        subject = int(found[-1]) if found else 0
    return Recording(subject, path.stem, specs, signals, labels, PAMAP2_RATE, present)


# --- Opportunity ---------------------------------------------------------------------------------

OPPORTUNITY_RATE = 30.0
OPPORTUNITY_COLUMNS = 250
#: label tracks (0-based columns 243–249)
OPPORTUNITY_TRACKS = {
    "locomotion": 243,
    "hl_activity": 244,
    "ll_left_arm": 245,
    "ll_left_arm_object": 246,
    "ll_right_arm": 247,
    "ll_right_arm_object": 248,
    "ml_both_arms": 249,
}
OPPORTUNITY_LOCOMOTION = {1: "stand", 2: "walk", 4: "sit", 5: "lie"}
OPPORTUNITY_GESTURES = {
    406516: "open-door-1",
    406517: "open-door-2",
    404516: "close-door-1",
    404517: "close-door-2",
    406520: "open-fridge",
    404520: "close-fridge",
    406505: "open-dishwasher",
    404505: "close-dishwasher",
    406519: "open-drawer-1",
    404519: "close-drawer-1",
    406511: "open-drawer-2",
    404511: "close-drawer-2",
    406508: "open-drawer-3",
    404508: "close-drawer-3",
    408512: "clean-table",
    407521: "drink-from-cup",
    405506: "toggle-switch",
}
OPPORTUNITY_IMUS = ("back", "rua", "rla", "lua", "lla")


def _opportunity_blocks(ambient: bool) -> dict[str, tuple[Modality, list[int]]]:
    """Modality → (spec, 0-based columns): 12 body-worn 3-axis accelerometers (cols 1–36), the
    5 IMUs' acc / gyro / mag (13 columns each from col 37: acc 3, gyro 3, mag 3, quaternion 4)
    and, with ``ambient``, the object and ambient block (cols 134–242)."""
    rate = OPPORTUNITY_RATE
    blocks = {"body_acc": (Modality("body_acc", "acc", 36, rate, "milli g"), list(range(1, 37)))}
    for part, offset, unit in (("acc", 0, "milli g"), ("gyro", 3, "unscaled"), ("mag", 6, "")):
        cols = [37 + 13 * i + offset + a for i in range(len(OPPORTUNITY_IMUS)) for a in range(3)]
        blocks[f"imu_{part}"] = (Modality(f"imu_{part}", part, 15, rate, unit, "upper body"), cols)
    if ambient:
        cols = list(range(134, 243))
        blocks["ambient"] = (Modality("ambient", "ambient", len(cols), rate), cols)
    return blocks


def load_opportunity(
    path: str | Path,
    track: str = "locomotion",
    subject: int | None = None,
    ambient: bool = False,
) -> Recording:
    """One Opportunity ``.dat`` file: 250 space-separated columns at 30 Hz (time ms, 242 sensor
    channels, 7 label tracks). ``track`` picks the label column (``locomotion`` codes
    :data:`OPPORTUNITY_LOCOMOTION`, ``ml_both_arms`` :data:`OPPORTUNITY_GESTURES`); code 0 (Null)
    becomes unlabelled. Each modality's sample is present when all its channels are finite
    (missing channels of a partly valid sample are zero). ``subject`` defaults to the ``S<k>``
    of the file name."""
    if track not in OPPORTUNITY_TRACKS:
        raise ValueError(f"track: unknown {track!r} (known: {', '.join(OPPORTUNITY_TRACKS)})")
    path = Path(path)
    data = _read_table(path, OPPORTUNITY_COLUMNS, "Opportunity")
    _check_time(data[:, 0], path.name, "Opportunity")
    labels = data[:, OPPORTUNITY_TRACKS[track]]
    if not np.isfinite(labels).all():
        raise ValueError(f"Opportunity: {path.name} has NaN labels in track {track!r}")
    labels = labels.astype(np.int64)
    labels[labels == 0] = -1
    specs, signals, present = [], {}, {}
    for name, (spec, cols) in _opportunity_blocks(ambient).items():
        block = data[:, cols]
        signals[name] = np.nan_to_num(block, nan=0.0)
        present[name] = np.isfinite(block).all(1)
        specs.append(spec)
    if subject is None:
        found = re.match(r"S(\d+)", path.stem)
        subject = int(found.group(1)) if found else 0
    return Recording(subject, path.stem, tuple(specs), signals, labels, OPPORTUNITY_RATE, present)


# --- WISDM v1.1 ----------------------------------------------------------------------------------

WISDM_RATE = 20.0
WISDM_CLASSES = {
    1: "walking",
    2: "jogging",
    3: "upstairs",
    4: "downstairs",
    5: "sitting",
    6: "standing",
}
WISDM_MODALITIES = (Modality("acc", "acc", 3, WISDM_RATE, "m/s^2", "trouser pocket (phone)"),)
_WISDM_CODES = {name.lower(): code for code, name in WISDM_CLASSES.items()}


def load_wisdm(path: str | Path, skip_malformed: bool = False) -> list[Recording]:
    """WISDM v1.1 raw accelerometer file: records ``user,activity,timestamp,x,y,z;`` (20 Hz,
    phone in the trouser pocket, timestamp in ns). Records end with ``;`` and may share a line.
    A new recording starts where the user changes or the timestamp does not increase; samples are
    taken at the nominal 20 Hz. A malformed record (wrong field count, empty or non-numeric
    value, unknown activity) raises naming its line, or is skipped with ``skip_malformed``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"WISDM: no such file {path}")
    users, codes, stamps, xyz = [], [], [], []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            for record in line.strip().split(";"):
                record = record.strip()
                if not record:
                    continue
                parsed = _wisdm_record(record)
                if isinstance(parsed, str):
                    if skip_malformed:
                        continue
                    raise ValueError(f"WISDM: {path.name} line {number}: {parsed}: {record!r}")
                users.append(parsed[0])
                codes.append(parsed[1])
                stamps.append(parsed[2])
                xyz.append(parsed[3])
    if not users:
        raise ValueError(f"WISDM: {path.name} has no valid records")
    user, ts = np.array(users), np.array(stamps)
    breaks = np.flatnonzero((np.diff(user) != 0) | (np.diff(ts) <= 0)) + 1
    bounds = np.concatenate([[0], breaks, [len(user)]])
    signal, labels = np.asarray(xyz), np.array(codes, np.int64)
    return [
        Recording(
            int(user[a]),
            f"wisdm-u{int(user[a]):02d}-{i:03d}",
            WISDM_MODALITIES,
            {"acc": signal[a:b]},
            labels[a:b],
            WISDM_RATE,
        )
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]


def _wisdm_record(record: str) -> tuple[int, int, int, list[float]] | str:
    """(user, class code, timestamp, [x, y, z]) or why the record is malformed."""
    fields = [f.strip() for f in record.split(",")]
    if len(fields) == 7 and not fields[6]:  # a trailing comma before the ';'
        fields = fields[:6]
    if len(fields) != 6:
        return f"expected 6 fields, got {len(fields)}"
    code = _WISDM_CODES.get(fields[1].lower())
    if code is None:
        return f"unknown activity {fields[1]!r}"
    try:
        user, stamp = int(fields[0]), int(fields[2])
        values = [float(v) for v in fields[3:]]
    except ValueError:
        return "empty or non-numeric value"
    if not np.isfinite(values).all():
        return "NaN or inf value"
    return user, code, stamp, values
