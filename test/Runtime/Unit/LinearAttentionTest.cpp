//===- LinearAttentionTest.cpp - genc_linear_attention_f32 by definition --===//

#include "KernelTestSupport.h"
#include "genc/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

using genc::testing::failAfterFirstTask;
using genc::testing::Memref;
using genc::testing::randomValues;

struct Case {
  int64_t batch, heads, kvHeads, sq, skv, d, dv;
  bool causal;
  int64_t features; // FAVOR+'s M; 0: elu + 1
  enum { None, PerKey, PerQuery } mask = None;
};

/// φ of one row, in double: elu + 1, or FAVOR+'s exp(ωᵀx' - |x'|²/2)/√M.
std::vector<double> phi(const Case &c, const float *x, const std::vector<float> &omega,
                        float scale) {
  if (c.features == 0) {
    std::vector<double> out(c.d);
    for (int64_t i = 0; i < c.d; ++i)
      out[i] = x[i] > 0 ? x[i] + 1.0 : std::exp(double(x[i]));
    return out;
  }
  double root = std::sqrt(double(scale)), norm = 0;
  for (int64_t i = 0; i < c.d; ++i)
    norm += x[i] * root * x[i] * root;
  std::vector<double> out(c.features);
  for (int64_t f = 0; f < c.features; ++f) {
    double dot = 0;
    for (int64_t i = 0; i < c.d; ++i)
      dot += omega[i * c.features + f] * x[i] * root;
    out[f] = std::exp(dot - norm / 2) / std::sqrt(double(c.features));
  }
  return out;
}

/// The definition: Σ_j w_ij v_j / Σ_j w_ij, w_ij = φ(q_i)·φ(k_j), over
/// keys within the causal limit that the mask does not hide.
std::vector<double> reference(const Case &c, const std::vector<float> &q,
                              const std::vector<float> &k, const std::vector<float> &v,
                              const std::vector<float> &mask, const std::vector<float> &omega,
                              float scale) {
  std::vector<double> out(c.batch * c.heads * c.sq * c.dv);
  int64_t offset = c.skv - c.sq, group = c.heads / c.kvHeads;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i) {
        std::vector<double> fq = phi(c, &q[((b * c.heads + h) * c.sq + i) * c.d], omega, scale);
        std::vector<double> numerator(c.dv, 0.0);
        double denominator = 0;
        for (int64_t j = 0; j < c.skv; ++j) {
          if (c.causal && j > i + offset)
            continue;
          if (c.mask == Case::PerKey && mask[b * c.skv + j] < -1e30f)
            continue;
          if (c.mask == Case::PerQuery && mask[(b * c.sq + i) * c.skv + j] < -1e30f)
            continue;
          int64_t row = (b * c.kvHeads + h / group) * c.skv + j;
          std::vector<double> fk = phi(c, &k[row * c.d], omega, scale);
          double w = 0;
          for (size_t f = 0; f < fk.size(); ++f)
            w += fq[f] * fk[f];
          for (int64_t e = 0; e < c.dv; ++e)
            numerator[e] += w * v[row * c.dv + e];
          denominator += w;
        }
        for (int64_t e = 0; e < c.dv; ++e)
          out[((b * c.heads + h) * c.sq + i) * c.dv + e] = numerator[e] / denominator;
      }
  return out;
}

class LinearAttention : public genc::testing::OnThreadPool {};

