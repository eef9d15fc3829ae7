//===- DataMovement.cpp - shapes, views and copies → tensor and linalg ----===//
//
// Reshapes become tensor.expand_shape where they only split dims, else
// tensor.reshape with sizes computed at run time where the type does not
// know them, slices with constant axes and positive steps
// tensor.extract_slice, and everything that reads at computed positions
// (Gather, negative-step Slice) a generic of tensor.extract, with indices
// taken from data checked against their bounds.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

/// Entry `i` of a 1-D integer tensor as an index.
static Value shapeEntry(OpBuilder &b, Location loc, Value shape, int64_t i) {
  // Folded as built: entries that are constants or input dims stay visible
  // to the run-time checks, which then fold away.
  Value e = b.createOrFold<tensor::ExtractOp>(loc, shape, indexConst(b, loc, i));
  if (auto cast = e.getDefiningOp<arith::IndexCastOp>(); cast && cast.getIn().getType().isIndex())
    return cast.getIn();
  return b.createOrFold<arith::IndexCastOp>(loc, b.getIndexType(), e);
}

/// Reshapes `input` to `resultType` whose dims are `dims` (index values).
static Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType resultType,
                       ArrayRef<Value> dims) {
  if (input.getType() == resultType && resultType.hasStaticShape())
    return input;
  auto shapeType = RankedTensorType::get({static_cast<int64_t>(dims.size())}, b.getIndexType());
  Value shape = tensor::FromElementsOp::create(b, loc, shapeType, dims);
  return tensor::ReshapeOp::create(b, loc, resultType, input, shape);
}

static Value numElements(OpBuilder &b, Location loc, Value v) {
  Value n = indexConst(b, loc, 1);
  for (int64_t d = 0; d < tensorType(v).getRank(); ++d)
    n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, v, d));
  return n;
}

/// Whether the shape tracing (genc::traceDim) proves that Reshape's result
/// holds as many elements as its input: the same static product and the
/// same dynamic dims, in any order.
static bool provablyKeepsCount(ReshapeOp op) {
  auto countOf = [](Value v, int64_t &product, SmallVector<DimSource> &dims) {
    auto type = cast<RankedTensorType>(v.getType());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (type.isDynamicDim(d))
        dims.push_back(traceDim(v, d));
      else
        product *= type.getDimSize(d);
    }
  };
  int64_t inputProduct = 1, resultProduct = 1;
  SmallVector<DimSource> inputDims, resultDims;
  countOf(op.getInput(), inputProduct, inputDims);
  countOf(op.getResult(), resultProduct, resultDims);
  if (inputProduct != resultProduct || inputDims.size() != resultDims.size())
    return false;
  for (const DimSource &dim : resultDims) {
    auto match = llvm::find(inputDims, dim);
    if (match == inputDims.end())
      return false;
    inputDims.erase(match);
  }
  return true;
}

/// How Reshape splits its input's dims, where that is all it does: each
/// input dim becomes a run of result dims, a static dim static sizes of its
/// product, a dynamic dim one dim the shape tracing equates with it (unit
/// dims at the end join the last run). Such a reshape is a
/// tensor.expand_shape, which bufferizes to a view of any strided input (a
/// slice of a merged projection, split into heads), where tensor.reshape
/// needs a contiguous copy first.
static std::optional<SmallVector<ReassociationIndices>> splitsOnly(ReshapeOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  RankedTensorType out = op.getType();
  if (in.getRank() == 0 || out.getRank() <= in.getRank())
    return std::nullopt;
  SmallVector<ReassociationIndices> runs;
  int64_t j = 0;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (j == out.getRank())
      return std::nullopt;
    ReassociationIndices run{j};
    if (in.isDynamicDim(i)) {
      if (!out.isDynamicDim(j) || !provablyEqualDims(op.getResult(), j, op.getInput(), i))
        return std::nullopt;
      ++j;
    } else {
      if (out.isDynamicDim(j))
        return std::nullopt;
      int64_t product = out.getDimSize(j++);
      for (; product < in.getDimSize(i) && j < out.getRank() && !out.isDynamicDim(j); ++j) {
        run.push_back(j);
        product *= out.getDimSize(j);
      }
      if (product != in.getDimSize(i))
        return std::nullopt;
    }
    runs.push_back(std::move(run));
  }
  for (; j < out.getRank(); ++j) {
    if (out.isDynamicDim(j) || out.getDimSize(j) != 1)
      return std::nullopt;
    runs.back().push_back(j);
  }
  return runs;
}

/// The sizes of `op`'s result where `failed` (null: known to have failed):
/// a dim the shape tracing equates with a tensor's keeps its size, a real
/// one, so that what the tracing says of the result stays true; the others
/// are 0. Where `allZero` (more bytes than a buffer holds) every dynamic dim
/// is 0: no loop can run over such sizes anyway.
static SmallVector<OpFoldResult> sizesAfterFailure(OpBuilder &b, Location loc, Operation *op,
                                                   ArrayRef<Value> sizes, Value failed,
                                                   Value allZero) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Value zero = indexConst(b, loc, 0);
  SmallVector<OpFoldResult> safe;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      safe.push_back(b.getIndexAttr(type.getDimSize(d)));
      continue;
    }
    bool traced = !(traceDim(op->getResult(0), d) == DimSource{op->getResult(0), d});
    Value zeroIt = traced ? allZero : failed;
    if (!traced && !failed)
      safe.push_back(b.getIndexAttr(0));
    else
      safe.push_back(zeroIt ? arith::SelectOp::create(b, loc, zeroIt, zero, sizes[d]).getResult()
                            : sizes[d]);
  }
  return safe;
}

/// The result dims of Reshape by ONNX's rules: 0 copies the input dim
/// (unless allowzero), one -1 takes what is left (the input's count when
/// the others multiply to 0: nothing to divide by). An entry below -1, or
/// a tensor's dim that is 0 where ONNX would copy another, is reported
/// (`badEntry`). `product`: the dims' product; `overflow`: it, the
/// entries' product or its bytes do not fit a buffer.
struct ReshapeDims {
  SmallVector<Value> dims;
  Value product, badEntry, overflow;
};

