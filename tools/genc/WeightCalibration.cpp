//===- WeightCalibration.cpp - input statistics for int4:calibrated -------===//
//
// GPTQ-style rounding (genc-quantize-matmul-weights) weighs a matmul's
// weight errors by the second moments of its inputs, H = mean(x·xᵀ). They
// are measured here: a copy of the model that returns every weight
// matmul's input runs on the calibration text, and each H goes onto the
// matmuls of the model being compiled, found by the same names.
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"

#include "Commands.h"

#include "genc/Conversion/Passes.h"
#include "genc/Transforms/Passes.h"
#include "genc/genc.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

using namespace mlir;

namespace genc::driver {

namespace {

/// Σ x·xᵀ over the rows x of some matmul's inputs.
struct InputMoments {
  int64_t size = 0, rows = 0;
  std::vector<double> sum;   // size × size
  std::vector<float> window; // one run's products, upper triangle

  /// Adds `count` rows of `size` values.
  void add(const float *x, int64_t count) {
    window.assign(size * size, 0.0f);
    // Row i of the products stays in cache while the rows stream by.
    for (int64_t i = 0; i < size; ++i) {
      float *out = &window[i * size];
      for (int64_t r = 0; r < count; ++r) {
        const float *row = x + r * size;
        float xi = row[i];
        for (int64_t j = i; j < size; ++j)
          out[j] += xi * row[j];
      }
    }
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = i; j < size; ++j)
        sum[i * size + j] += window[i * size + j];
    rows += count;
  }

  /// The mean of x·xᵀ, f32 [size, size].
  DenseResourceElementsAttr mean(MLIRContext *ctx) const {
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(static_cast<size_t>(size * size) * sizeof(float), 64);
    auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = i; j < size; ++j)
        out[i * size + j] = out[j * size + i] = static_cast<float>(sum[i * size + j] / rows);
    auto type = RankedTensorType::get({size, size}, Float32Type::get(ctx));
    return DenseResourceElementsAttr::get(type, "input_gram", std::move(blob));
  }
};

} // namespace

LogicalResult calibrateMatmulWeights(ModuleOp module, llvm::StringRef input,
                                     const GraphOptions &graph) {
  auto fail = [&](const llvm::Twine &message) {
    llvm::errs() << "error: " << input << ": " << message << "\n";
    return failure();
  };
  if (graph.calibrationIds.empty())
    return fail("--weights=int4:...:calibrated rounds each weight matmul to suit its inputs on "
                "calibration text: give its token ids as --calibration-ids FILE "
                "(whitespace-separated)");
  if (!graph.encoder.empty())
    return fail("--weights=int4:...:calibrated runs a decoder on token ids alone, and an "
                "encoder-decoder's decoder needs its encoder's output: compile it with "
                "int4 rounded to nearest (drop :calibrated)");
  // The model as this compile sees it (attention rewrites included), its
  // cache in inputs and outputs, and its weight matmuls' inputs returned.
  GraphOptions exposing = graph;
  exposing.forSession = false;
  exposing.exposeMatmulInputs = true;
  exposing.report = nullptr;
  exposing.search = nullptr;
  std::optional<CalibrationRun> run = prepareCalibrationRun(input, exposing, graph.calibrationIds);
  if (!run)
    return failure();
  genc_model *loaded = run->model.get();

  llvm::StringMap<InputMoments> moments;
  std::vector<std::pair<size_t, InputMoments *>> outputs;
  for (size_t k = 0; k < genc_model_num_outputs(loaded); ++k) {
    llvm::StringRef name = genc_model_output_name(loaded, k);
    if (name.starts_with("matmul_input:"))
      outputs.emplace_back(k, &moments[name]);
  }
  LogicalResult ran = runCalibrationWindows(
      input, loaded, run->ids, [&](llvm::ArrayRef<TensorPtr> results, int64_t) -> LogicalResult {
        for (auto [index, m] : outputs) {
          genc_tensor *t = results[index].get();
          size_t rank = genc_tensor_rank(t);
          const int64_t *dims = genc_tensor_dims(t);
          if (genc_tensor_dtype(t) != GENC_F32 || rank == 0 || (m->size && dims[rank - 1] != m->size))
            return fail(std::string("the output ") + genc_model_output_name(loaded, index) +
                        " is not an f32 matmul input; calibration cannot read it");
          if (!m->size) {
            m->size = dims[rank - 1];
            m->sum.assign(m->size * m->size, 0.0);
          }
          int64_t count =
              m->size ? static_cast<int64_t>(genc_tensor_size_bytes(t) / sizeof(float)) / m->size
                      : 0;
          m->add(static_cast<const float *>(genc_tensor_data(t)), count);
        }
        return success();
      });
  if (failed(ran))
    return failure();

  // Onto the model being compiled; one attribute per input, shared by the
  // matmuls that read it.
  MLIRContext *ctx = module.getContext();
  llvm::StringMap<Attribute> grams;
  int64_t found = 0;
  for (auto fn : module.getOps<func::FuncOp>())
    for (const mlir::genc::WeightMatmul &matmul : mlir::genc::findWeightMatmuls(fn)) {
      auto it = moments.find(matmul.inputName);
      int64_t size = cast<RankedTensorType>(matmul.input.getType()).getShape().back();
      // Those calibration did not see are rounded to nearest (the
      // quantisation pass counts them in a warning).
      if (it == moments.end() || it->second.rows == 0 || it->second.size != size)
        continue;
      Attribute &gram = grams[matmul.inputName];
      if (!gram)
        gram = it->second.mean(ctx);
      matmul.op->setAttr(mlir::genc::kInputGramAttrName, gram);
      ++found;
    }
  if (found == 0)
    return fail("--weights=int4:...:calibrated found no weight matmul to calibrate (a 2-D f32 "
                "constant weight read by MatMul or Gemm)");
  return success();
}

} // namespace genc::driver
