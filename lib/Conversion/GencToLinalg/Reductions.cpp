//===- Reductions.cpp - reductions, softmax, norms and scans → linalg -----===//
//
// Reductions are generics with reduction iterators over an init filled
// with the combination's identity; softmax and the norms compose them with
// elementwise generics; CumSum is a loop carrying one slice's running sums.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

Value mlir::genc::lowering::reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
                                   bool keepdims, Combine kind) {
  auto type = tensorType(input);
  Type t = type.getElementType(), computeType = signless(t);
  bool isFloat = isa<FloatType>(t), isUnsigned = isUnsignedInt(t);
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (!reduced[d]) {
      sizes.push_back(dimOf(b, loc, input, d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    } else if (keepdims) {
      sizes.push_back(b.getIndexAttr(1));
      outExprs.push_back(getAffineConstantExpr(0, ctx));
    }
  }
  Value initValue;
  unsigned width = t.getIntOrFloatBitWidth();
  switch (kind) {
  case Combine::Sum:
    initValue = scalarConst(b, loc, computeType, 0);
    break;
  case Combine::Prod:
    initValue = scalarConst(b, loc, computeType, 1);
    break;
  case Combine::Max:
    initValue = isFloat ? negInf(b, loc, t)
                        : intConst(b, loc, computeType,
                                   isUnsigned ? APInt::getMinValue(width)
                                              : APInt::getSignedMinValue(width));
    break;
  case Combine::Min:
    initValue = isFloat ? arith::NegFOp::create(b, loc, negInf(b, loc, t)).getResult()
                        : intConst(b, loc, computeType,
                                   isUnsigned ? APInt::getMaxValue(width)
                                              : APInt::getSignedMaxValue(width));
    break;
  }
  Value init = filled(b, loc, sizes, t, reinterpret(b, loc, initValue, t));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(type.getRank()),
                                 AffineMap::get(type.getRank(), 0, outExprs, ctx)};
  auto body = [&](OpBuilder &nb, Location nl, ValueRange args) {
    Value r = combine(nb, nl, kind, args[1], args[0]);
    // A float sum may add in any order (ONNX fixes none): LLVM then keeps
    // vector partial sums instead of one chain of dependent scalar adds.
    if (auto add = r.getDefiningOp<arith::AddFOp>())
      add.setFastmath(arith::FastMathFlags::reassoc);
    linalg::YieldOp::create(nb, nl, r);
  };
  auto generic =
      linalg::GenericOp::create(b, loc, init.getType(), input, init, maps, iterators, body);
  return generic.getResult(0);
}

Value mlir::genc::lowering::combine(OpBuilder &b, Location loc, Combine kind, Value a, Value x) {
  Type t = a.getType();
  if (t.isInteger(1))
    return kind == Combine::Sum || kind == Combine::Max
               ? arith::OrIOp::create(b, loc, a, x).getResult()
               : arith::AndIOp::create(b, loc, a, x).getResult();
  bool isFloat = isa<FloatType>(t), isUnsigned = isUnsignedInt(t);
  Type computeType = signless(t);
  Value operands[] = {reinterpret(b, loc, a, computeType), reinterpret(b, loc, x, computeType)};
  Value r;
  switch (kind) {
  case Combine::Sum:
    r = binaryOp<arith::AddFOp, arith::AddIOp>(b, loc, operands, isFloat, isUnsigned);
    break;
  case Combine::Prod:
    r = binaryOp<arith::MulFOp, arith::MulIOp>(b, loc, operands, isFloat, isUnsigned);
    break;
  case Combine::Max:
    r = binaryOp<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>(b, loc, operands, isFloat,
                                                                    isUnsigned);
    break;
  case Combine::Min:
    r = binaryOp<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>(b, loc, operands, isFloat,
                                                                    isUnsigned);
    break;
  }
  return reinterpret(b, loc, r, t);
}

/// The number of elements over `reduced` dims, as a scalar of type `t`
/// (float or signless integer).
static Value reducedCount(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced, Type t) {
  Value count = indexConst(b, loc, 1);
  for (size_t d = 0; d < reduced.size(); ++d)
    if (reduced[d])
      count = arith::MulIOp::create(b, loc, count, dimValue(b, loc, input, d));
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  if (isa<FloatType>(t))
    return arith::SIToFPOp::create(b, loc, t, asInt);
  // An i64 count is already the answer; trunci must narrow.
  if (t.getIntOrFloatBitWidth() < 64)
    return arith::TruncIOp::create(b, loc, t, asInt);
  return asInt;
}

static SmallVector<bool> reducedDims(int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[a] = true;
  return reduced;
}