static ReshapeDims reshapeDims(ReshapeOp op, Value input, Value shape, Value count, OpBuilder &b,
                               StringRef node) {
  Location loc = op.getLoc();
  auto type = op.getType();
  int64_t rank = type.getRank();
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1),
        minusOne = indexConst(b, loc, -1);
  ReshapeDims result;
  SmallVector<Value> entries(rank), inferred(rank);
  Value known = one;
  for (int64_t i = 0; i < rank; ++i) {
    if (!type.isDynamicDim(i)) {
      entries[i] = indexConst(b, loc, type.getDimSize(i));
    } else {
      Value e = shapeEntry(b, loc, shape, i);
      // An entry that is a tensor's dim is that dim to the shape tracing
      // (genc::traceDim), even when it is 0: where the input's dim, which
      // ONNX would copy, is not 0 too, that is reported. Elsewhere 0 copies.
      if (!op.getAllowzero() && i < tensorType(input).getRank()) {
        Value isZero = b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, e, zero);
        Value inputDim = dimValue(b, loc, input, i);
        std::optional<DimSource> entryDim = getShapeEntryDim(op.getShape(), i);
        if (!entryDim) {
          e = b.createOrFold<arith::SelectOp>(loc, isZero, inputDim, e);
        } else if (!matchPattern(isZero, m_Zero()) &&
                   !provablyEqualDims(entryDim->value, entryDim->dim, op.getInput(), i)) {
          Value copies = arith::AndIOp::create(
              b, loc, isZero,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, inputDim, zero));
          failAtRunTimeIf(b, loc, copies, inputDim, indexConst(b, loc, i),
                          (node + ": shape entry {bound}, a dim that is 0 here, would copy the "
                                  "input's dim {index}; genc takes it as 0")
                              .str());
          result.badEntry =
              result.badEntry ? arith::OrIOp::create(b, loc, result.badEntry, copies) : copies;
        }
      }
      entries[i] = e;
      if (!isKnownNonNegative(e)) {
        inferred[i] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, minusOne);
        Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, e, minusOne);
        failAtRunTimeIf(
            b, loc, negative, e, indexConst(b, loc, i),
            (node + ": shape entry {bound} is {index}; entries are sizes, 0 or -1").str());
        result.badEntry =
            result.badEntry ? arith::OrIOp::create(b, loc, result.badEntry, negative) : negative;
      }
    }
    Value factor = inferred[i]
                       ? arith::SelectOp::create(b, loc, inferred[i], one, entries[i]).getResult()
                       : entries[i];
    known = multiplyChecked(b, loc, known, factor, result.overflow);
  }
  if (!result.overflow) // rank 0: nothing multiplied
    result.overflow = arith::ConstantIntOp::create(b, loc, 0, 1);
  Value knownIsZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, known, zero);
  Value rest = arith::DivUIOp::create(b, loc, count,
                                      arith::SelectOp::create(b, loc, knownIsZero, one, known));
  result.product = one;
  for (int64_t i = 0; i < rank; ++i) {
    result.dims.push_back(
        inferred[i] ? arith::SelectOp::create(b, loc, inferred[i], rest, entries[i]).getResult()
                    : entries[i]);
    result.product = multiplyChecked(b, loc, result.product, result.dims.back(), result.overflow);
  }
  Value elementBytes = indexConst(b, loc, llvm::divideCeil(type.getElementTypeBitWidth(), 8));
  checkBufferBytes(b, loc, multiplyChecked(b, loc, result.product, elementBytes, result.overflow),
                   result.overflow);
  return result;
}

/// ONNX Reshape at run time; entries known from the result type stay
/// static. A shape that does not hold the input's elements is reported and
/// the result read as zeros, not as memory past the input.
static FailureOr<Value> lowerReshape(ReshapeOp op, ReshapeOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  auto type = op.getType();
  Value input = operands.getInput();
  std::string node = describeNode(op, "Reshape");
  Value count = numElements(b, loc, input);
  ReshapeDims shape = reshapeDims(op, input, operands.getShape(), count, b, node);
  if (provablyKeepsCount(op)) {
    if (std::optional<SmallVector<ReassociationIndices>> runs = splitsOnly(op)) {
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(shape.dims[d])
                                             : b.getIndexAttr(type.getDimSize(d)));
      return tensor::ExpandShapeOp::create(b, loc, type, input, *runs, sizes).getResult();
    }
    return reshapeTo(b, loc, input, type, shape.dims);
  }
  Value zero = indexConst(b, loc, 0);
  failAtRunTimeIf(b, loc, shape.overflow, zero, zero,
                  node + ": the shape holds more elements than 64 bits count");
  Value mismatch = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, shape.product, count);
  failAtRunTimeIf(b, loc, mismatch, shape.product, count,
                  node + ": the shape holds {index} elements, the input {bound}");
  Value bad = arith::OrIOp::create(b, loc, shape.overflow, mismatch);
  if (shape.badEntry)
    bad = arith::OrIOp::create(b, loc, bad, shape.badEntry);
  SmallVector<OpFoldResult> safeSizes =
      sizesAfterFailure(b, loc, op, shape.dims, /*failed=*/Value(), shape.overflow);
  Type element = type.getElementType();
  return scf::IfOp::create(
             b, loc, bad,
             [&](OpBuilder &tb, Location tl) {
               Value zeros = filled(tb, tl, safeSizes, element, elementConst(tb, tl, element, 0));
               scf::YieldOp::create(tb, tl, castTo(tb, tl, zeros, type));
             },
             [&](OpBuilder &eb, Location el) {
               // Built only for a shape that holds the input: a copy
               // bufferization may make is of the right size.
               scf::YieldOp::create(eb, el, reshapeTo(eb, el, input, type, shape.dims));
             })
      .getResult(0);
}

/// Squeeze/Unsqueeze: the result's dims, each a static size or an input dim.
template <typename OpTy, bool unsqueeze>
static FailureOr<Value> lowerSqueezeLike(OpTy op, typename OpTy::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  auto type = op.getType();
  auto inputType = tensorType(operands.getInput());
  SmallVector<bool> special(unsqueeze ? type.getRank() : inputType.getRank(), false);
  for (int64_t a : op.getAxes())
    special[a] = true;
  if (!unsqueeze && op.getAxes().empty())
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      special[d] = inputType.getDimSize(d) == 1;
  SmallVector<Value> dims;
  if (unsqueeze) {
    for (int64_t i = 0, j = 0; i < type.getRank(); ++i)
      dims.push_back(special[i] ? indexConst(b, loc, 1)
                                : dimValue(b, loc, operands.getInput(), j++));
  } else {
    for (int64_t j = 0; j < inputType.getRank(); ++j)
      if (!special[j])
        dims.push_back(dimValue(b, loc, operands.getInput(), j));
  }
  return reshapeTo(b, loc, operands.getInput(), type, dims);
}

