import pickle

import pytest
import torch
import torch.nn.functional as F

from paperzoo.bimtdp.packed import (
    PackedConv3x3,
    backend,
    fold_thresholds,
    has_vpopcntdq,
    kernel_info,
    missing_amx,
    pack_activations,
    pack_weights,
    packed_buffer,
    packed_bytes_ratio,
    padding_correction,
    words,
)

CASES = [(64, 8, 1, 9, 11), (70, 5, 1, 8, 8), (128, 16, 2, 7, 9), (130, 4, 2, 10, 6)]


def _ref(x, w, stride):
    return F.conv2d(torch.where(x >= 0, 1.0, -1.0), torch.where(w >= 0, 1.0, -1.0),
                    stride=stride, padding=1)  # fmt: skip


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("cin,cout,stride,h,w", CASES + [(256, 40, 1, 28, 28), (64, 8, 2, 33, 35)])
def test_packed_conv_is_bit_exact_against_conv2d_on_pm1(cpp_kernel, cin, cout, stride, h, w):
    # also rows wider than one 32-pixel AMX block, from float input and from packed input
    g = torch.Generator().manual_seed(cin)
    x, wt = torch.randn(2, cin, h, w, generator=g), torch.randn(cout, cin, 3, 3, generator=g)
    conv = PackedConv3x3(wt, stride=stride, kernel=cpp_kernel)
    got = conv(x, mode="int")
    assert got.dtype == torch.int32
    want = _ref(x, wt, stride).double()
    assert torch.equal(got.double(), want)
    assert torch.equal(conv.run(pack_activations(x), h, w, "int").double(), want)


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("cin,stride", [(70, 2), (256, 1)])
def test_channels_last_inputs_pack_to_the_same_bits(cin, stride):
    g = torch.Generator().manual_seed(3)
    x, wt = torch.randn(1, cin, 9, 7, generator=g), torch.randn(12, cin, 3, 3, generator=g)
    xcl = x.contiguous(memory_format=torch.channels_last)
    assert not xcl.is_contiguous()
    tau = torch.randn(cin, generator=g) * 0.2
    conv = PackedConv3x3(wt, stride=stride)
    assert torch.equal(pack_activations(xcl, tau), pack_activations(x, tau))
    assert torch.equal(conv(xcl, mode="int").double(), _ref(x, wt, stride).double())


@pytest.mark.filterwarnings("ignore:packed conv")
def test_residual_in_either_layout_and_the_fused_clamp():
    g = torch.Generator().manual_seed(4)
    x, wt = torch.randn(1, 64, 6, 5, generator=g), torch.randn(20, 64, 3, 3, generator=g)
    a, b = torch.rand(20, generator=g) * 0.1, torch.randn(20, generator=g)
    res = torch.randn(1, 20, 6, 5, generator=g)
    conv = PackedConv3x3(wt, a, b)
    want = a.view(1, -1, 1, 1) * _ref(x, wt, 1) + b.view(1, -1, 1, 1) + res
    for r in (res, res.contiguous(memory_format=torch.channels_last)):
        got = conv(x, mode="affine", residual=r, clamp=(-1.0, 1.0))
        torch.testing.assert_close(got, want.clamp(-1, 1), rtol=1e-6, atol=1e-5)
    chained = PackedConv3x3(torch.randn(8, 20, 3, 3, generator=g))
    y = conv(x, mode="affine", residual=res)  # channels-last strides from the C++ kernel
    assert torch.equal(chained(y, mode="int").double(), _ref(y, chained.sign_weight, 1).double())
    with pytest.raises(ValueError, match="clamp"):
        conv(x, mode="int", clamp=(-1.0, 1.0))


def test_thresholded_activations_pack_against_tau():
    g = torch.Generator().manual_seed(0)
    x, wt = torch.randn(1, 64, 6, 6, generator=g), torch.randn(4, 64, 3, 3, generator=g)
    tau = torch.randn(64, generator=g) * 0.3
    got = PackedConv3x3(wt)(x, tau, mode="int")
    assert torch.equal(got.double(), _ref(x - tau.view(1, -1, 1, 1), wt, 1).double())


