//===- AttentionTest.cpp - genc_attention_f32 against masked dense softmax -===//

#include "KernelTestSupport.h"
#include "ThreadPool.h"
#include "genc/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using genc::testing::Memref;
using genc::testing::randomValues;

struct Case {
  int64_t batch, heads, kvHeads, sq, skv, d, dv;
  bool causal, mask;
  int64_t window;
  float softcap;
  int64_t sinks = 0, globalTokens = 0;
  bool maskAfterSoftcap = false;
  int64_t block = 0, randomBlocks = 0, seed = 0;
  /// Keys [0, hiddenPrefix) of item 0 are padding too (a left-padded row).
  int64_t hiddenPrefix = 0;
};

/// BigBird: whether query position `position` sees key j, from the
/// definition (global keys or queries, neighbouring blocks, drawn blocks).
bool bigBirdSees(const Case &c, int64_t position, int64_t j) {
  if (position < c.globalTokens || j < c.globalTokens)
    return true;
  int64_t queryBlock = position / c.block, keyBlock = j / c.block;
  if (std::abs(keyBlock - queryBlock) <= 1)
    return true;
  int64_t drawn[GENC_ATTENTION_MAX_RANDOM_BLOCKS];
  int64_t n = genc_bigbird_random_blocks(c.seed, queryBlock, c.globalTokens / c.block,
                                         c.causal ? queryBlock : (c.skv + c.block - 1) / c.block,
                                         c.randomBlocks, drawn);
  return std::find(drawn, drawn + n, keyBlock) != drawn + n;
}

/// The definition: scores for every key, masked to -inf, one softmax, the
/// weighted sum of values. K is read from a [B, Hkv, capacity, D] buffer
/// (a session cache's prefix), the mask is [B, 1, 1, Skv].
std::vector<double> reference(const Case &c, const std::vector<float> &q,
                              const std::vector<float> &k, const std::vector<float> &v,
                              int64_t capacity, const std::vector<float> &mask, float scale) {
  std::vector<double> out(c.batch * c.heads * c.sq * c.dv);
  int64_t offset = c.skv - c.sq, group = c.heads / c.kvHeads;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i) {
        std::vector<double> s(c.skv);
        double max = -INFINITY;
        for (int64_t j = 0; j < c.skv; ++j) {
          double dot = 0;
          for (int64_t x = 0; x < c.d; ++x)
            dot += double(q[((b * c.heads + h) * c.sq + i) * c.d + x]) *
                   k[((b * c.kvHeads + h / group) * capacity + j) * c.d + x];
          double added = c.mask ? mask[b * c.skv + j] : 0.0;
          s[j] = dot * scale + (c.maskAfterSoftcap ? 0.0 : added);
          if (c.softcap > 0)
            s[j] = c.softcap * std::tanh(s[j] / c.softcap);
          s[j] += c.maskAfterSoftcap ? added : 0.0;
          // Query position i + offset; keys before the sinks or global
          // positions escape the window, and so do global queries.
          bool outsideWindow = c.window > 0 && j <= i + offset - c.window && j >= c.sinks &&
                               j >= c.globalTokens && i + offset >= c.globalTokens;
          if (c.block > 0)
            outsideWindow = !bigBirdSees(c, i + offset, j);
          if ((c.causal && j > i + offset) || outsideWindow)
            s[j] = -INFINITY;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        for (double &x : s)
          sum += x = std::exp(x - max);
        for (int64_t e = 0; e < c.dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < c.skv; ++j)
            acc += s[j] / sum * v[((b * c.kvHeads + h / group) * c.skv + j) * c.dv + e];
          out[((b * c.heads + h) * c.sq + i) * c.dv + e] = acc;
        }
      }
  return out;
}

class Attention : public genc::testing::OnThreadPool {};