/// One ONNX Slice entry on a dim of size `dim`: the clamped first index,
/// the element count and the step (negative steps walk backwards).
struct SliceRange {
  Value start, size, step;
};

static SliceRange sliceRange(OpBuilder &b, Location loc, Value dim, Value start, Value end,
                             Value step) {
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  auto wrap = [&](Value v) {
    Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
    return arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, v, dim), v)
        .getResult();
  };
  auto clamp = [&](Value v, Value lo, Value hi) {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi).getResult();
  };
  Value dimMinusOne = arith::SubIOp::create(b, loc, dim, one);
  Value forward = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, step, zero);
  // Forward: start, end in [0, dim]. Backward: start in [0, dim-1], end in [-1, dim-1].
  Value s = arith::SelectOp::create(b, loc, forward, clamp(wrap(start), zero, dim),
                                    clamp(wrap(start), zero, dimMinusOne));
  Value e = arith::SelectOp::create(b, loc, forward, clamp(wrap(end), zero, dim),
                                    clamp(wrap(end), indexConst(b, loc, -1), dimMinusOne));
  Value span = arith::SelectOp::create(b, loc, forward, arith::SubIOp::create(b, loc, e, s),
                                       arith::SubIOp::create(b, loc, s, e));
  Value stride =
      arith::SelectOp::create(b, loc, forward, step, arith::SubIOp::create(b, loc, zero, step));
  Value size =
      arith::MaxSIOp::create(b, loc, arith::CeilDivSIOp::create(b, loc, span, stride), zero);
  return {s, size, step};
}

/// Entry `i` of an i64 slice operand, clamped to the int32 range (ONNX
/// writes ±2^63 for "to the end") and cast to index.
static Value sliceEntry(OpBuilder &b, Location loc, Value t, Value i) {
  Value e = tensor::ExtractOp::create(b, loc, t, i);
  Type it = e.getType();
  Value lo = arith::ConstantOp::create(b, loc, b.getIntegerAttr(it, INT32_MIN));
  Value hi = arith::ConstantOp::create(b, loc, b.getIntegerAttr(it, INT32_MAX));
  e = arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, e, lo), hi);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// The elements of `input` from `starts` by `steps`, `sizes` of them: a
/// view where the steps are constant and positive, else a gather.
static Value slice(OpBuilder &b, Location loc, SliceOp op, Value input, ArrayRef<Value> starts,
                   ArrayRef<Value> steps, ArrayRef<OpFoldResult> resultSizes, bool asView) {
  auto type = op.getType();
  int64_t rank = type.getRank();
  if (asView) {
    SmallVector<OpFoldResult> offsets(starts.begin(), starts.end()), strides;
    for (int64_t d = 0; d < rank; ++d) {
      IntegerAttr c;
      strides.push_back(matchPattern(steps[d], m_Constant(&c))
                            ? OpFoldResult(b.getIndexAttr(c.getInt()))
                            : OpFoldResult(steps[d]));
    }
    return tensor::ExtractSliceOp::create(b, loc, type, input, offsets, resultSizes, strides)
        .getResult();
  }
  Value init = emptyTensor(b, loc, resultSizes, type.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{}, init, b.getMultiDimIdentityMap(rank),
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(arith::AddIOp::create(
              nb, nl, starts[d],
              arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, d), steps[d])));
        linalg::YieldOp::create(nb, nl,
                                tensor::ExtractOp::create(nb, nl, input, coords).getResult());
      });
  return generic.getResult(0);
}

/// ONNX Slice. Constant axes with positive constant steps become
/// tensor.extract_slice; anything else (axes or steps known only at run
/// time, negative steps) a generic that reads input[start + i * step].
static FailureOr<Value> lowerSlice(SliceOp op, SliceOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value input = operands.getInput();
  auto type = op.getType();
  int64_t rank = tensorType(input).getRank();
  int64_t entries = tensorType(operands.getStarts()).getDimSize(0);
  if (ShapedType::isDynamic(entries))
    return op.emitError("slice starts must have a static length");
  SmallVector<Value> starts, sizes, steps;
  for (int64_t d = 0; d < rank; ++d) {
    starts.push_back(indexConst(b, loc, 0));
    sizes.push_back(dimValue(b, loc, input, d));
    steps.push_back(indexConst(b, loc, 1));
  }
  DenseIntElementsAttr axesAttr, stepsAttr;
  bool constantAxes = matchPattern(operands.getAxes(), m_Constant(&axesAttr));
  bool positiveSteps = matchPattern(operands.getSteps(), m_Constant(&stepsAttr)) &&
                       llvm::all_of(stepsAttr.getValues<APInt>(),
                                    [](const APInt &v) { return v.isStrictlyPositive(); });
  std::string node = describeNode(op, "Slice");
  for (int64_t j = 0; j < entries; ++j) {
    Value jv = indexConst(b, loc, j);
    Value start = sliceEntry(b, loc, operands.getStarts(), jv),
          end = sliceEntry(b, loc, operands.getEnds(), jv),
          step = sliceEntry(b, loc, operands.getSteps(), jv);
    if (!positiveSteps) {
      // The element count divides by the step: 0 is reported and taken as 1.
      Value zero = indexConst(b, loc, 0);
      Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, step, zero);
      failAtRunTimeIf(b, loc, isZero, jv, zero, node + ": step {index} is 0");
      step = arith::SelectOp::create(b, loc, isZero, indexConst(b, loc, 1), step);
    }
    if (constantAxes) {
      int64_t axis = axesAttr.getValues<APInt>()[j].getSExtValue();
      axis = axis < 0 ? axis + rank : axis;
      SliceRange r = sliceRange(b, loc, sizes[axis], start, end, step);
      starts[axis] = r.start, sizes[axis] = r.size, steps[axis] = r.step;
      continue;
    }
    // The axis is known at run time only: every dim checks whether it is it.
    Value axis = sliceEntry(b, loc, operands.getAxes(), jv);
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis, indexConst(b, loc, 0));
    axis = arith::SelectOp::create(
        b, loc, negative, arith::AddIOp::create(b, loc, axis, indexConst(b, loc, rank)), axis);
    for (int64_t d = 0; d < rank; ++d) {
      Value here =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, axis, indexConst(b, loc, d));
      SliceRange r = sliceRange(b, loc, sizes[d], start, end, step);
      starts[d] = arith::SelectOp::create(b, loc, here, r.start, starts[d]);
      sizes[d] = arith::SelectOp::create(b, loc, here, r.size, sizes[d]);
      steps[d] = arith::SelectOp::create(b, loc, here, r.step, steps[d]);
    }
  }
  SmallVector<OpFoldResult> resultSizes;
  for (int64_t d = 0; d < rank; ++d)
    resultSizes.push_back(type.isDynamicDim(d) ? OpFoldResult(sizes[d])
                                               : b.getIndexAttr(type.getDimSize(d)));
  // x[..., n - k:] holds k elements only for k <= n (ONNX clamps the
  // start), where the shape tracing took k: another k is reported and the
  // result read as k zeros.
  Value tooLong;
  SmallVector<OpFoldResult> claimedSizes = resultSizes;
  for (int64_t d = 0; d < rank; ++d) {
    Value k = type.isDynamicDim(d) ? keptTailLength(op, d) : Value();
    if (!k)
      continue;
    Value differs = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, sizes[d], k);
    failAtRunTimeIf(b, loc, differs, k, sizes[d],
                    node + ": it keeps the last {index} positions of {bound}");
    tooLong = tooLong ? arith::OrIOp::create(b, loc, tooLong, differs) : differs;
    claimedSizes[d] = k;
  }
  bool asView = constantAxes && positiveSteps;
  if (!tooLong)
    return slice(b, loc, op, input, starts, steps, resultSizes, asView);
  Type element = type.getElementType();
  return scf::IfOp::create(
             b, loc, tooLong,
             [&](OpBuilder &tb, Location tl) {
               Value zeros =
                   filled(tb, tl, claimedSizes, element, elementConst(tb, tl, element, 0));
               scf::YieldOp::create(tb, tl, castTo(tb, tl, zeros, type));
             },
             [&](OpBuilder &eb, Location el) {
               scf::YieldOp::create(eb, el,
                                    slice(eb, el, op, input, starts, steps, resultSizes, asView));
             })
      .getResult(0);
}

