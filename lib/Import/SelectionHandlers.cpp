//===- SelectionHandlers.cpp - ops that pick elements → genc ---------------===//
//
// ArgMax, ArgMin, TopK and OneHot are written with genc's reductions,
// comparisons and Where over the positions along an axis, so that no pass
// or lowering needs to know them; NonZero, whose result size depends on
// the values, has its own op. Mixture-of-experts layers route tokens with
// TopK, OneHot and NonZero (transformers' Mixtral).
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

namespace {

/// Most elements TopK takes: each is a few ops of its own.
constexpr int64_t kMaxTopK = 64;
/// Above every position: the "none" of a smallest-position search.
constexpr double kNoPosition = 4611686018427387904.0; // 2^62

/// Builds genc ops at one node and remembers whether any failed (the error
/// is then reported at the node), so that a composition reads as the
/// formula it computes.
class Composer {
public:
  explicit Composer(NodeImporter &n) : n(n), b(n.getBuilder()) {}

  template <typename OpTy> Value op(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    if (failed || llvm::any_of(operands, [](Value v) { return !v; })) {
      failed = true;
      return {};
    }
    FailureOr<Value> result = n.create<OpTy>(operands, attrs);
    failed |= mlir::failed(result);
    return mlir::failed(result) ? Value() : *result;
  }
  NamedAttribute axes(ArrayRef<int64_t> axes) {
    return n.namedAttr("axes", b.getDenseI64ArrayAttr(axes));
  }
  /// Reduced over `axis`, kept as a unit dim.
  template <typename OpTy> Value reduce(Value x, int64_t axis) {
    return op<OpTy>({x}, {axes({axis}), n.namedAttr("keepdims", b.getBoolAttr(true))});
  }
  Value scalar(Type type, double value) { return n.constScalar(type, value); }
  /// 0, 1, ... along `axis` of a rank-`rank` tensor, 1 on every other dim.
  Value positions(Value length, int64_t axis, int64_t rank) {
    Type i64 = b.getI64Type();
    Value range = op<RangeOp>({scalar(i64, 0), length, scalar(i64, 1)});
    SmallVector<int64_t> others;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        others.push_back(d);
    return others.empty() ? range : op<UnsqueezeOp>({range}, {axes(others)});
  }
  /// Dim `axis` of `x` as a 0-d i64 tensor.
  Value dim(Value x, int64_t axis) {
    Value shape = op<ShapeOp>({x}, {n.namedAttr("start", b.getI64IntegerAttr(axis)),
                                    n.namedAttr("end", b.getI64IntegerAttr(axis + 1))});
    return op<SqueezeOp>({shape}, {axes({0})});
  }
  /// x == m, where a NaN equals a NaN too (a float max or min is NaN where
  /// its axis holds one).
  Value sameAs(Value x, Value m) {
    Value equal = op<EqualOp>({x, m});
    if (!isa<FloatType>(getElementTypeOrSelf(x.getType())))
      return equal;
    Value xNaN = op<NotOp>({op<EqualOp>({x, x})}), mNaN = op<NotOp>({op<EqualOp>({m, m})});
    return op<OrOp>({equal, op<AndOp>({xNaN, mNaN})});
  }
  /// The first (or last) position along `axis` where `hit` holds.
  Value firstWhere(Value hit, Value positions, int64_t axis, bool last = false) {
    Value none = scalar(b.getI64Type(), last ? -1 : kNoPosition);
    Value candidates = op<WhereOp>({hit, positions, none});
    return last ? reduce<ReduceMaxOp>(candidates, axis) : reduce<ReduceMinOp>(candidates, axis);
  }
  LogicalResult setOutputs(ValueRange values) {
    if (failed)
      return failure();
    return n.setOutputs(values);
  }

  bool failed = false;

private:
  NodeImporter &n;
  OpBuilder &b;
};

/// The value below (or above) every other of element type `t`, 0-d.
Value extremeOf(OpBuilder &b, Location loc, Type t, bool lowest) {
  auto type = RankedTensorType::get({}, t);
  if (auto f = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, APFloat::getInf(f.getFloatSemantics(), lowest)));
  unsigned width = t.getIntOrFloatBitWidth();
  APInt value = t.isUnsignedInteger() ? (lowest ? APInt::getMinValue(width)
                                                : APInt::getMaxValue(width))
                                      : (lowest ? APInt::getSignedMinValue(width)
                                                : APInt::getSignedMaxValue(width));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
}

} // namespace

/// ArgMax / ArgMin: the first (select_last_index: the last) position along
/// `axis` that holds the reduction's value.
template <bool Largest> LogicalResult onnx_import::importArgExtreme(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  Composer c(n);
  Value x = n.input(0);
  Value extreme = Largest ? c.reduce<ReduceMaxOp>(x, *axis) : c.reduce<ReduceMinOp>(x, *axis);
  Value index = c.firstWhere(c.sameAs(x, extreme), c.positions(c.dim(x, *axis), *axis, rank),
                             *axis, n.attrInt("select_last_index", 0) != 0);
  if (!n.attrInt("keepdims", 1))
    index = c.op<SqueezeOp>({index}, {c.axes({*axis})});
  return c.setOutputs({index});
}
template LogicalResult onnx_import::importArgExtreme<true>(NodeImporter &);
template LogicalResult onnx_import::importArgExtreme<false>(NodeImporter &);

