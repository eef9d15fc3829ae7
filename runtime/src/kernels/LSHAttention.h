//===- LSHAttention.h - Reformer's LSH bucketed attention -------*- C++ -*-===//

#ifndef GENC_KERNELS_LSHATTENTION_H
#define GENC_KERNELS_LSHATTENTION_H

#include "KernelCall.h"
#include "View4.h"

namespace genc::kernels {

/// genc_attention_f32 with `lsh_buckets` > 0 (no window, blocks or
/// softcap; an additive mask added to the scores): what LSHAttention.cpp
/// computes.
struct LSHProblem {
  View4 out, q, k, v, mask;
  bool hasMask;
  float scale;
  bool causal;
  int64_t offset, buckets, hashes, chunk, seed;
  /// The context's state (genc_attention_state) that keeps the keys'
  /// buckets between calls; -1: none.
  int64_t stateSlot;
};

void lshAttention(const KernelCall &call, const LSHProblem &p);

} // namespace genc::kernels

#endif // GENC_KERNELS_LSHATTENTION_H
