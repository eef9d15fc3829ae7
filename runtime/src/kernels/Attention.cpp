//===- Attention.cpp - fused attention: online softmax, no S×S in memory --===//
//
// genc.attention for f32, FlashAttention-2's loop order on a CPU: a task
// owns a block of up to 8 query rows of one (batch, head) and walks the
// keys that block may see in tiles of 64. Each tile's scores live on the
// stack; every row keeps its running maximum m, its sum l of exp(s - m) and
// its output accumulator, rescaled by exp(m_old - m_new) when the maximum
// grows. Each key and value row is loaded once per block, not per query.
// Query head h reads KV head h / group (GQA/MQA without repeating K/V);
// K and V are read through their strides, so the prefix of a session's
// cache buffer is read in place.
//
// Decode steps (one query row) give one task per (batch, head).
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <immintrin.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

using genc::kernels::hasAVX512;
using genc::kernels::parallelFor;

namespace {

constexpr int64_t kRows = 8;      // query rows sharing each key's loads
constexpr int64_t kKeys = 64;     // keys per tile of scores
constexpr int64_t kMaxHead = GENC_ATTENTION_MAX_HEAD_SIZE; // rows on the stack

/// A rank-4 strided memref of floats; `at` broadcasts dims of size 1.
struct View4 {
  float *data = nullptr;
  int64_t sizes[4] = {1, 1, 1, 1}, strides[4] = {0, 0, 0, 0};

  /// Right-aligned: a view of lower rank broadcasts over the missing dims.
  explicit View4(const genc_unranked_memref *m) {
    auto *words = static_cast<const int64_t *>(m->descriptor);
    int64_t rank = m->rank;
    data = reinterpret_cast<float *>(words[1]) + words[2];
    for (int64_t d = 0; d < rank; ++d) {
      int64_t at = 4 - rank + d;
      sizes[at] = words[3 + d];
      strides[at] = sizes[at] == 1 ? 0 : words[3 + rank + d];
    }
  }
  const float *row(int64_t b, int64_t h, int64_t i) const {
    return data + b * strides[0] + h * strides[1] + i * strides[2];
  }
};

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

/// y = y · c + a · x over n contiguous floats.
__attribute__((target("avx512f"))) void scaleAddAVX512(float *y, float c, float a, const float *x,
                                                       int64_t n) {
  __m512 vc = _mm512_set1_ps(c), va = _mm512_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i),
                                            _mm512_mul_ps(vc, _mm512_loadu_ps(y + i))));
  if (i < n) {
    __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 yv = _mm512_maskz_loadu_ps(tail, y + i);
    _mm512_mask_storeu_ps(y + i, tail,
                          _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(tail, x + i),
                                          _mm512_mul_ps(vc, yv)));
  }
}

float dot(const float *a, const float *b, int64_t n) {
  if (hasAVX512())
    return dotAVX512(a, b, n);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}

void scaleAdd(float *y, float c, float a, const float *x, int64_t n) {
  if (hasAVX512())
    return scaleAddAVX512(y, c, a, x, n);
  for (int64_t i = 0; i < n; ++i)
    y[i] = y[i] * c + a * x[i];
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
  int64_t sq() const { return q.sizes[2]; }
  int64_t skv() const { return k.sizes[2]; }
  int64_t headSize() const { return q.sizes[3]; }
  int64_t valueSize() const { return v.sizes[3]; }
};

