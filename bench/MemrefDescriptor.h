//===- MemrefDescriptor.h - memref descriptors for kernel benchmarks -----===//
//
// What compiled code passes a kernel for a tensor: an unranked memref whose
// descriptor holds the data pointer twice, an offset, the sizes and the
// strides (in elements). The benchmarks that call kernels directly build
// theirs with this.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_BENCH_MEMREF_DESCRIPTOR_H
#define GENC_BENCH_MEMREF_DESCRIPTOR_H

#include "genc/kernels.h"

#include <cstddef>
#include <cstdint>
#include <vector>

/// A memref descriptor over `data`: row-major strides unless given.
struct Memref {
  std::vector<int64_t> words;
  genc_unranked_memref ref;
  template <typename T>
  Memref(T *data, std::vector<int64_t> sizes, std::vector<int64_t> strides = {}) {
    if (strides.empty()) {
      strides.resize(sizes.size());
      int64_t stride = 1;
      for (std::size_t d = sizes.size(); d-- > 0; stride *= sizes[d])
        strides[d] = stride;
    }
    words = {reinterpret_cast<int64_t>(data), reinterpret_cast<int64_t>(data), 0};
    words.insert(words.end(), sizes.begin(), sizes.end());
    words.insert(words.end(), strides.begin(), strides.end());
    ref = {static_cast<int64_t>(sizes.size()), words.data()};
  }
};

#endif // GENC_BENCH_MEMREF_DESCRIPTOR_H
