//===- GencToLinalg.cpp - the genc → linalg conversion pass ---------------===//
//
// Destination-style tensor code for every genc op, one pattern file per op
// family (Elementwise, Reductions, Contractions, Attention, DataMovement,
// ControlFlow), applied as a partial conversion: any genc op left over is
// an error.
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/GencToLinalg.h"

#include "Lowering.h"

#include "genc/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::genc {
#define GEN_PASS_DEF_CONVERTGENCTOLINALG
#include "genc/Conversion/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

void mlir::genc::populateGencToLinalgPatterns(RewritePatternSet &patterns, bool fuseAttention) {
  lowering::populateElementwiseLoweringPatterns(patterns);
  lowering::populateReductionLoweringPatterns(patterns);
  lowering::populateContractionLoweringPatterns(patterns);
  lowering::populateAttentionLoweringPatterns(patterns, fuseAttention);
  lowering::populateDataMovementLoweringPatterns(patterns);
  lowering::populateControlFlowLoweringPatterns(patterns);
}

void mlir::genc::configureGencToLinalgTarget(ConversionTarget &target) {
  target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                         linalg::LinalgDialect, math::MathDialect, memref::MemRefDialect,
                         scf::SCFDialect, tensor::TensorDialect>();
  target.addIllegalDialect<GencDialect>();
  // The ops of compiled code are lowered already.
  target.addLegalOp<AttentionKernelOp, LinearAttentionKernelOp, IndexOutOfBoundsOp,
                    UnrealizedConversionCastOp>();
}

namespace {

struct ConvertGencToLinalgPass : genc::impl::ConvertGencToLinalgBase<ConvertGencToLinalgPass> {
  using ConvertGencToLinalgBase::ConvertGencToLinalgBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    populateGencToLinalgPatterns(patterns, fuseAttention);
    ConversionTarget target(*context);
    configureGencToLinalgTarget(target);
    // A lowering that refuses an op says why; the driver's "failed to
    // legalize" at the same op would only repeat it. (The engine calls
    // handlers one at a time; functions convert in parallel, so the set
    // holds every explained op's location, whichever function it is in.)
    llvm::DenseSet<Location> explained;
    ScopedDiagnosticHandler dropRepeats(context, [&](Diagnostic &diagnostic) {
      if (diagnostic.getSeverity() != DiagnosticSeverity::Error)
        return failure();
      if (StringRef(diagnostic.str()).starts_with("failed to legalize"))
        return success(explained.contains(diagnostic.getLocation()));
      explained.insert(diagnostic.getLocation());
      return failure();
    });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
