//===- Matmul.cpp - matmuls C (+)= A·B over 32-wide column panels ---------===//
//
// The work splits into tasks of (batch item, block of rows, panel of 32
// columns of B and C; decode's few rows take several panels a task) that
// run on the runtime's pool. Inside a task an
// AVX-512 register tile of up to 12 rows × 32 columns (f32; 8 rows for the
// other formats) keeps its accumulators in zmm registers: per K step, two
// loads of B, one broadcast of A per row, two FMAs per row. f32 calls of
// more than one row read A rearranged once into tiles (a k step's rows
// side by side) and take K in pieces of 256, so that every tile of a row
// block reads a piece of the panel from L1 while the next piece is
// prefetched into L2. f32 calls of at most 6 rows (decode) read up to 4
// packed panels side by side, each prefetched 1 KB ahead: several streams
// from memory at once (bf16 calls of at most 4 rows too, on the AVX-512
// tiles: AMX takes 16 rows or more; one-row calls of the AVX2 tiles, 3
// panels).
//
// B is either the graph's row-major [batch..., K, N] or, for weights,
// [ceil(N/32), K, 32] panels packed at compile time, so that a panel is
// one contiguous stream (78% of FMA peak for prefill and 95% of read
// bandwidth for decode, against 63% and 72% row-major). Weights may be
// int8 panels of k pairs with one f32 scale per column (weight-only
// quantisation): the tile takes A rounded to 16-bit integers, a scale per
// row, and multiplies pairs of k into exact int32 sums (AVX512-VNNI's
// vpdpwssd, or vpmaddwd): a quarter of f32's bytes and a third of the
// instructions of widening the weights to f32. Or bf16 panels
// whose rows hold pairs of consecutive k: the tile rounds A to bf16 too and
// multiplies pairs with AVX512-BF16's dot product (twice the FMAs' work per
// instruction), or widens both to f32 where that is missing; a problem of
// 16 rows or more runs on AMX tiles where the CPU has them (16 × 16 sums
// per tdpbf16ps, 32 k deep), A rounded into 16 × 32 tiles. Or 4-bit
// panels with a scale and an offset per group of rows and column: the
// same integer sums per group, each scaled and offset in f32. Or int8
// panels without scales, a matmul of integers (MatMulInteger's): A's
// values taken as they are, and, for rows that are 8-bit codes less a
// zero point, multiplied as bytes above their least value four k at a
// time (AVX512-VNNI's vpdpbusd).
//
// CPUs without AVX-512 run the same arithmetic in AVX2 + FMA tiles of two
// or three rows (a panel row is four ymm vectors), and the scalar loops
// where AVX2 is missing too. int8 and 4-bit weights take the AVX-512 tiles
// where the CPU has AVX512-BW (AVX512-VNNI's vpdpwssd where it has that
// too, else vpmaddwd and an add), else AVX2's (vpmaddwd), whatever C's
// strides: their tiles write sums to the stack, one plain store writes C.
// Which of these a call runs is one lookup in the kernel table
// (KernelTable: per weight type, the panel kernels with the CPU features
// each needs, in order of preference).
//
// No C++ runtime library is used: the kernels link into artifacts with
// `clang -shared`.
//
//===----------------------------------------------------------------------===//

#include "KernelCall.h"
#include "Parallel.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

using genc::kernels::countOf;
using genc::kernels::hasAMXBF16;
using genc::kernels::hasAVX2;
using genc::kernels::hasAVX512;
using genc::kernels::hasAVX512BF16;
using genc::kernels::hasAVX512BW;
using genc::kernels::hasAVX512VBMI;
using genc::kernels::hasAVX512VNNI;
using genc::kernels::hasF16C;
using genc::kernels::KernelCall;
using genc::kernels::parallelFor;
using genc::kernels::Scratch;

namespace {

constexpr int64_t kPanel = 32;        // columns per panel: two zmm vectors
constexpr int64_t kTileRows = 8;      // rows per register tile
constexpr int64_t kF32TileRows = 12;  // f32's: 24 accumulators, each B load feeds 12 rows
constexpr int64_t kRowsPerTask = 256; // keeps a task's rows of A in L2
constexpr int64_t kF32TilesPerTask = (kRowsPerTask + kF32TileRows - 1) / kF32TileRows;
constexpr int64_t kF32PanelDepth = 256;      // k per piece: 32 KB of a panel, in L1
constexpr int64_t kF32StreamAhead = 16;      // k steps (2 KB) a one-tile call prefetches ahead
constexpr int64_t kBytesPerTask = 96 * 1024; // of weights, for a task of few rows
// Bytes ahead a one-row integer tile (a decode step) sends its panel to L2,
// on into the next panel: one cache line per step of 64 bytes of weights.
constexpr int64_t kIntegerStreamAhead = 4096;
// Runs of adjacent panels (PanelKernel::takesPanelRuns): panels per task,
// while a row block keeps this many tasks for each of the pool's threads
// (for a pool of unknown size, this many in all).
constexpr int64_t kPanelRun = 4, kTasksPerThread = 3, kMinTasksPerRowBlock = 16;
constexpr int kMaxBatchRank = GENC_MATMUL_MAX_BATCH_RANK;

/// A strided memref of `T`, read from its descriptor.
template <typename T = float> struct View {
  T *data; // aligned pointer + offset
  int64_t rank;
  const int64_t *sizes, *strides;

  explicit View(const genc_unranked_memref *m) : rank(m->rank) {
    auto *words = static_cast<const int64_t *>(m->descriptor);
    data = reinterpret_cast<T *>(words[1]) + words[2];
    sizes = words + 3;
    strides = words + 3 + rank;
  }
  int64_t size(int64_t fromEnd) const { return sizes[rank - 1 - fromEnd]; }
  int64_t stride(int64_t fromEnd) const { return strides[rank - 1 - fromEnd]; }
};

/// bf16 weights, as their bits (the upper half of an f32).
using BF16 = uint16_t;

/// `x` rounded to the nearest bf16 (ties to even), as bf16 bits.
inline BF16 toBF16(float x) {
  uint32_t bits = __builtin_bit_cast(uint32_t, x);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it one
    return static_cast<BF16>((bits >> 16) | 0x40);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<BF16>(bits >> 16);
}
inline float fromBF16(BF16 x) { return __builtin_bit_cast(float, static_cast<uint32_t>(x) << 16); }

/// 4-bit weights, two to a byte.
using Nibbles = uint8_t;

/// A 4-bit weight group's scale or offset as IEEE half (f16) bits: half
/// of f32's bytes in what a decode step reads besides the nibbles.
struct Half {
  uint16_t bits;
};

/// `h` in f32 (exactly: f32 holds every f16).
inline float toFloat(Half h) {
  uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  uint32_t exponent = (h.bits >> 10) & 0x1Fu, mantissa = h.bits & 0x3FFu;
  if (exponent == 0) { // zero or subnormal: mantissa · 2^-24
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = exponent == 0x1F ? sign | 0x7F800000u | mantissa << 13 // infinity, NaN
                                   : sign | (exponent + 112) << 23 | mantissa << 13;
  return __builtin_bit_cast(float, bits);
}
inline float toFloat(float x) { return x; }

/// A's rows rounded to 16-bit integers, for int8 and 4-bit weights: row i
/// is q[i * stride + k] · scales[i] (in double: no subnormal scales), q
/// zero-padded past K to the stride; for 4-bit weights also the sum of each
/// group's q, groupSums[i * groups + g]. For the 4-bit kernel of byte dot
/// products, q also split into bytes, q = 256 · high + low (high signed,
/// low unsigned), row i at i * byteStride, zero-padded past K. For a
/// matmul of integers whose every row spans at most 255 (8-bit codes less
/// a zero point), where the int8 tile takes byte dot products: q = low +
/// rowOffsets[i] instead, high null.
struct Int16Rows {
  const int16_t *q = nullptr;
  const double *scales = nullptr;
  int64_t stride = 0;
  const int32_t *groupSums = nullptr;
  int64_t groups = 0;
  const int8_t *high = nullptr;
  const uint8_t *low = nullptr;
  int64_t byteStride = 0;
  const int32_t *rowOffsets = nullptr;
};

/// A row of integers q (`k` of them) as bytes above its smallest: low[kk]
/// = q[kk] - offset, zeros past k up to `stride`; false (and nothing
/// written) where the row spans more than 255.
inline bool rowAsBytesAboveItsLeast(const int16_t *q, int64_t k, int64_t stride, uint8_t *low,
                                    int32_t &offset) {
  int32_t least = 0, most = 0;
  for (int64_t kk = 0; kk < k; ++kk) {
    least = kk == 0 || q[kk] < least ? q[kk] : least;
    most = kk == 0 || q[kk] > most ? q[kk] : most;
  }
  if (most - least > 255)
    return false;
  for (int64_t kk = 0; kk < k; ++kk)
    low[kk] = static_cast<uint8_t>(q[kk] - least);
  for (int64_t kk = k; kk < stride; ++kk)
    low[kk] = 0;
  offset = least;
  return true;
}

/// The first pass of roundRowToInt16 over a contiguous row, 16 values at
/// a time (the largest magnitude does not depend on the order): the values
/// it read (a multiple of 16).
__attribute__((target("avx512f"))) int64_t largestAVX512(const float *a, int64_t k, float &largest,
                                                         bool &finite) {
  __m512 top = _mm512_setzero_ps();
  __mmask16 notFinite = 0;
  const __m512 limit = _mm512_set1_ps(__FLT_MAX__);
  int64_t kk = 0;
  for (; kk + 16 <= k; kk += 16) {
    __m512 x = _mm512_abs_ps(_mm512_loadu_ps(a + kk));
    notFinite |= _mm512_cmp_ps_mask(x, limit, _CMP_NLE_UQ);
    top = _mm512_max_ps(top, x);
  }
  float m = _mm512_reduce_max_ps(top);
  largest = m > largest ? m : largest;
  finite &= notFinite == 0;
  return kk;
}

/// Its second pass, 16 values at a time: each value through the same
/// double product and the same rounding (the MXCSR's, to nearest) as the
/// scalar loop, so the same q (never below -32767: |a| · inverse is at
/// most 32767 and a rounding). The values it wrote (a multiple of 16).
__attribute__((target("avx512f"))) int64_t roundAVX512(const float *a, int64_t k, double inverse,
                                                       int16_t *q) {
  const __m512d scale = _mm512_set1_pd(inverse);
  int64_t kk = 0;
  for (; kk + 16 <= k; kk += 16) {
    __m512d low = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + kk)), scale);
    __m512d high = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + kk + 8)), scale);
    __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtpd_epi32(low)),
                                      _mm512_cvtpd_epi32(high), 1);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(q + kk), _mm512_cvtsepi32_epi16(both));
  }
  return kk;
}

/// Row `a` (K values `step` apart) as q · scale, q integers in [-32767,
/// 32767]: scale = max |a| / 32767 and q = a / scale rounded to nearest,
/// ties to even (cvtsd2si under the default rounding mode), so the error
/// of each value is at most scale / 2. A row of zeros has scale 0, one
/// holding a NaN or an infinity scale NaN (its products are NaN).
/// Contiguous rows go 16 values at a time where AVX-512 is there.
inline double roundRowToInt16(const float *a, int64_t k, int64_t step, int16_t *q) {
  constexpr double kInt16Max = 32767;
  const bool vector = step == 1 && hasAVX512();
  float largest = 0;
  bool finite = true;
  for (int64_t kk = vector ? largestAVX512(a, k, largest, finite) : 0; kk < k; ++kk) {
    float x = __builtin_fabsf(a[kk * step]);
    finite &= x <= __FLT_MAX__;
    largest = x > largest ? x : largest;
  }
  if (!finite || largest == 0) {
    for (int64_t kk = 0; kk < k; ++kk)
      q[kk] = 0;
    return finite ? 0.0 : __builtin_nan("");
  }
  // In double: 32767 / largest overflows f32 for the smallest subnormals.
  double inverse = kInt16Max / largest;
  for (int64_t kk = vector ? roundAVX512(a, k, inverse, q) : 0; kk < k; ++kk) {
    int64_t v = _mm_cvtsd_si64(_mm_set_sd(a[kk * step] * inverse));
    q[kk] = static_cast<int16_t>(v < -32767 ? -32767 : v > 32767 ? 32767 : v);
  }
  return largest / kInt16Max;
}

