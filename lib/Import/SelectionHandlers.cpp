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
#include "ShapeMath.h"

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
constexpr int64_t kNoPosition = int64_t(1) << 62;

/// 0, 1, ... along `axis` of a rank-`rank` tensor, 1 on every other dim.
Value positionsAlong(ShapeMath &m, Value length, int64_t axis, int64_t rank) {
  Value range = m.range(length);
  SmallVector<int64_t> others;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      others.push_back(d);
  return others.empty() ? range : m.unsqueeze(range, others);
}

/// x == e, where a NaN equals a NaN too (a float max or min is NaN where
/// its axis holds one).
Value sameAs(ShapeMath &m, Value x, Value e) {
  Value equal = m.equal(x, e);
  if (!x || !isa<FloatType>(getElementTypeOrSelf(x.getType())))
    return equal;
  Value xNaN = m.logicalNot(m.equal(x, x)), eNaN = m.logicalNot(m.equal(e, e));
  return m.logicalOr(equal, m.logicalAnd(xNaN, eNaN));
}

/// The first (or last) position along `axis` where `hit` holds.
Value firstWhere(ShapeMath &m, Value hit, Value positions, int64_t axis, bool last = false) {
  Value candidates = m.where(hit, positions, m.scalar(last ? -1 : kNoPosition));
  return last ? m.reduceKeeping<ReduceMaxOp>(candidates, axis)
              : m.reduceKeeping<ReduceMinOp>(candidates, axis);
}

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

/// The outputs, unless building them failed (the error is reported).
static LogicalResult setOutputs(NodeImporter &n, const ShapeMath &m, ValueRange values) {
  if (failed(m.status()))
    return failure();
  return n.setOutputs(values);
}

/// ArgMax / ArgMin: the first (select_last_index: the last) position along
/// `axis` that holds the reduction's value.
template <bool Largest> LogicalResult onnx_import::importArgExtreme(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  ShapeMath m(n);
  Value x = n.input(0);
  Value extreme =
      Largest ? m.reduceKeeping<ReduceMaxOp>(x, *axis) : m.reduceKeeping<ReduceMinOp>(x, *axis);
  Value index =
      firstWhere(m, sameAs(m, x, extreme), positionsAlong(m, m.dimOf(x, *axis), *axis, rank), *axis,
                 n.attrInt("select_last_index", 0) != 0);
  if (!n.attrInt("keepdims", 1))
    index = m.op<SqueezeOp>({index},
                            {n.namedAttr("axes", n.getBuilder().getDenseI64ArrayAttr({*axis}))});
  return setOutputs(n, m, {index});
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
  ShapeMath m(n);
  auto best = [&](Value candidates) {
    return largest ? m.reduceKeeping<ReduceMaxOp>(candidates, *axis)
                   : m.reduceKeeping<ReduceMinOp>(candidates, *axis);
  };
  Value positions = positionsAlong(m, m.dimOf(x, *axis), *axis, rank);
  Value worst = extremeOf(b, loc, element, /*lowest=*/largest);
  Value open = m.equal(positions, positions);
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value value = best(m.where(open, x, worst));
    Value index = firstWhere(m, m.logicalAnd(open, sameAs(m, x, value)), positions, *axis);
    Value taken = m.equal(positions, index);
    open = m.logicalAnd(open, m.logicalNot(taken));
    // The element itself: equal to `value`, it may differ in sign (-0, +0).
    values.push_back(best(m.where(taken, x, worst)));
    indices.push_back(index);
  }
  if (k == 0) {
    // Empty along the axis: a slice of nothing, and its (empty) cast.
    Value none = n.constI64({0});
    Value nothing = m.op<SliceOp>({x, none, none, n.constI64({*axis}), n.constI64({1})});
    values.push_back(nothing);
    indices.push_back(m.toI64(nothing));
  }
  NamedAttribute alongAxis = n.namedAttr("axis", b.getI64IntegerAttr(*axis));
  Value allValues = values.size() == 1 ? values.front() : m.op<ConcatOp>(values, {alongAxis});
  Value allIndices = indices.size() == 1 ? indices.front() : m.op<ConcatOp>(indices, {alongAxis});
  return setOutputs(n, m, {allValues, allIndices});
}

/// OneHot: `on` where the position along the new axis is the index
/// (negative ones counted from depth), `off` elsewhere.
LogicalResult onnx_import::importOneHot(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank() + 1;
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  FailureOr<Value> depthScalar = n.reshape(n.input(1), {});
  if (failed(depthScalar))
    return failure();
  ShapeMath m(n);
  Value depth = m.toI64(*depthScalar), indices = m.toI64(n.input(0));
  Value wrapped = m.where(m.less(indices, m.scalar(0)), m.add(indices, depth), indices);
  Value hit = m.equal(m.unsqueeze(wrapped, {*axis}), positionsAlong(m, depth, *axis, rank));
  auto valueAt = [&](int64_t i) {
    return m.op<GatherOp>({n.input(2), m.scalar(i)},
                          {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(0))});
  };
  return setOutputs(n, m, {m.where(hit, valueAt(1), valueAt(0))});
}

LogicalResult onnx_import::importNonZero(NodeImporter &n) {
  FailureOr<Value> coordinates = n.create<NonZeroOp>({n.input(0)});
  if (failed(coordinates))
    return failure();
  return n.setOutputs({*coordinates});
}
