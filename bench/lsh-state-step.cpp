//===- lsh-state-step.cpp - one LSH decode step that reads a session state -===//
//
// The LSH attention kernel alone, serially (no pool): one query per head
// (8 heads over 8 KV heads of 32, llama-long's shape; 8 buckets, 2 rounds,
// chunks of 32): 200 decode steps after N cached keys, each adding a key,
// with a session's state as the session keeps it between them; without a
// mask and with a padding mask that hides no key. Median and minimum
// microseconds of the steps.
// Built and run by bench/lsh-attention.sh against each build's kernels.
// Usage: lsh-state-step N
//
//===----------------------------------------------------------------------===//

#include "MemrefDescriptor.h"
#include "genc/kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 16384;
  const int64_t heads = 8, kvHeads = 8, d = 32, buckets = 8, hashes = 2, chunk = 32;
  const int64_t steps = 200, capacity = n + steps;
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> q(heads * d), k(kvHeads * capacity * d), v(kvHeads * capacity * d);
  std::vector<float> out(heads * d), mask(capacity, 0.0f);
  for (std::vector<float> *x : {&q, &k, &v})
    for (float &value : *x)
      value = uniform(gen);
#ifdef GENC_LSH_ATTENTION_STATE_FIXED
  const int64_t fixed = GENC_LSH_ATTENTION_STATE_FIXED(kvHeads, hashes, buckets);
#else
  const int64_t fixed = 0; // a build from before the state kept the keys' order
#endif
  const int64_t perRow = fixed + GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, hashes) * capacity;
  genc_context context{};
  for (int withMask = 0; withMask < 2; ++withMask) {
    std::vector<float> kept(perRow);
    std::vector<int64_t> positions(1, -1), folded(1, -1);
    // Fields by name: the struct grew a field between the builds compared.
    genc_attention_state state{};
    state.data = kept.data();
    state.positions = positions.data();
    state.floats_per_row = perRow;
    state.rows = 1;
#ifdef GENC_SUMS_CACHE_POSITIONS
    state.folded = folded.data();
#endif
    context.attention_states = &state;
    context.attention_state_count = 1;
    // Keys [0, keys) in the cache's first positions of `capacity`; the
    // first call hashes them all, each later one is a step that adds one.
    std::vector<double> us;
    for (int64_t keys = n; keys <= n + steps; ++keys) {
      Memref om(out.data(), {1, heads, 1, d}, {heads * d, d, d, 1}),
          qm(q.data(), {1, heads, 1, d}, {heads * d, d, d, 1}),
          km(k.data(), {1, kvHeads, keys, d}, {kvHeads * capacity * d, capacity * d, d, 1}),
          vm(v.data(), {1, kvHeads, keys, d}, {kvHeads * capacity * d, capacity * d, d, 1}),
          mm(mask.data(), {1, 1, 1, keys}, {capacity, capacity, capacity, 1});
      auto start = std::chrono::steady_clock::now();
      _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                      &mm.ref, withMask, 0.17f, /*causal=*/1, -1, 0.0f, keys - 1,
                                      0, 0, 0, 0, 0, /*seed=*/1, buckets, hashes, chunk,
                                      /*stateSlot=*/0);
      if (keys > n)
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(us.begin(), us.end());
    std::printf("%lld steps after %lld keys, %s: median %.1f us, min %.1f us\n",
                static_cast<long long>(steps), static_cast<long long>(n),
                withMask ? "a padding mask" : "no mask", us[us.size() / 2], us[0]);
  }
  return 0;
}
