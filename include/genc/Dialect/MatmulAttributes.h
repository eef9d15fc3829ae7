//===- MatmulAttributes.h - what a weight matmul carries --------*- C++ -*-===//
//
// Discardable attributes of a matmul by constant weights B [K, N]
// (genc.matmul, genc.gemm, and the linalg.generic genc-convert-to-linalg
// lowers them to, which keeps them) that tell the CPU target how to store
// its weights, and the name of the lowered matmul's encoding.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_DIALECT_MATMULATTRIBUTES_H
#define GENC_DIALECT_MATMULATTRIBUTES_H

#include "llvm/ADT/StringRef.h"

namespace mlir::genc {

/// A linalg.generic computing C += A·B by weights carries its
/// #genc.matmul encoding (MatmulEncodingAttr, GencAttrs.td) under this
/// name: B's layout and element type and the operands that scale it.
constexpr llvm::StringLiteral kMatmulAttrName = "genc.matmul";

/// The mean of x·xᵀ over the rows x of A seen on calibration text, a
/// K × K f32 tensor. Calibrated quantisation (`--weights=int4:calibrated`)
/// minimises the error of A·B it weighs.
constexpr llvm::StringLiteral kInputGramAttrName = "genc.input_gram";

/// The grid the model's weights come quantised on (ONNX Runtime's
/// com.microsoft MatMulNBits, ONNX's DequantizeLinear), 4-bit: {group = G
/// : i64, scales, offsets : f32 [ceil(K / G), N]}, every B[k][n] being q ·
/// scales[k / G][n] + offsets[k / G][n] for a q in [0, 15]; or 8-bit:
/// {bits = 8 : i64, scales : f32 [1, N]}, every B[k][n] being q ·
/// scales[0][n] for a q in [-128, 127] (both up to f32 rounding). The CPU
/// target stores such weights as int4 or int8 with exactly these q, scales
/// and offsets.
constexpr llvm::StringLiteral kWeightGridAttrName = "genc.weight_grid";

/// A matmul of integers whose sums f32 holds exactly (ONNX's MatMulInteger
/// by constant weights, in pieces of K): genc-quantize-matmul-weights never
/// rounds its weights, storing them as int8 where int8 holds them all
/// (#genc.matmul<panels_32, i8>, whose kernel takes A's integers as they
/// are) and leaving them f32 otherwise.
constexpr llvm::StringLiteral kExactProductsAttrName = "genc.exact_products";

/// The attributes above, which a lowering of the matmul keeps.
constexpr llvm::StringLiteral kWeightMatmulAttrNames[] = {kInputGramAttrName, kWeightGridAttrName,
                                                          kExactProductsAttrName};

} // namespace mlir::genc

#endif // GENC_DIALECT_MATMULATTRIBUTES_H
