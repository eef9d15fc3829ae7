//===- Utils.cpp - builders shared by genc → linalg's pattern files -------===//

#include "Lowering.h"

#include "genc/Dialect/Broadcast.h"

#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace mlir::genc::lowering {

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

/// The broadcast shape of `operands` from their static shapes (verified
/// ops' operands always broadcast).
static SmallVector<int64_t> broadcastShape(ValueRange operands) {
  SmallVector<int64_t> shape;
  for (Value v : operands) {
    std::optional<SmallVector<int64_t>> next = broadcastShapes(shape, tensorType(v).getShape());
    assert(next && "operands that do not broadcast");
    if (next)
      shape = std::move(*next);
  }
  return shape;
}

/// Sizes of a broadcast result: static dims as attributes, dynamic ones
/// from the first operand that has a non-unit dim there.
static SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                                                ValueRange operands) {
  SmallVector<OpFoldResult> sizes;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!ShapedType::isDynamic(shape[d])) {
      sizes.push_back(b.getIndexAttr(shape[d]));
      continue;
    }
    for (Value v : operands) {
      auto t = tensorType(v);
      std::optional<int64_t> i = broadcastOperandDim(t.getRank(), shape.size(), d);
      if (i && t.getDimSize(*i) != 1) {
        sizes.push_back(dimOf(b, loc, v, *i));
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
    exprs.push_back(isBroadcastDim(operand.getDimSize(i), shape[offset + i])
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

Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element, Value value) {
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
  auto generic =
      linalg::GenericOp::create(b, loc, init.getType(), operands, init, maps, iterators,
                                [&](OpBuilder &nb, Location nl, ValueRange args) {
                                  linalg::YieldOp::create(nb, nl, fn(nb, nl, args.drop_back()));
                                });
  return generic.getResult(0);
}

/// Whether `t` (a tensor or its element type) holds unsigned integers.
/// arith works on signless integers only: elementwise lowering bitcasts
/// unsigned tensors to signless ones and picks the unsigned arith op.
bool isUnsignedInt(Type t) { return getElementTypeOrSelf(t).isUnsignedInteger(); }

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
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned,
                    bool toUnsigned) {
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
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, scalarConst(b, loc, from, 0));
  if (fw < tw)
    return fromUnsigned ? arith::ExtUIOp::create(b, loc, to, v).getResult()
                        : arith::ExtSIOp::create(b, loc, to, v).getResult();
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, to, v);
  return v; // Same width, other signedness: the same bits.
}

/// "Gather node 'NAME' of model.onnx", from the importer's locations.
std::string describeNode(Operation *op, StringRef kind) {
  return genc::describeNode(op->getLoc(), kind);
}

/// `read(i)`: the elements an op reads at an index it takes from data, which
/// must lie in [0, bound) (in [-bound, bound) counting from the end when
/// `fromEnd`). Out of range, compiled code reports `message` to its caller
/// (genc.index_out_of_bounds) and yields zeros instead of reading outside
/// the buffer.
SmallVector<Value>
checkedRead(OpBuilder &b, Location loc, Value index, Value bound, bool fromEnd, TypeRange elements,
            StringRef message,
            function_ref<SmallVector<Value>(OpBuilder &, Location, Value)> read) {
  Value position = index;
  if (fromEnd) {
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, indexConst(b, loc, 0));
    position = arith::SelectOp::create(b, loc, negative,
                                       arith::AddIOp::create(b, loc, index, bound), index);
  }
  // One unsigned comparison: a negative position is a huge unsigned one.
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, position, bound);
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

/// The ONNX name of a genc op: genc.greater_equal is GreaterEqual.
std::string onnxOpName(Operation *op) {
  std::string name;
  for (StringRef word : llvm::split(op->getName().stripDialect(), '_'))
    name += (word.take_front(1).upper() + word.drop_front(1)).str();
  return name;
}

SmallVector<Value> checkedBroadcastOperands(OpBuilder &b, Operation *op, ValueRange operands,
                                            ValueRange originals) {
  SmallVector<int64_t> shape = broadcastShape(operands);
  SmallVector<std::string> names;
  for (size_t i = 0; i < operands.size(); ++i)
    names.push_back("input " + std::to_string(i));
  SharedLoops loops(b, op->getLoc(), operands, originals, describeNode(op, onnxOpName(op)), names);
  for (size_t d = 0; d < shape.size(); ++d) {
    SmallVector<SharedLoops::Use> uses;
    for (auto [i, v] : llvm::enumerate(operands)) {
      auto t = tensorType(v);
      std::optional<int64_t> dim = broadcastOperandDim(t.getRank(), shape.size(), d);
      if (dim && t.getDimSize(*dim) != 1)
        uses.push_back({static_cast<unsigned>(i), *dim});
    }
    OpFoldResult size = ShapedType::isDynamic(shape[d]) ? OpFoldResult() : b.getIndexAttr(shape[d]);
    loops.share(uses, size,
                "genc does not broadcast sizes the model leaves dynamic: they must be equal");
  }
  return loops.operands();
}

SharedLoops::SharedLoops(OpBuilder &b, Location loc, ValueRange operands, ValueRange originals,
                         std::string node, ArrayRef<std::string> names)
    : b(b), loc(loc), values(operands), originals(originals), node(std::move(node)), names(names),
      failed(operands.size()) {
  assert(operands.size() == originals.size() && operands.size() == names.size() &&
         "one original and one name per operand");
  for (Value v : operands)
    loopSizes.emplace_back(tensorType(v).getRank());
}

