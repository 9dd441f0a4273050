// Bit-packed XNOR-popcount 3x3 convolution (docs/bimtdp.md §2.6, §4). One translation unit,
// pybind11 only (no ATen headers, so it compiles in seconds); tensors arrive as raw pointers that
// the Python side has checked for dtype, shape and contiguity.
//
// Layouts. Activations, channels last: [N][Hp = H + 2][Wp = W + 2][Cw] uint64, bit c % 64 of word
// c / 64 is 1 for +1; the 1-pixel border holds +1 in every real channel (corrected exactly
// afterwards) and channel padding bits are 0 in both activations and weights, so they never count
// as mismatches. Weights, blocked by 8 output channels: [G = ceil(Cout / 8)][9 Cw][8], k = tap *
// Cw + word, output channels past Cout all zero. dot = 9 C - 2 popcount(a XOR w).
//
// Conv micro-kernel: NG groups of 8 output channels (one 512-bit lane each) x PX output pixels
// of one row, NG * PX vector accumulators. Per (tap, word): NG weight loads, PX broadcasts of the
// input word, NG * PX xor + popcount + add, so every loaded word is reused NG or PX times.
//
// Packed output (pout != 0): the epilogue also writes the output's sign bits in the activation
// layout above, [N][Ho + 2][Wo + 2][Cw_out] (a buffer whose border and unused half-words the
// caller set once): bit = v >= pthr[o] for mode 1 (the next block's threshold on the float
// output), the folded-threshold sign for mode 2. A tile owns 32 output channels (NGMAX groups
// of 8, starting at a multiple of 32), i.e. one 32-bit half of a word, so threads never share a
// word. out may then be 0 (no float store), and out may alias a channels-last residual: every
// output value reads only its own residual value, just before it is written. Mode 2 compares the
// popcounts directly: dot >= thr <=> pop <= (9 C - thr - corr) >> 1, one compare per 8 channels.
//
// Input packing can run inside conv() (x_p != 0): the same thread team packs the float input
// (each thread one contiguous range of 16-pixel chunks, every channel plane read as one
// sequential run over it), waits at one barrier, then runs the tiles, so one call and one team
// wake-up serve both.
//
// Built with -DBIMTDP_AMX (and -mamx-tile -mamx-int8), conv() can instead run the exact AMX-INT8
// kernel on +-1 bytes (wb_p != 0; see "AMX-INT8 kernel" below); the other builds lack that code.
#include <pybind11/pybind11.h>

#include <omp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>
#if defined(__AVX512VPOPCNTDQ__) || defined(BIMTDP_AMX)
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

constexpr int PX = 4;  // output pixels per micro-kernel
constexpr int NGMAX = 4;  // groups of 8 output channels per micro-kernel

struct Args {
  const u64* a;
  const u64* w;
  int c, cw, hp, wp, cout, cpad, ho, wo, stride, mode;
  const int* corr;  // [Ho][Wo][cpad]
  const float* sa;  // [cpad]
  const float* sb;  // [cpad]
  const float* res;  // [N][Cout][Ho][Wo] with channel stride res_cs: 1 (channels last) or Ho Wo
  long long res_cs;
  float lo, hi;  // mode 1 clamps to [lo, hi] (a fused Hardtanh; +-inf: none)
  void* out;  // [N][Ho][Wo][Cout], or 0 (packed output only)
  std::uint32_t* pout;  // packed output [N][Ho + 2][Wo + 2][2 Cw_out] 32-bit halves, or 0
  const float* pthr;  // mode 1: [cpad] thresholds of the packed output bits
  int pcw2;  // 2 Cw_out
  const long long* lim;  // mode 2: [cpad] 9 C - thr[o]: bit = (2 pop <= lim - corr) XOR flip
  const std::uint32_t* flip;  // mode 2: [channel blocks of 32] bit l set where sa[32 b + l] < 0
  const std::uint32_t* keep;  // mode 2: [channel blocks of 32] bit l set where 32 b + l < Cout
};

// the 32-bit half-word of output pixel (y, x) that holds channels 32 h .. 32 h + 31
static inline std::uint32_t* pout_at(const Args& s, int i, int y, int x, int h) {
  return s.pout + (((long long)i * (s.ho + 2) + y + 1) * (s.wo + 2) + x + 1) * s.pcw2 + h;
}

static inline long long res_index(const Args& s, int i, long long pin, int o) {
  const long long plane = (long long)s.ho * s.wo;
  return (long long)i * s.cout * plane + (s.res_cs == 1 ? pin * s.cout : pin) + o * s.res_cs;
}

// one output value (portable epilogue and the reference for the vector one)
// (returns the value's packed-output bit)
static inline bool emit(const Args& s, long long at, long long rat, int o, int dot) {
  if (s.mode == 0) {
    static_cast<int*>(s.out)[at] = dot;
    return false;
  } else if (s.mode == 1) {
    float v = s.sa[o] * (float)dot + s.sb[o];
    if (s.res) v += s.res[rat];
    v = v < s.lo ? s.lo : (v > s.hi ? s.hi : v);
    if (s.out) static_cast<float*>(s.out)[at] = v;
    return s.pout && v >= s.pthr[o];
  } else {
    const bool bit = (dot >= (int)s.sb[o]) != (s.sa[o] < 0);
    if (s.out) static_cast<float*>(s.out)[at] = bit ? 1.0f : -1.0f;
    return bit;
  }
}

