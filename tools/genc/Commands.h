//===- Commands.h - the subcommands of the genc driver ----------*- C++ -*-===//

#ifndef GENC_TOOLS_GENC_COMMANDS_H
#define GENC_TOOLS_GENC_COMMANDS_H

#include "genc/Target/CPU.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace genc::driver {
/// `genc import MODEL [-o OUT] [--no-cleanup]`. argv[0] is "genc import".
int runImport(int argc, char **argv);
/// `genc compile MODEL -o OUT [--emit=...] [-O0..3] [--mcpu=...]`.
int runCompile(int argc, char **argv);

/// `genc run MODEL --input NAME=FILE ... --output-dir DIR`.
int runRun(int argc, char **argv);

enum class Emit { SharedLibrary, Executable, Object, LLVMIR, MLIR };

/// The MLIR options that compileModel's pass managers honour (IR printing:
/// --mlir-print-ir-after=PASS, ...). Register before parsing the command line.
void registerCompileDebugOptions();

/// Graph transforms applied after cleanup, before lowering.
struct GraphOptions {
  /// genc-kv-cache-in-place: the artifact writes its KV cache into buffers
  /// a runtime session owns (`genc compile --kv-cache=session`).
  bool kvCacheInPlace = false;
};

/// Compiles `input` to `output` (and `output`.weights); 0 on success.
int compileModel(llvm::StringRef input, llvm::StringRef output, Emit emit,
                 const mlir::genc::CPUTargetOptions &options, const GraphOptions &graph = {});

/// Imports MODEL and runs the cleanup pipeline (both commands start so).
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> importAndCleanUp(llvm::StringRef path,
                                                                    mlir::MLIRContext &context);

/// Prints diagnostics as `error: <message>`: their text names the file and
/// the node already.
void installPlainDiagnostics(mlir::MLIRContext &context);
} // namespace genc::driver

#endif