def test_affine_mode_folds_scale_bias_and_adds_the_residual():
    g = torch.Generator().manual_seed(1)
    x, wt = torch.randn(1, 64, 5, 5, generator=g), torch.randn(64, 64, 3, 3, generator=g)
    a, b = torch.rand(64, generator=g), torch.randn(64, generator=g)
    conv = PackedConv3x3(wt, a, b)
    want = a.view(1, -1, 1, 1) * _ref(x, wt, 1) + b.view(1, -1, 1, 1) + x
    torch.testing.assert_close(conv(x, mode="affine", residual=x), want, rtol=1e-6, atol=1e-4)


def test_bn_folds_into_integer_thresholds_including_negative_scales():
    g = torch.Generator().manual_seed(2)
    x, wt = torch.randn(2, 64, 6, 7, generator=g), torch.randn(32, 64, 3, 3, generator=g)
    a = torch.randn(32, generator=g)
    a[0] = 0.0
    b = torch.randn(32, generator=g) * 20 + 0.37
    want = torch.where(a.double().view(1, -1, 1, 1) * _ref(x, wt, 1).double()
                       + b.double().view(1, -1, 1, 1) >= 0, 1.0, -1.0)  # fmt: skip
    got = PackedConv3x3(wt, a, b)(x, mode="sign")
    assert torch.equal(got.double(), want)


def test_fold_thresholds_against_brute_force():
    a = torch.tensor([0.5, -0.25, 2.0, 0.0, 0.0])
    b = torch.tensor([1.2, 3.0, -7.0, 1.0, -1.0])
    thr = fold_thresholds(a, b)
    for dot in range(-40, 41):
        want = (a.double() * dot + b.double()) >= 0
        got = (dot >= thr) != (a < 0)
        assert torch.equal(got, want), dot


def test_padding_correction_is_the_border_contribution():
    w = torch.ones(1, 1, 3, 3)
    corr = padding_correction(w, 4, 4, 1)[0]
    assert corr[0, 0] == 5 and corr[1, 1] == 0 and corr[0, 1] == 3


def test_packed_weights_take_exactly_one_32nd_of_fp32():
    w = torch.randn(32, 128, 3, 3)
    assert packed_bytes_ratio(w) == 32.0
    assert PackedConv3x3(w).weight_bytes * 32 == w.numel() * 4
    packed = pack_weights(torch.ones(1, 64, 3, 3))
    assert (packed == -1).all()  # all 64 bits set (int64 view of 0xFFFF…)


def test_channel_padding_warns():
    with pytest.warns(UserWarning, match="padded with 58 zero bits"):
        PackedConv3x3(torch.randn(2, 70, 3, 3))