// where tile (i, g0, y, x0) writes: its pixels, their padding correction, which touch the border
struct Spot {
  int x0, xn, w, stride;
  long long pin0, pix0;  // first output pixel within the image and within the batch
  const int* corr0;
  bool row_inside;
  // the correction is 0 unless a tap falls on the border: skip reading it in the interior
  bool on_border(int q) const {
    const int x = x0 + q;
    return !row_inside || x == 0 || x * stride + 2 > w;
  }
};

static inline Spot spot(const Args& s, int i, int y, int x0) {
  const long long pin0 = (long long)y * s.wo + x0;
  return Spot{x0, s.wo - x0 < PX ? s.wo - x0 : PX, s.wp - 2, s.stride, pin0,
              (long long)i * s.ho * s.wo + pin0, s.corr + pin0 * s.cpad,
              y > 0 && y * s.stride + 2 <= s.hp - 2};
}

// mode 0: int32 dot (minus corr); mode 1: float A[o] (dot - corr) + B[o] (+ residual), clamped;
// mode 2: float sign of (dot - corr >= thr[o]) XOR flip[o], as +-1.
// Tile: groups g0 .. g0 + NG of 8 output channels x pixels x0 .. x0 + PX of row y (clamped).
#ifdef __AVX512VPOPCNTDQ__
// The epilogue of a tile from its popcounts: acc[g][q] = mismatches of channels 8 (g0 + g) ..
// 8 (g0 + g) + 7 at pixel x0 + q (the AMX kernel converts its dots to this form).
template <int NG>
static inline void epilogue(const Args& s, int i, int g0, int y, const Spot& p, const __m512i (&acc)[NG][PX]) {
  const int xn = p.xn, x0 = p.x0, w = p.w;
  const long long pin0 = p.pin0, pix0 = p.pix0;
  const int* corr0 = p.corr0;
  const bool row_inside = p.row_inside;
  auto on_border = [&](int q) { return p.on_border(q); };
  // vector epilogue: 8 consecutive output channels of one pixel are contiguous (channels last)
  const __m512i total = _mm512_set1_epi64(9LL * s.c);
  const __m256 vlo = _mm256_set1_ps(s.lo), vhi = _mm256_set1_ps(s.hi);
  const __m256i rstride = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32((int)s.res_cs));
  std::uint32_t pbits[PX] = {0};
  if (s.mode == 2) {  // dot >= thr <=> 2 pop <= 9 C - thr - corr <=> pop <= (lim - corr) >> 1
    // unrolled over the whole tile (the accumulators stay in registers); pixels past the row
    // end (q >= xn) compare against the interior bound and are never stored
    const bool inside = row_inside && x0 > 0 && (x0 + PX - 1) * s.stride + 2 <= w;
#pragma GCC unroll 4
    for (int g = 0; g < NG; ++g) {
      const int o0 = (g0 + g) * 8;
      const __m512i lim = _mm512_loadu_si512((const void*)(s.lim + o0));
      const __m512i half = _mm512_srai_epi64(lim, 1);
#pragma GCC unroll 4
      for (int q = 0; q < PX; ++q) {
        __m512i bound = half;
        if (!inside && q < xn && on_border(q)) {
          const __m256i corr = _mm256_loadu_si256((const __m256i*)(corr0 + (long long)q * s.cpad + o0));
          bound = _mm512_srai_epi64(_mm512_sub_epi64(lim, _mm512_cvtepi32_epi64(corr)), 1);
        }
        pbits[q] |= _cvtmask8_u32(_mm512_cmple_epi64_mask(acc[g][q], bound)) << (8 * g);
      }
    }
    const std::uint32_t flip = s.flip[g0 / NGMAX], keep = s.keep[g0 / NGMAX];
    for (int q = 0; q < xn; ++q) {
      pbits[q] = (pbits[q] ^ flip) & keep;
      if (s.out)
        for (int g = 0; g < NG; ++g) {
          const __m256 v = _mm256_mask_blend_ps((__mmask8)(pbits[q] >> (8 * g)), _mm256_set1_ps(-1.0f),
                                                _mm256_set1_ps(1.0f));
          _mm256_mask_storeu_ps(static_cast<float*>(s.out) + (pix0 + q) * s.cout + (g0 + g) * 8,
                                (__mmask8)(keep >> (8 * g)), v);
        }
    }
  } else {
    for (int g = 0; g < NG; ++g) {
      const int o0 = (g0 + g) * 8;
      const __m256 vpthr = s.pout && s.mode == 1 ? _mm256_loadu_ps(s.pthr + o0) : _mm256_setzero_ps();
      const __mmask8 keep = (__mmask8)(s.cout - o0 >= 8 ? 0xFF : ((1u << (s.cout - o0)) - 1));
      const __m256 va = _mm256_loadu_ps(s.sa + o0), vb = _mm256_loadu_ps(s.sb + o0);
      for (int q = 0; q < xn; ++q) {
        const __m256i corr = on_border(q) ? _mm256_loadu_si256((const __m256i*)(corr0 + (long long)q * s.cpad + o0))
                                          : _mm256_setzero_si256();
        const __m512i d64 = _mm512_sub_epi64(_mm512_sub_epi64(total, _mm512_slli_epi64(acc[g][q], 1)),
                                             _mm512_cvtepi32_epi64(corr));
        const long long at = (pix0 + q) * s.cout + o0;
        const __m256i dot = _mm512_cvtepi64_epi32(d64);
        if (s.mode == 0) {
          _mm256_mask_storeu_epi32(static_cast<int*>(s.out) + at, keep, dot);
        } else {  // mode 1
          __m256 v = _mm256_add_ps(_mm256_mul_ps(va, _mm256_cvtepi32_ps(dot)), vb);
          if (s.res) {
            const float* r = s.res + res_index(s, i, pin0 + q, o0);
            v = _mm256_add_ps(v, s.res_cs == 1 ? _mm256_maskz_loadu_ps(keep, r)
                                               : _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), keep,
                                                                           rstride, r, 4));
          }
          v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
          if (s.out) _mm256_mask_storeu_ps(static_cast<float*>(s.out) + at, keep, v);
          if (s.pout)
            pbits[q] |= (std::uint32_t)(_mm256_cmp_ps_mask(v, vpthr, _CMP_GE_OQ) & keep) << (8 * g);
        }
      }
    }
  }
  if (s.pout)
    for (int q = 0; q < xn; ++q) *pout_at(s, i, y, x0 + q, g0 / 4) = pbits[q];
}
#endif

