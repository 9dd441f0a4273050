"""Data: the seeded anisotropic multi-organ phantom and NIfTI volumes in and out (nibabel).

Arrays are ``[D, H, W]`` with the coarse (slice) axis first: the model's T axis. Spacings are
``(sz, sy, sx)`` in mm. docs/masksam.md §3.4.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

ORGANS = (
    "liver",
    "spleen",
    "kidney_r",
    "kidney_l",
    "stomach",
    "aorta",
    "ivc",
    "twin_a",
    "twin_b",
)
TWINS = ("twin_a", "twin_b")
# name: (kind, centre (u, v), radii (ru, rv), z radius as a fraction of D, HU, texture amplitude)
_ANATOMY: dict[str, tuple[str, tuple[float, float], tuple[float, float], float, float, float]] = {
    "liver": ("ellipsoid", (-0.38, -0.1), (0.3, 0.28), 0.45, 60.0, 10.0),
    "spleen": ("ellipsoid", (0.5, 0.05), (0.15, 0.2), 0.3, 48.0, 8.0),
    "kidney_r": ("ellipsoid", (-0.32, 0.42), (0.13, 0.16), 0.25, 48.0, 8.0),  # = spleen's HU
    "kidney_l": ("ellipsoid", (0.32, 0.42), (0.13, 0.16), 0.25, 48.0, 8.0),
    "stomach": ("ellipsoid", (0.22, -0.4), (0.2, 0.14), 0.3, 15.0, 14.0),
    "aorta": ("tube", (0.1, 0.2), (0.09, 0.09), 1.0, 160.0, 6.0),
    "ivc": ("tube", (-0.12, 0.2), (0.09, 0.09), 1.0, 160.0, 6.0),  # = aorta's HU
}
_TWIN_SITES = ((0.02, -0.05), (0.3, 0.2))
_TWIN = ((0.12, 0.12), 100.0, 8.0)  # radius, HU, texture: identical for both twins


@dataclass(frozen=True)
class PhantomSpec:
    """Phantom grid and content; ``shape`` is (D, H, W), D the coarse axis."""

    shape: tuple[int, int, int] = (32, 96, 96)
    organs: tuple[str, ...] = ORGANS
    missing_prob: float = 0.1
    noise_hu: float = 12.0

    def __post_init__(self) -> None:
        if len(self.shape) != 3 or self.shape[0] < 4 or min(self.shape[1:]) < 16:
            raise ValueError(f"shape must be (D >= 4, H >= 16, W >= 16), got {self.shape!r}")
        unknown = [o for o in self.organs if o not in ORGANS]
        if unknown or not self.organs or len(set(self.organs)) != len(self.organs):
            raise ValueError(f"organs must be distinct names from {ORGANS}, got {self.organs!r}")
        if not 0 <= self.missing_prob < 1:
            raise ValueError(f"missing_prob must be in [0, 1), got {self.missing_prob!r}")
        if not self.noise_hu >= 0:
            raise ValueError(f"noise_hu must be >= 0, got {self.noise_hu!r}")

    @property
    def classes(self) -> tuple[str, ...]:
        """Label names by label id; 0 is background."""
        return ("background", *self.organs)


@dataclass(frozen=True)
class Volume:
    """A volume [D, H, W] (float32, normalised), its label map (uint8) if known, and spacing."""

    image: np.ndarray
    label: np.ndarray | None
    spacing: tuple[float, float, float]


def normalise(image: np.ndarray) -> np.ndarray:
    """Clip to the 0.5–99.5 percentiles, then z-score (nnU-Net's CT scheme on one volume)."""
    lo, hi = np.percentile(image, [0.5, 99.5])
    clipped = np.clip(image, lo, hi)
    return ((clipped - clipped.mean()) / (clipped.std() + 1e-6)).astype(np.float32)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, ...], coarse: tuple[int, ...]):
    field = rng.normal(size=coarse)
    return ndimage.zoom(field, [s / c for s, c in zip(shape, coarse, strict=True)], order=1)


