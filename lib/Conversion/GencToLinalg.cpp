//===- GencToLinalg.cpp - genc ops → linalg / tensor / arith / math --------===//
//
// Destination-style tensor code for every genc op. Elementwise ops share
// one lowering (a linalg.generic over the broadcast result, the scalar
// computation chosen per op); contractions, reductions and normalisations
// are generics too; data movement uses tensor ops. Dynamic sizes are read
// with tensor.dim.
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::genc {
#define GEN_PASS_DEF_CONVERTGENCTOLINALG
#include "genc/Conversion/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;
constexpr int64_t kDyn = ShapedType::kDynamic;
/// Must equal GENC_ATTENTION_MAX_HEAD_SIZE in runtime/include/genc/kernels.h.
constexpr int64_t kMaxKernelHeadSize = 256;

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value scalarConst(OpBuilder &b, Location loc, Type t, double v) {
  if (auto f = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, static_cast<int64_t>(v)));
}

/// An integer constant with exactly the bits of `v` (a double cannot hold
/// every 64-bit value).
Value intConst(OpBuilder &b, Location loc, Type t, const APInt &v) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
}

Value negInf(OpBuilder &b, Location loc, Type t) {
  auto f = cast<FloatType>(t);
  return arith::ConstantOp::create(
      b, loc, b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true)));
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto t = tensorType(v);
  if (!t.isDynamicDim(d))
    return b.getIndexAttr(t.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d).getResult();
}

Value dimValue(OpBuilder &b, Location loc, Value v, int64_t d) {
  return getValueOrCreateConstantIndexOp(b, loc, dimOf(b, loc, v, d));
}

/// The numpy-broadcast shape of `operands` from their static shapes.
SmallVector<int64_t> broadcastShape(ValueRange operands) {
  size_t rank = 0;
  for (Value v : operands)
    rank = std::max<size_t>(rank, tensorType(v).getRank());
  SmallVector<int64_t> shape(rank, 1);
  for (Value v : operands) {
    auto s = tensorType(v).getShape();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &r = shape[rank - s.size() + i];
      if (s[i] == 1)
        continue;
      r = (r == 1 || ShapedType::isDynamic(r)) ? s[i] : r;
    }
  }
  return shape;
}

/// Sizes of a broadcast result: static dims as attributes, dynamic ones
/// from the first operand that has a non-unit dim there.
SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                                         ValueRange operands) {
  SmallVector<OpFoldResult> sizes;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!ShapedType::isDynamic(shape[d])) {
      sizes.push_back(b.getIndexAttr(shape[d]));
      continue;
    }
    for (Value v : operands) {
      auto t = tensorType(v);
      int64_t i = d - (shape.size() - t.getRank());
      if (i >= 0 && t.getDimSize(i) != 1) {
        sizes.push_back(dimOf(b, loc, v, i));
        break;
      }
    }
  }
  return sizes;
}

/// The indexing map reading `operand` inside a loop nest over `shape`:
/// right-aligned, static unit dims broadcast.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operand, ArrayRef<int64_t> shape) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = shape.size() - operand.getRank();
  for (int64_t i = 0; i < operand.getRank(); ++i)
    exprs.push_back(operand.getDimSize(i) == 1 && shape[offset + i] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(offset + i, ctx));
  return AffineMap::get(shape.size(), 0, exprs, ctx);
}

/// `v` as `type`: a tensor.cast when lowering produced a less static type.
Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  return v.getType() == type ? v : tensor::CastOp::create(b, loc, type, v).getResult();
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element) {
  return tensor::EmptyOp::create(b, loc, sizes, element);
}

Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element,
             Value value) {
  Value empty = emptyTensor(b, loc, sizes, element);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// One elementwise lowering for every op: a generic over the broadcast of
/// the operands, computing `fn(scalars)`.
Value elementwise(OpBuilder &b, Location loc, ValueRange operands, Type resultElement,
                  ScalarFn fn) {
  SmallVector<int64_t> shape = broadcastShape(operands);
  SmallVector<OpFoldResult> sizes = broadcastSizes(b, loc, shape, operands);
  Value init = emptyTensor(b, loc, sizes, resultElement);
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(broadcastMap(b.getContext(), tensorType(v), shape));
  maps.push_back(b.getMultiDimIdentityMap(shape.size()));
  SmallVector<utils::IteratorType> iterators(shape.size(), utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), operands, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, fn(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}

/// Whether `t` (a tensor or its element type) holds unsigned integers.
/// arith works on signless integers only: elementwise lowering bitcasts
/// unsigned tensors to signless ones and picks the unsigned arith op.
bool isUnsignedInt(Type t) {
  return getElementTypeOrSelf(t).isUnsignedInteger();
}

/// The signless element type arith computes `t` in.
Type signless(Type t) {
  if (auto i = dyn_cast<IntegerType>(t); i && !i.isSignless())
    return IntegerType::get(t.getContext(), i.getWidth());
  return t;
}

/// `v` read as `to`, a type that differs from v's in signedness only. arith
/// computes on signless integers, while tensors keep their ONNX element
/// types (ui8); the LLVM lowering, where both are plain iN, folds the casts.
Value reinterpret(OpBuilder &b, Location loc, Value v, Type to) {
  if (v.getType() == to)
    return v;
  return UnrealizedConversionCastOp::create(b, loc, to, v).getResult(0);
}

/// A constant of element type `t` (unsigned included) from its signless form.
Value elementConst(OpBuilder &b, Location loc, Type t, double v) {
  return reinterpret(b, loc, scalarConst(b, loc, signless(t), v), t);
}

/// Converts a scalar between element types with ONNX Cast semantics; `to`
/// is signless and the flags say how the integers are to be read.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned = false,
                    bool toUnsigned = false) {
  Type from = v.getType();
  if (from == to)
    return v;
  auto fromFloat = dyn_cast<FloatType>(from), toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat)
    return fromFloat.getWidth() < toFloat.getWidth()
               ? arith::ExtFOp::create(b, loc, to, v).getResult()
               : arith::TruncFOp::create(b, loc, to, v).getResult();
  if (fromFloat) {
    if (to.isInteger(1))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConst(b, loc, from, 0));
    return toUnsigned ? arith::FPToUIOp::create(b, loc, to, v).getResult()
                      : arith::FPToSIOp::create(b, loc, to, v).getResult();
  }
  fromUnsigned |= from.isInteger(1);
  if (toFloat)
    return fromUnsigned ? arith::UIToFPOp::create(b, loc, to, v).getResult()
                        : arith::SIToFPOp::create(b, loc, to, v).getResult();
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (tw == 1)
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConst(b, loc, from, 0));
  if (fw < tw)
    return fromUnsigned ? arith::ExtUIOp::create(b, loc, to, v).getResult()
                        : arith::ExtSIOp::create(b, loc, to, v).getResult();
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, to, v);
  return v; // Same width, other signedness: the same bits.
}

/// The scalar computation of an elementwise genc op.
/// The float, signed-integer or unsigned-integer form of a binary arith op.
template <typename FloatOp, typename SignedOp, typename UnsignedOp = SignedOp>
Value binaryOp(OpBuilder &b, Location loc, ValueRange a, bool isFloat, bool isUnsigned) {
  if (isFloat)
    return FloatOp::create(b, loc, a[0], a[1]);
  if (isUnsigned)
    return UnsignedOp::create(b, loc, a[0], a[1]);
  return SignedOp::create(b, loc, a[0], a[1]);
}

