//===- MatmulTest.cpp - the matmul kernels against a plain triple loop -----===//

#include "KernelTestSupport.h"
#include "ThreadPool.h"
#include "genc/kernels.h"
#include "kernels/Parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

// Tests ask malloc for more than the address space holds: under a
// sanitizer too, malloc must say no rather than stop the process. (For
// every test of this binary: none relies on the sanitizer's stop.)
extern "C" const char *__asan_default_options() { return "allocator_may_return_null=1"; }
extern "C" const char *__tsan_default_options() { return "allocator_may_return_null=1"; }

namespace {

using genc::testing::Memref;
using genc::testing::randomValues;

/// [K, N] → [ceil(N/32), K, 32], zero-padded: the layout kernels.h names.
std::vector<float> packPanels(const std::vector<float> &b, int64_t k, int64_t n) {
  int64_t panels = (n + 31) / 32;
  std::vector<float> out(panels * k * 32, 0.0f);
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < 32 && p * 32 + j < n; ++j)
        out[(p * k + kk) * 32 + j] = b[kk * n + p * 32 + j];
  return out;
}

void expectNear(const std::vector<float> &got, const std::vector<double> &want, int64_t k) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5 * (k + 1)) << "at element " << i;
}

/// Runs `call` with C as every other element of a wider buffer holding c0
/// (a non-unit column stride: the kernels' scalar path) and checks the
/// result against `want` and that nothing between C's elements changed.
template <typename Call>
void expectStridedC(const std::vector<float> &c0, const std::vector<double> &want,
                    std::vector<int64_t> sizes, double tolerance, Call &&call) {
  std::vector<float> wide(2 * c0.size(), -1.0f);
  for (size_t i = 0; i < c0.size(); ++i)
    wide[2 * i] = c0[i];
  std::vector<int64_t> strides(sizes.size());
  int64_t stride = 2;
  for (size_t d = sizes.size(); d-- > 0; stride *= sizes[d])
    strides[d] = stride;
  Memref wm(wide.data(), sizes, strides);
  call(wm.ref);
  for (size_t i = 0; i < c0.size(); ++i) {
    ASSERT_NEAR(wide[2 * i], want[i], tolerance) << "strided, at " << i;
    ASSERT_EQ(wide[2 * i + 1], -1.0f) << "wrote between the view's elements";
  }
}

class Matmul : public genc::testing::OnThreadPool {};

/// C (starting non-zero) += A·B, or C = A·B without reading C, for a 2-D
/// problem, B row-major and packed.
void expectLoopsForAwkwardSizes(genc_context &context) {
  // Last panels of 1, 0, 13, 0, 4, 6, 27 and 29 columns (the AVX2 tile's
  // four vectors each fully, partly or not in C); K in several pieces of
  // the f32 tiles' depth (256), with rows past one task's (256). Calls of
  // 1-6 rows over runs of panels that their tiles read several at a time,
  // ending in a partial group and a partial panel; N = 790, K = 768 makes
  // the runs' length depend on the pool's width.
  const int64_t sizes[][3] = {
      {1, 1, 1},    {1, 768, 64}, {13, 45, 7},   {8, 32, 16},    {128, 100, 33}, {300, 70, 20},
      {7, 27, 5},   {5, 61, 9},   {29, 40, 600}, {269, 33, 300}, {1, 1000, 40},  {2, 300, 20},
      {3, 230, 17}, {4, 450, 9},  {5, 390, 3},   {6, 520, 33},   {1, 790, 768}};
  for (const auto &[m, n, k] : sizes) {
    SCOPED_TRACE("M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=" + std::to_string(k));
    std::vector<float> a = randomValues(m * k, 1), b = randomValues(k * n, 2),
                       c0 = randomValues(m * n, 3);
    std::vector<double> product(m * n, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t kk = 0; kk < k; ++kk)
          product[i * n + j] += double(a[i * k + kk]) * b[kk * n + j];
    std::vector<float> packed = packPanels(b, k, n);
    for (int64_t accumulate : {1, 0}) {
      std::vector<double> want = product;
      if (accumulate)
        for (size_t i = 0; i < want.size(); ++i)
          want[i] += c0[i];
      for (int64_t layout : {GENC_MATMUL_B_ROW_MAJOR, GENC_MATMUL_B_PANELS_32}) {
        SCOPED_TRACE("layout " + std::to_string(layout) + " accumulate " +
                     std::to_string(accumulate));
        // C's rows 3 floats apart and 32 after its end hold a sentinel:
        // a store past an edge tile's columns or rows shows.
        const int64_t rowStride = n + 3;
        const float sentinel = 12345.0f;
        std::vector<float> wide(m * rowStride + 32, sentinel), c(m * n);
        for (int64_t i = 0; i < m; ++i)
          std::copy(c0.begin() + i * n, c0.begin() + (i + 1) * n, wide.begin() + i * rowStride);
        Memref cm(wide.data(), {m, n}, {rowStride, 1}), am(a.data(), {m, k});
        Memref bm = layout == GENC_MATMUL_B_ROW_MAJOR
                        ? Memref(b.data(), {k, n})
                        : Memref(packed.data(), {(n + 31) / 32, k, 32});
        _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, layout,
                                     accumulate, nullptr);
        for (int64_t i = 0; i < m; ++i)
          std::copy(wide.begin() + i * rowStride, wide.begin() + i * rowStride + n,
                    c.begin() + i * n);
        expectNear(c, want, k);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = n; j < rowStride; ++j)
            ASSERT_EQ(wide[i * rowStride + j], sentinel) << "wrote past row " << i;
        for (size_t at = m * rowStride; at < wide.size(); ++at)
          ASSERT_EQ(wide[at], sentinel) << "wrote past C's end";
      }
    }
  }
}

TEST_P(Matmul, MatchesLoopsForAwkwardSizes) { expectLoopsForAwkwardSizes(context); }

/// A row of C is the same bits whichever tile computes it: a row in a call
/// of 1-6 rows (panels read side by side) and in a call of 13 (tiles of
/// 12 and 1 rows, A in tiles, K in pieces of 256), packed f32 weights.
TEST_P(Matmul, RowsAreTheSameBitsInCallsOfAnyHeight) {
  const int64_t k = 600, n = 300, tallest = 13;
  std::vector<float> a = randomValues(tallest * k, 1), b = randomValues(k * n, 2);
  std::vector<float> packed = packPanels(b, k, n);
  Memref bm(packed.data(), {(n + 31) / 32, k, 32});
  auto multiply = [&](int64_t m) {
    std::vector<float> c(m * n);
    Memref cm(c.data(), {m, n}), am(a.data(), {m, k});
    _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                                 GENC_MATMUL_B_PANELS_32, /*accumulate=*/0, nullptr);
    return c;
  };
  std::vector<float> tall = multiply(tallest);
  for (int64_t m = 1; m <= 6; ++m) {
    std::vector<float> c = multiply(m);
    for (int64_t i = 0; i < m * n; ++i)
      ASSERT_EQ(c[i], tall[i]) << "M = " << m << ", row " << i / n << ", column " << i % n;
  }
}

/// Batch dims broadcast where their size is 1 or missing: A [2, 3, M, K],
/// B [3, K, N] (one per middle index), C [2, 3, M, N]; also with rows past
/// one task's and K in several of the f32 tiles' pieces.
TEST_P(Matmul, BroadcastsBatchDims) {
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{5, 9, 37}, {261, 300, 40}}) {
    SCOPED_TRACE("M=" + std::to_string(m) + " K=" + std::to_string(k));
    const int64_t b0 = 2, b1 = 3;
    std::vector<float> a = randomValues(b0 * b1 * m * k, 4), b = randomValues(b1 * k * n, 5);
    std::vector<float> c(b0 * b1 * m * n, 0.0f);
    std::vector<double> want(c.size(), 0.0);
    for (int64_t i0 = 0; i0 < b0; ++i0)
      for (int64_t i1 = 0; i1 < b1; ++i1)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j)
            for (int64_t kk = 0; kk < k; ++kk)
              want[((i0 * b1 + i1) * m + i) * n + j] +=
                  double(a[((i0 * b1 + i1) * m + i) * k + kk]) * b[(i1 * k + kk) * n + j];
    Memref cm(c.data(), {b0, b1, m, n}), am(a.data(), {b0, b1, m, k}), bm(b.data(), {b1, k, n});
    _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                                 GENC_MATMUL_B_ROW_MAJOR, 1, nullptr);
    expectNear(c, want, k);
  }
}