/// Row `a` of integers (MatMulInteger's operands less their zero points,
/// at most 32767 in magnitude: the compiled code's promise) taken as they
/// are, q = a, with a scale of 1, so that the products stay exact.
inline double integerRowToInt16(const float *a, int64_t k, int64_t step, int16_t *q) {
  // As roundAVX512 converts: to nearest, saturated, so every path agrees.
  for (int64_t kk = step == 1 && hasAVX512() ? roundAVX512(a, k, 1.0, q) : 0; kk < k; ++kk) {
    int64_t v = _mm_cvtsd_si64(_mm_set_sd(a[kk * step]));
    q[kk] = static_cast<int16_t>(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
  }
  return 1.0;
}

/// The sums of a row of 16-bit integers over each group of `group` > 0 k
/// (the last group ends at k). Restrict pointers and plain loops, which the
/// compiler vectorises: a decode step rounds its one row on one thread.
inline void sumGroups(const int16_t *__restrict q, int64_t k, int64_t group,
                      int32_t *__restrict sums) {
  for (int64_t first = 0, g = 0; first < k; first += group, ++g) {
    const int64_t end = first + group < k ? first + group : k;
    int32_t sum = 0;
    for (int64_t kk = first; kk < end; ++kk)
      sum += q[kk];
    sums[g] = sum;
  }
}

/// A row's 16-bit integers as their high (signed) and low (unsigned) bytes,
/// `stride` of each, zeros past k.
inline void splitIntoBytes(const int16_t *__restrict q, int64_t k, int64_t stride,
                           int8_t *__restrict high, uint8_t *__restrict low) {
  for (int64_t kk = 0; kk < k; ++kk) {
    high[kk] = static_cast<int8_t>(q[kk] >> 8);
    low[kk] = static_cast<uint8_t>(q[kk] & 0xFF);
  }
  for (int64_t kk = k; kk < stride; ++kk)
    high[kk] = 0, low[kk] = 0;
}

/// One 2-D product C[m, n] (+)= A[m, k]·B[k, n], B's elements of type W:
/// f32; int8 weights (panels of k pairs, [ceil(n/32), ceil(k/2), 32, 2])
/// whose column n is scaled by scales[n], that take A rounded to 16-bit
/// integers; bf16 weights (panels of k pairs too) that take A rounded to
/// bf16; or nibbles ([ceil(n/32), k, 16]: column j of a panel in the
/// low half of byte j, column j + 16 in the high half), weight q · scale +
/// offset with one scale and offset per `group` rows and column, of type
/// Param (f32 or f16); symmetric 4-bit weights have no offsets stored, each
/// being -8 · scale.
template <typename W, typename Param = float> struct Problem {
  const float *a;
  int64_t aRow, aCol;
  const W *b;
  int64_t bRow, bCol;          // row-major B
  bool bPanels;                // B is packed panels instead (layouts above)
  const Param *scales = nullptr;  // int8: [panels * 32], one per column (or null: codes
                                  // unscaled, A integers); 4-bit: per group
  const BF16 *aRounded = nullptr; // bf16 weights: A rounded (RoundedA's layouts),
  int64_t aRoundedK = 0;          // K zero-padded to this many k
  const float *aTiles = nullptr;  // f32: A in tiles (RoundedA::F32Tiles), or null
  Int16Rows aInt16;               // int8 and 4-bit weights: A rounded
  const Param *offsets = nullptr; // 4-bit weights: [panels, groups, 32] as scales, or null
  int64_t group = 0;               // 4-bit weights: rows per scale
  float *c;
  int64_t cRow, cCol;
  int64_t m, n, k;
  bool accumulate; // C += A·B, else C = A·B

  static constexpr bool kPairs = std::is_same_v<W, BF16> || std::is_same_v<W, int8_t>;
  static constexpr bool kNibbles = std::is_same_v<W, Nibbles>;
  /// Elements per panel: K rows of 32, ceil(K/2) rows of 32 pairs, or K
  /// rows of 16 bytes.
  int64_t panelSize() const {
    return kPairs ? (k + 1) / 2 * 2 * kPanel : kNibbles ? k * kPanel / 2 : k * kPanel;
  }
  int64_t groups() const { return group > 0 ? (k + group - 1) / group : 0; }

  /// B[kk, j] before its column's scale.
  float bAt(int64_t kk, int64_t j) const {
    if constexpr (std::is_same_v<W, BF16>) {
      return fromBF16(
          b[(j / kPanel) * panelSize() + kk / 2 * 2 * kPanel + j % kPanel * 2 + kk % 2]);
    } else
      return static_cast<float>(bPanels ? b[(j / kPanel) * panelSize() + kk * kPanel + j % kPanel]
                                        : b[kk * bRow + j * bCol]);
  }
  /// A[i, kk] as the product reads it.
  float aAt(int64_t i, int64_t kk) const {
    float x = a[i * aRow + kk * aCol];
    return std::is_same_v<W, BF16> ? fromBF16(toBF16(x)) : x;
  }
  /// The first element of panel `p` and the distance between its rows.
  const W *panel(int64_t p, int64_t &rowStride) const {
    rowStride = bPanels ? (kPairs ? 2 * kPanel : kNibbles ? kPanel / 2 : kPanel) : bRow;
    return bPanels ? b + p * panelSize() : b + p * kPanel;
  }
  /// Whether the vector tile applies: unit column strides where it loads.
  bool vectorizable() const { return cCol == 1 && (bPanels || bCol == 1); }
};

/// The batch dims of C with A's and B's strides along them (0 where they
/// broadcast), so that item i's operands are found without allocating.
struct Batch {
  int64_t rank = 0, count = 1;
  int64_t sizes[kMaxBatchRank], aStrides[kMaxBatchRank], bStrides[kMaxBatchRank],
      cStrides[kMaxBatchRank];

  void offsets(int64_t item, int64_t &a, int64_t &b, int64_t &c) const {
    a = b = c = 0;
    for (int64_t d = rank; d-- > 0;) {
      int64_t index = item % sizes[d];
      item /= sizes[d];
      a += index * aStrides[d];
      b += index * bStrides[d];
      c += index * cStrides[d];
    }
  }
};

/// Stride of `v` along C's batch dim `d` (of `batchRank`), 0 where `v`
/// broadcasts (missing or size 1).
template <typename T> int64_t batchStride(const View<T> &v, int64_t d, int64_t batchRank) {
  int64_t own = d - (batchRank - (v.rank - 2));
  return own >= 0 && v.sizes[own] != 1 ? v.strides[own] : 0;
}

/// Whether v's batch dims and rows form one row sequence: each batch dim's
/// stride is the next dim's size × stride, down to the rows.
template <typename T> bool rowsContinueAcrossBatch(const View<T> &v) {
  for (int64_t d = 0; d + 2 < v.rank; ++d)
    if (v.strides[d] != v.sizes[d + 1] * v.strides[d + 1])
      return false;
  return true;
}

template <typename W>
void scalarProduct(const Problem<W> &p, int64_t row0, int64_t rows, int64_t col0, int64_t cols) {
  static_assert(std::is_same_v<W, float> || std::is_same_v<W, BF16>,
                "int8 and 4-bit weights have their own scalar loops");
  for (int64_t i = row0; i < row0 + rows; ++i)
    for (int64_t j = col0; j < col0 + cols; ++j) {
      float *c = &p.c[i * p.cRow + j * p.cCol];
      // C's old value starts the sum, which adds in K order, as the loops
      // the kernel replaces do.
      float sum = p.accumulate ? *c : 0;
      for (int64_t kk = 0; kk < p.k; ++kk)
        sum += p.aAt(i, kk) * p.bAt(kk, j);
      *c = sum;
    }
}

/// The accumulators of a tile that adds into C as it goes (f32, bf16,
/// 4-bit weights): C's old values when accumulating (or `fromC`: an earlier
/// part of K is summed there), else zeros.
template <int Rows, typename W>
__attribute__((target("avx512f"), always_inline)) inline void
tileStart(const Problem<W> &p, float *c, __mmask16 lo, __mmask16 hi, __m512 (&acc)[Rows][2],
          bool fromC = false) {
  fromC |= p.accumulate;
  for (int r = 0; r < Rows; ++r) {
    acc[r][0] = fromC ? _mm512_maskz_loadu_ps(lo, c + r * p.cRow) : _mm512_setzero_ps();
    acc[r][1] = fromC ? _mm512_maskz_loadu_ps(hi, c + r * p.cRow + 16) : _mm512_setzero_ps();
  }
}

template <int Rows, typename W>
__attribute__((target("avx512f"), always_inline)) inline void
tileStore(const Problem<W> &p, float *c, __mmask16 lo, __mmask16 hi, __m512 (&acc)[Rows][2]) {
  for (int r = 0; r < Rows; ++r) {
    _mm512_mask_storeu_ps(c + r * p.cRow, lo, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * p.cRow + 16, hi, acc[r][1]);
  }
}

/// The column masks of the panel at `col0`.
inline void columnMasks(int64_t n, int64_t col0, __mmask16 &lo, __mmask16 &hi) {
  int64_t cols = n - col0 < kPanel ? n - col0 : kPanel;
  lo = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  hi = cols <= 16 ? 0 : cols >= 32 ? 0xFFFF : static_cast<__mmask16>((1u << (cols - 16)) - 1);
}

/// tileStart for `Panels` adjacent panels of C from column `col0` (at
/// `c`), with their column masks.
template <int Rows, int Panels, typename W>
__attribute__((target("avx512f"), always_inline)) inline void
panelsStart(const Problem<W> &p, float *c, int64_t col0, __mmask16 (&lo)[Panels],
            __mmask16 (&hi)[Panels], __m512 (&acc)[Panels][Rows][2]) {
  for (int q = 0; q < Panels; ++q) {
    columnMasks(p.n, col0 + q * kPanel, lo[q], hi[q]);
    tileStart<Rows>(p, c + q * kPanel, lo[q], hi[q], acc[q]);
  }
}

/// tileStore for the panels of panelsStart.
template <int Rows, int Panels, typename W>
__attribute__((target("avx512f"), always_inline)) inline void
panelsStore(const Problem<W> &p, float *c, const __mmask16 (&lo)[Panels],
            const __mmask16 (&hi)[Panels], __m512 (&acc)[Panels][Rows][2]) {
  for (int q = 0; q < Panels; ++q)
    tileStore<Rows>(p, c + q * kPanel, lo[q], hi[q], acc[q]);
}

/// f(firstRow, height) for tiles of at most `tileRows` rows covering
/// [row0, row0 + rows).
template <typename F> inline void forEachTile(int64_t row0, int64_t rows, int64_t tileRows, F &&f) {
  for (int64_t r = row0; r < row0 + rows; r += tileRows)
    f(r, row0 + rows - r < tileRows ? row0 + rows - r : tileRows);
}

/// A call of few rows (a decode step, a few beams) reads up to
/// kSideBySide adjacent packed panels of a task at once: several streams
/// of weights from memory, which serves them faster than one stream at a
/// time (bench/f32-matmul.cpp's decode products, AMD EPYC, 2 threads:
/// 42-51 GB/s one panel at a time, 61-65 four at a time). A tile of `rows`
/// rows reads as many as keep its sums within those of a full tile of
/// `tileRows` rows; so only tiles of at most tileRows / 2 rows read more
/// than one.
constexpr int64_t kSideBySide = 4;
constexpr int64_t panelsAtOnce(int64_t rows, int64_t tileRows) {
  return std::min(kSideBySide, tileRows / rows);
}

/// A step of a side-by-side tile reads 128 bytes of each panel (32
/// columns' f32 values, or their bf16 pairs); with several panels it asks
/// for each one's bytes kSideBySideAhead ahead into L1, where the hardware
/// prefetcher alone left up to a fifth of the memory's speed unused
/// (bench/f32-matmul.cpp's 24 decode weights, AMD EPYC, 2 threads,
/// alternating: 57-63 GB/s without, 61-71 with, the probe reading 66-75).
/// One panel is left to the hardware's.
constexpr int64_t kSideBySideAhead = 1024;
template <int Panels, typename W>
__attribute__((always_inline)) inline void prefetchSideBySide(const W *step, int64_t panelSize) {
  if constexpr (Panels == 1)
    return;
  for (int q = 0; q < Panels; ++q) {
    // Near a matrix's end the address lies past it: an integer, not a
    // pointer (a prefetch does not fault).
    const uintptr_t ahead = reinterpret_cast<uintptr_t>(step + q * panelSize) + kSideBySideAhead;
    _mm_prefetch(reinterpret_cast<const char *>(ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(ahead + 64), _MM_HINT_T0);
  }
}

/// Family::tile<rows, panels>() at [(rows - 1) · kSideBySide + panels - 1],
/// for rows up to TileRows / 2 and from 2 panels to as many as such a tile
/// reads at once; null elsewhere.
template <typename Family, int64_t TileRows, int... Index>
constexpr auto sideBySideTiles(std::integer_sequence<int, Index...>) {
  constexpr auto tile = [](auto index) -> typename Family::Tile {
    constexpr int rows = decltype(index)::value / kSideBySide + 1;
    constexpr int panels = decltype(index)::value % kSideBySide + 1;
    if constexpr (panels >= 2 && panels <= panelsAtOnce(rows, TileRows))
      return Family::template tile<rows, panels>();
    else
      return nullptr;
  };
  return std::array<typename Family::Tile, sizeof...(Index)>{
      tile(std::integral_constant<int, Index>{})...};
}
template <typename Family, int64_t TileRows> constexpr auto sideBySideTiles() {
  return sideBySideTiles<Family, TileRows>(
      std::make_integer_sequence<int, TileRows / 2 * kSideBySide>());
}

/// A kernel's run of panels [first, end), `tiles` from sideBySideTiles for
/// the kernel's full tile of TileRows rows: a call of packed panels whose
/// rows fit a tile of at most TileRows / 2 rows reads them in groups side
/// by side (group(tile, firstPanel)); other calls, and a group of one
/// panel, go one panel at a time (onePanel(panel)), the same sums in the
/// same order.
template <int64_t TileRows, typename Tiles, typename OnePanel, typename Group>
void computePanelRun(const Tiles &tiles, bool packed, int64_t rows, int64_t first, int64_t end,
                     OnePanel &&onePanel, Group &&group) {
  const int64_t streams = packed && rows <= TileRows / 2 ? panelsAtOnce(rows, TileRows) : 1;
  for (int64_t panel = first; panel < end; panel += streams) {
    const int64_t panels = std::min(streams, end - panel);
    if (panels == 1)
      onePanel(panel);
    else
      group(tiles[(rows - 1) * kSideBySide + panels - 1], panel);
  }
}

/// Where the f32 tile whose first row is `row0` starts in A's tiles
/// (RoundedA::F32Tiles): tiles of kF32TileRows rows from each task's first
/// row, each k-major, a k step's values of the tile's rows side by side.
inline int64_t f32TileOffset(int64_t row0, int64_t k) {
  int64_t task = row0 / kRowsPerTask, tile = row0 % kRowsPerTask / kF32TileRows;
  return (task * kF32TilesPerTask + tile) * k * kF32TileRows;
}

/// Writes one f32 tile of A (f32TileOffset's layout): for each k, the
/// values of the tile's `height` rows `x` side by side, kF32TileRows apart.
/// Rows of unit column stride go 16 k at a time through a 16 x 16
/// transpose in registers, which stores each k's values in one masked
/// store; the element-by-element copy took a few percent of a prefill.
__attribute__((target("avx512f"))) void writeF32Tile(const float *const *x, int64_t height,
                                                     int64_t k, int64_t aCol, float *out) {
  static_assert(kF32TileRows <= 16, "a tile's rows fit one vector");
  int64_t kk = 0;
  if (aCol == 1) {
    const __mmask16 rows = static_cast<__mmask16>((1u << height) - 1);
    for (; kk + 16 <= k; kk += 16, out += 16 * kF32TileRows) {
      // v[r]: row r's 16 k; rows past the tile are zeros no store writes.
      __m512 v[16];
      for (int r = 0; r < 16; ++r)
        v[r] = r < height ? _mm512_loadu_ps(x[r] + kk) : _mm512_setzero_ps();
      // Pairs of rows, then quads: each 128-bit lane L of u[4g + c] holds
      // rows 4g..4g+3 of k 4L + c.
      __m512 t[16], u[16];
      for (int r = 0; r < 16; r += 2) {
        t[r] = _mm512_unpacklo_ps(v[r], v[r + 1]);
        t[r + 1] = _mm512_unpackhi_ps(v[r], v[r + 1]);
      }
      for (int g = 0; g < 16; g += 4) {
        __m512d lo0 = _mm512_castps_pd(t[g]), lo1 = _mm512_castps_pd(t[g + 2]);
        __m512d hi0 = _mm512_castps_pd(t[g + 1]), hi1 = _mm512_castps_pd(t[g + 3]);
        u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo0, lo1));
        u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo0, lo1));
        u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi0, hi1));
        u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi0, hi1));
      }
      // k 4L + c: lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
      for (int c = 0; c < 4; ++c) {
        __m512 front01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
        __m512 back01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
        __m512 front23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 back23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
        _mm512_mask_storeu_ps(out + (0 + c) * kF32TileRows, rows,
                              _mm512_shuffle_f32x4(front01, front23, 0x88));
        _mm512_mask_storeu_ps(out + (4 + c) * kF32TileRows, rows,
                              _mm512_shuffle_f32x4(front01, front23, 0xDD));
        _mm512_mask_storeu_ps(out + (8 + c) * kF32TileRows, rows,
                              _mm512_shuffle_f32x4(back01, back23, 0x88));
        _mm512_mask_storeu_ps(out + (12 + c) * kF32TileRows, rows,
                              _mm512_shuffle_f32x4(back01, back23, 0xDD));
      }
    }
  }
  for (; kk < k; ++kk, out += kF32TileRows)
    for (int64_t r = 0; r < height; ++r)
      out[r] = x[r][kk * aCol];
}