static FailureOr<Value> lowerGather(GatherOp op, GatherOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value data = operands.getInput(), indices = operands.getIndices();
  int64_t indicesRank = tensorType(indices).getRank();
  int64_t axis = op.getAxis();
  auto type = op.getType();
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis)
      sizes.push_back(dimOf(b, loc, data, d));
    else if (d < axis + indicesRank)
      sizes.push_back(dimOf(b, loc, indices, d - axis));
    else
      sizes.push_back(dimOf(b, loc, data, d - indicesRank + 1));
  }
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indicesRank; ++i)
    indexExprs.push_back(getAffineDimExpr(axis + i, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexExprs, ctx),
                                 b.getMultiDimIdentityMap(rank)};
  Value axisDim = dimValue(b, loc, data, axis);
  // ONNX Runtime refuses such indices; genc fails the call the same way.
  std::string message = describeNode(op, "Gather") + ": index {index} is out of range for axis " +
                        std::to_string(axis) + " of size {bound}";
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), indices, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value idx = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
        // linalg.index must sit directly in the generic, outside the check.
        SmallVector<Value> coords;
        for (int64_t d = 0; d < axis; ++d)
          coords.push_back(linalg::IndexOp::create(nb, nl, d));
        coords.push_back(Value());
        for (int64_t d = axis + indicesRank; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, nl, d));
        auto read = [&](OpBuilder &rb, Location rl, Value position) -> SmallVector<Value> {
          coords[axis] = position;
          return {tensor::ExtractOp::create(rb, rl, data, coords)};
        };
        linalg::YieldOp::create(nb, nl,
                                checkedRead(nb, nl, idx, axisDim, /*fromEnd=*/true,
                                            type.getElementType(), message, read));
      });
  return generic.getResult(0);
}

/// How a scatter's `reduction` combines an update with what is there; none
/// for `none`, which replaces it.
static std::optional<Combine> scatterCombine(StringRef reduction) {
  return llvm::StringSwitch<std::optional<Combine>>(reduction)
      .Case("add", Combine::Sum)
      .Case("mul", Combine::Prod)
      .Case("max", Combine::Max)
      .Case("min", Combine::Min)
      .Default(std::nullopt);
}

/// An index into a dim of `bound` elements, negatives counted from the end;
/// out of range it fails the call with `message` and is 0 (inside the
/// buffer where `bound` > 0, which callers make sure of).
static Value checkedScatterIndex(OpBuilder &b, Location loc, Value raw, Value bound,
                                 StringRef message) {
  Value zero = indexConst(b, loc, 0);
  Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  Value p =
      arith::SelectOp::create(b, loc, negative, arith::AddIOp::create(b, loc, index, bound), index);
  Value outside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, p, bound);
  failAtRunTimeIf(b, loc, outside, index, bound, message);
  return arith::SelectOp::create(b, loc, outside, zero, p);
}