/// `a` are the op's operands as signless scalars; the op's own operand
/// types say which integers are unsigned.
FailureOr<Value> scalarOf(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Type t = a[0].getType();
  bool isFloat = isa<FloatType>(t);
  bool isUnsigned = isUnsignedInt(op->getOperand(0).getType());
  auto one = [&] { return scalarConst(b, loc, t, 1); };
  auto zero = [&] { return scalarConst(b, loc, t, 0); };
  auto cmp = [&](arith::CmpFPredicate f, arith::CmpIPredicate i,
                 arith::CmpIPredicate u) -> Value {
    if (isFloat)
      return arith::CmpFOp::create(b, loc, f, a[0], a[1]);
    return arith::CmpIOp::create(b, loc, isUnsigned ? u : i, a[0], a[1]);
  };
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](AddOp) {
        return binaryOp<arith::AddFOp, arith::AddIOp>(b, loc, a, isFloat, isUnsigned);
      })
      .Case([&](SubOp) {
        return binaryOp<arith::SubFOp, arith::SubIOp>(b, loc, a, isFloat, isUnsigned);
      })
      .Case([&](MulOp) {
        return binaryOp<arith::MulFOp, arith::MulIOp>(b, loc, a, isFloat, isUnsigned);
      })
      .Case([&](DivOp) {
        return binaryOp<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>(b, loc, a, isFloat,
                                                                       isUnsigned);
      })
      .Case([&](PowOp) -> FailureOr<Value> {
        bool unsignedExponent = isUnsignedInt(op->getOperand(1).getType());
        if (isFloat)
          return math::PowFOp::create(b, loc, a[0],
                                      convertScalar(b, loc, a[1], t, unsignedExponent))
              .getResult();
        // Integer bases: f64 holds every power that fits the result exactly.
        Type f64 = b.getF64Type();
        Value r = math::PowFOp::create(b, loc, convertScalar(b, loc, a[0], f64, isUnsigned),
                                       convertScalar(b, loc, a[1], f64, unsignedExponent));
        return convertScalar(b, loc, r, t, /*fromUnsigned=*/false, isUnsigned);
      })
      .Case([&](ModOp m) -> Value {
        if (isFloat)
          return arith::RemFOp::create(b, loc, a[0], a[1]);
        if (isUnsigned) // Both signs agree: fmod and Python's mod coincide.
          return arith::RemUIOp::create(b, loc, a[0], a[1]);
        Value r = arith::RemSIOp::create(b, loc, a[0], a[1]);
        if (m.getFmod())
          return r;
        // Python-style: a non-zero remainder takes the divisor's sign.
        Value rNeg = arith::CmpIOp::create(b, loc, IP::slt, r, zero());
        Value dNeg = arith::CmpIOp::create(b, loc, IP::slt, a[1], zero());
        Value rNonZero = arith::CmpIOp::create(b, loc, IP::ne, r, zero());
        Value differ = arith::XOrIOp::create(b, loc, rNeg, dNeg);
        Value fix = arith::AndIOp::create(b, loc, differ, rNonZero);
        return arith::SelectOp::create(b, loc, fix,
                                       arith::AddIOp::create(b, loc, r, a[1]), r);
      })
      .Case([&](MaxOp) {
        return binaryOp<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>(b, loc, a, isFloat,
                                                                           isUnsigned);
      })
      .Case([&](MinOp) {
        return binaryOp<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>(b, loc, a, isFloat,
                                                                           isUnsigned);
      })
      .Case([&](AndOp) -> Value { return arith::AndIOp::create(b, loc, a[0], a[1]); })
      .Case([&](OrOp) -> Value { return arith::OrIOp::create(b, loc, a[0], a[1]); })
      .Case([&](XorOp) -> Value { return arith::XOrIOp::create(b, loc, a[0], a[1]); })
      .Case([&](EqualOp) { return cmp(FP::OEQ, IP::eq, IP::eq); })
      .Case([&](LessOp) { return cmp(FP::OLT, IP::slt, IP::ult); })
      .Case([&](LessEqualOp) { return cmp(FP::OLE, IP::sle, IP::ule); })
      .Case([&](GreaterOp) { return cmp(FP::OGT, IP::sgt, IP::ugt); })
      .Case([&](GreaterEqualOp) { return cmp(FP::OGE, IP::sge, IP::uge); })
      .Case([&](NegOp) -> Value {
        return isFloat ? arith::NegFOp::create(b, loc, a[0]).getResult()
                       : arith::SubIOp::create(b, loc, zero(), a[0]).getResult();
      })
      .Case([&](AbsOp) -> Value {
        if (isFloat)
          return math::AbsFOp::create(b, loc, a[0]);
        return isUnsigned ? a[0] : math::AbsIOp::create(b, loc, a[0]).getResult();
      })
      .Case([&](SqrtOp) -> Value { return math::SqrtOp::create(b, loc, a[0]); })
      .Case([&](ReciprocalOp) -> Value { return arith::DivFOp::create(b, loc, one(), a[0]); })
      .Case([&](ExpOp) -> Value { return math::ExpOp::create(b, loc, a[0]); })
      .Case([&](LogOp) -> Value { return math::LogOp::create(b, loc, a[0]); })
      .Case([&](TanhOp) -> Value { return math::TanhOp::create(b, loc, a[0]); })
      .Case([&](SigmoidOp) -> Value {
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
        return arith::DivFOp::create(b, loc, one(), arith::AddFOp::create(b, loc, one(), e));
      })
      .Case([&](ReluOp) -> Value {
        if (isUnsigned)
          return a[0];
        return isFloat ? arith::MaximumFOp::create(b, loc, a[0], zero()).getResult()
                       : arith::MaxSIOp::create(b, loc, a[0], zero()).getResult();
      })
      .Case([&](ErfOp) -> Value { return math::ErfOp::create(b, loc, a[0]); })
      .Case([&](SinOp) -> Value { return math::SinOp::create(b, loc, a[0]); })
      .Case([&](CosOp) -> Value { return math::CosOp::create(b, loc, a[0]); })
      .Case([&](FloorOp) -> Value { return math::FloorOp::create(b, loc, a[0]); })
      .Case([&](CeilOp) -> Value { return math::CeilOp::create(b, loc, a[0]); })
      .Case([&](NotOp) -> Value {
        return arith::XOrIOp::create(b, loc, a[0], scalarConst(b, loc, t, 1));
      })
      .Case([&](GeluOp g) -> Value {
        Value half = scalarConst(b, loc, t, 0.5);
        Value inner;
        if (g.getTanhApproximation()) {
          // tanh(√(2/π) · (x + 0.044715 x³))
          Value x3 = arith::MulFOp::create(b, loc, a[0],
                                           arith::MulFOp::create(b, loc, a[0], a[0]));
          Value s = arith::AddFOp::create(
              b, loc, a[0], arith::MulFOp::create(b, loc, scalarConst(b, loc, t, 0.044715), x3));
          inner = math::TanhOp::create(
              b, loc, arith::MulFOp::create(b, loc, scalarConst(b, loc, t, 0.7978845608028654), s));
        } else {
          inner = math::ErfOp::create(
              b, loc, arith::MulFOp::create(b, loc, a[0], scalarConst(b, loc, t, M_SQRT1_2)));
        }
        return arith::MulFOp::create(
            b, loc, arith::MulFOp::create(b, loc, half, a[0]),
            arith::AddFOp::create(b, loc, one(), inner));
      })
      .Case([&](WhereOp) -> Value { return arith::SelectOp::create(b, loc, a[0], a[1], a[2]); })
      .Case([&](CastOp c) -> Value {
        Type to = c.getType().getElementType();
        return convertScalar(b, loc, a[0], signless(to), isUnsigned, isUnsignedInt(to));
      })
      .Default([](Operation *) { return failure(); });
}

bool isElementwise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MaxOp, MinOp, AndOp, OrOp, XorOp,
             EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, NegOp, AbsOp, SqrtOp,
             ReciprocalOp, ExpOp, LogOp, TanhOp, SigmoidOp, ReluOp, ErfOp, SinOp, CosOp,
             FloorOp, CeilOp, NotOp, GeluOp, WhereOp, CastOp>(op);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class Combine { Sum, Max, Min, Prod };