/// C[row0 : row0+Rows, col0 : col0+32] (+)= A·B over k in [k0, k1), for one
/// panel of f32 B whose row k0 starts at `b`, rows `bRow` apart; C holds the
/// sums of the k before k0. Columns past n are
/// masked out of C; `MaskB` masks them out of B's loads too (unpadded
/// row-major). C's old values start the sums, in the loops' order. With
/// `Tiled` A is read from its tiles: a k step's rows at fixed offsets from
/// one pointer, where rows of A a stride apart make the addresses a chain
/// of adds as long as the FMAs. `aheadLines` cache lines from `ahead` go
/// to L2 on the way, a few a step.
template <int Rows, bool MaskB, bool Tiled>
__attribute__((target("avx512f"))) void
registerTile(const Problem<float> &p, int64_t row0, int64_t col0, const float *b, int64_t bRow,
             int64_t k0, int64_t k1, const char *ahead, int64_t aheadLines) {
  __mmask16 lo, hi;
  columnMasks(p.n, col0, lo, hi);
  float *c = p.c + row0 * p.cRow + col0;
  __m512 acc[Rows][2];
  tileStart<Rows>(p, c, lo, hi, acc, /*fromC=*/k0 > 0);
  const int64_t aRow = Tiled ? 1 : p.aRow, aCol = Tiled ? kF32TileRows : p.aCol;
  const float *a = (Tiled ? p.aTiles + f32TileOffset(row0, p.k) : p.a + row0 * p.aRow) + k0 * aCol;
  const int64_t linesPerStep = k1 > k0 ? (aheadLines + (k1 - k0) - 1) / (k1 - k0) : 0;
  for (int64_t kk = k0; kk < k1; ++kk, b += bRow, a += aCol) {
    for (int64_t i = 0; i < linesPerStep && aheadLines > 0; ++i, --aheadLines, ahead += 64)
      _mm_prefetch(ahead, _MM_HINT_T1);
    __m512 b0 = MaskB ? _mm512_maskz_loadu_ps(lo, b) : _mm512_loadu_ps(b);
    __m512 b1 = MaskB ? _mm512_maskz_loadu_ps(hi, b + 16) : _mm512_loadu_ps(b + 16);
    for (int r = 0; r < Rows; ++r) {
      __m512 ar = _mm512_set1_ps(a[r * aRow]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  tileStore<Rows>(p, c, lo, hi, acc);
}

/// The bf16 form of registerTile: `aPairs` holds the tile's rows of A
/// rounded to bf16 (rows `aStride` apart, zero-padded to an even K); each
/// step multiplies a pair of k for 32 columns with AVX512-BF16's vdpbf16ps,
/// in `Panels` adjacent panels side by side (kSideBySide).
template <int Rows, int Panels = 1>
__attribute__((target("avx512f,avx512bf16"))) void
bf16DotTile(const Problem<BF16> &p, int64_t row0, int64_t col0, const BF16 *b, const BF16 *aPairs,
            int64_t aStride) {
  const int64_t panelSize = p.panelSize();
  float *c = p.c + row0 * p.cRow + col0;
  __mmask16 lo[Panels], hi[Panels];
  __m512 acc[Panels][Rows][2];
  panelsStart(p, c, col0, lo, hi, acc);
  int64_t pairs = (p.k + 1) / 2;
  for (int64_t kp = 0; kp < pairs; ++kp, b += 2 * kPanel) {
    __m512bh ar[Rows];
    for (int r = 0; r < Rows; ++r) {
      int32_t pair;
      __builtin_memcpy(&pair, aPairs + r * aStride + 2 * kp, sizeof pair);
      ar[r] = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair));
    }
    prefetchSideBySide<Panels>(b, panelSize);
    for (int q = 0; q < Panels; ++q) {
      __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + q * panelSize));
      __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + q * panelSize + kPanel));
      for (int r = 0; r < Rows; ++r) {
        acc[q][r][0] = _mm512_dpbf16_ps(acc[q][r][0], ar[r], b0);
        acc[q][r][1] = _mm512_dpbf16_ps(acc[q][r][1], ar[r], b1);
      }
    }
  }
  panelsStore(p, c, lo, hi, acc);
}

/// The same on AVX-512 CPUs without AVX512-BF16: each pair widened to f32
/// (the same inputs, f32 multiply-adds), `Panels` panels side by side.
template <int Rows, int Panels = 1>
__attribute__((target("avx512f"))) void bf16WidenTile(const Problem<BF16> &p, int64_t row0,
                                                      int64_t col0, const BF16 *b,
                                                      const BF16 *aPairs, int64_t aStride) {
  const int64_t panelSize = p.panelSize();
  float *c = p.c + row0 * p.cRow + col0;
  __mmask16 lo[Panels], hi[Panels];
  __m512 acc[Panels][Rows][2];
  panelsStart(p, c, col0, lo, hi, acc);
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  int64_t pairs = (p.k + 1) / 2;
  for (int64_t kp = 0; kp < pairs; ++kp, b += 2 * kPanel) {
    __m512 even[Rows], odd[Rows];
    for (int r = 0; r < Rows; ++r) {
      const BF16 *ar = aPairs + r * aStride + 2 * kp;
      even[r] = _mm512_set1_ps(fromBF16(ar[0])), odd[r] = _mm512_set1_ps(fromBF16(ar[1]));
    }
    prefetchSideBySide<Panels>(b, panelSize);
    for (int q = 0; q < Panels; ++q) {
      __m512i b0 = _mm512_loadu_si512(b + q * panelSize);
      __m512i b1 = _mm512_loadu_si512(b + q * panelSize + kPanel);
      // Even k in the low halves, odd k in the high ones.
      __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(b0, 16));
      __m512 o0 = _mm512_castsi512_ps(_mm512_and_si512(b0, high));
      __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(b1, 16));
      __m512 o1 = _mm512_castsi512_ps(_mm512_and_si512(b1, high));
      for (int r = 0; r < Rows; ++r) {
        acc[q][r][0] = _mm512_fmadd_ps(odd[r], o0, _mm512_fmadd_ps(even[r], e0, acc[q][r][0]));
        acc[q][r][1] = _mm512_fmadd_ps(odd[r], o1, _mm512_fmadd_ps(even[r], e1, acc[q][r][1]));
      }
    }
  }
  panelsStore(p, c, lo, hi, acc);
}

/// Rows [row0, row0+rows) × one panel of a bf16 problem, A's rows read
/// from `aRounded`.
template <bool DotProduct>
void bf16Rows(const Problem<BF16> &p, int64_t row0, int64_t rows, int64_t col0, const BF16 *b) {
  using Tile = void (*)(const Problem<BF16> &, int64_t, int64_t, const BF16 *, const BF16 *,
                        int64_t);
  static constexpr Tile tiles[kTileRows + 1] = {nullptr,
                                                DotProduct ? bf16DotTile<1> : bf16WidenTile<1>,
                                                DotProduct ? bf16DotTile<2> : bf16WidenTile<2>,
                                                DotProduct ? bf16DotTile<3> : bf16WidenTile<3>,
                                                DotProduct ? bf16DotTile<4> : bf16WidenTile<4>,
                                                DotProduct ? bf16DotTile<5> : bf16WidenTile<5>,
                                                DotProduct ? bf16DotTile<6> : bf16WidenTile<6>,
                                                DotProduct ? bf16DotTile<7> : bf16WidenTile<7>,
                                                DotProduct ? bf16DotTile<8> : bf16WidenTile<8>};
  forEachTile(row0, rows, kTileRows, [&](int64_t r, int64_t height) {
    tiles[height](p, r, col0, b, p.aRounded + r * p.aRoundedK, p.aRoundedK);
  });
}

template <bool DotProduct> struct BF16SideBySide {
  using Tile = void (*)(const Problem<BF16> &, int64_t, int64_t, const BF16 *, const BF16 *,
                        int64_t);
  template <int Rows, int Panels> static constexpr Tile tile() {
    if constexpr (DotProduct)
      return bf16DotTile<Rows, Panels>;
    else
      return bf16WidenTile<Rows, Panels>;
  }
};

/// The AVX-512 bf16 kernels' run of panels (computePanelRun).
template <bool DotProduct>
void bf16Panels(const Problem<BF16> &p, int64_t row0, int64_t rows, int64_t first, int64_t end) {
  static constexpr auto tiles = sideBySideTiles<BF16SideBySide<DotProduct>, kTileRows>();
  int64_t bRow;
  computePanelRun<kTileRows>(
      tiles, /*packed=*/true, rows, first, end,
      [&](int64_t panel) {
        bf16Rows<DotProduct>(p, row0, rows, panel * kPanel, p.panel(panel, bRow));
      },
      [&](auto tile, int64_t panel) {
        tile(p, row0, panel * kPanel, p.panel(panel, bRow), p.aRounded + row0 * p.aRoundedK,
             p.aRoundedK);
      });
}

/// AMX's tile registers as the bf16 kernel uses all eight: 16 rows of 64
/// bytes each (16 × 16 f32 sums; 16 rows of A × 32 k; 16 k pairs × 16
/// columns of B), in the layout ldtilecfg reads.
struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t bytesPerRow[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
constexpr int64_t kAMXRows = 16;     // rows of A (and C) per tile
constexpr int64_t kAMXDepth = 32;    // k per tile of A: 16 pairs, B's tile rows
constexpr int64_t kAMXRowBytes = 64; // every tile's rows: 32 bf16, or 16 f32 sums
constexpr int64_t kAMXBlockRows = 2 * kAMXRows;
constexpr int64_t kAMXPrefetchSteps = 4;
// Tasks start their rows at multiples of a block, where A's tiles start.
static_assert(kRowsPerTask % kAMXBlockRows == 0);

/// One panel of a bf16 problem as the AMX tiles read it: B's pairs from
/// `b`, the last step's from `tail` (the panel's last pairs zero-padded to
/// a step where fewer are left; A's rows are zero past K).
struct AMXPanel {
  const BF16 *b, *tail;
  int64_t col0, pairs, steps;
  const BF16 *step(int64_t s) const {
    return (s + 1) * kAMXDepth / 2 <= pairs ? b + s * kAMXDepth * kPanel : tail;
  }
};

/// C[row0 : row0+height, the panel] (+)= A·B on AMX tiles, K in steps of
/// 32, height at most 16 · RowTiles: tmm0-3 hold the sums (rows × the
/// panel's two halves of 16 columns), tmm4-5 A's rows, tmm6-7 B's halves.
/// C's edge tiles go through `edge`. With `prefetchB` the block asks for
/// the panel's later steps ahead of its loads (the first block reads them
/// from memory); `aheadLines` lines from `ahead` a step go to L2 for the
/// panel after. tdpbf16ps adds a step's pairs in k order as vdpbf16ps
/// does, but each pair's even k first where vdpbf16ps adds the odd one
/// first: sums differ from the AVX-512 path's in their last bits.
template <int RowTiles>
__attribute__((target("amx-tile,amx-bf16"))) void
amxBF16Block(const Problem<BF16> &p, const AMXPanel &panel, int64_t row0, int64_t height,
             bool prefetchB, const char *ahead, int64_t aheadLines) {
  const int64_t cols = std::min(p.n - panel.col0, kPanel);
  const bool direct = height == RowTiles * kAMXRows && cols == kPanel;
  float *c = p.c + row0 * p.cRow + panel.col0;
  alignas(64) float edge[kAMXBlockRows][kPanel];
  float *sums = direct ? c : &edge[0][0];
  const int64_t sumsRow = direct ? p.cRow : kPanel, sumsBytes = sumsRow * 4;
  if (p.accumulate) {
    if (!direct)
      for (int64_t r = 0; r < RowTiles * kAMXRows; ++r)
        for (int64_t j = 0; j < kPanel; ++j)
          edge[r][j] = r < height && j < cols ? c[r * p.cRow + j] : 0.0f;
    _tile_loadd(0, sums, sumsBytes);
    _tile_loadd(1, sums + 16, sumsBytes);
    if constexpr (RowTiles == 2) {
      _tile_loadd(2, sums + kAMXRows * sumsRow, sumsBytes);
      _tile_loadd(3, sums + kAMXRows * sumsRow + 16, sumsBytes);
    }
  } else {
    _tile_zero(0);
    _tile_zero(1);
    if constexpr (RowTiles == 2) {
      _tile_zero(2);
      _tile_zero(3);
    }
  }
  const int64_t bRowBytes = 2 * kAMXRowBytes; // a panel row: 32 columns' pairs
  const BF16 *a = p.aRounded + row0 * p.aRoundedK;
  auto prefetchStep = [&](int64_t s) {
    const char *step = reinterpret_cast<const char *>(panel.step(s));
    for (int64_t line = 0; line < kAMXDepth / 2 * bRowBytes; line += 64)
      _mm_prefetch(step + line, _MM_HINT_T0);
  };
  for (int64_t s = 0; prefetchB && s < std::min(kAMXPrefetchSteps, panel.steps); ++s)
    prefetchStep(s);
  for (int64_t s = 0; s < panel.steps; ++s, a += kAMXRows * kAMXDepth) {
    const BF16 *b = panel.step(s);
    if (prefetchB && s + kAMXPrefetchSteps < panel.steps)
      prefetchStep(s + kAMXPrefetchSteps);
    for (int64_t line = 0; line < aheadLines; ++line, ahead += 64)
      _mm_prefetch(ahead, _MM_HINT_T1);
    _tile_loadd(4, a, kAMXRowBytes);
    _tile_loadd(6, b, bRowBytes);
    _tile_loadd(7, b + kPanel, bRowBytes);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    if constexpr (RowTiles == 2) {
      _tile_loadd(5, a + kAMXRows * p.aRoundedK, kAMXRowBytes);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, sums, sumsBytes);
  _tile_stored(1, sums + 16, sumsBytes);
  if constexpr (RowTiles == 2) {
    _tile_stored(2, sums + kAMXRows * sumsRow, sumsBytes);
    _tile_stored(3, sums + kAMXRows * sumsRow + 16, sumsBytes);
  }
  if (!direct)
    for (int64_t r = 0; r < height; ++r)
      for (int64_t j = 0; j < cols; ++j)
        c[r * p.cRow + j] = edge[r][j];
}

/// Rows [row0, row0+rows) × one panel of a bf16 problem on AMX tiles, in
/// blocks of 32 rows that reread the panel from the caches. (Chunks of K
/// that keep a panel's slice in L1 across the blocks, the sums waiting in
/// C between chunks, were no faster.)
__attribute__((target("amx-tile,amx-bf16"))) void
amxBF16Rows(const Problem<BF16> &p, int64_t row0, int64_t rows, int64_t col0, const BF16 *b) {
  const int64_t pairs = (p.k + 1) / 2, stepPairs = kAMXDepth / 2;
  const int64_t panelSize = pairs * 2 * kPanel, fullSteps = pairs / stepPairs;
  alignas(64) BF16 tail[kAMXDepth * kPanel] = {};
  std::copy(b + fullSteps * kAMXDepth * kPanel, b + panelSize, tail);
  const AMXPanel panel{b, tail, col0, pairs, (pairs + stepPairs - 1) / stepPairs};
  static constexpr TileConfig config;
  _tile_loadconfig(&config);
  // While later blocks reread the panel, the panel after it (the task's
  // next, where the kernel takesPanelRuns) goes to L2, spread over
  // their steps.
  const int64_t blocks = (rows + kAMXBlockRows - 1) / kAMXBlockRows;
  const int64_t laterSteps = (blocks - 1) * panel.steps, panelLines = panelSize * 2 / 64;
  const bool nextPanel = col0 + kPanel < p.n;
  const int64_t linesPerStep =
      nextPanel && laterSteps > 0 ? (panelLines + laterSteps - 1) / laterSteps : 0;
  const char *ahead = nextPanel ? reinterpret_cast<const char *>(b + panelSize) : nullptr;
  forEachTile(row0, rows, kAMXBlockRows, [&](int64_t r, int64_t height) {
    const bool firstBlock = r == row0;
    const int64_t aheadLines = firstBlock ? 0 : linesPerStep;
    if (height > kAMXRows)
      amxBF16Block<2>(p, panel, r, height, firstBlock, ahead, aheadLines);
    else
      amxBF16Block<1>(p, panel, r, height, firstBlock, ahead, aheadLines);
    if (aheadLines > 0)
      ahead += aheadLines * panel.steps * 64;
  });
  // Unused tile state costs every context switch its save.
  _tile_release();
}

using F32Tile = void (*)(const Problem<float> &, int64_t, int64_t, const float *, int64_t, int64_t,
                         int64_t, const char *, int64_t);

/// registerTile<1 ... kF32TileRows, MaskB, Tiled>, by height.
template <bool MaskB, bool Tiled, int... Heights>
constexpr auto f32Tiles(std::integer_sequence<int, Heights...>) {
  return std::array<F32Tile, sizeof...(Heights) + 1>{nullptr,
                                                     registerTile<Heights + 1, MaskB, Tiled>...};
}

template <bool MaskB>
void vectorRows(const Problem<float> &p, int64_t row0, int64_t rows, int64_t col0, const float *b,
                int64_t bRow) {
  static constexpr auto strided =
      f32Tiles<MaskB, false>(std::make_integer_sequence<int, kF32TileRows>());
  static constexpr auto tiled =
      f32Tiles<MaskB, true>(std::make_integer_sequence<int, kF32TileRows>());
  const auto &tiles = p.aTiles ? tiled : strided;
  const int64_t tileCount = (rows + kF32TileRows - 1) / kF32TileRows;
  // One tile (of rows too many to read panels side by side, or a run's
  // lone last panel: computePanelRun) streams a packed panel from memory
  // once: it prefetches into L2
  // kF32StreamAhead k steps ahead, on into the next panel (panels lie end
  // to end): the hardware prefetcher alone leaves about a tenth of the
  // memory's speed unused (bench/f32-matmul.cpp).
  if (tileCount == 1 && p.bPanels) {
    const int64_t skipped = std::min(kF32StreamAhead, p.k);
    const int64_t steps = col0 + kPanel < p.n ? p.k : p.k - skipped;
    tiles[rows](p, row0, col0, b, bRow, 0, p.k, reinterpret_cast<const char *>(b + skipped * bRow),
                steps * kPanel * sizeof(float) / 64);
    return;
  }
  // With several tiles, K in pieces whose rows of the panel stay in L1
  // while every tile of the block reads them (C keeps the sums between
  // pieces: the same additions). A packed panel's first tile reads a piece
  // from memory; the others send the next piece (after the last, the next
  // panel's first) to L2.
  const int64_t depth = tileCount > 1 ? kF32PanelDepth : std::max<int64_t>(p.k, 1);
  for (int64_t k0 = 0; k0 < p.k || k0 == 0; k0 += depth) {
    const int64_t k1 = std::min(p.k, k0 + depth);
    const float *next = !p.bPanels            ? nullptr
                        : k1 < p.k            ? b + k1 * bRow
                        : col0 + kPanel < p.n ? b + p.panelSize()
                                              : nullptr;
    const int64_t nextK = std::min(k1 < p.k ? p.k - k1 : p.k, depth);
    int64_t lines = next ? nextK * kPanel * sizeof(float) / 64 : 0;
    const int64_t share = tileCount > 1 ? (lines + tileCount - 2) / (tileCount - 1) : 0;
    const char *ahead = reinterpret_cast<const char *>(next);
    bool first = true;
    forEachTile(row0, rows, kF32TileRows, [&](int64_t r, int64_t height) {
      const int64_t mine = first ? 0 : std::min(share, lines);
      tiles[height](p, r, col0, b + k0 * bRow, bRow, k0, k1, ahead, mine);
      ahead += mine * 64;
      lines -= mine;
      first = false;
    });
  }
}

/// registerTile over `Panels` adjacent packed panels at once (side by
/// side, kSideBySide), all of K in one pass. The same multiply-adds per
/// column, in the same order, as registerTile.
template <int Rows, int Panels, bool Tiled>
__attribute__((target("avx512f"))) void panelsTile(const Problem<float> &p, int64_t row0,
                                                   int64_t col0, const float *b) {
  const int64_t panelSize = p.panelSize();
  float *c = p.c + row0 * p.cRow + col0;
  __mmask16 lo[Panels], hi[Panels];
  __m512 acc[Panels][Rows][2];
  panelsStart(p, c, col0, lo, hi, acc);
  const int64_t aRow = Tiled ? 1 : p.aRow, aCol = Tiled ? kF32TileRows : p.aCol;
  const float *a = Tiled ? p.aTiles + f32TileOffset(row0, p.k) : p.a + row0 * p.aRow;
  for (int64_t kk = 0; kk < p.k; ++kk, b += kPanel, a += aCol) {
    __m512 ar[Rows];
    for (int r = 0; r < Rows; ++r)
      ar[r] = _mm512_set1_ps(a[r * aRow]);
    prefetchSideBySide<Panels>(b, panelSize);
    for (int q = 0; q < Panels; ++q) {
      __m512 b0 = _mm512_loadu_ps(b + q * panelSize), b1 = _mm512_loadu_ps(b + q * panelSize + 16);
      for (int r = 0; r < Rows; ++r) {
        acc[q][r][0] = _mm512_fmadd_ps(ar[r], b0, acc[q][r][0]);
        acc[q][r][1] = _mm512_fmadd_ps(ar[r], b1, acc[q][r][1]);
      }
    }
  }
  panelsStore(p, c, lo, hi, acc);
}

template <bool Tiled> struct F32SideBySide {
  using Tile = void (*)(const Problem<float> &, int64_t, int64_t, const float *);
  template <int Rows, int Panels> static constexpr Tile tile() {
    return panelsTile<Rows, Panels, Tiled>;
  }
};

/// The masks of the four vectors of the panel at `col0`: lane i of vector
/// v is on when column 8v + i is in C.
__attribute__((target("avx2,fma"))) inline void avx2ColumnMasks(int64_t n, int64_t col0,
                                                                __m256i (&mask)[4]) {
  int64_t cols = n - col0 < kPanel ? n - col0 : kPanel;
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int v = 0; v < 4; ++v)
    mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols) - 8 * v), lanes);
}

