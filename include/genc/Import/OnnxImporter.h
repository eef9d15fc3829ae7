//===- OnnxImporter.h - ONNX model → genc dialect ---------------*- C++ -*-===//

#ifndef GENC_IMPORT_ONNXIMPORTER_H
#define GENC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir::genc {

/// Choices the ONNX semantics leave to how the model will run.
struct ImportOptions {
  /// com.microsoft GroupQueryAttention's past_key, read as ONNX Runtime's
  /// cache buffer (rows of any past length up to its size, as seqlens_k
  /// says: ONNX Runtime's results for every input it takes), or as exactly
  /// the past (past ++ new, causal: the form a session's runtime-owned
  /// cache and rolling windows recognise; a longer buffer is refused at
  /// run time).
  bool gqaPastIsBuffer = true;
};

/// Imports an ONNX model (`.onnx` protobuf, or `.onnxtext` in ONNX's text
/// syntax) into a module with one function, `main`. Initializers become
/// dense resources that alias the loaded bytes (no copy). Errors are
/// reported through the context's diagnostic engine, naming the file and
/// the ONNX node; the result is then failure().
FailureOr<OwningOpRef<ModuleOp>> importOnnxModel(StringRef path, MLIRContext &context,
                                                 const ImportOptions &options = {});

/// Reads a serialized ONNX TensorProto (`.pb`, as in ONNX's test data) into
/// an attribute. Errors name the file.
FailureOr<ElementsAttr> importTensorFile(StringRef path, MLIRContext &context);

/// The files a `.onnx` model's external data lives in, as paths beside the
/// model, each once; empty for other models and for files that do not
/// parse (importing them reports why).
std::vector<std::string> listExternalDataFiles(StringRef path);

} // namespace mlir::genc

#endif // GENC_IMPORT_ONNXIMPORTER_H
