//===- SinkExpands.cpp - elementwise ops before the Expands they read -----===//
//
// Exporters broadcast a tensor, then compute on the broadcast copy (masks
// most of all). Computing first and broadcasting the result gives the same
// values from fewer elements, and leaves the broadcast last, where the
// ops that read it (attention's mask) can see through it.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::genc {
#define GEN_PASS_DEF_SINKEXPANDS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// op(Expand(x, s), Expand(y, s), c) → Expand(op(x, y, c), s). Broadcasting
/// is associative: both are x, y, c and s broadcast together.
struct SinkExpandPattern : RewritePattern {
  SinkExpandPattern(MLIRContext *context) : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!op->hasTrait<ElementwiseBroadcast>() || op->getNumResults() != 1)
      return failure();
    Value shape;
    SmallVector<Value> inputs;
    for (Value operand : op->getOperands()) {
      if (auto expand = operand.getDefiningOp<ExpandOp>();
          expand && (!shape || expand.getShape() == shape)) {
        shape = expand.getShape();
        inputs.push_back(expand.getInput());
      } else if (isOneElementConstant(operand)) {
        inputs.push_back(operand);
      } else {
        return failure();
      }
    }
    if (!shape)
      return failure();
    Operation *narrow = createOnOperands(rewriter, op, inputs);
    if (!narrow)
      return failure();
    rewriter.replaceOpWithNewOp<ExpandOp>(op, op->getResult(0).getType(), narrow->getResult(0),
                                          shape);
    return success();
  }
};

struct SinkExpandsPass : genc::impl::SinkExpandsBase<SinkExpandsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SinkExpandPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
