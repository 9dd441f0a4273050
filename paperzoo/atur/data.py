"""Datasets as float images in [0, 1], ``[N, C, H, W]``, with int64 labels.

- ``digits``: scikit-learn's 1,797 8×8 digits (K = 10), a fixed 1,297/500 train/test split.
- ``digit-pairs`` / ``fashion-pairs``: two items side by side, labelled by the ordered pair
  (K = 100), the many-class regime where the paper's gains appear; pairs are drawn within a split.
- ``fashion-mnist``: the real 60k/10k set (Debian ``dataset-fashion-mnist`` or ``root``).
- ``cifar10`` / ``cifar100``: the standard python-pickle folders (``cifar-10-batches-py``,
  ``cifar-100-python``) under ``root``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import TensorDataset

from paperzoo.core.data import load_fashion_mnist

DATASETS = ("digits", "digit-pairs", "fashion-mnist", "fashion-pairs", "cifar10", "cifar100")
_DIGITS_TEST = 500
_SPLIT_SEED = 20240514  # fixed: the train/test split never depends on the run's seed


@dataclass(frozen=True)
class Task:
    """A classification task: train/test tensors, K and the input shape ``(C, H, W)``."""

    name: str
    train: TensorDataset
    test: TensorDataset
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train.tensors[0].shape[1:])  # type: ignore[return-value]


def make_pairs(
    images: Tensor, labels: Tensor, n: int, num_classes: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """n random ordered pairs side by side: ``[M, C, H, W] -> [n, C, H, 2W]``, label K·y_i + y_j."""
    i = torch.randint(len(images), (n,), generator=generator)
    j = torch.randint(len(images), (n,), generator=generator)
    return torch.cat([images[i], images[j]], dim=3), labels[i] * num_classes + labels[j]


def _subset(
    x: Tensor, y: Tensor, n: int | None, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    if n is None or n >= len(x):
        return x, y
    keep = torch.randperm(len(x), generator=generator)[:n]
    return x[keep], y[keep]


def _digits() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images / 16.0).float()[:, None]  # levels 0..16 -> [0, 1]
    y = torch.from_numpy(bunch.target).long()
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(_SPLIT_SEED))
    test, train = perm[:_DIGITS_TEST], perm[_DIGITS_TEST:]
    return x[train], y[train], x[test], y[test]


def _fashion(root: str | Path | None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    (xtr, ytr), (xte, yte) = (load_fashion_mnist(s, root) for s in ("train", "test"))
    return xtr.float()[:, None] / 255, ytr, xte.float()[:, None] / 255, yte


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR batches: only numpy arrays and builtins, no arbitrary objects."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("builtins", "list"),
        ("builtins", "dict"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def _read_cifar_batch(path: Path, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"dataset: CIFAR batch {path} not found")
    try:
        with path.open("rb") as handle:
            batch = _ArrayUnpickler(handle, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key], dtype=np.int64)
    except (pickle.UnpicklingError, KeyError, TypeError, EOFError) as err:
        raise ValueError(f"dataset: {path} is not a CIFAR python batch ({err})") from err
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise ValueError(
            f"dataset: {path} holds data {data.shape} and labels {labels.shape}, "
            "expected [N, 3072] and [N]"
        )
    return data, labels


def load_cifar(root: str | Path, num_classes: int = 10) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """CIFAR-10/100 from the python-pickle format: (x_train, y_train, x_test, y_test).

    Images ``float [N, 3, 32, 32]`` in [0, 1]; CIFAR-100 uses the fine labels.
    """
    root = Path(root)
    if num_classes == 10:
        folder = root / "cifar-10-batches-py" if (root / "cifar-10-batches-py").is_dir() else root
        train_files = [folder / f"data_batch_{i}" for i in range(1, 6)]
        test_files, key = [folder / "test_batch"], b"labels"
    elif num_classes == 100:
        folder = root / "cifar-100-python" if (root / "cifar-100-python").is_dir() else root
        train_files, test_files, key = [folder / "train"], [folder / "test"], b"fine_labels"
    else:
        raise ValueError(f"num_classes must be 10 or 100 for CIFAR, got {num_classes!r}")

    def read(files: list[Path]) -> tuple[Tensor, Tensor]:
        parts = [_read_cifar_batch(f, key) for f in files]
        data = np.concatenate([p[0] for p in parts]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([p[1] for p in parts])
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"dataset: labels in {folder} exceed [0, {num_classes})")
        return torch.from_numpy(data).float() / 255, torch.from_numpy(labels)

    return (*read(train_files), *read(test_files))


def load_task(
    name: str,
    root: str | Path | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
) -> Task:
    """Load a task by name (see :data:`DATASETS`); ``n_train``/``n_test`` subsample (or set the
    number of pairs for the pair tasks: defaults 5,000/2,000 digit pairs, 60,000/10,000 fashion)."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    for arg, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and value < 1:
            raise ValueError(f"{arg} must be >= 1, got {value!r}")
    generator = torch.Generator().manual_seed(seed)
    if name in ("digits", "digit-pairs"):
        xtr, ytr, xte, yte = _digits()
    elif name in ("fashion-mnist", "fashion-pairs"):
        xtr, ytr, xte, yte = _fashion(root)
    else:
        if root is None:
            raise FileNotFoundError(
                f"dataset: {name} needs root= (the folder holding the python-pickle batches)"
            )
        xtr, ytr, xte, yte = load_cifar(root, 10 if name == "cifar10" else 100)
    k = 100 if name == "cifar100" else 10
    if name.endswith("-pairs"):
        default_train, default_test = (5000, 2000) if name == "digit-pairs" else (60000, 10000)
        xtr, ytr = make_pairs(xtr, ytr, n_train or default_train, k, generator)
        xte, yte = make_pairs(xte, yte, n_test or default_test, k, generator)
        k = k * k
    else:
        xtr, ytr = _subset(xtr, ytr, n_train, generator)
        xte, yte = _subset(xte, yte, n_test, generator)
    return Task(name, TensorDataset(xtr, ytr), TensorDataset(xte, yte), k)