/// The accumulators of an AVX2 tile that adds into C as it goes: C's old
/// values when accumulating, else zeros; and their masked store.
template <int Rows, typename W>
__attribute__((target("avx2,fma"), always_inline)) inline void
avx2TileStart(const Problem<W> &p, const float *c, const __m256i (&mask)[4],
              __m256 (&acc)[Rows][4]) {
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v)
      acc[r][v] =
          p.accumulate ? _mm256_maskload_ps(c + r * p.cRow + 8 * v, mask[v]) : _mm256_setzero_ps();
}

template <int Rows, typename W>
__attribute__((target("avx2,fma"), always_inline)) inline void
avx2TileStore(const Problem<W> &p, float *c, const __m256i (&mask)[4], __m256 (&acc)[Rows][4]) {
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v)
      _mm256_maskstore_ps(c + r * p.cRow + 8 * v, mask[v], acc[r][v]);
}

/// registerTile on AVX2 + FMA (CPUs without AVX-512): a panel's 32
/// columns are four ymm vectors, so a tile has at most three rows (12
/// accumulators, three broadcasts of A, one vector of B at a time; checked
/// in the object code: no spills in the K loop). The same multiply-adds in
/// the same order as registerTile.
constexpr int64_t kAVX2TileRows = 3;

template <int Rows, bool MaskB, int Panels = 1>
__attribute__((target("avx2,fma"))) void avx2Tile(const Problem<float> &p, int64_t row0,
                                                  int64_t col0, const float *b, int64_t bRow) {
  static_assert(!MaskB || Panels == 1, "a masked B is a row-major edge panel");
  const int64_t panelSize = p.panelSize();
  float *c = p.c + row0 * p.cRow + col0;
  __m256i mask[Panels][4];
  __m256 acc[Panels][Rows][4];
  for (int q = 0; q < Panels; ++q) {
    avx2ColumnMasks(p.n, col0 + q * kPanel, mask[q]);
    avx2TileStart<Rows>(p, c + q * kPanel, mask[q], acc[q]);
  }
  const float *a = p.a + row0 * p.aRow;
  for (int64_t kk = 0; kk < p.k; ++kk, b += bRow, a += p.aCol) {
    __m256 ar[Rows];
    for (int r = 0; r < Rows; ++r)
      ar[r] = _mm256_broadcast_ss(a + r * p.aRow);
    prefetchSideBySide<Panels>(b, panelSize);
    for (int q = 0; q < Panels; ++q)
      for (int v = 0; v < 4; ++v) {
        const float *bv = b + q * panelSize + 8 * v;
        __m256 w = MaskB ? _mm256_maskload_ps(bv, mask[q][v]) : _mm256_loadu_ps(bv);
        for (int r = 0; r < Rows; ++r)
          acc[q][r][v] = _mm256_fmadd_ps(ar[r], w, acc[q][r][v]);
      }
  }
  for (int q = 0; q < Panels; ++q)
    avx2TileStore<Rows>(p, c + q * kPanel, mask[q], acc[q]);
}

struct AVX2SideBySide {
  using Tile = void (*)(const Problem<float> &, int64_t, int64_t, const float *, int64_t);
  template <int Rows, int Panels> static constexpr Tile tile() {
    return avx2Tile<Rows, false, Panels>;
  }
};

/// A masked B (a row-major edge panel) keeps its four masks in registers
/// too: two rows then, or an accumulator spills.
template <bool MaskB>
void avx2Rows(const Problem<float> &p, int64_t row0, int64_t rows, int64_t col0, const float *b,
              int64_t bRow) {
  using Tile = void (*)(const Problem<float> &, int64_t, int64_t, const float *, int64_t);
  static constexpr Tile tiles[kAVX2TileRows + 1] = {nullptr, avx2Tile<1, MaskB>, avx2Tile<2, MaskB>,
                                                    avx2Tile<3, MaskB>};
  constexpr int64_t tileRows = MaskB ? 2 : kAVX2TileRows;
  forEachTile(row0, rows, tileRows,
              [&](int64_t r, int64_t height) { tiles[height](p, r, col0, b, bRow); });
}

/// bf16WidenTile on AVX2: each pair of k widened to f32 for two FMAs.
/// Two rows (8 accumulators, each row's pair of A broadcast).
template <int Rows>
__attribute__((target("avx2,fma"))) void avx2BF16Tile(const Problem<BF16> &p, int64_t row0,
                                                      int64_t col0, const BF16 *b,
                                                      const BF16 *aPairs, int64_t aStride) {
  __m256i mask[4];
  avx2ColumnMasks(p.n, col0, mask);
  float *c = p.c + row0 * p.cRow + col0;
  __m256 acc[Rows][4];
  avx2TileStart<Rows>(p, c, mask, acc);
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  int64_t pairs = (p.k + 1) / 2;
  for (int64_t kp = 0; kp < pairs; ++kp, b += 2 * kPanel) {
    __m256 even[Rows], odd[Rows];
    for (int r = 0; r < Rows; ++r) {
      const BF16 *ar = aPairs + r * aStride + 2 * kp;
      even[r] = _mm256_set1_ps(fromBF16(ar[0]));
      odd[r] = _mm256_set1_ps(fromBF16(ar[1]));
    }
    for (int v = 0; v < 4; ++v) {
      // Eight columns' pairs: even k in the low halves, odd k in the high.
      __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 16 * v));
      __m256 e = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
      __m256 o = _mm256_castsi256_ps(_mm256_and_si256(x, high));
      for (int r = 0; r < Rows; ++r)
        acc[r][v] = _mm256_fmadd_ps(odd[r], o, _mm256_fmadd_ps(even[r], e, acc[r][v]));
    }
  }
  avx2TileStore<Rows>(p, c, mask, acc);
}

void avx2BF16Rows(const Problem<BF16> &p, int64_t row0, int64_t rows, int64_t col0, const BF16 *b) {
  using Tile =
      void (*)(const Problem<BF16> &, int64_t, int64_t, const BF16 *, const BF16 *, int64_t);
  static constexpr Tile tiles[] = {nullptr, avx2BF16Tile<1>, avx2BF16Tile<2>};
  int64_t stride = (p.k + 1) / 2 * 2;
  forEachTile(row0, rows, 2, [&](int64_t r, int64_t height) {
    tiles[height](p, r, col0, b, p.aRounded + r * stride, stride);
  });
}

/// int8 and 4-bit weights: a tile sums q(A) · q(B) over a range of k pairs
/// exactly in int32 and adds the sums, converted to f32 (and, for 4-bit
/// weights, scaled and offset by their group's parameters), to `partial`
/// [rows][32]; storeIntegerRows scales them into C. The integer sums do not
/// depend on the order of their terms, and every path (AVX512-VNNI,
/// AVX512-BW, AVX2, scalar) does the same f32 operations on them in the
/// same order, so all give the same bits. An int8 range holds at most this
/// many pairs, so that a sum stays exact: 256 · 2 · 32767 · 128 < 2^31
/// (|A's codes| ≤ 32767, never -32768; a model's int8 codes reach -128).
constexpr int64_t kInt8PairsPerSum = 256;
/// The fewest rows a matmul of integers takes byte dot products for: their
/// columns' sums cost a row's work per tile, and a decode step, bound by
/// the weights' bytes, gains nothing from fewer instructions.
constexpr int64_t kMinRowsForByteDots = 4;
static_assert(kInt8PairsPerSum * 2 * 32767 * 128 < (int64_t(1) << 31));
using IntegerPartial = float[kTileRows][kPanel];
/// The longest 4-bit group whose sums stay exact: 4096 · 32767 · 15 < 2^31,
/// and for the byte dot products 256 · (4096 · 128 · 15) too.
constexpr int64_t kMaxInt4Group = 4096;
static_assert(256 * kMaxInt4Group * 128 * 15 < (int64_t(1) << 31));

