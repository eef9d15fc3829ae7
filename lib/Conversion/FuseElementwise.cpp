//===- FuseElementwise.cpp - elementwise producers into their consumers ----===//
//
// genc lowers every op to its own linalg.generic; a chain of elementwise
// ops (an RMS norm's pow/mean/div/mul, SiLU's sigmoid and products, the
// residual adds) then makes one pass over memory per op. Linalg's
// elementwise fusion computes a producer inside its consumer instead.
// Marked matmuls stay whole, for the CPU kernel, and a producer with
// other users is not fused (it would be computed twice).
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::genc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "genc/Conversion/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

struct FuseElementwisePass : genc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      Operation *consumer = operand->getOwner();
      return producer && !producer->hasAttr(genc::kMatmulAttrName) &&
             !consumer->hasAttr(genc::kMatmulAttrName) && producer->hasOneUse();
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
