//===- Attention.cpp - fused attention: online softmax, no S×S in memory --===//
//
// genc.attention for f32, FlashAttention-2's loop order on a CPU: a task
// owns a block of up to 32 query rows of one (batch, head) and walks the
// keys that block may see in tiles of 64. Each tile's scores live on the
// stack; every row keeps its running maximum m, its sum l of exp(s - m) and
// its output accumulator, rescaled by exp(m_old - m_new) when the maximum
// grows. With AVX-512 the tile's keys are transposed once so that scores
// are register-tiled products (4 rows × 64 keys), exponentials are 16 at a
// time, and each value row loaded serves 4 query rows. Query head h reads
// KV head h / group (GQA/MQA without repeating K/V); K and V are read
// through their strides, so the prefix of a session's cache is read in
// place.
//
// Decode steps (one query row) give one task per (batch, head) and take
// dot products instead of transposing keys. Where those tasks are few (one
// sequence, few heads), a step over a long context splits each pair's keys
// into spans, one task each, and merges the spans' softmax states after
// (flash-decoding); how many spans depends on the call alone, never on the
// threads, so the sums do not either. Without AVX-512, AVX2 computes
// the dot products, the softmax (exponentials 8 at a time) and the
// weighted sums of values; it also sums values read through a non-unit
// stride, after gathering.
//
// BigBird's block-sparse pattern walks only the key blocks a query block
// sees (global, neighbouring and seeded random blocks), so its cost grows
// with the blocks seen, not with the context; a task's rows then stay
// within one query block.
//
//===----------------------------------------------------------------------===//

#include "KernelCall.h"
#include "LSHAttention.h"
#include "Parallel.h"
#include "SplitMix.h"
#include "View4.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

using genc::kernels::hasAVX2;
using genc::kernels::hasAVX512;
using genc::kernels::parallelFor;
using genc::kernels::splitMix64;
using genc::kernels::View4;

namespace {

constexpr int64_t kRows = 32;     // query rows sharing each key tile
constexpr int64_t kKeys = 64;     // keys per tile of scores
constexpr int64_t kMaxHead = GENC_ATTENTION_MAX_HEAD_SIZE; // rows on the stack

__attribute__((target("avx512f"))) float dotAVX512(const float *a, const float *b, int64_t n) {
  __m512 sum = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    sum = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), sum);
  if (i < n) {
    __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + i), _mm512_maskz_loadu_ps(tail, b + i),
                          sum);
  }
  return _mm512_reduce_add_ps(sum);
}

/// The 8 lanes of an AVX2 vector that hold the first `n` of 8 floats.
__attribute__((target("avx2,fma"))) inline __m256i firstLanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__attribute__((target("avx2,fma"))) float dotAVX2(const float *a, const float *b, int64_t n) {
  __m256 sum = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    sum = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum);
  if (i < n) {
    __m256i tail = firstLanes(n - i);
    sum = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, tail), _mm256_maskload_ps(b + i, tail), sum);
  }
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
}