def test_bad_inputs_are_refused():
    conv = PackedConv3x3(torch.randn(4, 64, 3, 3))
    with pytest.raises(ValueError, match="x: expected"):
        conv(torch.randn(1, 32, 5, 5))
    with pytest.raises(TypeError, match="float32"):
        conv(torch.randn(1, 64, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="weight"):
        PackedConv3x3(torch.randn(4, 64, 5, 5))
    with pytest.raises(ValueError, match="NaN"):
        PackedConv3x3(torch.full((4, 64, 3, 3), float("nan")))
    with pytest.raises(ValueError, match="mode"):
        conv(torch.randn(1, 64, 5, 5), mode="xor")
    with pytest.raises(ValueError, match="kernel"):
        kernel_info("gpu")


def test_kernel_choice_follows_the_cpu():
    info = kernel_info()
    if not missing_amx() and "refused" not in info.note and "failed" not in info.note:
        assert info.name == "amx-int8"
    elif has_vpopcntdq():
        assert info.name == "avx512-vpopcntdq" and "no AMX kernel" in info.note
    else:
        assert info.name in ("portable-popcount", "numba-swar-popcount") and info.note


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("kernel", ["portable", "numba"])
def test_fallback_kernels_are_bit_exact_too(kernel):
    if kernel == "numba":
        pytest.importorskip("numba")
    g = torch.Generator().manual_seed(5)
    for cin, cout, stride, h, w in CASES[:3]:
        x, wt = torch.randn(1, cin, h, w, generator=g), torch.randn(cout, cin, 3, 3, generator=g)
        conv = PackedConv3x3(wt, torch.rand(cout, generator=g), stride=stride, kernel=kernel)
        assert torch.equal(conv(x, mode="int").double(), _ref(x, wt, stride).double())
        res = torch.randn(1, cout, *conv.out_size(h, w), generator=g) if stride == 1 else None
        aff = conv(x, mode="affine", residual=res, clamp=(-20.0, 20.0))
        want = conv.scale.view(1, -1, 1, 1) * _ref(x, wt, stride) + (0 if res is None else res)
        torch.testing.assert_close(aff, want.clamp(-20, 20), rtol=1e-6, atol=1e-4)
        bits = packed_buffer(1, *conv.out_size(h, w), cout)
        fused = conv(x, mode="affine", residual=res, clamp=(-20.0, 20.0), pack_out=bits)
        assert torch.equal(fused, aff) and torch.equal(bits, pack_activations(aff))
        assert torch.equal(conv(x, mode="packed"), pack_activations(conv(x, mode="sign")))
    assert kernel_info(kernel).name.startswith(kernel)


@pytest.mark.slow
def test_a_cpu_without_vpopcntdq_falls_back_and_says_so(monkeypatch):
    from paperzoo.bimtdp import packed

    monkeypatch.setattr(packed, "cpu_flags", lambda: {"avx2", "popcnt"})
    packed._backend.cache_clear()
    try:
        info = packed.kernel_info("auto")
        assert info.name in ("portable-popcount", "numba-swar-popcount")
        assert "lacks avx512_vpopcntdq" in info.note
        w = torch.randn(8, 64, 3, 3)
        x = torch.randn(1, 64, 5, 5)
        assert torch.equal(PackedConv3x3(w)(x, mode="int").double(), _ref(x, w, 1).double())
    finally:
        packed._backend.cache_clear()


def test_forcing_amx_on_a_cpu_without_it_is_one_clear_error(monkeypatch):
    from paperzoo.bimtdp import packed

    monkeypatch.setattr(packed, "cpu_flags", lambda: {"avx512f", "avx512_vpopcntdq", "popcnt"})
    packed._backend.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="kernel 'amx': CPU lacks amx_tile, amx_int8"):
            packed.kernel_info("amx")
    finally:
        packed._backend.cache_clear()


@pytest.mark.parametrize("cpp_kernel", ["amx"], indirect=True)
def test_amx_weight_bytes_are_a_scratch_that_is_never_pickled(cpp_kernel):
    conv = PackedConv3x3(torch.randn(40, 64, 3, 3), kernel="amx")
    assert conv.amx_scratch_bytes == 0
    conv(torch.randn(1, 64, 5, 5))
    assert conv.amx_scratch_bytes == 64 * 9 * 64  # 40 output channels padded to 64, 1 byte each
    assert conv.weight_bytes * 32 == 40 * 64 * 9 * 4  # what is stored stays bit-packed
    assert pickle.loads(pickle.dumps(conv)).amx_scratch_bytes == 0


def test_without_a_compiler_the_numba_kernel_runs_and_says_why(monkeypatch):
    pytest.importorskip("numba")
    from paperzoo.bimtdp import packed

    def no_compiler(flavour):
        raise OSError("g++ not found")

    monkeypatch.setattr(packed, "_compile", no_compiler)
    packed._backend.cache_clear()
    try:
        info = packed.kernel_info("portable")
        assert info.name == "numba-swar-popcount" and "C++ build failed (OSError)" in info.note
    finally:
        packed._backend.cache_clear()


FUSED_CASES = [(64, 8, 1, 9, 11), (70, 20, 1, 8, 8), (128, 40, 2, 7, 9), (130, 70, 2, 10, 6),
               (64, 100, 1, 3, 3)]  # fmt: skip


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("cin,cout,stride,h,w", FUSED_CASES)
def test_fused_packed_output_is_bit_exact_against_packing_the_float_output(
    cpp_kernel, cin, cout, stride, h, w
):
    # odd channel counts (partial words, partial 32-channel tiles), stride 2, and images small
    # enough that most outputs need the padding correction
    g = torch.Generator().manual_seed(cin + cout)
    x, wt = torch.randn(2, cin, h, w, generator=g), torch.randn(cout, cin, 3, 3, generator=g)
    a, b = torch.randn(cout, generator=g), torch.randn(cout, generator=g) * 5
    conv = PackedConv3x3(wt, a, b, stride=stride, kernel=cpp_kernel)
    ho, wo = conv.out_size(h, w)
    res = torch.randn(2, cout, ho, wo, generator=g)
    tau = torch.randn(cout, generator=g) * 0.3
    y = conv(x, mode="affine", residual=res, clamp=(-1.0, 1.0))
    bits = packed_buffer(2, ho, wo, cout)
    fused = conv(x, mode="affine", residual=res, clamp=(-1.0, 1.0), pack_out=bits,
                 pack_threshold=tau)  # fmt: skip
    assert torch.equal(fused, y)
    assert torch.equal(bits, pack_activations(y, tau))
    # sign bits only (folded integer thresholds), packed: the ±1 map packed, and exact vs F.conv2d
    signs = conv(x, mode="packed")
    assert torch.equal(signs, pack_activations(conv(x, mode="sign")))
    want = a.double().view(-1, 1, 1) * _ref(x, wt, stride).double() + b.double().view(-1, 1, 1)
    assert torch.equal(signs, pack_activations(torch.where(want >= 0, 1.0, -1.0).float()))