/// ScatterND as a loop over the index tuples, in order, each writing (or
/// combining) its slice of `updates` into a copy of `data`. An index out
/// of range fails the call and writes nothing: the loop writes at 0
/// instead, inside the buffer, and the call's result is not used.
static FailureOr<Value> lowerScatterND(ScatterNDOp op, ScatterNDOp::Adaptor operands,
                                       OpBuilder &b) {
  Location loc = op.getLoc();
  Value data = operands.getData(), indices = operands.getIndices();
  Value updates = operands.getUpdates();
  int64_t rank = tensorType(data).getRank(), q = tensorType(indices).getRank();
  int64_t k = tensorType(indices).getDimSize(q - 1);
  std::optional<Combine> reduction = scatterCombine(op.getReduction());
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  SmallVector<Value> tupleDims;
  Value tuples;
  for (int64_t d = 0; d + 1 < q; ++d) {
    tupleDims.push_back(dimValue(b, loc, indices, d));
    tuples = tuples ? arith::MulIOp::create(b, loc, tuples, tupleDims.back()) : tupleDims.back();
  }
  if (!tuples)
    tuples = one;
  std::string node = describeNode(op, "ScatterND");
  // updates: indices' dims but the last, then data's after the first k.
  // Sizes left to run time must agree, or nothing is written (and the call
  // fails): the slices would read past updates.
  Value agree;
  for (int64_t d = 0; d < tensorType(updates).getRank(); ++d) {
    bool expectedStatic = d + 1 < q ? !tensorType(indices).isDynamicDim(d)
                                    : !tensorType(data).isDynamicDim(d - (q - 1) + k);
    if (!tensorType(updates).isDynamicDim(d) && expectedStatic)
      continue;
    Value expected = d + 1 < q ? tupleDims[d] : dimValue(b, loc, data, d - (q - 1) + k);
    Value actual = dimValue(b, loc, updates, d);
    Value differs = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, actual, expected);
    failAtRunTimeIf(b, loc, differs, actual, expected,
                    node + ": updates' dim " + std::to_string(d) + " is {index}, not {bound}");
    Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, actual, expected);
    agree = agree ? arith::AndIOp::create(b, loc, agree, same) : same;
  }
  // A tuple into an empty dim of data names no element (and the write at 0
  // would be outside the buffer): the call fails and nothing is written.
  for (int64_t j = 0; j < k; ++j) {
    if (!tensorType(data).isDynamicDim(j) && tensorType(data).getDimSize(j) > 0)
      continue;
    Value dim = dimValue(b, loc, data, j);
    Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, dim, zero);
    Value filled = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, dim, zero);
    Value named = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, tuples, zero);
    failAtRunTimeIf(b, loc, arith::AndIOp::create(b, loc, named, empty), tuples, dim,
                    node + ": {index} index tuples name elements of data's dim " +
                        std::to_string(j) + ", of size {bound}");
    agree = agree ? arith::AndIOp::create(b, loc, agree, filled) : filled;
  }
  if (agree)
    tuples = arith::SelectOp::create(b, loc, agree, tuples, zero);
  std::string message = node + ": index {index} is out of range for a dim of size {bound}";
  auto loop = scf::ForOp::create(
      b, loc, zero, tuples, one, ValueRange{data},
      [&](OpBuilder &lb, Location ll, Value tuple, ValueRange iterArgs) {
        Value result = iterArgs[0];
        SmallVector<Value> at(q - 1);
        for (int64_t d = q - 2; d >= 0; --d) {
          at[d] = arith::RemUIOp::create(lb, ll, tuple, tupleDims[d]);
          tuple = arith::DivUIOp::create(lb, ll, tuple, tupleDims[d]);
        }
        // The tuple's k positions in data, negatives counted from the end.
        SmallVector<Value> position;
        for (int64_t j = 0; j < k; ++j) {
          SmallVector<Value> entry = at;
          entry.push_back(indexConst(lb, ll, j));
          Value raw = tensor::ExtractOp::create(lb, ll, indices, entry);
          position.push_back(
              checkedScatterIndex(lb, ll, raw, dimValue(lb, ll, result, j), message));
        }
        Value written;
        if (k == rank) {
          Value update = tensor::ExtractOp::create(lb, ll, updates, at);
          if (reduction)
            update = combine(lb, ll, *reduction,
                             tensor::ExtractOp::create(lb, ll, result, position), update);
          written = tensor::InsertOp::create(lb, ll, update, result, position);
        } else {
          // The slice of data's dims after the first k.
          SmallVector<OpFoldResult> tail, updateOffsets(at.begin(), at.end()),
              updateSizes(q - 1, lb.getIndexAttr(1)), offsets(position.begin(), position.end()),
              sizes(k, lb.getIndexAttr(1));
          for (int64_t d = k; d < rank; ++d) {
            tail.push_back(dimOf(lb, ll, result, d));
            updateOffsets.push_back(lb.getIndexAttr(0));
            offsets.push_back(lb.getIndexAttr(0));
          }
          llvm::append_range(updateSizes, tail);
          llvm::append_range(sizes, tail);
          SmallVector<OpFoldResult> unitStrides(rank, lb.getIndexAttr(1));
          SmallVector<OpFoldResult> updateStrides(q - 1 + rank - k, lb.getIndexAttr(1));
          auto sliceType = RankedTensorType::get(tensorType(result).getShape().drop_front(k),
                                                 tensorType(result).getElementType());
          Value update = tensor::ExtractSliceOp::create(lb, ll, sliceType, updates, updateOffsets,
                                                        updateSizes, updateStrides);
          if (reduction) {
            Value current = tensor::ExtractSliceOp::create(lb, ll, sliceType, result, offsets,
                                                           sizes, unitStrides);
            update = elementwise(lb, ll, {current, update}, sliceType.getElementType(),
                                 [&](OpBuilder &eb, Location el, ValueRange a) {
                                   return combine(eb, el, *reduction, a[0], a[1]);
                                 });
          }
          written =
              tensor::InsertSliceOp::create(lb, ll, update, result, offsets, sizes, unitStrides);
        }
        scf::YieldOp::create(lb, ll, written);
      });
  return loop.getResult(0);
}

/// ScatterElements as a loop nest over `indices`, in row-major order, each
/// element writing (or combining) its update at its own position but along
/// `axis`, where the index says. Sizes that do not fit (updates not
/// indices' shape, indices wider than data off the axis, elements into an
/// empty axis) and indices out of range fail the call; the loop then writes
/// nothing, or at 0 along the axis, inside the buffer.
static FailureOr<Value> lowerScatterElements(ScatterElementsOp op,
                                             ScatterElementsOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value data = operands.getData(), indices = operands.getIndices();
  Value updates = operands.getUpdates();
  int64_t rank = tensorType(data).getRank(), axis = op.getAxis();
  std::optional<Combine> reduction = scatterCombine(op.getReduction());
  std::string node = describeNode(op, "ScatterElements");
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  SmallVector<Value> extents;
  Value agree, count = one;
  Value truth = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  auto failIf = [&](Value fails, Value index, Value bound, const std::string &message) {
    failAtRunTimeIf(b, loc, fails, index, bound, node + ": " + message);
    Value holds = arith::XOrIOp::create(b, loc, fails, truth);
    agree = agree ? arith::AndIOp::create(b, loc, agree, holds) : holds;
  };
  for (int64_t d = 0; d < rank; ++d) {
    Value extent = dimValue(b, loc, indices, d);
    extents.push_back(extent);
    count = arith::MulIOp::create(b, loc, count, extent);
    if (tensorType(indices).isDynamicDim(d) || tensorType(updates).isDynamicDim(d)) {
      Value actual = dimValue(b, loc, updates, d);
      failIf(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, actual, extent), actual,
             extent, "updates' dim " + std::to_string(d) + " is {index}, not indices' {bound}");
    }
    bool provablyFits = !tensorType(indices).isDynamicDim(d) && !tensorType(data).isDynamicDim(d) &&
                        tensorType(indices).getDimSize(d) <= tensorType(data).getDimSize(d);
    if (d != axis && !provablyFits) {
      Value bound = dimValue(b, loc, data, d);
      failIf(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, extent, bound), extent, bound,
             "indices' dim " + std::to_string(d) + " is {index}, more than data's {bound}");
    }
  }
  if (tensorType(data).isDynamicDim(axis) || tensorType(data).getDimSize(axis) == 0) {
    // An index into an empty axis names no element.
    Value bound = dimValue(b, loc, data, axis);
    Value named = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, count, zero);
    Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, bound, zero);
    failIf(arith::AndIOp::create(b, loc, named, empty), count, bound,
           "{index} indices name elements of data's axis " + std::to_string(axis) +
               ", of size {bound}");
  }
  if (agree)
    extents[0] = arith::SelectOp::create(b, loc, agree, extents[0], zero);
  std::string message = node + ": index {index} is out of range for axis " + std::to_string(axis) +
                        " of size {bound}";
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, SmallVector<Value>(rank, zero), extents, SmallVector<Value>(rank, one),
      ValueRange{data}, [&](OpBuilder &lb, Location ll, ValueRange at, ValueRange iterArgs) {
        Value result = iterArgs[0];
        SmallVector<Value> position(at.begin(), at.end());
        Value raw = tensor::ExtractOp::create(lb, ll, indices, at);
        position[axis] = checkedScatterIndex(lb, ll, raw, dimValue(lb, ll, result, axis), message);
        Value update = tensor::ExtractOp::create(lb, ll, updates, at);
        if (reduction)
          update = combine(lb, ll, *reduction, tensor::ExtractOp::create(lb, ll, result, position),
                           update);
        return SmallVector<Value>{tensor::InsertOp::create(lb, ll, update, result, position)};
      });
  return nest.results.front();
}

