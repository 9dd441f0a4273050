"""Fashion-MNIST from IDX files (Debian's ``dataset-fashion-mnist`` or a folder the user names)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

DEFAULT_ROOT = Path("/usr/share/datasets/fashion-mnist")
ROOT_ENV = "PAPERZOO_FASHION_MNIST"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array; clear errors for bad files."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"dataset: {path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"dataset: {path} holds {body.size} values, header says {dims}")
    return body.reshape(dims)


def _find(root: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(
        f"dataset: Fashion-MNIST file {stem}[.gz] not found in {root} "
        f"(install the Debian package dataset-fashion-mnist, or set {ROOT_ENV} / pass root=)"
    )


def load_fashion_mnist(
    split: str = "train", root: str | Path | None = None
) -> tuple[Tensor, Tensor]:
    """Images ``uint8 [N, 28, 28]`` and labels ``int64 [N]`` of the ``train`` or ``test`` split.

    ``root`` defaults to ``$PAPERZOO_FASHION_MNIST``, else Debian's folder (``DEFAULT_ROOT``).
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    images_stem, labels_stem = _FILES[split]
    images = read_idx(_find(root, images_stem))
    labels = read_idx(_find(root, labels_stem))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"dataset: {root} images {images.shape} and labels {labels.shape} disagree"
        )
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))