float dot(const float *a, const float *b, int64_t n) {
  if (hasAVX512())
    return dotAVX512(a, b, n);
  if (hasAVX2())
    return dotAVX2(a, b, n);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void addScaledAVX2(float *y, float a, const float *x,
                                                       int64_t n) {
  __m256 scale = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(scale, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) {
    __m256i tail = firstLanes(n - i);
    _mm256_maskstore_ps(y + i, tail,
                        _mm256_fmadd_ps(scale, _mm256_maskload_ps(x + i, tail),
                                        _mm256_maskload_ps(y + i, tail)));
  }
}

/// y += a · x over n contiguous floats (the path without AVX-512's tiles).
void addScaled(float *y, float a, const float *x, int64_t n) {
  if (hasAVX2())
    return addScaledAVX2(y, a, x, n);
  for (int64_t i = 0; i < n; ++i)
    y[i] += a * x[i];
}

/// A row of `v` as contiguous floats: in place when its last stride is 1,
/// else gathered into `scratch`.
const float *contiguousRow(const View4 &v, const float *row, int64_t n, float *scratch) {
  if (v.strides[3] == 1 || n == 1)
    return row;
  for (int64_t i = 0; i < n; ++i)
    scratch[i] = row[i * v.strides[3]];
  return scratch;
}

struct Problem {
  View4 out, q, k, v, mask;
  bool hasMask, causal;
  float scale, softcap;
  int64_t window, offset, group;
  /// Keys [0, sinks) stay visible past the window (attention sinks); the
  /// first `globalTokens` positions are seen by, and see, every position.
  int64_t sinks, globalTokens;
  /// The mask is added after the soft-cap (Gemma 2), not before (ONNX).
  bool maskAfterSoftcap = false;
  /// BigBird blocks of `block` positions (0: none), `randomBlocks` of them
  /// drawn per query block from `seed`.
  int64_t block = 0, randomBlocks = 0, seed = 0;
  int64_t sq() const { return q.sizes[2]; }
  int64_t skv() const { return k.sizes[2]; }
  int64_t headSize() const { return q.sizes[3]; }
  int64_t valueSize() const { return v.sizes[3]; }
};

/// The keys of one tile transposed, [head size][kKeys], zero past `keys`:
/// score tiles then become register-tiled products, as in the matmul.
struct KeyTile {
  alignas(64) float t[kMaxHead][kKeys];

  void load(const Problem &p, int64_t b, int64_t kvHead, int64_t j0, int64_t keys) {
    const int64_t d = p.headSize(), stride = p.k.strides[3];
    for (int64_t j = 0; j < kKeys; ++j) {
      if (j >= keys) {
        for (int64_t x = 0; x < d; ++x)
          t[x][j] = 0;
        continue;
      }
      const float *key = p.k.row(b, kvHead, j0 + j);
      for (int64_t x = 0; x < d; ++x)
        t[x][j] = key[x * stride];
    }
  }
};

/// scores[r][0..64) = q[r] · keys for Rows rows: 4 vectors of 16 keys per
/// row stay in registers over the head size.
template <int Rows>
__attribute__((target("avx512f"))) void scoreTile(const float *const *q, const KeyTile &keys,
                                                  int64_t d, float (*scores)[kKeys]) {
  __m512 acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < 4; ++c)
      acc[r][c] = _mm512_setzero_ps();
  for (int64_t x = 0; x < d; ++x) {
    __m512 k0 = _mm512_load_ps(keys.t[x]), k1 = _mm512_load_ps(keys.t[x] + 16),
           k2 = _mm512_load_ps(keys.t[x] + 32), k3 = _mm512_load_ps(keys.t[x] + 48);
    for (int r = 0; r < Rows; ++r) {
      __m512 qx = _mm512_set1_ps(q[r][x]);
      acc[r][0] = _mm512_fmadd_ps(qx, k0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(qx, k1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(qx, k2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_ps(qx, k3, acc[r][3]);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int c = 0; c < 4; ++c)
      _mm512_storeu_ps(scores[r] + 16 * c, acc[r][c]);
}

void scoreTiles(const float *const *q, const KeyTile &keys, int64_t d, int64_t rows,
                float (*scores)[kKeys]) {
  using Tile = void (*)(const float *const *, const KeyTile &, int64_t, float (*)[kKeys]);
  static constexpr Tile tiles[5] = {nullptr, scoreTile<1>, scoreTile<2>, scoreTile<3>,
                                    scoreTile<4>};
  for (int64_t r = 0; r < rows; r += 4)
    tiles[rows - r < 4 ? rows - r : 4](q + r, keys, d, scores + r);
}

/// e^x for 16 floats (Cephes' expf: 2^n · polynomial, relative error about
/// 1e-7); exactly 0 below -87.3, so -inf gives 0; NaN stays NaN.
__attribute__((target("avx512f"))) __m512 exp16(__m512 x) {
  const __m512 low = _mm512_set1_ps(-87.3f);
  __mmask16 underflow = _mm512_cmp_ps_mask(x, low, _CMP_LT_OQ);
  __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  const __m512 input = x;
  x = _mm512_min_ps(_mm512_max_ps(x, low), _mm512_set1_ps(88.7f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512 e = _mm512_maskz_mov_ps(static_cast<__mmask16>(~underflow), _mm512_scalef_ps(y, n));
  return _mm512_mask_mov_ps(e, nan, input); // NaN stays NaN
}

/// A query row's running maximum of its scores and sum of exp(s - max).
struct RowState {
  float max = -INFINITY, sum = 0;
};

/// The keys row i sees: [0, prefix) and [first, last], both cut at last.
/// With BigBird blocks, the key ranges walked (blockSparseRanges) already
/// hold only the blocks the row sees, and this is the causal limit alone.
struct VisibleKeys {
  int64_t prefix, first, last;
  VisibleKeys(const Problem &p, int64_t i) {
    int64_t position = i + p.offset;
    last = p.causal ? position : p.skv() - 1;
    first = p.window > 0 && position >= p.globalTokens ? position - p.window + 1 : 0;
    prefix = p.sinks > p.globalTokens ? p.sinks : p.globalTokens;
    if (p.block > 0)
      first = prefix = 0;
  }
  bool contains(int64_t key) const { return key <= last && (key >= first || key < prefix); }
};

/// The keys some row of [i0, i0 + rows) may see, as ascending disjoint
/// ranges: [0, prefix) and [first, end) for a window, sinks and global
/// tokens; the global, random and neighbouring key blocks of the rows'
/// query block for BigBird (the rows then lie in one query block).
struct KeyRanges {
  int64_t begin[GENC_ATTENTION_MAX_RANDOM_BLOCKS + 2], end[GENC_ATTENTION_MAX_RANDOM_BLOCKS + 2];
  int64_t count = 0;

  KeyRanges(const Problem &p, int64_t i0, int64_t rows) {
    int64_t limit = p.skv();
    if (p.causal && i0 + rows + p.offset < limit)
      limit = std::max<int64_t>(i0 + rows + p.offset, 0);
    if (p.block <= 0) {
      const VisibleKeys top(p, i0);
      const int64_t first = std::max<int64_t>(top.first, 0);
      add(0, std::min(top.prefix, first), limit);
      add(first, limit, limit);
      return;
    }
    const int64_t position = i0 + p.offset, b = p.block;
    if (position < p.globalTokens) { // global queries see every key
      add(0, limit, limit);
      return;
    }
    const int64_t queryBlock = position / b;
    int64_t random[GENC_ATTENTION_MAX_RANDOM_BLOCKS];
    const int64_t drawn = genc_bigbird_random_blocks(
        p.seed, queryBlock, (p.globalTokens + b - 1) / b,
        p.causal ? queryBlock : (p.skv() + b - 1) / b, p.randomBlocks, random);
    add(0, p.globalTokens, limit);
    int64_t next = 0;
    for (; next < drawn && random[next] < queryBlock; ++next)
      add(random[next] * b, (random[next] + 1) * b, limit);
    add(std::max((queryBlock - 1) * b, p.globalTokens), (queryBlock + 2) * b, limit);
    for (; next < drawn; ++next)
      add(random[next] * b, (random[next] + 1) * b, limit);
  }

private:
  /// Appends [from, to) cut at `limit`, merged with the last range when
  /// they touch.
  void add(int64_t from, int64_t to, int64_t limit) {
    to = std::min(to, limit);
    if (from >= to)
      return;
    if (count > 0 && from <= end[count - 1]) {
      end[count - 1] = std::max(end[count - 1], to);
      return;
    }
    begin[count] = from;
    end[count++] = to;
  }
};

/// Scales, masks and exponentiates one row of a tile in place (scalar form:
/// any mask strides, softcap), updating the row's state. Returns the factor
/// that rescales its accumulator, or -1 while it has seen nothing visible.
float softmaxRowScalar(const Problem &p, int64_t b, int64_t h, int64_t i, int64_t j0,
                       int64_t keys, float *scores, RowState &row) {
  const float *maskRow = p.hasMask ? p.mask.row(b, h, i) : nullptr;
  const VisibleKeys visible(p, i);
  float tileMax = -INFINITY;
  for (int64_t j = 0; j < keys; ++j) {
    int64_t key = j0 + j;
    float s = scores[j] * p.scale;
    if (maskRow && !p.maskAfterSoftcap)
      s += maskRow[key * p.mask.strides[3]];
    if (p.softcap > 0)
      s = p.softcap * std::tanh(s / p.softcap);
    if (maskRow && p.maskAfterSoftcap)
      s += maskRow[key * p.mask.strides[3]];
    if (!visible.contains(key))
      s = -INFINITY;
    scores[j] = s;
    tileMax = s > tileMax ? s : tileMax;
  }
  float newMax = tileMax > row.max ? tileMax : row.max;
  if (newMax == -INFINITY)
    return -1;
  float correction = std::exp(row.max - newMax);
  row.sum *= correction;
  row.max = newMax;
  for (int64_t j = 0; j < keys; ++j)
    row.sum += scores[j] = std::exp(scores[j] - newMax);
  return correction;
}

/// The same for a contiguous mask row (or none) and no softcap, 16 keys at
/// a time.
__attribute__((target("avx512f"))) float softmaxRowVector(const Problem &p, int64_t b, int64_t h,
                                                          int64_t i, int64_t j0, int64_t keys,
                                                          float *scores, RowState &row) {
  const float *maskRow = p.hasMask ? p.mask.row(b, h, i) : nullptr;
  const VisibleKeys visible(p, i);
  const __m512 scale = _mm512_set1_ps(p.scale), minusInf = _mm512_set1_ps(-INFINITY);
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  __m512 tileMax = minusInf;
  for (int64_t j = 0; j < keys; j += 16) {
    int64_t n = keys - j < 16 ? keys - j : 16;
    __mmask16 valid = static_cast<__mmask16>(n == 16 ? 0xFFFF : (1u << n) - 1);
    // Keys j0 + j + lane in [0, prefix) or [first, last]: offsets from the
    // tile fit in 32 bits.
    __m512i key = _mm512_add_epi32(lane, _mm512_set1_epi32(static_cast<int>(j)));
    auto fromTile = [&](int64_t limit) {
      limit -= j0;
      return static_cast<int>(limit < -1 ? -1 : limit > kKeys ? kKeys : limit);
    };
    valid &= (_mm512_cmp_epi32_mask(key, _mm512_set1_epi32(fromTile(visible.first)),
                                    _MM_CMPINT_NLT) |
              _mm512_cmp_epi32_mask(key, _mm512_set1_epi32(fromTile(visible.prefix)),
                                    _MM_CMPINT_LT)) &
             _mm512_cmp_epi32_mask(key, _mm512_set1_epi32(fromTile(visible.last)), _MM_CMPINT_LE);
    __m512 s = _mm512_mul_ps(_mm512_loadu_ps(scores + j), scale);
    if (maskRow)
      s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(valid, maskRow + j0 + j));
    s = _mm512_mask_blend_ps(valid, minusInf, s);
    _mm512_storeu_ps(scores + j, s);
    // max(s, tileMax) returns tileMax where s is NaN: keep NaN instead.
    tileMax = _mm512_mask_mov_ps(_mm512_max_ps(s, tileMax), _mm512_cmp_ps_mask(s, s, _CMP_UNORD_Q),
                                 s);
  }
  float tile = _mm512_reduce_max_ps(tileMax);
  float newMax = tile > row.max ? tile : row.max;
  if (newMax == -INFINITY)
    return -1;
  float correction = std::exp(row.max - newMax);
  row.max = newMax;
  __m512 shift = _mm512_set1_ps(newMax), sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < keys; j += 16) {
    int64_t n = keys - j < 16 ? keys - j : 16;
    __mmask16 valid = static_cast<__mmask16>(n == 16 ? 0xFFFF : (1u << n) - 1);
    __m512 e = _mm512_maskz_mov_ps(valid, exp16(_mm512_sub_ps(_mm512_loadu_ps(scores + j), shift)));
    _mm512_storeu_ps(scores + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  row.sum = row.sum * correction + _mm512_reduce_add_ps(sum);
  return correction;
}

/// e^x for 8 floats with x ≤ 0 (softmax's shifted scores), on AVX2: exp16's
/// polynomial, 2^n built in the exponent bits (n ≥ -126 above the
/// underflow cut, so no denormals); exactly 0 below -87.3; NaN stays NaN.
__attribute__((target("avx2,fma"))) __m256 exp8(__m256 x) {
  const __m256 low = _mm256_set1_ps(-87.3f);
  __m256 underflow = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  const __m256 input = x;
  x = _mm256_min_ps(_mm256_max_ps(x, low), _mm256_setzero_ps());
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  __m256 e = _mm256_andnot_ps(underflow, _mm256_mul_ps(y, _mm256_castsi256_ps(exponent)));
  return _mm256_blendv_ps(e, input, nan);
}

/// softmaxRowVector on AVX2, 8 keys at a time.
__attribute__((target("avx2,fma"))) float softmaxRowAVX2(const Problem &p, int64_t b, int64_t h,
                                                         int64_t i, int64_t j0, int64_t keys,
                                                         float *scores, RowState &row) {
  const float *maskRow = p.hasMask ? p.mask.row(b, h, i) : nullptr;
  const VisibleKeys visible(p, i);
  const __m256 scale = _mm256_set1_ps(p.scale), minusInf = _mm256_set1_ps(-INFINITY);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  // Limits as offsets from the tile: they fit in 32 bits.
  auto fromTile = [&](int64_t limit) {
    limit -= j0;
    return static_cast<int>(limit < -1 ? -1 : limit > kKeys ? kKeys : limit);
  };
  const __m256i first = _mm256_set1_epi32(fromTile(visible.first)),
                prefix = _mm256_set1_epi32(fromTile(visible.prefix)),
                last = _mm256_set1_epi32(fromTile(visible.last));
  __m256 tileMax = minusInf;
  for (int64_t j = 0; j < keys; j += 8) {
    __m256i key = _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(j)));
    // In the tile, and in [0, prefix) or [first, last].
    __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(keys)), key);
    __m256i seen =
        _mm256_or_si256(_mm256_cmpgt_epi32(prefix, key),
                        _mm256_xor_si256(_mm256_cmpgt_epi32(first, key), _mm256_set1_epi32(-1)));
    valid = _mm256_and_si256(valid,
                             _mm256_and_si256(seen, _mm256_xor_si256(_mm256_cmpgt_epi32(key, last),
                                                                     _mm256_set1_epi32(-1))));
    __m256 s = _mm256_mul_ps(_mm256_maskload_ps(scores + j, valid), scale);
    if (maskRow)
      s = _mm256_add_ps(s, _mm256_maskload_ps(maskRow + j0 + j, valid));
    s = _mm256_blendv_ps(minusInf, s, _mm256_castsi256_ps(valid));
    _mm256_storeu_ps(scores + j, s);
    // max(s, tileMax) returns tileMax where s is NaN: keep NaN instead.
    tileMax = _mm256_blendv_ps(_mm256_max_ps(s, tileMax), s, _mm256_cmp_ps(s, s, _CMP_UNORD_Q));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, tileMax);
  float tile = -INFINITY;
  for (float x : lanes)
    tile = x > tile || x != x ? x : tile;
  float newMax = tile > row.max ? tile : row.max;
  if (newMax == -INFINITY)
    return -1;
  float correction = std::exp(row.max - newMax);
  row.max = newMax;
  __m256 shift = _mm256_set1_ps(newMax), sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < keys; j += 8) {
    __m256 inTile = _mm256_castsi256_ps(
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(keys)),
                           _mm256_add_epi32(lane, _mm256_set1_epi32(static_cast<int>(j)))));
    __m256 e = _mm256_and_ps(inTile, exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), shift)));
    _mm256_storeu_ps(scores + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float x : lanes)
    total += x;
  row.sum = row.sum * correction + total;
  return correction;
}

