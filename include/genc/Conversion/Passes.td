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

def ExternalizeWeights : Pass<"genc-externalize-weights", "ModuleOp"> {
  let summary = "Reads large constants from a weights buffer argument (exact)";
  let description = [{
    Weights must not become LLVM constants: compile time and memory would
    grow with their size. Each tensor constant of at least `min-bytes`
    bytes in `@main` is replaced by a view into a new first argument,
    `%weights: memref<?xi8>`, at a 64-byte aligned offset; the module gets
    `genc.weights`, an array of {offset, value} in blob order, from which
    the compiler writes the weights file that the runtime maps.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"1024",
           "Constants at least this large move to the weights buffer">
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

#endif // GENC_CONVERSION_PASSES_TD
