//===- Inputs.h - named input tensors from files ---------------*- C++ -*-===//

#ifndef GENC_TOOLS_GENC_INPUTS_H
#define GENC_TOOLS_GENC_INPUTS_H

#include "genc/genc.h"

#include "llvm/ADT/ArrayRef.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace genc::driver {

struct TensorDeleter {
  void operator()(genc_tensor *t) const { genc_tensor_free(t); }
};
using TensorPtr = std::unique_ptr<genc_tensor, TensorDeleter>;

/// Inputs read from NAME=FILE specs (.npy, or an ONNX TensorProto .pb),
/// and the same put in `model`'s signature order for genc_model_run.
struct NamedInputs {
  std::vector<std::string> names;
  std::vector<TensorPtr> tensors;
  std::vector<const genc_tensor *> ordered;
};

/// Reads `specs` and orders them for `model`; prints the error and
/// returns nullopt when a spec or file is bad or an input is missing.
std::optional<NamedInputs> loadNamedInputs(llvm::ArrayRef<std::string> specs,
                                           const genc_model *model);

/// Whitespace-separated token ids from `path`; nullopt with `error` set
/// when the file cannot be read or holds something else.
std::optional<std::vector<int64_t>> readTokenIds(const std::string &path, std::string &error);

} // namespace genc::driver

#endif
