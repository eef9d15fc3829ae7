//===- BufferizationSupport.cpp - what one-shot bufferization leaves out --===//
//
// tensor.concat has no bufferization, and memref.copy lowers to a runtime
// library call an artifact does not link: one pass before bufferization,
// one after.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::genc {
#define GEN_PASS_DEF_DECOMPOSECONCAT
#define GEN_PASS_DEF_COPIESTOLOOPS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

struct DecomposeConcatPass : genc::impl::DecomposeConcatBase<DecomposeConcatPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tensor::populateDecomposeTensorConcatPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct CopiesToLoopsPass : genc::impl::CopiesToLoopsBase<CopiesToLoopsPass> {
  void runOnOperation() override {
    getOperation()->walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