/// A weight shared across the batch: rows of every item form one problem.
TEST_P(Matmul, SharedWeightAcrossBatch) {
  const int64_t batch = 3, m = 7, k = 16, n = 50;
  std::vector<float> a = randomValues(batch * m * k, 6), b = randomValues(k * n, 7);
  std::vector<float> packed = packPanels(b, k, n), c(batch * m * n, 0.0f);
  std::vector<double> want(c.size(), 0.0);
  for (int64_t r = 0; r < batch * m; ++r)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t kk = 0; kk < k; ++kk)
        want[r * n + j] += double(a[r * k + kk]) * b[kk * n + j];
  Memref cm(c.data(), {batch, m, n}), am(a.data(), {batch, m, k}),
      bm(packed.data(), {(n + 31) / 32, k, 32});
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_PANELS_32, 1, nullptr);
  expectNear(c, want, k);
}

/// Strided operands: A read through a transposed view, B with a column
/// stride of 2 (the scalar path), C with an offset and old values that the
/// kernel overwrites.
TEST_P(Matmul, StridedViews) {
  const int64_t m = 6, k = 5, n = 40;
  std::vector<float> at = randomValues(k * m, 8); // A stored transposed: [K, M]
  std::vector<float> b = randomValues(k * n * 2, 9);
  std::vector<float> c(1 + m * n, 5.0f);
  c[0] = 0.0f;
  std::vector<double> want(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t kk = 0; kk < k; ++kk)
        want[i * n + j] += double(at[kk * m + i]) * b[kk * 2 * n + 2 * j];
  Memref am(at.data(), {m, k}, {1, m}), bm(b.data(), {k, n}, {2 * n, 2}),
      cm(c.data(), {m, n}, {n, 1}, /*offset=*/1);
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_ROW_MAJOR,
                               /*accumulate=*/0, nullptr);
  expectNear(std::vector<float>(c.begin() + 1, c.end()), want, k);
  EXPECT_EQ(c[0], 0.0f) << "wrote before the view's offset";
}

/// A stored transposed ([K, M], a column stride of M) with packed B: the
/// rows of A go into tiles element by element, not 16 k at a time (which
/// reads unit-stride rows), past 16 k and in a tile of 1 row.
TEST_P(Matmul, TransposedAIntoTiles) {
  const int64_t m = 13, k = 37, n = 40;
  std::vector<float> at = randomValues(k * m, 14), b = randomValues(k * n, 15);
  std::vector<double> want(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t kk = 0; kk < k; ++kk)
        want[i * n + j] += double(at[kk * m + i]) * b[kk * n + j];
  std::vector<float> packed = packPanels(b, k, n), c(m * n);
  Memref am(at.data(), {m, k}, {1, m}), bm(packed.data(), {(n + 31) / 32, k, 32}),
      cm(c.data(), {m, n});
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_PANELS_32, /*accumulate=*/0, nullptr);
  expectNear(c, want, k);
}

/// K = 0: the product is zero, so C stays or becomes zero.
TEST_P(Matmul, EmptyReduction) {
  std::vector<float> c(4, 7.0f), a(1), b(1);
  Memref cm(c.data(), {2, 2}), am(a.data(), {2, 0}), bm(b.data(), {0, 2});
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_ROW_MAJOR, 1, nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 7.0f));
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_ROW_MAJOR, 0, nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 0.0f));
}

/// An epilogue that counts how often it saw each element of C ([rows, n]
/// contiguous) and replaces it by 2c + 1, so that an element it saw
/// before the product was final, or twice, shows. Blocks start on a panel
/// (32 columns) and end on one or at N: a gated unit's epilogue reads both
/// halves of each panel (genc-interleave-gated-halves).
struct CountingEpilogue : genc_tile_epilogue {
  float *c;
  int64_t rows, n;
  std::vector<std::atomic<int>> seen;

  CountingEpilogue(float *c, int64_t rows, int64_t n) : c(c), rows(rows), n(n), seen(rows * n) {
    apply = [](genc_tile_epilogue *self, int64_t rowBegin, int64_t rowEnd, int64_t colBegin,
               int64_t colEnd) {
      auto *e = static_cast<CountingEpilogue *>(self);
      ASSERT_TRUE(0 <= rowBegin && rowBegin < rowEnd && rowEnd <= e->rows);
      ASSERT_TRUE(0 <= colBegin && colBegin < colEnd && colEnd <= e->n);
      ASSERT_TRUE(colBegin % 32 == 0 && (colEnd % 32 == 0 || colEnd == e->n))
          << "columns [" << colBegin << ", " << colEnd << ")";
      for (int64_t r = rowBegin; r < rowEnd; ++r)
        for (int64_t j = colBegin; j < colEnd; ++j) {
          e->seen[r * e->n + j]++;
          e->c[r * e->n + j] = 2 * e->c[r * e->n + j] + 1;
        }
    };
  }

  void expectEachSeenOnce(std::vector<double> want, int64_t k) {
    for (size_t i = 0; i < seen.size(); ++i)
      ASSERT_EQ(seen[i].load(), 1) << "element " << i;
    for (double &w : want)
      w = 2 * w + 1;
    expectNear(std::vector<float>(c, c + rows * n), want, k);
  }
};

/// The epilogue sees every element of C once, after its product: row
/// blocks and panels of a prefill (runs of 4 panels, the last one short),
/// decode tasks of several panels, batch
/// items that stay apart (one weight per item) and ones whose rows run on
/// (a shared weight), and K = 0.
TEST_P(Matmul, EpilogueSeesEachFinishedElementOnce) {
  struct Case {
    int64_t batch, m, n, k;
    bool weightPerItem;
  };
  for (Case t :
       {Case{1, 300, 70, 20, false}, Case{1, 40, 1189, 16, false}, Case{1, 1, 2000, 16, false},
        Case{3, 7, 50, 16, false}, Case{3, 5, 37, 9, true}, Case{1, 4, 40, 0, false}}) {
    SCOPED_TRACE("batch " + std::to_string(t.batch) + " M=" + std::to_string(t.m) +
                 " N=" + std::to_string(t.n) + " K=" + std::to_string(t.k));
    int64_t items = t.weightPerItem ? t.batch : 1;
    std::vector<float> a = randomValues(t.batch * t.m * t.k, 11),
                       b = randomValues(items * t.k * t.n, 12),
                       c = randomValues(t.batch * t.m * t.n, 13);
    std::vector<double> want(c.begin(), c.end());
    for (int64_t item = 0; item < t.batch; ++item)
      for (int64_t i = 0; i < t.m; ++i)
        for (int64_t j = 0; j < t.n; ++j)
          for (int64_t kk = 0; kk < t.k; ++kk)
            want[(item * t.m + i) * t.n + j] +=
                double(a[(item * t.m + i) * t.k + kk]) *
                b[((t.weightPerItem ? item : 0) * t.k + kk) * t.n + j];
    Memref cm(c.data(), {t.batch, t.m, t.n}), am(a.data(), {t.batch, t.m, t.k});
    Memref bm =
        t.weightPerItem ? Memref(b.data(), {t.batch, t.k, t.n}) : Memref(b.data(), {t.k, t.n});
    CountingEpilogue epilogue(c.data(), t.batch * t.m, t.n);
    _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                                 GENC_MATMUL_B_ROW_MAJOR, /*accumulate=*/1, &epilogue);
    EXPECT_EQ(context.failed_check, 0);
    epilogue.expectEachSeenOnce(want, t.k);
  }
}