/// Prefill and decode shapes, MHA/GQA/MQA, key tiles cut mid-way, head
/// sizes off the vector width, causal with a past, a sliding window (with
/// sinks, with global tokens), a padding mask with fully hidden keys,
/// softcapping (the mask added before it, ONNX's order, or after it),
/// decode steps whose keys are split into spans.
void expectMaskedDenseSoftmax(genc_context &context) {
  const Case cases[] = {
      {1, 4, 4, 1, 1, 16, 16, true, false, -1, 0},                // first decode step
      {2, 8, 2, 7, 7, 64, 64, true, true, -1, 0},                 // GQA prefill
      {1, 8, 1, 1, 300, 48, 40, true, true, -1, 0},               // MQA decode, long past
      {1, 4, 2, 19, 150, 20, 33, true, false, 32, 0},             // window with a past
      {2, 2, 2, 9, 70, 8, 8, false, true, -1, 5.0f},              // bidirectional, softcap
      {1, 2, 1, 130, 130, 128, 128, true, false, 64, 0},          // window over several tiles
      {1, 2, 2, 200, 200, 16, 16, true, false, 40, 0, 4},         // sinks + window, prefill
      {2, 4, 2, 1, 300, 32, 32, true, true, 50, 0, 70},           // sinks past a tile, decode
      {1, 2, 2, 20, 180, 24, 24, true, false, 30, 0, 0, 3},       // global + window, with a past
      {1, 2, 1, 150, 150, 16, 16, false, false, 20, 0, 2, 40},    // bidirectional, global rows
      {2, 4, 2, 6, 90, 16, 16, true, true, -1, 5.0f, 0, 0, true}, // softcap, then mask (Gemma 2)
      // BigBird: prefill over many blocks; blocks off the row blocks (24);
      // a past not block-aligned; a decode step; bidirectional; no globals.
      {1, 4, 2, 256, 256, 16, 16, true, false, -1, 0, 0, 32, false, 16, 3, 7},
      {2, 2, 1, 150, 150, 24, 24, true, true, -1, 0, 0, 48, false, 24, 2, 1},
      {1, 2, 2, 37, 211, 16, 16, true, false, -1, 0, 0, 20, false, 10, 4, 3},
      {1, 4, 1, 1, 700, 32, 32, true, true, -1, 0, 0, 64, false, 64, 3, 5},
      {1, 2, 2, 120, 120, 16, 16, false, false, -1, 0, 0, 16, false, 8, 2, 9},
      {1, 2, 2, 90, 90, 16, 16, true, false, -1, 0, 0, 0, false, 8, 1, 2},
      // Few (batch, head) pairs over long contexts: these split their
      // keys into spans merged after (flash-decoding): a decode
      // step of GQA with a padding mask; MHA with a mask added after the
      // softcap; a window with sinks (the spans cut the visible keys, not
      // the context); three rows of a verification step, causal.
      {1, 2, 1, 1, 1500, 64, 64, true, true, -1, 0},
      {1, 1, 1, 1, 700, 32, 40, true, true, -1, 5.0f, 0, 0, true},
      {1, 2, 2, 1, 2000, 16, 16, true, false, 600, 0, 100},
      {1, 2, 2, 3, 1200, 48, 48, true, true, -1, 0},
      // Spans that see no key (900 keys of left padding) beside spans that
      // do.
      {1, 1, 1, 1, 1500, 16, 16, true, true, -1, 0, 0, 0, false, 0, 0, 0, 900},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE("B=" + std::to_string(c.batch) + " H=" + std::to_string(c.heads) + "/" +
                 std::to_string(c.kvHeads) + " Sq=" + std::to_string(c.sq) +
                 " Skv=" + std::to_string(c.skv) + " D=" + std::to_string(c.d));
    const int64_t capacity = c.skv + 5; // K is a prefix of a larger buffer
    std::vector<float> q = randomValues(c.batch * c.heads * c.sq * c.d, 1);
    std::vector<float> k = randomValues(c.batch * c.kvHeads * capacity * c.d, 2);
    std::vector<float> v = randomValues(c.batch * c.kvHeads * c.skv * c.dv, 3);
    std::vector<float> mask(c.batch * c.skv, 0.0f);
    for (int64_t j = 1; j < c.skv; j += 3) // every third key of item 0 is padding
      mask[j] = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < c.hiddenPrefix; ++j)
      mask[j] = -std::numeric_limits<float>::infinity();
    std::vector<float> out(c.batch * c.heads * c.sq * c.dv, NAN);
    const float scale = 1.0f / std::sqrt(float(c.d));
    Memref om(out.data(), {c.batch, c.heads, c.sq, c.dv}), qm(q.data(), {c.batch, c.heads, c.sq, c.d}),
        km(k.data(), {c.batch, c.kvHeads, c.skv, c.d},
           {c.kvHeads * capacity * c.d, capacity * c.d, c.d, 1}),
        vm(v.data(), {c.batch, c.kvHeads, c.skv, c.dv}), mm(mask.data(), {c.batch, 1, 1, c.skv});
    _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                    &mm.ref, c.mask, scale, c.causal, c.window, c.softcap,
                                    c.skv - c.sq, c.sinks, c.globalTokens, c.maskAfterSoftcap,
                                    c.block, c.randomBlocks, c.seed, 0, 1, 64, -1);
    std::vector<double> want = reference(c, q, k, v, capacity, mask, scale);
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_NEAR(out[i], want[i], 1e-5) << "at element " << i;
  }
}

TEST_P(Attention, MatchesMaskedDenseSoftmax) { expectMaskedDenseSoftmax(context); }

/// The same without AVX-512 (AVX2's dot products and weighted sums), and
/// without AVX2 either (the scalar loops), whatever this CPU has.
TEST_P(Attention, MatchesMaskedDenseSoftmaxWithoutAVX512) {
  if (!genc::testing::checkWithoutAVX512([&] { expectMaskedDenseSoftmax(context); }))
    GTEST_SKIP() << "this CPU has no AVX2: only the scalar loops were checked";
}

