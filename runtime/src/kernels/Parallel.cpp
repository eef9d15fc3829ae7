//===- Parallel.cpp - kernels run on their caller's pool -------------------===//

#include "Parallel.h"

void genc::kernels::detail::dispatch(const genc_context *context, int64_t n, genc_task_fn task,
                                     void *ctx) {
  if (context && context->parallel_for && n > 1) {
    context->parallel_for(context->pool, n, task, ctx);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    task(ctx, i);
}