/// NonZero: one row-major pass over the input counts its non-zero
/// elements, a second writes their coordinates column by column.
static FailureOr<Value> lowerNonZero(NonZeroOp op, NonZeroOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value x = operands.getInput();
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType(), computeType = signless(t);
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  SmallVector<Value> starts(rank, zero), ends, steps(rank, one);
  for (int64_t d = 0; d < rank; ++d)
    ends.push_back(dimValue(b, loc, x, d));
  // NaN is not zero.
  auto nonZeroAt = [&](OpBuilder &lb, Location ll, ValueRange at) -> Value {
    Value v = reinterpret(lb, ll, tensor::ExtractOp::create(lb, ll, x, at), computeType);
    Value zeroValue = scalarConst(lb, ll, computeType, 0);
    if (isa<FloatType>(computeType))
      return arith::CmpFOp::create(lb, ll, arith::CmpFPredicate::UNE, v, zeroValue);
    return arith::CmpIOp::create(lb, ll, arith::CmpIPredicate::ne, v, zeroValue);
  };
  scf::LoopNest counting = scf::buildLoopNest(
      b, loc, starts, ends, steps, ValueRange{zero},
      [&](OpBuilder &lb, Location ll, ValueRange at, ValueRange counted) {
        Value step = arith::SelectOp::create(lb, ll, nonZeroAt(lb, ll, at), one, zero);
        return SmallVector<Value>{arith::AddIOp::create(lb, ll, counted[0], step)};
      });
  Type i64 = b.getI64Type();
  Value coordinates = emptyTensor(b, loc, {b.getIndexAttr(rank), counting.results.front()}, i64);
  scf::LoopNest writing = scf::buildLoopNest(
      b, loc, starts, ends, steps, ValueRange{coordinates, zero},
      [&](OpBuilder &lb, Location ll, ValueRange at, ValueRange carried) {
        auto written = scf::IfOp::create(
            lb, ll, nonZeroAt(lb, ll, at),
            [&](OpBuilder &tb, Location tl) {
              Value result = carried[0], column = carried[1];
              for (int64_t d = 0; d < rank; ++d) {
                Value coordinate = arith::IndexCastOp::create(tb, tl, i64, at[d]);
                result = tensor::InsertOp::create(tb, tl, coordinate, result,
                                                  ValueRange{indexConst(tb, tl, d), column});
              }
              Value next = arith::AddIOp::create(tb, tl, column, indexConst(tb, tl, 1));
              scf::YieldOp::create(tb, tl, ValueRange{result, next});
            },
            [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, carried); });
        return SmallVector<Value>(written.getResults());
      });
  return writing.results.front();
}

/// The dims of `op`'s result given by its shape operand `shape`, static
/// where the type says so; the shape is right-aligned with the result (an
/// Expand's input may have more dims, which it keeps). For Expand
/// (`expandInput`) an entry of 1 keeps the input's dim, unless the entry is
/// a tensor's dim that the shape tracing takes as the result's
/// (genc::expandEntryDim). A negative entry, or sizes of more bytes than a
/// buffer holds, are reported and the sizes taken as sizesAfterFailure says.
static SmallVector<OpFoldResult> sizesFromShape(OpBuilder &b, Operation *op, Value shape,
                                                Value originalShape, Value expandInput,
                                                StringRef node) {
  Location loc = op->getLoc();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = type.getRank(), entries = tensorType(shape).getDimSize(0);
  if (type.hasStaticShape())
    return getAsIndexOpFoldResult(b.getContext(), type.getShape());
  Value zero = indexConst(b, loc, 0);
  SmallVector<Value> sizes;
  Value negative, overflow;
  Value bytes = indexConst(b, loc, llvm::divideCeil(type.getElementTypeBitWidth(), 8));
  for (int64_t d = 0; d < rank; ++d) {
    int64_t i = expandInput ? d - (rank - tensorType(expandInput).getRank()) : -1;
    int64_t j = d - (rank - entries);
    if (!type.isDynamicDim(d)) {
      sizes.push_back(indexConst(b, loc, type.getDimSize(d)));
    } else if (j < 0) {
      sizes.push_back(dimValue(b, loc, expandInput, i));
    } else {
      Value e = shapeEntry(b, loc, shape, j);
      if (!isKnownNonNegative(e)) {
        Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, e, zero);
        failAtRunTimeIf(b, loc, below, e, indexConst(b, loc, j),
                        (node + ": shape entry {bound} is {index}; sizes are not negative").str());
        negative = negative ? arith::OrIOp::create(b, loc, negative, below) : below;
      }
      if (i >= 0 && !expandEntryDim(cast<ExpandOp>(op).getInput(), originalShape, j)) {
        Value isOne =
            b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, e, indexConst(b, loc, 1));
        e = b.createOrFold<arith::SelectOp>(loc, isOne, dimValue(b, loc, expandInput, i), e);
      }
      sizes.push_back(e);
    }
    bytes = multiplyChecked(b, loc, bytes, sizes.back(), overflow);
  }
  checkBufferBytes(b, loc, bytes, overflow);
  // After a negative entry's report, this one is not the first.
  failAtRunTimeIf(b, loc, overflow, zero, zero,
                  (node + ": the shape asks for more bytes than a buffer can hold").str());
  Value failed = negative ? arith::OrIOp::create(b, loc, negative, overflow) : overflow;
  return sizesAfterFailure(b, loc, op, sizes, failed, overflow);
}

