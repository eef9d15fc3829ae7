//===- ControlFlow.cpp - genc.if → scf.if ---------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

namespace {

/// genc.if → scf.if on the condition's one element, the branches moved
/// over; their genc.yield ops are converted where they land.
struct IfLowering : OpConversionPattern<IfOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(IfOp op, OpAdaptor operands,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value condition = operands.getCondition();
    Value cond = tensor::ExtractOp::create(
        rewriter, loc, condition,
        SmallVector<Value>(tensorType(condition).getRank(), indexConst(rewriter, loc, 0)));
    auto ifOp = scf::IfOp::create(rewriter, loc, op.getResultTypes(), cond, /*withElse=*/true);
    for (auto [from, to] : {std::pair{&op.getThenBranch(), &ifOp.getThenRegion()},
                            std::pair{&op.getElseBranch(), &ifOp.getElseRegion()}}) {
      rewriter.eraseBlock(&to->front());
      rewriter.inlineRegionBefore(*from, *to, to->end());
    }
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }
};

/// A branch's genc.yield → scf.yield of values of the scf.if's types.
struct YieldLowering : OpConversionPattern<YieldOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(YieldOp op, OpAdaptor operands,
                                ConversionPatternRewriter &rewriter) const override {
    auto parent = dyn_cast<scf::IfOp>(op->getParentOp());
    if (!parent)
      return rewriter.notifyMatchFailure(op, "not in a converted genc.if");
    SmallVector<Value> values;
    for (auto [v, t] : llvm::zip(operands.getValues(), parent.getResultTypes()))
      values.push_back(castTo(rewriter, op.getLoc(), v, t));
    rewriter.replaceOpWithNewOp<scf::YieldOp>(op, values);
    return success();
  }
};

} // namespace

void mlir::genc::lowering::populateControlFlowLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<IfLowering, YieldLowering>(patterns.getContext());
}
