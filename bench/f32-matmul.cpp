//===- f32-matmul.cpp - the f32 matmul kernel on the models' products -----===//
//
// The f32 kernel (genc_matmul_f32, packed weights) on the products of the
// benchmark models' 128-token prefill, C[128, N] = A[128, K] · B, first
// serially, then on a runtime pool of THREADS threads: GFLOP/s, best of
// five rounds of ten calls, the weights in the caches. Then a decode step's
// products, C[1, 3072] = A[1, 768] · B over 24 weights of 9 MB each,
// which come from memory: GB/s of weights on the pool; and GPT-2-small's
// decode step, its 49 products in order, back to back and with 20 µs
// between them (where the model runs its other ops). Weights are aligned
// as a weights file's may be, on a cache line a line past a page (a
// std::vector's 16-byte aligned data, whose steps straddle lines, read
// slower; page-aligned data faster). They are anonymous memory, which
// may get transparent huge pages where those are "always" on; a file
// mapping's pages are small.
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

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

/// `count` floats of `value` from a 64-byte line past a page boundary, as
/// a weights file's tensors may lie.
class Weights {
public:
  Weights(size_t count, float value)
      : storage(
            static_cast<float *>(std::aligned_alloc(4096, (count * 4 + 64 + 4095) / 4096 * 4096)),
            &std::free) {
    if (!storage) {
      std::fprintf(stderr, "out of memory\n");
      std::exit(1);
    }
    std::fill(data(), data() + count, value);
  }
  float *data() { return storage.get() + 16; }

private:
  std::unique_ptr<float, decltype(&std::free)> storage;
};

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
  std::vector<float> a(m * k), c(m * n);
  Weights b(k * n, 0);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = 0.1f * static_cast<float>(i % 7);
  for (int64_t i = 0; i < k * n; ++i)
    b.data()[i] = 0.01f * static_cast<float>(i % 5);
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

  // Decode products: C[1, N] = A[1, K] · B, the weights from memory.
  struct Product {
    Product(int64_t k, int64_t n)
        : k(k), n(n), weights(k * n, 0.01f), b(weights.data(), {n / 32, k, 32}) {}
    int64_t k, n;
    Weights weights;
    Memref b;
  };
  std::vector<float> a(3072, 0.5f), c(50272);
  // GB/s of weights over `products`, each `pause` µs after the one before
  // (the pauses not counted).
  auto decodeGBs = [&](const std::vector<std::unique_ptr<Product>> &products, int pause) {
    double bytes = 0;
    for (const auto &p : products)
      bytes += 4.0 * p->k * p->n;
    double seconds = bestSeconds(
        [&] {
          for (const auto &p : products) {
            Memref am(a.data(), {1, p->k}), cm(c.data(), {1, p->n});
            _mlir_ciface_genc_matmul_f32(&context, /*check=*/1, &cm.ref, &am.ref, &p->b.ref,
                                         GENC_MATMUL_B_PANELS_32, /*accumulate=*/0, nullptr);
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(pause);
            while (std::chrono::steady_clock::now() < until) {
            }
          }
        },
        8, 1);
    return bytes / (seconds - 1e-6 * pause * products.size()) / 1e9;
  };
  std::vector<std::unique_ptr<Product>> same, step;
  for (int i = 0; i < 24; ++i)
    same.push_back(std::make_unique<Product>(768, 3072));
  std::printf("decode, 24 weights of 768 x 3072 from memory: %.1f GB/s (%u threads)\n",
              decodeGBs(same, 0), threads);
  same.clear();
  // GPT-2-small's step in the model's order: 12 layers' projections, then
  // the LM head (50257 columns, padded to panels).
  for (int layer = 0; layer < 12; ++layer)
    for (const auto &[k, n] :
         {std::pair<int64_t, int64_t>{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}})
      step.push_back(std::make_unique<Product>(k, n));
  step.push_back(std::make_unique<Product>(768, 50272));
  const double backToBack = decodeGBs(step, 0), apart = decodeGBs(step, 20);
  std::printf("decode step, GPT-2-small's 49 products (494 MB): back to back %.1f GB/s, "
              "20 us apart %.1f GB/s (%u threads)\n",
              backToBack, apart, threads);
}
