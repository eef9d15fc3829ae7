//===- CPUTarget.h - compiling a genc module for the host CPU ---*- C++ -*-===//

#ifndef GENC_TARGET_CPU_CPUTARGET_H
#define GENC_TARGET_CPU_CPUTARGET_H

#include "genc/Target/Target.h"

#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::genc {

/// How matmul weights are stored and read (genc-quantize-matmul-weights;
/// all but f32 are approximate).
struct WeightFormat {
  enum class Kind {
    F32,            ///< as the model has them
    Int8PerChannel, ///< int8, a scale per output column
    BF16,           ///< bf16 weights, activations rounded to bf16
    Int4Grouped     ///< 4 bits, a scale (with asymmetric, an offset) per `group` weights along K
  };
  Kind kind = Kind::F32;
  int64_t group = 0;       ///< int4: 32, 64 or 128
  bool asymmetric = false; ///< int4: the range [min, max] of each group, not [-max, max]
  /// int4: rounding errors compensated on calibration statistics (GPTQ),
  /// read from the matmuls' kInputGramAttrName, instead of round to nearest.
  bool calibrated = false;

  /// As `genc compile --weights` writes it: f32, int8, bf16,
  /// int4[:GROUP][:asym][:calibrated].
  std::string str() const;
};

/// Parses `--weights`' text (WeightFormat::str), or says what is wrong.
FailureOr<WeightFormat> parseWeightFormat(StringRef text, std::string &error);

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
  /// Matmul weights' format (`genc compile --weights`).
  WeightFormat weights;
};

/// Module attribute: how the artifact was compiled (genc's version, its
/// options, the precision of each matmul), as `key value` lines. The
/// artifact exports it, with the target CPU and features added, as the
/// string `genc_build_info` for `genc inspect`; the runtime ignores it.
constexpr StringLiteral kBuildInfoAttr = "genc.build_info";

/// Registers every dialect, interface and translation the CPU pipeline
/// uses. Call before parsing or lowering.
void registerCPUTargetDialects(DialectRegistry &registry);

/// Registers the passes the CPU pipeline runs and the pipeline itself,
/// `genc-cpu-pipeline` (once; later calls do nothing), so that they can be
/// named on the command line (--mlir-print-ir-after=PASS, genc-opt) and in
/// pipeline text.
void registerCPUTargetPasses();

/// genc (after cleanup) → linalg → bufferized loops and kernel calls →
/// LLVM dialect; large constants move to the weights buffer (see
/// genc-externalize-weights). genc-opt's `--genc-cpu-pipeline` runs the
/// same passes.
void buildCPUPipeline(OpPassManager &pm, const CPUTargetOptions &options);

/// The host CPU (or the one `cpu` names) as a TargetBackend: code is
/// LLVM IR with the packed entry points `genc_main*(void**)`, the
/// signature string `genc_signature` and the build facts `genc_build_info`
/// (kBuildInfoAttr, then `cpu NAME` and `features F1,F2,...`: the CPU
/// features the code was compiled for, so needs), optimised at `optLevel`.
class CPUTarget final : public TargetBackend {
public:
  explicit CPUTarget(CPUTargetOptions options) : options(std::move(options)) {}

  void buildPipeline(OpPassManager &pm) const override { buildCPUPipeline(pm, options); }
  LogicalResult writeWeights(
      ModuleOp lowered, StringRef path, std::string &error,
      llvm::function_ref<void(uint64_t written, uint64_t total)> onProgress) const override;
  LogicalResult writeCode(ModuleOp lowered, llvm::raw_pwrite_stream &os, CodeForm form,
                          std::string &error) const override;

private:
  CPUTargetOptions options;
};

} // namespace mlir::genc

#endif // GENC_TARGET_CPU_CPUTARGET_H