template <int NG, int CW>  // CW > 0: words per pixel fixed at compile time (C 193..256: 4)
static void tile(const Args& s, int i, int g0, int y, int x0) {
  const int cw = CW > 0 ? CW : s.cw, k9 = 9 * cw;
  const Spot p = spot(s, i, y, x0);
  const u64* px[PX];
  for (int q = 0; q < PX; ++q) {
    const int x = x0 + (q < p.xn ? q : p.xn - 1);
    px[q] = s.a + (((long long)i * s.hp + (long long)y * s.stride) * s.wp + (long long)x * s.stride) * cw;
  }
  const u64* wg = s.w + (long long)g0 * k9 * 8;
  const long long rowstep = (long long)s.wp * cw;
#ifdef __AVX512VPOPCNTDQ__
  __m512i acc[NG][PX];
  for (int g = 0; g < NG; ++g)
    for (int q = 0; q < PX; ++q) acc[g][q] = _mm512_setzero_si512();
  for (int dy = 0; dy < 3; ++dy) {  // taps (dy, 0..2) x words: 3 Cw contiguous words in both
    const u64* wt = wg + (long long)dy * 3 * cw * 8;
    for (int j = 0; j < 3 * cw; ++j) {
      __m512i wv[NG];
#pragma GCC unroll 4
      for (int g = 0; g < NG; ++g)
        wv[g] = _mm512_loadu_si512((const void*)(wt + ((long long)g * k9 + j) * 8));
#pragma GCC unroll 4
      for (int q = 0; q < PX; ++q) {
        const __m512i av = _mm512_set1_epi64((long long)px[q][dy * rowstep + j]);
#pragma GCC unroll 4
        for (int g = 0; g < NG; ++g)
          acc[g][q] = _mm512_add_epi64(acc[g][q], _mm512_popcnt_epi64(_mm512_xor_si512(av, wv[g])));
      }
    }
  }
  epilogue<NG>(s, i, g0, y, p, acc);
#else
  const int xn = p.xn;
  const long long pin0 = p.pin0, pix0 = p.pix0;
  long long pop[NGMAX * PX * 8] = {0};
  for (int dy = 0; dy < 3; ++dy) {
    const u64* wt = wg + (long long)dy * 3 * cw * 8;
    for (int j = 0; j < 3 * cw; ++j)
      for (int q = 0; q < PX; ++q) {
        const u64 av = px[q][dy * rowstep + j];
        for (int g = 0; g < NG; ++g)
          for (int l = 0; l < 8; ++l)
            pop[(g * PX + q) * 8 + l] += __builtin_popcountll(av ^ wt[((long long)g * k9 + j) * 8 + l]);
      }
  }
  const long long total = 9LL * s.c;
  std::uint32_t pbits[PX] = {0};
  for (int g = 0; g < NG; ++g)
    for (int l = 0; l < 8; ++l) {
      const int o = (g0 + g) * 8 + l;
      if (o >= s.cout) break;
      for (int q = 0; q < xn; ++q) {
        const int dot = (int)(total - 2 * pop[(g * PX + q) * 8 + l]) - (p.on_border(q) ? p.corr0[(long long)q * s.cpad + o] : 0);
        if (emit(s, (pix0 + q) * s.cout + o, s.res ? res_index(s, i, pin0 + q, o) : 0, o, dot))
          pbits[q] |= 1u << (g * 8 + l);
      }
    }
  if (s.pout)
    for (int q = 0; q < xn; ++q) *pout_at(s, i, y, x0 + q, g0 / 4) = pbits[q];
#endif
}

// padded position of pixel p (flattened within the H x W plane) in a packed image: (y + 1, x + 1)
static inline long long padded(int p, int w, int wp) { return (long long)(p / w + 1) * wp + p % w + 1; }

constexpr int PACK_CHUNKS = 64;  // 16-pixel chunks per packing piece (its masks: 8 KB)