static FailureOr<Value> lowerExpand(ExpandOp op, ExpandOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  auto type = op.getType();
  std::string node = describeNode(op, "Expand");
  Value input = operands.getInput();
  auto inputType = tensorType(input);
  SmallVector<OpFoldResult> sizes =
      sizesFromShape(b, op, operands.getShape(), op.getShape(), input, node);
  // An input dim the model leaves dynamic is read, not broadcast: it must
  // be the result's.
  SharedLoops loops(b, loc, input, op.getInput(), node, {"the input"});
  for (int64_t i = 0; i < inputType.getRank(); ++i)
    if (inputType.isDynamicDim(i))
      loops.share({{0, i}}, sizes[i + type.getRank() - inputType.getRank()],
                  "genc broadcasts only dims the model declares as 1");
  input = loops.operands().front();
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<AffineMap> maps = {broadcastMap(b.getContext(), inputType, type.getShape()),
                                 b.getMultiDimIdentityMap(type.getRank())};
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), input, init, maps,
      SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
      [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); });
  return generic.getResult(0);
}

static SmallVector<Value> lowerSplit(SplitOp op, SplitOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value input = operands.getInput();
  int64_t rank = tensorType(input).getRank(), axis = op.getAxis();
  if (!op.getSizes().empty()) {
    // Pieces of the sizes given must cover the axis exactly.
    SharedLoops loops(b, loc, input, op.getInput(), describeNode(op, "Split"), {"the input"});
    int64_t total = 0;
    for (int64_t size : op.getSizes())
      total += size;
    loops.share({{0, axis}}, b.getIndexAttr(total), "the sum of the split's sizes");
    input = loops.operands().front();
  }
  size_t n = op.getNumResults();
  Value piece =
      op.getSizes().empty()
          ? arith::CeilDivUIOp::create(b, loc, dimValue(b, loc, input, axis), indexConst(b, loc, n))
                .getResult()
          : Value();
  SmallVector<Value> results;
  Value offset = indexConst(b, loc, 0);
  for (size_t i = 0; i < n; ++i) {
    auto type = cast<RankedTensorType>(op.getResult(i).getType());
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
        strides(rank, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(dimOf(b, loc, input, d));
    Value size = op.getSizes().empty() ? piece : indexConst(b, loc, op.getSizes()[i]);
    if (op.getSizes().empty()) // The last pieces may be shorter, or empty.
      size = arith::MaxSIOp::create(
          b, loc,
          arith::MinSIOp::create(
              b, loc, size, arith::SubIOp::create(b, loc, dimValue(b, loc, input, axis), offset)),
          indexConst(b, loc, 0));
    offsets[axis] = offset;
    sizes[axis] =
        type.isDynamicDim(axis) ? OpFoldResult(size) : b.getIndexAttr(type.getDimSize(axis));
    // The input may know dims the result's type does not (a Reshape's
    // sizes computed at run time): slice, then cast to that type.
    Value slice = tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes, strides);
    results.push_back(slice.getType() == type ? slice
                                              : tensor::CastOp::create(b, loc, type, slice));
    offset = arith::AddIOp::create(b, loc, offset, size);
  }
  return results;
}

static FailureOr<Value> lowerConstantOfShape(ConstantOfShapeOp op,
                                             ConstantOfShapeOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  auto type = op.getType();
  SmallVector<OpFoldResult> sizes = sizesFromShape(b, op, operands.getShape(), op.getShape(),
                                                   Value(), describeNode(op, "ConstantOfShape"));
  auto value = cast<DenseElementsAttr>(op.getValue());
  Type element = type.getElementType();
  Attribute first = value.getValues<Attribute>()[0];
  // arith.constant takes signless integers only: ui8 200 is made as i8 200.
  if (auto i = dyn_cast<IntegerAttr>(first))
    first = IntegerAttr::get(signless(i.getType()), i.getValue());
  Value scalar =
      reinterpret(b, loc, arith::ConstantOp::create(b, loc, cast<TypedAttr>(first)), element);
  return filled(b, loc, sizes, element, scalar);
}