/// Reduces `input` over `reduced` dims, keeping them as unit dims when
/// `keepdims`.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced, bool keepdims,
             Combine kind) {
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
  case Combine::Sum: initValue = scalarConst(b, loc, computeType, 0); break;
  case Combine::Prod: initValue = scalarConst(b, loc, computeType, 1); break;
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
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), input, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value operands[] = {reinterpret(nb, nl, args[1], computeType),
                            reinterpret(nb, nl, args[0], computeType)};
        Value r;
        switch (kind) {
        case Combine::Sum:
          r = binaryOp<arith::AddFOp, arith::AddIOp>(nb, nl, operands, isFloat, isUnsigned);
          break;
        case Combine::Prod:
          r = binaryOp<arith::MulFOp, arith::MulIOp>(nb, nl, operands, isFloat, isUnsigned);
          break;
        case Combine::Max:
          r = binaryOp<arith::MaximumFOp, arith::MaxSIOp, arith::MaxUIOp>(nb, nl, operands,
                                                                          isFloat, isUnsigned);
          break;
        case Combine::Min:
          r = binaryOp<arith::MinimumFOp, arith::MinSIOp, arith::MinUIOp>(nb, nl, operands,
                                                                          isFloat, isUnsigned);
          break;
        }
        linalg::YieldOp::create(nb, nl, reinterpret(nb, nl, r, t));
      });
  return generic.getResult(0);
}

/// The number of elements over `reduced` dims, as a scalar of type `t`
/// (float or signless integer).
Value reducedCount(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced, Type t) {
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

SmallVector<bool> reducedDims(int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[a < 0 ? a + rank : a] = true;
  return reduced;
}

/// x / count, broadcasting the scalar count (of x's computation type).
Value divideByScalar(OpBuilder &b, Location loc, Value x, Value count) {
  Type t = tensorType(x).getElementType();
  bool isFloat = isa<FloatType>(t), isUnsigned = isUnsignedInt(t);
  return elementwise(b, loc, x, t, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value operands[] = {reinterpret(nb, nl, a[0], signless(t)), count};
    Value q = binaryOp<arith::DivFOp, arith::DivSIOp, arith::DivUIOp>(nb, nl, operands, isFloat,
                                                                      isUnsigned);
    return reinterpret(nb, nl, q, t);
  });
}

template <typename ReduceOp>
Value lowerReduction(OpBuilder &b, ReduceOp op, Combine kind, bool mean) {
  Location loc = op.getLoc();
  auto reduced = reducedDims(op.getInput().getType().getRank(), op.getAxes());
  Value r = reduce(b, loc, op.getInput(), reduced, op.getKeepdims(), kind);
  if (mean)
    r = divideByScalar(b, loc, r,
                       reducedCount(b, loc, op.getInput(), reduced,
                                    signless(op.getType().getElementType())));
  return r;
}

/// softmax(x) (or log-softmax) along `axis`.
Value softmax(OpBuilder &b, Location loc, Value x, int64_t axis, bool log) {
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
      return arith::SubFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1]))
          .getResult();
    });
  return elementwise(b, loc, {e, s}, t, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::DivFOp::create(nb, nl, a[0], a[1]).getResult();
  });
}

/// Layer or RMS normalisation over dims axis..rank-1.
Value normalize(OpBuilder &b, Location loc, Value x, int64_t axis, float epsilon, Value scale,
                Value bias, bool rms) {
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType();
  if (axis < 0)
    axis += rank;
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

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// The body of every contraction: acc + x·y. Integer operands widen to the
/// accumulator as their own signedness says (zeros for unsigned); the
/// product and sum are the same bits either way.
void yieldMultiplyAdd(OpBuilder &b, Location loc, ValueRange a) {
  Type accType = a[2].getType();
  if (isa<FloatType>(accType)) {
    linalg::YieldOp::create(
        b, loc,
        arith::AddFOp::create(b, loc, a[2], arith::MulFOp::create(b, loc, a[0], a[1]))
            .getResult());
    return;
  }
  Type computeType = signless(accType);
  auto operand = [&](Value v) {
    return convertScalar(b, loc, reinterpret(b, loc, v, signless(v.getType())), computeType,
                         /*fromUnsigned=*/isUnsignedInt(v.getType()));
  };
  Value r = arith::AddIOp::create(
      b, loc, reinterpret(b, loc, a[2], computeType),
      arith::MulIOp::create(b, loc, operand(a[0]), operand(a[1])));
  linalg::YieldOp::create(b, loc, reinterpret(b, loc, r, accType));
}

/// lhs [..., M, K] · rhs [..., K, N] with broadcast batch dims.
FailureOr<Value> matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                        RankedTensorType resultType) {
  auto lt = tensorType(lhs), rt = tensorType(rhs);
  if (lt.getRank() < 2 || rt.getRank() < 2)
    return failure();
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank(), batch = rank - 2;
  // Loops: batch..., m, k, n. With n innermost the inner loop streams a row
  // of B into a row of C (no reduction in it), which LLVM vectorises.
  AffineExpr m = getAffineDimExpr(batch, ctx), k = getAffineDimExpr(batch + 1, ctx),
             n = getAffineDimExpr(batch + 2, ctx);
  auto operandMap = [&](RankedTensorType t, AffineExpr a, AffineExpr c) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = batch - (t.getRank() - 2);
    for (int64_t i = 0; i < t.getRank() - 2; ++i)
      exprs.push_back(t.getDimSize(i) == 1 && resultType.getDimSize(offset + i) != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + i, ctx));
    exprs.push_back(a);
    exprs.push_back(c);
    return AffineMap::get(rank + 1, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < batch; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  outExprs.push_back(m);
  outExprs.push_back(n);
  SmallVector<AffineMap> maps = {operandMap(lt, m, k), operandMap(rt, k, n),
                                 AffineMap::get(rank + 1, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank + 1, utils::IteratorType::parallel);
  iterators[batch + 1] = utils::IteratorType::reduction;
  // Result sizes: batch dims broadcast, then M from lhs and N from rhs.
  SmallVector<int64_t> batchShape(resultType.getShape().take_front(batch));
  SmallVector<Value> lhsBatch, rhsBatch;
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < batch; ++d) {
    if (!resultType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(resultType.getDimSize(d)));
      continue;
    }
    int64_t li = d - (batch - (lt.getRank() - 2)), ri = d - (batch - (rt.getRank() - 2));
    sizes.push_back(li >= 0 && lt.getDimSize(li) != 1 ? dimOf(b, loc, lhs, li)
                                                       : dimOf(b, loc, rhs, ri));
  }
  sizes.push_back(dimOf(b, loc, lhs, lt.getRank() - 2));
  sizes.push_back(dimOf(b, loc, rhs, rt.getRank() - 1));
  Type t = resultType.getElementType();
  Value init = filled(b, loc, sizes, t, elementConst(b, loc, t, 0));
  auto generic = linalg::GenericOp::create(b, loc, init.getType(), ValueRange{lhs, rhs}, init,
                                           maps, iterators, yieldMultiplyAdd);
  // The CPU pipeline hands f32 matmuls to a kernel (genc-call-cpu-kernels).
  if (t.isF32())
    generic->setAttr(kMatmulAttrName, b.getStringAttr("row_major"));
  return castTo(b, loc, generic.getResult(0), resultType);
}

/// How many keys precede the first query: Skv - Sq (the queries are the
/// last positions).
Value causalOffset(OpBuilder &b, Location loc, AttentionOp op) {
  return arith::SubIOp::create(b, loc, dimValue(b, loc, op.getKey(), 2),
                               dimValue(b, loc, op.getQuery(), 2));
}

