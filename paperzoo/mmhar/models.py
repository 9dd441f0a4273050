"""Per-modality encoders and the multimodal classifier (docs/mmhar.md §2.5).

:class:`MultimodalNet` takes ``x: {name: [B, C_m, L_m]}`` (each modality at its own rate) and
``present: bool [B, M]`` and returns log-probabilities ``[B, K]``. Fusion levels: ``early``
(channel concat after resampling to the first modality's length; missing modalities are zero,
the imputation control), feature (``concat``, ``gated``, ``attention`` over modality tokens) and
late (``late-*``: one classifier head per modality, fused by :func:`fusion.late_fusion`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.mmhar.baselines.deepconvlstm import DeepConvLSTMEncoder
from paperzoo.mmhar.config import ModelConfig
from paperzoo.mmhar.fusion import (
    attention_pool,
    gated_sum,
    late_fusion,
    masked_concat,
    modality_dropout,
)
from paperzoo.mmhar.modality import Modality


class CNNEncoder(nn.Module):
    """``[B, C, L] -> [B, 2w]``: three Conv1d-BN-ReLU blocks (k=5; pooling after the first two)
    and global average pooling."""

    def __init__(self, channels: int, width: int = 24):
        super().__init__()

        def block(i: int, o: int) -> list[nn.Module]:
            return [nn.Conv1d(i, o, 5, padding=2, bias=False), nn.BatchNorm1d(o), nn.ReLU()]

        self.net = nn.Sequential(
            *block(channels, width),
            nn.MaxPool1d(2),
            *block(width, 2 * width),
            nn.MaxPool1d(2),
            *block(2 * width, 2 * width),
        )
        self.out_dim = 2 * width

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).mean(-1)


class RecurrentEncoder(nn.Module):
    """``[B, C, L] -> [B, 2w]``: a strided Conv1d stem (halves L) then a GRU or LSTM; last state."""

    def __init__(self, channels: int, width: int = 24, cell: str = "gru"):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(channels, width, 5, stride=2, padding=2), nn.ReLU())
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(width, 2 * width, batch_first=True)
        self.out_dim = 2 * width

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.rnn(self.stem(x).transpose(1, 2))
        return h[:, -1]


ENCODER_BUILDERS: dict[str, Callable[[int, int], nn.Module]] = {
    "cnn": lambda c, w: CNNEncoder(c, w),
    "gru": lambda c, w: RecurrentEncoder(c, w, "gru"),
    "lstm": lambda c, w: RecurrentEncoder(c, w, "lstm"),
    "deepconvlstm": lambda c, w: DeepConvLSTMEncoder(c),
}


class MultimodalNet(nn.Module):
    """Encoders per modality (one over all channels for ``early``) and a fusion head."""

    def __init__(self, modalities: tuple[Modality, ...], n_classes: int, cfg: ModelConfig):
        super().__init__()
        if not modalities:
            raise ValueError("modalities: need at least one modality")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes!r}")
        self.modalities = modalities
        self.names = tuple(m.name for m in modalities)
        self.cfg = cfg
        self.n_classes = n_classes
        build = ENCODER_BUILDERS[cfg.encoder]
        if cfg.fusion == "early":
            self.encoders = nn.ModuleList([build(sum(m.channels for m in modalities), cfg.width)])
        else:
            self.encoders = nn.ModuleList([build(m.channels, cfg.width) for m in modalities])
        d = self.encoders[0].out_dim
        m, k = len(modalities), n_classes
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.fusion in ("early", "gated", "attention"):
            self.head = nn.Linear(d, k)
        elif cfg.fusion == "concat":
            self.head = nn.Linear(m * d, k)
        else:
            self.heads = nn.ModuleList([nn.Linear(d, k) for _ in modalities])
        if cfg.fusion == "gated":
            self.gate = nn.Linear(d, 1)
        if cfg.fusion == "attention":
            self.query = nn.Parameter(torch.randn(d) / d**0.5)
            self.modality_embedding = nn.Parameter(torch.zeros(m, d))
        if cfg.fusion == "late-weighted":
            self.late_logits = nn.Parameter(torch.zeros(m))
        if cfg.fusion == "late-stacking":
            self.stack = nn.Linear(m * k, k)

    def _inputs(self, x: dict[str, Tensor], present: Tensor) -> tuple[list[Tensor], Tensor]:
        missing = [n for n in self.names if n not in x]
        if missing:
            raise ValueError(f"x: modality {missing} missing (model needs {list(self.names)})")
        if present.shape[1] != len(self.names):
            raise ValueError(f"present: expected [B, {len(self.names)}], got {list(present.shape)}")
        if self.training and self.cfg.modality_dropout > 0:
            present = modality_dropout(present, self.cfg.modality_dropout)
        xs = [x[n] * present[:, j, None, None].to(x[n].dtype) for j, n in enumerate(self.names)]
        return xs, present

    def branches(self, x: dict[str, Tensor], present: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Late fusion's per-modality log-probs ``[B, M, K]``, the fused ``[B, K]`` and the
        presence mask used (after modality dropout)."""
        xs, present = self._inputs(x, present)
        logp = torch.stack(
            [
                torch.log_softmax(h(self.drop(e(xi))), -1)
                for xi, e, h in zip(xs, self.encoders, self.heads, strict=True)
            ],
            1,
        )
        mode = self.cfg.fusion.removeprefix("late-")
        if mode == "stacking":
            fused = torch.log_softmax(self.stack(masked_concat(logp.detach(), present)), -1)
        elif mode == "weighted":
            w = torch.softmax(self.late_logits, 0).expand_as(present)
            fused = late_fusion(logp.detach(), present, "weighted", w)
        else:
            fused = late_fusion(logp, present, mode)
        return logp, fused, present

    def forward(self, x: dict[str, Tensor], present: Tensor) -> Tensor:
        fusion = self.cfg.fusion
        if fusion.startswith("late-"):
            return self.branches(x, present)[1]
        xs, present = self._inputs(x, present)
        if fusion == "early":
            n = xs[0].shape[-1]
            xs = [xi if xi.shape[-1] == n else F.interpolate(xi, n, mode="linear") for xi in xs]
            h = self.encoders[0](torch.cat(xs, 1))
        else:
            e = torch.stack([enc(xi) for xi, enc in zip(xs, self.encoders, strict=True)], 1)
            if fusion == "concat":
                h = masked_concat(e, present)
            elif fusion == "gated":
                h = gated_sum(e, torch.sigmoid(self.gate(e)).squeeze(-1), present)
            else:
                h = attention_pool(self.query, e + self.modality_embedding, present)
        return torch.log_softmax(self.head(self.drop(h)), -1)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
