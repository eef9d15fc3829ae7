// Read bandwidth of this machine: T threads each sum their share of a
// 1 GiB buffer (vectorised by the compiler); best of 5 passes.
// Usage: read-bandwidth [THREADS...]   prints "T threads: X GB/s"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char **argv) {
  const size_t n = size_t(1) << 28; // floats
  std::vector<float> data(n, 1.0f);
  for (int a = 1; a < argc; ++a) {
    unsigned threads = static_cast<unsigned>(std::atoi(argv[a]));
    double best = 1e30;
    std::vector<float> sums(threads);
    for (int pass = 0; pass < 5; ++pass) {
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          size_t begin = n / threads * t, end = t + 1 == threads ? n : n / threads * (t + 1);
          float s = 0;
#pragma clang loop vectorize(enable) interleave_count(4)
          for (size_t i = begin; i < end; ++i)
            s += data[i];
          sums[t] = s;
        });
      for (std::thread &th : pool)
        th.join();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("%u threads: %.1f GB/s\n", threads, n * sizeof(float) / best / 1e9);
  }
  return 0;
}
