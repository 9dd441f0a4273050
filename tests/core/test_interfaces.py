import pytest
import torch

from paperzoo.core import registry
from paperzoo.core.interfaces import ReducedTokens, TokenReducer


class KeepTop(TokenReducer):
    """Keeps the tokens whose attention is above the image's mean (a variable count)."""

    name = "zz_keep_top"
    paper = "test"

    def _reduce(self, tokens, attention, keys):
        keep = attention > attention.mean(1, keepdim=True)
        m = int(keep.sum(1).max())
        order = torch.argsort((~keep).float(), dim=1, stable=True)[:, :m]
        mask = torch.gather(keep, 1, order)
        index = torch.where(mask, order, -1)
        picked = torch.gather(tokens, 1, order[..., None].expand(-1, -1, tokens.shape[-1]))
        return ReducedTokens(picked * mask[..., None], mask, index)


def test_token_reducers_are_validated_padded_and_registered():
    tokens = torch.randn(2, 6, 4)
    attention = torch.tensor([[0.5, 0.1, 0.1, 0.1, 0.1, 0.1], [0.3, 0.3, 0.1, 0.1, 0.1, 0.1]])
    out = KeepTop()(tokens, attention)
    assert out.lengths().tolist() == [1, 2] and out.index.tolist() == [[0, -1], [0, 1]]
    assert torch.equal(out.unpadded()[1], tokens[1, :2])
    with pytest.raises(ValueError, match=r"attention must be \[B, N\] = \[2, 6\], got \[2, 5\]"):
        KeepTop()(tokens, attention[:, :5])
    with pytest.raises(ValueError, match="attention contains NaN"):
        KeepTop()(tokens, attention.clone().fill_(float("nan")))
    with pytest.raises(ValueError, match="non-negative"):
        KeepTop()(tokens, -attention)
    with pytest.raises(TypeError, match="tokens must be a torch tensor, got ndarray"):
        KeepTop()(tokens.numpy(), attention)
    KeepTop.__module__ = "paperzoo.zzreducer.patch"
    try:
        registry.register_token_reducer(KeepTop)
        assert registry.TOKEN_REDUCERS.get("zz_keep_top") is KeepTop
        with pytest.raises(registry.RegistryError, match="not a core.interfaces.TokenReducer"):
            registry.register_token_reducer(int)
    finally:
        registry.TOKEN_REDUCERS.remove("zz_keep_top")
