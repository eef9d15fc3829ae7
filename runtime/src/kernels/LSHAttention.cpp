//===- LSHAttention.cpp - Reformer's LSH bucketed attention ---------------===//
//
// genc.attention with `lsh_buckets` B: for each of `lsh_hashes` rounds r,
// queries and keys are hashed with one seeded random rotation R_r [D, B/2]
// (bucket(x) = argmax [xR_r, -xR_r]); the keys are sorted by (bucket,
// position) and cut into chunks of `lsh_chunk`, and each query takes its
// place in that order by its own (bucket, position) (where its position's
// key would be, were queries and keys one, as in Reformer). A query in
// chunk m sees the keys of chunks m - 1 and m and its own position's key,
// within the causal limit (an additive mask, such as padding's, added to
// the scores). Each round is a softmax over what it sees (out_r, lse_r);
// rounds combine as Σ_r exp(lse_r - LSE) out_r, LSE the log-sum-exp.
//
// The chunks depend on every key given: a decode step (one query over the
// cached keys) sees what the last row of a prefill of the same positions
// sees, so cached and recomputed generation agree, while a prefill's
// earlier rows, whose chunks count later keys too, may see other keys than
// the steps that produced them.
//
//===----------------------------------------------------------------------===//

#include "LSHAttention.h"
#include "KernelCall.h"
#include "SplitMix.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

using genc::kernels::countOf;
using genc::kernels::KernelCall;
using genc::kernels::nextSplitMix64;
using genc::kernels::parallelFor;
using genc::kernels::Scratch;
using genc::kernels::View4;

namespace {

/// The bucket of row `x` (D values, `stride` apart) under rotation `r`
/// [D, half]: argmax of [xR, -xR].
int64_t bucketOf(const float *x, int64_t stride, const float *r, int64_t d, int64_t half) {
  int64_t best = 0;
  float bestValue = -INFINITY;
  for (int64_t t = 0; t < half; ++t) {
    float v = 0;
    for (int64_t c = 0; c < d; ++c)
      v += x[c * stride] * r[c * half + t];
    if (v > bestValue) {
      bestValue = v;
      best = t;
    }
    if (-v > bestValue) {
      bestValue = -v;
      best = half + t;
    }
  }
  return best;
}

/// Positions [0, n) sorted by (bucket, position) into `order`, and each
/// position's place in it into `rank`: a counting sort over the
/// `buckets` buckets (`starts`: buckets + 1 counters), stable, so equal
/// buckets keep the positions' order.
void sortByBucket(const int64_t *bucket, int64_t n, int64_t buckets, int64_t *starts,
                  int64_t *order, int64_t *rank) {
  std::fill(starts, starts + buckets + 1, 0);
  for (int64_t i = 0; i < n; ++i)
    ++starts[bucket[i] + 1];
  for (int64_t b = 0; b < buckets; ++b)
    starts[b + 1] += starts[b];
  for (int64_t i = 0; i < n; ++i) {
    rank[i] = starts[bucket[i]]++;
    order[rank[i]] = i;
  }
}

/// Where (bucket, position) falls in keys sorted by (bucket, position):
/// how many sort before it.
int64_t placeAmong(const int64_t *order, const int64_t *keyBucket, int64_t n, int64_t bucket,
                   int64_t position) {
  const int64_t *at = std::lower_bound(order, order + n, 0, [&](int64_t key, int) {
    return keyBucket[key] != bucket ? keyBucket[key] < bucket : key < position;
  });
  return at - order;
}

} // namespace

extern "C" void genc_lsh_rotations(int64_t seed, int64_t round, int64_t d, int64_t half,
                                   float *out) {
  uint64_t state = static_cast<uint64_t>(seed) * 0x100000001B3ull + static_cast<uint64_t>(round);
  for (int64_t i = 0; i < d * half; ++i) {
    // Box-Muller from two uniforms in (0, 1].
    double u = (static_cast<double>(nextSplitMix64(state) >> 11) + 1) * 0x1.0p-53;
    double v = (static_cast<double>(nextSplitMix64(state) >> 11) + 1) * 0x1.0p-53;
    out[i] = static_cast<float>(std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v));
  }
}

