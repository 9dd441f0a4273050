import pytest
import torch
from torch import nn


class CountingModel(nn.Module):
    """A small random CNN that counts the images it has seen."""

    def __init__(self, classes: int = 5, channels: int = 3) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 6, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(96, classes),
        )
        self.images_seen = 0
        self.calls = 0

    def forward(self, x):
        self.images_seen += x.shape[0]
        self.calls += 1
        return self.net(x) * 3.0


@pytest.fixture
def model():
    return CountingModel().eval()


@pytest.fixture
def images():
    return torch.rand(6, 3, 8, 10, generator=torch.Generator().manual_seed(1))
