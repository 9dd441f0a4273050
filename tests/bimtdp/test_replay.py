"""Repeats of a packed-in, packed-out call reuse its C++ arguments (packed._Replay): they must
give exactly what a fresh call gives, and anything that changes the call must not be replayed."""

import pickle
import threading

import pytest
import torch

from paperzoo.bimtdp.packed import PackedConv3x3, pack_activations, packed_buffer

C, COUT, H, W = 128, 40, 6, 6


def _setup(kernel, seed=0):
    g = torch.Generator().manual_seed(seed)
    wt = torch.randn(COUT, C, 3, 3, generator=g)
    a, b = torch.randn(COUT, generator=g), torch.randn(COUT, generator=g)
    conv = PackedConv3x3(wt, a, b, kernel=kernel)
    x, thr = torch.randn(1, C, H, W, generator=g), torch.randn(C, generator=g) * 0.3
    return conv, x, thr, packed_buffer(1, H, W, C), packed_buffer(1, H, W, COUT)


def _fresh(conv, x, thr):  # no caller buffers: never replayed
    return conv(x, thr, mode="packed")


def test_a_repeat_reads_the_tensors_current_values(cpp_kernel):
    conv, x, thr, pin, pout = _setup(cpp_kernel)
    assert conv(x, thr, mode="packed", pack_into=pin, pack_out=pout) is pout
    replay = conv._replay
    assert replay is not None
    for seed in (1, 2):  # new values in the same tensors, in place
        g = torch.Generator().manual_seed(seed)
        x.copy_(torch.randn(x.shape, generator=g))
        thr.copy_(torch.randn(thr.shape, generator=g))
        assert conv(x, thr, mode="packed", pack_into=pin, pack_out=pout) is pout
        assert conv._replay is replay  # the repeat went through the replay
        assert torch.equal(pout, _fresh(conv, x, thr))
        assert torch.equal(pin, pack_activations(x, thr))


def test_changed_calls_are_not_replayed(cpp_kernel):
    conv, x, thr, pin, pout = _setup(cpp_kernel)
    conv(x, thr, mode="packed", pack_into=pin, pack_out=pout)
    first = conv._replay
    y = x.clone()  # another tensor of the same shape
    y[0, :, 0, 0] = -y[0, :, 0, 0]
    conv(y, thr, mode="packed", pack_into=pin, pack_out=pout)
    assert conv._replay is not first and torch.equal(pout, _fresh(conv, y, thr))
    conv(y, None, mode="packed", pack_into=pin, pack_out=pout)  # default thresholds
    assert torch.equal(pout, _fresh(conv, y, None))
    conv(y, None, mode="packed", pack_into=pin, pack_out=pout, threads=1)  # thread count
    assert conv._replay.threads == 1 and torch.equal(pout, _fresh(conv, y, None))
    y.transpose_(2, 3)  # same object and shape, other strides: packed from a copy, not replayed
    conv(y, None, mode="packed", pack_into=pin, pack_out=pout, threads=1)
    assert torch.equal(pout, _fresh(conv, y.contiguous(), None))
    y.resize_(1, C, H, W + 1)  # metadata changed in place: checked again, refused as before
    with pytest.raises(ValueError, match="out: expected"):
        conv(y, None, mode="packed", pack_into=pin, pack_out=pout, threads=1)


def test_thresholds_that_need_a_copy_and_other_modes_are_not_replayed(cpp_kernel):
    conv, x, thr, pin, pout = _setup(cpp_kernel)
    conv(x, thr.double(), mode="packed", pack_into=pin, pack_out=pout)
    assert conv._replay is None and torch.equal(pout, _fresh(conv, x, thr))
    conv(x, thr, mode="affine", pack_into=pin, pack_out=pout)
    assert conv._replay is None


def test_another_python_thread_gets_its_own_replay(cpp_kernel):
    conv, x, thr, pin, pout = _setup(cpp_kernel)
    conv(x, thr, mode="packed", pack_into=pin, pack_out=pout)
    mine = conv._replay
    seen = {}

    def other() -> None:
        conv(x, thr, mode="packed", pack_into=pin, pack_out=pout)
        seen["ident"], seen["bits"] = conv._replay.ident, pout.clone()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["ident"] == t.ident != mine.ident
    assert torch.equal(seen["bits"], _fresh(conv, x, thr))


def test_copies_and_pickles_drop_the_replay(cpp_kernel):
    conv, x, thr, pin, pout = _setup(cpp_kernel)
    conv(x, thr, mode="packed", pack_into=pin, pack_out=pout)
    back = pickle.loads(pickle.dumps(conv))
    assert back._replay is None
    assert torch.equal(back(x, thr, mode="packed"), pout)