// the packed words of 64 channels [c0, c0 + 64) of the 16-pixel chunks k0 .. k1 (flattened
// pixels, k1 - k0 <= PACK_CHUNKS) of image x_i, into word 0 of dst + pixel * cw: every channel
// plane is read as one sequential run over the chunks (what the hardware prefetchers follow)
static inline void pack_words(const float* xi, const float* thr, int c, int hw, int w, int wp,
                              int c0, int k0, int k1, u64* dst, int cw) {
#ifdef __AVX512VPOPCNTDQ__
  alignas(64) std::uint16_t m[PACK_CHUNKS * 64];  // [chunk][channel]: the compare masks
  const int tail_k = hw / 16;  // the one chunk with fewer than 16 pixels, if any
  const __mmask16 tail = (__mmask16)((1u << (hw % 16)) - 1);
  for (int cl = 0; cl < 64; ++cl) {
    const int cc = c0 + cl;
    if (cc >= c) {
      for (int k = k0; k < k1; ++k) m[(k - k0) * 64 + cl] = 0;
      continue;
    }
    const float* src = xi + (long long)cc * hw;
    const __m512 t = _mm512_set1_ps(thr[cc]);
    for (int k = k0; k < k1; ++k) {
      _mm_prefetch((const char*)(src + 4LL * hw + 16 * k), _MM_HINT_T0);  // 4 planes ahead
      const __m512 v = k == tail_k ? _mm512_maskz_loadu_ps(tail, src + 16 * k) : _mm512_loadu_ps(src + 16 * k);
      m[(k - k0) * 64 + cl] = (std::uint16_t)_mm512_cmp_ps_mask(v, t, _CMP_GE_OQ);
    }
  }
  for (int k = k0; k < k1; ++k) {
    // 64 x 16 bit transpose: bytes of the masks, then one byte-test per pixel
    const std::uint16_t* mk = m + (k - k0) * 64;
    const __m512i z0 = _mm512_load_si512((const void*)mk), z1 = _mm512_load_si512((const void*)(mk + 32));
    const __m512i lo = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(z0)),
                                          _mm512_cvtepi16_epi8(z1), 1);
    const __m512i hi = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtepi16_epi8(_mm512_srli_epi16(z0, 8))),
        _mm512_cvtepi16_epi8(_mm512_srli_epi16(z1, 8)), 1);
    const int p0 = 16 * k, nx = hw - p0 < 16 ? hw - p0 : 16;
    int y = p0 / w, x = p0 % w;
    for (int xl = 0; xl < nx; ++xl) {
      const __m512i bit = _mm512_set1_epi8((char)(1 << (xl & 7)));
      dst[((long long)(y + 1) * wp + x + 1) * cw] = (u64)_mm512_test_epi8_mask(xl < 8 ? lo : hi, bit);
      if (++x == w) x = 0, ++y;
    }
  }
#else
  const int c_end = c0 + 64 < c ? c0 + 64 : c, q_end = 16 * k1 < hw ? 16 * k1 : hw;
  for (int q = 16 * k0; q < q_end; ++q) {
    u64 word = 0;
    for (int cc = c0; cc < c_end; ++cc) word |= (u64)(xi[(long long)cc * hw + q] >= thr[cc]) << (cc - c0);
    dst[padded(q, w, wp) * cw] = word;
  }
#endif
}

// word j (channels 64 j ..) of one pixel of a channels-last image: 4 compares of 16 channels
static inline u64 pack_pixel_nhwc(const float* p, const float* thr, int c, int j) {
#ifdef __AVX512VPOPCNTDQ__
  u64 word = 0;
  for (int k = 0; k < 4; ++k) {
    const int c0 = j * 64 + k * 16;
    if (c0 >= c) break;
    const __mmask16 live = (__mmask16)(c - c0 >= 16 ? 0xFFFF : ((1u << (c - c0)) - 1));
    const __m512 v = _mm512_maskz_loadu_ps(live, p + c0), t = _mm512_maskz_loadu_ps(live, thr + c0);
    word |= (u64)_mm512_mask_cmp_ps_mask(live, v, t, _CMP_GE_OQ) << (k * 16);
  }
  return word;
#else
  u64 word = 0;
  const int c_end = j * 64 + 64 < c ? j * 64 + 64 : c;
  for (int cc = j * 64; cc < c_end; ++cc) word |= (u64)(p[cc] >= thr[cc]) << (cc - j * 64);
  return word;
#endif
}

// x [N][C][H][W] float (nhwc: stored [N][H][W][C]) -> packed [N][H + 2][W + 2][Cw],
// bit = x >= thr[c], border +1; tasks of 16 pixels x 64 channels so that threads can split one
// image.
struct PackArgs {
  const float* x;
  const float* thr;
  int c, h, w, cw, wp;
  bool nhwc;
  u64* out;
  std::int8_t* bytes = nullptr;  // also the words as +-1 bytes [N][Hp][Wp][64 Cw] (AMX), or 0
};

// a packed word as 64 bytes, +1 where its bit is set, -1 elsewhere
static inline void store_pm1(std::int8_t* dst, u64 word) {
#ifdef __AVX512VPOPCNTDQ__
  _mm512_storeu_si512((void*)dst, _mm512_mask_blend_epi8((__mmask64)word, _mm512_set1_epi8(-1), _mm512_set1_epi8(1)));
#else
  for (int b = 0; b < 64; ++b) dst[b] = (word >> b) & 1 ? 1 : -1;
#endif
}

