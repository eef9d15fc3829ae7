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
// the scores). Keys the mask hides from every query of the call (padding)
// take no place in that order, so that a left-padded row sees what it would
// see alone. Each round is a softmax over what it sees (out_r, lse_r);
// rounds combine as Σ_r exp(lse_r - LSE) out_r, LSE the log-sum-exp.
//
// The chunks depend on every key given: a decode step (one query over the
// cached keys) sees what the last row of a prefill of the same positions
// sees, so cached and recomputed generation agree, while a prefill's
// earlier rows, whose chunks count later keys too, may see other keys than
// the steps that produced them. (Where the mask hides from the last query
// a key that an earlier one sees, as a sliding-window mask does, the
// prefill places that key and the step does not: there the two differ.
// Padding and causal masks hide the same keys from both.) A key's bucket
// depends on the key alone, though: a session keeps each row's buckets
// between calls (its state), so a step hashes only its new key. A call of
// several queries sorts the keys by counting; a single query (a decode
// step) needs no sort: one pass over the buckets places every placed key
// and keeps those in each query head's two chunks, in the order the sort
// would list them; in a session, whose state also keeps the keys' order,
// the step inserts its new key in it and reads its chunks off it.
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
using genc::kernels::kHidden;
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

/// Which keys take a place in the buckets' order: every key (the mask
/// hides none from every query), or those marked present. Types, so that
/// the loops over every key test nothing when there is nothing to test.
struct EveryKey {
  bool operator()(int64_t) const { return true; }
};
struct MarkedKeys {
  const unsigned char *present;
  bool operator()(int64_t j) const { return present[j]; }
};

/// Keys are ordered by (bucket, position), the placed ones only. `first[x]`
/// receives the place of bucket x's first key in that order (first[buckets]
/// is the number of placed keys): the keys in the buckets before it.
template <typename Placed>
void firstPlaces(const float *bucket, Placed placed, int64_t n, int64_t buckets, int64_t *first) {
  std::fill(first, first + buckets + 1, 0);
  for (int64_t i = 0; i < n; ++i)
    if (placed(i))
      ++first[static_cast<int64_t>(bucket[i]) + 1];
  for (int64_t x = 0; x < buckets; ++x)
    first[x + 1] += first[x];
}

/// The placed positions of [0, n) in that order into `order`, and each
/// position's place in it into `rank` (-1: none): a counting sort (stable:
/// equal buckets keep the positions' order) that moves `next` (a copy of
/// firstPlaces').
template <typename Placed>
void sortByBucket(const float *bucket, Placed placed, int64_t n, int64_t *next, int64_t *order,
                  int64_t *rank) {
  for (int64_t i = 0; i < n; ++i) {
    if (!placed(i)) {
      rank[i] = -1;
      continue;
    }
    rank[i] = next[static_cast<int64_t>(bucket[i])]++;
    order[rank[i]] = i;
  }
}

/// Where (bucket, position) falls among the n placed keys sorted by
/// (bucket, position): how many sort before it.
int64_t placeAmong(const int64_t *order, const float *keyBucket, int64_t n, int64_t bucket,
                   int64_t position) {
  const int64_t *at = std::lower_bound(order, order + n, 0, [&](int64_t key, int) {
    return keyBucket[key] != bucket ? keyBucket[key] < bucket : key < position;
  });
  return at - order;
}

/// The places [from, to) of the chunk that `place` falls in and of the one
/// before: what a query at that place sees (in the keys' (bucket,
/// position) order, n placed keys, chunks of `chunk`).
struct Window {
  int64_t from, to;
  Window(int64_t place, int64_t n, int64_t chunk)
      : from(std::max<int64_t>(place / chunk - 1, 0) * chunk),
        to(std::min(n, (place / chunk + 1) * chunk)) {}
  bool holds(int64_t place) const { return place >= from && place < to; }
};

/// Lists into `seen` the keys a query at `position` sees in a round: those
/// of `window` (`slots[s]`: the key at place from + s), up to `last`, then
/// its own position's key (at place `own`) when the window lacks it.
/// Returns how many.
int64_t listSeen(const Window &window, const int64_t *slots, int64_t own, int64_t position,
                 int64_t last, int64_t n, int64_t *seen) {
  int64_t count = 0;
  for (int64_t s = 0; s < window.to - window.from; ++s)
    if (slots[s] <= last)
      seen[count++] = slots[s];
  if (position >= 0 && position < n && !window.holds(own))
    seen[count++] = position;
  return count;
}

