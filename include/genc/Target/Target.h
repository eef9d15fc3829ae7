//===- Target.h - what a code generation target provides --------*- C++ -*-===//
//
// genc compile drives a target through this interface only: the passes from
// genc (after cleanup and graph transforms) to the target's low-level IR,
// then the artifact's two parts written from the lowered module, its
// weights file and its code. The CPU target (genc/Target/CPU) is the one
// implementation today.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TARGET_TARGET_H
#define GENC_TARGET_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace llvm {
class raw_pwrite_stream;
} // namespace llvm

namespace mlir::genc {

/// The forms a target writes a lowered module's code in.
enum class CodeForm {
  Object,   ///< A relocatable object file, linked with the runtime.
  TextualIR ///< The target's last IR as text (LLVM IR for the CPU).
};

class TargetBackend {
public:
  virtual ~TargetBackend() = default;

  /// Adds the passes lowering a genc module to `pm`, a module pass manager.
  virtual void buildPipeline(OpPassManager &pm) const = 0;

  /// Writes the weights file the lowered module reads from, telling
  /// `onProgress` the bytes written so far and the total as it goes. Each
  /// weight's data is freed once written: the module's code needs only
  /// the file, and the weights cannot be written twice.
  virtual LogicalResult
  writeWeights(ModuleOp lowered, StringRef path, std::string &error,
               llvm::function_ref<void(uint64_t written, uint64_t total)> onProgress) const = 0;

  /// Writes the lowered module's code in `form`.
  virtual LogicalResult writeCode(ModuleOp lowered, llvm::raw_pwrite_stream &os, CodeForm form,
                                  std::string &error) const = 0;
};

} // namespace mlir::genc

#endif // GENC_TARGET_TARGET_H
