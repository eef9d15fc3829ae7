//===- FillPerUse.cpp - one linalg.fill per destination use ----------------===//
//
// CSE merges identical `linalg.fill(c, tensor.empty)` ops, so that one
// filled tensor becomes the destination of several ops (every matmul and
// reduction starts from zeros). Each of them writes its destination, so
// bufferization then fills one buffer and copies it once per use. Giving
// every use its own fill turns each copy back into a fill, which
// genc-call-cpu-kernels can then drop before a matmul.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::genc {
#define GEN_PASS_DEF_FILLPERUSE
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

struct FillPerUsePass : genc::impl::FillPerUseBase<FillPerUsePass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() &&
          !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      // Every use gets a copy placed right before it; the original goes.
      Value dest = fill.getOutputs()[0];
      for (OpOperand &use : llvm::make_early_inc_range(fill->getResult(0).getUses())) {
        OpBuilder b(use.getOwner());
        IRMapping mapping;
        mapping.map(dest, b.clone(*dest.getDefiningOp())->getResult(0));
        use.set(b.clone(*fill, mapping)->getResult(0));
      }
      fill.erase();
      if (dest.use_empty())
        dest.getDefiningOp()->erase();
    }
  }
};

} // namespace