/// For Rows rows r: acc[r] = acc[r] · correction[r] + Σ_j weights[r][j] ·
/// V[j] over one tile, 64 values at a time: each V load serves every row,
/// 4 × Rows accumulators stay in registers (unit-stride V rows `rowStride`
/// apart).
template <int Rows>
__attribute__((target("avx512f"))) void
accumulateValues(float (*acc)[kMaxHead], const float *correction, const float (*weights)[kKeys],
                 int64_t keys, const float *v, int64_t rowStride, int64_t dv) {
  for (int64_t e = 0; e < dv; e += 64) {
    __mmask16 m[4];
    for (int k = 0; k < 4; ++k) {
      int64_t left = dv - e - 16 * k;
      m[k] = static_cast<__mmask16>(left >= 16 ? 0xFFFF : left <= 0 ? 0 : (1u << left) - 1);
    }
    __m512 a[Rows][4];
    for (int r = 0; r < Rows; ++r) {
      __m512 c = _mm512_set1_ps(correction[r]);
      for (int k = 0; k < 4; ++k)
        a[r][k] = _mm512_mul_ps(c, _mm512_maskz_loadu_ps(m[k], acc[r] + e + 16 * k));
    }
    for (int64_t j = 0; j < keys; ++j) {
      const float *row = v + j * rowStride + e;
      __m512 v0 = _mm512_maskz_loadu_ps(m[0], row), v1 = _mm512_maskz_loadu_ps(m[1], row + 16),
             v2 = _mm512_maskz_loadu_ps(m[2], row + 32), v3 = _mm512_maskz_loadu_ps(m[3], row + 48);
      for (int r = 0; r < Rows; ++r) {
        __m512 w = _mm512_set1_ps(weights[r][j]);
        a[r][0] = _mm512_fmadd_ps(w, v0, a[r][0]);
        a[r][1] = _mm512_fmadd_ps(w, v1, a[r][1]);
        a[r][2] = _mm512_fmadd_ps(w, v2, a[r][2]);
        a[r][3] = _mm512_fmadd_ps(w, v3, a[r][3]);
      }
    }
    for (int r = 0; r < Rows; ++r)
      for (int k = 0; k < 4; ++k)
        _mm512_mask_storeu_ps(acc[r] + e + 16 * k, m[k], a[r][k]);
  }
}

