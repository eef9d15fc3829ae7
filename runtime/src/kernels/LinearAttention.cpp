//===- LinearAttention.cpp - attention through a feature map, no softmax --===//
//
// genc.attention with a feature map φ (elu + 1, or FAVOR+'s positive random
// features): out_i = Σ_j (φ(q_i)·φ(k_j)) v_j / Σ_j φ(q_i)·φ(k_j) over the
// visible keys. Two exact forms of the same sum:
//
//   recurrent  S = Σ_j φ(k_j) v_jᵀ and z = Σ_j φ(k_j), grown one key at a
//              time as the causal limit moves: O(F·Dv) per key and per
//              query, whatever the context (prefills; and every step of a
//              session, whose state keeps S and z between calls);
//   direct     per query, the weights φ(q_i)·φ(k_j) of every visible key:
//              the key's features and F + Dv per (query, key) pair (a few
//              queries over a cache passed in, and masks that differ
//              between queries).
//
// FAVOR+'s features are exponentials; each is taken relative to a shift
// that cancels in the ratio: a query's own largest exponent, and the
// largest key exponent seen so far (the sums rescaled when it grows, as
// online softmax does). For the same reason φ's constant 1/√M is left out.
//
//===----------------------------------------------------------------------===//

#include "KernelCall.h"
#include "Parallel.h"
#include "View4.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

using genc::kernels::KernelCall;
using genc::kernels::kHidden;
using genc::kernels::parallelFor;
using genc::kernels::Scratch;
using genc::kernels::View4;

namespace {

struct LinearProblem {
  View4 out, q, k, v, mask, omega;
  bool hasMask, causal, performer;
  float scale;
  int64_t offset, group;
  int64_t sq() const { return q.sizes[2]; }
  int64_t skv() const { return k.sizes[2]; }
  int64_t headSize() const { return q.sizes[3]; }
  int64_t valueSize() const { return v.sizes[3]; }
  /// F: the features per head.
  int64_t features() const { return performer ? omega.sizes[3] : headSize(); }
  /// Whether the mask may hide different keys from different queries.
  bool maskPerQuery() const { return hasMask && mask.sizes[2] > 1; }

  bool hidden(int64_t b, int64_t h, int64_t i, int64_t j) const {
    return hasMask && mask.row(b, h, i)[j * mask.strides[3]] <= kHidden;
  }
  /// The last key query i may see.
  int64_t lastKey(int64_t i) const { return causal ? std::min(i + offset, skv() - 1) : skv() - 1; }

