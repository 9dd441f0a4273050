"""DeepConvLSTM (Ordóñez & Roggen 2016) with the 1-layer LSTM of Bock et al. 2021: four
Conv1d(64, k=5) layers over time, then an LSTM; the last step's state is the embedding.
Used as an early-fusion baseline model and as an encoder choice (docs/mmhar.md §2.5)."""

from __future__ import annotations

from torch import Tensor, nn


class DeepConvLSTMEncoder(nn.Module):
    """``[B, C, L] -> [B, hidden]``: 4 valid convs (64 filters, k=5, ReLU) then an LSTM."""

    def __init__(self, channels: int, filters: int = 64, hidden: int = 64, layers: int = 1):
        super().__init__()
        convs: list[nn.Module] = []
        for i in range(4):
            convs += [nn.Conv1d(channels if i == 0 else filters, filters, 5), nn.ReLU()]
        self.convs = nn.Sequential(*convs)
        self.lstm = nn.LSTM(filters, hidden, layers, batch_first=True)
        self.out_dim = hidden

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.lstm(self.convs(x).transpose(1, 2))  # [B, L', hidden]
        return h[:, -1]