/// What a session's state keeps of item b's keys per (KV head, round), in
/// row b (kernels.h's layout: FIXED floats, then runs of `capacity`), all
/// whole numbers as floats: in FIXED, the kept order's count of each
/// bucket's keys and then how many keys it holds; in the runs, each key's
/// bucket, then the kept order (the positions [0, held) sorted by
/// (bucket, position)), with which a decode step finds its chunks without
/// a pass over the keys.
struct KeptKeys {
  genc_attention_state *state = nullptr;
  int64_t capacity = 0, hashes = 0, kvHeads = 0, buckets = 0;

  float *row(int64_t b) const { return state->data + b * state->floats_per_row; }
  int64_t sorting(int64_t kvHead, int64_t round) const { return kvHead * hashes + round; }
  int64_t fixed() const { return GENC_LSH_ATTENTION_STATE_FIXED(kvHeads, hashes, buckets); }
  float *bucketsOf(int64_t b, int64_t kvHead, int64_t round) const {
    return row(b) + fixed() + sorting(kvHead, round) * capacity;
  }
  float *orderOf(int64_t b, int64_t kvHead, int64_t round) const {
    return row(b) + fixed() + (kvHeads * hashes + sorting(kvHead, round)) * capacity;
  }
  /// The kept order's count per bucket; [buckets]: the keys it holds.
  float *countsOf(int64_t b, int64_t kvHead, int64_t round) const {
    return row(b) + sorting(kvHead, round) * (buckets + 1);
  }
  /// Item b's keys whose buckets a call at `offset` may reuse: those the
  /// row holds below the call's past (later ones may have changed).
  int64_t reusable(int64_t b, int64_t offset) const {
    return state ? std::max<int64_t>(0, std::min(state->positions[b], offset)) : 0;
  }
};

/// Buckets and positions this many or fewer are exact as floats, as the
/// kernel (and a session's state) keeps them.
constexpr int64_t kMostBuckets = int64_t(1) << 24;
constexpr int64_t kMostKeptPositions = int64_t(1) << 24;

/// A kept order takes this many new keys one by one (each a move of the
/// order past its bucket); more, and it is built again.
constexpr int64_t kKeysInsertedAtMost = 16;