  /// φ of a query or key row `x` into `phi`: elu(x) + 1, or FAVOR+'s
  /// exponents ωᵀx' - |x'|²/2 (x' = x·√scale), to be exponentiated by the
  /// caller against its shift. Returns the largest exponent (FAVOR+).
  float features(const View4 &rows, const float *x, float *phi) const {
    const int64_t d = headSize(), stride = rows.strides[3];
    if (!performer) {
      for (int64_t c = 0; c < d; ++c) {
        float value = x[c * stride];
        phi[c] = value > 0 ? value + 1 : std::exp(value);
      }
      return 0;
    }
    const float root = std::sqrt(scale);
    const int64_t m = features();
    float norm = 0;
    for (int64_t f = 0; f < m; ++f)
      phi[f] = 0;
    for (int64_t c = 0; c < d; ++c) {
      float value = x[c * stride] * root;
      norm += value * value;
      const float *w = omega.row(0, 0, c);
      for (int64_t f = 0; f < m; ++f)
        phi[f] += w[f * omega.strides[3]] * value;
    }
    float largest = -INFINITY;
    for (int64_t f = 0; f < m; ++f)
      largest = std::max(largest, phi[f] -= norm / 2);
    return largest;
  }
};

/// φ(q) for one query row, FAVOR+'s exponentials shifted by its largest.
void queryFeatures(const LinearProblem &p, const float *x, float *phi) {
  float largest = p.features(p.q, x, phi);
  if (p.performer)
    for (int64_t f = 0; f < p.features(); ++f)
      phi[f] = std::exp(phi[f] - largest);
}

/// FAVOR+'s running key shift: `align` turns a key's exponents into its
/// features relative to the largest exponent seen, rescaling the sums
/// built so far when it grows.
struct KeyShift {
  float &shift;
  void align(const LinearProblem &p, float *phi, float largest, float *sums, int64_t count) {
    if (!p.performer)
      return;
    if (largest > shift) {
      float rescale = shift == -INFINITY ? 0.0f : std::exp(shift - largest);
      for (int64_t i = 0; i < count; ++i)
        sums[i] *= rescale;
      shift = largest;
    }
    for (int64_t f = 0; f < p.features(); ++f)
      phi[f] = std::exp(phi[f] - shift);
  }
};

void writeRow(const LinearProblem &p, int64_t b, int64_t h, int64_t i, const float *numerator,
              float denominator) {
  float *o = p.out.data + b * p.out.strides[0] + h * p.out.strides[1] + i * p.out.strides[2];
  for (int64_t e = 0; e < p.valueSize(); ++e)
    o[e * p.out.strides[3]] = numerator[e] / denominator; // nothing visible: 0/0, as softmax
}

/// The recurrent sums of one (item, KV head), `recurrentFloats` floats: F
/// rows of Dv + 1 (row x of S, then z_x), then FAVOR+'s key shift. A
/// session's state keeps two of them between calls.
int64_t recurrentFloats(const LinearProblem &p) {
  return GENC_LINEAR_ATTENTION_STATE_FLOATS(1, p.features(), p.valueSize()) / 2;
}

/// Empty sums: no key yet.
void clearSums(const LinearProblem &p, float *sums) {
  std::fill(sums, sums + recurrentFloats(p), 0.0f);
  sums[p.features() * (p.valueSize() + 1)] = -INFINITY;
}

/// Adds keys [from, to) of item b's KV head to `sums` (those the mask of
/// query head `head` hides left out); `phi` holds F floats.
void absorb(const LinearProblem &p, int64_t b, int64_t head, float *sums, int64_t from, int64_t to,
            float *phi) {
  const int64_t f = p.features(), dv = p.valueSize(), width = dv + 1, kvHead = head / p.group;
  KeyShift keys{sums[f * width]};
  for (int64_t j = from; j < to; ++j) {
    if (p.hidden(b, head, 0, j))
      continue;
    keys.align(p, phi, p.features(p.k, p.k.row(b, kvHead, j), phi), sums, f * width);
    const float *value = p.v.row(b, kvHead, j);
    for (int64_t x = 0; x < f; ++x) {
      float *row = sums + x * width;
      for (int64_t e = 0; e < dv; ++e)
        row[e] += phi[x] * value[e * p.v.strides[3]];
      row[dv] += phi[x];
    }
  }
}

/// Every query row of query heads [first, first + heads) of item b, which
/// read one KV head and see the same keys (the mask does not vary by
/// head): `sums` hold keys [0, absorbed) and take in the others as the
/// causal limit reaches them, once for all the heads. `phi` and
/// `numerator` hold F and Dv floats.
void recurrent(const LinearProblem &p, int64_t b, int64_t first, int64_t heads, float *sums,
               int64_t absorbed, float *phi, float *numerator) {
  const int64_t f = p.features(), dv = p.valueSize(), width = dv + 1;
  for (int64_t i = 0; i < p.sq(); ++i) {
    const int64_t next = std::max(absorbed, p.lastKey(i) + 1);
    absorb(p, b, first, sums, absorbed, next, phi);
    absorbed = next;
    for (int64_t h = first; h < first + heads; ++h) {
      queryFeatures(p, p.q.row(b, h, i), phi);
      std::fill(numerator, numerator + dv, 0.0f);
      float denominator = 0;
      for (int64_t x = 0; x < f; ++x) {
        const float *row = sums + x * width;
        for (int64_t e = 0; e < dv; ++e)
          numerator[e] += phi[x] * row[e];
        denominator += phi[x] * row[dv];
      }
      writeRow(p, b, h, i, numerator, denominator);
    }
  }
}

/// Each query row of head h of item b on its own: a weight per visible key.
void direct(const KernelCall &call, const LinearProblem &p, int64_t b, int64_t h) {
  const int64_t f = p.features(), dv = p.valueSize(), kvHead = h / p.group;
  Scratch<float> query(call, f), phi(call, f), sums(call, dv + 1);
  if (!query || !phi || !sums)
    return;
  for (int64_t i = 0; i < p.sq(); ++i) {
    queryFeatures(p, p.q.row(b, h, i), query.data());
    std::fill(sums.data(), sums.data() + dv + 1, 0.0f); // numerator, then denominator
    float shift = -INFINITY;
    KeyShift keys{shift};
    for (int64_t j = 0, last = p.lastKey(i); j <= last; ++j) {
      if (p.hidden(b, h, i, j))
        continue;
      keys.align(p, phi.data(), p.features(p.k, p.k.row(b, kvHead, j), phi.data()), sums.data(),
                 dv + 1);
      float weight = 0;
      for (int64_t x = 0; x < f; ++x)
        weight += query[x] * phi[x];
      const float *value = p.v.row(b, kvHead, j);
      for (int64_t e = 0; e < dv; ++e)
        sums[e] += weight * value[e * p.v.strides[3]];
      sums[dv] += weight;
    }
    writeRow(p, b, h, i, sums.data(), sums[dv]);
  }
}

} // namespace