void genc::kernels::lshAttention(const KernelCall &call, const LSHProblem &p) {
  const int64_t d = p.q.sizes[3], dv = p.v.sizes[3], n = p.k.sizes[2], m = p.q.sizes[2];
  const int64_t half = p.buckets / 2, heads = p.q.sizes[1], group = heads / p.k.sizes[1];
  Scratch<float> rotations(call, countOf({p.hashes, d, half}));
  if (!rotations)
    return;
  for (int64_t r = 0; r < p.hashes; ++r)
    genc_lsh_rotations(p.seed, r, d, half, rotations.data() + r * d * half);
  // The keys' buckets, their order and each one's place in it, per (item,
  // KV head, round): hashed and sorted once, read by every query head of
  // the KV head's group.
  const int64_t batch = p.q.sizes[0], kvHeads = p.k.sizes[1];
  const int64_t sortings = countOf({batch, kvHeads, p.hashes});
  Scratch<int64_t> keyBuckets(call, countOf({sortings, n})),
      keyOrders(call, countOf({sortings, n})), keyRanks(call, countOf({sortings, n}));
  if (!keyBuckets || !keyOrders || !keyRanks)
    return;
  parallelFor(call.context, sortings, [&](int64_t task) {
    if (call.failed())
      return;
    const int64_t r = task % p.hashes, b = task / p.hashes / kvHeads;
    const int64_t kvHead = task / p.hashes % kvHeads;
    Scratch<int64_t> starts(call, p.buckets + 1);
    if (!starts)
      return;
    int64_t *keyBucket = keyBuckets.data() + task * n;
    for (int64_t j = 0; j < n; ++j)
      keyBucket[j] =
          bucketOf(p.k.row(b, kvHead, j), p.k.strides[3], rotations.data() + r * d * half, d, half);
    sortByBucket(keyBucket, n, p.buckets, starts.data(), keyOrders.data() + task * n,
                 keyRanks.data() + task * n);
  });
  parallelFor(call.context, batch * heads, [&](int64_t task) {
    if (call.failed())
      return;
    const int64_t b = task / heads, h = task % heads, kvHead = h / group;
    // A query sees at most two chunks' keys and its own.
    const int64_t seenAtMost = (p.chunk >= n ? n : std::min(2 * p.chunk, n)) + 1;
    Scratch<int64_t> seen(call, seenAtMost);
    Scratch<float> scores(call, seenAtMost), acc(call, countOf({m, dv})), total(call, m);
    if (!seen || !scores || !acc || !total)
      return;
    for (int64_t i = 0; i < m; ++i)
      total[i] = -INFINITY; // log-sum-exp over rounds so far
    std::fill(acc.data(), acc.data() + m * dv, 0.0f);
    for (int64_t r = 0; r < p.hashes; ++r) {
      const float *rotation = rotations.data() + r * d * half;
      const int64_t sorting = (b * kvHeads + kvHead) * p.hashes + r;
      const int64_t *keyBucket = keyBuckets.data() + sorting * n;
      const int64_t *keyOrder = keyOrders.data() + sorting * n;
      const int64_t *keyRank = keyRanks.data() + sorting * n;
      for (int64_t i = 0; i < m; ++i) {
        const int64_t position = i + p.offset, last = p.causal ? position : n - 1;
        const int64_t bucket = bucketOf(p.q.row(b, h, i), p.q.strides[3], rotation, d, half);
        const int64_t chunk = placeAmong(keyOrder, keyBucket, n, bucket, position) / p.chunk;
        // Keys of chunks chunk - 1 and chunk, then the query's own.
        int64_t count = 0;
        const int64_t from = std::max<int64_t>(chunk - 1, 0) * p.chunk;
        const int64_t to = std::min(n, (chunk + 1) * p.chunk);
        for (int64_t s = from; s < to; ++s)
          if (keyOrder[s] <= last)
            seen[count++] = keyOrder[s];
        if (position >= 0 && position < n && (keyRank[position] < from || keyRank[position] >= to))
          seen[count++] = position;
        if (count == 0)
          continue; // this round adds nothing to the row
        const float *query = p.q.row(b, h, i);
        float max = -INFINITY;
        for (int64_t s = 0; s < count; ++s) {
          const float *key = p.k.row(b, kvHead, seen[s]);
          float dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += query[c * p.q.strides[3]] * key[c * p.k.strides[3]];
          scores[s] =
              dot * p.scale + (p.hasMask ? p.mask.row(b, h, i)[seen[s] * p.mask.strides[3]] : 0.0f);
          max = std::max(max, scores[s]);
        }
        if (max == -INFINITY)
          continue; // every key it sees is masked: this round adds nothing
        float sum = 0;
        for (int64_t s = 0; s < count; ++s)
          sum += scores[s] = std::exp(scores[s] - max);
        // This round's lse and output merge into the running ones.
        const float lse = max + std::log(sum), merged = std::max(total[i], lse);
        const float keep = std::exp(total[i] - merged), add = std::exp(lse - merged);
        float *row = acc.data() + i * dv;
        for (int64_t e = 0; e < dv; ++e)
          row[e] *= keep;
        for (int64_t s = 0; s < count; ++s) {
          const float *value = p.v.row(b, kvHead, seen[s]);
          const float w = add * scores[s] / sum;
          for (int64_t e = 0; e < dv; ++e)
            row[e] += w * value[e * p.v.strides[3]];
        }
        // Weights of all rounds so far sum to Σ exp(lse_r - merged): keep
        // that total in log form, and divide at the end.
        total[i] = merged + std::log(keep + add);
        const float renormalise = 1.0f / (keep + add);
        for (int64_t e = 0; e < dv; ++e)
          row[e] *= renormalise;
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      float *o = p.out.data + b * p.out.strides[0] + h * p.out.strides[1] + i * p.out.strides[2];
      const bool none = total[i] == -INFINITY; // no key in any round: 0/0
      for (int64_t e = 0; e < dv; ++e)
        o[e * p.out.strides[3]] = none ? NAN : acc[i * dv + e];
    }
  });
}
