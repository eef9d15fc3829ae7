//===- Error.h - what the runtime's C++ side throws --------------*- C++ -*-===//

#ifndef GENC_RUNTIME_ERROR_H
#define GENC_RUNTIME_ERROR_H

#include <cstdint>
#include <stdexcept>
#include <string>

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
/// A session longer than the positions a model embeds (a position table
/// or rotary tables): what a generator reports in its own options' terms.
struct TooManyPositions : Error {
  TooManyPositions(int64_t limit, std::string node, int64_t asked)
      : Error(embeds("the model", limit, node) + "; a session of max_context " +
              std::to_string(asked) + " would index past them: lower max_context to " +
              std::to_string(limit) + " or less"),
        limit(limit), node(std::move(node)) {}
  /// "MODEL embeds LIMIT positions (node 'NODE' reads them from a table)".
  static std::string embeds(const std::string &model, int64_t limit, const std::string &node) {
    return model + " embeds " + std::to_string(limit) + " positions" +
           (node == "-" ? "" : " (node '" + node + "' reads them from a table)");
  }
  std::string embeds(const std::string &model) const { return embeds(model, limit, node); }
  int64_t limit;
  std::string node;
};
} // namespace genc::runtime

#endif // GENC_RUNTIME_ERROR_H