/// Both forms (and the kernel's own choice) against the definition: elu +
/// 1 and FAVOR+, prefill and decode shapes, a past, GQA/MQA, a padding
/// mask per key and one per query, bidirectional, head sizes off the
/// vector width. Keys are large enough that FAVOR+'s exponents need their
/// shift.
TEST_P(LinearAttention, BothFormsMatchTheDefinition) {
  const Case cases[] = {
      {1, 4, 4, 1, 1, 16, 16, true, 0},                  // first decode step
      {2, 8, 2, 37, 37, 32, 32, true, 0, Case::PerKey},  // GQA prefill, padding
      {1, 4, 1, 1, 300, 24, 40, true, 0, Case::PerKey},  // MQA decode, long past
      {1, 2, 2, 19, 150, 20, 33, true, 64},              // FAVOR+ with a past
      {2, 4, 2, 64, 64, 16, 16, true, 32, Case::PerKey}, // FAVOR+ prefill
      {1, 2, 2, 9, 70, 8, 8, false, 0, Case::PerQuery},  // bidirectional, 2-D mask
      {1, 2, 1, 12, 40, 16, 16, true, 48, Case::PerQuery},
  };
  for (const Case &c : cases) {
    for (int64_t form : {GENC_LINEAR_ATTENTION_ANY_FORM, GENC_LINEAR_ATTENTION_RECURRENT,
                         GENC_LINEAR_ATTENTION_DIRECT}) {
      SCOPED_TRACE("form " + std::to_string(form) + " H=" + std::to_string(c.heads) + "/" +
                   std::to_string(c.kvHeads) + " Sq=" + std::to_string(c.sq) +
                   " Skv=" + std::to_string(c.skv) + " M=" + std::to_string(c.features));
      std::vector<float> q = randomValues(c.batch * c.heads * c.sq * c.d, 1);
      std::vector<float> k = randomValues(c.batch * c.kvHeads * c.skv * c.d, 2);
      std::vector<float> v = randomValues(c.batch * c.kvHeads * c.skv * c.dv, 3);
      for (float &x : k)
        x *= 6; // FAVOR+ exponents up to about ±30
      std::vector<float> omega = randomValues(std::max<int64_t>(c.d * c.features, 1), 4);
      for (float &x : omega)
        x *= 1.7f; // about unit variance
      int64_t maskRows = c.mask == Case::PerQuery ? c.sq : 1;
      std::vector<float> mask(c.batch * maskRows * c.skv, 0.0f);
      for (size_t j = 1; j < mask.size(); j += 3) // every third key hidden somewhere
        mask[j] = j % 2 ? -INFINITY : -3.4e38f;
      std::vector<float> out(c.batch * c.heads * c.sq * c.dv, NAN);
      const float scale = 1.0f / std::sqrt(float(c.d));
      Memref om(out.data(), {c.batch, c.heads, c.sq, c.dv}),
          qm(q.data(), {c.batch, c.heads, c.sq, c.d}),
          km(k.data(), {c.batch, c.kvHeads, c.skv, c.d}),
          vm(v.data(), {c.batch, c.kvHeads, c.skv, c.dv}),
          mm(mask.data(), {c.batch, 1, maskRows, c.skv}),
          fm(omega.data(), {c.d, std::max<int64_t>(c.features, 1)});
      _mlir_ciface_genc_linear_attention_f32(
          &context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref, &mm.ref, c.mask != Case::None,
          &fm.ref, c.features > 0, scale, c.causal, c.skv - c.sq, form, -1);
      std::vector<double> want = reference(c, q, k, v, mask, omega, scale);
      for (size_t i = 0; i < out.size(); ++i) {
        if (std::isnan(want[i])) // a query that sees no key: 0/0, as softmax
          ASSERT_TRUE(std::isnan(out[i])) << "at element " << i;
        else
          ASSERT_NEAR(out[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << "at element " << i;
      }
    }
  }
}

/// The recurrent form over a prefill equals decode steps one token at a
/// time over the growing cache (the direct form), within 1e-4.
TEST_P(LinearAttention, PrefillEqualsDecodeSteps) {
  const int64_t heads = 4, s = 96, d = 32;
  for (int64_t features : {0, 64}) {
    std::vector<float> q = randomValues(heads * s * d, 5), k = randomValues(heads * s * d, 6),
                       v = randomValues(heads * s * d, 7), omega = randomValues(d * 64, 8);
    const float scale = 1.0f / std::sqrt(float(d));
    std::vector<float> prefill(heads * s * d), step(heads * d);
    Memref om(prefill.data(), {1, heads, s, d}), qm(q.data(), {1, heads, s, d}),
        km(k.data(), {1, heads, s, d}), vm(v.data(), {1, heads, s, d}), fm(omega.data(), {d, 64});
    _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref,
                                           &vm.ref, &om.ref, 0, &fm.ref, features > 0, scale, 1, 0,
                                           GENC_LINEAR_ATTENTION_RECURRENT, -1);
    for (int64_t i = 0; i < s; ++i) {
      // Query i alone over keys [0, i]: strided views of the same buffers.
      const std::vector<int64_t> strides = {heads * s * d, s * d, d, 1};
      Memref sm(step.data(), {1, heads, 1, d}), qi(q.data(), {1, heads, 1, d}, strides, i * d),
          ki(k.data(), {1, heads, i + 1, d}, strides), vi(v.data(), {1, heads, i + 1, d}, strides);
      _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &sm.ref, &qi.ref, &ki.ref,
                                             &vi.ref, &sm.ref, 0, &fm.ref, features > 0, scale, 1,
                                             i, GENC_LINEAR_ATTENTION_DIRECT, -1);
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t e = 0; e < d; ++e)
          ASSERT_NEAR(step[h * d + e], prefill[(h * s + i) * d + e], 1e-4)
              << "features " << features << " position " << i << " head " << h;
    }
  }
}

