//===- Checks.cpp - how compiled code and kernels fail a call ---------------===//
//
// Compiled code checks the indices it takes from data (genc-convert-to-linalg)
// and, on a bad one, calls genc_index_error and goes on without reading
// outside any buffer; a kernel that cannot compute its call fails it the
// same way (KernelCall). The runtime looks at the context after the call
// and fails it with the check's message (runtime/src/Model.cpp).
//
//===----------------------------------------------------------------------===//

#include "KernelCall.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

/// The number a failure records for `check`: 0 means none, so a caller
/// that numbered no check still fails the call (as check -1).
int64_t failedCheckNumber(int64_t check) { return check != 0 ? check : -1; }

/// Records `check` as the call's failure unless one was recorded before:
/// kernels may fail on several threads, and the first failure is the one
/// reported.
bool recordFailure(genc_context &context, int64_t check, int64_t index, int64_t bound,
                   const char *reason) {
  check = failedCheckNumber(check);
  int64_t none = 0;
  if (!__atomic_compare_exchange_n(&context.failed_check, &none, check, /*weak=*/false,
                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    return false;
  context.failed_index = index;
  context.failed_bound = bound;
  context.failed_reason = reason;
  return true;
}

} // namespace

extern "C" void genc_index_error(genc_context *context, int64_t check, int64_t index,
                                 int64_t bound) {
  if (!context) {
    // Nobody to report to: stopping beats computing on garbage.
    std::fprintf(stderr,
                 "genc: index %" PRId64 " is out of range for a dimension of size %" PRId64
                 " (check %" PRId64 "), and the caller passed no context\n",
                 index, bound, check);
    std::abort();
  }
  recordFailure(*context, check, index, bound, /*reason=*/nullptr);
}

namespace genc::kernels {

void KernelCall::fail(const char *reason, int64_t index, int64_t bound) const {
  if (!context) {
    // Nobody to report to: the reason on stderr, its numbers filled in.
    std::fputs("genc kernels: ", stderr);
    for (const char *at = reason; *at;) {
      if (std::strncmp(at, "{index}", 7) == 0 || std::strncmp(at, "{bound}", 7) == 0) {
        std::fprintf(stderr, "%" PRId64, at[1] == 'i' ? index : bound);
        at += 7;
      } else {
        std::fputc(*at++, stderr);
      }
    }
    std::fputc('\n', stderr);
    std::abort();
  }
  recordFailure(*context, check, index, bound, reason);
}

void KernelCall::failOutOfMemory(int64_t bytes) const {
  const char *reason = "a kernel could not allocate {index} bytes of scratch memory; run the "
                       "model on smaller inputs or with more memory";
  if (!context)
    return fail(reason, bytes);
  if (recordFailure(*context, check, bytes, 0, reason))
    __atomic_store_n(&context->out_of_memory, failedCheckNumber(check), __ATOMIC_RELAXED);
}

} // namespace genc::kernels