// the +1 border of image i
static void pack_border(const PackArgs& p, int i) {
  const int hp = p.h + 2, cw = p.cw, wp = p.wp;
  u64* oi = p.out + (long long)i * hp * wp * cw;
  for (int j = 0; j < cw; ++j) {
    const int nbits = p.c - j * 64 < 64 ? p.c - j * 64 : 64;
    const u64 real = nbits == 64 ? ~0ULL : ((1ULL << nbits) - 1);
    for (int xx = 0; xx < wp; ++xx) {
      oi[(long long)xx * cw + j] = real;
      oi[((long long)(hp - 1) * wp + xx) * cw + j] = real;
    }
    for (int y = 1; y < hp - 1; ++y) {
      oi[(long long)y * wp * cw + j] = real;
      oi[((long long)y * wp + wp - 1) * cw + j] = real;
    }
  }
}

// the 16-pixel chunks k0 .. k1 (flattened, k1 - k0 <= PACK_CHUNKS) of image i, every word
static void pack_chunks(const PackArgs& p, int i, int k0, int k1) {
  const int hw = p.h * p.w, q0 = 16 * k0, q1 = 16 * k1 < hw ? 16 * k1 : hw;
  u64* oi = p.out + (long long)i * (p.h + 2) * p.wp * p.cw;
  const float* xi = p.x + (long long)i * p.c * hw;
  for (int j = 0; j < p.cw; ++j)
    if (!p.nhwc)
      pack_words(xi, p.thr, p.c, hw, p.w, p.wp, j * 64, k0, k1, oi + j, p.cw);
    else
      for (int q = q0; q < q1; ++q)
        oi[padded(q, p.w, p.wp) * p.cw + j] = pack_pixel_nhwc(xi + (long long)q * p.c, p.thr, p.c, j);
  if (p.bytes) {  // the words just written (in L1) again as bytes
    std::int8_t* bi = p.bytes + (long long)i * (p.h + 2) * p.wp * p.cw * 64;
    for (int q = q0; q < q1; ++q) {
      const long long at = padded(q, p.w, p.wp) * p.cw;
      for (int j = 0; j < p.cw; ++j) store_pm1(bi + (at + j) * 64, oi[at + j]);
    }
  }
}

// all of it, inside the calling team: each thread packs one contiguous range of the N x chunks
// 16-pixel chunks (a static split, so no work queue), then the borders; ends in a barrier
static void pack_all(const PackArgs& p, int n) {
  const int chunks = (p.h * p.w + 15) / 16;
  const long long total = (long long)n * chunks;
  const int team = omp_get_num_threads(), me = omp_get_thread_num();
  const long long end = total * (me + 1) / team;
  for (long long q = total * me / team; q < end;) {
    const int i = (int)(q / chunks), k0 = (int)(q % chunks);
    long long k1 = k0 + PACK_CHUNKS < chunks ? k0 + PACK_CHUNKS : chunks;
    if (k1 - k0 > end - q) k1 = k0 + (end - q);
    pack_chunks(p, i, k0, (int)k1);
    q += k1 - k0;
  }
#pragma omp for schedule(static)
  for (int i = 0; i < n; ++i) pack_border(p, i);
}

// Parallel only over images when N > 1: for one image packing alone takes microseconds, less
// than waking a thread team (which, on a loaded machine, can cost a scheduler slice); conv()
// packs its input inside its own team instead.
static void pack(std::uintptr_t x_p, std::uintptr_t thr_p, int n, int c, int h, int w, int cw,
                 int wp, bool nhwc, std::uintptr_t out_p, int threads) {
  const PackArgs p{reinterpret_cast<const float*>(x_p), reinterpret_cast<const float*>(thr_p), c, h,
                   w, cw, wp, nhwc, reinterpret_cast<u64*>(out_p)};
  py::gil_scoped_release release;
#pragma omp parallel num_threads(n > 1 ? threads : 1) if (n > 1)
  pack_all(p, n);
}

#ifdef BIMTDP_AMX
// AMX-INT8 kernel (the "amx" build: -mamx-tile -mamx-int8 -DBIMTDP_AMX, AVX-512 as well). The
// packed words are expanded to +-1 bytes, [N][Hp][Wp][64 Cw] (a caller's scratch, border +1 set
// once, 64 pixels of slack at the end, never written again): by the packing when conv() packs its
// float input, else (a previous layer's packed output) in a pass of their own over the interior;
// channel padding bytes are -1 or +1, their weight bytes 0. Weights: +-1 bytes in the VNNI B-tile
// layout, [channel blocks of 32][9 Cw K steps][2][16 rows][16 columns][4] (K step = tap x 64
// channels; row r column n holds K 4r .. 4r + 3 of output channel n). A block: 2 R pixels of one
// output row x 32 output channels = 2 x 2 int32 tiles; per K step two A tiles (R <= 16 pixels x
// 64 channels, loaded straight from the byte image with a pixel stride), two B tiles, four tdpbssd.
// dot = sum of +-1 products over real channels (border +1) = 9 C - 2 pop, exact in int32, which
// amx_epilogue() takes directly (the same results as the popcount epilogue above).
#include <sys/syscall.h>
#include <unistd.h>

// the OS must grant the tile data state to this process (Linux >= 5.16)
static bool amx_ready() {
  static const bool ok = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
  return ok;
}

struct TileConfig {
  std::uint8_t palette, start_row, reserved[14];
  std::uint16_t colsb[16];
  std::uint8_t rows[16];
};

static void amx_configure(int rows) {  // tiles 0..3 C, 4..5 A: rows x 64 bytes; 6..7 B: 16 x 64
  TileConfig c;
  std::memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int t = 0; t < 8; ++t) c.colsb[t] = 64, c.rows[t] = t < 6 ? rows : 16;
  __asm__ __volatile__("" : : "r"(&c) : "memory");  // gcc 12 drops the stores otherwise
  _tile_loadconfig(&c);
}

