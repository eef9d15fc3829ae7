//===- RuntimeAxes.cpp - axes and split sizes given as graph values --------===//
//
// ONNX lets Squeeze, Unsqueeze, the reductions and Split take their axes or
// sizes as an input. Exporters make those inputs constants; when one is a
// graph value instead, the node expands here into i64 shape arithmetic on
// genc ops that the dialect already has (Equal, ReduceSum, Reshape, If,
// Slice), so no pass needs to know that axes can be values. Only the number
// of axes must be static: it fixes the rank of the result.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"
#include "ShapeMath.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

namespace {

/// The static number of entries of a 1-D axes/sizes input.
FailureOr<int64_t> staticLength(NodeImporter &n, Value v, StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() != 1 || type.isDynamicDim(0))
    return n.emitError() << what << " is a graph input of type " << type
                         << "; genc needs its length at compile time (it fixes the "
                            "result's rank): give it a static 1-D shape or make it a constant";
  return type.getDimSize(0);
}

/// axes in [-rank, rank) → [0, rank), as i64.
Value normalizeAxes(ShapeMath &m, Value axes, int64_t rank) {
  Value a = m.toI64(axes);
  return m.add(a, m.mul(m.toI64(m.less(a, m.scalar(0))), m.scalar(rank)));
}

/// [rank] i64: 1 where the dim position is one of `normalizedAxes`
/// (ONNX forbids repeated axes).
Value axisMask(ShapeMath &m, Value normalizedAxes, int64_t rank) {
  return m.sumOver(m.toI64(m.equal(m.column(normalizedAxes), m.positions(rank))), 0);
}

/// [rank] i64: how many of `normalizedAxes` are below each dim position.
Value axesBelow(ShapeMath &m, Value normalizedAxes, int64_t rank) {
  return m.sumOver(m.toI64(m.less(m.column(normalizedAxes), m.positions(rank))), 0);
}

FailureOr<Value> reshapeExactly(ShapeMath &m, NodeImporter &n, Value x, Value shape) {
  Value r = m.op<ReshapeOp>({x, shape},
                            {n.namedAttr("allowzero", n.getBuilder().getBoolAttr(true))});
  if (failed(m.status()))
    return failure();
  return r;
}

} // namespace

FailureOr<Value> onnx_import::squeezeAtRuntimeAxes(NodeImporter &n, Value x, Value axes) {
  FailureOr<int64_t> count = staticLength(n, axes, "axes");
  if (failed(count))
    return failure();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  int64_t resultRank = rank - *count;
  if (resultRank < 0)
    return n.emitError() << *count << " axes squeezed from a rank-" << rank << " input";
  ShapeMath m(n);
  Value a = normalizeAxes(m, axes, rank);
  // Result dim i is input dim j for the kept j with i kept dims below it:
  // dims = sum_j [kept_j and j - below_j == i] * shape_j.
  Value kept = m.sub(m.scalar(1), axisMask(m, a, rank));
  Value resultPos = m.sub(m.positions(rank), axesBelow(m, a, rank));
  Value select = m.mul(m.toI64(m.equal(m.column(m.positions(resultRank)), resultPos)), kept);
  Value dims = m.sumOver(m.mul(select, m.op<ShapeOp>({x})), 1);
  return reshapeExactly(m, n, x, dims);
}

FailureOr<Value> onnx_import::unsqueezeAtRuntimeAxes(NodeImporter &n, Value x, Value axes) {
  FailureOr<int64_t> count = staticLength(n, axes, "axes");
  if (failed(count))
    return failure();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  int64_t resultRank = rank + *count;
  if (rank == 0) // Every result dim is a new unit dim.
    return n.reshape(x, SmallVector<int64_t>(resultRank, 1));
  ShapeMath m(n);
  Value a = normalizeAxes(m, axes, resultRank);
  // Result dim i is 1 if i is an axis, else input dim i - (axes below i);
  // the index is clamped so that it stays in range where it is unused.
  Value isNew = m.toBool(axisMask(m, a, resultRank));
  Value source = m.sub(m.positions(resultRank), axesBelow(m, a, resultRank));
  source = m.op<MinOp>({m.op<MaxOp>({source, m.scalar(0)}), m.scalar(rank - 1)});
  Value inputDims = m.op<GatherOp>({m.op<ShapeOp>({x}), source},
                                   {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(0))});
  Value dims = m.op<WhereOp>({isNew, m.scalar(1), inputDims});
  return reshapeExactly(m, n, x, dims);
}

FailureOr<Value> onnx_import::reduceAtRuntimeAxes(
    NodeImporter &n, Value x, Value axes, bool keepdims,
    function_ref<FailureOr<Value>(Value, int64_t axis)> reduceKeepingDim) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  ShapeMath m(n);
  Value reduced = axisMask(m, normalizeAxes(m, axes, rank), rank);
  if (failed(m.status()))
    return failure();
  // One dim at a time: y = reduced[d] ? reduce(y, d) : y. Sums, products,
  // extrema and means (equal-sized groups) all compose this way.
  OpBuilder &b = n.getBuilder();
  Value y = x;
  for (int64_t d = 0; d < rank; ++d) {
    Value cond = m.toBool(m.op<GatherOp>({reduced, m.scalar(d)},
                                         {n.namedAttr("axis", b.getI64IntegerAttr(0))}));
    if (failed(m.status()))
      return failure();
    auto type = cast<RankedTensorType>(y.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[d] = type.getDimSize(d) == 1 ? 1 : ShapedType::kDynamic;
    auto ifOp = IfOp::create(b, n.getLoc(), TypeRange{type.clone(shape)}, cond);
    for (auto [region, reduceHere] :
         {std::pair{&ifOp.getThenBranch(), true}, std::pair{&ifOp.getElseBranch(), false}}) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&region->emplaceBlock());
      Value value = y;
      if (reduceHere) {
        FailureOr<Value> r = reduceKeepingDim(y, d);
        if (failed(r))
          return failure();
        value = *r;
      }
      YieldOp::create(b, n.getLoc(), ValueRange{value});
    }
    y = ifOp.getResult(0);
  }
  if (keepdims)
    return y;
  return squeezeAtRuntimeAxes(n, y, axes);
}

FailureOr<SmallVector<Value>> onnx_import::splitAtRuntimeSizes(NodeImporter &n, Value x,
                                                               int64_t axis, Value sizes) {
  FailureOr<int64_t> count = staticLength(n, sizes, "split");
  if (failed(count))
    return failure();
  if (*count != static_cast<int64_t>(n.numOutputs()))
    return n.emitError() << "split has " << *count << " sizes for " << n.numOutputs()
                         << " outputs";
  ShapeMath m(n);
  Value s = m.toI64(sizes), start = n.constI64({0});
  Value axes = n.constI64({axis}), steps = n.constI64({1});
  SmallVector<Value> pieces;
  for (int64_t i = 0; i < *count; ++i) {
    Value end = m.add(start, m.op<SliceOp>({s, n.constI64({i}), n.constI64({i + 1}),
                                            n.constI64({0}), steps}));
    pieces.push_back(m.op<SliceOp>({x, start, end, axes, steps}));
    start = end;
  }
  if (failed(m.status()))
    return failure();
  return pieces;
}