extern "C" void _mlir_ciface_genc_linear_attention_f32(
    genc_context *context, int64_t check, genc_unranked_memref *out, genc_unranked_memref *q,
    genc_unranked_memref *k, genc_unranked_memref *v, genc_unranked_memref *mask, int64_t hasMask,
    genc_unranked_memref *randomFeatures, int64_t performer, float scale, int64_t causal,
    int64_t causalOffset, int64_t form, int64_t stateSlot) {
  const KernelCall call{context, check};
  if (call.failed())
    return;
  if (out->rank != 4 || q->rank != 4 || k->rank != 4 || v->rank != 4 || mask->rank > 4 ||
      randomFeatures->rank > 4)
    return call.fail("internal error: genc_linear_attention_f32 takes out, q, k and v of rank 4 "
                     "and the mask and random features of rank 4 at most; the ranks are "
                     "{index} (q) and {bound} (k), or another is wrong",
                     q->rank, k->rank);
  LinearProblem p{
      View4(out),   View4(q),    View4(k),       View4(v), View4(mask),  View4(randomFeatures),
      hasMask != 0, causal != 0, performer != 0, scale,    causalOffset, 1};
  if (p.k.sizes[1] == 0 || p.q.sizes[1] % p.k.sizes[1])
    return call.fail("internal error: genc_linear_attention_f32 got {index} query heads and "
                     "{bound} key heads, which must divide them",
                     p.q.sizes[1], p.k.sizes[1]);
  if (p.performer && (randomFeatures->rank != 2 || p.omega.sizes[2] != p.headSize()))
    return call.fail("internal error: genc_linear_attention_f32's random features must be "
                     "[head size, M], of rank 2 with {bound} rows; they have rank {index}",
                     randomFeatures->rank, p.headSize());
  p.group = p.q.sizes[1] / p.k.sizes[1];
  const int64_t batch = p.q.sizes[0], heads = p.q.sizes[1];
  const int64_t f = p.features(), dv = p.valueSize();

  // A session's state: each item's sums per KV head kept from the previous
  // call (the query heads reading one KV head share them, so the mask
  // must not vary by head).
  genc_attention_state *state = nullptr;
  const int64_t kvHeads = p.k.sizes[1];
  const bool sharedByGroup = !p.maskPerQuery() && (!p.hasMask || p.mask.sizes[1] == 1);
  if (stateSlot >= 0 && context && stateSlot < context->attention_state_count && p.causal &&
      sharedByGroup) {
    state = &context->attention_states[stateSlot];
    const int64_t rowFloats = GENC_LINEAR_ATTENTION_STATE_FLOATS(kvHeads, f, dv);
    if (state->floats_per_row != rowFloats || state->rows < batch)
      return call.fail("internal error: a linear attention state has rows of {index} floats, "
                       "which must be {bound}, or too few rows for the batch",
                       state->floats_per_row, rowFloats);
  }
  if (state) {
    // Per (item, KV head), the last call's sums, then the folded ones.
    auto sumsOf = [&](int64_t b, int64_t g, bool folded) {
      return state->data + b * state->floats_per_row + (2 * g + folded) * recurrentFloats(p);
    };
    // First fold all but the last GENC_SLIDING_CACHE_ROLLBACK positions
    // before the call (those a rollback can no longer reach; the caller
    // has kept them), in a pass that cannot fail once its scratch is held:
    // whatever happens to the call, the folded sums stay true. Sums folded
    // past the call's past (a call over every position again, as a model
    // without a cache makes) start again from nothing; a session whose
    // cache slid never goes back that far.
    Scratch<float> keyFeatures(call, batch * kvHeads * f);
    if (!keyFeatures) {
      for (int64_t b = 0; b < batch; ++b)
        state->positions[b] = -1;
      return;
    }
    for (int64_t b = 0; b < batch; ++b)
      if (state->folded[b] > causalOffset)
        state->folded[b] = -1;
    const int64_t foldTo = std::max<int64_t>(0, causalOffset - GENC_SLIDING_CACHE_ROLLBACK);
    parallelFor(call.context, batch * kvHeads, [&](int64_t task) {
      const int64_t b = task / kvHeads, g = task % kvHeads;
      const int64_t folded = std::max<int64_t>(state->folded[b], 0);
      if (state->folded[b] < 0)
        clearSums(p, sumsOf(b, g, true));
      absorb(p, b, g * p.group, sumsOf(b, g, true), folded, std::max(folded, foldTo),
             keyFeatures.data() + task * f);
    });
    for (int64_t b = 0; b < batch; ++b)
      state->folded[b] = std::max(state->folded[b], foldTo);

    // Then the call: the last call's sums go on when they hold exactly the
    // positions before this call's, or start again from the folded ones.
    // Tasks only read `positions` (written once they are all done).
    parallelFor(call.context, batch * kvHeads, [&](int64_t task) {
      if (call.failed())
        return;
      Scratch<float> phi(call, f), numerator(call, dv);
      if (!phi || !numerator)
        return;
      const int64_t b = task / kvHeads, g = task % kvHeads;
      float *sums = sumsOf(b, g, false);
      int64_t absorbed = causalOffset;
      if (state->positions[b] != causalOffset) {
        std::copy_n(sumsOf(b, g, true), recurrentFloats(p), sums);
        absorbed = state->folded[b];
      }
      recurrent(p, b, g * p.group, p.group, sums, absorbed, phi.data(), numerator.data());
    });
    // Sums a failed call left half-built hold no positions; the folded
    // ones are intact.
    for (int64_t b = 0; b < batch; ++b)
      state->positions[b] = call.failed() ? -1 : p.skv();
    return;
  }
  // A state this call does not keep (a mask per query or per head) no
  // longer matches.
  if (stateSlot >= 0 && context && stateSlot < context->attention_state_count)
    for (int64_t b = 0; b < batch && b < context->attention_states[stateSlot].rows; ++b)
      context->attention_states[stateSlot].positions[b] =
          context->attention_states[stateSlot].folded[b] = -1;

  // Per (item, head), with c the features' cost per row (D for elu + 1,
  // D·M for FAVOR+): the recurrent form pays (c + F·Dv) per key and per
  // query, the direct one (c + F + Dv) per (query, key) pair.
  const int64_t c = p.performer ? p.headSize() * f : p.headSize();
  bool useRecurrent =
      !p.maskPerQuery() && p.sq() * p.skv() * (c + f + dv) > (p.sq() + p.skv()) * (c + f * dv);
  if (form != GENC_LINEAR_ATTENTION_ANY_FORM)
    useRecurrent = form == GENC_LINEAR_ATTENTION_RECURRENT && !p.maskPerQuery();
  parallelFor(call.context, batch * heads, [&](int64_t task) {
    if (call.failed())
      return;
    const int64_t b = task / heads, h = task % heads;
    if (!useRecurrent)
      return direct(call, p, b, h);
    Scratch<float> sums(call, recurrentFloats(p)), phi(call, f), numerator(call, dv);
    if (!sums || !phi || !numerator)
      return;
    clearSums(p, sums.data());
    recurrent(p, b, h, 1, sums.data(), 0, phi.data(), numerator.data());
  });
}