void SharedLoops::share(ArrayRef<Use> uses, OpFoldResult size, StringRef why) {
  // A use of static size fixes the loop's (the op's verifier agrees).
  for (auto [operand, dim] : uses)
    if (!size && !tensorType(values[operand]).isDynamicDim(dim))
      size = b.getIndexAttr(tensorType(values[operand]).getDimSize(dim));
  std::optional<Use> first; // the use whose size the loop takes, if none is given
  Value loop;               // built for the first check
  for (Use use : uses) {
    auto [operand, dim] = use;
    if (!tensorType(values[operand]).isDynamicDim(dim))
      continue;
    if (!size && !first) {
      first = use;
      continue;
    }
    // The model's dim names and the ops that pass dims through prove most
    // sizes equal at compile time.
    if (first && provablyEqualDims(originals[operand], dim, originals[first->first], first->second))
      continue;
    if (!loop)
      loop = first ? dimValue(b, loc, values[first->first], first->second)
                   : getValueOrCreateConstantIndexOp(b, loc, size);
    auto loopDim = loop.getDefiningOp<tensor::DimOp>();
    if (loopDim && loopDim.getSource() == values[operand] && loopDim.getConstantIndex() == dim)
      continue;
    Value actual = dimValue(b, loc, values[operand], dim);
    Value differs = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, actual, loop);
    std::string message = node + ": " + names[operand] + "'s dim " + std::to_string(dim) +
                          " is {index}, but {bound} is expected there";
    if (!why.empty())
      message += (" (" + why + ")").str();
    failAtRunTimeIf(b, loc, differs, actual, loop, message);
    failed[operand] =
        failed[operand] ? arith::OrIOp::create(b, loc, failed[operand], differs) : differs;
    loopSizes[operand][dim] = loop;
  }
}

SmallVector<Value> SharedLoops::operands() {
  SmallVector<Value> result;
  for (auto [value, bad, sizes] : llvm::zip(values, failed, loopSizes)) {
    if (!bad) {
      result.push_back(value);
      continue;
    }
    for (auto [d, size] : llvm::enumerate(sizes))
      if (!size)
        size = dimOf(b, loc, value, d);
    auto guarded = scf::IfOp::create(
        b, loc, bad,
        [&](OpBuilder &tb, Location tl) {
          Type element = tensorType(value).getElementType();
          Value zeros = filled(tb, tl, sizes, element, elementConst(tb, tl, element, 0));
          scf::YieldOp::create(tb, tl, castTo(tb, tl, zeros, value.getType()));
        },
        [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, value); });
    result.push_back(guarded.getResult(0));
  }
  return result;
}

} // namespace mlir::genc::lowering

Value mlir::genc::lowering::multiplyChecked(OpBuilder &b, Location loc, Value x, Value y,
                                            Value &overflow) {
  Value product = arith::MulIOp::create(b, loc, x, y);
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  Value xIsZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, zero);
  Value back =
      arith::DivUIOp::create(b, loc, product, arith::SelectOp::create(b, loc, xIsZero, one, x));
  // With x = 0 the quotient is the product, 0, whatever y is.
  Value wrapped = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, back,
                                        arith::SelectOp::create(b, loc, xIsZero, zero, y));
  overflow = overflow ? arith::OrIOp::create(b, loc, overflow, wrapped).getResult() : wrapped;
  return product;
}

void mlir::genc::lowering::checkBufferBytes(OpBuilder &b, Location loc, Value bytes,
                                            Value &overflow) {
  Value tooMany = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, bytes,
                                        indexConst(b, loc, kMaxBufferBytes));
  overflow = overflow ? arith::OrIOp::create(b, loc, overflow, tooMany).getResult() : tooMany;
}

Value mlir::genc::lowering::guardResultBytes(OpBuilder &b, Location loc,
                                             SmallVectorImpl<OpFoldResult> &sizes, Type element,
                                             StringRef node) {
  Value overflow, bytes = indexConst(b, loc, llvm::divideCeil(element.getIntOrFloatBitWidth(), 8));
  for (OpFoldResult size : sizes)
    bytes = multiplyChecked(b, loc, bytes, getValueOrCreateConstantIndexOp(b, loc, size), overflow);
  checkBufferBytes(b, loc, bytes, overflow);
  Value zero = indexConst(b, loc, 0);
  failAtRunTimeIf(b, loc, overflow, zero, zero,
                  (node + ": the result would need more bytes than a buffer can hold").str());
  for (OpFoldResult &size : sizes)
    if (auto value = dyn_cast<Value>(size))
      size = arith::SelectOp::create(b, loc, overflow, zero, value).getResult();
  return overflow;
}

Value mlir::genc::lowering::emptiedIf(OpBuilder &b, Location loc, Value tensor, Value condition) {
  auto type = tensorType(tensor);
  if (type.hasStaticShape())
    return tensor;
  Value zero = indexConst(b, loc, 0);
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
      strides(type.getRank(), b.getIndexAttr(1)), sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(arith::SelectOp::create(b, loc, condition, zero,
                                                               dimValue(b, loc, tensor, d))
                                           .getResult())
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  return tensor::ExtractSliceOp::create(b, loc, tensor, offsets, sizes, strides);
}
