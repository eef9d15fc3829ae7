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
    exporter writes); a dynamic dim is taken to match the result. f32
    attention becomes genc.attention_kernel on buffers (the fused kernel)
    unless `fuse-attention` is off.
  }];
  let options = [
    Option<"fuseAttention", "fuse-attention", "bool", /*default=*/"true",
           "Lower f32 genc.attention to the fused kernel, not to loops">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def FuseElementwise : Pass<"genc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuses chains of elementwise generics into one loop nest (exact)";
  let description = [{
    Runs linalg's elementwise fusion (a producer generic with parallel
    loops merged into its consumer) where the producer's result has no
    other use and the consumer reads it without broadcasting (a
    permutation map), so nothing is computed twice, and where neither
    generic is a matmul marked `genc.matmul` for the CPU kernel. The fused generic
    computes the same scalars in the same order: results are bit-identical.
    Fewer intermediate tensors are written and read. Splat constants of
    unsigned (or signed) integers that a generic reads become fills of the
    value as a signless constant cast back first, which fold into the body
    (linalg's folding of a splat would make an arith.constant of type ui8,
    which arith refuses).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

#endif // GENC_CONVERSION_PASSES_TD