// the int32 dots of row y of image i, channel block gb, pixels x0 .. x0 + 2 R - 1 (TWO) or
// x0 + R - 1 (R tile rows), taps (dy, 0..2) only, added to buf [pixels][32 channels] (first: buf
// is not read)
template <bool TWO>
static void amx_block(const Args& s, const std::int8_t* ab, const std::int8_t* wb, int i, int gb,
                      int y, int x0, int r, int dy, bool first, std::int32_t* buf) {
  const int cw = s.cw;
  const long long cpad = 64LL * cw, rs = s.stride * cpad;  // bytes between a tile's pixels
  const std::int8_t* base = ab + (((long long)i * s.hp + (long long)y * s.stride + dy) * s.wp + (long long)x0 * s.stride) * cpad;
  const std::int8_t* wg = wb + ((long long)gb * 9 + 3 * dy) * cw * 2048;
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    if (TWO) {
      _tile_zero(2);
      _tile_zero(3);
    }
  } else {
    _tile_loadd(0, buf, 128);
    _tile_loadd(1, buf + 16, 128);
    if (TWO) {
      _tile_loadd(2, buf + 32 * r, 128);
      _tile_loadd(3, buf + 32 * r + 16, 128);
    }
  }
  for (int dx = 0; dx < 3; ++dx) {
    const std::int8_t* at = base + dx * cpad;
    for (int j = 0; j < cw; ++j) {
      const std::int8_t* wk = wg + (long long)(dx * cw + j) * 2048;
      _tile_loadd(4, at + 64 * j, rs);
      _tile_loadd(6, wk, 64);
      _tile_loadd(7, wk + 1024, 64);
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(1, 4, 7);
      if (TWO) {
        _tile_loadd(5, at + 64 * j + r * rs, rs);
        _tile_dpbssd(2, 5, 6);
        _tile_dpbssd(3, 5, 7);
      }
    }
  }
  _tile_stored(0, buf, 128);
  _tile_stored(1, buf + 16, 128);
  if (TWO) {
    _tile_stored(2, buf + 32 * r, 128);
    _tile_stored(3, buf + 32 * r + 16, 128);
  }
}

// The epilogue of one output row of one 32-channel block straight from its dots d [Wo][32]
// (the dot over real channels with the +1 border, 9 C - 2 pop): 16 channels per int32 compare
// or float conversion, the same arithmetic as epilogue() above. Mode 2: dot - corr >= thr
// <=> dot >= thr + corr (thr32: the integer thresholds, |thr| <= 2^30, so no overflow).
static void amx_epilogue(const Args& s, int i, int gb, int y, const std::int32_t* d, const std::int32_t* thr32) {
  const int o0 = 32 * gb, w = s.wp - 2;
  const std::uint32_t keep = s.cout - o0 >= 32 ? ~0u : (1u << (s.cout - o0)) - 1;
  const __mmask16 k0 = (__mmask16)keep, k1 = (__mmask16)(keep >> 16);
  const bool row_inside = y > 0 && y * s.stride + 2 <= s.hp - 2;
  const long long pin0 = (long long)y * s.wo, pix0 = (long long)i * s.ho * s.wo + pin0;
  const int* corr0 = s.corr + pin0 * s.cpad + o0;
  const __m512i rstride = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32((int)s.res_cs));
  const __m512 vlo = _mm512_set1_ps(s.lo), vhi = _mm512_set1_ps(s.hi);
  if (s.mode == 2) {
    const __m512i t0 = _mm512_maskz_loadu_epi32(k0, thr32 + o0), t1 = _mm512_maskz_loadu_epi32(k1, thr32 + o0 + 16);
    const std::uint32_t flip = s.flip[gb];
    for (int x = 0; x < s.wo; ++x) {
      __m512i b0 = t0, b1 = t1;
      if (!row_inside || x == 0 || x * s.stride + 2 > w) {
        const int* c = corr0 + (long long)x * s.cpad;
        b0 = _mm512_add_epi32(b0, _mm512_maskz_loadu_epi32(k0, c));
        b1 = _mm512_add_epi32(b1, _mm512_maskz_loadu_epi32(k1, c + 16));
      }
      const std::uint32_t lo = _mm512_cmpge_epi32_mask(_mm512_loadu_si512((const void*)(d + 32 * x)), b0);
      const std::uint32_t hi = _mm512_cmpge_epi32_mask(_mm512_loadu_si512((const void*)(d + 32 * x + 16)), b1);
      const std::uint32_t bits = ((lo | hi << 16) ^ flip) & keep;
      if (s.out) {
        float* o = static_cast<float*>(s.out) + (pix0 + x) * s.cout + o0;
        const __m512 m1 = _mm512_set1_ps(-1.0f), p1 = _mm512_set1_ps(1.0f);
        _mm512_mask_storeu_ps(o, k0, _mm512_mask_blend_ps((__mmask16)bits, m1, p1));
        _mm512_mask_storeu_ps(o + 16, k1, _mm512_mask_blend_ps((__mmask16)(bits >> 16), m1, p1));
      }
      if (s.pout) *pout_at(s, i, y, x, gb) = bits;
    }
    return;
  }
  for (int x = 0; x < s.wo; ++x) {
    const bool border = !row_inside || x == 0 || x * s.stride + 2 > w;
    std::uint32_t bits = 0;
    for (int h = 0; h < 2; ++h) {
      const int o = o0 + 16 * h;
      const __mmask16 k = h ? k1 : k0;
      __m512i dot = _mm512_loadu_si512((const void*)(d + 32 * x + 16 * h));
      if (border) dot = _mm512_sub_epi32(dot, _mm512_maskz_loadu_epi32(k, corr0 + (long long)x * s.cpad + 16 * h));
      const long long at = (pix0 + x) * s.cout + o;
      if (s.mode == 0) {
        _mm512_mask_storeu_epi32(static_cast<int*>(s.out) + at, k, dot);
        continue;
      }
      __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, s.sa + o), _mm512_cvtepi32_ps(dot)),
                               _mm512_maskz_loadu_ps(k, s.sb + o));
      if (s.res) {
        const float* r = s.res + res_index(s, i, pin0 + x, o);
        v = _mm512_add_ps(v, s.res_cs == 1 ? _mm512_maskz_loadu_ps(k, r)
                                           : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, rstride, r, 4));
      }
      v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
      if (s.out) _mm512_mask_storeu_ps(static_cast<float*>(s.out) + at, k, v);
      if (s.pout) bits |= (std::uint32_t)_mm512_mask_cmp_ps_mask(k, v, _mm512_maskz_loadu_ps(k, s.pthr + o), _CMP_GE_OQ) << (16 * h);
    }
    if (s.pout) *pout_at(s, i, y, x, gb) = bits;
  }
}

