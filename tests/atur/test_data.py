import gzip
import pickle

import numpy as np
import pytest
import torch

from paperzoo.atur.data import load_cifar, load_task, make_pairs


def test_digits_task(digits):
    x, y = digits.train.tensors
    xt, _ = digits.test.tensors
    assert x.shape[1:] == (1, 8, 8) and len(x) == 1297 and len(xt) == 500
    assert x.dtype == torch.float32 and x.min() >= 0 and x.max() <= 1
    assert digits.num_classes == 10 and set(y.tolist()) == set(range(10))
    # the fixed split does not depend on the seed, and train/test images do not overlap
    other = load_task("digits", seed=7)
    torch.testing.assert_close(other.test.tensors[0], xt)
    flat_train = {tuple(v) for v in x.flatten(1).tolist()}
    assert sum(tuple(v) in flat_train for v in xt.flatten(1).tolist()) < 10  # digits has dupes


def test_pairs_are_side_by_side_with_ordered_pair_labels():
    g = torch.Generator().manual_seed(0)
    images = torch.arange(5 * 2 * 3, dtype=torch.float32).reshape(5, 1, 2, 3)
    labels = torch.tensor([0, 1, 2, 3, 4])
    x, y = make_pairs(images, labels, 50, 10, g)
    assert x.shape == (50, 1, 2, 6)
    for i in range(50):
        left = int((x[i, 0, 0, 0] / 6).item())
        right = int((x[i, 0, 0, 3] / 6).item())
        torch.testing.assert_close(x[i, :, :, :3], images[left])
        torch.testing.assert_close(x[i, :, :, 3:], images[right])
        assert y[i] == 10 * labels[left] + labels[right]


def test_digit_pairs_task_has_100_classes():
    task = load_task("digit-pairs", n_train=400, n_test=100)
    assert task.num_classes == 100 and task.input_shape == (1, 8, 16)
    assert len(task.train) == 400 and int(task.train.tensors[1].max()) < 100


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_tasks_from_a_user_directory(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("t10k", 20)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    task = load_task("fashion-mnist", root=tmp_path)
    assert task.input_shape == (1, 28, 28) and len(task.test) == 20
    assert float(task.train.tensors[0].max()) <= 1.0
    pairs = load_task("fashion-pairs", root=tmp_path, n_train=64, n_test=32)
    assert pairs.input_shape == (1, 28, 56) and pairs.num_classes == 100 and len(pairs.test) == 32


def _write_cifar(folder, files, label_key, n, k, rng):
    folder.mkdir(parents=True)
    for name in files:
        batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 label_key: rng.integers(0, k, n).tolist(), b"batch_label": b"x"}  # fmt: skip
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle)


def test_cifar10_and_cifar100_python_format(tmp_path):
    rng = np.random.default_rng(0)
    train10 = [f"data_batch_{i}" for i in range(1, 6)]
    _write_cifar(tmp_path / "cifar-10-batches-py", [*train10, "test_batch"], b"labels", 4, 10, rng)
    xtr, ytr, xte, yte = load_cifar(tmp_path, 10)
    assert xtr.shape == (20, 3, 32, 32) and xte.shape == (4, 3, 32, 32) and ytr.max() < 10
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "rb") as handle:
        raw = pickle.load(handle, encoding="bytes")
    np.testing.assert_allclose(xte[1].numpy(), raw[b"data"][1].reshape(3, 32, 32) / 255, rtol=1e-6)
    assert yte.tolist() == raw[b"labels"]
    _write_cifar(tmp_path / "c100" / "cifar-100-python", ["train", "test"], b"fine_labels", 6, 100,
                 rng)  # fmt: skip
    task = load_task("cifar100", root=tmp_path / "c100")
    assert task.num_classes == 100 and task.input_shape == (3, 32, 32) and len(task.train) == 6


def test_cifar_loader_refuses_arbitrary_pickles(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (folder / "train").write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ValueError, match="not a CIFAR python batch"):
        load_cifar(tmp_path, 100)
    with pytest.raises(FileNotFoundError, match="root"):
        load_task("cifar10")


def test_bad_dataset_arguments():
    with pytest.raises(ValueError, match="dataset"):
        load_task("mnist")
    with pytest.raises(ValueError, match="n_train"):
        load_task("digits", n_train=0)
