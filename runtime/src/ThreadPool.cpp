//===- ThreadPool.cpp - the runtime's worker threads -----------------------===//

#include "ThreadPool.h"

#include "Error.h"

#include <algorithm>
#include <chrono>
#include <sched.h>
#include <string>
#include <system_error>

using genc::runtime::ThreadPool;

namespace {
/// How long a worker polls for the next loop before it sleeps: longer than
/// the gaps between one step's parallel loops (the ops between two
/// matmuls), so that a step does not wait for a sleeping thread to wake,
/// which costs tens of microseconds (more on a VM).
constexpr std::chrono::microseconds kPollTime{1000};
/// Polls in this many loads run back to back; between them the worker
/// yields its core, so that a caller or another pool's thread waiting for
/// it runs first when there are more threads than cores.
constexpr unsigned kLoadsPerYield = 64;

/// Polls until `pending` returns false or kPollTime has passed.
template <typename Pending> void poll(Pending &&pending) {
  const auto deadline = std::chrono::steady_clock::now() + kPollTime;
  for (unsigned i = 1; pending(); ++i) {
    if (i % kLoadsPerYield != 0) {
      // Frees the core's shared resources while polling.
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      asm volatile("yield");
#endif
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline)
      return;
    sched_yield();
  }
}
} // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads > kMaxThreads)
    throw Error("a thread pool of " + std::to_string(threads) + " threads: at most " +
                std::to_string(kMaxThreads) + " (this process may use " +
                std::to_string(availableThreads()) + " CPUs); ask for fewer threads");
  // Room for every worker first: a vector that grew could fail with
  // threads running, which must then be joined.
  workers.reserve(threads > 0 ? threads - 1 : 0);
  try {
    for (unsigned i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  } catch (const std::system_error &e) {
    // The process's limit on threads: stop those started, then say so.
    unsigned started = static_cast<unsigned>(workers.size()) + 1;
    stop();
    throw Error("a thread pool of " + std::to_string(threads) + " threads: thread " +
                std::to_string(started + 1) + " could not start (" + e.what() +
                "); ask for fewer threads");
  }
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
  workers.clear();
}

unsigned ThreadPool::availableThreads() {
  cpu_set_t set;
  unsigned n = sched_getaffinity(0, sizeof(set), &set) == 0 ? static_cast<unsigned>(CPU_COUNT(&set))
                                                            : std::thread::hardware_concurrency();
  return std::clamp(n, 1u, kMaxThreads);
}

void ThreadPool::runTasks(const Loop &l) {
  for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < l.n;)
    l.task(l.ctx, i);
}

void ThreadPool::parallelFor(int64_t n, genc_task_fn task, void *ctx) {
  if (workers.empty() || n <= 1) {
    for (int64_t i = 0; i < n; ++i)
      task(ctx, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    loop = Loop{n, task, ctx};
    next.store(0, std::memory_order_relaxed);
    busy.store(static_cast<unsigned>(workers.size()), std::memory_order_relaxed);
    generation.fetch_add(1, std::memory_order_release);
  }
  wake.notify_all();
  runTasks(loop);
  // The loop's state must outlive every worker still inside it.
  while (busy.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    // A new pool's workers sleep until its first loop.
    if (seen != 0)
      poll([&] { return generation.load(std::memory_order_acquire) == seen; });
    Loop current;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return generation.load(std::memory_order_acquire) != seen; });
      if (stopping)
        return;
      seen = generation.load(std::memory_order_acquire);
      current = loop;
    }
    runTasks(current);
    busy.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run(void *pool, int64_t n, genc_task_fn task, void *ctx) {
  static_cast<ThreadPool *>(pool)->parallelFor(n, task, ctx);
}
