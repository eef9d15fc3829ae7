//===- lsh-state-step.cpp - one LSH decode step that reads a session state -===//
//
// The LSH attention kernel alone, serially (no pool): one query per head
// (8 heads over 8 KV heads of 32, llama-long's shape; 8 buckets, 2 rounds,
// chunks of 32) after N cached keys whose buckets the state already holds,
// as a session's decode step makes it; without a mask and with a padding
// mask that hides no key. Median and minimum microseconds of 200 calls.
// Built and run by bench/lsh-attention.sh against each build's kernels.
// Usage: lsh-state-step N
//
//===----------------------------------------------------------------------===//

#include "genc/kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

/// A row-major memref descriptor, as compiled code passes it.
struct Memref {
  std::vector<int64_t> words;
  genc_unranked_memref ref;
  Memref(float *data, std::vector<int64_t> sizes) {
    std::vector<int64_t> strides(sizes.size());
    int64_t stride = 1;
    for (size_t d = sizes.size(); d-- > 0; stride *= sizes[d])
      strides[d] = stride;
    words = {reinterpret_cast<int64_t>(data), reinterpret_cast<int64_t>(data), 0};
    words.insert(words.end(), sizes.begin(), sizes.end());
    words.insert(words.end(), strides.begin(), strides.end());
    ref = {static_cast<int64_t>(sizes.size()), words.data()};
  }
};

} // namespace

int main(int argc, char **argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 16384;
  const int64_t heads = 8, kvHeads = 8, d = 32, buckets = 8, hashes = 2, chunk = 32;
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> q(heads * d), k(kvHeads * n * d), v(kvHeads * n * d), out(heads * d);
  std::vector<float> mask(n, 0.0f);
  for (std::vector<float> *x : {&q, &k, &v})
    for (float &value : *x)
      value = uniform(gen);
  const int64_t perRow = GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, hashes) * n;
  std::vector<float> buckets_(perRow);
  std::vector<int64_t> positions(1, -1);
  genc_attention_state state{buckets_.data(), positions.data(), perRow, 1};
  genc_context context{};
  context.attention_states = &state;
  context.attention_state_count = 1;
  Memref om(out.data(), {1, heads, 1, d}), qm(q.data(), {1, heads, 1, d}),
      km(k.data(), {1, kvHeads, n, d}), vm(v.data(), {1, kvHeads, n, d}),
      mm(mask.data(), {1, 1, 1, n});
  for (int withMask = 0; withMask < 2; ++withMask) {
    std::vector<double> us;
    for (int call = 0; call < 201; ++call) {
      // The state holds every key but the step's own (the first call hashes
      // them all).
      positions[0] = call == 0 ? -1 : n - 1;
      auto start = std::chrono::steady_clock::now();
      _mlir_ciface_genc_attention_f32(&context, /*check=*/1, &om.ref, &qm.ref, &km.ref, &vm.ref,
                                      &mm.ref, withMask, 0.17f, /*causal=*/1, -1, 0.0f, n - 1, 0,
                                      0, 0, 0, 0, /*seed=*/1, buckets, hashes, chunk,
                                      /*stateSlot=*/0);
      if (call > 0)
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(us.begin(), us.end());
    std::printf("state step over %lld keys, %s: median %.1f us, min %.1f us\n",
                static_cast<long long>(n), withMask ? "a padding mask" : "no mask",
                us[us.size() / 2], us[0]);
  }
  return 0;
}