/// A row with every key hidden is NaN, as softmax over -inf is.
TEST_P(Attention, RowWithNothingVisibleIsNaN) {
  std::vector<float> q = randomValues(4, 1), k = randomValues(8, 2), v = randomValues(8, 3);
  std::vector<float> mask = {-INFINITY, -INFINITY}, out(4, 0.0f);
  Memref om(out.data(), {1, 1, 1, 4}), qm(q.data(), {1, 1, 1, 4}), km(k.data(), {1, 1, 2, 4}),
      vm(v.data(), {1, 1, 2, 4}), mm(mask.data(), {2});
  auto check = [&] {
    std::fill(out.begin(), out.end(), 0.0f);
    _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                    &mm.ref, 1, 0.5f, 0, -1, 0.0f, 1, 0, 0, 0, 0, 0, 0, 0, 1, 64,
                                    -1);
    for (float x : out)
      EXPECT_TRUE(std::isnan(x));
  };
  check();
  genc::testing::checkWithoutAVX512(check);
  // The same where a decode step's keys split into spans: every span sees
  // nothing.
  std::vector<float> longK = randomValues(1500 * 4, 2), longV = randomValues(1500 * 4, 3);
  std::vector<float> hidden(1500, -INFINITY);
  Memref lk(longK.data(), {1, 1, 1500, 4}), lv(longV.data(), {1, 1, 1500, 4}),
      lm(hidden.data(), {1500});
  std::fill(out.begin(), out.end(), 0.0f);
  _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &lk.ref, &lv.ref,
                                  &lm.ref, 1, 0.5f, 0, -1, 0.0f, 1, 0, 0, 0, 0, 0, 0, 0, 1, 64, -1);
  for (float x : out)
    EXPECT_TRUE(std::isnan(x));
}

/// Reformer's LSH attention by its definition: per round, buckets
/// argmax [xR, -xR] with the round's rotation, the keys the mask does not
/// hide sorted by (bucket, position) and chunked, a query placed in that
/// order by its own (bucket, position); it sees the keys of its chunk and
/// the one before and its own position, causally and unmasked; a softmax
/// per round, rounds weighted by exp(lse_r - LSE).
struct LSHCase {
  int64_t batch, heads, kvHeads, sq, skv, d, buckets, hashes, chunk, seed;
  bool causal, mask;
};

std::vector<double> lshReference(const LSHCase &c, const std::vector<float> &q,
                                 const std::vector<float> &k, const std::vector<float> &v,
                                 const std::vector<float> &mask, float scale) {
  const int64_t half = c.buckets / 2, offset = c.skv - c.sq, group = c.heads / c.kvHeads;
  auto bucket = [&](const float *x, const std::vector<float> &r) {
    int64_t best = 0;
    double bestValue = -INFINITY;
    for (int64_t t = 0; t < c.buckets; ++t) {
      double value = 0;
      for (int64_t i = 0; i < c.d; ++i)
        value += x[i] * r[i * half + t % half];
      value = t < half ? value : -value;
      if (value > bestValue)
        bestValue = value, best = t;
    }
    return best;
  };
  // The keys in order, their ranks (-1 for the hidden ones).
  auto sortedRanks = [](const std::vector<int64_t> &buckets, const std::vector<bool> &placed) {
    std::vector<int64_t> order, rank(buckets.size(), -1);
    for (size_t i = 0; i < buckets.size(); ++i)
      if (placed[i])
        order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return buckets[a] < buckets[b]; });
    for (size_t i = 0; i < order.size(); ++i)
      rank[order[i]] = i;
    return rank;
  };
  std::vector<double> out(c.batch * c.heads * c.sq * c.d);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      const int64_t kv = h / group;
      std::vector<std::vector<double>> outs(c.hashes, std::vector<double>(c.sq * c.d));
      std::vector<std::vector<double>> lses(c.hashes, std::vector<double>(c.sq, -INFINITY));
      for (int64_t r = 0; r < c.hashes; ++r) {
        std::vector<float> rotation(c.d * half);
        genc_lsh_rotations(c.seed, r, c.d, half, rotation.data());
        std::vector<int64_t> kb(c.skv), qb(c.sq);
        for (int64_t j = 0; j < c.skv; ++j)
          kb[j] = bucket(&k[((b * c.kvHeads + kv) * c.skv + j) * c.d], rotation);
        for (int64_t i = 0; i < c.sq; ++i)
          qb[i] = bucket(&q[((b * c.heads + h) * c.sq + i) * c.d], rotation);
        std::vector<bool> placed(c.skv);
        for (int64_t j = 0; j < c.skv; ++j)
          placed[j] = !c.mask || mask[b * c.skv + j] > -1e30f; // what hides a key
        std::vector<int64_t> keyRank = sortedRanks(kb, placed);
        for (int64_t i = 0; i < c.sq; ++i) {
          const int64_t position = i + offset;
          int64_t before = 0; // keys sorting before (qb[i], position)
          for (int64_t j = 0; j < c.skv; ++j)
            before += placed[j] && (kb[j] < qb[i] || (kb[j] == qb[i] && j < position));
          const int64_t chunk = before / c.chunk;
          std::vector<double> s(c.skv, -INFINITY);
          for (int64_t j = 0; j < c.skv; ++j) {
            int64_t keyChunk = placed[j] ? keyRank[j] / c.chunk : -2;
            bool seen = keyChunk == chunk || keyChunk == chunk - 1 || j == position;
            if (!seen || (c.causal && j > position))
              continue;
            double dot = 0;
            for (int64_t x = 0; x < c.d; ++x)
              dot += double(q[((b * c.heads + h) * c.sq + i) * c.d + x]) *
                     k[((b * c.kvHeads + kv) * c.skv + j) * c.d + x];
            s[j] = dot * scale + (c.mask ? mask[b * c.skv + j] : 0.0);
          }
          double max = *std::max_element(s.begin(), s.end());
          if (max == -INFINITY)
            continue;
          double sum = 0;
          for (double &x : s)
            sum += x = std::exp(x - max);
          lses[r][i] = max + std::log(sum);
          for (int64_t e = 0; e < c.d; ++e)
            for (int64_t j = 0; j < c.skv; ++j)
              outs[r][i * c.d + e] += s[j] / sum * v[((b * c.kvHeads + kv) * c.skv + j) * c.d + e];
        }
      }
      for (int64_t i = 0; i < c.sq; ++i) {
        double total = -INFINITY;
        for (int64_t r = 0; r < c.hashes; ++r)
          if (lses[r][i] > -INFINITY)
            total = total == -INFINITY ? lses[r][i]
                                       : std::max(total, lses[r][i]) +
                                             std::log1p(std::exp(-std::abs(total - lses[r][i])));
        for (int64_t e = 0; e < c.d; ++e) {
          double acc = 0;
          for (int64_t r = 0; r < c.hashes; ++r)
            if (lses[r][i] > -INFINITY)
              acc += std::exp(lses[r][i] - total) * outs[r][i * c.d + e];
          out[((b * c.heads + h) * c.sq + i) * c.d + e] = total == -INFINITY ? NAN : acc;
        }
      }
    }
  return out;
}