/// Row `row` of A ([rows, k]) as the int8 and 4-bit kernels round it
/// (kernels.h): q · scale with scale = max |a| / 32767 (in double) and q =
/// nearbyint(a / scale), zero-padded to an even K; NaN scale for a row
/// with NaN or infinity.
std::vector<int64_t> roundedRow(const std::vector<float> &a, int64_t row, int64_t k,
                                double &scale) {
  double largest = 0;
  bool finite = true;
  for (int64_t kk = 0; kk < k; ++kk) {
    finite &= std::isfinite(a[row * k + kk]);
    largest = std::max(largest, std::fabs(double(a[row * k + kk])));
  }
  std::vector<int64_t> q((k + 1) / 2 * 2, 0);
  for (int64_t kk = 0; finite && largest > 0 && kk < k; ++kk)
    q[kk] = static_cast<int64_t>(std::nearbyint(a[row * k + kk] * (32767 / largest)));
  scale = !finite ? NAN : largest / 32767;
  return q;
}

/// Row-major [m, k] `a` laid out column by column (its values k apart
/// when read as [m, k] with strides {1, m}).
std::vector<float> columnMajor(const std::vector<float> &a, int64_t m, int64_t k) {
  std::vector<float> out(m * k);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t kk = 0; kk < k; ++kk)
      out[kk * m + r] = a[r * k + kk];
  return out;
}

/// What genc_matmul_f32_i8 promises (kernels.h), written out: A's rows
/// rounded; int32 sums over 256 pairs of k, added in f32; times the row's
/// scale, times the column's, in double, rounded to f32; plus C.
std::vector<float> int8Promise(const std::vector<float> &a, const std::vector<int8_t> &q,
                               const std::vector<float> &scales, const std::vector<float> &c0,
                               int64_t rows, int64_t n, int64_t k, bool accumulate) {
  int64_t pairs = (k + 1) / 2;
  std::vector<float> c(rows * n);
  for (int64_t r = 0; r < rows; ++r) {
    double rowScale;
    std::vector<int64_t> qa = roundedRow(a, r, k, rowScale);
    for (int64_t j = 0; j < n; ++j) {
      float partial = 0;
      for (int64_t first = 0; first < pairs; first += 256) {
        int64_t sum = 0;
        for (int64_t kk = 2 * first; kk < std::min(2 * (first + 256), 2 * pairs); ++kk)
          sum += qa[kk] * q[((j / 32 * pairs + kk / 2) * 32 + j % 32) * 2 + kk % 2];
        EXPECT_LT(std::abs(sum), int64_t(1) << 31) << "the promise's sums fit int32";
        partial += static_cast<float>(sum);
      }
      float value = static_cast<float>(partial * rowScale * scales[j]);
      c[r * n + j] = accumulate ? c0[r * n + j] + value : value;
    }
  }
  return c;
}

/// Int8 weights in panels of k pairs with a scale per column: C (+)=
/// A·(q·scale), bit for bit what kernels.h promises and within the
/// rounding of A (half a step of its row's scale per value) of the exact
/// product, for awkward sizes, K past one int32 sum (512), a shared
/// weight over a batch, a strided C, the largest sums int32 holds, rows of
/// zeros and of NaN, and K = 0.
void expectInt8WeightsMatchLoops(genc_context &context) {
  const int64_t sizes[][4] = {// batch, M, N, K
                              {1, 1, 1, 1},     {1, 1, 768, 64},  {1, 13, 45, 7}, {1, 128, 100, 33},
                              {3, 7, 50, 16},   {1, 300, 70, 20}, {1, 7, 27, 5},  {1, 9, 40, 1101},
                              {2, 2, 33, 1024}, {1, 11, 40, 37}};
  std::mt19937 gen(10);
  // -128 too, which genc's quantiser never writes but the kernel takes.
  std::uniform_int_distribution<int> weight(-128, 127);
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  for (const auto &[batch, m, n, k] : sizes) {
    SCOPED_TRACE("batch=" + std::to_string(batch) + " M=" + std::to_string(m) +
                 " N=" + std::to_string(n) + " K=" + std::to_string(k));
    int64_t panels = (n + 31) / 32, pairs = (k + 1) / 2;
    std::vector<int8_t> q(panels * pairs * 64, 0);
    std::vector<float> scales(panels * 32, 0.0f);
    auto at = [&](int64_t kk, int64_t j) -> int8_t & {
      return q[((j / 32 * pairs + kk / 2) * 32 + j % 32) * 2 + kk % 2];
    };
    for (int64_t j = 0; j < n; ++j) {
      scales[j] = scale(gen);
      for (int64_t kk = 0; kk < k; ++kk)
        at(kk, j) = static_cast<int8_t>(weight(gen));
    }
    std::vector<float> a = randomValues(batch * m * k, 11), c0 = randomValues(batch * m * n, 12);
    if (k == 1024) {
      // The largest sums: every q(A) 32767 and column 0's weights all 127.
      std::fill(a.begin(), a.end(), 0.5f);
      for (int64_t kk = 0; kk < k; ++kk)
        at(kk, 0) = 127;
    }
    if (m > 3) {
      // A row of zeros, one whose values span six orders of magnitude, and
      // one of subnormals.
      std::fill(a.begin() + k, a.begin() + 2 * k, 0.0f);
      for (int64_t kk = 0; kk < k; ++kk) {
        a[2 * k + kk] *= std::pow(10.0f, static_cast<float>(kk % 7 - 3));
        a[3 * k + kk] *= 1e-39f;
      }
    }
    for (int64_t accumulate : {1, 0}) {
      SCOPED_TRACE("accumulate " + std::to_string(accumulate));
      std::vector<float> promise = int8Promise(a, q, scales, c0, batch * m, n, k, accumulate);
      std::vector<double> want(batch * m * n, 0.0);
      for (int64_t r = 0; r < batch * m; ++r) {
        double largest = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          largest = std::max(largest, std::fabs(double(a[r * k + kk])));
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0, weights = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            sum += double(a[r * k + kk]) * at(kk, j);
            weights += std::abs(at(kk, j));
          }
          want[r * n + j] = sum * scales[j] + (accumulate ? c0[r * n + j] : 0.0);
          // A's rounding, then f32's in the sums and scalings.
          double bound = largest / 32767 / 2 * weights * scales[j];
          ASSERT_NEAR(promise[r * n + j], want[r * n + j], bound + 1e-6 * (1 + std::fabs(sum)))
              << "the promise itself, at " << r << ", " << j;
        }
      }
      std::vector<float> c = c0;
      Memref cm(c.data(), {batch, m, n}), am(a.data(), {batch, m, k}),
          bm(q.data(), {panels, pairs, 32, 2}), sm(scales.data(), {panels, 32});
      _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, &sm.ref,
                                      accumulate, nullptr);
      for (size_t i = 0; i < c.size(); ++i)
        ASSERT_EQ(c[i], promise[i]) << "at element " << i;

      // C every other element of a wider buffer.
      std::vector<double> exact(promise.begin(), promise.end());
      expectStridedC(c0, exact, {batch, m, n}, 0.0, [&](genc_unranked_memref &wide) {
        _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &wide, &am.ref, &bm.ref, &sm.ref,
                                        accumulate, nullptr);
      });

      // A transposed in memory (its values k apart): the same bits.
      if (batch == 1) {
        std::vector<float> at = columnMajor(a, m, k);
        std::vector<float> ct = c0;
        Memref ctm(ct.data(), {m, n}), atm(at.data(), {m, k}, {1, m});
        _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &ctm.ref, &atm.ref, &bm.ref, &sm.ref,
                                        accumulate, nullptr);
        for (size_t i = 0; i < ct.size(); ++i)
          ASSERT_EQ(ct[i], promise[i]) << "A transposed, at element " << i;
      }
    }
  }
  // A row holding NaN or an infinity gives NaN (where AVX-512 rounds the
  // rows 16 values at a time, and in the last values it leaves); the
  // other rows are as ever.
  std::vector<float> a(4 * 20, 1.0f), scales(32, 1.0f), c(4);
  a[3] = NAN;
  a[20 + 17] = -INFINITY;
  a[40 + 10] = INFINITY;
  std::vector<int8_t> q(10 * 64, 1);
  Memref cm(c.data(), {4, 1}), am(a.data(), {4, 20}), bm(q.data(), {1, 10, 32, 2}),
      sm(scales.data(), {1, 32});
  _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, &sm.ref, 0,
                                  nullptr);
  EXPECT_TRUE(std::isnan(c[0]));
  EXPECT_TRUE(std::isnan(c[1]));
  EXPECT_TRUE(std::isnan(c[2]));
  EXPECT_NEAR(c[3], 20.0f, 1e-5f);
  // K = 0: the product is zero.
  c.assign(4, 7.0f);
  Memref c0m(c.data(), {2, 2}), a0m(a.data(), {2, 0}), b0m(q.data(), {1, 0, 32, 2});
  _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &c0m.ref, &a0m.ref, &b0m.ref, &sm.ref, 1,
                                  nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 7.0f));
  _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &c0m.ref, &a0m.ref, &b0m.ref, &sm.ref, 0,
                                  nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 0.0f));
}