void accumulateValueTiles(float (*acc)[kMaxHead], const float *correction,
                          const float (*weights)[kKeys], int64_t rows, int64_t keys,
                          const float *v, int64_t rowStride, int64_t dv) {
  using Tile = void (*)(float (*)[kMaxHead], const float *, const float (*)[kKeys], int64_t,
                        const float *, int64_t, int64_t);
  static constexpr Tile tiles[5] = {nullptr, accumulateValues<1>, accumulateValues<2>,
                                    accumulateValues<3>, accumulateValues<4>};
  for (int64_t r = 0; r < rows; r += 4)
    tiles[rows - r < 4 ? rows - r : 4](acc + r, correction + r, weights + r, keys, v, rowStride,
                                       dv);
}

/// The part of a block's visible keys (KeyRanges, in order) that a task
/// walks: `take` keys after the first `skip` (all: skip 0, take INT64_MAX).
struct KeySpan {
  int64_t skip = 0, take = INT64_MAX;
};

/// The keys some row of [i0, i0 + rows) may see, counted (KeyRanges).
int64_t visibleKeyCount(const Problem &p, int64_t i0, int64_t rows) {
  const KeyRanges ranges(p, i0, rows);
  int64_t count = 0;
  for (int64_t r = 0; r < ranges.count; ++r)
    count += ranges.end[r] - ranges.begin[r];
  return count;
}