/// Prefill and decode shapes, GQA, one and several rounds, chunks that
/// cut the sequence unevenly, a padding mask, bidirectional.
TEST_P(Attention, LSHMatchesItsDefinition) {
  const LSHCase cases[] = {
      {1, 4, 2, 100, 100, 16, 8, 1, 16, 3, true, false},
      {2, 4, 4, 77, 77, 32, 4, 3, 10, 5, true, true},
      {1, 2, 1, 1, 150, 16, 16, 2, 32, 7, true, true}, // a decode step
      {1, 2, 2, 60, 60, 8, 6, 2, 8, 1, false, false},
  };
  for (const LSHCase &c : cases) {
    SCOPED_TRACE("Sq=" + std::to_string(c.sq) + " Skv=" + std::to_string(c.skv) +
                 " buckets=" + std::to_string(c.buckets) + " hashes=" + std::to_string(c.hashes));
    std::vector<float> q = randomValues(c.batch * c.heads * c.sq * c.d, 31),
                       k = randomValues(c.batch * c.kvHeads * c.skv * c.d, 32),
                       v = randomValues(c.batch * c.kvHeads * c.skv * c.d, 33);
    std::vector<float> mask(c.batch * c.skv, 0.0f);
    for (int64_t j = 2; j < c.skv; j += 5)
      mask[j] = -INFINITY;
    std::vector<float> out(c.batch * c.heads * c.sq * c.d, 0.0f);
    const float scale = 1.0f / std::sqrt(float(c.d));
    Memref om(out.data(), {c.batch, c.heads, c.sq, c.d}), qm(q.data(), {c.batch, c.heads, c.sq, c.d}),
        km(k.data(), {c.batch, c.kvHeads, c.skv, c.d}), vm(v.data(), {c.batch, c.kvHeads, c.skv, c.d}),
        mm(mask.data(), {c.batch, 1, 1, c.skv});
    _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                    &mm.ref, c.mask, scale, c.causal, -1, 0.0f, c.skv - c.sq, 0, 0,
                                    0, 0, 0, c.seed, c.buckets, c.hashes, c.chunk, -1);
    std::vector<double> want = lshReference(c, q, k, v, mask, scale);
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::isnan(want[i]))
        ASSERT_TRUE(std::isnan(out[i])) << "at element " << i;
      else
        ASSERT_NEAR(out[i], want[i], 1e-5) << "at element " << i;
    }
  }
}

