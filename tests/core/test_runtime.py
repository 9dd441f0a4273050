import numpy as np
import pytest
import torch

from paperzoo.core.runtime import choose_device, seed_everything


def test_seed_everything_repeats_all_generators():
    seed_everything(7)
    a = (np.random.rand(3), torch.rand(3))
    gen = seed_everything(7)
    b = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])
    assert torch.equal(
        torch.rand(2, generator=gen), torch.rand(2, generator=torch.Generator().manual_seed(7))
    )
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)


def test_choose_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device().type == expected
    assert choose_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device"):
        choose_device("tpu-9000")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            choose_device("cuda")