/// acc + the dot products of a's and b's int16 pairs, in int32: AVX512-VNNI's
/// vpdpwssd, or AVX512-BW's vpmaddwd and an add (the same sums: vpmaddwd
/// overflows only on four -32768s, and b holds bytes or nibbles here).
/// vpdpwssd is written as assembly so that one
/// tile template serves both: a function that names its intrinsic must be
/// compiled for VNNI, and LLVM would then fuse the other path's vpmaddwd
/// and add into it too.
template <bool VNNI>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline __m512i
dotPairs(__m512i acc, __m512i a, __m512i b) {
  if constexpr (VNNI) {
    asm("vpdpwssd {%2, %1, %0|%0, %1, %2}" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
  } else {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
  }
}

/// Rows [row0, row0+Rows) over pairs [first, last) of one panel with
/// AVX-512: per pair, 32 columns' weights widened to int16 (two zmm) and
/// two dot products per row against the row's pair of A.
template <int Rows, bool VNNI>
__attribute__((target("avx512f,avx512bw"))) void
int8AVX512Tile(const Problem<int8_t> &p, int64_t row0, const int8_t *b, int64_t first, int64_t last,
               IntegerPartial &partial) {
  __m512i acc[Rows][2];
  for (int r = 0; r < Rows; ++r)
    acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  const int16_t *a = p.aInt16.q + row0 * p.aInt16.stride;
  b += first * 2 * kPanel;
  for (int64_t kp = first; kp < last; ++kp, b += 2 * kPanel) {
    if constexpr (Rows == 1)
      _mm_prefetch(reinterpret_cast<const char *>(b) + kIntegerStreamAhead, _MM_HINT_T1);
    __m512i b0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(b)));
    __m512i b1 =
        _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + kPanel)));
    for (int r = 0; r < Rows; ++r) {
      int32_t pair;
      __builtin_memcpy(&pair, a + r * p.aInt16.stride + 2 * kp, sizeof pair);
      __m512i ar = _mm512_set1_epi32(pair);
      acc[r][0] = dotPairs<VNNI>(acc[r][0], ar, b0);
      acc[r][1] = dotPairs<VNNI>(acc[r][1], ar, b1);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 2; ++v) {
      float *out = partial[r] + 16 * v;
      _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), _mm512_cvtepi32_ps(acc[r][v])));
    }
}

/// Rows [row0, row0+Rows) over pairs [first, last) of one panel of a
/// matmul of integers whose rows are bytes above an offset
/// (Int16Rows::rowOffsets): per four k, two panel rows of pairs
/// interleaved into quads and one byte dot product (vpdpbusd) per row and
/// 16 columns, half the instructions of the pairs; the quads' products
/// with ones give the columns' sums, which the offsets multiply. Every sum
/// is exact in int32 (a chunk: 512 · 255 · 128 and 255 · 512 · 128).
template <int Rows>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
int8ByteDotsTile(const Problem<int8_t> &p, int64_t row0, const int8_t *b, int64_t first,
                 int64_t last, IntegerPartial &partial) {
  // unpack{lo,hi}_epi16 of two panel rows give, in dword i, the quad of
  // column 8 (i / 4) + i % 4 (lo) or that + 4 (hi): back to columns 0-15
  // and 16-31 (indices past 15 pick the second source).
  alignas(64) static constexpr int32_t kColumns[2][16] = {
      {0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23},
      {8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31}};
  __m512i acc[Rows][2], columnSums[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  for (int r = 0; r < Rows; ++r)
    acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  const __m512i ones = _mm512_set1_epi8(1);
  const uint8_t *a = p.aInt16.low + row0 * p.aInt16.byteStride;
  for (int64_t kp = first; kp < last; kp += 2) {
    const int8_t *pairs = b + kp * 2 * kPanel;
    __m512i r0 = _mm512_loadu_si512(pairs);
    __m512i r1 = kp + 1 < last ? _mm512_loadu_si512(pairs + 2 * kPanel) : _mm512_setzero_si512();
    __m512i quads[2] = {_mm512_unpacklo_epi16(r0, r1), _mm512_unpackhi_epi16(r0, r1)};
    for (int v = 0; v < 2; ++v)
      columnSums[v] = _mm512_dpbusd_epi32(columnSums[v], ones, quads[v]);
    for (int r = 0; r < Rows; ++r) {
      int32_t quad;
      __builtin_memcpy(&quad, a + r * p.aInt16.byteStride + 2 * kp, sizeof quad);
      __m512i ar = _mm512_set1_epi32(quad);
      for (int v = 0; v < 2; ++v)
        acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], ar, quads[v]);
    }
  }
  const __m512i low = _mm512_load_si512(kColumns[0]), high = _mm512_load_si512(kColumns[1]);
  for (int r = 0; r < Rows; ++r) {
    __m512i offset = _mm512_set1_epi32(p.aInt16.rowOffsets[row0 + r]);
    __m512i sums[2];
    for (int v = 0; v < 2; ++v)
      sums[v] = _mm512_add_epi32(acc[r][v], _mm512_mullo_epi32(offset, columnSums[v]));
    __m512i byColumn[2] = {_mm512_permutex2var_epi32(sums[0], low, sums[1]),
                           _mm512_permutex2var_epi32(sums[0], high, sums[1])};
    for (int v = 0; v < 2; ++v) {
      float *out = partial[r] + 16 * v;
      _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), _mm512_cvtepi32_ps(byColumn[v])));
    }
  }
}

/// The same on AVX2, two rows: per pair and eight columns, the weights
/// widened to int16 and vpmaddwd against each row's pair of A.
template <int Rows>
__attribute__((target("avx2"))) void avx2Int8Tile(const Problem<int8_t> &p, int64_t row0,
                                                  const int8_t *b, int64_t first, int64_t last,
                                                  IntegerPartial &partial) {
  __m256i acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v)
      acc[r][v] = _mm256_setzero_si256();
  const int16_t *a = p.aInt16.q + row0 * p.aInt16.stride;
  b += first * 2 * kPanel;
  for (int64_t kp = first; kp < last; ++kp, b += 2 * kPanel) {
    __m256i ar[Rows];
    for (int r = 0; r < Rows; ++r) {
      int32_t pair;
      __builtin_memcpy(&pair, a + r * p.aInt16.stride + 2 * kp, sizeof pair);
      ar[r] = _mm256_set1_epi32(pair);
    }
    for (int v = 0; v < 4; ++v) {
      __m256i w =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 16 * v)));
      for (int r = 0; r < Rows; ++r)
        acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(ar[r], w));
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v) {
      float *out = partial[r] + 8 * v;
      _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), _mm256_cvtepi32_ps(acc[r][v])));
    }
}

/// The same in plain loops (CPUs without AVX2).
void scalarInt8Sums(const Problem<int8_t> &p, int64_t row0, int64_t rows, const int8_t *b,
                    int64_t first, int64_t last, IntegerPartial &partial) {
  for (int64_t r = 0; r < rows; ++r) {
    const int16_t *a = p.aInt16.q + (row0 + r) * p.aInt16.stride;
    for (int64_t j = 0; j < kPanel; ++j) {
      int32_t sum = 0;
      for (int64_t kp = first; kp < last; ++kp)
        sum += a[2 * kp] * b[(kp * kPanel + j) * 2] + a[2 * kp + 1] * b[(kp * kPanel + j) * 2 + 1];
      partial[r][j] += static_cast<float>(sum);
    }
  }
}

/// C[i, j] (+)= partial[i][j] · A's scale of row i (· columnScales[j] when
/// given) for the tile's rows and the panel's columns in C, in plain
/// loops: the product in double, rounded once, the same for every path;
/// any C strides.
template <typename W, typename Param>
void storeIntegerRows(const Problem<W, Param> &p, int64_t row0, int64_t rows, int64_t col0,
                      const IntegerPartial &partial, const float *columnScales) {
  int64_t cols = p.n - col0 < kPanel ? p.n - col0 : kPanel;
  for (int64_t r = 0; r < rows; ++r) {
    double rowScale = p.aInt16.scales[row0 + r];
    float *c = p.c + (row0 + r) * p.cRow + col0 * p.cCol;
    for (int64_t j = 0; j < cols; ++j) {
      double product = partial[r][j] * rowScale;
      if (columnScales)
        product = product * columnScales[col0 + j];
      float value = static_cast<float>(product);
      c[j * p.cCol] = p.accumulate ? c[j * p.cCol] + value : value;
    }
  }
}

/// Zeros for rows [0, rows) of a tile's partial sums.
inline void clearPartial(IntegerPartial &partial, int64_t rows) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < kPanel; ++j)
      partial[i][j] = 0;
}

/// The instruction sets an integer tile comes in; AVX512ByteDots (VNNI's
/// byte dot products and VBMI's permutes) only for 4-bit weights.
enum class IntegerISA { AVX512ByteDots, AVX512VNNI, AVX512BW, AVX2, Scalar };
constexpr bool isAVX512(IntegerISA isa) {
  return isa == IntegerISA::AVX512VNNI || isa == IntegerISA::AVX512BW;
}

/// Rows [row0, row0+rows) × one panel of an int8 problem.
template <IntegerISA ISA>
void int8Rows(const Problem<int8_t> &p, int64_t row0, int64_t rows, int64_t col0, const int8_t *b) {
  using Tile = void (*)(const Problem<int8_t> &, int64_t, const int8_t *, int64_t, int64_t,
                        IntegerPartial &);
  constexpr bool vnni = ISA == IntegerISA::AVX512VNNI;
  static constexpr Tile avx512Tiles[kTileRows + 1] = {nullptr,
                                                      int8AVX512Tile<1, vnni>,
                                                      int8AVX512Tile<2, vnni>,
                                                      int8AVX512Tile<3, vnni>,
                                                      int8AVX512Tile<4, vnni>,
                                                      int8AVX512Tile<5, vnni>,
                                                      int8AVX512Tile<6, vnni>,
                                                      int8AVX512Tile<7, vnni>,
                                                      int8AVX512Tile<8, vnni>};
  static constexpr Tile avx2Tiles[] = {nullptr, avx2Int8Tile<1>, avx2Int8Tile<2>};
  static constexpr Tile byteDotTiles[kTileRows + 1] = {nullptr,
                                                       int8ByteDotsTile<1>,
                                                       int8ByteDotsTile<2>,
                                                       int8ByteDotsTile<3>,
                                                       int8ByteDotsTile<4>,
                                                       int8ByteDotsTile<5>,
                                                       int8ByteDotsTile<6>,
                                                       int8ByteDotsTile<7>,
                                                       int8ByteDotsTile<8>};
  const int64_t pairs = (p.k + 1) / 2;
  forEachTile(row0, rows, ISA == IntegerISA::AVX2 ? 2 : kTileRows, [&](int64_t r, int64_t height) {
    IntegerPartial partial;
    clearPartial(partial, height);
    for (int64_t first = 0; first < pairs; first += kInt8PairsPerSum) {
      int64_t last = pairs - first < kInt8PairsPerSum ? pairs : first + kInt8PairsPerSum;
      if constexpr (ISA == IntegerISA::AVX512VNNI)
        (p.aInt16.rowOffsets ? byteDotTiles : avx512Tiles)[height](p, r, b, first, last, partial);
      else if constexpr (isAVX512(ISA))
        avx512Tiles[height](p, r, b, first, last, partial);
      else if constexpr (ISA == IntegerISA::AVX2)
        avx2Tiles[height](p, r, b, first, last, partial);
      else
        scalarInt8Sums(p, r, height, b, first, last, partial);
    }
    storeIntegerRows(p, r, height, col0, partial, p.scales);
  });
}

/// Sixteen (eight) group parameters from `x` in f32.
__attribute__((target("avx512f"))) inline __m512 load16(const float *x) {
  return _mm512_loadu_ps(x);
}
__attribute__((target("avx512f"))) inline __m512 load16(const Half *x) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(x)));
}
__attribute__((target("avx2"))) inline __m256 load8(const float *x) { return _mm256_loadu_ps(x); }
__attribute__((target("avx2,f16c"))) inline __m256 load8(const Half *x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(x)));
}

/// partial += sum · scale + (the group's sum of q(A)) · offset for group
/// `g`'s integer sums of a tile's rows (columns 0-15 and 16-31).
template <int Rows, typename Param>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline void
addInt4Group(const Problem<Nibbles, Param> &p, int64_t row0, int64_t g, const Param *scales,
             const Param *offsets, const __m512i (&sums)[Rows][2], IntegerPartial &partial) {
  __m512 scale[2] = {load16(scales + g * kPanel), load16(scales + g * kPanel + 16)};
  __m512 offset[2];
  for (int v = 0; v < 2; ++v)
    offset[v] = offsets ? load16(offsets + g * kPanel + 16 * v)
                        : _mm512_mul_ps(scale[v], _mm512_set1_ps(-8.0f));
  for (int r = 0; r < Rows; ++r) {
    __m512 groupSum =
        _mm512_set1_ps(static_cast<float>(p.aInt16.groupSums[(row0 + r) * p.aInt16.groups + g]));
    for (int v = 0; v < 2; ++v) {
      __m512 scaled = _mm512_mul_ps(_mm512_cvtepi32_ps(sums[r][v]), scale[v]);
      float *out = partial[r] + 16 * v;
      _mm512_storeu_ps(out,
                       _mm512_add_ps(_mm512_loadu_ps(out),
                                     _mm512_add_ps(scaled, _mm512_mul_ps(groupSum, offset[v]))));
    }
  }
}

/// 4-bit weights: per group, the sums q(A) · q of each column over its k
/// pairs (q in [0, 15]), then partial += sum · scale + (the group's sum of
/// q(A)) · offset, since w = q · scale + offset; `scales` and `offsets`
/// are the panel's [groups, 32], f32 or f16 (widened exactly, so both
/// take the same f32 steps). Without `offsets` (symmetric weights), each
/// offset is -8 · scale, computed exactly in f32: the same bits as the
/// offsets stored. Two panel rows of 16 bytes, rows k and
/// k + 1 (zeros past K), become the columns' pairs: widened to 32 bits with
/// row k + 1 shifted into each lane's upper half, the low nibbles are
/// columns 0-15 and the high ones 16-31.
///
/// The AVX-512 tile takes every group of the panel in one call rather than
/// a call per group, and a tile of few rows sums alternate pairs into
/// separate accumulators (with one chain per row and half, a decode tile
/// waited on each dot product's latency); integer sums do not depend on
/// their order, so the result is the same.
template <int Rows, typename Param, bool VNNI>
__attribute__((target("avx512f,avx512bw"))) void
int4AVX512Tile(const Problem<Nibbles, Param> &p, int64_t row0, const Nibbles *b,
               const Param *scales, const Param *offsets, IntegerPartial &partial) {
  constexpr int chains = (4 + Rows - 1) / Rows; // 4, 2, 2, then 1
  const int16_t *a = p.aInt16.q + row0 * p.aInt16.stride;
  const __m512i low4 = _mm512_set1_epi16(15);
  for (int64_t g = 0, groups = p.groups(); g < groups; ++g) {
    __m512i acc[chains][Rows][2];
    for (int c = 0; c < chains; ++c)
      for (int r = 0; r < Rows; ++r)
        acc[c][r][0] = acc[c][r][1] = _mm512_setzero_si512();
    int64_t first = g * p.group, end = first + p.group < p.k ? first + p.group : p.k;
    auto addPair = [&](__m512i(&sums)[Rows][2], int64_t kk)
        __attribute__((target("avx512f,avx512bw"), always_inline)) {
      const Nibbles *row = b + kk * (kPanel / 2);
      __m512i even = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row)));
      __m512i odd = kk + 1 < end ? _mm512_cvtepu8_epi32(_mm_loadu_si128(
                                       reinterpret_cast<const __m128i *>(row + kPanel / 2)))
                                 : _mm512_setzero_si512();
      __m512i both = _mm512_or_si512(even, _mm512_slli_epi32(odd, 16));
      __m512i b0 = _mm512_and_si512(both, low4), b1 = _mm512_srli_epi16(both, 4);
      for (int r = 0; r < Rows; ++r) {
        int32_t pair;
        __builtin_memcpy(&pair, a + r * p.aInt16.stride + kk, sizeof pair);
        __m512i ar = _mm512_set1_epi32(pair);
        sums[r][0] = dotPairs<VNNI>(sums[r][0], ar, b0);
        sums[r][1] = dotPairs<VNNI>(sums[r][1], ar, b1);
      }
    };
    // Whole rounds of `chains` pairs, then the rest on the first chain.
    int64_t kk = first;
    for (; kk + 2 * chains <= end; kk += 2 * chains)
      for (int c = 0; c < chains; ++c)
        addPair(acc[c], kk + 2 * c);
    for (; kk < end; kk += 2)
      addPair(acc[0], kk);
    __m512i sums[Rows][2];
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < 2; ++v) {
        sums[r][v] = acc[0][r][v];
        for (int c = 1; c < chains; ++c)
          sums[r][v] = _mm512_add_epi32(sums[r][v], acc[c][r][v]);
      }
    addInt4Group<Rows>(p, row0, g, scales, offsets, sums, partial);
  }
}