/// Brings item b's kept order of (KV head, round) to keys [0, n) (every
/// key placed): by inserting the keys it lacks (positions after all it
/// holds: each goes last in its bucket), or by counting and placing them
/// all when it lacks more than kKeysInsertedAtMost or cannot be trusted
/// (it holds keys past those the call reuses: a rollback, a failed call).
void bringOrderUpTo(const float *keyBucket, float *order, float *counts, int64_t buckets, int64_t n,
                    int64_t reusable, int64_t *next) {
  // The keys it holds, if it may be trusted: no more than the call reuses
  // (nor, from a state never written, anything but a count).
  const float length = counts[buckets];
  const int64_t held =
      length >= 0 && length <= static_cast<float>(std::min(reusable, n)) ? int64_t(length) : 0;
  if (n - held > kKeysInsertedAtMost) {
    std::fill(counts, counts + buckets, 0.0f);
    for (int64_t j = 0; j < n; ++j)
      ++counts[static_cast<int64_t>(keyBucket[j])];
    next[0] = 0;
    for (int64_t x = 0; x < buckets; ++x)
      next[x + 1] = next[x] + static_cast<int64_t>(counts[x]);
    for (int64_t j = 0; j < n; ++j)
      order[next[static_cast<int64_t>(keyBucket[j])]++] = static_cast<float>(j);
  } else {
    if (held == 0) // an order no call has kept: its counts may be another's
      std::fill(counts, counts + buckets, 0.0f);
    for (int64_t j = held; j < n; ++j) {
      const int64_t y = static_cast<int64_t>(keyBucket[j]);
      int64_t at = 0;
      for (int64_t x = 0; x <= y; ++x)
        at += static_cast<int64_t>(counts[x]);
      std::copy_backward(order + at, order + j, order + j + 1);
      order[at] = static_cast<float>(j);
      ++counts[y];
    }
  }
  counts[buckets] = static_cast<float>(n);
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
  if (p.buckets > kMostBuckets)
    return call.fail("internal error: LSH attention takes {bound} buckets at most, not {index}",
                     p.buckets, kMostBuckets);
  if (m == 0)
    return; // no query: nothing to write (and a mask with no rows to read)
  Scratch<float> rotations(call, countOf({p.hashes, d, half}));
  if (!rotations)
    return;
  for (int64_t r = 0; r < p.hashes; ++r)
    genc_lsh_rotations(p.seed, r, d, half, rotations.data() + r * d * half);
  // Per (item, KV head, round), a sorting: the keys' buckets (in the
  // session's state when it keeps them), each bucket's first place in
  // the keys' (bucket, position) order and, for several queries, that
  // order and each key's place in it; for one query, what each query head
  // of the group sees, found in one pass over the buckets (cheaper than
  // sorting them). All computed once, read by every query head of the KV
  // head's group.
  const int64_t batch = p.q.sizes[0], kvHeads = p.k.sizes[1];
  const int64_t sortings = countOf({batch, kvHeads, p.hashes});
  struct Sorting {
    int64_t b, kvHead, round;
  };
  auto sortingOf = [&](int64_t task) {
    return Sorting{task / p.hashes / kvHeads, task / p.hashes % kvHeads, task % p.hashes};
  };
  KeptKeys kept;
  if (p.stateSlot >= 0 && call.context && p.stateSlot < call.context->attention_state_count &&
      p.causal) {
    kept = {&call.context->attention_states[p.stateSlot], 0, p.hashes, kvHeads, p.buckets};
    const int64_t perPosition = GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, p.hashes);
    const int64_t runs = kept.state->floats_per_row - kept.fixed();
    kept.capacity = runs / perPosition;
    if (runs < 0 || runs % perPosition)
      return call.fail("internal error: an LSH attention state has rows of {index} floats, "
                       "not {bound} and a multiple of the floats per position",
                       kept.state->floats_per_row, kept.fixed());
    if (kept.capacity < n)
      return call.fail("internal error: an LSH attention state holds {bound} positions, and "
                       "the call gives {index} keys",
                       n, kept.capacity);
    if (kept.state->rows < batch)
      return call.fail("internal error: an LSH attention state has {bound} rows, and the call "
                       "a batch of {index}",
                       batch, kept.state->rows);
  }
  const bool sorted = m > 1;
  // A query sees at most two chunks' keys and its own.
  const int64_t seenAtMost = (p.chunk >= n ? n : std::min(2 * p.chunk, n)) + 1;
  Scratch<float> callBuckets;
  Scratch<int64_t> firsts(call, countOf({sortings, p.buckets + 1})), keyOrders, keyRanks, seenLists,
      seenCounts;
  if (!firsts || (!kept.state && !callBuckets.allocate(call, countOf({sortings, n}))))
    return;
  if (sorted ? !keyOrders.allocate(call, countOf({sortings, n})) ||
                   !keyRanks.allocate(call, countOf({sortings, n}))
             : !seenLists.allocate(call, countOf({batch, heads, p.hashes, seenAtMost})) ||
                   !seenCounts.allocate(call, countOf({batch, heads, p.hashes})))
    return;
  auto bucketsOf = [&](int64_t task) {
    const Sorting at = sortingOf(task);
    return kept.state ? kept.bucketsOf(at.b, at.kvHead, at.round) : callBuckets.data() + task * n;
  };
  // A session's decode step over keys no mask hides reads the kept order.
  const bool keepsOrder = kept.state && n <= kMostKeptPositions;
  // Where phase two finds what query head h of item b sees in a round.
  auto seenOf = [&](int64_t b, int64_t h, int64_t r) { return (b * heads + h) * p.hashes + r; };
  // Per item and KV head, the keys the mask leaves to some query of some
  // head of the group (the last query first: a causal one sees the most);
  // none where it hides no key, and then every key is placed, as without a
  // mask. A mask the same for every query and head (padding's) costs one
  // read per key and item.
  Scratch<unsigned char> present;
  Scratch<const unsigned char *> marks;
  if (p.hasMask) {
    const bool perHead = p.mask.sizes[1] > 1, perQuery = p.mask.sizes[2] > 1;
    const int64_t rowsPerItem = perHead || perQuery ? kvHeads : 1;
    if (!marks.allocate(call, batch * kvHeads) ||
        !present.allocate(call, countOf({batch, rowsPerItem, n})))
      return;
    const int64_t maskQueries = p.mask.sizes[2], maskHeads = perHead ? group : 1;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t kvHead = 0; kvHead < rowsPerItem; ++kvHead) {
        unsigned char *keys = present.data() + (b * rowsPerItem + kvHead) * n;
        const int64_t stride = p.mask.strides[3];
        int64_t hidden = 0;
        if (rowsPerItem == 1) {
          const float *row = p.mask.row(b, 0, 0);
          for (int64_t j = 0; j < n; ++j) {
            keys[j] = row[j * stride] > kHidden;
            hidden += row[j * stride] <= kHidden;
          }
        } else {
          for (int64_t j = 0; j < n; ++j) {
            bool seen = false;
            for (int64_t i = maskQueries; i-- > 0 && !seen;)
              for (int64_t g = 0; g < maskHeads && !seen; ++g)
                seen = p.mask.row(b, kvHead * group + g, i)[j * stride] > kHidden;
            keys[j] = seen;
            hidden += !seen;
          }
        }
        for (int64_t shared = kvHead; shared < kvHeads; shared += rowsPerItem)
          marks[b * kvHeads + shared] = hidden > 0 ? keys : nullptr;
      }
  }
  auto presentOf = [&](int64_t b, int64_t kvHead) -> const unsigned char * {
    return p.hasMask ? marks[b * kvHeads + kvHead] : nullptr;
  };
  // One query (at p.offset) with a session's kept order: the order brought
  // up to the call's keys (a decode step inserts its one new key), then each
  // query head's place found from the counts, and the keys of its two
  // chunks read off the order: no pass over the keys' buckets. The same
  // places and lists as the passes below give.
  auto stepWithKeptOrder = [&](int64_t b, int64_t kvHead, int64_t r, const float *keyBucket,
                               int64_t reusable, int64_t *first) {
    float *order = kept.orderOf(b, kvHead, r), *counts = kept.countsOf(b, kvHead, r);
    Scratch<int64_t> next(call, p.buckets + 1), slots(call, seenAtMost);
    if (!next || !slots)
      return;
    bringOrderUpTo(keyBucket, order, counts, p.buckets, n, reusable, next.data());
    first[0] = 0;
    for (int64_t x = 0; x < p.buckets; ++x)
      first[x + 1] = first[x] + static_cast<int64_t>(counts[x]);
    const int64_t position = p.offset, last = p.causal ? position : n - 1;
    // The place of (bucket x, position): after the bucket's keys before the
    // position (the order lists each bucket's keys by position).
    auto placeOf = [&](int64_t x) {
      int64_t place = first[x + 1];
      while (place > first[x] && static_cast<int64_t>(order[place - 1]) >= position)
        --place;
      return place;
    };
    const int64_t own =
        position >= 0 && position < n ? placeOf(static_cast<int64_t>(keyBucket[position])) : -1;
    const float *rotation = rotations.data() + r * d * half;
    for (int64_t g = 0; g < group; ++g) {
      const int64_t h = kvHead * group + g;
      const Window window(placeOf(bucketOf(p.q.row(b, h, 0), p.q.strides[3], rotation, d, half)), n,
                          p.chunk);
      for (int64_t at = window.from; at < window.to; ++at)
        slots[at - window.from] = static_cast<int64_t>(order[at]);
      const int64_t list = seenOf(b, h, r);
      seenCounts[list] = listSeen(window, slots.data(), own, position, last, n,
                                  seenLists.data() + list * seenAtMost);
    }
  };
  parallelFor(call.context, sortings, [&](int64_t task) {
    if (call.failed())
      return;
    // Plain locals: the lambda below captures them (C++17).
    const Sorting current = sortingOf(task);
    const int64_t b = current.b, kvHead = current.kvHead, r = current.round;
    const float *rotation = rotations.data() + r * d * half;
    float *keyBucket = bucketsOf(task);
    const int64_t reusable = kept.reusable(b, p.offset);
    for (int64_t j = reusable; j < n; ++j)
      keyBucket[j] =
          static_cast<float>(bucketOf(p.k.row(b, kvHead, j), p.k.strides[3], rotation, d, half));
    int64_t *first = firsts.data() + task * (p.buckets + 1);
    const unsigned char *present = presentOf(b, kvHead);
    auto orderKeys = [&](auto placed) {
      firstPlaces(keyBucket, placed, n, p.buckets, first);
      Scratch<int64_t> next(call, p.buckets + 1), slots;
      Scratch<Window> windows;
      if (!next || (!sorted && (!slots.allocate(call, countOf({group, seenAtMost})) ||
                                !windows.allocate(call, group))))
        return;
      std::copy(first, first + p.buckets + 1, next.data());
      if (sorted)
        return sortByBucket(keyBucket, placed, n, next.data(), keyOrders.data() + task * n,
                            keyRanks.data() + task * n);
      // One query (at p.offset): each query head's window, from its place
      // (its bucket's end less its keys from its position on: one key at
      // most for a decode step), then one pass placing every key.
      const int64_t position = p.offset, last = p.causal ? position : n - 1;
      int64_t lowest = n, highest = 0;
      for (int64_t g = 0; g < group; ++g) {
        const int64_t h = kvHead * group + g;
        const int64_t x = bucketOf(p.q.row(b, h, 0), p.q.strides[3], rotation, d, half);
        int64_t place = first[x + 1];
        for (int64_t j = std::max<int64_t>(position, 0); j < n; ++j)
          place -= keyBucket[j] == static_cast<float>(x) && placed(j);
        windows[g] = Window(place, first[p.buckets], p.chunk);
        lowest = std::min(lowest, windows[g].from);
        highest = std::max(highest, windows[g].to);
      }
      int64_t own = -1;
      for (int64_t j = 0; j < n; ++j) {
        if (!placed(j))
          continue;
        const int64_t at = next[static_cast<int64_t>(keyBucket[j])]++;
        if (j == position)
          own = at;
        if (at < lowest || at >= highest)
          continue;
        for (int64_t g = 0; g < group; ++g)
          if (windows[g].holds(at))
            slots[g * seenAtMost + at - windows[g].from] = j;
      }
      for (int64_t g = 0; g < group; ++g) {
        const int64_t list = seenOf(b, kvHead * group + g, r);
        seenCounts[list] = listSeen(windows[g], slots.data() + g * seenAtMost, own, position, last,
                                    n, seenLists.data() + list * seenAtMost);
      }
    };
    if (keepsOrder && !present && !sorted)
      return stepWithKeptOrder(b, kvHead, r, keyBucket, reusable, first);
    if (present)
      orderKeys(MarkedKeys{present});
    else
      orderKeys(EveryKey{});
    if (!kept.state)
      return;
    // What the state's order holds now: a sorting's, for the steps after
    // it; none after a call that places fewer than every key, or keeps no
    // order (its buckets changed under it).
    float *counts = kept.countsOf(b, kvHead, r);
    counts[p.buckets] = 0;
    if (!keepsOrder || present || !sorted || call.failed())
      return;
    float *order = kept.orderOf(b, kvHead, r);
    for (int64_t i = 0; i < n; ++i)
      order[i] = static_cast<float>(keyOrders[task * n + i]);
    for (int64_t x = 0; x < p.buckets; ++x)
      counts[x] = static_cast<float>(first[x + 1] - first[x]);
    counts[p.buckets] = static_cast<float>(n);
  });
  // Tasks only read `positions`: each row holds its keys' buckets once every
  // task is done; after a failure, only those it held before (a task may
  // have stopped part-way).
  if (kept.state)
    for (int64_t b = 0; b < batch; ++b)
      kept.state->positions[b] = call.failed() ? kept.reusable(b, p.offset) : n;
  parallelFor(call.context, batch * heads, [&](int64_t task) {
    if (call.failed())
      return;
    const int64_t b = task / heads, h = task % heads, kvHead = h / group;
    Scratch<int64_t> sortedSeen, slots;
    Scratch<float> scores(call, seenAtMost), acc(call, countOf({m, dv})), total(call, m);
    if (!scores || !acc || !total ||
        (sorted && (!sortedSeen.allocate(call, seenAtMost) || !slots.allocate(call, seenAtMost))))
      return;
    for (int64_t i = 0; i < m; ++i)
      total[i] = -INFINITY; // log-sum-exp over rounds so far
    std::fill(acc.data(), acc.data() + m * dv, 0.0f);
    for (int64_t r = 0; r < p.hashes; ++r) {
      const float *rotation = rotations.data() + r * d * half;
      const int64_t sorting = (b * kvHeads + kvHead) * p.hashes + r;
      const float *keyBucket = bucketsOf(sorting);
      const int64_t *order = sorted ? keyOrders.data() + sorting * n : nullptr;
      const int64_t *rank = sorted ? keyRanks.data() + sorting * n : nullptr;
      const int64_t placedKeys = firsts[sorting * (p.buckets + 1) + p.buckets];
      for (int64_t i = 0; i < m; ++i) {
        const int64_t position = i + p.offset, last = p.causal ? position : n - 1;
        const int64_t *seen;
        int64_t count;
        if (sorted) {
          const int64_t x = bucketOf(p.q.row(b, h, i), p.q.strides[3], rotation, d, half);
          const Window window(placeAmong(order, keyBucket, placedKeys, x, position), placedKeys,
                              p.chunk);
          std::copy(order + window.from, order + window.to, slots.data());
          const int64_t own = position >= 0 && position < n ? rank[position] : -1;
          count = listSeen(window, slots.data(), own, position, last, n, sortedSeen.data());
          seen = sortedSeen.data();
        } else {
          seen = seenLists.data() + seenOf(b, h, r) * seenAtMost;
          count = seenCounts[seenOf(b, h, r)];
        }
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
