//===- ThreadPoolTest.cpp - every task exactly once, loop after loop -------===//

#include "ThreadPool.h"

#include "Error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
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

/// A pool larger than kMaxThreads is refused before any thread starts (a
/// typo such as --threads 100000 would otherwise start threads until the
/// process's limit, then abort); the CPUs a process may use are capped too.
TEST(ThreadPool, RefusesMoreThanItsMaximum) {
  try {
    ThreadPool pool(ThreadPool::kMaxThreads + 1);
    FAIL() << "a pool of " << pool.threads() << " threads started";
  } catch (const genc::runtime::Error &e) {
    EXPECT_NE(std::string(e.what()).find("at most 1024"), std::string::npos) << e.what();
  }
  EXPECT_LE(ThreadPool::availableThreads(), ThreadPool::kMaxThreads);
  EXPECT_GE(ThreadPool::availableThreads(), 1u);
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

/// The process's CPU time so far.
std::chrono::nanoseconds cpuTime() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

/// Workers poll for the next loop for a millisecond, then sleep: an idle
/// pool costs (almost) no CPU.
TEST(ThreadPool, IdleWorkersStopPolling) {
  ThreadPool pool(3);
  Counts counts(64);
  pool.parallelFor(64, Counts::task, &counts);
  auto before = cpuTime();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Two workers polling all along would have used 100 ms.
  EXPECT_LT(cpuTime() - before, std::chrono::milliseconds(20));
}

TEST(ThreadPool, AvailableThreadsIsPositive) { EXPECT_GE(ThreadPool::availableThreads(), 1u); }

} // namespace
