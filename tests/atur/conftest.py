import pytest
import torch

from paperzoo.atur.config import MethodConfig, TrainSettings
from paperzoo.atur.data import load_task
from paperzoo.atur.training import train_model
from paperzoo.core.io import CACHE_ENV
from paperzoo.core.runtime import torch_threads


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Cached runs go to this session's temporary folder, never the user's cache."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def digits():
    return load_task("digits")


@pytest.fixture(scope="session")
def digits_models(digits):
    """A standard and a PGD-AT MLP on digits (ε = 0.2), about 3 s together on one thread."""
    models = {}
    with torch_threads(1):
        for method, epochs in (("standard", 10), ("at", 15)):
            settings = TrainSettings(epochs=epochs, lr=0.05, attack_eps=0.2, seed=0)
            models[method], _ = train_model(digits, MethodConfig(method), settings, arch="mlp")
    return models


@pytest.fixture
def tiny_cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Dropout(0.2), torch.nn.Linear(4 * 8 * 8, 5),
    )  # fmt: skip
