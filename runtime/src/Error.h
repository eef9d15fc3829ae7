//===- Error.h - what the runtime's C++ side throws --------------*- C++ -*-===//

#ifndef GENC_RUNTIME_ERROR_H
#define GENC_RUNTIME_ERROR_H

#include <stdexcept>

namespace genc::runtime {
/// A failure the user can act on; the C API turns it into a status and
/// genc_status_message().
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A rollback a model cannot make because it no longer holds what the
/// next token would see (a sliding KV cache); starting again from the
/// tokens kept can.
struct RollbackRefused : Error {
  using Error::Error;
};
} // namespace genc::runtime

#endif // GENC_RUNTIME_ERROR_H
