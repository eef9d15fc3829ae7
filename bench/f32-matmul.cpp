//===- f32-matmul.cpp - the f32 matmul kernel on the models' products -----===//
//
// The f32 kernel (genc_matmul_f32, packed weights) on the products of the
// benchmark models' 128-token prefill, C[128, N] = A[128, K] · B, first
// serially, then on a runtime pool of THREADS threads: GFLOP/s, best of
// five rounds of ten calls, the weights in the caches. Then a decode step's
// products, C[1, 3072] = A[1, 768] · B over 24 weights of 9 MB each,
// which come from memory: GB/s of weights on the pool.
//
//   clang++ -O2 -std=c++17 -Iruntime/include -Iruntime/src bench/f32-matmul.cpp \
//     build/lib/libgenc_runtime_static.a build/lib/libgenc_kernels.a -pthread -o /tmp/f32-matmul
//   /tmp/f32-matmul [THREADS]
//
// Built against another build's runtime and kernels (its runtime/include,
// runtime/src and lib/), it measures that build's kernels.
//
//===----------------------------------------------------------------------===//

#include "MemrefDescriptor.h"
#include "ThreadPool.h"
#include "genc/kernels.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

/// Seconds per call of `call`, the best of `rounds` rounds of `calls`.
template <typename F> double bestSeconds(F &&call, int rounds, int calls) {
  call(); // warm-up
  double best = 1e30;
  for (int round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i)
      call();
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = t < best ? t : best;
  }
  return best / calls;
}

/// Sets the context's pool width where the kernels read one (builds before
/// they did have no such field: this builds against them too).
template <typename Context>
auto setThreads(Context &context, int64_t threads) -> decltype(context.threads = threads, void()) {
  context.threads = threads;
}
void setThreads(...) {}

/// C[M, N] = A · B (B in 32-column panels) on `context` (null: serially).
double prefillGflops(genc_context *context, int64_t m, int64_t k, int64_t n) {
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = 0.1f * static_cast<float>(i % 7);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 0.01f * static_cast<float>(i % 5);
  Memref am(a.data(), {m, k}), bm(b.data(), {n / 32, k, 32}), cm(c.data(), {m, n});
  double seconds = bestSeconds(
      [&] {
        _mlir_ciface_genc_matmul_f32(context, /*check=*/1, &cm.ref, &am.ref, &bm.ref,
                                     GENC_MATMUL_B_PANELS_32, /*accumulate=*/0, nullptr);
      },
      5, 10);
  return 2.0 * m * k * n / seconds / 1e9;
}

} // namespace

int main(int argc, char **argv) {
  const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
  genc::runtime::ThreadPool pool(threads);
  genc_context context = {};
  context.parallel_for = genc::runtime::ThreadPool::run;
  context.pool = &pool;
  setThreads(context, threads);

  // GPT-2-small's and LLaMA-small's prefill products (K, N).
  const int64_t shapes[][2] = {{768, 3072}, {3072, 768}, {768, 768},
                               {768, 2304}, {768, 2048}, {2048, 768}};
  for (genc_context *on : {static_cast<genc_context *>(nullptr), &context}) {
    double flops = 0, seconds = 0;
    std::printf("%s:", on ? "pool" : "one thread");
    for (const auto &[k, n] : shapes) {
      double gflops = prefillGflops(on, 128, k, n);
      std::printf(" %lldx%lld %.1f", static_cast<long long>(k), static_cast<long long>(n), gflops);
      flops += 2.0 * 128 * k * n;
      seconds += 2.0 * 128 * k * n / (gflops * 1e9);
    }
    std::printf(" GFLOP/s; all %.1f GFLOP/s%s\n", flops / seconds / 1e9,
                on ? (" (" + std::to_string(threads) + " threads)").c_str() : "");
  }

  const int64_t k = 768, n = 3072, count = 24;
  std::vector<std::vector<float>> weights(count, std::vector<float>(k * n, 0.01f));
  std::vector<float> a(k, 0.5f), c(n);
  Memref am(a.data(), {1, k}), cm(c.data(), {1, n});
  std::vector<Memref> bm;
  for (auto &w : weights)
    bm.emplace_back(w.data(), std::vector<int64_t>{n / 32, k, 32});
  double seconds = bestSeconds(
      [&] {
        for (Memref &b : bm)
          _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &b.ref,
                                       GENC_MATMUL_B_PANELS_32, /*accumulate=*/0, nullptr);
      },
      8, 1);
  std::printf("decode, %lld weights of %lld x %lld from memory: %.1f GB/s (%u threads)\n",
              static_cast<long long>(count), static_cast<long long>(k), static_cast<long long>(n),
              count * k * n * 4.0 / seconds / 1e9, threads);
}