/// With a session's state, a prefill and then single steps (each adding
/// one key to the kept sums) equal one stateless prefill of the whole
/// sequence, for two rows; a row whose state holds other positions (a
/// rollback) is rebuilt from the keys.
TEST_P(LinearAttention, StateKeptBetweenCallsEqualsOnePrefill) {
  const int64_t rows = 2, heads = 4, kvHeads = 2, s = 40, d = 16, prompt = 11;
  for (int64_t features : {0, 32}) {
    std::vector<float> q = randomValues(rows * heads * s * d, 21),
                       k = randomValues(rows * kvHeads * s * d, 22),
                       v = randomValues(rows * kvHeads * s * d, 23),
                       omega = randomValues(d * 32, 24);
    for (float &x : k)
      x *= 4;
    const float scale = 1.0f / std::sqrt(float(d));
    const std::vector<int64_t> qStrides = {heads * s * d, s * d, d, 1},
                               kStrides = {kvHeads * s * d, s * d, d, 1};
    Memref fm(omega.data(), {d, 32});
    std::vector<float> whole(rows * heads * s * d);
    Memref wm(whole.data(), {rows, heads, s, d}), qm(q.data(), {rows, heads, s, d}),
        km(k.data(), {rows, kvHeads, s, d}), vm(v.data(), {rows, kvHeads, s, d});
    _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &wm.ref, &qm.ref, &km.ref,
                                           &vm.ref, &wm.ref, 0, &fm.ref, features > 0, scale, 1, 0,
                                           GENC_LINEAR_ATTENTION_DIRECT, -1);
    const int64_t perRow =
        GENC_LINEAR_ATTENTION_STATE_FLOATS(kvHeads, std::max<int64_t>(features, d), d);
    std::vector<float> data(rows * perRow, NAN);
    std::vector<int64_t> positions(rows, -1), folded(rows, -1);
    genc_attention_state state{data.data(), positions.data(), folded.data(), perRow, rows};
    genc_context withState = context;
    withState.attention_states = &state;
    withState.attention_state_count = 1;
    // Calls over [begin, end): the prompt, single steps, then a step after
    // rolling row 1 back (its positions no longer match).
    auto run = [&](int64_t begin, int64_t end) {
      std::vector<float> out(rows * heads * (end - begin) * d);
      Memref om(out.data(), {rows, heads, end - begin, d}),
          qi(q.data(), {rows, heads, end - begin, d}, qStrides, begin * d),
          ki(k.data(), {rows, kvHeads, end, d}, kStrides),
          vi(v.data(), {rows, kvHeads, end, d}, kStrides);
      _mlir_ciface_genc_linear_attention_f32(&withState, /*check=*/1, &om.ref, &qi.ref, &ki.ref,
                                             &vi.ref, &om.ref, 0, &fm.ref, features > 0, scale, 1,
                                             begin, GENC_LINEAR_ATTENTION_ANY_FORM, 0);
      EXPECT_EQ(positions[0], end);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = begin; i < end; ++i)
            for (int64_t e = 0; e < d; ++e)
              ASSERT_NEAR(out[((r * heads + h) * (end - begin) + i - begin) * d + e],
                          whole[((r * heads + h) * s + i) * d + e], 1e-4)
                  << "features " << features << " row " << r << " position " << i;
    };
    run(0, prompt);
    for (int64_t i = prompt; i < 30; ++i)
      run(i, i + 1);
    positions[1] = 17; // as after a rollback: row 1 is rebuilt
    run(30, 31);
    positions[0] = 999; // stale sums are not trusted either
    for (int64_t i = 31; i < s; ++i)
      run(i, i + 1);
    // A call with a mask per query cannot keep the sums: they no longer
    // match, and the next call rebuilds them.
    std::vector<float> mask(rows * 2 * s, 0.0f), out(rows * heads * 2 * d);
    Memref om(out.data(), {rows, heads, 2, d}), qi(q.data(), {rows, heads, 2, d}, qStrides),
        mm(mask.data(), {rows, 1, 2, s});
    _mlir_ciface_genc_linear_attention_f32(&withState, /*check=*/1, &om.ref, &qi.ref, &km.ref,
                                           &vm.ref, &mm.ref, 1, &fm.ref, features > 0, scale, 1,
                                           s - 2, GENC_LINEAR_ATTENTION_ANY_FORM, 0);
    EXPECT_EQ(positions[0], -1);
    EXPECT_EQ(positions[1], -1);
  }
}