/// A decode step (one query after cached keys) sees what the last row of
/// a prefill of the same positions sees.
TEST_P(Attention, LSHDecodeStepEqualsLastPrefillRow) {
  const int64_t heads = 2, s = 90, d = 16;
  std::vector<float> q = randomValues(heads * s * d, 41), k = randomValues(heads * s * d, 42),
                     v = randomValues(heads * s * d, 43);
  std::vector<float> prefill(heads * s * d), step(heads * d);
  const float scale = 0.25f;
  Memref pm(prefill.data(), {1, heads, s, d}), qm(q.data(), {1, heads, s, d}),
      km(k.data(), {1, heads, s, d}), vm(v.data(), {1, heads, s, d}),
      sm(step.data(), {1, heads, 1, d}),
      last(q.data(), {1, heads, 1, d}, {heads * s * d, s * d, d, 1}, (s - 1) * d);
  _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &pm.ref, &qm.ref, &km.ref, &vm.ref,
                                  &pm.ref, 0, scale, 1, -1, 0.0f, 0, 0, 0, 0, 0, 0, 9, 8, 2, 16,
                                  -1);
  _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &sm.ref, &last.ref, &km.ref, &vm.ref,
                                  &sm.ref, 0, scale, 1, -1, 0.0f, s - 1, 0, 0, 0, 0, 0, 9, 8, 2, 16,
                                  -1);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t e = 0; e < d; ++e)
      ASSERT_EQ(step[h * d + e], prefill[(h * s + s - 1) * d + e]) << "head " << h;
}

/// Padding the mask hides takes no place among the buckets: a row after
/// `pad` hidden keys gives, byte for byte, what it gives alone, in a
/// prefill of every position (which sorts; the padding's own rows are
/// not compared) and in a decode step (which does not), whether the mask
/// is the keys' alone, one per head, or one per query (padding and the
/// causal limit, the padding at the float type's lowest). Padding merely
/// weighed down (-1e29, above what hides a key) is placed, and moves the
/// chunks.
TEST_P(Attention, LSHPaddedRowSeesWhatItSeesAlone) {
  const int64_t heads = 4, kvHeads = 2, s = 70, pad = 9, d = 16, total = pad + s;
  std::vector<float> q = randomValues(heads * total * d, 61),
                     k = randomValues(kvHeads * total * d, 62),
                     v = randomValues(kvHeads * total * d, 63);
  enum Shape { Keys, PerHead, PerQuery };
  // [1, heads, total, total]: every shape reads its slice of it.
  auto maskOf = [&](float padding) {
    std::vector<float> mask(heads * total * total, 0.0f);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < total; ++i)
        for (int64_t j = 0; j < total; ++j)
          if (j < pad)
            mask[(h * total + i) * total + j] = padding;
          else if (j > i)
            mask[(h * total + i) * total + j] = -INFINITY; // the causal limit, again
    return mask;
  };
  // Queries [begin, total) over keys [from, total); the mask (null: none)
  // read as `shape`.
  auto call = [&](int64_t from, int64_t begin, std::vector<float> *mask, Shape shape) {
    const int64_t sq = total - begin, skv = total - from;
    std::vector<float> out(heads * sq * d);
    const int64_t maskHeads = shape == PerHead ? heads : 1, maskRows = shape == PerQuery ? sq : 1;
    // Keys and per-head masks read the last row (it hides the padding and
    // nothing else).
    const int64_t row = shape == PerQuery ? begin : total - 1;
    Memref om(out.data(), {1, heads, sq, d}),
        qm(q.data(), {1, heads, sq, d}, {heads * total * d, total * d, d, 1}, begin * d),
        km(k.data(), {1, kvHeads, skv, d}, {kvHeads * total * d, total * d, d, 1}, from * d),
        vm(v.data(), {1, kvHeads, skv, d}, {kvHeads * total * d, total * d, d, 1}, from * d),
        mm(mask ? mask->data() : nullptr, {1, maskHeads, maskRows, skv},
           {0, total * total, total, 1}, mask ? row * total + from : 0);
    _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                    &mm.ref, mask != nullptr, 0.25f, 1, -1, 0.0f, begin - from, 0,
                                    0, 0, 0, 0, 3, 8, 2, 8, -1);
    return out;
  };
  std::vector<float> hidden = maskOf(-INFINITY),
                     lowest = maskOf(std::numeric_limits<float>::lowest()),
                     weighed = maskOf(-1e29f);
  for (int64_t begin : {int64_t(0), total - 1}) {
    SCOPED_TRACE(begin == 0 ? "prefill" : "decode step");
    const int64_t skipped = std::max<int64_t>(pad - begin, 0); // the padding's own rows
    std::vector<float> alone = call(pad, begin + skipped, nullptr, Keys);
    auto realRows = [&](const std::vector<float> &out) {
      std::vector<float> rows;
      for (int64_t h = 0; h < heads; ++h)
        rows.insert(rows.end(), out.begin() + (h * (total - begin) + skipped) * d,
                    out.begin() + (h + 1) * (total - begin) * d);
      return rows;
    };
    EXPECT_EQ(realRows(call(0, begin, &hidden, Keys)), alone) << "a key mask";
    EXPECT_EQ(realRows(call(0, begin, &hidden, PerHead)), alone) << "a mask per head";
    EXPECT_EQ(realRows(call(0, begin, &lowest, PerQuery)), alone) << "a mask per query";
    EXPECT_NE(realRows(call(0, begin, &weighed, Keys)), alone) << "placed padding";
  }
}

