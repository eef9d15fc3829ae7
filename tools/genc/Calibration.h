//===- Calibration.h - what genc fits on calibration text -------*- C++ -*-===//
//
// Both run the model on `--calibration-ids`, a window at a time
// (runCalibrationWindows), and attach what they find to the module that
// is compiled next.
//
// `--attention=gqa:G:calibrated` replaces each group of R adjacent KV heads
// by one shared head that best reconstructs them on calibration text: the
// principal subspace of the group's stacked keys (values).
// `gqa:G:grouped` averages groups of heads chosen on calibration text: the
// partition whose means lose least. Both run the model as exported on
// `--calibration-ids` and read each layer's keys and values from its
// `present.*` outputs. What they find goes to the module as
// mlir::genc::kCalibrationAttrName for genc-rewrite-attention.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_CALIBRATION_H
#define GENC_TOOLS_GENC_CALIBRATION_H

#include "Inputs.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace genc::driver {

struct GraphOptions;

/// Token positions per calibration run: the ids are cut into windows of
/// this many, or of the positions the model embeds if fewer (the last one
/// shorter), each run from an empty cache.
constexpr int64_t kCalibrationWindow = 256;

/// For the layers `graph.attentionRewrites` converts with gqa:G:calibrated
/// or gqa:G:grouped, fits their maps or chooses their groups (running `input`, compiled as exported) and attaches
/// them to `module`; nothing when no layer asks for it. Errors (no
/// calibration ids, a model without present outputs, shapes that do not
/// match its layers) are printed.
mlir::LogicalResult calibrateGroupedQuery(mlir::ModuleOp module, llvm::StringRef input,
                                          const GraphOptions &graph);

/// For `--weights=int4:calibrated`: compiles `input` with `graph`'s graph
/// options and its weight matmuls' inputs as extra outputs
/// (genc-expose-matmul-inputs), runs it on `--calibration-ids` and puts on
/// every weight matmul of `module` (compiled with the same options) the
/// mean of x·xᵀ over the inputs x it read (kInputGramAttrName). Errors
/// are printed.
mlir::LogicalResult calibrateMatmulWeights(mlir::ModuleOp module, llvm::StringRef input,
                                           const GraphOptions &graph);

/// What a calibration runs on: the token ids in `idsPath` (at least two)
/// and `input` compiled with `graph` (through genc's cache) and loaded.
struct CalibrationRun {
  std::vector<int64_t> ids;
  std::unique_ptr<genc_model, void (*)(genc_model *)> model{nullptr, genc_model_free};
};

/// Reads the ids, compiles and loads; nullopt after printing why, naming
/// `input`.
std::optional<CalibrationRun> prepareCalibrationRun(llvm::StringRef input,
                                                    const GraphOptions &graph,
                                                    llvm::StringRef idsPath);

/// Runs `model` on `ids`, kCalibrationWindow positions (or the positions it embeds) at a time, each
/// from an empty cache, and hands `use` each run's outputs and its number
/// of positions. Errors (inputs calibration cannot fill, a failed run)
/// are printed, naming `input`; `use` prints its own.
mlir::LogicalResult runCalibrationWindows(
    llvm::StringRef input, genc_model *model, llvm::ArrayRef<int64_t> ids,
    llvm::function_ref<mlir::LogicalResult(llvm::ArrayRef<TensorPtr>, int64_t)> use);

/// The symmetric eigen-decomposition of the n × n row-major `matrix`
/// (cyclic Jacobi): eigenvalues in decreasing order and, in the same
/// order, the eigenvectors as the columns of `vectors` (row-major n × n).
void symmetricEigen(std::vector<double> matrix, int64_t n, std::vector<double> &values,
                    std::vector<double> &vectors);

} // namespace genc::driver

#endif
