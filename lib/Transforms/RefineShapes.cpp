//===- RefineShapes.cpp - make result types as static as inference allows --===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

namespace mlir::genc {
#define GEN_PASS_DEF_REFINESHAPES
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// The more static of two compatible types, or `current` if they conflict.
Type join(Type current, Type inferred) {
  auto a = dyn_cast<RankedTensorType>(current);
  auto b = dyn_cast<RankedTensorType>(inferred);
  if (!a || !b || a.getRank() != b.getRank() || a.getElementType() != b.getElementType())
    return current;
  SmallVector<int64_t> shape(a.getShape());
  for (auto [i, d] : llvm::enumerate(b.getShape()))
    if (ShapedType::isDynamic(shape[i]))
      shape[i] = d;
  return a.clone(shape);
}

struct RefineShapesPass : genc::impl::RefineShapesBase<RefineShapesPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    fn.walk([&](Operation *op) {
      if (auto ifOp = dyn_cast<IfOp>(op)) {
        refineIf(ifOp);
        return;
      }
      if (auto split = dyn_cast<SplitOp>(op)) {
        refineSplit(split);
        return;
      }
      auto infer = dyn_cast<InferTypeOpInterface>(op);
      if (!infer || !isa<GencDialect>(op->getDialect()))
        return;
      SmallVector<Type> inferred;
      if (failed(infer.inferReturnTypes(op->getContext(), std::nullopt, op->getOperands(),
                                        op->getAttrDictionary(), op->getPropertiesStorage(),
                                        op->getRegions(), inferred)))
        return;
      for (auto [result, type] : llvm::zip(op->getResults(), inferred))
        result.setType(join(result.getType(), type));
    });
    // The signature follows what the body returns.
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    fn.setType(FunctionType::get(&getContext(), fn.getArgumentTypes(),
                                 ret.getOperandTypes()));
  }

  // Each piece has the input's dims but along the axis (a variadic
  // result, so no InferTypeOpInterface).
  void refineSplit(SplitOp op) {
    auto input = cast<RankedTensorType>(op.getInput().getType());
    for (OpResult result : op->getResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<int64_t> shape(input.getShape());
      shape[op.getAxis()] = type.getDimSize(op.getAxis());
      result.setType(join(type, type.clone(shape)));
    }
  }

  // A result is static where both branches agree on a static dim.
  void refineIf(IfOp op) {
    auto thenYield = cast<YieldOp>(op.getThenBranch().front().getTerminator());
    auto elseYield = cast<YieldOp>(op.getElseBranch().front().getTerminator());
    for (auto [result, a, b] : llvm::zip(op.getResults(), thenYield.getValues(),
                                         elseYield.getValues())) {
      auto ta = cast<RankedTensorType>(a.getType());
      auto tb = cast<RankedTensorType>(b.getType());
      if (ta.getRank() != tb.getRank())
        continue;
      SmallVector<int64_t> shape;
      for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
        shape.push_back(x == y ? x : ShapedType::kDynamic);
      result.setType(join(result.getType(), ta.clone(shape)));
    }
  }
};

} // namespace
