import pytest
import torch

from paperzoo.core.io import CACHE_ENV
from paperzoo.masksam.config import MaskSAMConfig


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


def tiny(**overrides) -> MaskSAMConfig:
    """A model small enough for unit tests (16² chunks, 4×4 tokens)."""
    base = dict(
        img_size=16, frames=4, patch_size=4, embed_dim=32, depth=2, num_heads=2, window_size=2,
        global_attn_indexes=(1,), prompt_dim=16, decoder_heads=2, decoder_mlp_dim=32,
        num_queries=4, num_classes=3, pg_channels=4,
    )  # fmt: skip
    base.update(overrides)
    return MaskSAMConfig(**base)
