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

def ExternalizeWeights : Pass<"genc-externalize-weights", "ModuleOp"> {
  let summary = "Reads large constants from a weights buffer argument (exact)";
  let description = [{
    Weights must not become LLVM constants: compile time and memory would
    grow with their size. Each tensor constant of at least `min-bytes`
    bytes in a public function (`@main`, and an encoder-decoder's
    `@encoder`) is replaced by a view into a new first argument,
    `%weights: memref<?xi8>`, at a 64-byte aligned offset (one buffer for
    all of them); the module gets
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

def PackMatmulWeights : Pass<"genc-pack-matmul-weights", "ModuleOp"> {
  let summary = "Packs constant matmul operands into 32-wide column panels (exact)";
  let description = [{
    A matmul kernel streams B one 32-column panel at a time; a constant B
    (a weight, or the transpose of one) is rewritten once, here, into
    `[ceil(N/32), K, 32]` panels padded with zeros, and the matmul's
    indexing map for B becomes `(n floordiv 32, k, n mod 32)`, so the op
    still computes the same product. Applies to f32 linalg.generic matmuls
    that genc-convert-to-linalg marked `genc.matmul = "row_major"`; they
    are re-marked `"panels_32"`. The original constant stays only if
    something else uses it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
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
    Fewer intermediate tensors are written and read.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def FillPerUse : Pass<"genc-fill-per-use"> {
  let summary = "Gives every use of a filled tensor its own linalg.fill (exact)";
  let description = [{
    CSE merges identical `linalg.fill(value, tensor.empty)` ops, so one
    filled tensor can be the destination of several ops (every matmul and
    reduction starts from zeros); bufferization would then fill one
    buffer and copy it for each of them. Run before bufferization: every
    use but the first gets a clone of the fill and its empty tensor, placed
    right before the user, and writes it in place.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def CallCPUKernels : Pass<"genc-call-cpu-kernels", "ModuleOp"> {
  let summary = "Replaces marked matmuls on buffers with calls to the runtime's kernels (exact)";
  let description = [{
    After bufferization, every linalg.generic marked `genc.matmul` whose
    operands are f32 memrefs becomes a call to `genc_matmul_f32(context,
    C, A, B, layout, accumulate)` (runtime/include/genc/kernels.h) with the
    operands cast to unranked memrefs; the kernel accumulates into C
    exactly as the generic would. `context` is the calling function's
    `genc.context` argument (an `!llvm.ptr`, added as its first argument
    when missing): the caller's thread pool, never a global. When C is a fresh buffer whose only earlier writer is a
    fill with +0.0, the fill is erased and the kernel writes C instead
    (`accumulate` 0): the same values without a pass over C. Each
    `genc.index_out_of_bounds` becomes a call of `genc_index_error(context,
    check, index, bound)`, its message line `<check> <message>` of the
    artifact's constant text `genc_checks`. The kernels are linked into the
    artifact by `genc compile`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect"];
}

def TagOpFamilies : Pass<"genc-tag-op-families", "func::FuncOp"> {
  let summary = "Records each genc op's family in its location, for profiling (exact)";
  let description = [{
    The first half of op-family profiling. Every genc op's location is
    wrapped in a fused location whose metadata names its family (`matmul`,
    `attention`, `norms and reductions`, `softmax`, `elementwise`,
    `data movement`; the numbering of runtime/include/genc/kernels.h), so
    that the loops and kernel calls lowered from it still say where they
    came from after bufferization. Changes no computation.
  }];
}

def MarkOpFamilies : Pass<"genc-mark-op-families", "ModuleOp"> {
  let summary = "Times each op family of the entry points (profiling; exact)";
  let description = [{
    The second half of op-family profiling, on bufferized code. In each
    public function, the top-level ops are grouped into runs of one family:
    the family genc-tag-op-families recorded in an op's location, else one
    read off the op (a matmul or attention kernel call, a copy), else
    `other`; ops that only allocate, free or compute addresses join the run
    they sit in. Before each run, and before each return, the function calls
    `genc_profile_mark(context, family)` (-1 at a return), which adds the
    time since the last mark to the family then timed when the caller passed
    a genc_profile, and returns at once when it did not. One call per change
    of family; results are unchanged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

#endif // GENC_CONVERSION_PASSES_TD