/// A call that fails part-way leaves some rows' sums with its keys and
/// others without: no row's state may claim positions then, and the same
/// call made again computes what one prefill does.
TEST(LinearAttentionState, AFailedCallLeavesNoSumsTrusted) {
  const int64_t rows = 2, heads = 2, kvHeads = 1, s = 100, d = 8, prompt = 80;
  std::vector<float> q = randomValues(rows * heads * s * d, 31),
                     k = randomValues(rows * kvHeads * s * d, 32),
                     v = randomValues(rows * kvHeads * s * d, 33);
  const float scale = 1.0f / std::sqrt(float(d));
  const std::vector<int64_t> qStrides = {heads * s * d, s * d, d, 1},
                             kStrides = {kvHeads * s * d, s * d, d, 1};
  std::vector<float> whole(rows * heads * s * d), noFeatures(1);
  Memref wm(whole.data(), {rows, heads, s, d}), qm(q.data(), {rows, heads, s, d}),
      km(k.data(), {rows, kvHeads, s, d}), vm(v.data(), {rows, kvHeads, s, d}),
      fm(noFeatures.data(), {1, 1});
  genc_context plain{};
  _mlir_ciface_genc_linear_attention_f32(&plain, /*check=*/1, &wm.ref, &qm.ref, &km.ref, &vm.ref,
                                         &wm.ref, 0, &fm.ref, 0, scale, 1, 0,
                                         GENC_LINEAR_ATTENTION_DIRECT, -1);
  const int64_t perRow = GENC_LINEAR_ATTENTION_STATE_FLOATS(kvHeads, d, d);
  std::vector<float> data(rows * perRow, NAN);
  std::vector<int64_t> positions(rows, -1), folded(rows, -1);
  genc_attention_state state{data.data(), positions.data(), folded.data(), perRow, rows};
  // The call over positions [begin, end) with `context`: its outputs.
  auto run = [&](genc_context context, int64_t begin, int64_t end) {
    context.attention_states = &state;
    context.attention_state_count = 1;
    if (context.parallel_for == failAfterFirstTask)
      context.pool = &context;
    std::vector<float> out(rows * heads * (end - begin) * d, NAN);
    Memref om(out.data(), {rows, heads, end - begin, d}),
        qi(q.data(), {rows, heads, end - begin, d}, qStrides, begin * d),
        ki(k.data(), {rows, kvHeads, end, d}, kStrides),
        vi(v.data(), {rows, kvHeads, end, d}, kStrides);
    _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &om.ref, &qi.ref, &ki.ref,
                                           &vi.ref, &om.ref, 0, &fm.ref, 0, scale, 1, begin,
                                           GENC_LINEAR_ATTENTION_ANY_FORM, 0);
    EXPECT_EQ(context.failed_check != 0, context.parallel_for == failAfterFirstTask);
    return out;
  };
  run(plain, 0, prompt);
  ASSERT_EQ(positions, std::vector<int64_t>(rows, prompt));
  genc_context failing{};
  failing.parallel_for = failAfterFirstTask;
  run(failing, prompt, prompt + 3);
  EXPECT_EQ(positions, std::vector<int64_t>(rows, -1)) << "half-built sums are trusted";
  // It folded what the rows had kept before it failed, and the folded
  // sums are what it says.
  EXPECT_EQ(folded, std::vector<int64_t>(rows, prompt - GENC_SLIDING_CACHE_ROLLBACK));
  std::vector<float> again = run(plain, prompt, prompt + 3);
  EXPECT_EQ(positions, std::vector<int64_t>(rows, prompt + 3));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = prompt; i < prompt + 3; ++i)
        for (int64_t e = 0; e < d; ++e)
          ASSERT_NEAR(again[((r * heads + h) * 3 + i - prompt) * d + e],
                      whole[((r * heads + h) * s + i) * d + e], 1e-5)
              << "row " << r << " position " << i;
}

