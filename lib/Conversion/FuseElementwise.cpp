//===- FuseElementwise.cpp - one loop nest for a chain of elementwise ops ---===//
//
// genc-convert-to-linalg gives every op its own generic, so a chain such as
// RMSNorm's pow, mean, add, sqrt, div and two muls writes and reads a whole
// tensor between each pair. Upstream linalg's elementwise fusion merges a
// producer generic into its consumer; this pass applies it where it cannot
// cost anything: the producer's result has that one use and the consumer
// reads each of its elements once (no broadcast, so nothing is computed
// twice), and neither side is a matmul marked for the CPU kernel (a fused
// matmul would no longer be one the kernel takes). Splat constants of
// unsigned or signed integers that a generic reads become fills first
// (fillSignedSplats).
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::genc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "genc/Conversion/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

bool isKernelMatmul(Operation *op) { return op && op->hasAttr(genc::kMatmulAttrName); }

/// Each splat constant of unsigned or signed integers (an ONNX uint8
/// scalar) that generics read becomes, for them, a fill of its value made
/// signless and cast back, as the lowering casts such scalars: upstream's
/// folding of a splat constant into a generic's body would make an
/// arith.constant of that type, which arith refuses, where the fill folds
/// into the body as the cast value.
void fillSignedSplats(Operation *root) {
  root->walk([](arith::ConstantOp constant) {
    auto type = dyn_cast<RankedTensorType>(constant.getType());
    auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
    auto element = type ? dyn_cast<IntegerType>(type.getElementType()) : nullptr;
    auto readByGeneric = [](OpOperand &use) { return isa<linalg::GenericOp>(use.getOwner()); };
    if (!splat || !element || element.isSignless() || !type.hasStaticShape() ||
        llvm::none_of(constant->getUses(), readByGeneric))
      return;
    OpBuilder b(constant);
    Location loc = constant.getLoc();
    Value value = arith::ConstantOp::create(
        b, loc,
        IntegerAttr::get(b.getIntegerType(element.getWidth()), splat.getSplatValue<APInt>()));
    value = UnrealizedConversionCastOp::create(b, loc, element, value).getResult(0);
    Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), element);
    Value fill = linalg::FillOp::create(b, loc, value, empty).getResult(0);
    constant.getResult().replaceUsesWithIf(fill, readByGeneric);
    if (constant.use_empty())
      constant.erase();
  });
}

struct FuseElementwisePass : genc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    fillSignedSplats(getOperation());
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
      // A consumer reading through a broadcast (RMSNorm's [B, S, 1] scale
      // into [B, S, D]) would recompute the producer for every copy.
      return consumer && operand->get().hasOneUse() &&
             consumer.getMatchingIndexingMap(operand).isPermutation() &&
             !isKernelMatmul(producer) && !isKernelMatmul(consumer);
    });
    // A result's size asked with tensor.dim is a use too: answered from the
    // generic's operands instead, it no longer keeps the result unfused.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    // Each fusion erases its producer, so the rewrite terminates; a model
    // with long chains (T5's relative-position buckets) takes more than the
    // default 10 sweeps. The bound stays, so that a future cycle between
    // patterns is an error, not a hang.
    GreedyRewriteConfig config;
    config.setMaxIterations(1000);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config))) {
      getOperation()->emitError("genc-fuse-elementwise did not converge");
      return signalPassFailure();
    }
  }
};

} // namespace
