//===- Passes.h - genc conversion passes ------------------------*- C++ -*-===//

#ifndef GENC_CONVERSION_PASSES_H
#define GENC_CONVERSION_PASSES_H

#include "genc/Dialect/MatmulAttributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::genc {

/// Marks a linalg.generic that computes C += A·B (maps (batch..., m, k, n))
/// and names B's layout: "row_major" ([..., K, N]) or "panels_32"
/// ([ceil(N/32), K, 32], see genc-pack-matmul-weights). A target may hand
/// marked matmuls to a kernel; unmarked ones stay loops.
constexpr StringLiteral kMatmulAttrName = "genc.matmul";

#define GEN_PASS_DECL
#include "genc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "genc/Conversion/Passes.h.inc"

} // namespace mlir::genc

#endif // GENC_CONVERSION_PASSES_H
