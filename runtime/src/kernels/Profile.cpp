//===- Profile.cpp - time per op family in a profiled artifact -----------===//
//
// An artifact compiled with op-family profiling marks every change of op
// family in its entry points (genc-mark-op-families); the caller that wants
// the figures passes a genc_profile in its context.
//
//===----------------------------------------------------------------------===//

#include "genc/kernels.h"

#include <ctime>

static int64_t nowNanoseconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

extern "C" void genc_profile_mark(genc_context *context, int64_t family) {
  genc_profile *profile = context ? context->profile : nullptr;
  if (!profile)
    return;
  int64_t now = nowNanoseconds();
  if (profile->family >= 0 && profile->family < GENC_OP_FAMILIES)
    profile->nanoseconds[profile->family] += now - profile->since;
  profile->family = family;
  profile->since = now;
}
