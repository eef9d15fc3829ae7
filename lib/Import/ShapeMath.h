//===- ShapeMath.h - genc ops for index arithmetic in handlers --*- C++ -*-===//
//
// Handlers that expand a node into arithmetic on indices and shapes (axes
// given as values, ONNX Runtime's cache buffers) write it with these.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_LIB_IMPORT_SHAPEMATH_H
#define GENC_LIB_IMPORT_SHAPEMATH_H

#include "ImporterInternal.h"

#include "mlir/IR/TypeUtilities.h"

namespace mlir::genc::onnx_import {

/// Creates genc ops for shape arithmetic; the first failure (already
/// reported at the node) sticks, and later calls return null values.
class ShapeMath {
public:
  explicit ShapeMath(NodeImporter &n) : n(n), b(n.getBuilder()) {}

  template <typename OpTy>
  Value op(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    if (failed_ || llvm::any_of(operands, [](Value v) { return !v; })) {
      failed_ = true;
      return {};
    }
    FailureOr<Value> r = n.create<OpTy>(operands, attrs);
    failed_ = failed(r);
    return failed_ ? Value() : *r;
  }

  Value add(Value x, Value y) { return op<AddOp>({x, y}); }
  Value sub(Value x, Value y) { return op<SubOp>({x, y}); }
  Value mul(Value x, Value y) { return op<MulOp>({x, y}); }
  Value equal(Value x, Value y) { return op<EqualOp>({x, y}); }
  Value less(Value x, Value y) { return op<LessOp>({x, y}); }
  Value lessEqual(Value x, Value y) { return op<LessEqualOp>({x, y}); }
  Value minimum(Value x, Value y) { return op<MinOp>({x, y}); }
  Value maximum(Value x, Value y) { return op<MaxOp>({x, y}); }
  Value logicalAnd(Value x, Value y) { return op<AndOp>({x, y}); }
  Value logicalOr(Value x, Value y) { return op<OrOp>({x, y}); }
  Value logicalNot(Value x) { return op<NotOp>({x}); }
  Value where(Value condition, Value x, Value y) { return op<WhereOp>({condition, x, y}); }
  /// [0, limit) for a 0-d i64 `limit`.
  Value range(Value limit) { return op<RangeOp>({scalar(0), limit, scalar(1)}); }
  Value toI64(Value x) { return cast(x, b.getI64Type()); }
  Value toBool(Value x) { return cast(x, b.getI1Type()); }
  Value cast(Value x, Type to) {
    if (x && getElementTypeOrSelf(x.getType()) == to)
      return x;
    return op<CastOp>({x}, {n.namedAttr("to", TypeAttr::get(to))});
  }
  /// Sum over `axis`, which is dropped.
  Value sumOver(Value x, int64_t axis) {
    return op<ReduceSumOp>({x}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({axis})),
                                 n.namedAttr("keepdims", b.getBoolAttr(false))});
  }
  /// Reduced over `axis`, kept as a unit dim.
  template <typename OpTy> Value reduceKeeping(Value x, int64_t axis) {
    return op<OpTy>({x}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({axis})),
                          n.namedAttr("keepdims", b.getBoolAttr(true))});
  }
  /// Dim `d` of `x` as a 0-d i64 tensor.
  Value dimOf(Value x, int64_t d) {
    Value shape = op<ShapeOp>({x}, {n.namedAttr("start", b.getI64IntegerAttr(d)),
                                    n.namedAttr("end", b.getI64IntegerAttr(d + 1))});
    return op<SqueezeOp>({shape}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({0}))});
  }
  /// x with unit dims at `axes` of the result.
  Value unsqueeze(Value x, ArrayRef<int64_t> axes) {
    return op<UnsqueezeOp>({x}, {n.namedAttr("axes", b.getDenseI64ArrayAttr(axes))});
  }
  /// [k] → [k, 1], to compare every axis with every dim position.
  Value column(Value x) { return unsqueeze(x, {1}); }
  /// [k] → [1, k].
  Value row(Value x) { return unsqueeze(x, {0}); }
  Value positions(int64_t count) {
    return n.constI64(llvm::to_vector(llvm::seq<int64_t>(0, count)));
  }
  Value scalar(int64_t v) { return n.constScalar(b.getI64Type(), static_cast<double>(v)); }

  LogicalResult status() const { return failure(failed_); }

private:
  NodeImporter &n;
  OpBuilder &b;
  bool failed_ = false;
};

} // namespace mlir::genc::onnx_import

#endif // GENC_LIB_IMPORT_SHAPEMATH_H