TEST_P(Matmul, Int8WeightsMatchLoops) { expectInt8WeightsMatchLoops(context); }

/// Int8 weights without scales multiply integers (MatMulInteger's operands
/// less their zero points): A of 8-bit codes less a zero point per row, in
/// [-255, 255], by codes in [-128, 127] gives exactly the integer sums,
/// for awkward sizes, a batch, a transposed A, the largest sums the
/// compiled code lets through (2^24 - 1) and K = 0. Rows that
/// span at most 255 take byte dot products where the CPU has AVX512-VNNI
/// (calls of 4 rows or more); one call's rows span up to 510 (16-bit
/// pairs, as without VNNI).
void expectIntegerProductsAreExact(genc_context &context) {
  const int64_t sizes[][4] = {// batch, M, N, K
                              {1, 1, 1, 1},   {1, 1, 768, 514},  {1, 13, 45, 7},  {1, 128, 100, 33},
                              {3, 7, 50, 16}, {1, 9, 40, 1101},  {1, 2, 33, 514}, {1, 5, 64, 514},
                              {1, 6, 70, 6},  {1, 40, 96, 2047}, {1, 1, 40, 515}, {1, 4, 40, 515}};
  std::mt19937 gen(20);
  std::uniform_int_distribution<int> code(-128, 127), byte(0, 255), wide(-255, 255);
  for (const auto &[batch, m, n, k] : sizes) {
    SCOPED_TRACE("batch=" + std::to_string(batch) + " M=" + std::to_string(m) +
                 " N=" + std::to_string(n) + " K=" + std::to_string(k));
    int64_t panels = (n + 31) / 32, pairs = (k + 1) / 2;
    std::vector<int8_t> q(panels * pairs * 64, 0);
    auto at = [&](int64_t kk, int64_t j) -> int8_t & {
      return q[((j / 32 * pairs + kk / 2) * 32 + j % 32) * 2 + kk % 2];
    };
    for (int64_t j = 0; j < n; ++j)
      for (int64_t kk = 0; kk < k; ++kk)
        at(kk, j) = static_cast<int8_t>(code(gen));
    std::vector<float> a(batch * m * k);
    for (int64_t r = 0; r < batch * m; ++r) {
      int zero = byte(gen);
      for (int64_t kk = 0; kk < k; ++kk)
        a[r * k + kk] = static_cast<float>(m == 13 ? wide(gen) : byte(gen) - zero);
    }
    if (k == 515) {
      // The largest sums the compiled code lets through, 2^24 - 1: row 0
      // all 255 by 514 codes of -128 and one of -1 in column 0.
      std::fill(a.begin(), a.begin() + k, 255.0f);
      for (int64_t kk = 0; kk < k; ++kk)
        at(kk, 0) = kk == 0 ? -1 : -128;
    }
    if (k == 514) {
      // Large sums: 514 · 255 · 127 = 16646190 in column 0 of row 0, and
      // its negation in column 1.
      std::fill(a.begin(), a.begin() + k, 255.0f);
      for (int64_t kk = 0; kk < k; ++kk) {
        at(kk, 0) = 127;
        at(kk, 1 % n) = n > 1 ? -127 : 127;
      }
    }
    std::vector<float> c0 = randomValues(batch * m * n, 21);
    for (int64_t accumulate : {1, 0}) {
      SCOPED_TRACE("accumulate " + std::to_string(accumulate));
      std::vector<float> want(batch * m * n);
      for (int64_t r = 0; r < batch * m; ++r)
        for (int64_t j = 0; j < n; ++j) {
          int64_t sum = 0;
          for (int64_t kk = 0; kk < k; ++kk)
            sum += static_cast<int64_t>(a[r * k + kk]) * at(kk, j);
          ASSERT_LE(std::abs(sum), int64_t(1) << 24) << "f32 holds the sum exactly";
          want[r * n + j] = static_cast<float>(sum) + (accumulate ? c0[r * n + j] : 0.0f);
        }
      std::vector<float> c = c0;
      Memref cm(c.data(), {batch, m, n}), am(a.data(), {batch, m, k}),
          bm(q.data(), {panels, pairs, 32, 2});
      _mlir_ciface_genc_matmul_i8_integers(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                                           accumulate, nullptr);
      for (size_t i = 0; i < c.size(); ++i)
        ASSERT_EQ(c[i], want[i]) << "at element " << i;
      if (batch == 1) {
        // A transposed in memory (its values k apart).
        std::vector<float> transposed = columnMajor(a, m, k);
        std::vector<float> ct = c0;
        Memref ctm(ct.data(), {m, n}), atm(transposed.data(), {m, k}, {1, m});
        _mlir_ciface_genc_matmul_i8_integers(&context, /*check=*/1, &ctm.ref, &atm.ref, &bm.ref,
                                             accumulate, nullptr);
        for (size_t i = 0; i < ct.size(); ++i)
          ASSERT_EQ(ct[i], want[i]) << "A transposed, at element " << i;
      }
    }
  }
  // K = 0: the product is zero.
  std::vector<float> c(4, 7.0f), a(1);
  std::vector<int8_t> q(64);
  Memref cm(c.data(), {2, 2}), am(a.data(), {2, 0}), bm(q.data(), {1, 0, 32, 2});
  _mlir_ciface_genc_matmul_i8_integers(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 1,
                                       nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 7.0f));
  _mlir_ciface_genc_matmul_i8_integers(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0,
                                       nullptr);
  EXPECT_EQ(c, std::vector<float>(4, 0.0f));
}

TEST_P(Matmul, IntegerProductsAreExact) { expectIntegerProductsAreExact(context); }

/// `x` rounded to bf16's 8 significant bits, nearest with ties to even
/// (frexp and nearbyint: independent of the kernel's bit arithmetic).
float roundToBF16(float x) {
  int exponent;
  double mantissa = std::frexp(static_cast<double>(x), &exponent); // [0.5, 1)
  return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(mantissa, 8)), exponent - 8));
}
uint16_t bf16Bits(float exactlyBF16) {
  uint32_t bits;
  std::memcpy(&bits, &exactlyBF16, 4);
  return static_cast<uint16_t>(bits >> 16);
}

TEST(BF16Rounding, MatchesReference) {
  // Ties go to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
  EXPECT_EQ(roundToBF16(1.00390625f), 1.0f);
  EXPECT_EQ(roundToBF16(1.01171875f), 1.015625f);
}