constexpr int AMX_ROWS = 7;  // output rows per task

// inside conv()'s team: expand the packed input (unless the packing wrote the bytes), then the
// tasks: AMX_ROWS output rows of one 32-channel block, one tap row dy at a time over all of them
// (its 3 Cw K steps of weights, 24 KB at C 256, stay in L1), partial sums in buf
static void amx_conv(const Args& s, int n, int groups, const std::int8_t* wb, std::int8_t* ab, bool packed) {
  if (!packed) {  // the interior only: the scratch's border stays +1 in every byte (channel
    // padding included, whose weight bytes are 0), whatever channel count used it before
    const long long rows = (long long)n * (s.hp - 2);
#pragma omp for schedule(static)
    for (long long q = 0; q < rows; ++q) {
      const long long at = ((q / (s.hp - 2)) * s.hp + q % (s.hp - 2) + 1) * s.wp + 1;
      for (long long e = at * s.cw; e < (at + s.wp - 2) * s.cw; ++e) store_pm1(ab + e * 64, s.a[e]);
    }
  }
  // R <= 16 tile rows, chunks of 2 R pixels, as few idle tile rows as can be: Wo = 28 as 2 x 14,
  // 56 as 4 x 14
  const int chunks = (s.wo + 31) / 32, r = (s.wo + 2 * chunks - 1) / (2 * chunks);
  const long long rowlen = (long long)chunks * 2 * r * 32;  // a row's sums: [pixels][32]
  amx_configure(r);
  const int gblocks = (groups + NGMAX - 1) / NGMAX;
  const int rgroups = (s.ho + AMX_ROWS - 1) / AMX_ROWS;
  // per-thread scratch, kept between calls: the partial sums and mode 2's integer thresholds
  static thread_local std::vector<std::int32_t> sums, thr32;
  if (sums.size() < (std::size_t)(AMX_ROWS * rowlen)) sums.resize(AMX_ROWS * rowlen);
  if (s.mode == 2) {
    thr32.assign((std::size_t)gblocks * 32, 0);
    for (int o = 0; o < s.cpad; ++o) thr32[o] = (std::int32_t)s.sb[o];
  }
  // static, in contiguous ranges: each thread owns whole channel blocks (half the weights each
  // at two threads), no work queue to take from
  const long long tasks = (long long)n * gblocks * rgroups;
  const long long wlines = 9LL * s.cw * 32;  // cache lines of one channel block's weights
#pragma omp for schedule(static) nowait  // the team's join is the only barrier after it
  for (long long t = 0; t < tasks; ++t) {
    const int y0 = (int)(t % rgroups) * AMX_ROWS, gb = (int)(t / rgroups % gblocks);
    const int i = (int)(t / ((long long)rgroups * gblocks));
    const int ye = y0 + AMX_ROWS < s.ho ? y0 + AMX_ROWS : s.ho;
    // meanwhile, the next channel block's weights into L2, a share per row group, spread over
    // this task's blocks (so they are not all fetched from L3 when that block starts)
    const char* next = reinterpret_cast<const char*>(wb + ((long long)gb + 1) % gblocks * wlines * 64);
    long long pf = wlines * (t % rgroups) / rgroups;
    const long long pf_end = wlines * (t % rgroups + 1) / rgroups;
    const long long calls = 3LL * (ye - y0) * chunks, per_call = (pf_end - pf + calls - 1) / calls;
    for (int dy = 0; dy < 3; ++dy)
      for (int y = y0; y < ye; ++y)
        for (int c = 0; c < chunks; ++c) {
          for (long long e = pf + per_call < pf_end ? pf + per_call : pf_end; pf < e; ++pf)
            _mm_prefetch(next + pf * 64, _MM_HINT_T1);
          const int x0 = 2 * r * c;
          std::int32_t* buf = sums.data() + (y - y0) * rowlen + x0 * 32;
          if (s.wo - x0 > r)
            amx_block<true>(s, ab, wb, i, gb, y, x0, r, dy, dy == 0, buf);
          else
            amx_block<false>(s, ab, wb, i, gb, y, x0, r, dy, dy == 0, buf);
          // in the last sweep, the epilogue of the row before, right behind this row's tile
          // instructions (its vector work overlaps their execution)
          if (dy == 2 && c == chunks - 1 && y > y0)
            amx_epilogue(s, i, gb, y - 1, sums.data() + (y - 1 - y0) * rowlen, thr32.data());
        }
    amx_epilogue(s, i, gb, ye - 1, sums.data() + (ye - 1 - y0) * rowlen, thr32.data());
  }
  _tile_release();
}
#endif