/// x / count, broadcasting the scalar count (of x's computation type).
static Value divideByScalar(OpBuilder &b, Location loc, Value x, Value count) {
  Type t = tensorType(x).getElementType();
  bool isFloat = isa<FloatType>(t), isUnsigned = isUnsignedInt(t);
  return elementwise(b, loc, x, t, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value operands[] = {reinterpret(nb, nl, a[0], signless(t)), count};
    Value q = binaryOp<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>(nb, nl, operands, isFloat,
                                                                      isUnsigned);
    return reinterpret(nb, nl, q, t);
  });
}

template <typename ReduceOp, Combine kind, bool mean = false>
static FailureOr<Value> lowerReduction(ReduceOp op, typename ReduceOp::Adaptor operands,
                                       OpBuilder &b) {
  Location loc = op.getLoc();
  Value input = operands.getInput();
  auto inputType = tensorType(input);
  auto reduced = reducedDims(inputType.getRank(), op.getAxes());
  // An axis of size 0 empties the input, whatever the other dims: they do
  // not bound the result's size.
  bool mayBeEmpty = llvm::any_of(llvm::seq<int64_t>(inputType.getRank()), [&](int64_t d) {
    int64_t size = inputType.getDimSize(d);
    return reduced[d] && (size == 0 || ShapedType::isDynamic(size));
  });
  if (mayBeEmpty) {
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      if (!reduced[d])
        sizes.push_back(dimOf(b, loc, input, d));
    Value tooLarge = guardResultBytes(b, loc, sizes, op.getType().getElementType(),
                                      describeNode(op, onnxOpName(op)));
    input = emptiedIf(b, loc, input, tooLarge);
  }
  Value r = reduce(b, loc, input, reduced, op.getKeepdims(), kind);
  if (mean)
    r = divideByScalar(
        b, loc, r, reducedCount(b, loc, input, reduced, signless(op.getType().getElementType())));
  return r;
}

Value mlir::genc::lowering::softmax(OpBuilder &b, Location loc, Value x, int64_t axis, bool log) {
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType();
  SmallVector<bool> reduced(rank, false);
  reduced[axis] = true;
  Value m = reduce(b, loc, x, reduced, /*keepdims=*/true, Combine::Max);
  Value shifted = elementwise(b, loc, {x, m}, t, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::SubFOp::create(nb, nl, a[0], a[1]).getResult();
  });
  Value e = elementwise(b, loc, shifted, t, [](OpBuilder &nb, Location nl, ValueRange a) {
    return math::ExpOp::create(nb, nl, a[0]).getResult();
  });
  Value s = reduce(b, loc, e, reduced, /*keepdims=*/true, Combine::Sum);
  if (log)
    return elementwise(b, loc, {shifted, s}, t, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::SubFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1])).getResult();
    });
  return elementwise(b, loc, {e, s}, t, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::DivFOp::create(nb, nl, a[0], a[1]).getResult();
  });
}

/// Layer or RMS normalisation over dims axis..rank-1.
static Value normalize(OpBuilder &b, Location loc, Value x, int64_t axis, float epsilon,
                       Value scale, Value bias, bool rms) {
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType();
  SmallVector<bool> reduced(rank, false);
  for (int64_t d = axis; d < rank; ++d)
    reduced[d] = true;
  Value count = reducedCount(b, loc, x, reduced, t);
  Value centered = x;
  if (!rms) {
    Value mean = divideByScalar(b, loc, reduce(b, loc, x, reduced, true, Combine::Sum), count);
    centered = elementwise(b, loc, {x, mean}, t, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::SubFOp::create(nb, nl, a[0], a[1]).getResult();
    });
  }
  Value squares = elementwise(b, loc, centered, t, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::MulFOp::create(nb, nl, a[0], a[0]).getResult();
  });
  Value variance =
      divideByScalar(b, loc, reduce(b, loc, squares, reduced, true, Combine::Sum), count);
  Value eps = scalarConst(b, loc, t, epsilon);
  SmallVector<Value> operands = {centered, variance, scale};
  if (bias)
    operands.push_back(bias);
  return elementwise(b, loc, operands, t, [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value inv = math::RsqrtOp::create(nb, nl, arith::AddFOp::create(nb, nl, a[1], eps));
    Value y = arith::MulFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], inv), a[2]);
    return bias ? arith::AddFOp::create(nb, nl, y, a[3]).getResult() : y;
  });
}