/// With a session's state the keys' buckets and their order stay between
/// calls, and a call gives the bytes a stateless one gives: a prompt,
/// single steps (also the bytes of the last row of a prefill, which sorts
/// the keys where a step does not), a step after a rollback (its past
/// below what the row holds: the buckets past it are not read, the order
/// is built again). The steps read the kept order (its counts changed by
/// hand, they change the output), and a call that fails part-way keeps
/// only the buckets below its past, and no order past it.
TEST_P(Attention, LSHStateKeepsTheKeysBuckets) {
  const int64_t rows = 2, heads = 4, kvHeads = 2, s = 40, d = 16, capacity = 48;
  const int64_t buckets = 8, hashes = 2, chunk = 8, seed = 5;
  std::vector<float> q = randomValues(rows * heads * s * d, 51),
                     k = randomValues(rows * kvHeads * s * d, 52),
                     v = randomValues(rows * kvHeads * s * d, 53);
  const std::vector<int64_t> qStrides = {heads * s * d, s * d, d, 1},
                             kStrides = {kvHeads * s * d, s * d, d, 1};
  const int64_t fixed = GENC_LSH_ATTENTION_STATE_FIXED(kvHeads, hashes, buckets);
  const int64_t perRow = fixed + GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, hashes) * capacity;
  std::vector<float> data(rows * perRow);
  std::vector<int64_t> positions(rows, -1), folded(rows, -1);
  genc_attention_state state{data.data(), positions.data(), folded.data(), perRow, rows};
  // Queries [begin, end) over keys [0, end), with the state (slot 0) or
  // without; `withState` copied, its pool the copy when it fails.
  auto call = [&](genc_context withState, int64_t begin, int64_t end, bool kept) {
    withState.attention_states = &state;
    withState.attention_state_count = 1;
    if (withState.parallel_for == genc::testing::failAfterFirstTask)
      withState.pool = &withState;
    std::vector<float> out(rows * heads * (end - begin) * d);
    Memref om(out.data(), {rows, heads, end - begin, d}),
        qi(q.data(), {rows, heads, end - begin, d}, qStrides, begin * d),
        ki(k.data(), {rows, kvHeads, end, d}, kStrides),
        vi(v.data(), {rows, kvHeads, end, d}, kStrides);
    _mlir_ciface_genc_attention_f32(&withState, /*check=*/1, &om.ref, &qi.ref, &ki.ref, &vi.ref,
                                    &om.ref, 0, 0.25f, 1, -1, 0.0f, begin, 0, 0, 0, 0, 0, seed,
                                    buckets, hashes, chunk, kept ? 0 : -1);
    return out;
  };
  auto same = [&](int64_t begin, int64_t end) {
    SCOPED_TRACE("positions " + std::to_string(begin) + " to " + std::to_string(end));
    std::vector<float> stateless = call(context, begin, end, false);
    EXPECT_EQ(call(context, begin, end, true), stateless);
    EXPECT_EQ(positions, std::vector<int64_t>(rows, end));
    if (end - begin > 1)
      return;
    std::vector<float> prefill = call(context, 0, end, false);
    for (int64_t row = 0; row < rows * heads; ++row)
      ASSERT_TRUE(std::equal(stateless.begin() + row * d, stateless.begin() + (row + 1) * d,
                             prefill.begin() + (row * end + end - 1) * d))
          << "a step and a prefill's last row differ in query row " << row;
  };
  // The kept buckets of positions [from, to), every row, KV head and round
  // (each row: the counts, then a run of buckets per KV head and round).
  auto keptBuckets = [&](int64_t from, int64_t to, auto &&change) {
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t run = 0; run < kvHeads * hashes; ++run)
        for (int64_t j = from; j < to; ++j)
          change(data[row * perRow + fixed + run * capacity + j]);
  };
  same(0, 20);
  for (int64_t i = 20; i < 30; ++i)
    same(i, i + 1);
  keptBuckets(25, 30, [&](float &x) { x = std::fmod(x + 1, float(buckets)); });
  same(25, 26); // after a rollback of 5 positions: the changed buckets are not read
  for (int64_t row = 0; row < rows; ++row) // each bucket's count, not how many keys
    for (int64_t run = 0; run < kvHeads * hashes; ++run)
      std::fill_n(data.begin() + row * perRow + run * (buckets + 1), buckets, 0.0f);
  EXPECT_NE(call(context, 26, 27, true), call(context, 26, 27, false));
  positions = {-1, -1}; // the rows forgotten: hashed again
  for (int64_t i = 26; i < 32; ++i)
    same(i, i + 1);
  genc_context failing{};
  failing.parallel_for = genc::testing::failAfterFirstTask;
  call(failing, 28, 31, true); // after a rollback of 4 positions
  EXPECT_EQ(positions, std::vector<int64_t>(rows, 28)) << "buckets of a failed call are trusted";
  same(28, 31);
  call(failing, 31, 32, true); // a step whose first task alone inserts its key
  EXPECT_EQ(positions, std::vector<int64_t>(rows, 31));
  for (int64_t i = 31; i < 34; ++i)
    same(i, i + 1);
}