/// TopK of a constant K: K rounds, each taking the largest (smallest) value
/// among the positions not taken yet, at its first position. Ties go to
/// the lower position, as ONNX asks; the result is sorted.
LogicalResult onnx_import::importTopK(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t k;
  if (n.getOpset() < 10) {
    k = n.attrInt("k", -1);
  } else {
    FailureOr<SmallVector<int64_t>> ks = n.constantInts(1, "K");
    if (failed(ks))
      return failure();
    if (ks->size() != 1)
      return n.emitError() << "K must hold one value, not " << ks->size();
    k = ks->front();
  }
  if (k < 0 || k > kMaxTopK)
    return n.emitError() << "K is " << k << "; genc takes from 0 to " << kMaxTopK
                         << " elements (a constant K)";
  bool largest = n.getOpset() < 11 || n.attrInt("largest", 1);
  Value x = n.input(0);
  Type element = n.inputType(0).getElementType();
  int64_t length = n.inputType(0).getDimSize(*axis);
  if (!ShapedType::isDynamic(length) && k > length)
    return n.emitError() << "K is " << k << " but axis " << *axis << " has " << length
                         << " elements";
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  if (ShapedType::isDynamic(length)) {
    Value elements = tensor::DimOp::create(b, loc, x, *axis);
    Value wanted = arith::ConstantIndexOp::create(b, loc, k);
    failAtRunTimeIf(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, elements, wanted), wanted,
        elements,
        "the " + describeNode(loc, "TopK") + " takes {index} elements of an axis of {bound}");
  }
  Composer c(n);
  Value positions = c.positions(c.dim(x, *axis), *axis, rank);
  Value worst = extremeOf(b, loc, element, /*lowest=*/largest);
  Value open = c.op<EqualOp>({positions, positions});
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value candidates = c.op<WhereOp>({open, x, worst});
    Value best = largest ? c.reduce<ReduceMaxOp>(candidates, *axis)
                         : c.reduce<ReduceMinOp>(candidates, *axis);
    Value index = c.firstWhere(c.op<AndOp>({open, c.sameAs(x, best)}), positions, *axis);
    Value taken = c.op<EqualOp>({positions, index});
    open = c.op<AndOp>({open, c.op<NotOp>({taken})});
    // The element itself: equal to `best`, it may differ in sign (-0, +0).
    Value element = c.op<WhereOp>({taken, x, worst});
    values.push_back(largest ? c.reduce<ReduceMaxOp>(element, *axis)
                             : c.reduce<ReduceMinOp>(element, *axis));
    indices.push_back(index);
  }
  NamedAttribute alongAxis = n.namedAttr("axis", b.getI64IntegerAttr(*axis));
  if (k == 0) {
    // Empty along the axis: a slice of nothing, and its (empty) cast.
    Value none = n.constI64({0});
    Value nothing = c.op<SliceOp>({x, none, none, n.constI64({*axis}), n.constI64({1})});
    values.push_back(nothing);
    indices.push_back(c.op<CastOp>({nothing}, {n.namedAttr("to", TypeAttr::get(b.getI64Type()))}));
  }
  Value allValues = values.size() == 1 ? values.front() : c.op<ConcatOp>(values, {alongAxis});
  Value allIndices = indices.size() == 1 ? indices.front() : c.op<ConcatOp>(indices, {alongAxis});
  return c.setOutputs({allValues, allIndices});
}

/// OneHot: `on` where the position along the new axis is the index
/// (negative ones counted from depth), `off` elsewhere.
LogicalResult onnx_import::importOneHot(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank() + 1;
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = n.getBuilder();
  Type i64 = b.getI64Type();
  Composer c(n);
  auto asI64 = [&](Value v) {
    return getElementTypeOrSelf(v.getType()) == i64 ? v
                                                    : c.op<CastOp>({v}, {n.namedAttr("to", TypeAttr::get(i64))});
  };
  FailureOr<Value> depthScalar = n.reshape(n.input(1), {});
  if (failed(depthScalar))
    return failure();
  Value depth = asI64(*depthScalar);
  Value indices = asI64(n.input(0));
  Value negative = c.op<LessOp>({indices, c.scalar(i64, 0)});
  Value wrapped = c.op<WhereOp>({negative, c.op<AddOp>({indices, depth}), indices});
  Value hit = c.op<EqualOp>({c.op<UnsqueezeOp>({wrapped}, {c.axes({*axis})}),
                             c.positions(depth, *axis, rank)});
  auto valueAt = [&](int64_t i) {
    return c.op<GatherOp>({n.input(2), n.constScalar(i64, i)},
                          {n.namedAttr("axis", b.getI64IntegerAttr(0))});
  };
  return c.setOutputs({c.op<WhereOp>({hit, valueAt(1), valueAt(0)})});
}

LogicalResult onnx_import::importNonZero(NodeImporter &n) {
  FailureOr<Value> coordinates = n.create<NonZeroOp>({n.input(0)});
  if (failed(coordinates))
    return failure();
  return n.setOutputs({*coordinates});
}
