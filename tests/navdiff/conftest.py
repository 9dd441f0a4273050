import pytest
import torch

from paperzoo.core.io import CACHE_ENV


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Cached runs go to this session's temporary folder, never the user's cache."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def open_room(size: int = 7):
    """A walled square room, every inner cell free."""
    import numpy as np

    free = np.zeros((size, size), dtype=bool)
    free[1:-1, 1:-1] = True
    return free
