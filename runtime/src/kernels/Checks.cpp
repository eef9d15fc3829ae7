//===- Checks.cpp - what compiled code reports instead of reading out of bounds ===//
//
// Compiled code checks the indices it takes from data (genc-convert-to-linalg)
// and, on a bad one, calls genc_index_error and goes on without reading
// outside any buffer. The runtime looks at the context after the call and
// fails it with the check's message (runtime/src/Model.cpp).
//
//===----------------------------------------------------------------------===//

#include "genc/kernels.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

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
  // The first failure of a call is reported; kernels may run on several
  // threads.
  int64_t none = 0;
  if (__atomic_compare_exchange_n(&context->failed_check, &none, check, /*weak=*/false,
                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    context->failed_index = index;
    context->failed_bound = bound;
  }
}
