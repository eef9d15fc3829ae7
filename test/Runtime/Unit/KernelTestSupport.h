//===- KernelTestSupport.h - kernel arguments as compiled code passes them -===//

#ifndef GENC_TEST_KERNEL_TEST_SUPPORT_H
#define GENC_TEST_KERNEL_TEST_SUPPORT_H

#include "ThreadPool.h"
#include "genc/kernels.h"
#include "kernels/Parallel.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace genc::testing {

/// A strided view of `data` as compiled code passes it: the descriptor
/// words {allocated, aligned, offset, sizes, strides} and the unranked
/// memref pointing at them.
struct Memref {
  std::vector<int64_t> words;
  genc_unranked_memref ref;

  template <typename T>
  Memref(T *data, std::vector<int64_t> sizes, std::vector<int64_t> strides = {},
         int64_t offset = 0) {
    if (strides.empty()) {
      strides.resize(sizes.size());
      int64_t s = 1;
      for (size_t d = sizes.size(); d-- > 0; s *= sizes[d])
        strides[d] = s;
    }
    words = {reinterpret_cast<int64_t>(data), reinterpret_cast<int64_t>(data), offset};
    words.insert(words.end(), sizes.begin(), sizes.end());
    words.insert(words.end(), strides.begin(), strides.end());
    ref = {static_cast<int64_t>(sizes.size()), words.data()};
  }
};

inline std::vector<float> randomValues(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Which instruction sets the kernels may use; restores them when it goes
/// (a test that switches one off gives it back whatever happens).
class InstructionSetsGuard {
public:
  ~InstructionSetsGuard() { genc::kernels::setInstructionSetSwitchesForTesting(saved); }

private:
  genc::kernels::InstructionSetSwitches saved = genc::kernels::instructionSetSwitchesForTesting();
};

/// Runs `check` on the kernels' paths below AVX-512, whatever this CPU
/// has: the scalar loops, then AVX2 + FMA. Returns false when the CPU has
/// no AVX2 (only the scalar loops were checked). The instruction sets in
/// use before are in use after.
template <typename Check> bool checkWithoutAVX512(Check &&check) {
  InstructionSetsGuard guard;
  const bool failedBefore = ::testing::Test::HasFatalFailure();
  genc::kernels::useAVX512ForTesting(false);
  genc::kernels::useAVX2ForTesting(false);
  {
    SCOPED_TRACE("scalar loops");
    check();
  }
  if (::testing::Test::HasFatalFailure() && !failedBefore)
    return true; // failed: nothing to skip
  genc::kernels::useAVX2ForTesting(true);
  if (!genc::kernels::hasAVX2())
    return false;
  SCOPED_TRACE("AVX2");
  check();
  return true;
}

/// A parallel_for that runs the tasks serially and fails the call after
/// the first (as a task whose scratch malloc refuses would): what a kernel
/// leaves when its call fails part-way. `pool` must be the call's context.
inline void failAfterFirstTask(void *pool, int64_t n, genc_task_fn task, void *captures) {
  for (int64_t i = 0; i < n; ++i) {
    task(captures, i);
    if (i == 0)
      genc_index_error(static_cast<genc_context *>(pool), /*check=*/3, /*index=*/0, /*bound=*/0);
  }
}

/// A kernel test that runs on a pool of GetParam() threads: `context`
/// is what compiled code would pass.
class OnThreadPool : public ::testing::TestWithParam<unsigned> {
protected:
  void SetUp() override {
    pool = std::make_unique<genc::runtime::ThreadPool>(GetParam());
    context = {genc::runtime::ThreadPool::run, pool.get()};
    context.threads = pool->threads();
  }
  std::unique_ptr<genc::runtime::ThreadPool> pool;
  genc_context context{};
};

} // namespace genc::testing

#endif // GENC_TEST_KERNEL_TEST_SUPPORT_H