/// Whether the fused kernel takes `op`: f32 throughout, static head sizes
/// it holds on its stack, an f32 or boolean mask.
bool fitsAttentionKernel(AttentionOp op) {
  auto f32 = [](Value v) { return tensorType(v).getElementType().isF32(); };
  auto headSize = [](Value v) {
    int64_t d = tensorType(v).getDimSize(3);
    return !ShapedType::isDynamic(d) && d <= kMaxKernelHeadSize;
  };
  // The kernel adds its mask before the softcap; a boolean mask hides keys
  // after it, so the two only agree without one.
  Value mask = op.getMask();
  bool boolMask = mask && tensorType(mask).getElementType().isInteger(1);
  return f32(op.getQuery()) && f32(op.getKey()) && f32(op.getValue()) && headSize(op.getKey()) &&
         headSize(op.getValue()) && tensorType(op.getKey()).getDimSize(1) != 0 &&
         (!mask || f32(mask) || boolMask) &&
         !(boolMask && op.getSoftcap().convertToFloat() > 0);
}

/// The fused form: Q, K, V and the mask read as buffers in place (any
/// strides), the result a fresh buffer written by genc.attention_kernel,
/// which genc-call-cpu-kernels turns into the kernel call. A boolean mask
/// becomes additive (0 / -inf).
Value fusedAttention(OpBuilder &b, AttentionOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto asBuffer = [&](Value t) -> Value {
    auto type = tensorType(t);
    SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
    auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
    auto memref = MemRefType::get(type.getShape(), type.getElementType(), layout);
    return bufferization::ToBufferOp::create(b, loc, memref, t, /*read_only=*/true);
  };
  Value q = op.getQuery(), v = op.getValue();
  Value mask = op.getMask();
  if (mask && tensorType(mask).getElementType().isInteger(1)) {
    Type f32 = b.getF32Type();
    Value zero = scalarConst(b, loc, f32, 0), minusInf = negInf(b, loc, f32);
    mask = elementwise(b, loc, mask, f32, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return arith::SelectOp::create(nb, nl, a[0], zero, minusInf);
    });
  }
  SmallVector<Value> dynamicSizes;
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, q, 0), dimOf(b, loc, q, 1),
                                     dimOf(b, loc, q, 2), dimOf(b, loc, v, 3)};
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes) {
    if (auto value = dyn_cast<Value>(size)) {
      dynamicSizes.push_back(value);
      shape.push_back(ShapedType::kDynamic);
    } else {
      shape.push_back(cast<IntegerAttr>(cast<Attribute>(size)).getInt());
    }
  }
  auto outType = MemRefType::get(shape, b.getF32Type());
  Value out = memref::AllocOp::create(b, loc, outType, dynamicSizes);
  AttentionKernelOp::create(b, loc, out, asBuffer(q), asBuffer(op.getKey()), asBuffer(v),
                            mask ? asBuffer(mask) : Value(), causalOffset(b, loc, op),
                            op.getScaleAttr(), op.getCausalAttr(), op.getWindowAttr(),
                            op.getSoftcapAttr(), op.getSinksAttr(), op.getGlobalTokensAttr(),
                            op.getMaskAfterSoftcapAttr());
  Value result = bufferization::ToTensorOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()),
                                                   out, /*restrict=*/true, /*writable=*/true);
  return castTo(b, loc, result, op.getType());
}

/// softmax(Q·Kᵀ·scale (+mask), causal, window, softcap)·V with query head h
/// reading KV head h / (Hq / Hkv): the fused kernel where it applies, else
/// loops that materialise the scores.
FailureOr<Value> attention(OpBuilder &b, AttentionOp op, bool fuse) {
  if (fuse && fitsAttentionKernel(op))
    return fusedAttention(b, op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto qt = tensorType(q), kt = tensorType(k);
  Type t = qt.getElementType();
  int64_t hq = qt.getDimSize(1), hkv = kt.getDimSize(1);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv))
    return op.emitError("attention needs static head counts to map query heads to KV heads");
  int64_t group = hq / hkv;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Scores: loops (b, h, i, j, x), reduce x.
  SmallVector<OpFoldResult> scoreSizes = {dimOf(b, loc, q, 0), b.getIndexAttr(hq),
                                          dimOf(b, loc, q, 2), dimOf(b, loc, k, 2)};
  Value zero = scalarConst(b, loc, t, 0);
  Value scoresInit = filled(b, loc, scoreSizes, t, zero);
  SmallVector<AffineMap> scoreMaps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1).floorDiv(group), d(3), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> scoreIters(4, utils::IteratorType::parallel);
  scoreIters.push_back(utils::IteratorType::reduction);
  Value scores =
      linalg::GenericOp::create(
          b, loc, scoresInit.getType(), ValueRange{q, k}, scoresInit, scoreMaps, scoreIters,
          yieldMultiplyAdd)
          .getResult(0);

  // Scale, mask, causal/window and softcap in one elementwise pass.
  Value scale = scalarConst(b, loc, t, op.getScale().convertToFloat());
  Value minusInf = negInf(b, loc, t);
  Value offset = causalOffset(b, loc, op);
  bool causal = op.getCausal();
  int64_t window = op.getWindow(), sinks = op.getSinks(), globalTokens = op.getGlobalTokens();
  float softcap = op.getSoftcap().convertToFloat();
  Value mask = op.getMask();
  bool boolMask = mask && tensorType(mask).getElementType().isInteger(1);
  SmallVector<Value> inputs = {scores};
  if (mask)
    inputs.push_back(mask);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4)};
  if (mask)
    maps.push_back(broadcastMap(ctx, tensorType(mask), tensorType(scores).getShape()));
  maps.push_back(b.getMultiDimIdentityMap(4));
  Value maskedInit = emptyTensor(b, loc, scoreSizes, t);
  Value masked =
      linalg::GenericOp::create(
          b, loc, maskedInit.getType(), inputs, maskedInit, maps,
          SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value s = arith::MulFOp::create(nb, nl, a[0], scale);
            bool maskFirst = !op.getMaskAfterSoftcap();
            if (mask && !boolMask && maskFirst)
              s = arith::AddFOp::create(nb, nl, s, a[1]);
            if (softcap > 0) {
              Value cap = scalarConst(nb, nl, t, softcap);
              s = arith::MulFOp::create(
                  nb, nl, cap,
                  math::TanhOp::create(nb, nl, arith::DivFOp::create(nb, nl, s, cap)));
            }
            if (mask && !boolMask && !maskFirst)
              s = arith::AddFOp::create(nb, nl, s, a[1]);
            Value keep;
            auto andKeep = [&](Value c) {
              keep = keep ? arith::AndIOp::create(nb, nl, keep, c).getResult() : c;
            };
            if (boolMask)
              andKeep(a[1]);
            if (causal || window > 0) {
              Value i = linalg::IndexOp::create(nb, nl, 2), j = linalg::IndexOp::create(nb, nl, 3);
              Value last = arith::AddIOp::create(nb, nl, i, offset);
              if (causal)
                andKeep(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, j, last));
              if (window > 0) {
                // In the window, or before the sinks or global positions, or
                // seen from a global position.
                using arith::CmpIPredicate;
                auto compare = [&](CmpIPredicate predicate, Value x, int64_t y) -> Value {
                  return arith::CmpIOp::create(nb, nl, predicate, x, indexConst(nb, nl, y));
                };
                Value first = arith::SubIOp::create(nb, nl, last, indexConst(nb, nl, window));
                Value inWindow = arith::CmpIOp::create(nb, nl, CmpIPredicate::sgt, j, first);
                int64_t prefix = std::max(sinks, globalTokens);
                if (prefix > 0)
                  inWindow = arith::OrIOp::create(nb, nl, inWindow,
                                                  compare(CmpIPredicate::slt, j, prefix));
                if (globalTokens > 0)
                  inWindow = arith::OrIOp::create(nb, nl, inWindow,
                                                  compare(CmpIPredicate::slt, last, globalTokens));
                andKeep(inWindow);
              }
            }
            if (keep)
              s = arith::SelectOp::create(nb, nl, keep, s, minusInf);
            linalg::YieldOp::create(nb, nl, s);
          })
          .getResult(0);
  Value probs = softmax(b, loc, masked, 3, /*log=*/false);

  // Output: loops (b, h, i, e, j), reduce j.
  SmallVector<OpFoldResult> outSizes = {dimOf(b, loc, q, 0), b.getIndexAttr(hq),
                                        dimOf(b, loc, q, 2), dimOf(b, loc, v, 3)};
  Value outInit = filled(b, loc, outSizes, t, zero);
  SmallVector<AffineMap> outMaps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1).floorDiv(group), d(4), d(3)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  Value out =
      linalg::GenericOp::create(
          b, loc, outInit.getType(), ValueRange{probs, v}, outInit, outMaps, scoreIters,
          yieldMultiplyAdd)
          .getResult(0);
  return castTo(b, loc, out, op.getType());
}