@pytest.mark.filterwarnings("ignore:packed conv")
def test_reused_buffers_and_the_in_place_residual_update():
    g = torch.Generator().manual_seed(7)
    wt = torch.randn(70, 70, 3, 3, generator=g)
    conv = PackedConv3x3(wt, torch.rand(70, generator=g), torch.randn(70, generator=g))
    pin, pout = packed_buffer(1, 6, 5, 70), packed_buffer(1, 6, 5, 70)
    for seed in (1, 2):  # the second call overwrites every word the first wrote
        x = torch.randn(1, 70, 6, 5, generator=torch.Generator().manual_seed(seed))
        fresh = conv(x, mode="affine", residual=x, clamp=(-1.0, 1.0))
        r = x.contiguous(memory_format=torch.channels_last).clone()
        if not getattr(backend(conv.kernel)[0], "channels_last", False):
            r = x.clone()
        got = conv(x, mode="affine", residual=r, clamp=(-1.0, 1.0), out=r, pack_into=pin,
                   pack_out=pout)  # fmt: skip
        assert got.data_ptr() == r.data_ptr() and torch.equal(got, fresh)
        assert torch.equal(pin, pack_activations(x)) and torch.equal(pout, pack_activations(fresh))


def test_packed_buffers_have_a_plus_one_border_in_real_channels_only():
    buf = packed_buffer(1, 2, 3, 70)
    assert buf.shape == (1, 4, 5, 2)
    assert (buf[0, 0, :, 0] == -1).all() and (buf[0, 0, :, 1] == (1 << 6) - 1).all()
    assert (buf[0, 1:-1, 1:-1] == 0).all()


def test_bad_fused_outputs_are_refused():
    conv = PackedConv3x3(torch.randn(8, 64, 3, 3))
    x = torch.randn(1, 64, 5, 5)
    with pytest.raises(ValueError, match="pack_out: expected"):
        conv(x, pack_out=packed_buffer(1, 5, 4, 8))
    with pytest.raises(ValueError, match="pack_out: only"):
        conv(x, mode="int", pack_out=packed_buffer(1, 5, 5, 8))
    with pytest.raises(ValueError, match="out: not in int"):
        conv(x, mode="int", out=torch.empty(1, 8, 5, 5))
    with pytest.raises(ValueError, match="pack_threshold"):
        conv(x, pack_out=packed_buffer(1, 5, 5, 8), pack_threshold=torch.zeros(3))
    same = PackedConv3x3(torch.randn(64, 64, 3, 3))
    buf = pack_activations(x)
    with pytest.raises(ValueError, match="must not be the input"):
        same.run(buf, 5, 5, "packed", pack_out=buf)