/// The paths of the bf16 kernel, each where the CPU has it.
enum class BF16Path { AMXTiles, DotProducts, WidenedPairs };
constexpr BF16Path kBF16Paths[] = {BF16Path::AMXTiles, BF16Path::DotProducts,
                                   BF16Path::WidenedPairs};

/// bf16 weights in panels of k pairs, packed from [K, N] values.
std::vector<uint16_t> bf16Panels(const std::vector<float> &values, int64_t k, int64_t n) {
  int64_t pairs = (k + 1) / 2;
  std::vector<uint16_t> b((n + 31) / 32 * pairs * 64, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j)
      b[((j / 32 * pairs + kk / 2) * 32 + j % 32) * 2 + kk % 2] =
          bf16Bits(roundToBF16(values[kk * n + j]));
  return b;
}

/// bf16 weights in panels of k pairs: C (+)= bf16(A)·B for awkward sizes
/// (odd K, K past a multiple of 32, N not a multiple of 32, rows past a
/// multiple of 16, tasks of several panels), a shared weight over a batch
/// (one tall problem), an A shared by a batch (a problem per item), a
/// strided C (the scalar path) and K = 0; on AMX tiles, with AVX512-BF16's
/// dot products and with the pairs widened to f32, each where the CPU has
/// it.
void expectBF16WeightsMatchLoops(genc_context &context) {
  genc::testing::InstructionSetsGuard guard;
  for (BF16Path path : kBF16Paths) {
    SCOPED_TRACE(path == BF16Path::AMXTiles      ? "AMX tiles where the CPU has them"
                 : path == BF16Path::DotProducts ? "dot products where the CPU has them"
                                                 : "widened pairs");
    genc::kernels::useAMXForTesting(path == BF16Path::AMXTiles);
    genc::kernels::useAVX512BF16ForTesting(path != BF16Path::WidenedPairs);
    const int64_t sizes[][4] = {
        // batch, M, N, K; then calls of 1-4 rows over runs of panels that
        // their tiles read several at a time, ending in a partial group and
        // a partial panel.
        {1, 1, 1, 1},    {1, 1, 768, 64},   {1, 13, 45, 7},   {1, 128, 100, 33},
        {3, 7, 50, 16},  {1, 300, 70, 21},  {1, 64, 64, 96},  {1, 47, 33, 101},
        {2, 16, 40, 40}, {1, 40, 1100, 70}, {1, 1, 1000, 40}, {2, 2, 300, 21},
        {1, 2, 300, 21}, {1, 3, 230, 17},   {1, 4, 450, 9},   {1, 1, 790, 1600}};
    for (const auto &[batch, m, n, k] : sizes) {
      SCOPED_TRACE("batch=" + std::to_string(batch) + " M=" + std::to_string(m) +
                   " N=" + std::to_string(n) + " K=" + std::to_string(k));
      int64_t panels = (n + 31) / 32, pairs = (k + 1) / 2;
      std::vector<float> bf = randomValues(k * n, 13);
      std::vector<uint16_t> b = bf16Panels(bf, k, n);
      std::vector<float> a = randomValues(batch * m * k, 14), c0 = randomValues(batch * m * n, 15);
      // Ties, which a truncating or ties-away conversion gets wrong.
      for (size_t i = 0; i < a.size(); i += 3)
        a[i] = i % 2 ? 1.00390625f : -1.01171875f;
      for (int64_t accumulate : {1, 0}) {
        SCOPED_TRACE("accumulate " + std::to_string(accumulate));
        std::vector<double> want(batch * m * n, 0.0);
        for (int64_t r = 0; r < batch * m; ++r)
          for (int64_t j = 0; j < n; ++j) {
            double sum = accumulate ? c0[r * n + j] : 0.0;
            for (int64_t kk = 0; kk < k; ++kk)
              sum += double(roundToBF16(a[r * k + kk])) * roundToBF16(bf[kk * n + j]);
            want[r * n + j] = sum;
          }
        std::vector<float> c = c0;
        Memref cm(c.data(), {batch, m, n}), am(a.data(), {batch, m, k}),
            bm(b.data(), {panels, pairs, 32, 2});
        _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, accumulate,
                                      nullptr);
        expectNear(c, want, k);

        // C every other element of a wider buffer: the scalar path.
        expectStridedC(c0, want, {batch, m, n}, 1e-5 * (k + 1), [&](genc_unranked_memref &wide) {
          _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &wide, &am.ref, &bm.ref, accumulate,
                                        nullptr);
        });
      }
    }
    {
      // A [M, K] shared by C's 3 items, B shared too: a problem per item,
      // each with M rows (AMX pads each item's rows to 32); nothing is
      // written past C.
      const int64_t batch = 3, m = 20, n = 40, k = 50, pairs = (k + 1) / 2;
      std::vector<float> bf = randomValues(k * n, 16), a = randomValues(m * k, 17);
      std::vector<uint16_t> b = bf16Panels(bf, k, n);
      std::vector<float> c(batch * m * n + 64, -5.0f);
      Memref cm(c.data(), {batch, m, n}), am(a.data(), {m, k}), bm(b.data(), {2, pairs, 32, 2});
      _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0, nullptr);
      std::vector<double> want(batch * m * n);
      for (int64_t i = 0; i < batch * m * n; ++i) {
        int64_t r = i / n % m, j = i % n;
        for (int64_t kk = 0; kk < k; ++kk)
          want[i] += double(roundToBF16(a[r * k + kk])) * roundToBF16(bf[kk * n + j]);
      }
      expectNear(std::vector<float>(c.begin(), c.begin() + batch * m * n), want, k);
      EXPECT_EQ(std::vector<float>(c.begin() + batch * m * n, c.end()),
                std::vector<float>(64, -5.0f));
    }
    for (int64_t m : {2, 20}) { // K = 0
      std::vector<float> c(m * 2, 7.0f), a(1);
      std::vector<uint16_t> b(64);
      Memref cm(c.data(), {m, 2}), am(a.data(), {m, 0}), bm(b.data(), {1, 0, 32, 2});
      _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 1, nullptr);
      EXPECT_EQ(c, std::vector<float>(m * 2, 7.0f));
      _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0, nullptr);
      EXPECT_EQ(c, std::vector<float>(m * 2, 0.0f));
    }
  }
}

TEST_P(Matmul, BF16WeightsMatchLoops) { expectBF16WeightsMatchLoops(context); }

/// A's values round to the nearest bf16 on every path, subnormals too: just
/// under the smallest normal (2^-126) rounds up to it, and times 2^100 it
/// adds 2^-26 to each sum, in a whole piece of 32 k and in K's tail.
TEST_P(Matmul, BF16RoundsSubnormalsOfA) {
  genc::testing::InstructionSetsGuard guard;
  const float underNormal = std::bit_cast<float>(0x007FFFFFu);
  for (BF16Path path : kBF16Paths) {
    genc::kernels::useAMXForTesting(path == BF16Path::AMXTiles);
    genc::kernels::useAVX512BF16ForTesting(path != BF16Path::WidenedPairs);
    for (int64_t m : {1, 16, 40}) {
      const int64_t k = 40, n = 32;
      std::vector<float> a(m * k, 0.0f), c(m * n);
      for (int64_t r = 0; r < m; ++r)
        a[r * k + 3] = a[r * k + 35] = underNormal;
      std::vector<uint16_t> b = bf16Panels(std::vector<float>(k * n, 0x1p100f), k, n);
      Memref cm(c.data(), {m, n}), am(a.data(), {m, k}), bm(b.data(), {1, k / 2, 32, 2});
      _mlir_ciface_genc_matmul_bf16(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0, nullptr);
      EXPECT_EQ(c, std::vector<float>(m * n, 0x1p-25f)) << "M=" << m << " path " << int(path);
    }
  }
}