/// CumSum: a loop along the axis that carries the running sums of one
/// slice, updated in place. An exclusive sum writes the running sums after
/// position k at position k + 1 (k - 1 in reverse) and starts from zeros.
static FailureOr<Value> lowerCumSum(CumSumOp op, CumSumOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value x = operands.getInput();
  int64_t rank = tensorType(x).getRank(), axis = op.getAxis();
  Type t = tensorType(x).getElementType(), computeType = signless(t);
  bool exclusive = op.getExclusive(), reverse = op.getReverse();
  SmallVector<OpFoldResult> sizes, sliceSizes, strides(rank, b.getIndexAttr(1));
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(dimOf(b, loc, x, d));
  sliceSizes = sizes;
  sliceSizes[axis] = b.getIndexAttr(1);
  Value zero = elementConst(b, loc, t, 0);
  Value length = dimValue(b, loc, x, axis);
  Value one = indexConst(b, loc, 1);
  Value steps = exclusive ? arith::SubIOp::create(b, loc, length, one).getResult() : length;
  Value out = exclusive ? filled(b, loc, sizes, t, zero) : emptyTensor(b, loc, sizes, t);
  auto add = [&](OpBuilder &nb, Location nl, Value l, Value r) -> Value {
    l = reinterpret(nb, nl, l, computeType);
    r = reinterpret(nb, nl, r, computeType);
    Value sum = isa<FloatType>(computeType) ? arith::AddFOp::create(nb, nl, l, r).getResult()
                                            : arith::AddIOp::create(nb, nl, l, r).getResult();
    return reinterpret(nb, nl, sum, t);
  };
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), steps, one,
      ValueRange{out, filled(b, loc, sliceSizes, t, zero)},
      [&](OpBuilder &lb, Location ll, Value k, ValueRange carried) {
        Value last = arith::SubIOp::create(lb, ll, length, one);
        Value readAt = reverse ? arith::SubIOp::create(lb, ll, last, k).getResult() : k;
        Value writeAt = readAt;
        if (exclusive)
          writeAt = reverse ? arith::SubIOp::create(lb, ll, readAt, one).getResult()
                            : arith::AddIOp::create(lb, ll, readAt, one).getResult();
        SmallVector<OpFoldResult> readOffsets(rank, lb.getIndexAttr(0));
        readOffsets[axis] = readAt;
        Value slice = tensor::ExtractSliceOp::create(lb, ll, x, readOffsets, sliceSizes, strides);
        AffineMap identity = lb.getMultiDimIdentityMap(rank);
        Value running = linalg::GenericOp::create(
                            lb, ll, carried[1].getType(), ValueRange{slice}, ValueRange{carried[1]},
                            SmallVector<AffineMap>(2, identity),
                            SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                            [&](OpBuilder &nb, Location nl, ValueRange a) {
                              linalg::YieldOp::create(nb, nl, add(nb, nl, a[1], a[0]));
                            })
                            .getResult(0);
        SmallVector<OpFoldResult> writeOffsets(rank, lb.getIndexAttr(0));
        writeOffsets[axis] = writeAt;
        Value written = tensor::InsertSliceOp::create(lb, ll, running, carried[0], writeOffsets,
                                                      sliceSizes, strides);
        scf::YieldOp::create(lb, ll, ValueRange{written, running});
      });
  return loop.getResult(0);
}

static FailureOr<Value> lowerSoftmax(SoftmaxOp op, SoftmaxOp::Adaptor operands, OpBuilder &b) {
  return softmax(b, op.getLoc(), operands.getInput(), op.getAxis(), op.getLog());
}

/// The scale and bias broadcast to the input, checked where sizes are
/// dynamic (checkedBroadcastOperands).
static FailureOr<Value> lowerLayerNorm(LayerNormOp op, LayerNormOp::Adaptor operands,
                                       OpBuilder &b) {
  SmallVector<Value> checked =
      checkedBroadcastOperands(b, op, operands.getOperands(), op->getOperands());
  return normalize(b, op.getLoc(), checked[0], op.getAxis(), op.getEpsilon().convertToFloat(),
                   checked[1], checked.size() > 2 ? checked[2] : Value(), /*rms=*/false);
}

static FailureOr<Value> lowerRmsNorm(RmsNormOp op, RmsNormOp::Adaptor operands, OpBuilder &b) {
  SmallVector<Value> checked =
      checkedBroadcastOperands(b, op, operands.getOperands(), op->getOperands());
  return normalize(b, op.getLoc(), checked[0], op.getAxis(), op.getEpsilon().convertToFloat(),
                   checked[1], Value(), /*rms=*/true);
}

void mlir::genc::lowering::populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  addLowering<ReduceSumOp>(patterns, lowerReduction<ReduceSumOp, Combine::Sum>);
  addLowering<ReduceMeanOp>(patterns, lowerReduction<ReduceMeanOp, Combine::Sum, /*mean=*/true>);
  addLowering<ReduceMaxOp>(patterns, lowerReduction<ReduceMaxOp, Combine::Max>);
  addLowering<ReduceMinOp>(patterns, lowerReduction<ReduceMinOp, Combine::Min>);
  addLowering<ReduceProdOp>(patterns, lowerReduction<ReduceProdOp, Combine::Prod>);
  addLowering<SoftmaxOp>(patterns, lowerSoftmax);
  addLowering<LayerNormOp>(patterns, lowerLayerNorm);
  addLowering<RmsNormOp>(patterns, lowerRmsNorm);
  addLowering<CumSumOp>(patterns, lowerCumSum);
}
