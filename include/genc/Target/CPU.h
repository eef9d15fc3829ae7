//===- CPU.h - compiling a genc module for the host CPU ---------*- C++ -*-===//

#ifndef GENC_TARGET_CPU_H
#define GENC_TARGET_CPU_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>
#include <memory>
#include <string>

namespace mlir {
class PassManager;
} // namespace mlir

namespace llvm {
class LLVMContext;
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir::genc {

/// What @main is called once compiled: a C `main` would take over the
/// program an artifact is linked into (`--emit=exe`) or loaded by.
constexpr StringLiteral kCompiledModelName = "genc_model";

struct CPUTargetOptions {
  /// LLVM optimisation level, 0..3.
  unsigned optLevel = 2;
  /// CPU name for code generation; "host" means this machine's CPU and
  /// features (AVX-512 where present).
  std::string cpu = "host";
  /// f32 attention as the fused kernel (genc_attention_f32); false keeps
  /// the loops that materialise the scores (for comparison).
  bool fusedAttention = true;
  /// Time per op family (genc-tag-op-families, genc-mark-op-families):
  /// one call of genc_profile_mark per change of family, which returns at
  /// once unless the caller asks for a profile.
  bool profileOpFamilies = false;
  /// Called on every pass manager the pipeline runs (to record passes).
  std::function<void(PassManager &)> instrumentPassManager;
};

/// Registers every dialect, interface and translation the CPU pipeline
/// uses. Call before parsing or lowering.
void registerCPUTargetDialects(DialectRegistry &registry);

/// Registers the passes the CPU pipeline runs (once; later calls do
/// nothing), so that they can be named on the command line
/// (--mlir-print-ir-after=PASS) and in pipeline text.
void registerCPUTargetPasses();

/// genc (after cleanup) → linalg → bufferized loops → LLVM dialect. Large
/// constants move to the weights buffer (see genc-externalize-weights).
LogicalResult lowerToLLVMDialect(ModuleOp module, const CPUTargetOptions &options = {});

/// Module attribute: how the artifact was compiled (genc's version, its
/// options, the precision of each matmul), as `key value` lines. The
/// artifact exports it, with the target CPU and features added, as the
/// string `genc_build_info` for `genc inspect`; the runtime ignores it.
constexpr StringLiteral kBuildInfoAttr = "genc.build_info";

/// LLVM dialect → LLVM IR, with the packed entry point `genc_main(void**)`,
/// the signature string `genc_signature` and the build facts
/// `genc_build_info` (kBuildInfoAttr, then `cpu NAME` and `features
/// F1,F2,...`: the CPU features the code was compiled for, so needs),
/// optimised at `optLevel`.
/// Null on failure, with the reason (an unknown CPU, an optimizer error)
/// emitted as an error diagnostic.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                                                const CPUTargetOptions &options);

/// An object file for the target CPU.
LogicalResult writeObjectFile(llvm::Module &module, llvm::raw_pwrite_stream &os,
                              const CPUTargetOptions &options, std::string &error);

/// Writes the weights buffer that genc-externalize-weights laid out,
/// telling `onProgress` the bytes written so far and the total as it goes.
LogicalResult writeWeightsFile(
    ModuleOp module, StringRef path, std::string &error,
    llvm::function_ref<void(uint64_t written, uint64_t total)> onProgress = {});

} // namespace mlir::genc

#endif // GENC_TARGET_CPU_H
