//===- Broadcast.h - ONNX (numpy) broadcasting, in one place ----*- C++ -*-===//
//
// Shapes are right-aligned; an operand dim that is a static 1 repeats along
// the result; a dynamic dim against a static one is taken to be the static
// one unless that is 1 (what exporters write). Shape inference, folding, dim
// tracing and the lowering all read broadcasting through these functions.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_DIALECT_BROADCAST_H
#define GENC_DIALECT_BROADCAST_H

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <optional>

namespace mlir::genc {

/// The dim of an operand of rank `operandRank` that dim `d` of a broadcast
/// result of rank `resultRank` reads; nullopt where the operand has none
/// (`d` is left of its dims, which reads as a repeated 1).
inline std::optional<int64_t> broadcastOperandDim(int64_t operandRank, int64_t resultRank,
                                                  int64_t d) {
  int64_t i = d - (resultRank - operandRank);
  return i >= 0 ? std::optional<int64_t>(i) : std::nullopt;
}

/// Whether an operand dim of size `operandSize` repeats along a result dim
/// of size `resultSize`.
inline bool isBroadcastDim(int64_t operandSize, int64_t resultSize) {
  return operandSize == 1 && resultSize != 1;
}

/// The broadcast of two shapes; nullopt when two static dims differ and
/// neither is 1.
inline std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                           ArrayRef<int64_t> b) {
  int64_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (int64_t d = 0; d < rank; ++d) {
    std::optional<int64_t> i = broadcastOperandDim(a.size(), rank, d);
    std::optional<int64_t> j = broadcastOperandDim(b.size(), rank, d);
    int64_t x = i ? a[*i] : 1, y = j ? b[*j] : 1;
    if (x == 1 || (ShapedType::isDynamic(x) && y != 1))
      result[d] = y;
    else if (y == 1 || ShapedType::isDynamic(y) || x == y)
      result[d] = x;
    else
      return std::nullopt;
  }
  return result;
}

} // namespace mlir::genc

#endif // GENC_DIALECT_BROADCAST_H