/// Rotary embedding of x [B,H,S,D]: pairs (i, i + rot/2), or adjacent
/// channels when interleaved; channels past rotary_dim pass through.
/// "Gather node 'NAME' of model.onnx", from the importer's locations.
std::string describeNode(Operation *op, StringRef kind) {
  ModelLocation where = modelLocationOf(op->getLoc());
  std::string text = (kind + " node").str();
  if (!where.node.empty())
    text += " '" + where.node + "'";
  if (!where.file.empty())
    text += " of " + where.file;
  return text;
}

/// `read(i)`: the elements an op reads at an index it takes from data, which
/// must lie in [0, bound) (in [-bound, bound) counting from the end when
/// `fromEnd`). Out of range, compiled code reports `message` to its caller
/// (genc.index_out_of_bounds) and yields zeros instead of reading outside
/// the buffer.
SmallVector<Value> checkedRead(OpBuilder &b, Location loc, Value index, Value bound,
                               bool fromEnd, TypeRange elements, StringRef message,
                               function_ref<SmallVector<Value>(OpBuilder &, Location, Value)> read) {
  Value position = index;
  if (fromEnd) {
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, indexConst(b, loc, 0));
    position = arith::SelectOp::create(b, loc, negative,
                                       arith::AddIOp::create(b, loc, index, bound), index);
  }
  // One unsigned comparison: a negative position is a huge unsigned one.
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, position, bound);
  auto guarded = scf::IfOp::create(
      b, loc, inRange,
      [&](OpBuilder &tb, Location tl) { scf::YieldOp::create(tb, tl, read(tb, tl, position)); },
      [&](OpBuilder &eb, Location el) {
        auto i64 = eb.getI64Type();
        IndexOutOfBoundsOp::create(eb, el, arith::IndexCastOp::create(eb, el, i64, index),
                                   arith::IndexCastOp::create(eb, el, i64, bound),
                                   eb.getStringAttr(message));
        SmallVector<Value> zeros;
        for (Type element : elements)
          zeros.push_back(elementConst(eb, el, element, 0));
        scf::YieldOp::create(eb, el, zeros);
      });
  return guarded.getResults();
}

FailureOr<Value> rotary(OpBuilder &b, RotaryOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput(), cos = op.getCos(), sin = op.getSin(), positions = op.getPositionIds();
  auto xt = tensorType(x);
  Type t = xt.getElementType();
  int64_t headSize = xt.getDimSize(3);
  int64_t rot = op.getRotaryDim() > 0 ? op.getRotaryDim() : headSize;
  if (ShapedType::isDynamic(rot))
    return op.emitError("rotary needs a static head size or rotary_dim");
  int64_t half = rot / 2;
  bool interleaved = op.getInterleaved();
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, x, 0), dimOf(b, loc, x, 1),
                                     dimOf(b, loc, x, 2), dimOf(b, loc, x, 3)};
  Value init = emptyTensor(b, loc, sizes, t);
  // A position past the cos/sin tables (a prompt longer than the model's
  // rotary cache) fails the call.
  Value tableRows = positions ? dimValue(b, loc, cos, 0) : Value();
  std::string message = describeNode(op, "rotary embedding") +
                        ": position id {index} is past the cos/sin tables of {bound} positions";
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x}, init,
      SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(4)),
      SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value bi = linalg::IndexOp::create(nb, nl, 0), hi = linalg::IndexOp::create(nb, nl, 1),
              si = linalg::IndexOp::create(nb, nl, 2), di = linalg::IndexOp::create(nb, nl, 3);
        Value rotC = indexConst(nb, nl, rot), halfC = indexConst(nb, nl, half);
        Value two = indexConst(nb, nl, 2), one = indexConst(nb, nl, 1);
        Value inRotary = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, di, rotC);
        // Frequency index, partner channel and the sign of the partner term.
        Value freq, partner, first;
        if (interleaved) {
          freq = arith::DivUIOp::create(nb, nl, di, two);
          Value odd = arith::RemUIOp::create(nb, nl, di, two);
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, odd,
                                        indexConst(nb, nl, 0));
          partner = arith::SelectOp::create(nb, nl, first, arith::AddIOp::create(nb, nl, di, one),
                                            arith::SubIOp::create(nb, nl, di, one));
        } else {
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, di, halfC);
          freq = arith::SelectOp::create(nb, nl, first, di,
                                         arith::SubIOp::create(nb, nl, di, halfC));
          partner = arith::SelectOp::create(nb, nl, first, arith::AddIOp::create(nb, nl, di, halfC),
                                            arith::SubIOp::create(nb, nl, di, halfC));
        }
        // Out-of-rotary channels read a safe index; the select drops it.
        Value safeFreq = arith::SelectOp::create(nb, nl, inRotary, freq, indexConst(nb, nl, 0));
        Value safePartner = arith::SelectOp::create(nb, nl, inRotary, partner, di);
        Value c, s;
        if (positions) {
          Value p = tensor::ExtractOp::create(nb, nl, positions, ValueRange{bi, si});
          Value pi = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), p);
          auto read = [&](OpBuilder &rb, Location rl, Value row) -> SmallVector<Value> {
            return {tensor::ExtractOp::create(rb, rl, cos, ValueRange{row, safeFreq}),
                    tensor::ExtractOp::create(rb, rl, sin, ValueRange{row, safeFreq})};
          };
          SmallVector<Value> cs = checkedRead(nb, nl, pi, tableRows, /*fromEnd=*/false,
                                              {t, t}, message, read);
          c = cs[0];
          s = cs[1];
        } else {
          c = tensor::ExtractOp::create(nb, nl, cos, ValueRange{bi, si, safeFreq});
          s = tensor::ExtractOp::create(nb, nl, sin, ValueRange{bi, si, safeFreq});
        }
        Value other = tensor::ExtractOp::create(nb, nl, x, ValueRange{bi, hi, si, safePartner});
        Value signedOther = arith::SelectOp::create(
            nb, nl, first, arith::NegFOp::create(nb, nl, other), other);
        Value rotated = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], c),
                                              arith::MulFOp::create(nb, nl, signedOther, s));
        linalg::YieldOp::create(nb, nl,
                                arith::SelectOp::create(nb, nl, inRotary, rotated, a[0]).getResult());
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

/// Entry `i` of a 1-D integer tensor as an index.
Value shapeEntry(OpBuilder &b, Location loc, Value shape, int64_t i) {
  Value e = tensor::ExtractOp::create(b, loc, shape, indexConst(b, loc, i));
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// Reshapes `input` to `resultType` whose dims are `dims` (index values).
Value reshapeTo(OpBuilder &b, Location loc, Value input, RankedTensorType resultType,
                ArrayRef<Value> dims) {
  if (input.getType() == resultType && resultType.hasStaticShape())
    return input;
  auto shapeType = RankedTensorType::get({static_cast<int64_t>(dims.size())}, b.getIndexType());
  Value shape = tensor::FromElementsOp::create(b, loc, shapeType, dims);
  return tensor::ReshapeOp::create(b, loc, resultType, input, shape);
}

Value numElements(OpBuilder &b, Location loc, Value v) {
  Value n = indexConst(b, loc, 1);
  for (int64_t d = 0; d < tensorType(v).getRank(); ++d)
    n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, v, d));
  return n;
}