/// Where the CPU has AMX-BF16, Linux grants its state to the tests: the
/// tests above ran the tiles, not a fallback.
TEST(MatmulKernel, AMXTilesAreAvailableWhereTheCPUHasThem) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("amx-bf16") || !__builtin_cpu_supports("avx512bf16"))
    GTEST_SKIP() << "this CPU has no AMX-BF16";
  EXPECT_TRUE(genc::kernels::hasAMXBF16());
}

/// What genc_matmul_f32_i4 promises (kernels.h), written out: A's rows
/// rounded; per group, the int32 sums of q(A) · q, times the group's scale,
/// plus the group's sum of q(A) times its offset, added up over the groups
/// in f32; times the row's scale in double, rounded to f32; plus C.
std::vector<float> int4Promise(const std::vector<float> &a, const std::vector<uint8_t> &q,
                               const std::vector<float> &scales, const std::vector<float> &offsets,
                               const std::vector<float> &c0, int64_t rows, int64_t n, int64_t k,
                               int64_t group, bool accumulate) {
  int64_t groups = (k + group - 1) / group;
  std::vector<float> c(rows * n);
  for (int64_t r = 0; r < rows; ++r) {
    double rowScale;
    std::vector<int64_t> qa = roundedRow(a, r, k, rowScale);
    for (int64_t j = 0; j < n; ++j) {
      int64_t p = j / 32, column = j % 32;
      float partial = 0;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t sum = 0, groupSum = 0;
        for (int64_t kk = g * group; kk < std::min(k, (g + 1) * group); ++kk) {
          uint8_t byte = q[(p * k + kk) * 16 + column % 16];
          sum += qa[kk] * (column < 16 ? byte & 15 : byte >> 4);
          groupSum += qa[kk];
        }
        float scaled = static_cast<float>(sum) * scales[(p * groups + g) * 32 + column];
        float offset = static_cast<float>(groupSum) * offsets[(p * groups + g) * 32 + column];
        float both = scaled + offset;
        partial = partial + both;
      }
      float value = static_cast<float>(partial * rowScale);
      c[r * n + j] = accumulate ? c0[r * n + j] + value : value;
    }
  }
  return c;
}

/// Which 4-bit kernel a test calls: parameters in f16 (given their bits)
/// or f32; offsets given, or symmetric (none, each -8 · scale).
struct Int4Kernel {
  bool halfParameters = false, symmetric = false;
};

/// genc_matmul_f32_i4, _f16, _symmetric or _symmetric_f16 (which ignore
/// `offsets`).
void callInt4Kernel(genc_context &context, Int4Kernel kernel, genc_unranked_memref *c,
                    genc_unranked_memref *a, genc_unranked_memref *b, Memref &scales,
                    Memref &offsets, int64_t group, int64_t accumulate) {
  genc_unranked_memref *s = &scales.ref, *o = &offsets.ref;
  if (kernel.symmetric && kernel.halfParameters)
    _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(&context, /*check=*/1, c, a, b, s, group,
                                                  accumulate, nullptr);
  else if (kernel.symmetric)
    _mlir_ciface_genc_matmul_f32_i4_symmetric(&context, /*check=*/1, c, a, b, s, group, accumulate,
                                              nullptr);
  else if (kernel.halfParameters)
    _mlir_ciface_genc_matmul_f32_i4_f16(&context, /*check=*/1, c, a, b, s, o, group, accumulate,
                                        nullptr);
  else
    _mlir_ciface_genc_matmul_f32_i4(&context, /*check=*/1, c, a, b, s, o, group, accumulate,
                                    nullptr);
}

/// The f16 bits of `values`, each already an f16 value.
std::vector<uint16_t> halfBits(const std::vector<float> &values) {
  std::vector<uint16_t> bits;
  for (float x : values)
    bits.push_back(__builtin_bit_cast(uint16_t, static_cast<_Float16>(x)));
  return bits;
}

/// 4-bit weights, a scale and an offset per group of rows and column:
/// C (+)= A·(q·scale + offset), bit for bit what kernels.h promises and
/// within the rounding of A of the exact product, for awkward sizes (K
/// not a multiple of the group, N not of 32, an odd group), groups of 32,
/// 64 and 128, a shared weight over a batch, a strided C and K = 0. With
/// `halfParameters`, the parameters are f16 values (some subnormal), given
/// to the f16 kernel as such; a symmetric kernel gets no offsets and must
/// give the bits promised for offsets of -8 · scale.
void expectInt4WeightsMatchLoops(genc_context &context, Int4Kernel kernel) {
  const bool halfParameters = kernel.halfParameters;
  const int64_t sizes[][5] = {// batch, M, N, K, group
                              {1, 1, 1, 1, 32},
                              {1, 1, 768, 64, 32},
                              {1, 13, 45, 70, 32},
                              {1, 128, 100, 33, 64},
                              {3, 7, 50, 16, 32},
                              {1, 300, 70, 130, 64},
                              {1, 5, 64, 300, 128},
                              {1, 9, 40, 101, 33},
                              {1, 9, 40, 66, 33},
                              // tiles of 2 and 3 rows (their own accumulator chains)
                              {1, 2, 45, 70, 32},
                              {1, 10, 40, 101, 33},
                              {1, 11, 40, 67, 33},
                              // decode-sized: byte dot tiles of 1 to 4 rows,
                              // K and groups not multiples of their 4 k
                              {1, 3, 40, 101, 33},
                              {1, 7, 45, 70, 32},
                              {1, 1, 40, 67, 33},
                              {1, 6, 64, 300, 128},
                              {1, 2, 40, 99, 35}}; // groups ending 3 k past a step
  std::mt19937 gen(16);
  std::uniform_int_distribution<int> nibble(0, 15);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  // f16 values, and every eighth one a subnormal f16 (below 2^-14).
  int64_t drawn = 0;
  auto parameter = [&](std::mt19937 &gen) {
    float x = uniform(gen) * (halfParameters && ++drawn % 8 == 0 ? 1e-3f : 1.0f);
    return halfParameters ? static_cast<float>(static_cast<_Float16>(x)) : x;
  };
  for (const auto &[batch, m, n, k, group] : sizes) {
    SCOPED_TRACE("batch=" + std::to_string(batch) + " M=" + std::to_string(m) + " N=" +
                 std::to_string(n) + " K=" + std::to_string(k) + " group=" + std::to_string(group));
    int64_t panels = (n + 31) / 32, groups = (k + group - 1) / group;
    std::vector<uint8_t> q(panels * k * 16, 0);
    std::vector<float> scales(panels * groups * 32, 0.0f), offsets(scales.size(), 0.0f);
    std::vector<double> w(k * n);
    for (int64_t j = 0; j < n; ++j) {
      int64_t p = j / 32, column = j % 32;
      for (int64_t g = 0; g < groups; ++g) {
        int64_t at = (p * groups + g) * 32 + column;
        scales[at] = parameter(gen);
        offsets[at] = kernel.symmetric ? -8.0f * scales[at] : parameter(gen);
      }
      for (int64_t kk = 0; kk < k; ++kk) {
        int value = nibble(gen);
        q[(p * k + kk) * 16 + column % 16] |= static_cast<uint8_t>(value << (column < 16 ? 0 : 4));
        int64_t at = (p * groups + kk / group) * 32 + column;
        w[kk * n + j] = double(value) * scales[at] + offsets[at];
      }
    }
    std::vector<float> a = randomValues(batch * m * k, 17), c0 = randomValues(batch * m * n, 18);
    for (int64_t accumulate : {1, 0}) {
      SCOPED_TRACE("accumulate " + std::to_string(accumulate));
      std::vector<float> promise =
          int4Promise(a, q, scales, offsets, c0, batch * m, n, k, group, accumulate);
      for (int64_t r = 0; r < batch * m; ++r) {
        double largest = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          largest = std::max(largest, std::fabs(double(a[r * k + kk])));
        for (int64_t j = 0; j < n; ++j) {
          double sum = accumulate ? c0[r * n + j] : 0.0, weights = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            sum += double(a[r * k + kk]) * w[kk * n + j];
            weights += std::fabs(w[kk * n + j]);
          }
          // A's rounding, then f32's in the sums and scalings.
          ASSERT_NEAR(promise[r * n + j], sum, largest / 32767 / 2 * weights + 1e-5 * (k + 1))
              << "the promise itself, at " << r << ", " << j;
        }
      }
      std::vector<float> c = c0;
      std::vector<uint16_t> halfScales = halfBits(scales), halfOffsets = halfBits(offsets);
      Memref cm(c.data(), {batch, m, n}), am(a.data(), {batch, m, k}),
          bm(q.data(), {panels, k, 16}),
          sm(halfParameters ? static_cast<void *>(halfScales.data()) : scales.data(),
             {panels, groups, 32}),
          om(halfParameters ? static_cast<void *>(halfOffsets.data()) : offsets.data(),
             {panels, groups, 32});
      callInt4Kernel(context, kernel, &cm.ref, &am.ref, &bm.ref, sm, om, group, accumulate);
      for (size_t i = 0; i < c.size(); ++i)
        ASSERT_EQ(c[i], promise[i]) << "at element " << i;

      // C every other element of a wider buffer.
      std::vector<double> exact(promise.begin(), promise.end());
      expectStridedC(c0, exact, {batch, m, n}, 0.0, [&](genc_unranked_memref &wide) {
        callInt4Kernel(context, kernel, &wide, &am.ref, &bm.ref, sm, om, group, accumulate);
      });
    }
  }
  std::vector<float> c(4, 7.0f), a(1), parameters(32, 1.0f);
  std::vector<uint8_t> q(16);
  Memref cm(c.data(), {2, 2}), am(a.data(), {2, 0}), bm(q.data(), {1, 0, 16}),
      sm(parameters.data(), {1, 0, 32}), om(parameters.data(), {1, 0, 32});
  callInt4Kernel(context, kernel, &cm.ref, &am.ref, &bm.ref, sm, om, 32, 1);
  EXPECT_EQ(c, std::vector<float>(4, 7.0f));
  callInt4Kernel(context, kernel, &cm.ref, &am.ref, &bm.ref, sm, om, 32, 0);
  EXPECT_EQ(c, std::vector<float>(4, 0.0f));
}