/// A call first folds all but the last GENC_SLIDING_CACHE_ROLLBACK
/// positions before it: a call after fewer positions (a rollback) starts
/// again from the folded sums and gives, bit for bit, what it gave the
/// first time, reading only the keys after them, so a caller may drop the
/// cache rows before them. A call before what they folded starts again
/// from every key.
TEST(LinearAttentionState, RollbackStartsFromTheFoldedSums) {
  const int64_t heads = 2, kvHeads = 1, s = 200, d = 8, prompt = 100, rewind = 150;
  static_assert(s - rewind < GENC_SLIDING_CACHE_ROLLBACK);
  for (int64_t features : {0, 16}) {
    std::vector<float> q = randomValues(heads * s * d, 41), k = randomValues(kvHeads * s * d, 42),
                       v = randomValues(kvHeads * s * d, 43), omega = randomValues(d * 16, 44);
    const float scale = 1.0f / std::sqrt(float(d));
    Memref fm(omega.data(), {d, 16});
    const int64_t perRow =
        GENC_LINEAR_ATTENTION_STATE_FLOATS(kvHeads, std::max<int64_t>(features, d), d);
    std::vector<float> data(perRow, NAN);
    std::vector<int64_t> positions(1, -1), folded(1, -1);
    genc_attention_state state{data.data(), positions.data(), folded.data(), perRow, 1};
    genc_context withState{};
    withState.attention_states = &state;
    withState.attention_state_count = 1;
    // Queries [begin, end) over the keys [dropped, end), in cache rows from
    // 0: the state counts positions from the first row given.
    auto run = [&](int64_t begin, int64_t end, int64_t dropped) {
      std::vector<float> out(heads * (end - begin) * d);
      Memref om(out.data(), {1, heads, end - begin, d}),
          qi(q.data(), {1, heads, end - begin, d}, {heads * s * d, s * d, d, 1}, begin * d),
          ki(k.data(), {1, kvHeads, end - dropped, d}, {kvHeads * s * d, s * d, d, 1}, dropped * d),
          vi(v.data(), {1, kvHeads, end - dropped, d}, {kvHeads * s * d, s * d, d, 1}, dropped * d);
      withState.failed_check = 0;
      _mlir_ciface_genc_linear_attention_f32(&withState, /*check=*/1, &om.ref, &qi.ref, &ki.ref,
                                             &vi.ref, &om.ref, 0, &fm.ref, features > 0, scale, 1,
                                             begin - dropped, GENC_LINEAR_ATTENTION_ANY_FORM, 0);
      return out;
    };
    run(0, prompt, 0);
    EXPECT_EQ(folded[0], 0);
    std::vector<std::vector<float>> steps;
    for (int64_t i = prompt; i < s; ++i)
      steps.push_back(run(i, i + 1, 0));
    EXPECT_EQ(positions[0], s);
    EXPECT_EQ(folded[0], s - 1 - GENC_SLIDING_CACHE_ROLLBACK);
    // Roll back to `rewind`, the rows before what was folded dropped (as
    // a session slides the cache).
    const int64_t dropped = folded[0];
    positions[0] -= dropped;
    folded[0] = 0;
    for (int64_t i = rewind; i < s; ++i)
      ASSERT_EQ(run(i, i + 1, dropped), steps[i - prompt])
          << "features " << features << " position " << i;
    EXPECT_EQ(withState.failed_check, 0);
    // Before what the sums folded (every row given again): from the first
    // key again.
    positions[0] += dropped;
    folded[0] += dropped;
    run(0, prompt, 0);
    EXPECT_EQ(withState.failed_check, 0);
    EXPECT_EQ(positions[0], prompt);
    EXPECT_EQ(folded[0], 0);
    EXPECT_EQ(run(prompt, prompt + 1, 0), steps[0]);
  }
}

