// Read bandwidth of this machine: T threads each sum their share of a
// 1 GiB buffer, best of 5 passes. A thread reads its share as S streams
// side by side (its share cut into S parts summed together, as a matmul
// kernel reads several panels at once); one stream alone leaves part of
// the memory's speed unused on some machines, so the figure printed first
// is the best over S = 1, 2, 4 and 8, then each S's.
// Usage: read-bandwidth [THREADS...]
// prints "T threads: X GB/s (streams a thread: 1 X1, 2 X2, 4 X4, 8 X8)"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <thread>
#include <vector>

namespace {

using Floats = float __attribute__((vector_size(64)));
constexpr size_t kLanes = sizeof(Floats) / sizeof(float);

/// The sum of data[0, n) read as `Streams` parts side by side, two vectors
/// of each at a time; n is a multiple of Streams · 2 · kLanes.
template <int Streams> float sumStreams(const float *data, size_t n) {
  const size_t part = n / Streams;
  Floats acc[Streams][2] = {};
  for (size_t i = 0; i < part; i += 2 * kLanes)
    for (int s = 0; s < Streams; ++s)
      for (int j = 0; j < 2; ++j) {
        Floats v;
        __builtin_memcpy(&v, data + s * part + i + j * kLanes, sizeof v);
        acc[s][j] += v;
      }
  float sum = 0;
  for (const auto &stream : acc)
    for (const Floats &a : stream)
      for (size_t l = 0; l < kLanes; ++l)
        sum += a[l];
  return sum;
}

/// Seconds of the best of 5 passes of `threads` threads each summing its
/// share with `sum`.
double bestSeconds(const float *data, size_t n, unsigned threads,
                   float (*sum)(const float *, size_t)) {
  const size_t share = n / threads / (16 * kLanes) * (16 * kLanes);
  std::vector<float> sums(threads);
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { sums[t] = sum(data + share * t, share); });
    for (std::thread &th : pool)
      th.join();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best / (share * threads) * n; // seconds for the whole buffer
}

} // namespace

int main(int argc, char **argv) {
  // Page-aligned: a vector load that straddles two cache lines reads
  // memory markedly slower here (a malloc'd buffer is 16-byte aligned).
  const size_t n = size_t(1) << 28;
  float *data = static_cast<float *>(std::aligned_alloc(4096, n * sizeof(float)));
  if (!data) {
    std::fprintf(stderr, "read-bandwidth: cannot allocate 1 GiB\n");
    return 1;
  }
  std::fill(data, data + n, 1.0f);
  const struct {
    int streams;
    float (*sum)(const float *, size_t);
  } ways[] = {{1, sumStreams<1>}, {2, sumStreams<2>}, {4, sumStreams<4>}, {8, sumStreams<8>}};
  for (int a = 1; a < argc; ++a) {
    unsigned threads = static_cast<unsigned>(std::atoi(argv[a]));
    double gbPerSecond[std::size(ways)], best = 0;
    for (size_t w = 0; w < std::size(ways); ++w) {
      gbPerSecond[w] = n * sizeof(float) / bestSeconds(data, n, threads, ways[w].sum) / 1e9;
      best = std::max(best, gbPerSecond[w]);
    }
    std::printf("%u threads: %.1f GB/s (streams a thread:", threads, best);
    for (size_t w = 0; w < std::size(ways); ++w)
      std::printf("%s %d %.1f", w ? "," : "", ways[w].streams, gbPerSecond[w]);
    std::printf(")\n");
  }
  std::free(data);
  return 0;
}