/// Every f16 bit pattern as a scale and as an offset (zeros, subnormals,
/// the largest values, infinities, NaNs): the f16 kernel gives what the f32
/// kernel gives for the same values, bit for bit (NaN for NaN), so it
/// widens each exactly; so do the symmetric kernels, each pattern a scale
/// alone, and theirs are the bits of the kernel given f32 offsets of
/// -8 · scale. One row, K = 1, a column per pattern.
void expectEveryHalfWidensExactly(genc_context &context) {
  const int64_t n = 1 << 16, panels = n / 32;
  std::vector<uint16_t> bits(n);
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i) {
    bits[i] = static_cast<uint16_t>(i);
    values[i] = static_cast<float>(__builtin_bit_cast(_Float16, bits[i]));
  }
  // Codes of 3 for every column; the pattern is the scale of column i and
  // the offset of column n - 1 - i.
  std::vector<uint8_t> q(panels * 16, 0x33);
  std::vector<uint16_t> reversedBits(bits.rbegin(), bits.rend());
  std::vector<float> reversedValues(values.rbegin(), values.rend());
  std::vector<float> a = {0.75f}, half(n), full(n);
  Memref am(a.data(), {1, 1}), bm(q.data(), {panels, 1, 16}), hcm(half.data(), {1, n}),
      fcm(full.data(), {1, n}), hs(bits.data(), {panels, 1, 32}),
      ho(reversedBits.data(), {panels, 1, 32}), fs(values.data(), {panels, 1, 32}),
      fo(reversedValues.data(), {panels, 1, 32});
  auto expectSameBits = [&] {
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(full[i]))
        ASSERT_TRUE(std::isnan(half[i])) << "pattern " << i;
      else
        ASSERT_EQ(__builtin_bit_cast(uint32_t, half[i]), __builtin_bit_cast(uint32_t, full[i]))
            << "pattern " << i << " (" << values[i] << ")";
    }
  };
  for (bool symmetric : {false, true}) {
    SCOPED_TRACE(symmetric ? "symmetric" : "with offsets");
    callInt4Kernel(context, {true, symmetric}, &hcm.ref, &am.ref, &bm.ref, hs, ho, 32, 0);
    callInt4Kernel(context, {false, symmetric}, &fcm.ref, &am.ref, &bm.ref, fs, fo, 32, 0);
    ASSERT_NO_FATAL_FAILURE(expectSameBits());
  }
  // The symmetric f16 kernel gives what the kernel with offsets gives for
  // f32 offsets of -8 · each widened scale, however large (65504 · -8)
  // or infinite.
  std::vector<float> symmetricOffsets(n);
  for (int64_t i = 0; i < n; ++i)
    symmetricOffsets[i] = -8.0f * values[i];
  Memref so(symmetricOffsets.data(), {panels, 1, 32});
  callInt4Kernel(context, {false, false}, &fcm.ref, &am.ref, &bm.ref, fs, so, 32, 0);
  ASSERT_NO_FATAL_FAILURE(expectSameBits());
}

/// Every 4-bit kernel.
constexpr Int4Kernel kInt4Kernels[] = {{false, false}, {true, false}, {false, true}, {true, true}};

void expectEveryInt4KernelMatchesLoops(genc_context &context) {
  for (Int4Kernel kernel : kInt4Kernels) {
    SCOPED_TRACE(std::string(kernel.halfParameters ? "f16" : "f32") + " parameters" +
                 (kernel.symmetric ? ", symmetric" : ""));
    ASSERT_NO_FATAL_FAILURE(expectInt4WeightsMatchLoops(context, kernel));
  }
}

TEST_P(Matmul, Int4WeightsMatchLoops) { expectEveryInt4KernelMatchesLoops(context); }
TEST_P(Matmul, EveryHalfParameterWidensExactly) { expectEveryHalfWidensExactly(context); }

/// The 4-bit formats on VNNI's int16 dot products (vpdpwssd) where AVX512-
/// VBMI would give decode steps the byte dot products: the same bits.
TEST_P(Matmul, Int4WeightsMatchLoopsWithoutVBMI) {
  if (!genc::kernels::hasAVX512VNNI())
    GTEST_SKIP() << "this CPU has no AVX512-VNNI";
  genc::testing::InstructionSetsGuard guard;
  genc::kernels::useAVX512VBMIForTesting(false);
  ASSERT_FALSE(genc::kernels::hasAVX512VBMI());
  ASSERT_NO_FATAL_FAILURE(expectEveryInt4KernelMatchesLoops(context));
}

/// The integer formats on AVX512-BW alone (vpmaddwd and an add where
/// VNNI has vpdpwssd): the same bits as the loops' promise.
TEST_P(Matmul, IntegerWeightsMatchLoopsWithoutVNNI) {
  if (!genc::kernels::hasAVX512BW())
    GTEST_SKIP() << "this CPU has no AVX512-BW";
  genc::testing::InstructionSetsGuard guard;
  genc::kernels::useAVX512VNNIForTesting(false);
  ASSERT_FALSE(genc::kernels::hasAVX512VNNI());
  ASSERT_NO_FATAL_FAILURE(expectInt8WeightsMatchLoops(context));
  ASSERT_NO_FATAL_FAILURE(expectIntegerProductsAreExact(context));
  ASSERT_NO_FATAL_FAILURE(expectEveryInt4KernelMatchesLoops(context));
}

