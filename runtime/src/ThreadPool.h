//===- ThreadPool.h - the runtime's worker threads --------------*- C++ -*-===//
//
// A fixed set of workers that run one parallel loop at a time, the calling
// thread included. Workers poll for a millisecond before sleeping: a
// decode step issues a parallel loop per matmul, back to back, and waking
// a sleeping thread costs more than some of those loops.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_THREADPOOL_H
#define GENC_RUNTIME_THREADPOOL_H

#include "genc/kernels.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace genc::runtime {

class ThreadPool {
public:
  /// The most threads a pool runs: a larger request is a mistake (a
  /// thread's stack each, and far more threads than any machine's CPUs).
  static constexpr unsigned kMaxThreads = 1024;

  /// `threads` counts the caller: 1 means no workers. Throws Error for
  /// more than kMaxThreads, or when the process may not start them all.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers.size()) + 1; }

  /// Runs task(ctx, i) for i in [0, n) and returns when all are done.
  void parallelFor(int64_t n, genc_task_fn task, void *ctx);

  /// The genc_parallel_for_fn an artifact calls; `pool` is a ThreadPool.
  static void run(void *pool, int64_t n, genc_task_fn task, void *ctx);

  /// What threads a process may use (its CPU affinity mask), at most
  /// kMaxThreads.
  static unsigned availableThreads();

private:
  struct Loop {
    int64_t n = 0;
    genc_task_fn task = nullptr;
    void *ctx = nullptr;
  };
  void work();
  void runTasks(const Loop &loop);
  /// Stops and joins the workers.
  void stop();

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  Loop loop;                          // guarded by `generation`
  std::atomic<uint64_t> generation{0}; // bumped per loop
  std::atomic<int64_t> next{0};        // next task index
  std::atomic<unsigned> busy{0};       // workers inside the current loop
  bool stopping = false;
};

} // namespace genc::runtime

#endif // GENC_RUNTIME_THREADPOOL_H
