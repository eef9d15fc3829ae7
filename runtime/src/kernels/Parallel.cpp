//===- Parallel.cpp - the pool an artifact's kernels run on ----------------===//

#include "Parallel.h"

namespace {
// The pool of the thread that calls the compiled code: the runtime installs
// its session's (or model's) pool before each call, so two sessions can run
// one artifact from two threads. The pool's workers only run tasks.
thread_local genc_parallel_for_fn gParallelFor = nullptr;
thread_local void *gPool = nullptr;
} // namespace

extern "C" void genc_artifact_set_parallel_for(genc_parallel_for_fn fn, void *pool) {
  gParallelFor = fn;
  gPool = pool;
}

void genc::kernels::detail::dispatch(int64_t n, genc_task_fn task, void *ctx) {
  if (gParallelFor && n > 1) {
    gParallelFor(gPool, n, task, ctx);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    task(ctx, i);
}