/// 4-bit weights with VNNI's byte dot products (vpdpbusd, u8 · s8): A's
/// q = 256 · high + low, so q · w = 256 · (high · w) + low · w, with w as
/// the unsigned bytes against the signed highs and as the signed bytes
/// (0 to 15) against the unsigned lows. Four panel rows (k to k + 3, 64
/// bytes) become, in one byte permute (vpermb), 16 lanes of the 4 k of a
/// byte each: a vector of columns 0-15 in the low nibbles, 16-31 in the
/// high ones. The AVX-512 tile above widens each nibble to 16 bits
/// instead, twice the instructions per weight; the sums are the same
/// integers, so the results are the same bits.
///
/// A group's last rows, past K or into the next group, are masked off the
/// load; a tile of one row alternates two sets of accumulators.
constexpr int64_t kByteDotRows = 4; // rows per tile: 4 accumulators a row
template <int Rows, typename Param>
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"))) void
int4ByteDotsTile(const Problem<Nibbles, Param> &p, int64_t row0, const Nibbles *b,
                 const Param *scales, const Param *offsets, IntegerPartial &partial) {
  constexpr int chains = Rows == 1 ? 2 : 1;
  constexpr int64_t kStep = 4; // panel rows per vpermb
  // Byte 4j + i of the result is byte j of row i.
  alignas(64) static constexpr uint8_t kByColumn[64] = {
      0,  16, 32, 48, 1,  17, 33, 49, 2,  18, 34, 50, 3,  19, 35, 51, 4,  20, 36, 52, 5,  21,
      37, 53, 6,  22, 38, 54, 7,  23, 39, 55, 8,  24, 40, 56, 9,  25, 41, 57, 10, 26, 42, 58,
      11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};
  const __m512i byColumn = _mm512_load_si512(kByColumn), low4 = _mm512_set1_epi8(15);
  const int8_t *high = p.aInt16.high + row0 * p.aInt16.byteStride;
  const uint8_t *low = p.aInt16.low + row0 * p.aInt16.byteStride;
  for (int64_t g = 0, groups = p.groups(); g < groups; ++g) {
    __m512i highSums[chains][Rows][2], lowSums[chains][Rows][2];
    for (int c = 0; c < chains; ++c)
      for (int r = 0; r < Rows; ++r)
        for (int v = 0; v < 2; ++v)
          highSums[c][r][v] = lowSums[c][r][v] = _mm512_setzero_si512();
    const int64_t first = g * p.group, end = first + p.group < p.k ? first + p.group : p.k;
    auto addStep = [&](int c, int64_t kk, __mmask64 rowsIn)
        __attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"), always_inline)) {
      if constexpr (Rows == 1)
        _mm_prefetch(reinterpret_cast<const char *>(b + kk * (kPanel / 2)) + kIntegerStreamAhead,
                     _MM_HINT_T1);
      __m512i w =
          _mm512_permutexvar_epi8(byColumn, _mm512_maskz_loadu_epi8(rowsIn, b + kk * (kPanel / 2)));
      __m512i columns[2] = {_mm512_and_si512(w, low4),
                            _mm512_and_si512(_mm512_srli_epi16(w, 4), low4)};
      for (int r = 0; r < Rows; ++r) {
        int32_t highs, lows;
        __builtin_memcpy(&highs, high + r * p.aInt16.byteStride + kk, sizeof highs);
        __builtin_memcpy(&lows, low + r * p.aInt16.byteStride + kk, sizeof lows);
        __m512i h = _mm512_set1_epi32(highs), l = _mm512_set1_epi32(lows);
        for (int v = 0; v < 2; ++v) {
          highSums[c][r][v] = _mm512_dpbusd_epi32(highSums[c][r][v], columns[v], h);
          lowSums[c][r][v] = _mm512_dpbusd_epi32(lowSums[c][r][v], l, columns[v]);
        }
      }
    };
    int64_t kk = first;
    for (; kk + chains * kStep <= end; kk += chains * kStep)
      for (int c = 0; c < chains; ++c)
        addStep(c, kk + c * kStep, ~__mmask64(0));
    for (; kk + kStep <= end; kk += kStep)
      addStep(0, kk, ~__mmask64(0));
    if (kk < end) // 16 bytes a panel row
      addStep(0, kk, (__mmask64(1) << ((end - kk) * (kPanel / 2))) - 1);
    __m512i sums[Rows][2];
    for (int r = 0; r < Rows; ++r)
      for (int v = 0; v < 2; ++v) {
        __m512i highSum = highSums[0][r][v], lowSum = lowSums[0][r][v];
        for (int c = 1; c < chains; ++c) {
          highSum = _mm512_add_epi32(highSum, highSums[c][r][v]);
          lowSum = _mm512_add_epi32(lowSum, lowSums[c][r][v]);
        }
        sums[r][v] = _mm512_add_epi32(_mm512_slli_epi32(highSum, 8), lowSum);
      }
    addInt4Group<Rows>(p, row0, g, scales, offsets, sums, partial);
  }
}

/// The same on AVX2, two rows: eight columns a vector, the low nibbles of
/// bytes 0-7 and 8-15 being columns 0-7 and 8-15, their high ones 16-23 and
/// 24-31.
template <int Rows, typename Param>
__attribute__((target("avx2,f16c"))) void
avx2Int4Tile(const Problem<Nibbles, Param> &p, int64_t row0, const Nibbles *b, const Param *scales,
             const Param *offsets, int64_t g, IntegerPartial &partial) {
  __m256i acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int v = 0; v < 4; ++v)
      acc[r][v] = _mm256_setzero_si256();
  const int16_t *a = p.aInt16.q + row0 * p.aInt16.stride;
  const __m256i low4 = _mm256_set1_epi16(15);
  int64_t first = g * p.group, end = first + p.group < p.k ? first + p.group : p.k;
  for (int64_t kk = first; kk < end; kk += 2) {
    __m256i ar[Rows];
    for (int r = 0; r < Rows; ++r) {
      int32_t pair;
      __builtin_memcpy(&pair, a + r * p.aInt16.stride + kk, sizeof pair);
      ar[r] = _mm256_set1_epi32(pair);
    }
    const Nibbles *row = b + kk * (kPanel / 2);
    for (int h = 0; h < 2; ++h) {
      __m256i even =
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(row + 8 * h)));
      __m256i odd = kk + 1 < end ? _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                                       reinterpret_cast<const __m128i *>(row + kPanel / 2 + 8 * h)))
                                 : _mm256_setzero_si256();
      __m256i both = _mm256_or_si256(even, _mm256_slli_epi32(odd, 16));
      __m256i lowColumns = _mm256_and_si256(both, low4), highColumns = _mm256_srli_epi16(both, 4);
      for (int r = 0; r < Rows; ++r) {
        acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_madd_epi16(ar[r], lowColumns));
        acc[r][2 + h] = _mm256_add_epi32(acc[r][2 + h], _mm256_madd_epi16(ar[r], highColumns));
      }
    }
  }
  for (int r = 0; r < Rows; ++r) {
    __m256 groupSum =
        _mm256_set1_ps(static_cast<float>(p.aInt16.groupSums[(row0 + r) * p.aInt16.groups + g]));
    for (int v = 0; v < 4; ++v) {
      __m256 scale = load8(scales + g * kPanel + 8 * v);
      __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][v]), scale);
      __m256 offset =
          _mm256_mul_ps(groupSum, offsets ? load8(offsets + g * kPanel + 8 * v)
                                          : _mm256_mul_ps(scale, _mm256_set1_ps(-8.0f)));
      float *out = partial[r] + 8 * v;
      _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), _mm256_add_ps(scaled, offset)));
    }
  }
}

/// The same in plain loops (CPUs without AVX2).
template <typename Param>
void scalarInt4Sums(const Problem<Nibbles, Param> &p, int64_t row0, int64_t rows, const Nibbles *b,
                    const Param *scales, const Param *offsets, int64_t g, IntegerPartial &partial) {
  int64_t first = g * p.group, end = first + p.group < p.k ? first + p.group : p.k;
  for (int64_t r = 0; r < rows; ++r) {
    const int16_t *a = p.aInt16.q + (row0 + r) * p.aInt16.stride;
    float groupSum = static_cast<float>(p.aInt16.groupSums[(row0 + r) * p.aInt16.groups + g]);
    for (int64_t j = 0; j < kPanel; ++j) {
      int32_t sum = 0;
      for (int64_t kk = first; kk < end; ++kk) {
        Nibbles byte = b[kk * (kPanel / 2) + j % (kPanel / 2)];
        sum += a[kk] * (j < kPanel / 2 ? byte & 15 : byte >> 4);
      }
      float scale = toFloat(scales[g * kPanel + j]);
      float scaled = static_cast<float>(sum) * scale;
      float offset = groupSum * (offsets ? toFloat(offsets[g * kPanel + j]) : -8.0f * scale);
      float both = scaled + offset;
      partial[r][j] = partial[r][j] + both;
    }
  }
}

/// Rows [row0, row0+rows) × one panel of a 4-bit problem.
template <IntegerISA ISA, typename Param>
void int4Rows(const Problem<Nibbles, Param> &p, int64_t row0, int64_t rows, int64_t col0,
              const Nibbles *b) {
  using PanelTile = void (*)(const Problem<Nibbles, Param> &, int64_t, const Nibbles *,
                             const Param *, const Param *, IntegerPartial &);
  using GroupTile = void (*)(const Problem<Nibbles, Param> &, int64_t, const Nibbles *,
                             const Param *, const Param *, int64_t, IntegerPartial &);
  constexpr bool vnni = ISA == IntegerISA::AVX512VNNI;
  static constexpr PanelTile avx512Tiles[kTileRows + 1] = {nullptr,
                                                           int4AVX512Tile<1, Param, vnni>,
                                                           int4AVX512Tile<2, Param, vnni>,
                                                           int4AVX512Tile<3, Param, vnni>,
                                                           int4AVX512Tile<4, Param, vnni>,
                                                           int4AVX512Tile<5, Param, vnni>,
                                                           int4AVX512Tile<6, Param, vnni>,
                                                           int4AVX512Tile<7, Param, vnni>,
                                                           int4AVX512Tile<8, Param, vnni>};
  static constexpr PanelTile byteDotTiles[kByteDotRows + 1] = {
      nullptr, int4ByteDotsTile<1, Param>, int4ByteDotsTile<2, Param>, int4ByteDotsTile<3, Param>,
      int4ByteDotsTile<4, Param>};
  static constexpr GroupTile avx2Tiles[] = {nullptr, avx2Int4Tile<1, Param>,
                                            avx2Int4Tile<2, Param>};
  const int64_t groups = p.groups();
  const Param *scales = p.scales + col0 / kPanel * groups * kPanel;
  const Param *offsets = p.offsets ? p.offsets + col0 / kPanel * groups * kPanel : nullptr;
  const int64_t tileRows = ISA == IntegerISA::AVX2             ? 2
                           : ISA == IntegerISA::AVX512ByteDots ? kByteDotRows
                                                               : kTileRows;
  forEachTile(row0, rows, tileRows, [&](int64_t r, int64_t height) {
    IntegerPartial partial;
    clearPartial(partial, height);
    if constexpr (ISA == IntegerISA::AVX512ByteDots)
      byteDotTiles[height](p, r, b, scales, offsets, partial);
    else if constexpr (isAVX512(ISA))
      avx512Tiles[height](p, r, b, scales, offsets, partial);
    else
      for (int64_t g = 0; g < groups; ++g) {
        if constexpr (ISA == IntegerISA::AVX2)
          avx2Tiles[height](p, r, b, scales, offsets, g, partial);
        else
          scalarInt4Sums(p, r, height, b, scales, offsets, g, partial);
      }
    storeIntegerRows(p, r, height, col0, partial, nullptr);
  });
}

/// 16 floats rounded to bf16 exactly as toBF16 rounds them (nearest, ties
/// to even, subnormals too; a NaN stays a NaN), in AVX-512F's integer
/// lanes. (vcvtne2ps2bf16 would flush subnormals to zero, and a value just
/// under the smallest normal rounds up to it.)
__attribute__((target("avx512f"))) inline __m256i roundToBF16x16(__m512 x) {
  const __m512i bits = _mm512_castps_si512(x), high = _mm512_srli_epi32(bits, 16);
  const __m512i lowestKept = _mm512_and_si512(high, _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(
      _mm512_add_epi32(bits, _mm512_add_epi32(lowestKept, _mm512_set1_epi32(0x7FFF))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(
      _mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x40));
  return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

/// roundRowToBF16's whole pieces of 32 contiguous k; returns how many k it
/// rounded.
__attribute__((target("avx512f"))) int64_t roundPiecesToBF16(const float *x, int64_t k,
                                                             int64_t pieceStride, BF16 *out) {
  int64_t kk = 0;
  for (; kk + kAMXDepth <= k; kk += kAMXDepth, out += pieceStride) {
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), roundToBF16x16(_mm512_loadu_ps(x + kk)));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + 16),
                        roundToBF16x16(_mm512_loadu_ps(x + kk + 16)));
  }
  return kk;
}

/// x[0 : k] (elements `step` apart; null with k = 0) rounded to bf16 and
/// zero-padded to `paddedK`, in pieces of 32 k whose starts are
/// `pieceStride` apart in `out` (32: one row; AMX tiles: 16 rows of 32).
void roundRowToBF16(const float *x, int64_t k, int64_t step, int64_t paddedK, int64_t pieceStride,
                    BF16 *out) {
  int64_t kk = 0;
  if (step == 1 && hasAVX512())
    kk = roundPiecesToBF16(x, k, pieceStride, out);
  for (; kk < paddedK; ++kk)
    out[kk / kAMXDepth * pieceStride + kk % kAMXDepth] = kk < k ? toBF16(x[kk * step]) : BF16(0);
}

/// A rounded to bf16 (or, for f32, rearranged) once per call, as a kernel
/// reads it.
enum class RoundedA {
  None,
  /// f32 rows in tiles of kF32TileRows (f32TileOffset), for calls of more
  /// than one row.
  F32Tiles,
  /// Rows of A, K zero-padded to even.
  Rows,
  /// AMX tiles of 16 rows × 32 k, each 1 KB in a row, K zero-padded to a
  /// multiple of 32 and M to one of 16: tile (r, s) holds rows [16r, 16r +
  /// 16) × k [32s, 32s + 32), so that a tile load reads one contiguous
  /// kilobyte (strided rows of A ran 10-15% slower).
  AMXTiles,
};