/// ONNX Reshape at run time: 0 copies the input dim (unless allowzero), one
/// -1 takes what is left. Entries known from the result type stay static.
Value lowerReshape(OpBuilder &b, ReshapeOp op) {
  Location loc = op.getLoc();
  auto type = op.getType();
  int64_t rank = type.getRank();
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1),
        minusOne = indexConst(b, loc, -1);
  SmallVector<Value> entries(rank), inferred(rank);
  Value known = one;
  for (int64_t i = 0; i < rank; ++i) {
    if (!type.isDynamicDim(i)) {
      entries[i] = indexConst(b, loc, type.getDimSize(i));
    } else {
      Value e = shapeEntry(b, loc, op.getShape(), i);
      if (!op.getAllowzero() && i < op.getInput().getType().getRank()) {
        Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, zero);
        e = arith::SelectOp::create(b, loc, isZero, dimValue(b, loc, op.getInput(), i), e);
      }
      entries[i] = e;
      inferred[i] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, minusOne);
    }
    Value factor = inferred[i] ? arith::SelectOp::create(b, loc, inferred[i], one, entries[i])
                                     .getResult()
                               : entries[i];
    known = arith::MulIOp::create(b, loc, known, factor);
  }
  Value rest = arith::DivUIOp::create(b, loc, numElements(b, loc, op.getInput()), known);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(inferred[i] ? arith::SelectOp::create(b, loc, inferred[i], rest, entries[i])
                                     .getResult()
                               : entries[i]);
  return reshapeTo(b, loc, op.getInput(), type, dims);
}

/// Squeeze/Unsqueeze: the result's dims, each a static size or an input dim.
template <typename OpTy>
Value lowerSqueezeLike(OpBuilder &b, OpTy op, bool unsqueeze) {
  Location loc = op.getLoc();
  auto type = op.getType();
  auto inputType = op.getInput().getType();
  SmallVector<bool> special(unsqueeze ? type.getRank() : inputType.getRank(), false);
  for (int64_t a : op.getAxes())
    special[a < 0 ? a + special.size() : a] = true;
  if (!unsqueeze && op.getAxes().empty())
    for (int64_t d = 0; d < inputType.getRank(); ++d)
      special[d] = inputType.getDimSize(d) == 1;
  SmallVector<Value> dims;
  if (unsqueeze) {
    for (int64_t i = 0, j = 0; i < type.getRank(); ++i)
      dims.push_back(special[i] ? indexConst(b, loc, 1) : dimValue(b, loc, op.getInput(), j++));
  } else {
    for (int64_t j = 0; j < inputType.getRank(); ++j)
      if (!special[j])
        dims.push_back(dimValue(b, loc, op.getInput(), j));
  }
  return reshapeTo(b, loc, op.getInput(), type, dims);
}

/// One ONNX Slice entry on a dim of size `dim`: the clamped first index,
/// the element count and the step (negative steps walk backwards).
struct SliceRange {
  Value start, size, step;
};

SliceRange sliceRange(OpBuilder &b, Location loc, Value dim, Value start, Value end,
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
  Value stride = arith::SelectOp::create(b, loc, forward, step,
                                         arith::SubIOp::create(b, loc, zero, step));
  Value size = arith::MaxSIOp::create(b, loc, arith::CeilDivSIOp::create(b, loc, span, stride),
                                      zero);
  return {s, size, step};
}

/// Entry `i` of an i64 slice operand, clamped to the int32 range (ONNX
/// writes ±2^63 for "to the end") and cast to index.
Value sliceEntry(OpBuilder &b, Location loc, Value t, Value i) {
  Value e = tensor::ExtractOp::create(b, loc, t, i);
  Type it = e.getType();
  Value lo = arith::ConstantOp::create(b, loc, b.getIntegerAttr(it, INT32_MIN));
  Value hi = arith::ConstantOp::create(b, loc, b.getIntegerAttr(it, INT32_MAX));
  e = arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, e, lo), hi);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// ONNX Slice. Constant axes with positive constant steps become
/// tensor.extract_slice; anything else (axes or steps known only at run
/// time, negative steps) a generic that reads input[start + i * step].
FailureOr<Value> lowerSlice(OpBuilder &b, SliceOp op) {
  Location loc = op.getLoc();
  Value input = op.getInput();
  auto type = op.getType();
  int64_t rank = tensorType(input).getRank();
  int64_t entries = tensorType(op.getStarts()).getDimSize(0);
  if (ShapedType::isDynamic(entries))
    return op.emitError("slice starts must have a static length");
  SmallVector<Value> starts, sizes, steps;
  for (int64_t d = 0; d < rank; ++d) {
    starts.push_back(indexConst(b, loc, 0));
    sizes.push_back(dimValue(b, loc, input, d));
    steps.push_back(indexConst(b, loc, 1));
  }
  DenseIntElementsAttr axesAttr, stepsAttr;
  bool constantAxes = matchPattern(op.getAxes(), m_Constant(&axesAttr));
  bool positiveSteps = matchPattern(op.getSteps(), m_Constant(&stepsAttr)) &&
                       llvm::all_of(stepsAttr.getValues<APInt>(),
                                    [](const APInt &v) { return v.isStrictlyPositive(); });
  for (int64_t j = 0; j < entries; ++j) {
    Value jv = indexConst(b, loc, j);
    Value start = sliceEntry(b, loc, op.getStarts(), jv), end = sliceEntry(b, loc, op.getEnds(), jv),
          step = sliceEntry(b, loc, op.getSteps(), jv);
    if (constantAxes) {
      int64_t axis = axesAttr.getValues<APInt>()[j].getSExtValue();
      axis = axis < 0 ? axis + rank : axis;
      SliceRange r = sliceRange(b, loc, sizes[axis], start, end, step);
      starts[axis] = r.start, sizes[axis] = r.size, steps[axis] = r.step;
      continue;
    }
    // The axis is known at run time only: every dim checks whether it is it.
    Value axis = sliceEntry(b, loc, op.getAxes(), jv);
    Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis,
                                           indexConst(b, loc, 0));
    axis = arith::SelectOp::create(b, loc, negative,
                                   arith::AddIOp::create(b, loc, axis, indexConst(b, loc, rank)), axis);
    for (int64_t d = 0; d < rank; ++d) {
      Value here = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, axis,
                                         indexConst(b, loc, d));
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
  if (constantAxes && positiveSteps) {
    SmallVector<OpFoldResult> offsets(starts.begin(), starts.end()), strides;
    for (int64_t d = 0; d < rank; ++d) {
      IntegerAttr c;
      strides.push_back(matchPattern(steps[d], m_Constant(&c)) ? OpFoldResult(b.getIndexAttr(c.getInt()))
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
        linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, input, coords).getResult());
      });
  return castTo(b, loc, generic.getResult(0), type);
}

Value lowerGather(OpBuilder &b, GatherOp op) {
  Location loc = op.getLoc();
  Value data = op.getInput(), indices = op.getIndices();
  int64_t dataRank = tensorType(data).getRank(), indicesRank = tensorType(indices).getRank();
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + dataRank : op.getAxis();
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

/// The dims of a result given by a shape operand, static where the type
/// says so. For Expand an entry of 1 keeps the input's dim.
SmallVector<OpFoldResult> sizesFromShape(OpBuilder &b, Location loc, Value shape,
                                         RankedTensorType type, Value expandInput) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
      continue;
    }
    Value e = shapeEntry(b, loc, shape, d);
    if (expandInput) {
      auto inputType = tensorType(expandInput);
      int64_t i = d - (type.getRank() - inputType.getRank());
      if (i >= 0) {
        Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e,
                                            indexConst(b, loc, 1));
        e = arith::SelectOp::create(b, loc, isOne, dimValue(b, loc, expandInput, i), e);
      }
    }
    sizes.push_back(e);
  }
  return sizes;
}