def _pack_ref(x, tau):
    """Pure torch packing: bit c % 64 of word c // 64 is x ≥ τ_c, +1 border in real channels."""
    n, c, h, w = x.shape
    bits = torch.ones(n, h + 2, w + 2, words(c) * 64, dtype=torch.int64)
    bits[..., c:] = 0
    bits[:, 1:-1, 1:-1, :c] = (x >= tau.view(1, -1, 1, 1)).permute(0, 2, 3, 1).to(torch.int64)
    return (bits.view(n, h + 2, w + 2, -1, 64) << torch.arange(64)).sum(-1)


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("kernel", ["auto", "portable"])
@pytest.mark.parametrize("threads", [1, 2])
def test_packing_split_across_threads_matches_a_torch_reference(kernel, threads):
    # 16-pixel packing tasks straddle rows (W 19 and 5), a partial last word (130 channels), 3
    # images; standalone, fused into the conv call (NCHW and channels-last input), into a reused
    # buffer whose old contents must all be overwritten
    # (41, 37): 95 chunks per image, so the 2-thread split straddles images and the packing
    # runs in pieces of 64 chunks; the AMX kernel tiles a 37-pixel row as 4 x 10
    g = torch.Generator().manual_seed(11)
    for h, w in ((5, 19), (7, 5), (41, 37)):
        x = torch.randn(3, 130, h, w, generator=g)
        tau = torch.randn(130, generator=g) * 0.2
        want = _pack_ref(x, tau)
        assert torch.equal(pack_activations(x, tau, kernel, threads), want)
        conv = PackedConv3x3(torch.randn(40, 130, 3, 3, generator=g), kernel=kernel)
        buf = torch.full_like(want, 12345)
        for xin in (x, x.contiguous(memory_format=torch.channels_last)):
            got = conv(xin, tau, mode="int", threads=threads, pack_into=buf)
            assert torch.equal(buf, want)
            assert torch.equal(got.double(), _ref(x - tau.view(1, -1, 1, 1), conv.sign_weight, 1))


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize(
    "cin,cout,stride,h,w", [(256, 40, 1, 28, 28), (128, 72, 1, 9, 56), (70, 36, 2, 11, 37)]
)
def test_the_amx_epilogue_matches_the_popcount_kernel_in_every_mode(cin, cout, stride, h, w):
    # the AMX kernel's own epilogue (int32 dots, 16 channels at a time) against the popcount
    # kernel's: partial 32-channel blocks, channel padding, stride 2, rows of 2 and 4 tiles,
    # negative scales (flipped thresholds), residual NCHW and channels last, fused packed output
    try:
        kernel_info("amx")
    except RuntimeError as err:
        pytest.skip(f"no amx kernel here: {err}")
    if not has_vpopcntdq():
        pytest.skip("no avx512 kernel here: CPU lacks avx512_vpopcntdq")
    g = torch.Generator().manual_seed(cin + cout)
    x, wt = torch.randn(2, cin, h, w, generator=g), torch.randn(cout, cin, 3, 3, generator=g)
    a, b = torch.randn(cout, generator=g), torch.randn(cout, generator=g) * 5
    tau_in, tau = torch.randn(cin, generator=g) * 0.2, torch.randn(cout, generator=g) * 0.3
    got = {}
    for kernel in ("amx", "avx512"):
        conv = PackedConv3x3(wt, a, b, stride=stride, kernel=kernel)
        ho, wo = conv.out_size(h, w)
        res = torch.randn(2, cout, ho, wo, generator=torch.Generator().manual_seed(5))
        outs = [conv(x, tau_in, mode=m) for m in ("int", "sign", "packed")]
        for r in (res, res.contiguous(memory_format=torch.channels_last)):
            bits = packed_buffer(2, ho, wo, cout)
            outs.append(conv(x, tau_in, "affine", r, clamp=(-1.0, 1.0), pack_out=bits,
                             pack_threshold=tau))  # fmt: skip
            outs.append(bits)
        got[kernel] = outs
    assert got["amx"][0].abs().sum() > 0  # not all zero dots
    for amx, pop in zip(got["amx"], got["avx512"], strict=True):
        assert torch.equal(amx, pop)


@pytest.mark.filterwarnings("ignore:packed conv")
def test_convs_of_different_channel_counts_sharing_a_scratch_stay_exact(cpp_kernel):
    # 70 and 128 channels both take 2 words per pixel, so the AMX kernel hands both the same
    # byte scratch: expanding the 70-channel input must not leave its border (-1 in channels
    # 70..127) for the 128-channel conv that packs its float input next
    g = torch.Generator().manual_seed(9)
    for cin in (70, 128):
        x, wt = torch.randn(2, cin, 6, 5, generator=g), torch.randn(24, cin, 3, 3, generator=g)
        conv = PackedConv3x3(wt, kernel=cpp_kernel)
        want = _ref(x, wt, 1).double()
        if cin == 70:  # from packed input: the AMX kernel expands it into the scratch
            assert torch.equal(conv.run(pack_activations(x), 6, 5, "int").double(), want)
        else:  # from float input: the packing writes the scratch's interior only
            assert torch.equal(conv(x, mode="int").double(), want)
