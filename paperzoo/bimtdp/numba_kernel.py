"""numba fallback of the packed kernel (no C++ compiler): same layouts and results as
``kernel.cpp``, SWAR popcount, parallel over output channels (docs/bimtdp.md §2.6)."""

from __future__ import annotations

import numba
import numpy as np
from torch import Tensor


def kernel_name() -> str:
    return "numba-swar-popcount"


@numba.njit(inline="always")
def _popcount(v: np.uint64) -> np.uint64:
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (v * np.uint64(0x0101010101010101)) >> np.uint64(56)


@numba.njit(parallel=True, cache=False)
def _conv(a, w, c, stride, corr, code, sa, sb, res, has_res, out_i, out_f):  # pragma: no cover
    n, _, _, cw = a.shape
    cout = w.shape[0]
    ho, wo = corr.shape[1], corr.shape[2]
    total = 9 * c
    for io in numba.prange(n * cout):
        i, o = io // cout, io % cout
        for y in range(ho):
            for x in range(wo):
                pop = np.uint64(0)
                for dy in range(3):
                    for dx in range(3):
                        for j in range(cw):
                            pop += _popcount(
                                a[i, y * stride + dy, x * stride + dx, j] ^ w[o, dy, dx, j]
                            )
                dot = total - 2 * np.int64(pop) - corr[o, y, x]
                if code == 0:
                    out_i[i, o, y, x] = dot
                elif code == 1:
                    v = sa[o] * np.float32(dot) + sb[o]
                    if has_res:
                        v += res[i, o, y, x]
                    out_f[i, o, y, x] = v
                else:
                    bit = (dot >= np.int64(sb[o])) != (sa[o] < 0)
                    out_f[i, o, y, x] = 1.0 if bit else -1.0


@numba.njit(parallel=True, cache=False)
def _pack(x, thr, out):  # pragma: no cover
    n, c, h, w = x.shape
    cw = out.shape[3]
    for ij in numba.prange(n * cw):
        i, j = ij // cw, ij % cw
        c_end = min((j + 1) * 64, c)
        nbits = c_end - j * 64
        real = (
            np.uint64(0xFFFFFFFFFFFFFFFF)
            if nbits == 64
            else (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        )
        for xx in range(w + 2):
            out[i, 0, xx, j] = real
            out[i, h + 1, xx, j] = real
        for y in range(h):
            out[i, y + 1, 0, j] = real
            out[i, y + 1, w + 1, j] = real
            for xx in range(w):  # the buffer may be reused: clear before or-ing bits in
                out[i, y + 1, xx + 1, j] = np.uint64(0)
            for cc in range(j * 64, c_end):
                b = np.uint64(cc & 63)
                for xx in range(w):
                    if x[i, cc, y, xx] >= thr[cc]:
                        out[i, y + 1, xx + 1, j] |= np.uint64(1) << b


def pack(x: Tensor, thr: Tensor, out: Tensor, threads: int) -> None:
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    _pack(x.numpy(), thr.numpy(), out.numpy().view(np.uint64))


def conv(
    a: Tensor,
    w: Tensor,
    c: int,
    stride: int,
    corr: Tensor,
    code: int,
    sa: Tensor,
    sb: Tensor,
    res: Tensor | None,
    out: Tensor,
    threads: int,
) -> None:
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    dummy_i = np.zeros((1, 1, 1, 1), np.int32)
    dummy_f = np.zeros((1, 1, 1, 1), np.float32)
    out_np = out.numpy()
    _conv(
        a.numpy().view(np.uint64),
        w.numpy().view(np.uint64),
        c,
        stride,
        corr.numpy(),
        code,
        sa.numpy(),
        sb.numpy(),
        dummy_f if res is None else res.numpy(),
        res is not None,
        out_np if code == 0 else dummy_i,
        dummy_f if code == 0 else out_np,
    )