static FailureOr<Value> lowerRange(RangeOp op, RangeOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Type t = op.getType().getElementType();
  auto scalar = [&](Value v) {
    return tensor::ExtractOp::create(b, loc, v, ValueRange{}).getResult();
  };
  Value start = scalar(operands.getStart()), limit = scalar(operands.getLimit()),
        delta = scalar(operands.getDelta());
  if (op.getType().isDynamicDim(0)) {
    // The element count divides by delta: 0 is reported and taken as 1.
    Value zero = elementConst(b, loc, t, 0);
    Value isZero =
        isa<FloatType>(t)
            ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, delta, zero).getResult()
            : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, delta, zero).getResult();
    failAtRunTimeIf(b, loc, isZero, indexConst(b, loc, 0), indexConst(b, loc, 0),
                    describeNode(op, "Range") + ": delta is 0; a range needs a delta other than 0");
    delta = arith::SelectOp::create(b, loc, isZero, elementConst(b, loc, t, 1), delta);
  }
  OpFoldResult size;
  if (!op.getType().isDynamicDim(0)) {
    size = b.getIndexAttr(op.getType().getDimSize(0));
  } else if (isa<FloatType>(t)) {
    Value n = math::CeilOp::create(
        b, loc, arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, limit, start), delta));
    // A count of more elements than a buffer holds (NaN and infinities
    // included, which convert to no integer) is reported.
    double most = double(kMaxBufferBytes / llvm::divideCeil(t.getIntOrFloatBitWidth(), 8));
    // UGE: true for NaN too.
    Value tooMany =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGE, math::AbsFOp::create(b, loc, n),
                              scalarConst(b, loc, t, most));
    failAtRunTimeIf(b, loc, tooMany, indexConst(b, loc, 0), indexConst(b, loc, 0),
                    describeNode(op, "Range") + ": it holds more elements than a buffer can");
    n = arith::SelectOp::create(b, loc, tooMany, scalarConst(b, loc, t, 0), n);
    Value ni = arith::FPToSIOp::create(b, loc, b.getI64Type(), n);
    ni = arith::MaxSIOp::create(b, loc, ni, scalarConst(b, loc, b.getI64Type(), 0));
    size = arith::IndexCastOp::create(b, loc, b.getIndexType(), ni).getResult();
  } else {
    Value span = arith::SubIOp::create(b, loc, limit, start);
    // The one quotient that does not fit (and traps): the type's minimum
    // over -1, a count past the type anyway.
    auto width = t.getIntOrFloatBitWidth();
    Value tooMany = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, span,
                              intConst(b, loc, t, APInt::getSignedMinValue(width))),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, delta,
                              intConst(b, loc, t, APInt::getAllOnes(width))));
    failAtRunTimeIf(b, loc, tooMany, indexConst(b, loc, 0), indexConst(b, loc, 0),
                    describeNode(op, "Range") + ": it holds more elements than its type counts");
    delta = arith::SelectOp::create(b, loc, tooMany, scalarConst(b, loc, t, 1), delta);
    Value n = arith::CeilDivSIOp::create(b, loc, span, delta);
    n = arith::MaxSIOp::create(b, loc, n, scalarConst(b, loc, t, 0));
    int64_t most = kMaxBufferBytes / llvm::divideCeil(width, 8);
    if (width > 32) { // a 32-bit count always fits
      Value tooMany = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, n,
                                            scalarConst(b, loc, t, static_cast<double>(most)));
      failAtRunTimeIf(b, loc, tooMany, indexConst(b, loc, 0), indexConst(b, loc, 0),
                      describeNode(op, "Range") + ": it holds more elements than a buffer can");
      n = arith::SelectOp::create(b, loc, tooMany, scalarConst(b, loc, t, 0), n);
    }
    size = arith::IndexCastOp::create(b, loc, b.getIndexType(), n).getResult();
  }
  Value init = emptyTensor(b, loc, {size}, t);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{}, init, b.getMultiDimIdentityMap(1),
      utils::IteratorType::parallel, [&](OpBuilder &nb, Location nl, ValueRange) {
        Value i = linalg::IndexOp::create(nb, nl, 0);
        Value ii = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
        Value r =
            isa<FloatType>(t)
                ? arith::AddFOp::create(
                      nb, nl, start,
                      arith::MulFOp::create(nb, nl, arith::SIToFPOp::create(nb, nl, t, ii), delta))
                      .getResult()
                : arith::AddIOp::create(
                      nb, nl, start,
                      arith::MulIOp::create(nb, nl, convertScalar(nb, nl, ii, t), delta))
                      .getResult();
        linalg::YieldOp::create(nb, nl, r);
      });
  return generic.getResult(0);
}

/// The input's dims from `start`, as i64.
static FailureOr<Value> lowerShape(ShapeOp op, ShapeOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  int64_t rank = tensorType(operands.getInput()).getRank();
  int64_t start = op.getStart() < 0 ? std::max<int64_t>(op.getStart() + rank, 0)
                                    : std::min<int64_t>(op.getStart(), rank);
  SmallVector<Value> dims;
  for (int64_t d = start; d < start + op.getType().getDimSize(0); ++d)
    dims.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                              dimValue(b, loc, operands.getInput(), d)));
  return tensor::FromElementsOp::create(b, loc, op.getType(), dims).getResult();
}

static FailureOr<Value> lowerTranspose(TransposeOp op, TransposeOp::Adaptor operands,
                                       OpBuilder &b) {
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : op.getPerm())
    sizes.push_back(dimOf(b, loc, operands.getInput(), p));
  Value init = emptyTensor(b, loc, sizes, op.getType().getElementType());
  return linalg::TransposeOp::create(b, loc, operands.getInput(), init, op.getPerm())
      .getResult()[0];
}

/// Inputs must agree on every dim but the axis; one that does not is
/// reported and read as zeros of the others' sizes.
static FailureOr<Value> lowerConcat(ConcatOp op, ConcatOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  SmallVector<std::string> names;
  for (size_t i = 0; i < operands.getInputs().size(); ++i)
    names.push_back("input " + std::to_string(i));
  SharedLoops loops(b, loc, operands.getInputs(), op.getInputs(), describeNode(op, "Concat"),
                    names);
  auto type = op.getType();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (d == op.getAxis())
      continue;
    SmallVector<SharedLoops::Use> uses;
    for (unsigned i = 0; i < operands.getInputs().size(); ++i)
      uses.push_back({i, d});
    OpFoldResult size = type.isDynamicDim(d) ? OpFoldResult() : b.getIndexAttr(type.getDimSize(d));
    loops.share(uses, size, "inputs agree on every dim but the axis");
  }
  return tensor::ConcatOp::create(b, loc, type, op.getAxis(), loops.operands()).getResult();
}

namespace {
/// Split has several results, so it is the one pattern of its own.
struct SplitLowering : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SplitOp op, OpAdaptor operands,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, lowerSplit(op, operands, rewriter));
    return success();
  }
};
} // namespace

void mlir::genc::lowering::populateDataMovementLoweringPatterns(RewritePatternSet &patterns) {
  addLowering<TransposeOp>(patterns, lowerTranspose);
  addLowering<ReshapeOp>(patterns, lowerReshape);
  addLowering<SqueezeOp>(patterns, lowerSqueezeLike<SqueezeOp, /*unsqueeze=*/false>);
  addLowering<UnsqueezeOp>(patterns, lowerSqueezeLike<UnsqueezeOp, /*unsqueeze=*/true>);
  addLowering<ConcatOp>(patterns, lowerConcat);
  addLowering<SliceOp>(patterns, lowerSlice);
  addLowering<GatherOp>(patterns, lowerGather);
  addLowering<ScatterNDOp>(patterns, lowerScatterND);
  addLowering<ScatterElementsOp>(patterns, lowerScatterElements);
  addLowering<NonZeroOp>(patterns, lowerNonZero);
  addLowering<ExpandOp>(patterns, lowerExpand);
  addLowering<ConstantOfShapeOp>(patterns, lowerConstantOfShape);
  addLowering<RangeOp>(patterns, lowerRange);
  addLowering<ShapeOp>(patterns, lowerShape);
  patterns.add<SplitLowering>(patterns.getContext());
}