/// Query rows [i0, i0 + rows) of head h of batch item b over the keys of
/// `span`: each row's state and unnormalised output (its weighted sum of
/// values), for attendBlock or a split decode step to finish.
void attendKeys(const Problem &p, int64_t b, int64_t h, int64_t i0, int64_t rows, KeySpan span,
                float (*acc)[kMaxHead], RowState *state) {
  const int64_t d = p.headSize(), dv = p.valueSize(), kvHead = h / p.group;
  const bool vector = hasAVX512();
  // A transposed key tile pays off over several query rows; a decode step's
  // single row takes dot products.
  const bool transposeKeys = vector && rows >= 4;
  // AVX-512's, or AVX2's where it is missing: a contiguous mask row (or
  // none) and no softcap.
  const bool contiguousSoftmax = p.softcap <= 0 && (!p.hasMask || p.mask.strides[3] == 1);
  const bool vectorSoftmax = vector && contiguousSoftmax;
  const bool avx2Softmax = !vector && hasAVX2() && contiguousSoftmax;
  const bool vectorValues = vector && (p.v.strides[3] == 1 || dv == 1);
  float queries[kRows][kMaxHead], valueScratch[kMaxHead];
  float scores[kRows][kKeys];
  KeyTile keyTile;
  const float *q[kRows];
  for (int64_t r = 0; r < rows; ++r) {
    q[r] = contiguousRow(p.q, p.q.row(b, h, i0 + r), d, queries[r]);
    for (int64_t e = 0; e < dv; ++e)
      acc[r][e] = 0;
  }
  auto attendTile = [&](int64_t j0, int64_t keys) {
    if (transposeKeys) {
      keyTile.load(p, b, kvHead, j0, keys);
      scoreTiles(q, keyTile, d, rows, scores);
    } else {
      float keyScratch[kMaxHead];
      for (int64_t j = 0; j < keys; ++j) {
        const float *key = contiguousRow(p.k, p.k.row(b, kvHead, j0 + j), d, keyScratch);
        for (int64_t r = 0; r < rows; ++r)
          scores[r][j] = dot(q[r], key, d);
      }
    }
    float correction[kRows];
    for (int64_t r = 0; r < rows; ++r) {
      correction[r] =
          vectorSoftmax ? softmaxRowVector(p, b, h, i0 + r, j0, keys, scores[r], state[r])
          : avx2Softmax ? softmaxRowAVX2(p, b, h, i0 + r, j0, keys, scores[r], state[r])
                        : softmaxRowScalar(p, b, h, i0 + r, j0, keys, scores[r], state[r]);
      if (correction[r] < 0) { // nothing visible to this row yet: adds nothing
        correction[r] = 1;
        for (int64_t j = 0; j < keys; ++j)
          scores[r][j] = 0;
      }
    }
    if (vectorValues) {
      accumulateValueTiles(acc, correction, scores, rows, keys, p.v.row(b, kvHead, j0),
                           p.v.strides[2], dv);
      return;
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t e = 0; e < dv; ++e)
        acc[r][e] *= correction[r];
      for (int64_t j = 0; j < keys; ++j)
        if (scores[r][j] != 0)
          addScaled(acc[r], scores[r][j],
                   contiguousRow(p.v, p.v.row(b, kvHead, j0 + j), dv, valueScratch), dv);
    }
  };
  const KeyRanges ranges(p, i0, rows);
  for (int64_t r = 0; r < ranges.count && span.take > 0; ++r) {
    const int64_t length = ranges.end[r] - ranges.begin[r];
    if (span.skip >= length) {
      span.skip -= length;
      continue;
    }
    const int64_t from = ranges.begin[r] + span.skip;
    const int64_t to = from + std::min(span.take, ranges.end[r] - from);
    span = {0, span.take - (to - from)};
    for (int64_t j0 = from; j0 < to; j0 += kKeys)
      attendTile(j0, std::min(kKeys, to - j0));
  }
}