Value lowerExpand(OpBuilder &b, ExpandOp op) {
  Location loc = op.getLoc();
  auto type = op.getType();
  SmallVector<OpFoldResult> sizes = sizesFromShape(b, loc, op.getShape(), type, op.getInput());
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<AffineMap> maps = {broadcastMap(b.getContext(), op.getInput().getType(), type.getShape()),
                                 b.getMultiDimIdentityMap(type.getRank())};
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), op.getInput(), init, maps,
      SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
      [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); });
  return castTo(b, loc, generic.getResult(0), type);
}

SmallVector<Value> lowerSplit(OpBuilder &b, SplitOp op) {
  Location loc = op.getLoc();
  Value input = op.getInput();
  int64_t rank = op.getInput().getType().getRank();
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + rank : op.getAxis();
  size_t n = op.getNumResults();
  Value piece = op.getSizes().empty()
                    ? arith::CeilDivUIOp::create(b, loc, dimValue(b, loc, input, axis),
                                                 indexConst(b, loc, n))
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
    if (op.getSizes().empty()) // The last piece may be shorter.
      size = arith::MinSIOp::create(
          b, loc, size,
          arith::SubIOp::create(b, loc, dimValue(b, loc, input, axis), offset));
    offsets[axis] = offset;
    sizes[axis] = type.isDynamicDim(axis) ? OpFoldResult(size) : b.getIndexAttr(type.getDimSize(axis));
    results.push_back(
        tensor::ExtractSliceOp::create(b, loc, type, input, offsets, sizes, strides));
    offset = arith::AddIOp::create(b, loc, offset, size);
  }
  return results;
}

Value lowerConstantOfShape(OpBuilder &b, ConstantOfShapeOp op) {
  Location loc = op.getLoc();
  auto type = op.getType();
  SmallVector<OpFoldResult> sizes = sizesFromShape(b, loc, op.getShape(), type, Value());
  auto value = cast<DenseElementsAttr>(op.getValue());
  Type element = type.getElementType();
  Attribute first = value.getValues<Attribute>()[0];
  // arith.constant takes signless integers only: ui8 200 is made as i8 200.
  if (auto i = dyn_cast<IntegerAttr>(first))
    first = IntegerAttr::get(signless(i.getType()), i.getValue());
  Value scalar = reinterpret(b, loc, arith::ConstantOp::create(b, loc, cast<TypedAttr>(first)),
                             element);
  return castTo(b, loc, filled(b, loc, sizes, element, scalar), type);
}

Value lowerRange(OpBuilder &b, RangeOp op) {
  Location loc = op.getLoc();
  Type t = op.getType().getElementType();
  auto scalar = [&](Value v) { return tensor::ExtractOp::create(b, loc, v, ValueRange{}).getResult(); };
  Value start = scalar(op.getStart()), limit = scalar(op.getLimit()), delta = scalar(op.getDelta());
  OpFoldResult size;
  if (!op.getType().isDynamicDim(0)) {
    size = b.getIndexAttr(op.getType().getDimSize(0));
  } else if (isa<FloatType>(t)) {
    Value n = math::CeilOp::create(
        b, loc, arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, limit, start), delta));
    Value ni = arith::FPToSIOp::create(b, loc, b.getI64Type(), n);
    ni = arith::MaxSIOp::create(b, loc, ni, scalarConst(b, loc, b.getI64Type(), 0));
    size = arith::IndexCastOp::create(b, loc, b.getIndexType(), ni).getResult();
  } else {
    Value n = arith::CeilDivSIOp::create(b, loc, arith::SubIOp::create(b, loc, limit, start), delta);
    n = arith::MaxSIOp::create(b, loc, n, scalarConst(b, loc, t, 0));
    size = arith::IndexCastOp::create(b, loc, b.getIndexType(), n).getResult();
  }
  Value init = emptyTensor(b, loc, {size}, t);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{}, init, b.getMultiDimIdentityMap(1),
      utils::IteratorType::parallel, [&](OpBuilder &nb, Location nl, ValueRange) {
        Value i = linalg::IndexOp::create(nb, nl, 0);
        Value ii = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
        Value r = isa<FloatType>(t)
                      ? arith::AddFOp::create(nb, nl, start,
                                              arith::MulFOp::create(nb, nl,
                                                                    arith::SIToFPOp::create(nb, nl, t, ii),
                                                                    delta))
                            .getResult()
                      : arith::AddIOp::create(nb, nl, start,
                                              arith::MulIOp::create(nb, nl, convertScalar(nb, nl, ii, t),
                                                                    delta))
                            .getResult();
        linalg::YieldOp::create(nb, nl, r);
      });
  return castTo(b, loc, generic.getResult(0), op.getType());
}

Value lowerTrilu(OpBuilder &b, TriluOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType();
  Value k = tensor::ExtractOp::create(
      b, loc, op.getK(),
      SmallVector<Value>(tensorType(op.getK()).getRank(), indexConst(b, loc, 0)));
  k = arith::IndexCastOp::create(b, loc, b.getIndexType(), k);
  bool upper = op.getUpper();
  Value zero = elementConst(b, loc, t, 0);
  return elementwise(b, loc, x, t, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value i = linalg::IndexOp::create(nb, nl, rank - 2), j = linalg::IndexOp::create(nb, nl, rank - 1);
    Value diff = arith::SubIOp::create(nb, nl, j, i);
    Value keep = arith::CmpIOp::create(
        nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff, k);
    return arith::SelectOp::create(nb, nl, keep, a[0], zero);
  });
}

/// CumSum: a loop along the axis that carries the running sums of one
/// slice, updated in place. An exclusive sum writes the running sums after
/// position k at position k + 1 (k - 1 in reverse) and starts from zeros.
Value lowerCumSum(OpBuilder &b, CumSumOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
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
        Value running =
            linalg::GenericOp::create(
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

Value lowerShape(OpBuilder &b, ShapeOp op) {
  Location loc = op.getLoc();
  int64_t rank = op.getInput().getType().getRank();
  int64_t start = op.getStart() < 0 ? std::max<int64_t>(op.getStart() + rank, 0)
                                    : std::min<int64_t>(op.getStart(), rank);
  SmallVector<Value> dims;
  for (int64_t d = start; d < start + op.getType().getDimSize(0); ++d)
    dims.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                              dimValue(b, loc, op.getInput(), d)));
  return tensor::FromElementsOp::create(b, loc, op.getType(), dims);
}

