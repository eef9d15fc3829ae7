//===- PolynomialMath.cpp - exp, tanh and erf that LLVM can vectorise ------===//
//
// math.exp, math.tanh and math.erf on f32 otherwise become calls of libm's
// expf, tanhf and erff: one scalar call per element, which keeps the
// vectoriser off the loops of sigmoid, SiLU, GELU and softmax. Upstream's
// polynomial approximations are plain arithmetic that vectorises; their
// error against the exact function is measured in docs/passes.md.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::genc {
#define GEN_PASS_DEF_POLYNOMIALMATH
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// The approximations' math.fma as a multiply and an add that LLVM may
/// contract: one FMA instruction where the target has them (`--mcpu=host`
/// on these machines), where llvm.fma would be a libm call per element
/// on a target without them.
struct FmaAsContractibleMulAdd : OpRewritePattern<math::FmaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::FmaOp op, PatternRewriter &rewriter) const override {
    auto contract = arith::FastMathFlagsAttr::get(op.getContext(), arith::FastMathFlags::contract);
    Value product = arith::MulFOp::create(rewriter, op.getLoc(), op.getA(), op.getB(), contract);
    rewriter.replaceOpWithNewOp<arith::AddFOp>(op, product, op.getC(), contract);
    return success();
  }
};

struct PolynomialMathPass : genc::impl::PolynomialMathBase<PolynomialMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef op) {
      return op == math::ExpOp::getOperationName() || op == math::TanhOp::getOperationName() ||
             op == math::ErfOp::getOperationName();
    });
    patterns.add<FmaAsContractibleMulAdd>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