/// Row i of head h of item b of the output.
float *outputRow(const Problem &p, int64_t b, int64_t h, int64_t i) {
  return p.out.data + b * p.out.strides[0] + h * p.out.strides[1] + i * p.out.strides[2];
}

/// Query rows [i0, i0 + rows) of head h of batch item b, over every key
/// they may see.
void attendBlock(const Problem &p, int64_t b, int64_t h, int64_t i0, int64_t rows) {
  float acc[kRows][kMaxHead];
  RowState state[kRows];
  attendKeys(p, b, h, i0, rows, KeySpan{}, acc, state);
  // A row that saw nothing is 0/0, as softmax over -inf everywhere.
  for (int64_t r = 0; r < rows; ++r) {
    float *o = outputRow(p, b, h, i0 + r);
    for (int64_t e = 0; e < p.valueSize(); ++e)
      o[e * p.out.strides[3]] = acc[r][e] / state[r].sum;
  }
}

/// Flash-decoding: a call whose rows make one block (a decode step, a
/// verification step, a short prompt) of few (batch, head) pairs splits
/// each pair's visible keys
/// into `splits` spans, one task each; a second pass merges the spans'
/// states per row: m = max m_s, o = Σ exp(m_s - m) acc_s / Σ exp(m_s - m)
/// l_s. The same sums in another order: not bit-identical to one span.
void attendSplitKeys(const genc::kernels::KernelCall &call, const Problem &p, int64_t splits,
                     int64_t visible) {
  const int64_t pairs = p.q.sizes[0] * p.q.sizes[1], rows = p.sq(), dv = p.valueSize();
  // Per (pair, span, row): max, sum, then the dv sums of values.
  const int64_t stride = dv + 2;
  genc::kernels::Scratch<float> partial;
  if (!partial.allocate(call, genc::kernels::countOf({pairs, splits, rows, stride})))
    return;
  parallelFor(call.context, pairs * splits, [&](int64_t task) {
    const int64_t pair = task / splits, split = task % splits;
    const int64_t skip = visible * split / splits, end = visible * (split + 1) / splits;
    float acc[kRows][kMaxHead];
    RowState state[kRows];
    attendKeys(p, pair / p.q.sizes[1], pair % p.q.sizes[1], 0, rows, KeySpan{skip, end - skip}, acc,
               state);
    for (int64_t r = 0; r < rows; ++r) {
      float *out = partial.data() + (task * rows + r) * stride;
      out[0] = state[r].max;
      out[1] = state[r].sum;
      std::copy(acc[r], acc[r] + dv, out + 2);
    }
  });
  parallelFor(call.context, pairs * rows, [&](int64_t index) {
    const int64_t pair = index / rows, r = index % rows;
    const float *first = partial.data() + (pair * splits * rows + r) * stride;
    float max = -INFINITY;
    for (int64_t s = 0; s < splits; ++s)
      max = std::max(max, first[s * rows * stride]);
    float sum = 0, acc[kMaxHead] = {};
    for (int64_t s = 0; s < splits; ++s) {
      const float *span = first + s * rows * stride;
      // A span that saw nothing (max -inf) adds nothing; a row that saw
      // nothing at all is 0/0, as in attendBlock.
      const float weight = span[0] == -INFINITY ? 0.0f : std::exp(span[0] - max);
      sum += weight * span[1];
      for (int64_t e = 0; e < dv; ++e)
        acc[e] += weight * span[2 + e];
    }
    float *o = outputRow(p, pair / p.q.sizes[1], pair % p.q.sizes[1], r);
    for (int64_t e = 0; e < dv; ++e)
      o[e * p.out.strides[3]] = acc[e] / sum;
  });
}

