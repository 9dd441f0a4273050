"""Small classifiers for CPU-scale runs; inputs in [0, 1], normalisation inside the model.

No batch norm: clean and adversarial batches can share one forward pass (TRADES, MART) with
the same result as two passes, which also keeps DDP to one forward per step.
"""

from __future__ import annotations

from torch import Tensor, nn

ARCHS = ("mlp", "cnn")


class MLP(nn.Module):
    """Flatten → [Linear → ReLU] × depth → Linear(K)."""

    def __init__(
        self, input_shape: tuple[int, ...], num_classes: int, width: int = 256, depth: int = 2
    ) -> None:
        super().__init__()
        d_in = 1
        for s in input_shape:
            d_in *= s
        layers: list[nn.Module] = [nn.Flatten()]
        for _ in range(depth):
            layers += [nn.Linear(d_in, width), nn.ReLU()]
            d_in = width
        layers.append(nn.Linear(d_in, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(2 * x - 1)  # [0, 1] -> [-1, 1]


class SmallCNN(nn.Module):
    """Conv(32)-Conv(64) with max-pooling, adaptive pooling to 4×4 (×2 wide inputs), MLP head."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, width: int = 32) -> None:
        super().__init__()
        c, h, w = input_shape
        pool = (4, max(1, round(4 * w / h)))
        self.features = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(pool),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(2 * width * pool[0] * pool[1], 256), nn.ReLU(), nn.Linear(256, num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(2 * x - 1))


def build_model(
    arch: str, input_shape: tuple[int, ...], num_classes: int, width: int | None = None
) -> nn.Module:
    """``mlp`` or ``cnn`` for inputs ``(C, H, W)`` and K classes (``width`` None = default)."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes!r}")
    kwargs = {} if width is None else {"width": width}
    if arch == "mlp":
        return MLP(tuple(input_shape), num_classes, **kwargs)
    return SmallCNN(tuple(input_shape), num_classes, **kwargs)
