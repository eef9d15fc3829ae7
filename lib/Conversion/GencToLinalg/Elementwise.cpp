//===- Elementwise.cpp - genc's elementwise ops → linalg.generic ----------===//
//
// Every elementwise op shares one lowering: a generic over the broadcast of
// its operands whose body is the op's scalar computation (scalarOf).
// Unsigned tensors are computed on as signless scalars with the unsigned
// arith ops.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

/// The scalar computation of an elementwise genc op. `a` are the op's
/// operands as signless scalars; the op's own operand types say which
/// integers are unsigned.
static FailureOr<Value> scalarOf(Operation *op, OpBuilder &b, Location loc, ValueRange a) {
  Type t = a[0].getType();
  bool isFloat = isa<FloatType>(t);
  bool isUnsigned = isUnsignedInt(op->getOperand(0).getType());
  auto one = [&] { return scalarConst(b, loc, t, 1); };
  auto zero = [&] { return scalarConst(b, loc, t, 0); };
  auto sigmoid = [&](Value x) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one(), arith::AddFOp::create(b, loc, one(), e));
  };
  auto cmp = [&](arith::CmpFPredicate f, arith::CmpIPredicate i, arith::CmpIPredicate u) -> Value {
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
        return arith::SelectOp::create(b, loc, fix, arith::AddIOp::create(b, loc, r, a[1]), r);
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
      .Case([&](SigmoidOp) -> Value { return sigmoid(a[0]); })
      .Case([&](SiluOp) -> Value { return arith::MulFOp::create(b, loc, a[0], sigmoid(a[0])); })
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
      .Case([&](RoundOp) -> Value { return math::RoundEvenOp::create(b, loc, a[0]); })
      .Case([&](NotOp) -> Value {
        return arith::XOrIOp::create(b, loc, a[0], scalarConst(b, loc, t, 1));
      })
      .Case([&](GeluOp g) -> Value {
        Value half = scalarConst(b, loc, t, 0.5);
        Value inner;
        if (g.getTanhApproximation()) {
          // tanh(√(2/π) · (x + 0.044715 x³))
          Value x3 = arith::MulFOp::create(b, loc, a[0], arith::MulFOp::create(b, loc, a[0], a[0]));
          Value s = arith::AddFOp::create(
              b, loc, a[0], arith::MulFOp::create(b, loc, scalarConst(b, loc, t, 0.044715), x3));
          inner = math::TanhOp::create(
              b, loc, arith::MulFOp::create(b, loc, scalarConst(b, loc, t, 0.7978845608028654), s));
        } else {
          inner = math::ErfOp::create(
              b, loc, arith::MulFOp::create(b, loc, a[0], scalarConst(b, loc, t, M_SQRT1_2)));
        }
        return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, a[0]),
                                     arith::AddFOp::create(b, loc, one(), inner));
      })
      .Case([&](WhereOp) -> Value { return arith::SelectOp::create(b, loc, a[0], a[1], a[2]); })
      .Case([&](CastOp c) -> Value {
        Type to = c.getType().getElementType();
        return convertScalar(b, loc, a[0], signless(to), isUnsigned, isUnsignedInt(to));
      })
      .Default([](Operation *) { return failure(); });
}

namespace {

/// Any elementwise genc op: the shared generic with the op's scalar body.
class ElementwiseLowering : public ConversionPattern {
public:
  ElementwiseLowering(StringRef opName, MLIRContext *context)
      : ConversionPattern(opName, /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Type resultType = op->getResult(0).getType();
    Type resultElement = cast<RankedTensorType>(resultType).getElementType();
    bool supported = true;
    Value result = elementwise(
        rewriter, loc, checkedBroadcastOperands(rewriter, op, operands, op->getOperands()),
        resultElement, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          SmallVector<Value> a;
          for (Value v : args)
            a.push_back(reinterpret(b, l, v, signless(v.getType())));
          FailureOr<Value> s = scalarOf(op, b, l, a);
          if (succeeded(s))
            return reinterpret(b, l, *s, resultElement);
          supported = false;
          return args[0];
        });
    if (!supported)
      return op->emitError("no CPU lowering for this element type");
    rewriter.replaceOp(op, castTo(rewriter, loc, result, resultType));
    return success();
  }
};

template <typename... OpTys> void addElementwiseLowerings(RewritePatternSet &patterns) {
  (patterns.add<ElementwiseLowering>(OpTys::getOperationName(), patterns.getContext()), ...);
}

} // namespace

/// Trilu: an elementwise select on (row, column) against the diagonal k.
static FailureOr<Value> lowerTrilu(TriluOp op, TriluOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value x = operands.getInput();
  int64_t rank = tensorType(x).getRank();
  Type t = tensorType(x).getElementType();
  Value k = tensor::ExtractOp::create(
      b, loc, operands.getK(),
      SmallVector<Value>(tensorType(operands.getK()).getRank(), indexConst(b, loc, 0)));
  k = arith::IndexCastOp::create(b, loc, b.getIndexType(), k);
  bool upper = op.getUpper();
  Value zero = elementConst(b, loc, t, 0);
  return elementwise(b, loc, x, t, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value i = linalg::IndexOp::create(nb, nl, rank - 2),
          j = linalg::IndexOp::create(nb, nl, rank - 1);
    Value diff = arith::SubIOp::create(nb, nl, j, i);
    Value keep = arith::CmpIOp::create(
        nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff, k);
    return arith::SelectOp::create(nb, nl, keep, a[0], zero);
  });
}

void mlir::genc::lowering::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  addElementwiseLowerings<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MaxOp, MinOp, AndOp, OrOp,
                          XorOp, EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, NegOp,
                          AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, TanhOp, SigmoidOp, SiluOp,
                          ReluOp, ErfOp, SinOp, CosOp, FloorOp, CeilOp, RoundOp, NotOp, GeluOp,
                          WhereOp, CastOp>(patterns);
  addLowering<TriluOp>(patterns, lowerTrilu);
}