def make_phantom(seed: int, spec: PhantomSpec | None = None) -> Volume:
    """One phantom case, deterministic per ``seed`` (docs/masksam.md §3.4).

    Body with fat shell and muscle ring; organs as warped, rotated ellipsoids and z-tubes painted
    in priority order; the shape twins (a short z-cylinder and a z-tube through the volume, same
    radius, intensity and texture, sites swapped at random) differ only along z.
    """
    spec = spec or PhantomSpec()
    rng = np.random.default_rng(seed)
    d, h, w = spec.shape
    s_in = rng.uniform(0.7, 1.0)
    spacing = (float(rng.uniform(2.5, 5.0)), float(s_in), float(s_in))
    z = np.arange(d, dtype=np.float32)[:, None, None]
    v0 = np.linspace(-1, 1, h, dtype=np.float32)[None, :, None]
    u0 = np.linspace(-1, 1, w, dtype=np.float32)[None, None, :]
    # global random affine in-plane, then a low-frequency warp
    theta, scale = rng.uniform(-0.15, 0.15), rng.uniform(0.92, 1.08)
    shift = rng.uniform(-0.04, 0.04, size=2)
    u = (np.cos(theta) * (u0 - shift[0]) - np.sin(theta) * (v0 - shift[1])) / scale
    v = (np.sin(theta) * (u0 - shift[0]) + np.cos(theta) * (v0 - shift[1])) / scale
    u = u + 0.04 * _smooth_field(rng, (d, h, w), (3, 3, 3))
    v = v + 0.04 * _smooth_field(rng, (d, h, w), (3, 3, 3))

    ids = {name: i + 1 for i, name in enumerate(spec.organs)}
    label = np.zeros((d, h, w), np.uint8)
    hu = np.zeros(len(spec.classes), np.float32)
    amp = np.zeros(len(spec.classes), np.float32)
    body_r = (u / 0.92) ** 2 + (v / 0.78) ** 2
    body = body_r <= 1

    sites = list(_TWIN_SITES)
    rng.shuffle(sites)
    for name, (cu, cv) in zip(TWINS, sites, strict=True):  # twins first: they keep exact shapes
        radii, hu_t, amp_t = _TWIN
        inside = ((u - cu) / radii[0]) ** 2 + ((v - cv) / radii[1]) ** 2 <= 1
        if name == "twin_a":
            length = int(rng.integers(3, 6))
            start = int(rng.integers(1, max(2, d - length)))
            inside = inside & (z >= start) & (z < start + length)
        if name in ids:
            label[inside & body & (label == 0)] = ids[name]
            hu[ids[name]], amp[ids[name]] = hu_t + rng.normal(0, 3), amp_t
    order = ("aorta", "ivc", "kidney_r", "kidney_l", "spleen", "stomach", "liver")
    for name in order:
        if name not in ids or (name != "liver" and rng.random() < spec.missing_prob):
            continue
        kind, (cu, cv), (ru, rv), rz, hu_o, amp_o = _ANATOMY[name]
        cu, cv = cu + rng.uniform(-0.04, 0.04), cv + rng.uniform(-0.04, 0.04)
        ru, rv = ru * rng.uniform(0.85, 1.15), rv * rng.uniform(0.85, 1.15)
        phi = rng.uniform(-0.5, 0.5)
        du, dv = u - cu, v - cv
        a = (np.cos(phi) * du + np.sin(phi) * dv) / ru
        b = (-np.sin(phi) * du + np.cos(phi) * dv) / rv
        q = a**2 + b**2
        if kind == "ellipsoid":
            zc = d / 2 + rng.uniform(-0.15, 0.15) * d
            q = q + ((z - zc) / (rz * d * rng.uniform(0.85, 1.15))) ** 2
        label[(q <= 1) & body & (label == 0)] = ids[name]
        hu[ids[name]], amp[ids[name]] = hu_o + rng.normal(0, 4), amp_o

    image = np.where(body, 20.0, -1000.0).astype(np.float32)
    image[body & (body_r > 0.82**2)] = 45.0  # muscle ring
    image[body & (body_r > 0.9**2)] = -100.0  # fat shell
    organ = label > 0
    image[organ] = hu[label[organ]]
    white = rng.normal(size=(d, h, w)).astype(np.float32)
    texture = ndimage.gaussian_filter(white, (0.5, 1, 1)) - ndimage.gaussian_filter(
        white, (1, 3, 3)
    )
    texture /= texture.std() + 1e-6
    image = image + np.where(body, np.maximum(amp[label], 5.0), 0.0) * texture
    image = ndimage.gaussian_filter1d(image, 0.6, axis=0)  # z blur of thick slices
    image = image + 15.0 * _smooth_field(rng, (d, h, w), (2, 3, 3)) * body  # bias field
    image = image + rng.normal(0, spec.noise_hu, size=image.shape)
    return Volume(normalise(np.clip(image, -250.0, 250.0)), label, spacing)


