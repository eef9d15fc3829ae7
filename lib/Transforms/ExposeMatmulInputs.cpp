//===- ExposeMatmulInputs.cpp - weight matmuls' activations as results ----===//
//
// Calibrated quantisation needs, for each matmul by constant weights, the
// second moments of the activations it reads. The model computes them
// already; this pass returns them, so that running the compiled model on
// calibration text yields them. Matmuls are named by their ONNX nodes,
// which survive every pass from import to the CPU target's quantisation,
// so the statistics found on this copy can be attached to the model that
// is compiled for real.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::genc {
#define GEN_PASS_DEF_EXPOSEMATMULINPUTS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

/// Whether `v` is a 2-D f32 constant with data (a weight), possibly
/// transposed (the CPU target packs both alike).
static bool isConstantWeight(Value v) {
  if (auto transpose = v.getDefiningOp<TransposeOp>())
    v = transpose.getInput();
  Attribute value;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 2 && type.hasStaticShape() && type.getElementType().isF32() &&
         matchPattern(v, m_Constant(&value)) && isa<ElementsAttr>(value) &&
         !cast<ElementsAttr>(value).isSplat();
}

SmallVector<WeightMatmul> genc::findWeightMatmuls(func::FuncOp fn) {
  SmallVector<WeightMatmul> found;
  if (fn.getBody().empty())
    return found;
  llvm::DenseMap<Value, std::string> nameOfInput;
  llvm::StringSet<> names;
  // The function's own block only: a value inside a region (an If's
  // branch) cannot be returned, and its matmuls stay rounded to nearest.
  for (Operation &op : fn.getBody().front()) {
    Value input;
    if (auto matmul = dyn_cast<MatMulOp>(op); matmul && isConstantWeight(matmul.getRhs()))
      input = matmul.getLhs();
    else if (auto gemm = dyn_cast<GemmOp>(op);
             gemm && !gemm.getTransA() && isConstantWeight(gemm.getB()))
      input = gemm.getA();
    // Exact integer products keep their weights: no statistics needed.
    if (!input || !isa<RankedTensorType>(input.getType()) || op.hasAttr(kExactProductsAttrName))
      continue;
    std::string &name = nameOfInput[input];
    if (name.empty()) {
      // Unique, whatever the node names hold: "#" until no other input
      // has the name.
      name = "matmul_input:" + modelLocationOf(op.getLoc()).node;
      while (!names.insert(name).second)
        name += "#";
    }
    found.push_back({&op, input, name});
  }
  return found;
}

namespace {

struct ExposeMatmulInputsPass : genc::impl::ExposeMatmulInputsBase<ExposeMatmulInputsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn.getBody().hasOneBlock())
      return;
    auto ret = dyn_cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    if (!ret)
      return;
    llvm::StringSet<> exposed;
    OpBuilder b(ret);
    for (const WeightMatmul &matmul : findWeightMatmuls(fn)) {
      if (!exposed.insert(matmul.inputName).second)
        continue;
      unsigned index = fn.getNumResults();
      ret->insertOperands(ret.getNumOperands(), matmul.input);
      if (failed(fn.insertResult(index, matmul.input.getType(),
                                 b.getDictionaryAttr(b.getNamedAttr(
                                     "genc.name", b.getStringAttr(matmul.inputName))))))
        return signalPassFailure();
    }
  }
};

} // namespace