/// A call whose mask hides a key keeps no order of the keys in the state:
/// the next step, unmasked, builds the order again from nothing (here a
/// few keys, inserted one by one into emptied counts), and every call
/// gives a stateless call's bytes.
TEST_P(Attention, LSHKeptOrderAfterAMaskedCall) {
  const int64_t heads = 2, s = 12, d = 16, capacity = 16, buckets = 4, hashes = 2, chunk = 2;
  std::vector<float> q = randomValues(heads * s * d, 71), k = randomValues(s * d, 72),
                     v = randomValues(s * d, 73), mask(s, 0.0f);
  mask[3] = -INFINITY;
  const int64_t perRow = GENC_LSH_ATTENTION_STATE_FIXED(1, hashes, buckets) +
                         GENC_LSH_ATTENTION_STATE_PER_POSITION(1, hashes) * capacity;
  std::vector<float> data(perRow);
  std::vector<int64_t> positions(1, -1), folded(1, -1);
  genc_attention_state state{data.data(), positions.data(), folded.data(), perRow, 1};
  auto call = [&](int64_t begin, int64_t end, bool masked, bool kept) {
    genc_context withState = context;
    withState.attention_states = &state;
    withState.attention_state_count = 1;
    std::vector<float> out(heads * (end - begin) * d);
    Memref om(out.data(), {1, heads, end - begin, d}),
        qi(q.data(), {1, heads, end - begin, d}, {heads * s * d, s * d, d, 1}, begin * d),
        ki(k.data(), {1, 1, end, d}), vi(v.data(), {1, 1, end, d}), mi(mask.data(), {1, 1, 1, end});
    _mlir_ciface_genc_attention_f32(&withState, /*check=*/1, &om.ref, &qi.ref, &ki.ref, &vi.ref,
                                    &mi.ref, masked, 0.25f, 1, -1, 0.0f, begin, 0, 0, 0, 0, 0, 7,
                                    buckets, hashes, chunk, kept ? 0 : -1);
    return out;
  };
  EXPECT_EQ(call(0, 10, false, true), call(0, 10, false, false));   // keeps an order of 10
  EXPECT_EQ(call(10, 11, true, true), call(10, 11, true, false));   // keeps none
  EXPECT_EQ(call(11, 12, false, true), call(11, 12, false, false)); // 12 keys inserted
}

/// The random blocks: distinct, ascending, among the candidates, all of
/// them when there are few, the same for the same seed and query block,
/// and each candidate about equally often over seeds.
TEST(BigBirdRandomBlocks, DrawsDistinctCandidatesUniformly) {
  int64_t out[GENC_ATTENTION_MAX_RANDOM_BLOCKS], again[GENC_ATTENTION_MAX_RANDOM_BLOCKS];
  // Candidates of block 5 in [2, 5): 2 and 3 (4 neighbours it): both taken.
  ASSERT_EQ(genc_bigbird_random_blocks(0, 5, 2, 5, 3, out), 2);
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], 3);
  // Bidirectional: [0, 10) without 4, 5, 6.
  ASSERT_EQ(genc_bigbird_random_blocks(1, 5, 0, 10, 7, out), 7);
  EXPECT_EQ(std::vector<int64_t>(out, out + 7), (std::vector<int64_t>{0, 1, 2, 3, 7, 8, 9}));
  for (int64_t queryBlock = 3; queryBlock < 200; ++queryBlock) {
    int64_t n = genc_bigbird_random_blocks(42, queryBlock, 1, queryBlock, 3, out);
    ASSERT_EQ(n, std::min<int64_t>(3, queryBlock - 2));
    ASSERT_EQ(genc_bigbird_random_blocks(42, queryBlock, 1, queryBlock, 3, again), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(out[i], again[i]);
      EXPECT_GE(out[i], 1);
      EXPECT_LT(out[i], queryBlock - 1);
      if (i > 0)
        EXPECT_LT(out[i - 1], out[i]);
    }
  }
  // Query block 52 draws 3 of the 50 blocks [1, 51): over 5,000 seeds each
  // is drawn about 300 times (binomial, standard deviation 17).
  std::vector<int> drawnCount(52, 0);
  for (int64_t seed = 0; seed < 5000; ++seed) {
    ASSERT_EQ(genc_bigbird_random_blocks(seed, 52, 1, 52, 3, out), 3);
    for (int64_t i = 0; i < 3; ++i)
      ++drawnCount[out[i]];
  }
  for (int64_t block = 1; block < 51; ++block) {
    EXPECT_GT(drawnCount[block], 220) << "block " << block;
    EXPECT_LT(drawnCount[block], 380) << "block " << block;
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, Attention, ::testing::Values(1u, 3u));

