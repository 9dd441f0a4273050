import gzip

import numpy as np
import pytest
import torch

from paperzoo.core.data import load_fashion_mnist


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_reads_user_directory(tmp_path):
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([4, 0, 9]))
    x, y = load_fashion_mnist("test", root=tmp_path)
    assert x.dtype == torch.uint8 and x.shape == (3, 28, 28)
    assert torch.equal(x, torch.from_numpy(images.astype(np.uint8)))
    assert y.tolist() == [4, 0, 9]


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        load_fashion_mnist("test", root=tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"not an idx file")
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([1]))
    with pytest.raises(ValueError, match="IDX"):
        load_fashion_mnist("test", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist("validation", root=tmp_path)


@pytest.mark.fashion_mnist
def test_debian_package_has_real_fashion_mnist():
    x, y = load_fashion_mnist("test")
    assert x.shape == (10000, 28, 28)
    assert torch.bincount(y).tolist() == [1000] * 10
    assert 60 < x.float().mean() < 80  # Fashion-MNIST's mean pixel is about 72.9