/// The kernel table. A panel kernel computes rows [row0, row0+rows) ×
/// panel `panel` of a problem; each weight format (type, and for 4-bit
/// weights the group parameters' type) lists its kernels in order
/// of preference with what each needs of the CPU, and a call runs the
/// first the running CPU has (and no test switched off) that takes the
/// problem's strides.
template <typename W, typename Param = float> struct PanelKernel {
  /// Whether the running CPU has what it needs (and no test switched it
  /// off).
  bool (*available)();
  /// Whether it takes any strides; the f32 and bf16 vector tiles need C's
  /// (and a row-major B's) columns at unit stride (Problem::vectorizable).
  bool anyStrides;
  /// How it reads A rounded to bf16 (Problem::aRounded), which the call
  /// then rounds once; the scalar loops round as they read.
  RoundedA roundedA;
  void (*panel)(const Problem<W, Param> &p, int64_t row0, int64_t rows, int64_t panel);
  /// The fewest rows (M) it takes: an AMX tile's 16 rows of A would be
  /// mostly padding in a decode step, which the next kernel takes.
  int64_t minRows = 0;
  /// The most rows it takes: the 4-bit byte dot products halve the work of
  /// unpacking weights, which bounds a decode step, but their tiles are half
  /// as tall, and many rows share the unpacking better in the next kernel's.
  int64_t maxRows = INT64_MAX;
  /// Whether a task takes a run of up to kPanelRun adjacent panels, for
  /// any number of rows: for a kernel that prefetches the panel after its
  /// own while it rereads its own for more rows, so that the panel it
  /// prefetches is mostly the one it computes next; for one that reads
  /// panels side by side, so that a decode step's run has several to read
  /// (its prefill tasks then take runs too).
  bool takesPanelRuns = false;
  /// Whether it reads A's 16-bit integers split into bytes
  /// (Int16Rows::high and low), which the call then splits once.
  bool int16AsBytes = false;
  /// Where set, a task's run of adjacent panels [first, end) goes here
  /// instead of to `panel` one at a time: a kernel may read them together.
  void (*panels)(const Problem<W, Param> &p, int64_t row0, int64_t rows, int64_t first,
                 int64_t end) = nullptr;
  /// Whether, for a matmul of integers of at least kMinRowsForByteDots
  /// rows each spanning at most 255, it reads them as bytes above an
  /// offset (Int16Rows::low and rowOffsets), which the call then writes.
  bool integerRowsAsBytes = false;
};

bool always() { return true; }

template <typename W>
void scalarPanel(const Problem<W> &p, int64_t row0, int64_t rows, int64_t panel) {
  int64_t col0 = panel * kPanel;
  scalarProduct(p, row0, rows, col0, p.n - col0 < kPanel ? p.n - col0 : kPanel);
}

/// f32 weights: packed panels are zero-padded; a row-major edge panel is
/// not, and its loads are masked.
template <void (*Rows)(const Problem<float> &, int64_t, int64_t, int64_t, const float *, int64_t),
          void (*MaskedRows)(const Problem<float> &, int64_t, int64_t, int64_t, const float *,
                             int64_t)>
void f32Panel(const Problem<float> &p, int64_t row0, int64_t rows, int64_t panel) {
  int64_t bRow, col0 = panel * kPanel;
  const float *b = p.panel(panel, bRow);
  if (!p.bPanels && p.n - col0 < kPanel)
    return MaskedRows(p, row0, rows, col0, b, bRow);
  Rows(p, row0, rows, col0, b, bRow);
}

/// The AVX-512 f32 kernel's run of panels (computePanelRun): a group of
/// one panel takes the one-tile path, which prefetches.
void f32AVX512Panels(const Problem<float> &p, int64_t row0, int64_t rows, int64_t first,
                     int64_t end) {
  static constexpr auto strided = sideBySideTiles<F32SideBySide<false>, kF32TileRows>();
  static constexpr auto tiled = sideBySideTiles<F32SideBySide<true>, kF32TileRows>();
  computePanelRun<kF32TileRows>(
      p.aTiles ? tiled : strided, p.bPanels, rows, first, end,
      [&](int64_t panel) { f32Panel<vectorRows<false>, vectorRows<true>>(p, row0, rows, panel); },
      [&](auto tile, int64_t panel) {
        int64_t bRow;
        tile(p, row0, panel * kPanel, p.panel(panel, bRow));
      });
}

/// The AVX2 f32 kernel's run of panels (computePanelRun): one-row calls
/// read 3 panels at once.
void f32AVX2Panels(const Problem<float> &p, int64_t row0, int64_t rows, int64_t first,
                   int64_t end) {
  static constexpr auto tiles = sideBySideTiles<AVX2SideBySide, kAVX2TileRows>();
  computePanelRun<kAVX2TileRows>(
      tiles, p.bPanels, rows, first, end,
      [&](int64_t panel) { f32Panel<avx2Rows<false>, avx2Rows<true>>(p, row0, rows, panel); },
      [&](auto tile, int64_t panel) {
        int64_t bRow;
        const float *b = p.panel(panel, bRow);
        tile(p, row0, panel * kPanel, b, bRow);
      });
}

/// Packed weights (bf16, int8, 4-bit): the row loops take the panel's
/// first element.
template <typename W, typename Param,
          void (*Rows)(const Problem<W, Param> &, int64_t, int64_t, int64_t, const W *)>
void packedPanel(const Problem<W, Param> &p, int64_t row0, int64_t rows, int64_t panel) {
  int64_t bRow;
  Rows(p, row0, rows, panel * kPanel, p.panel(panel, bRow));
}

template <typename W, typename Param = float> struct KernelTable;
template <> struct KernelTable<float> {
  static constexpr PanelKernel<float> kernels[] = {
      {hasAVX512, false, RoundedA::F32Tiles, f32Panel<vectorRows<false>, vectorRows<true>>, 0,
       INT64_MAX, /*takesPanelRuns=*/true, /*int16AsBytes=*/false, f32AVX512Panels},
      {hasAVX2, false, RoundedA::None, f32Panel<avx2Rows<false>, avx2Rows<true>>, 0, INT64_MAX,
       /*takesPanelRuns=*/true, /*int16AsBytes=*/false, f32AVX2Panels},
      {always, true, RoundedA::None, scalarPanel<float>}};
};
template <> struct KernelTable<BF16> {
  static constexpr PanelKernel<BF16> kernels[] = {
      {hasAMXBF16, false, RoundedA::AMXTiles, packedPanel<BF16, float, amxBF16Rows>, kAMXRows,
       INT64_MAX, /*takesPanelRuns=*/true},
      {hasAVX512BF16, false, RoundedA::Rows, packedPanel<BF16, float, bf16Rows<true>>, 0, INT64_MAX,
       /*takesPanelRuns=*/true, /*int16AsBytes=*/false, bf16Panels<true>},
      {hasAVX512, false, RoundedA::Rows, packedPanel<BF16, float, bf16Rows<false>>, 0, INT64_MAX,
       /*takesPanelRuns=*/true, /*int16AsBytes=*/false, bf16Panels<false>},
      {hasAVX2, false, RoundedA::Rows, packedPanel<BF16, float, avx2BF16Rows>},
      {always, true, RoundedA::None, scalarPanel<BF16>}};
};
template <> struct KernelTable<int8_t> {
  static constexpr PanelKernel<int8_t> kernels[] = {
      {hasAVX512VNNI, true, RoundedA::None,
       packedPanel<int8_t, float, int8Rows<IntegerISA::AVX512VNNI>>, 0, INT64_MAX,
       /*takesPanelRuns=*/false, /*int16AsBytes=*/false, /*panels=*/nullptr,
       /*integerRowsAsBytes=*/true},
      {hasAVX512BW, true, RoundedA::None,
       packedPanel<int8_t, float, int8Rows<IntegerISA::AVX512BW>>},
      {hasAVX2, true, RoundedA::None, packedPanel<int8_t, float, int8Rows<IntegerISA::AVX2>>},
      {always, true, RoundedA::None, packedPanel<int8_t, float, int8Rows<IntegerISA::Scalar>>}};
};
template <typename Param> struct KernelTable<Nibbles, Param> {
  static bool hasAVX2ForParams() {
    return hasAVX2() && (std::is_same_v<Param, float> || hasF16C());
  }
  static constexpr PanelKernel<Nibbles, Param> kernels[] = {
      {hasAVX512VBMI, true, RoundedA::None,
       packedPanel<Nibbles, Param, int4Rows<IntegerISA::AVX512ByteDots, Param>>, 0, kTileRows,
       false, /*int16AsBytes=*/true},
      {hasAVX512VNNI, true, RoundedA::None,
       packedPanel<Nibbles, Param, int4Rows<IntegerISA::AVX512VNNI, Param>>},
      {hasAVX512BW, true, RoundedA::None,
       packedPanel<Nibbles, Param, int4Rows<IntegerISA::AVX512BW, Param>>},
      {hasAVX2ForParams, true, RoundedA::None,
       packedPanel<Nibbles, Param, int4Rows<IntegerISA::AVX2, Param>>},
      {always, true, RoundedA::None,
       packedPanel<Nibbles, Param, int4Rows<IntegerISA::Scalar, Param>>}};
};

template <typename W, typename Param>
const PanelKernel<W, Param> &selectPanelKernel(const Problem<W, Param> &p) {
  const auto &kernels = KernelTable<W, Param>::kernels;
  for (const PanelKernel<W, Param> &kernel : kernels)
    // Rows first: AMX's availability asks Linux for the tiles' state.
    if (p.m >= kernel.minRows && p.m <= kernel.maxRows && (kernel.anyStrides || p.vectorizable()) &&
        kernel.available())
      return kernel;
  return kernels[std::size(kernels) - 1]; // runs anywhere
}

/// Whether the ranks form C[batch..., M, N] = A[batch..., M, K] · B with
/// at most kMaxBatchRank batch dims that fit Batch's arrays, and the panel
/// layout's B (rank 3, or 4 for pairs of k). Compiled code calls with
/// nothing else.
template <typename W>
bool ranksFit(const View<> &c, const View<> &a, const View<W> &b, bool panels) {
  if (c.rank < 2 || c.rank - 2 > kMaxBatchRank || a.rank < 2 || a.rank > c.rank)
    return false;
  if (Problem<W>::kPairs)
    return b.rank == 4;
  if (std::is_same_v<W, Nibbles>)
    return b.rank == 3;
  return panels ? b.rank == 3 : b.rank >= 2 && b.rank <= c.rank;
}

/// `T` where a call's arguments do not deduce it (C++20's type_identity;
/// the kernels build as C++17).
template <typename T> struct TypeOf { using type = T; };

