//===- Passes.td - genc conversion passes ---*- tablegen -*-===//

#ifndef GENC_CONVERSION_PASSES_TD
#define GENC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGencToLinalg : Pass<"genc-convert-to-linalg", "func::FuncOp"> {
  let summary = "Lowers genc ops to linalg, tensor, arith, math and scf (exact)";
  let description = [{
    Every genc op becomes destination-style tensor code: elementwise ops,
    matmuls, reductions and normalisations as linalg.generic (one
    parametrised lowering per kind), data movement as tensor ops, If as
    scf.if. Dynamic dims are read with tensor.dim. Broadcasting follows the
    static shapes: a dim that broadcasts must be a static 1 (what every
    exporter writes); a dynamic dim is taken to match the result.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // GENC_CONVERSION_PASSES_TD
