"""The language-model stand-in: a small transformer head over [query; projected visual tokens]."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.core.interfaces import ReducedTokens


class TokenHead(nn.Module):
    """Projector (LLaVA's ``mm_projector`` stand-in) + pre-LN transformer + class read-out.

    ``forward(tokens [B, M, D], mask [B, M])`` -> logits [B, C]; padded tokens are masked out of
    attention, so any number of visual tokens per image works.
    """

    def __init__(self, dim: int, classes: int, width: int = 64, depth: int = 2, heads: int = 4):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(dim, width), nn.GELU(), nn.Linear(width, width))
        self.query = nn.Parameter(torch.zeros(1, 1, width))
        layer = nn.TransformerEncoderLayer(
            width, heads, 2 * width, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, classes)

    def forward(self, tokens: Tensor, mask: Tensor) -> Tensor:
        b = tokens.shape[0]
        seq = torch.cat([self.query.expand(b, -1, -1), self.proj(tokens)], dim=1)
        pad = torch.cat([mask.new_zeros(b, 1), ~mask], dim=1)  # True = ignore
        return self.out(self.norm(self.blocks(seq, src_key_padding_mask=pad)[:, 0]))


def fit_head(
    data: ReducedTokens,
    labels: Tensor,
    classes: int,
    seed: int,
    epochs: int,
    batch_size: int = 256,
    lr: float = 3e-3,
    head: TokenHead | None = None,
) -> TokenHead:
    """Train a :class:`TokenHead` (a new one, or continue ``head``) on (possibly reduced) visual
    tokens; AdamW, cosine schedule."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    head = head or TokenHead(data.tokens.shape[-1], classes)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.05)
    n = len(labels)
    steps = epochs * math.ceil(n / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
    )
    head.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(head(data.tokens[idx], data.mask[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return head.eval()


@torch.no_grad()
def head_accuracy(head: TokenHead, data: ReducedTokens, labels: Tensor) -> float:
    """Top-1 accuracy of ``head`` on reduced tokens."""
    return float((head(data.tokens, data.mask).argmax(1) == labels).double().mean())