/// A guard made while AVX-512 is off puts back the bf16 and VNNI switches
/// as they were, not as the has* queries saw them then (off).
TEST(InstructionSetsGuard, PutsBackTheSwitchesAsTheyWere) {
  genc::testing::InstructionSetsGuard outer;
  const bool vnni = genc::kernels::hasAVX512VNNI(), bf16 = genc::kernels::hasAVX512BF16();
  genc::kernels::useAVX512ForTesting(false);
  { genc::testing::InstructionSetsGuard inner; }
  genc::kernels::useAVX512ForTesting(true);
  EXPECT_EQ(genc::kernels::hasAVX512VNNI(), vnni);
  EXPECT_EQ(genc::kernels::hasAVX512BF16(), bf16);
}

/// Every weight format without AVX-512 (the AVX2 tiles), and without AVX2
/// either (the scalar loops), whatever this CPU has.
TEST_P(Matmul, MatchesLoopsWithoutAVX512) {
  bool hadAVX2 = genc::testing::checkWithoutAVX512([&] {
    ASSERT_NO_FATAL_FAILURE(expectLoopsForAwkwardSizes(context));
    ASSERT_NO_FATAL_FAILURE(expectInt8WeightsMatchLoops(context));
    ASSERT_NO_FATAL_FAILURE(expectIntegerProductsAreExact(context));
    ASSERT_NO_FATAL_FAILURE(expectBF16WeightsMatchLoops(context));
    ASSERT_NO_FATAL_FAILURE(expectEveryInt4KernelMatchesLoops(context));
    expectEveryHalfWidensExactly(context);
  });
  if (!hadAVX2)
    GTEST_SKIP() << "this CPU has no AVX2: only the scalar loops were checked";
}

INSTANTIATE_TEST_SUITE_P(Threads, Matmul, ::testing::Values(1u, 2u, 3u));

} // namespace

/// More batch dims than the kernel's batch arrays hold (compiled code
/// keeps loops for such matmuls; genc-call-cpu-kernels): the kernel fails
/// the call with its check instead of writing past the arrays.
TEST(MatmulKernel, FailsTheCallOnTooManyBatchDims) {
  std::vector<int64_t> cSizes(GENC_MATMUL_MAX_BATCH_RANK + 1, 1), aSizes = cSizes;
  cSizes.insert(cSizes.end(), {2, 3});
  aSizes.insert(aSizes.end(), {2, 4});
  std::vector<float> a(8, 1.0f), b(12, 1.0f), c(6, 7.0f);
  Memref cm(c.data(), cSizes), am(a.data(), aSizes), bm(b.data(), {4, 3});
  genc_context context = {};
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/5, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_ROW_MAJOR, 0, nullptr);
  EXPECT_EQ(context.failed_check, 5);
  EXPECT_EQ(context.out_of_memory, 0);
  EXPECT_EQ(context.failed_index, GENC_MATMUL_MAX_BATCH_RANK + 3);
  ASSERT_NE(context.failed_reason, nullptr);
  EXPECT_NE(std::strstr(context.failed_reason, "at most 8 batch dims"), nullptr);
  for (float x : c)
    EXPECT_EQ(x, 7.0f);
  // Nobody to report to: the reason on stderr, then abort.
  EXPECT_DEATH(_mlir_ciface_genc_matmul_f32(nullptr, /*check=*/5, &cm.ref, &am.ref, &bm.ref,
                                            GENC_MATMUL_B_ROW_MAJOR, 0, nullptr),
               "genc kernels: internal error: a matmul kernel got C of rank 11");
}

/// Scratch memory the kernel cannot get (A rounded to 16-bit integers: 2
/// bytes per value of 2^46 rows, each row the same one: 2^49 bytes, more
/// than the address space) fails the call as out of memory, with the
/// bytes; nothing is written.
TEST(MatmulKernel, FailsTheCallWhenItsScratchCannotBeAllocated) {
  const int64_t rows = int64_t(1) << 46, k = 4;
  std::vector<float> a(k, 1.0f), c(1, 7.0f), scales(32, 1.0f);
  std::vector<int8_t> weights(2 * 32 * 2, 1);
  Memref am(a.data(), {rows, k}, {0, 1}), cm(c.data(), {rows, 1}, {0, 1}),
      wm(weights.data(), {1, 2, 32, 2}), sm(scales.data(), {1, 32});
  genc_context context = {};
  _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/9, &cm.ref, &am.ref, &wm.ref, &sm.ref, 0,
                                  nullptr);
  EXPECT_EQ(context.failed_check, 9);
  EXPECT_EQ(context.out_of_memory, 9);
  EXPECT_EQ(context.failed_index, rows * k * 2);
  ASSERT_NE(context.failed_reason, nullptr);
  EXPECT_NE(std::strstr(context.failed_reason, "could not allocate {index} bytes"), nullptr);
  EXPECT_EQ(c[0], 7.0f);
}

/// 4-bit weights whose parameters do not fit the weights (the layout of
/// another N), or a group past the longest whose sums stay exact: every
/// entry point fails the call with its check and writes nothing.
TEST(MatmulKernel, FailsA4BitCallWhoseWeightsDoNotFit) {
  std::vector<float> a(64, 1.0f), c(32, 7.0f), parameters(2 * 32, 1.0f);
  std::vector<uint8_t> nibbles(64 * 16, 0x11);
  Memref cm(c.data(), {1, 32}), am(a.data(), {1, 64}), bm(nibbles.data(), {1, 64, 16}),
      narrow(parameters.data(), {1, 1, 32}), fits(parameters.data(), {1, 2, 32});
  for (Int4Kernel kernel : kInt4Kernels) {
    SCOPED_TRACE(std::string(kernel.halfParameters ? "f16" : "f32") + " parameters" +
                 (kernel.symmetric ? ", symmetric" : ""));
    genc_context context = {};
    // Groups of 32 over K = 64 need [1, 2, 32] parameters.
    callInt4Kernel(context, kernel, &cm.ref, &am.ref, &bm.ref, narrow, narrow, 32, 0);
    EXPECT_EQ(context.failed_check, 1);
    ASSERT_NE(context.failed_reason, nullptr);
    EXPECT_NE(std::strstr(context.failed_reason, "weights, scales or offsets do not fit"), nullptr);
    context = {};
    callInt4Kernel(context, kernel, &cm.ref, &am.ref, &bm.ref, fits, fits, 8192, 0);
    EXPECT_EQ(context.failed_check, 1);
    EXPECT_EQ(context.failed_index, 8192);
    ASSERT_NE(context.failed_reason, nullptr);
    EXPECT_NE(std::strstr(context.failed_reason, "got a group of {index} rows"), nullptr);
    for (float x : c)
      EXPECT_EQ(x, 7.0f);
  }
}

/// After a failed check of the call, the kernels compute nothing: the
/// sizes the check left need not fit (here 9 batch dims, and int8 weights
/// of another K), and the caller discards the results.
TEST(MatmulAfterAFailedCheck, ComputesNothing) {
  genc_context context = {};
  context.failed_check = 1;
  std::vector<int64_t> cSizes(GENC_MATMUL_MAX_BATCH_RANK + 1, 1), aSizes = cSizes;
  cSizes.insert(cSizes.end(), {2, 3});
  aSizes.insert(aSizes.end(), {2, 4});
  std::vector<float> a(8, 1.0f), b(12, 1.0f), c(6, 7.0f), scales(32, 1.0f);
  Memref cm(c.data(), cSizes), am(a.data(), aSizes), bm(b.data(), {4, 3});
  _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                               GENC_MATMUL_B_ROW_MAJOR, 0, nullptr);
  std::vector<int8_t> weights(2 * 32 * 2, 1);
  Memref c2(c.data(), {2, 3}), a2(a.data(), {2, 4}), wm(weights.data(), {1, 2, 32, 2}),
      sm(scales.data(), {1, 32});
  _mlir_ciface_genc_matmul_f32_i8(&context, /*check=*/1, &c2.ref, &a2.ref, &wm.ref, &sm.ref, 0,
                                  nullptr);
  for (float x : c)
    EXPECT_EQ(x, 7.0f);
}