/// Spans each (batch, head) pair's keys split into for a call of one row
/// block (attendSplitKeys): about kSplitTasks tasks in all, enough for 16
/// threads, spans of kMinSplitKeys keys at least; 1 where the pairs are as
/// many. Never from the thread count: the spans' merge adds in another
/// order, and results must not change with it.
constexpr int64_t kSplitTasks = 32, kMinSplitKeys = 256;
int64_t keySplits(const Problem &p, int64_t visible) {
  const int64_t pairs = p.q.sizes[0] * p.q.sizes[1];
  if (pairs <= 0)
    return 1;
  const int64_t wanted = (kSplitTasks + pairs - 1) / pairs;
  return std::max<int64_t>(1, std::min(wanted, visible / kMinSplitKeys));
}

} // namespace

extern "C" int64_t genc_bigbird_random_blocks(int64_t seed, int64_t queryBlock,
                                              int64_t firstBlock, int64_t endBlock,
                                              int64_t count, int64_t *out) {
  // Candidates: [firstBlock, endBlock) without queryBlock - 1 .. + 1,
  // numbered 0 .. n - 1 in order.
  const int64_t lowEnd = std::min(endBlock, queryBlock - 1);
  const int64_t lowCount = std::max<int64_t>(lowEnd - firstBlock, 0);
  const int64_t highBegin = std::max(firstBlock, queryBlock + 2);
  const int64_t n = lowCount + std::max<int64_t>(endBlock - highBegin, 0);
  auto candidate = [&](int64_t c) { return c < lowCount ? firstBlock + c : highBegin + c - lowCount; };
  count = std::clamp<int64_t>(count, 0, GENC_ATTENTION_MAX_RANDOM_BLOCKS);
  if (n <= count) {
    for (int64_t c = 0; c < n; ++c)
      out[c] = candidate(c);
    return n;
  }
  // Floyd's sampling: `count` distinct candidates, each subset equally
  // likely, from one hash stream per (seed, query block).
  uint64_t state =
      splitMix64(static_cast<uint64_t>(seed) * 0x100000001B3ull ^ splitMix64(queryBlock));
  int64_t chosen = 0;
  for (int64_t j = n - count; j < n; ++j) {
    state = splitMix64(state);
    int64_t t = static_cast<int64_t>(state % static_cast<uint64_t>(j + 1));
    bool taken = std::find(out, out + chosen, t) != out + chosen;
    out[chosen++] = taken ? j : t;
  }
  std::sort(out, out + chosen);
  for (int64_t c = 0; c < chosen; ++c)
    out[c] = candidate(out[c]);
  return chosen;
}