# --- NIfTI -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NiftiVolume:
    """A volume read from NIfTI: image [D, H, W] (coarse axis first), the axis permutation from
    the file's voxel order, and the file's affine and header (written back unchanged)."""

    image: np.ndarray
    spacing: tuple[float, float, float]
    perm: tuple[int, int, int]
    affine: np.ndarray
    header: nib.Nifti1Header


def load_nifti(path: str | Path) -> NiftiVolume:
    """Read a 3D NIfTI volume; the axis with the largest spacing becomes the first.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file nibabel cannot
    read, a volume that is not 3D, zero/missing spacing, a singular affine or non-finite voxels.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"volume: no such file {path}")
    try:
        img = nib.load(str(path))
        if not isinstance(img, nib.Nifti1Image | nib.Nifti2Image):
            raise ValueError(f"a {type(img).__name__}, not NIfTI")
        data = np.asarray(img.dataobj, dtype=np.float32)
        with nib.openers.ImageOpener(str(path)) as handle:  # nibabel silently sets 0 spacing to 1
            raw = type(img.header).from_fileobj(handle, check=False)
    except Exception as err:  # nibabel raises many types for a damaged file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"volume: cannot read {path} as NIfTI ({first})") from err
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"volume: {path} must be 3D, got shape {tuple(data.shape)}")
    zooms = np.asarray(img.header.get_zooms()[:3], dtype=np.float64)
    if np.any(np.asarray(raw["pixdim"][1:4]) == 0):
        zooms = np.asarray(raw["pixdim"][1:4], dtype=np.float64)
    if zooms.size != 3 or not np.all(np.isfinite(zooms)) or np.any(zooms <= 0):
        raise ValueError(
            f"spacing: {path} has missing or non-positive voxel spacing {zooms.tolist()}"
        )
    if abs(np.linalg.det(img.affine[:3, :3])) < 1e-12:
        raise ValueError(f"volume: {path} has a singular affine (no orientation)")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"volume: {path} holds NaN or infinite voxels")
    coarse = int(np.argmax(zooms[::-1])) * -1 + 2  # ties → the last axis (the usual slice axis)
    rest = tuple(i for i in (2, 1, 0) if i != coarse)
    perm = (coarse, *rest)
    spacing = tuple(float(zooms[i]) for i in perm)
    return NiftiVolume(data.transpose(perm).copy(), spacing, perm, img.affine, img.header.copy())  # type: ignore[arg-type]


def save_mask_like(mask: np.ndarray, like: NiftiVolume, path: str | Path) -> Path:
    """Write a label map [D, H, W] (model order) in ``like``'s voxel order, affine and header."""
    expected = like.image.shape
    if mask.shape != expected:
        raise ValueError(f"mask: shape {mask.shape} does not match the volume's {expected}")
    data = mask.astype(np.uint8).transpose(np.argsort(like.perm))
    header = like.header.copy()
    header.set_data_dtype(np.uint8)
    out = nib.Nifti1Image(data, like.affine, header)
    out.header.set_slope_inter(1.0, 0.0)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(out, str(path))
    return path