/// C (+)= A·B (B's columns scaled by `scales` when given) on the caller's
/// pool: one task per (batch item, block of rows, group of panels), which
/// then runs `epilogue` on the block of C it finished.
template <typename W, typename Param = float>
void multiply(const KernelCall &call, const View<> &c, const View<> &a, const View<W> &b,
              bool panels, const typename TypeOf<Param>::type *scales, bool accumulate,
              genc_tile_epilogue *epilogue, const typename TypeOf<Param>::type *offsets = nullptr,
              int64_t group = 0) {
  if (call.failed())
    return;
  // Rather than overrun Batch.
  if (!ranksFit(c, a, b, panels))
    return call.fail("internal error: a matmul kernel got C of rank {index} and A of rank "
                     "{bound}, or B of a rank its layout excludes (C takes at most 8 batch dims, "
                     "A and B no more dims than C)",
                     c.rank, a.rank);
  Problem<W, Param> p{};
  p.m = c.size(1);
  p.n = c.size(0);
  p.k = a.size(0);
  p.a = a.data;
  p.aRow = a.stride(1);
  p.aCol = a.stride(0);
  p.b = b.data;
  p.bPanels = panels;
  p.bRow = panels ? (Problem<W, Param>::kPairs     ? 2 * kPanel
                     : Problem<W, Param>::kNibbles ? kPanel / 2
                                                   : kPanel)
                  : b.stride(1);
  p.offsets = offsets;
  p.group = group;
  p.bCol = panels ? 1 : b.stride(0);
  p.scales = scales;
  p.c = c.data;
  p.cRow = c.stride(1);
  p.cCol = c.stride(0);
  p.accumulate = accumulate;

  Batch batch;
  batch.rank = c.rank - 2;
  for (int64_t d = 0; d < batch.rank; ++d) {
    batch.sizes[d] = c.sizes[d];
    batch.count *= c.sizes[d];
    batch.aStrides[d] = batchStride(a, d, batch.rank);
    batch.bStrides[d] = panels ? 0 : batchStride(b, d, batch.rank);
    batch.cStrides[d] = c.strides[d];
  }
  // One weight shared by every item and rows that run on across the
  // batch: one tall problem, whose row blocks balance better.
  bool bShared = true;
  for (int64_t d = 0; d < batch.rank; ++d)
    bShared &= batch.bStrides[d] == 0;
  if (batch.count > 1 && bShared && a.rank == c.rank && rowsContinueAcrossBatch(a) &&
      rowsContinueAcrossBatch(c)) {
    p.m *= batch.count;
    batch = Batch();
  }
  if (p.m == 0 || p.n == 0 || batch.count == 0)
    return;
  // With K = 0 and C accumulated the product adds nothing: C is final.
  if (p.k == 0 && p.accumulate) {
    if (epilogue)
      epilogue->apply(epilogue, 0, batch.count * p.m, 0, p.n);
    return;
  }

  // A rounded once for the weights' arithmetic, not once per panel, a row
  // a task: every item's rows in a row, zero-padded. bf16 weights: to bf16,
  // K padded as the panel kernel asks (the scalar path rounds as it reads;
  // with K = 0 there is nothing to read); int8 and 4-bit ones: to 16-bit
  // integers, an even K, a scale per row.
  const int64_t evenK = (p.k + 1) / 2 * 2, rowsOfA = batch.count * p.m;
  auto rowOfA = [&](int64_t row) {
    int64_t ao, bo, co;
    batch.offsets(row / p.m, ao, bo, co);
    return p.a + ao + row % p.m * p.aRow;
  };
  Scratch<BF16> rounded;
  Scratch<int16_t> int16Rows;
  Scratch<double> int16Scales;
  Scratch<int32_t> groupSums;
  Scratch<int8_t> highBytes;
  Scratch<uint8_t> lowBytes;
  const int64_t groups = Problem<W, Param>::kNibbles ? p.groups() : 0;
  // A 4-bit tile reads k pairs from each group's first k: with an odd
  // group, the pair of the last k of an even K ends one past it.
  const int64_t int16Stride = Problem<W, Param>::kNibbles ? evenK + 2 : evenK;
  const PanelKernel<W, Param> &panelKernel = selectPanelKernel(p);
  // A matmul of integers whose every row spans at most 255 (8-bit codes
  // less a zero point) on byte dot products: all its rows or none.
  const bool integerBytes = std::is_same_v<W, int8_t> && !p.scales &&
                            panelKernel.integerRowsAsBytes && p.m >= kMinRowsForByteDots;
  // A byte dot tile reads 4 k from any k of a group's: up to k + 3; the
  // integer one 4 k from each even pair: up to K rounded up to 4.
  const int64_t byteStride = panelKernel.int16AsBytes ? p.k + 3
                             : integerBytes           ? (p.k + 3) / 4 * 4
                                                      : 0;
  Scratch<int32_t> rowOffsets;
  bool rowsAreBytes = integerBytes;
  const bool amxTiles = panelKernel.roundedA == RoundedA::AMXTiles;
  const int64_t roundedK = amxTiles ? (p.k + kAMXDepth - 1) / kAMXDepth * kAMXDepth : evenK;
  const int64_t roundedRows = amxTiles ? (p.m + kAMXRows - 1) / kAMXRows * kAMXRows : p.m;
  if ((panelKernel.roundedA == RoundedA::Rows || amxTiles) && p.k > 0) {
    if (!rounded.allocate(call, countOf({batch.count, roundedRows, roundedK})))
      return;
    parallelFor(call.context, batch.count * roundedRows, [&](int64_t row) {
      const int64_t item = row / roundedRows, r = row % roundedRows;
      // Rows past M (AMX tiles' padding) are zeros.
      const float *x = r < p.m ? rowOfA(item * p.m + r) : nullptr;
      const int64_t k = x ? p.k : 0;
      BF16 *out = rounded.data() + item * roundedRows * roundedK;
      if (amxTiles)
        roundRowToBF16(x, k, p.aCol, roundedK, kAMXRows * kAMXDepth,
                       out + r / kAMXRows * kAMXRows * roundedK + r % kAMXRows * kAMXDepth);
      else
        roundRowToBF16(x, k, p.aCol, roundedK, kAMXDepth, out + r * roundedK);
    });
  }
  // f32 A in tiles where a tile has more than one row to read.
  Scratch<float> f32Tiles;
  // Up to the end of the tile that holds the last row.
  const int64_t f32TilesPerItem = p.m > 0 ? f32TileOffset(p.m - 1, p.k) + kF32TileRows * p.k : 0;
  if (panelKernel.roundedA == RoundedA::F32Tiles && p.m > 1 && p.k > 0) {
    if (!f32Tiles.allocate(call, countOf({batch.count, f32TilesPerItem})))
      return;
    // A task's tiles, in order: each k step's rows written side by side.
    const int64_t tasks = (p.m + kRowsPerTask - 1) / kRowsPerTask;
    parallelFor(call.context, batch.count * tasks * kF32TilesPerTask, [&](int64_t index) {
      const int64_t item = index / (tasks * kF32TilesPerTask);
      const int64_t row0 =
          index / kF32TilesPerTask % tasks * kRowsPerTask + index % kF32TilesPerTask * kF32TileRows;
      const int64_t height =
          std::min(kF32TileRows, std::min(p.m, (row0 / kRowsPerTask + 1) * kRowsPerTask) - row0);
      if (height <= 0)
        return;
      const float *x[kF32TileRows];
      for (int64_t r = 0; r < height; ++r)
        x[r] = rowOfA(item * p.m + row0 + r);
      writeF32Tile(x, height, p.k, p.aCol,
                   f32Tiles.data() + item * f32TilesPerItem + f32TileOffset(row0, p.k));
    });
  }
  if (std::is_same_v<W, int8_t> || Problem<W, Param>::kNibbles) {
    if (!int16Rows.allocate(call, countOf({rowsOfA, int16Stride})) ||
        !int16Scales.allocate(call, rowsOfA) ||
        !groupSums.allocate(call, countOf({rowsOfA, groups})) ||
        (panelKernel.int16AsBytes && !highBytes.allocate(call, countOf({rowsOfA, byteStride}))) ||
        (byteStride > 0 && !lowBytes.allocate(call, countOf({rowsOfA, byteStride}))) ||
        (integerBytes && !rowOffsets.allocate(call, rowsOfA)))
      return;
    parallelFor(call.context, rowsOfA, [&](int64_t row) {
      int16_t *out = int16Rows.data() + row * int16Stride;
      // int8 weights without scales multiply integers (A's taken as they are).
      int16Scales[row] = std::is_same_v<W, int8_t> && !p.scales
                             ? integerRowToInt16(rowOfA(row), p.k, p.aCol, out)
                             : roundRowToInt16(rowOfA(row), p.k, p.aCol, out);
      for (int64_t kk = p.k; kk < int16Stride; ++kk)
        out[kk] = 0;
      if (groups > 0)
        sumGroups(out, p.k, p.group, groupSums.data() + row * groups);
      if (panelKernel.int16AsBytes)
        splitIntoBytes(out, p.k, byteStride, highBytes.data() + row * byteStride,
                       lowBytes.data() + row * byteStride);
      else if (integerBytes &&
               !rowAsBytesAboveItsLeast(out, p.k, byteStride, lowBytes.data() + row * byteStride,
                                        rowOffsets[row]))
        __atomic_store_n(&rowsAreBytes, false, __ATOMIC_RELAXED);
    });
  }

  int64_t rowBlocks = (p.m + kRowsPerTask - 1) / kRowsPerTask;
  int64_t panelCount = (p.n + kPanel - 1) / kPanel;
  // A task of a few rows streams its panels' weights once: at least
  // kBytesPerTask of them, or a quantised panel's task is mostly hand-off.
  int64_t panelBytes = p.panelSize() * static_cast<int64_t>(sizeof(W));
  panelBytes = panelBytes > 0 ? panelBytes : 1; // K = 0: a panel holds nothing
  int64_t panelsPerTask =
      p.m <= kTileRows && panelBytes < kBytesPerTask ? kBytesPerTask / panelBytes : 1;
  if (panelKernel.takesPanelRuns) {
    const int64_t threads = call.context ? call.context->threads : 0;
    const int64_t tasks = threads > 0 ? kTasksPerThread * threads : kMinTasksPerRowBlock;
    panelsPerTask = std::max(panelsPerTask, std::clamp<int64_t>(panelCount / tasks, 1, kPanelRun));
  }
  int64_t panelGroups = (panelCount + panelsPerTask - 1) / panelsPerTask;
  parallelFor(call.context, batch.count * rowBlocks * panelGroups, [&](int64_t task) {
    int64_t firstPanel = task % panelGroups * panelsPerTask, rest = task / panelGroups;
    int64_t block = rest % rowBlocks, item = rest / rowBlocks;
    int64_t ao, bo, co;
    batch.offsets(item, ao, bo, co);
    Problem<W, Param> q = p;
    q.a += ao;
    q.b += bo;
    q.c += co;
    if (rounded)
      q.aRounded = rounded.data() + item * roundedRows * roundedK;
    q.aRoundedK = roundedK;
    if (f32Tiles)
      q.aTiles = f32Tiles.data() + item * f32TilesPerItem;
    if (int16Rows)
      q.aInt16 = {int16Rows.data() + item * p.m * int16Stride,
                  int16Scales.data() + item * p.m,
                  int16Stride,
                  groupSums.data() + item * p.m * groups,
                  groups,
                  highBytes ? highBytes.data() + item * p.m * byteStride : nullptr,
                  lowBytes ? lowBytes.data() + item * p.m * byteStride : nullptr,
                  byteStride,
                  rowsAreBytes ? rowOffsets.data() + item * p.m : nullptr};
    int64_t row0 = block * kRowsPerTask;
    int64_t rows = p.m - row0 < kRowsPerTask ? p.m - row0 : kRowsPerTask;
    int64_t endPanel = std::min(panelCount, firstPanel + panelsPerTask);
    if (panelKernel.panels)
      panelKernel.panels(q, row0, rows, firstPanel, endPanel);
    else
      for (int64_t panel = firstPanel; panel < endPanel; ++panel)
        panelKernel.panel(q, row0, rows, panel);
    // Each task reduces all of K: its block of C is final.
    if (epilogue)
      epilogue->apply(epilogue, item * p.m + row0, item * p.m + row0 + rows, firstPanel * kPanel,
                      std::min(p.n, endPanel * kPanel));
  });
}

/// The 4-bit kernels, group parameters of type Param; `offsets` null for
/// symmetric weights (each offset -8 · scale).
template <typename Param>
void multiplyInt4(const KernelCall &call, genc_unranked_memref *c, genc_unranked_memref *a,
                  genc_unranked_memref *b, genc_unranked_memref *scales,
                  genc_unranked_memref *offsets, int64_t group, int64_t accumulate,
                  genc_tile_epilogue *epilogue) {
  // The sizes a failed check left need not fit the weights.
  if (call.failed())
    return;
  // Weights in another layout: fail rather than read past them.
  View<> cv(c), av(a);
  View<Param> sv(scales);
  std::optional<View<Param>> ov;
  if (offsets)
    ov.emplace(offsets);
  View<Nibbles> bv(b);
  int64_t n = cv.rank >= 2 ? cv.size(0) : -1, k = av.rank >= 2 ? av.size(0) : -1;
  int64_t panels = (n + 31) / 32, groups = group > 0 ? (k + group - 1) / group : -1;
  auto shapedAs = [](const View<Param> &v, int64_t d0, int64_t d1, int64_t d2) {
    return v.rank == 3 && v.sizes[0] == d0 && v.sizes[1] == d1 && v.sizes[2] == d2;
  };
  if (group <= 0 || group > kMaxInt4Group)
    return call.fail("internal error: a 4-bit matmul kernel got a group of {index} rows (at most "
                     "{bound})",
                     group, kMaxInt4Group);
  bool fits = n >= 0 && k >= 0 && bv.rank == 3 && bv.sizes[0] == panels && bv.sizes[1] == k &&
              bv.sizes[2] == 16 && shapedAs(sv, panels, groups, 32) &&
              (!ov || shapedAs(*ov, panels, groups, 32));
  if (!fits)
    return call.fail("internal error: a 4-bit matmul kernel's weights, scales or offsets do not "
                     "fit N = {index} and K = {bound} (B must be [ceil(N / 32), K, 16], the "
                     "scales and offsets [ceil(N / 32), ceil(K / group), 32])",
                     n, k);
  multiply<Nibbles, Param>(call, cv, av, bv, /*panels=*/true, sv.data, accumulate != 0, epilogue,
                           ov ? ov->data : nullptr, group);
}

/// The int8 kernels: `scales` f32 [ceil(N / 32), 32], one per column, or
/// null for codes that are the weights themselves (A then holds integers).
void multiplyInt8(const KernelCall &call, genc_unranked_memref *c, genc_unranked_memref *a,
                  genc_unranked_memref *b, genc_unranked_memref *scales, int64_t accumulate,
                  genc_tile_epilogue *epilogue) {
  // The sizes a failed check left need not fit the weights.
  if (call.failed())
    return;
  // B in another layout: fail rather than read past the weights.
  View<> cv(c), av(a);
  std::optional<View<>> sv;
  if (scales)
    sv.emplace(scales);
  View<int8_t> bv(b);
  int64_t n = cv.rank >= 2 ? cv.size(0) : -1, k = av.rank >= 2 ? av.size(0) : -1;
  int64_t panels = (n + 31) / 32;
  bool fits = n >= 0 && k >= 0 && bv.rank == 4 && bv.sizes[0] == panels &&
              bv.sizes[1] == (k + 1) / 2 && bv.sizes[2] == 32 && bv.sizes[3] == 2 &&
              (!sv || (sv->rank == 2 && sv->sizes[0] == panels && sv->sizes[1] == 32));
  if (!fits)
    return call.fail(scales ? "internal error: genc_matmul_f32_i8's weights or scales do not fit N "
                              "= {index} and K = {bound} (B must be [ceil(N / 32), ceil(K / 2), "
                              "32, 2], the scales [ceil(N / 32), 32])"
                            : "internal error: genc_matmul_i8_integers's weights do not fit N = "
                              "{index} and K = {bound} (B must be [ceil(N / 32), ceil(K / 2), "
                              "32, 2])",
                     n, k);
  multiply(call, cv, av, bv, /*panels=*/true, sv ? sv->data : nullptr, accumulate != 0, epilogue);
}

} // namespace

extern "C" void _mlir_ciface_genc_matmul_f32(genc_context *context, int64_t check,
                                             genc_unranked_memref *c, genc_unranked_memref *a,
                                             genc_unranked_memref *b, int64_t bLayout,
                                             int64_t accumulate, genc_tile_epilogue *epilogue) {
  multiply(KernelCall{context, check}, View<>(c), View<>(a), View<>(b),
           bLayout == GENC_MATMUL_B_PANELS_32, /*scales=*/nullptr, accumulate != 0, epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_f32_i8(genc_context *context, int64_t check,
                                                genc_unranked_memref *c, genc_unranked_memref *a,
                                                genc_unranked_memref *b,
                                                genc_unranked_memref *scales, int64_t accumulate,
                                                genc_tile_epilogue *epilogue) {
  multiplyInt8(KernelCall{context, check}, c, a, b, scales, accumulate, epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_i8_integers(genc_context *context, int64_t check,
                                                     genc_unranked_memref *c,
                                                     genc_unranked_memref *a,
                                                     genc_unranked_memref *b, int64_t accumulate,
                                                     genc_tile_epilogue *epilogue) {
  multiplyInt8(KernelCall{context, check}, c, a, b,
               /*scales=*/nullptr, accumulate, epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_bf16(genc_context *context, int64_t check,
                                              genc_unranked_memref *c, genc_unranked_memref *a,
                                              genc_unranked_memref *b, int64_t accumulate,
                                              genc_tile_epilogue *epilogue) {
  multiply(KernelCall{context, check}, View<>(c), View<>(a), View<BF16>(b), /*panels=*/true,
           /*scales=*/nullptr, accumulate != 0, epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_f32_i4(genc_context *context, int64_t check,
                                                genc_unranked_memref *c, genc_unranked_memref *a,
                                                genc_unranked_memref *b,
                                                genc_unranked_memref *scales,
                                                genc_unranked_memref *offsets, int64_t group,
                                                int64_t accumulate, genc_tile_epilogue *epilogue) {
  multiplyInt4<float>(KernelCall{context, check}, c, a, b, scales, offsets, group, accumulate,
                      epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_f32_i4_f16(
    genc_context *context, int64_t check, genc_unranked_memref *c, genc_unranked_memref *a,
    genc_unranked_memref *b, genc_unranked_memref *scales, genc_unranked_memref *offsets,
    int64_t group, int64_t accumulate, genc_tile_epilogue *epilogue) {
  multiplyInt4<Half>(KernelCall{context, check}, c, a, b, scales, offsets, group, accumulate,
                     epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_f32_i4_symmetric(
    genc_context *context, int64_t check, genc_unranked_memref *c, genc_unranked_memref *a,
    genc_unranked_memref *b, genc_unranked_memref *scales, int64_t group, int64_t accumulate,
    genc_tile_epilogue *epilogue) {
  multiplyInt4<float>(KernelCall{context, check}, c, a, b, scales, /*offsets=*/nullptr, group,
                      accumulate, epilogue);
}

extern "C" void _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(
    genc_context *context, int64_t check, genc_unranked_memref *c, genc_unranked_memref *a,
    genc_unranked_memref *b, genc_unranked_memref *scales, int64_t group, int64_t accumulate,
    genc_tile_epilogue *epilogue) {
  multiplyInt4<Half>(KernelCall{context, check}, c, a, b, scales, /*offsets=*/nullptr, group,
                     accumulate, epilogue);
}