/// FAVOR+ estimates softmax attention: on scores of moderate size, the
/// error falls as the features grow (orthogonal Gaussian ω, each of
/// length distributed as a Gaussian vector's), down to a few percent of
/// the values' spread at 4,096 features.
TEST_P(LinearAttention, PerformerApproachesSoftmax) {
  const int64_t s = 48, d = 16;
  std::vector<float> q = randomValues(s * d, 9), k = randomValues(s * d, 10),
                     v = randomValues(s * d, 11);
  const float scale = 1.0f / std::sqrt(float(d));
  // Causal softmax(q·kᵀ·scale)·v in double.
  std::vector<double> softmax(s * d, 0.0);
  for (int64_t i = 0; i < s; ++i) {
    std::vector<double> w(i + 1);
    double sum = 0;
    for (int64_t j = 0; j <= i; ++j) {
      double dot = 0;
      for (int64_t x = 0; x < d; ++x)
        dot += double(q[i * d + x]) * k[j * d + x];
      sum += w[j] = std::exp(dot * scale);
    }
    for (int64_t j = 0; j <= i; ++j)
      for (int64_t e = 0; e < d; ++e)
        softmax[i * d + e] += w[j] / sum * v[j * d + e];
  }
  auto meanError = [&](int64_t features) {
    // ω: Gaussian columns (plain, not orthogonal: the kernel takes any ω).
    std::mt19937 gen(12);
    std::normal_distribution<float> normal;
    std::vector<float> omega(d * features), out(s * d);
    for (float &x : omega)
      x = normal(gen);
    Memref om(out.data(), {1, 1, s, d}), qm(q.data(), {1, 1, s, d}), km(k.data(), {1, 1, s, d}),
        vm(v.data(), {1, 1, s, d}), fm(omega.data(), {d, features});
    _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref,
                                           &vm.ref, &om.ref, 0, &fm.ref, 1, scale, 1, 0,
                                           GENC_LINEAR_ATTENTION_ANY_FORM, -1);
    double error = 0;
    for (int64_t i = 0; i < s * d; ++i)
      error += std::abs(out[i] - softmax[i]);
    return error / (s * d);
  };
  double few = meanError(16), many = meanError(4096);
  EXPECT_LT(many, few / 4);
  EXPECT_LT(many, 0.03); // values are uniform in [-1, 1]
}

INSTANTIATE_TEST_SUITE_P(Threads, LinearAttention, ::testing::Values(1u, 3u));

} // namespace
