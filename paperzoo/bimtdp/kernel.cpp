// Bit-packed XNOR-popcount 3x3 convolution (docs/bimtdp.md §2.6). One translation unit, pybind11
// only (no ATen headers, so it compiles in seconds); tensors arrive as raw pointers that the Python
// side has checked for dtype, shape and contiguity.
//
// Layouts. Activations: [N][Hp = H + 2][Cw][Wp] uint64, bit c % 64 of word c / 64 is 1 for +1;
// the 1-pixel border holds +1 in every real channel (corrected exactly afterwards) and channel
// padding bits are 0 in both activations and weights, so they never count as mismatches.
// Weights: [Cout][3][3][Cw]. dot = 9 C - 2 popcount(a XOR w).
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#ifdef __AVX512VPOPCNTDQ__
#include <immintrin.h>
#endif

namespace py = pybind11;
using u64 = std::uint64_t;

static inline const char* kernel_name() {
#ifdef __AVX512VPOPCNTDQ__
  return "avx512-vpopcntdq";
#else
  return "portable-popcount";
#endif
}

// popcount sums of the 8 outputs x0..x0+7 of one (image, out channel, row)
static inline void dots8(const u64* a, const u64* w, int cw, int wp, int y0, int x0, int stride,
                         long long* res) {
#ifdef __AVX512VPOPCNTDQ__
  if (stride == 1) {
    __m512i acc = _mm512_setzero_si512();
    for (int dy = 0; dy < 3; ++dy) {
      const u64* row = a + (long long)(y0 + dy) * cw * wp;
      for (int j = 0; j < cw; ++j) {
        const u64* rj = row + (long long)j * wp + x0;
        for (int dx = 0; dx < 3; ++dx) {
          __m512i av = _mm512_loadu_si512((const void*)(rj + dx));
          __m512i wv = _mm512_set1_epi64((long long)w[(dy * 3 + dx) * cw + j]);
          acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(av, wv)));
        }
      }
    }
    _mm512_storeu_si512((void*)res, acc);
    return;
  }
#endif
  for (int k = 0; k < 8; ++k) res[k] = 0;
  for (int dy = 0; dy < 3; ++dy) {
    const u64* row = a + (long long)(y0 + dy) * cw * wp;
    for (int j = 0; j < cw; ++j) {
      const u64* rj = row + (long long)j * wp;
      for (int dx = 0; dx < 3; ++dx) {
        const u64 wv = w[(dy * 3 + dx) * cw + j];
        for (int k = 0; k < 8; ++k)
          res[k] += __builtin_popcountll(rj[(x0 + k) * stride + dx] ^ wv);
      }
    }
  }
}

// mode 0: int32 dot (minus corr); mode 1: float A[o] (dot - corr) + B[o] (+ residual);
// mode 2: float sign of (dot - corr >= thr[o]) XOR flip[o], as +-1
static void conv(std::uintptr_t a_p, std::uintptr_t w_p, int n, int c, int cw, int hp, int wp,
                 int cout, int ho, int wo, int stride, std::uintptr_t corr_p, int mode,
                 std::uintptr_t a_scale_p, std::uintptr_t b_p, std::uintptr_t res_p,
                 std::uintptr_t out_p, int threads) {
  const u64* a = reinterpret_cast<const u64*>(a_p);
  const u64* w = reinterpret_cast<const u64*>(w_p);
  const int* corr = reinterpret_cast<const int*>(corr_p);
  const float* sa = reinterpret_cast<const float*>(a_scale_p);
  const float* sb = reinterpret_cast<const float*>(b_p);
  const float* res = reinterpret_cast<const float*>(res_p);
  const long long img = (long long)hp * cw * wp, plane = (long long)ho * wo;
  const long long total = 9LL * c;
  py::gil_scoped_release release;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int i = 0; i < n; ++i) {
    for (int o = 0; o < cout; ++o) {
      const u64* ai = a + i * img;
      const u64* wo_ = w + (long long)o * 9 * cw;
      const int* co = corr + o * plane;
      const long long base = ((long long)i * cout + o) * plane;
      long long res8[8];
      for (int y = 0; y < ho; ++y) {
        for (int x0 = 0; x0 < wo; x0 += 8) {
          dots8(ai, wo_, cw, wp, y * stride, x0, stride, res8);
          const int m = wo - x0 < 8 ? wo - x0 : 8;
          for (int k = 0; k < m; ++k) {
            const long long p = (long long)y * wo + x0 + k;
            const int dot = (int)(total - 2 * res8[k]) - co[p];
            if (mode == 0) {
              reinterpret_cast<int*>(out_p)[base + p] = dot;
            } else if (mode == 1) {
              float v = sa[o] * (float)dot + sb[o];
              if (res) v += res[base + p];
              reinterpret_cast<float*>(out_p)[base + p] = v;
            } else {
              const bool bit = (dot >= (int)sb[o]) != (sa[o] < 0);
              reinterpret_cast<float*>(out_p)[base + p] = bit ? 1.0f : -1.0f;
            }
          }
        }
      }
    }
  }
}

// x [N][C][H][W] float -> packed [N][H + 2][Cw][Wp] (zeroed by the caller), bit = x >= thr[c].
// Parallel only over images when N > 1: for one image packing takes microseconds, less than
// waking a thread team (which, on a loaded machine, can cost a scheduler slice).
static void pack(std::uintptr_t x_p, std::uintptr_t thr_p, int n, int c, int h, int w, int cw,
                 int wp, std::uintptr_t out_p, int threads) {
  const float* x = reinterpret_cast<const float*>(x_p);
  const float* thr = reinterpret_cast<const float*>(thr_p);
  u64* out = reinterpret_cast<u64*>(out_p);
  const int hp = h + 2;
  py::gil_scoped_release release;
#pragma omp parallel for schedule(static) num_threads(n > 1 ? threads : 1) if (n > 1)
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < cw; ++j) {
      u64* oi = out + (long long)i * hp * cw * wp;
      const int c_end = (j + 1) * 64 < c ? (j + 1) * 64 : c;
      const int nbits = c_end - j * 64;
      const u64 real = nbits == 64 ? ~0ULL : ((1ULL << nbits) - 1);
      for (int xx = 0; xx < w + 2; ++xx) {  // top and bottom border rows: +1
        oi[(long long)j * wp + xx] = real;
        oi[((long long)(hp - 1) * cw + j) * wp + xx] = real;
      }
      for (int y = 0; y < h; ++y) {
        u64* row = oi + ((long long)(y + 1) * cw + j) * wp;
        row[0] = real;
        row[w + 1] = real;
        for (int cc = j * 64; cc < c_end; ++cc) {
          const float* src = x + (((long long)i * c + cc) * h + y) * w;
          const float t = thr[cc];
          const int b = cc & 63;
          for (int xx = 0; xx < w; ++xx) row[xx + 1] |= (u64)(src[xx] >= t) << b;
        }
      }
    }
  }
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("kernel_name", &kernel_name);
  m.def("conv", &conv);
  m.def("pack", &pack);
}