/// Query rows [i0, i0 + rows) of head h of batch item b.
void attendBlock(const Problem &p, int64_t b, int64_t h, int64_t i0, int64_t rows) {
  const int64_t d = p.headSize(), dv = p.valueSize(), kvHead = h / p.group;
  float queries[kRows][kMaxHead], acc[kRows][kMaxHead], keyScratch[kMaxHead],
      valueScratch[kMaxHead];
  float maxSoFar[kRows], sum[kRows], scores[kRows][kKeys];
  const float *q[kRows];
  for (int64_t r = 0; r < rows; ++r) {
    q[r] = contiguousRow(p.q, p.q.row(b, h, i0 + r), d, queries[r]);
    maxSoFar[r] = -INFINITY;
    sum[r] = 0;
    for (int64_t e = 0; e < dv; ++e)
      acc[r][e] = 0;
  }
  // Keys some row of the block may see.
  int64_t first = 0, end = p.skv();
  if (p.causal && i0 + rows + p.offset < end)
    end = i0 + rows + p.offset > 0 ? i0 + rows + p.offset : 0;
  if (p.window > 0 && i0 + p.offset - p.window + 1 > 0)
    first = i0 + p.offset - p.window + 1;

  for (int64_t j0 = first; j0 < end; j0 += kKeys) {
    int64_t keys = end - j0 < kKeys ? end - j0 : kKeys;
    for (int64_t j = 0; j < keys; ++j) {
      const float *key = contiguousRow(p.k, p.k.row(b, kvHead, j0 + j), d, keyScratch);
      for (int64_t r = 0; r < rows; ++r)
        scores[r][j] = dot(q[r], key, d) * p.scale;
    }
    for (int64_t r = 0; r < rows; ++r) {
      int64_t i = i0 + r;
      const float *maskRow = p.hasMask ? p.mask.row(b, h, i) : nullptr;
      float tileMax = -INFINITY;
      for (int64_t j = 0; j < keys; ++j) {
        int64_t key = j0 + j;
        float s = scores[r][j];
        if (maskRow)
          s += maskRow[key * p.mask.strides[3]];
        if (p.softcap > 0)
          s = p.softcap * std::tanh(s / p.softcap);
        if ((p.causal && key > i + p.offset) || (p.window > 0 && key <= i + p.offset - p.window))
          s = -INFINITY;
        scores[r][j] = s;
        tileMax = s > tileMax ? s : tileMax;
      }
      float newMax = tileMax > maxSoFar[r] ? tileMax : maxSoFar[r];
      if (newMax == -INFINITY)
        continue; // nothing visible yet
      float correction = std::exp(maxSoFar[r] - newMax);
      sum[r] *= correction;
      for (int64_t e = 0; e < dv; ++e)
        acc[r][e] *= correction;
      maxSoFar[r] = newMax;
      for (int64_t j = 0; j < keys; ++j)
        sum[r] += scores[r][j] = std::exp(scores[r][j] - newMax);
    }
    for (int64_t j = 0; j < keys; ++j) {
      const float *value = contiguousRow(p.v, p.v.row(b, kvHead, j0 + j), dv, valueScratch);
      for (int64_t r = 0; r < rows; ++r)
        if (maxSoFar[r] != -INFINITY && scores[r][j] != 0)
          scaleAdd(acc[r], 1.0f, scores[r][j], value, dv);
    }
  }
  // A row that saw nothing is 0/0, as softmax over -inf everywhere.
  for (int64_t r = 0; r < rows; ++r) {
    float *o = p.out.data + b * p.out.strides[0] + h * p.out.strides[1] +
               (i0 + r) * p.out.strides[2];
    for (int64_t e = 0; e < dv; ++e)
      o[e * p.out.strides[3]] = acc[r][e] / sum[r];
  }
}

} // namespace

extern "C" void _mlir_ciface_genc_attention_f32(const genc_context *context,
                                                genc_unranked_memref *out,
                                                genc_unranked_memref *q, genc_unranked_memref *k,
                                                genc_unranked_memref *v,
                                                genc_unranked_memref *mask, int64_t hasMask,
                                                float scale, int64_t causal, int64_t window,
                                                float softcap, int64_t causalOffset) {
  Problem p{View4(out), View4(q), View4(k), View4(v), View4(mask), hasMask != 0, causal != 0,
            scale, softcap, window, causalOffset, 1};
  if (out->rank != 4 || q->rank != 4 || k->rank != 4 || v->rank != 4 || mask->rank > 4 ||
      p.headSize() > kMaxHead || p.valueSize() > kMaxHead || p.k.sizes[1] == 0 ||
      p.q.sizes[1] % p.k.sizes[1]) {
    std::fprintf(stderr, "genc_attention_f32: unsupported shapes (a broken caller)\n");
    std::abort();
  }
  p.group = p.q.sizes[1] / p.k.sizes[1];
  const int64_t batch = p.q.sizes[0], heads = p.q.sizes[1];
  const int64_t blocks = (p.sq() + kRows - 1) / kRows;
  parallelFor(context, batch * heads * blocks, [&](int64_t task) {
    int64_t block = task % blocks, bh = task / blocks;
    int64_t i0 = block * kRows;
    int64_t rows = p.sq() - i0 < kRows ? p.sq() - i0 : kRows;
    attendBlock(p, bh / heads, bh % heads, i0, rows);
  });
}
