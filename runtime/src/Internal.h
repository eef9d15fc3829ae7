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
  std::vector<unsigned char> data;

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
/// Parses "f32", "i64", "i1", ... as printed by MLIR.
bool parseDType(const std::string &name, genc_dtype &dtype);
} // namespace genc::runtime

#endif // GENC_RUNTIME_INTERNAL_H