static void conv(std::uintptr_t a_p, std::uintptr_t w_p, int n, int c, int cw, int hp, int wp,
                 int cout, int ho, int wo, int stride, std::uintptr_t corr_p, int mode,
                 std::uintptr_t a_scale_p, std::uintptr_t b_p, std::uintptr_t res_p,
                 long long res_cs, float lo, float hi, std::uintptr_t out_p, std::uintptr_t pout_p,
                 std::uintptr_t pthr_p, int pcw, std::uintptr_t x_p, std::uintptr_t thr_p,
                 bool nhwc, int threads, std::uintptr_t wb_p, std::uintptr_t ab_p) {
#ifndef BIMTDP_AMX
  if (wb_p) throw std::runtime_error("this build has no AMX kernel");
#endif
  const int groups = (cout + 7) / 8, gblocks = (groups + NGMAX - 1) / NGMAX;
  Args s{reinterpret_cast<const u64*>(a_p), reinterpret_cast<const u64*>(w_p), c, cw, hp, wp,
               cout, groups * 8, ho, wo, stride, mode, reinterpret_cast<const int*>(corr_p),
               reinterpret_cast<const float*>(a_scale_p), reinterpret_cast<const float*>(b_p),
               reinterpret_cast<const float*>(res_p), res_cs, lo, hi, reinterpret_cast<void*>(out_p),
               reinterpret_cast<std::uint32_t*>(pout_p), reinterpret_cast<const float*>(pthr_p),
               2 * pcw, nullptr, nullptr, nullptr};
  std::vector<long long> lim;
  std::vector<std::uint32_t> flip, keep;
  if (mode == 2) {  // the folded thresholds as pop bounds (sb holds integer thresholds)
    lim.resize(groups * 8);
    flip.assign(gblocks, 0);
    keep.assign(gblocks, 0);
    for (int o = 0; o < groups * 8; ++o) {
      lim[o] = 9LL * c - (long long)s.sb[o];
      if (s.sa[o] < 0) flip[o / 32] |= 1u << (o % 32);
      if (o < cout) keep[o / 32] |= 1u << (o % 32);
    }
    s.lim = lim.data();
    s.flip = flip.data();
    s.keep = keep.data();
  }
  // x_p != 0: pack the float input x [N][C][(Hp - 2) (Wp - 2)] (thresholds thr_p) into a_p first,
  // rows split across the same team, so one team wake-up serves both
  const PackArgs p{reinterpret_cast<const float*>(x_p), reinterpret_cast<const float*>(thr_p), c,
                   hp - 2, wp - 2, cw, wp, nhwc, reinterpret_cast<u64*>(a_p),
                   reinterpret_cast<std::int8_t*>(wb_p ? ab_p : 0)};
  const long long rows = (long long)n * gblocks * ho;  // a task: one row of one channel block
  py::gil_scoped_release release;
#pragma omp parallel num_threads(threads)
  {
    if (x_p) pack_all(p, n);  // ends in a barrier: all of x packed before any tile
#ifdef BIMTDP_AMX
    if (wb_p)  // AMX: wb_p the +-1 weight bytes, ab_p the byte scratch
      amx_conv(s, n, groups, reinterpret_cast<const std::int8_t*>(wb_p), reinterpret_cast<std::int8_t*>(ab_p), x_p != 0);
    else
#endif
    {  // channel blocks outermost: consecutive tasks share their weight blocks (L1); dynamic
       // chunks so that a thread the scheduler pre-empts (a loaded machine) leaves its work to the other
#pragma omp for schedule(dynamic, 2) nowait  // (the team's join follows)
      for (long long t = 0; t < rows; ++t) {
        const int y = (int)(t % ho);
        const int gb = (int)(t / ho % gblocks);
        const int i = (int)(t / ((long long)ho * gblocks));
        const int g0 = gb * NGMAX, ng = groups - g0 < NGMAX ? groups - g0 : NGMAX;
        if (ng == NGMAX && cw == 4)  // C 193..256 in full 32-channel blocks: the benchmarked case
          for (int x0 = 0; x0 < wo; x0 += PX) tile<NGMAX, 4>(s, i, g0, y, x0);
        else
          for (int x0 = 0; x0 < wo; x0 += PX) switch (ng) {
              case 4: tile<4, 0>(s, i, g0, y, x0); break;
              case 3: tile<3, 0>(s, i, g0, y, x0); break;
              case 2: tile<2, 0>(s, i, g0, y, x0); break;
              default: tile<1, 0>(s, i, g0, y, x0); break;
            }
      }
    }
  }
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("kernel_name", &kernel_name);
  m.def("conv", &conv);
  m.def("pack", &pack);
#ifdef BIMTDP_AMX
  m.def("amx_ready", &amx_ready);
#endif
}
