//===- Internal.h - the runtime's C++ side of the C API ---------*- C++ -*-===//

#ifndef GENC_RUNTIME_INTERNAL_H
#define GENC_RUNTIME_INTERNAL_H

#include "genc/genc.h"

#include <cstdint>
#include <string>
#include <vector>

struct genc_tensor {
  genc_dtype dtype;
  std::vector<int64_t> dims;
  unsigned char *data = nullptr; // sizeBytes bytes, C order
  size_t sizeBytes = 0;
  /// What the tensor frees when it dies: its own allocation, or a result
  /// buffer it adopted from the artifact.
  void *owner = nullptr;
  void (*release)(void *) = nullptr;

  genc_tensor(genc_dtype dtype, std::vector<int64_t> dims) : dtype(dtype), dims(std::move(dims)) {}
  ~genc_tensor() {
    if (release)
      release(owner);
  }
  genc_tensor(const genc_tensor &) = delete;
  genc_tensor &operator=(const genc_tensor &) = delete;

  size_t numElements() const {
    size_t n = 1;
    for (int64_t d : dims)
      n *= static_cast<size_t>(d);
    return n;
  }
};

namespace genc::runtime {
/// Records the message genc_status_message() returns and passes `status` on.
genc_status fail(genc_status status, std::string message);
/// A tensor with room for its data; zero-filled when `zero`.
genc_status createTensor(genc_dtype dtype, const int64_t *dims, size_t rank, bool zero,
                         genc_tensor **tensor);
/// Parses "f32", "i64", "i1", ... as printed by MLIR.
bool parseDType(const std::string &name, genc_dtype &dtype);
} // namespace genc::runtime

#endif // GENC_RUNTIME_INTERNAL_H
