//===- View4.h - a kernel's view of a rank-4 strided memref -----*- C++ -*-===//

#ifndef GENC_KERNELS_VIEW4_H
#define GENC_KERNELS_VIEW4_H

#include "genc/kernels.h"

#include <cstdint>

namespace genc::kernels {

/// Additive mask values at or below this hide a key (exporters write -inf
/// or the float type's lowest value).
constexpr float kHidden = -1e30f;

/// A rank-4 strided memref of floats; dims of size 1 get stride 0, so
/// that they broadcast.
struct View4 {
  float *data = nullptr;
  int64_t sizes[4] = {1, 1, 1, 1}, strides[4] = {0, 0, 0, 0};

  /// Right-aligned: a view of lower rank broadcasts over the missing dims.
  explicit View4(const genc_unranked_memref *m) {
    auto *words = static_cast<const int64_t *>(m->descriptor);
    int64_t rank = m->rank;
    data = reinterpret_cast<float *>(words[1]) + words[2];
    for (int64_t d = 0; d < rank; ++d) {
      int64_t at = 4 - rank + d;
      sizes[at] = words[3 + d];
      strides[at] = sizes[at] == 1 ? 0 : words[3 + rank + d];
    }
  }
  const float *row(int64_t b, int64_t h, int64_t i) const {
    return data + b * strides[0] + h * strides[1] + i * strides[2];
  }
};

} // namespace genc::kernels

#endif // GENC_KERNELS_VIEW4_H