/// Decode steps over long contexts, where few (batch, head) pairs split
/// their keys into spans: the same bits on any number of threads.
TEST(AttentionSplitKeys, SameBitsAtAnyThreadCount) {
  for (int64_t heads : {1, 2, 12}) {
    SCOPED_TRACE("heads " + std::to_string(heads));
    const int64_t keys = 2000, d = 64;
    std::vector<float> q = randomValues(heads * d, 1), k = randomValues(heads * keys * d, 2),
                       v = randomValues(heads * keys * d, 3), mask(keys, 0.0f);
    std::vector<std::vector<float>> outs;
    for (unsigned threads : {1u, 2u, 3u, 8u}) {
      genc::runtime::ThreadPool pool(threads);
      genc_context context{genc::runtime::ThreadPool::run, &pool};
      context.threads = pool.threads();
      std::vector<float> out(heads * d, NAN);
      Memref om(out.data(), {1, heads, 1, d}), qm(q.data(), {1, heads, 1, d}),
          km(k.data(), {1, heads, keys, d}), vm(v.data(), {1, heads, keys, d}),
          mm(mask.data(), {keys});
      _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                      &mm.ref, 0, 0.125f, 1, -1, 0.0f, keys - 1, 0, 0, 0, 0, 0, 0,
                                      0, 1, 64, -1);
      outs.push_back(std::move(out));
    }
    for (size_t i = 1; i < outs.size(); ++i)
      EXPECT_EQ(std::memcmp(outs[0].data(), outs[i].data(), outs[0].size() * sizeof(float)), 0)
          << "threads differ (run " << i << ")";
  }
}

/// After a failed check of the call, the kernels compute nothing, even on
/// head counts they cannot map (6 query heads, 4 KV heads), which they
/// would otherwise refuse as a broken caller's.
TEST(AttentionAfterAFailedCheck, ComputesNothing) {
  genc_context context = {};
  context.failed_check = 1;
  std::vector<float> q(6 * 4, 1.0f), kv(4 * 2 * 4, 1.0f), out(6 * 4, 7.0f), mask(2, 0.0f);
  Memref om(out.data(), {1, 6, 1, 4}), qm(q.data(), {1, 6, 1, 4}), km(kv.data(), {1, 4, 2, 4}),
      vm(kv.data(), {1, 4, 2, 4}), mm(mask.data(), {2});
  _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                  &mm.ref, 0, 0.5f, 0, -1, 0.0f, 1, 0, 0, 0, 0, 0, 0, 0, 1, 64, -1);
  _mlir_ciface_genc_linear_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                         &mm.ref, 0, &qm.ref, 0, 0.5f, 1, 1, 0, -1);
  for (float x : out)
    EXPECT_EQ(x, 7.0f);
}

/// Shapes a kernel does not take (6 query heads over 4 KV heads) fail the
/// call with the kernel's check and what was wrong, not the process.
TEST(AttentionKernels, FailTheCallOnHeadsThatDoNotDivide) {
  std::vector<float> q(6 * 4, 1.0f), kv(4 * 2 * 4, 1.0f), out(6 * 4, 7.0f), mask(2, 0.0f);
  Memref om(out.data(), {1, 6, 1, 4}), qm(q.data(), {1, 6, 1, 4}), km(kv.data(), {1, 4, 2, 4}),
      vm(kv.data(), {1, 4, 2, 4}), mm(mask.data(), {2});
  genc_context fused = {}, linear = {};
  _mlir_ciface_genc_attention_f32(&fused, /*check=*/3, &om.ref, &qm.ref, &km.ref, &vm.ref, &mm.ref,
                                  0, 0.5f, 0, -1, 0.0f, 1, 0, 0, 0, 0, 0, 0, 0, 1, 64, -1);
  _mlir_ciface_genc_linear_attention_f32(&linear, /*check=*/4, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                         &mm.ref, 0, &qm.ref, 0, 0.5f, 1, 1, 0, -1);
  for (const genc_context *context : {&fused, &linear}) {
    EXPECT_EQ(context->failed_check, context == &fused ? 3 : 4);
    EXPECT_EQ(context->failed_index, 6);
    EXPECT_EQ(context->failed_bound, 4);
    ASSERT_NE(context->failed_reason, nullptr);
    EXPECT_NE(std::strstr(context->failed_reason, "{index} query heads and {bound} key heads"),
              nullptr);
  }
  for (float x : out)
    EXPECT_EQ(x, 7.0f);
}

/// LSH attention's rotations for 2^60 rounds: a count of bytes past int64,
/// which fails the call as out of memory rather than wrap around.
TEST(AttentionKernels, FailTheCallOnScratchPastInt64) {
  std::vector<float> q(2 * 4, 1.0f), out(2 * 4, 7.0f);
  Memref om(out.data(), {1, 1, 2, 4}), qm(q.data(), {1, 1, 2, 4});
  genc_context context = {};
  _mlir_ciface_genc_attention_f32(&context, /*check=*/2, &om.ref, &qm.ref, &qm.ref, &qm.ref,
                                  &om.ref, 0, 0.5f, 1, 0, 0.0f, 0, 0, 0, 0, 0, 0, 0,
                                  /*lshBuckets=*/2, /*lshHashes=*/int64_t(1) << 60,
                                  /*lshChunk=*/1, -1);
  EXPECT_EQ(context.failed_check, 2);
  EXPECT_EQ(context.out_of_memory, 2);
  EXPECT_EQ(context.failed_index, INT64_MAX);
  for (float x : out)
    EXPECT_EQ(x, 7.0f);
}

} // namespace