extern "C" void _mlir_ciface_genc_attention_f32(
    genc_context *context, int64_t check, genc_unranked_memref *out, genc_unranked_memref *q,
    genc_unranked_memref *k, genc_unranked_memref *v, genc_unranked_memref *mask, int64_t hasMask,
    float scale, int64_t causal, int64_t window, float softcap, int64_t causalOffset, int64_t sinks,
    int64_t globalTokens, int64_t maskAfterSoftcap, int64_t block, int64_t randomBlocks,
    int64_t seed, int64_t lshBuckets, int64_t lshHashes, int64_t lshChunk, int64_t stateSlot) {
  const genc::kernels::KernelCall call{context, check};
  if (call.failed())
    return;
  if (out->rank != 4 || q->rank != 4 || k->rank != 4 || v->rank != 4 || mask->rank > 4)
    return call.fail("internal error: genc_attention_f32 takes out, q, k and v of rank 4 and a "
                     "mask of rank 4 at most; the ranks are {index} (q) and {bound} (k), or "
                     "another is wrong",
                     q->rank, k->rank);
  Problem p{View4(out), View4(q), View4(k), View4(v), View4(mask), hasMask != 0, causal != 0,
            scale,  softcap,    window,        causalOffset, 1, sinks, globalTokens};
  p.maskAfterSoftcap = maskAfterSoftcap != 0;
  p.block = block;
  p.randomBlocks = randomBlocks;
  p.seed = seed;
  if (p.headSize() > kMaxHead || p.valueSize() > kMaxHead)
    return call.fail("internal error: genc_attention_f32 got heads of {index} values (at most "
                     "{bound})",
                     std::max(p.headSize(), p.valueSize()), kMaxHead);
  if (p.k.sizes[1] == 0 || p.q.sizes[1] % p.k.sizes[1])
    return call.fail("internal error: genc_attention_f32 got {index} query heads and {bound} key "
                     "heads, which must divide them",
                     p.q.sizes[1], p.k.sizes[1]);
  if ((block > 0 && (window > 0 || globalTokens % block || randomBlocks < 0 ||
                     randomBlocks > GENC_ATTENTION_MAX_RANDOM_BLOCKS)) ||
      (lshBuckets > 0 &&
       (window > 0 || block > 0 || softcap > 0 || lshBuckets % 2 || lshHashes < 1 || lshChunk < 1)))
    return call.fail("internal error: genc_attention_f32 got a sparsity pattern it does not "
                     "take (BigBird blocks of {index} or LSH buckets of {bound} with options "
                     "they exclude)",
                     block, lshBuckets);
  p.group = p.q.sizes[1] / p.k.sizes[1];
  if (lshBuckets > 0) {
    genc::kernels::lshAttention(call,
                                {p.out, p.q, p.k, p.v, p.mask, p.hasMask, scale, p.causal,
                                 causalOffset, lshBuckets, lshHashes, lshChunk, seed, stateSlot});
    return;
  }
  // Tasks of up to kRows query rows; with BigBird blocks, none crosses a
  // query block's boundary (at positions, not rows: a past shifts them):
  // the rows are cut into segments at those boundaries, each segment into
  // tasks of kRows. Computed, not listed: the kernels allocate nothing
  // they could do without.
  const int64_t batch = p.q.sizes[0], heads = p.q.sizes[1];
  if (block <= 0 && p.sq() <= kRows && p.sq() > 0) {
    const int64_t visible = visibleKeyCount(p, 0, p.sq());
    const int64_t splits = keySplits(p, visible);
    if (splits > 1)
      return attendSplitKeys(call, p, splits, visible);
  }
  const int64_t segment = block > 0 ? block : p.sq();
  // Rows before the first boundary (a past not a multiple of the block).
  const int64_t head =
      block > 0 ? std::min(p.sq(), (block - (causalOffset % block + block) % block) % block) : 0;
  auto tasksOf = [](int64_t rows) { return (rows + kRows - 1) / kRows; };
  const int64_t headTasks = tasksOf(head), perSegment = tasksOf(segment);
  const int64_t segments = p.sq() > head ? (p.sq() - head + segment - 1) / segment : 0;
  const int64_t perHead = headTasks + segments * perSegment;
  parallelFor(call.context, batch * heads * perHead, [&](int64_t task) {
    int64_t t = task % perHead, bh = task / perHead, first;
    if (t < headTasks) {
      first = t * kRows;
    } else {
      t -= headTasks;
      first = head + (t / perSegment) * segment + (t % perSegment) * kRows;
    }
    int64_t segmentEnd = first < head ? head : head + ((first - head) / segment + 1) * segment;
    int64_t last = std::min({first + kRows, segmentEnd, p.sq()});
    if (first < last)
      attendBlock(p, bh / heads, bh % heads, first, last - first);
  });
}