FailureOr<Value> lowerGemm(OpBuilder &b, GemmOp op) {
  Location loc = op.getLoc();
  Value a = op.getA(), bm = op.getB();
  auto transposed = [&](Value v) -> Value {
    auto t = tensorType(v);
    SmallVector<OpFoldResult> sizes = {dimOf(b, loc, v, 1), dimOf(b, loc, v, 0)};
    Value init = emptyTensor(b, loc, sizes, t.getElementType());
    return linalg::TransposeOp::create(b, loc, v, init, ArrayRef<int64_t>{1, 0}).getResult()[0];
  };
  if (op.getTransA())
    a = transposed(a);
  if (op.getTransB())
    bm = transposed(bm);
  auto product = matmul(b, loc, a, bm,
                        RankedTensorType::get({kDyn, kDyn}, op.getType().getElementType()));
  if (failed(product))
    return failure();
  Type t = op.getType().getElementType();
  Value alpha = scalarConst(b, loc, t, op.getAlpha().convertToFloat());
  Value beta = scalarConst(b, loc, t, op.getBeta().convertToFloat());
  SmallVector<Value> operands = {*product};
  if (op.getC())
    operands.push_back(op.getC());
  Value r = elementwise(b, loc, operands, t, [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
    Value y = arith::MulFOp::create(nb, nl, alpha, v[0]);
    if (v.size() > 1)
      y = arith::AddFOp::create(nb, nl, y, arith::MulFOp::create(nb, nl, beta, v[1]));
    return y;
  });
  return castTo(b, loc, r, op.getType());
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// Lowers one op; returns its replacement values.
FailureOr<SmallVector<Value>> lower(Operation *op, OpBuilder &b, bool fuseAttention) {
  Location loc = op->getLoc();
  auto one = [](FailureOr<Value> v) -> FailureOr<SmallVector<Value>> {
    if (failed(v))
      return failure();
    return SmallVector<Value>{*v};
  };
  auto fitType = [&](Value v) { return castTo(b, loc, v, op->getResult(0).getType()); };
  if (isElementwise(op)) {
    // The body reads unsigned scalars as signless ones (scalarOf reads the
    // signedness off `op`).
    Type resultElement = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
    bool ok = true; // Whether the scalar computation exists for this type.
    Value r = elementwise(b, loc, op->getOperands(), resultElement,
                          [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
                            SmallVector<Value> a;
                            for (Value v : args)
                              a.push_back(reinterpret(nb, nl, v, signless(v.getType())));
                            FailureOr<Value> s = scalarOf(op, nb, nl, a);
                            if (succeeded(s))
                              return reinterpret(nb, nl, *s, resultElement);
                            ok = false;
                            return args[0];
                          });
    if (!ok)
      return op->emitError("no CPU lowering for this element type");
    return one(fitType(r));
  }
  return llvm::TypeSwitch<Operation *, FailureOr<SmallVector<Value>>>(op)
      .Case([&](MatMulOp m) -> FailureOr<SmallVector<Value>> {
        auto r = matmul(b, loc, m.getLhs(), m.getRhs(), m.getType());
        if (failed(r))
          return m.emitError("matmul of 1-D operands is not supported by the CPU lowering yet");
        return one(r);
      })
      .Case([&](GemmOp g) { return one(lowerGemm(b, g)); })
      .Case([&](ReduceSumOp r) { return one(fitType(lowerReduction(b, r, Combine::Sum, false))); })
      .Case([&](ReduceMeanOp r) { return one(fitType(lowerReduction(b, r, Combine::Sum, true))); })
      .Case([&](ReduceMaxOp r) { return one(fitType(lowerReduction(b, r, Combine::Max, false))); })
      .Case([&](ReduceMinOp r) { return one(fitType(lowerReduction(b, r, Combine::Min, false))); })
      .Case([&](ReduceProdOp r) { return one(fitType(lowerReduction(b, r, Combine::Prod, false))); })
      .Case([&](SoftmaxOp s) {
        int64_t axis = s.getAxis() < 0 ? s.getAxis() + s.getType().getRank() : s.getAxis();
        return one(fitType(softmax(b, loc, s.getInput(), axis, s.getLog())));
      })
      .Case([&](LayerNormOp n) {
        return one(fitType(normalize(b, loc, n.getInput(), n.getAxis(),
                                     n.getEpsilon().convertToFloat(), n.getScale(), n.getBias(),
                                     /*rms=*/false)));
      })
      .Case([&](RmsNormOp n) {
        return one(fitType(normalize(b, loc, n.getInput(), n.getAxis(),
                                     n.getEpsilon().convertToFloat(), n.getScale(), Value(),
                                     /*rms=*/true)));
      })
      .Case([&](AttentionOp a) { return one(attention(b, a, fuseAttention)); })
      .Case([&](RotaryOp r) { return one(rotary(b, r)); })
      .Case([&](TransposeOp t) {
        SmallVector<OpFoldResult> sizes;
        for (int64_t p : t.getPerm())
          sizes.push_back(dimOf(b, loc, t.getInput(), p));
        Value init = emptyTensor(b, loc, sizes, t.getType().getElementType());
        Value r = linalg::TransposeOp::create(b, loc, t.getInput(), init, t.getPerm()).getResult()[0];
        return one(fitType(r));
      })
      .Case([&](ReshapeOp r) { return one(lowerReshape(b, r)); })
      .Case([&](SqueezeOp s) { return one(lowerSqueezeLike(b, s, false)); })
      .Case([&](UnsqueezeOp u) { return one(lowerSqueezeLike(b, u, true)); })
      .Case([&](ConcatOp c) {
        int64_t axis = c.getAxis() < 0 ? c.getAxis() + c.getType().getRank() : c.getAxis();
        return one(tensor::ConcatOp::create(b, loc, c.getType(), axis, c.getInputs()).getResult());
      })
      .Case([&](SliceOp s) { return one(lowerSlice(b, s)); })
      .Case([&](GatherOp g) { return one(fitType(lowerGather(b, g))); })
      .Case([&](ExpandOp e) { return one(lowerExpand(b, e)); })
      .Case([&](SplitOp s) -> FailureOr<SmallVector<Value>> { return lowerSplit(b, s); })
      .Case([&](ConstantOfShapeOp c) { return one(lowerConstantOfShape(b, c)); })
      .Case([&](RangeOp r) { return one(lowerRange(b, r)); })
      .Case([&](TriluOp t) { return one(fitType(lowerTrilu(b, t))); })
      .Case([&](CumSumOp c) { return one(fitType(lowerCumSum(b, c))); })
      .Case([&](ShapeOp s) { return one(lowerShape(b, s)); })
      .Default([](Operation *op) -> FailureOr<SmallVector<Value>> {
        return op->emitError("no CPU lowering for this op");
      });
}

/// genc.if → scf.if with the branches moved over.
LogicalResult lowerIf(IfOp op, IRRewriter &rewriter) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto condType = op.getCondition().getType();
  Value cond = tensor::ExtractOp::create(
      rewriter, loc, op.getCondition(),
      SmallVector<Value>(condType.getRank(), indexConst(rewriter, loc, 0)));
  auto ifOp = scf::IfOp::create(rewriter, loc, op.getResultTypes(), cond, /*withElse=*/true);
  for (auto [from, to] : {std::pair{&op.getThenBranch(), &ifOp.getThenRegion()},
                          std::pair{&op.getElseBranch(), &ifOp.getElseRegion()}}) {
    rewriter.eraseBlock(&to->front());
    rewriter.inlineRegionBefore(*from, *to, to->end());
    auto yield = cast<YieldOp>(to->front().getTerminator());
    rewriter.setInsertionPoint(yield);
    SmallVector<Value> values;
    for (auto [v, t] : llvm::zip(yield.getValues(), op.getResultTypes()))
      values.push_back(castTo(rewriter, loc, v, t));
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, values);
  }
  rewriter.replaceOp(op, ifOp.getResults());
  return success();
}

struct ConvertGencToLinalgPass
    : genc::impl::ConvertGencToLinalgBase<ConvertGencToLinalgPass> {
  using ConvertGencToLinalgBase::ConvertGencToLinalgBase;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> ops;
    // Post-order: ops inside an If's branches come before the If. Index
    // reports are this lowering's own; genc-call-cpu-kernels lowers them.
    getOperation().walk([&](Operation *op) {
      if (isa<GencDialect>(op->getDialect()) && !isa<YieldOp, IndexOutOfBoundsOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto ifOp = dyn_cast<IfOp>(op)) {
        if (failed(lowerIf(ifOp, rewriter)))
          return signalPassFailure();
        continue;
      }
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> replacements = lower(op, rewriter, fuseAttention);
      if (failed(replacements))
        return signalPassFailure();
      rewriter.replaceOp(op, *replacements);
    }
  }
};

} // namespace