def save_volume(volume: Volume, path: str | Path, label_path: str | Path | None = None) -> Path:
    """Write a phantom as NIfTI (voxel order x, y, z; spacing in the affine); label optional."""
    sz, sy, sx = volume.spacing
    affine = np.diag([sx, sy, sz, 1.0])
    nib.save(nib.Nifti1Image(volume.image.transpose(2, 1, 0), affine), str(path))
    if label_path is not None:
        if volume.label is None:
            raise ValueError("label_path: this volume has no label map")
        nib.save(nib.Nifti1Image(volume.label.transpose(2, 1, 0), affine), str(label_path))
    return Path(path)


# --- the nilearn MNI152 brain (real texture; 3 classes) --------------------------------------

BRAIN_CLASSES = ("background", "grey_matter", "white_matter")


def _mni_files() -> dict[str, Path]:
    """The MNI152 2009a T1 / GM / WM files shipped inside nilearn (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("nilearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nilearn is not installed: the MNI brain task needs its data files")
    root = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    files = {
        k: root / f"mni_icbm152_{k}_tal_nlin_sym_09a_converted.nii.gz" for k in ("t1", "gm", "wm")
    }
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"nilearn's MNI152 files are missing: {missing}")
    return files


@functools.cache
def _mni_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The MNI T1 and its {0: background, 1: GM, 2: WM} labels, [z, y, x] (read once)."""
    files = _mni_files()
    t1, gm, wm = (
        np.asarray(nib.load(str(files[k])).dataobj, np.float32) for k in ("t1", "gm", "wm")
    )
    label = np.where(np.maximum(gm, wm) > 127.5, np.where(wm >= gm, 2, 1), 0).astype(np.uint8)
    # file order (x, y, z) -> (z, y, x), z the slice axis
    t1, label = t1.transpose(2, 1, 0), label.transpose(2, 1, 0)
    return t1, label


def mni_brain(seed: int, shape: tuple[int, int, int] = (32, 64, 64)) -> Volume:
    """A deformed copy of nilearn's 1 mm MNI152 brain as a [D, H, W] volume (docs/masksam.md §3.4).

    Labels: argmax over {background, GM, WM} where the larger probability exceeds 0.5. The axial
    axis becomes the coarse one (D slices, about 6 mm apart for D = 32); each ``seed`` applies its
    own in-plane rotation/scale/shift, a smooth bias field and noise (seed 0 still deformed).
    """
    if len(shape) != 3 or min(shape) < 4:
        raise ValueError(f"shape must be three sizes >= 4, got {shape!r}")
    t1, label = _mni_arrays()
    rng = np.random.default_rng(seed)
    d, h, w = shape
    theta, scale = rng.uniform(-0.15, 0.15), rng.uniform(0.9, 1.1)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) / scale
    zoom = np.array(t1.shape, np.float64) / np.array(shape, np.float64)
    matrix = np.diag(zoom)
    matrix[1:, 1:] = rot * zoom[1:]
    centre_out = (np.array(shape) - 1) / 2
    centre_in = (np.array(t1.shape) - 1) / 2 + np.r_[0.0, rng.uniform(-8, 8, size=2)]
    offset = centre_in - matrix @ centre_out
    image = ndimage.affine_transform(t1, matrix, offset, output_shape=shape, order=1)
    lab = ndimage.affine_transform(label, matrix, offset, output_shape=shape, order=0)
    image = image * (1 + 0.1 * _smooth_field(rng, shape, (2, 3, 3)))
    image = image + rng.normal(0, 4.0, size=shape)
    spacing = (float(zoom[0]), float(zoom[1] * scale), float(zoom[2] * scale))
    return Volume(normalise(image.astype(np.float32)), lab.astype(np.uint8), spacing)
