//===- Passes.h - genc conversion passes ------------------------*- C++ -*-===//

#ifndef GENC_CONVERSION_PASSES_H
#define GENC_CONVERSION_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace mlir::genc {

/// Marks a linalg.generic that computes C += A·B (maps (batch..., m, k, n))
/// and names B's layout: "row_major" ([..., K, N]) or "panels_32"
/// ([ceil(N/32), K, 32], see genc-pack-matmul-weights).
constexpr StringLiteral kMatmulAttrName = "genc.matmul";

/// Marks the `!llvm.ptr` argument through which compiled code receives its
/// caller's genc_context (runtime/include/genc/kernels.h: the thread pool
/// kernels run on) and passes it to every kernel it calls.
constexpr StringLiteral kContextAttrName = "genc.context";

/// The kernels genc-call-cpu-kernels calls (runtime/include/genc/kernels.h).
constexpr StringLiteral kMatmulKernel = "genc_matmul_f32";
constexpr StringLiteral kAttentionKernel = "genc_attention_f32";

/// `fn`'s context argument; added as its first argument if it has none.
BlockArgument getOrAddContextArgument(func::FuncOp fn);

/// The bytes of a non-splat constant as they lie in memory (dense or
/// dense_resource); failure when a resource has no data.
FailureOr<ArrayRef<char>> getConstantBytes(ElementsAttr value);

#define GEN_PASS_DECL
#include "genc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "genc/Conversion/Passes.h.inc"

} // namespace mlir::genc

#endif // GENC_CONVERSION_PASSES_H
