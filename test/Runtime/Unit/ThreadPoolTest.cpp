//===- ThreadPoolTest.cpp - every task exactly once, loop after loop -------===//

#include "ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using genc::runtime::ThreadPool;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int64_t n) : hits(n) {}
  static void task(void *ctx, int64_t i) { static_cast<Counts *>(ctx)->hits[i]++; }
};

TEST(ThreadPool, RunsEveryTaskOnce) {
  for (unsigned threads : {1u, 2u, 4u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      Counts counts(n);
      pool.parallelFor(n, Counts::task, &counts);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(counts.hits[i].load(), 1) << threads << " threads, n=" << n << ", task " << i;
    }
  }
}

/// A decode step issues loops back to back: none may be lost or overlap.
TEST(ThreadPool, BackToBackLoops) {
  ThreadPool pool(3);
  Counts counts(16);
  for (int loop = 0; loop < 20000; ++loop)
    pool.parallelFor(16, Counts::task, &counts);
  for (auto &h : counts.hits)
    EXPECT_EQ(h.load(), 20000);
}

/// Workers that stopped polling and sleep still take the next loop; a
/// loop that the caller finishes before a worker wakes is not run twice.
TEST(ThreadPool, LoopsAfterWorkersSleep) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (int64_t n : {1, 2, 64}) {
      Counts counts(n);
      pool.parallelFor(n, Counts::task, &counts);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(counts.hits[i].load(), 1) << "round " << round << ", n=" << n << ", task " << i;
    }
  }
}

TEST(ThreadPool, AvailableThreadsIsPositive) { EXPECT_GE(ThreadPool::availableThreads(), 1u); }

} // namespace
