//===- Folding.cpp - constant folding and identity folds of genc ops ------===//
//
// Folds evaluate ops on small constants (shape arithmetic, masks built from
// splats) and drop ops that provably do nothing. Large non-splat constants
// are never folded: weights stay resources.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/Broadcast.h"
#include "genc/Dialect/GencOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APSInt.h"

#include <limits>

using namespace mlir;
using namespace mlir::genc;

/// The most elements a non-splat fold may produce.
static constexpr int64_t kMaxFoldedElements = 1 << 14;

static DenseElementsAttr asDense(Attribute a) {
  return dyn_cast_if_present<DenseElementsAttr>(a);
}

/// The static result type of `op` if folding into it is affordable.
static RankedTensorType foldableResultType(Operation *op, bool splat) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return nullptr;
  if (!splat && type.getNumElements() > kMaxFoldedElements)
    return nullptr;
  return type;
}

/// The row-major strides of `shape`, 0 along broadcast dims of `from`.
static SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> from,
                                             ArrayRef<int64_t> to) {
  SmallVector<int64_t> strides(to.size(), 0);
  int64_t stride = 1;
  for (int64_t i = from.size() - 1, j = to.size() - 1; i >= 0; --i, --j) {
    strides[j] = isBroadcastDim(from[i], to[j]) ? 0 : stride;
    stride *= from[i];
  }
  return strides;
}

/// Reads `attr`'s values broadcast to `shape`, row-major.
template <typename T>
static SmallVector<T> broadcastValues(DenseElementsAttr attr, ArrayRef<int64_t> shape) {
  auto values = llvm::to_vector(attr.getValues<T>());
  int64_t n = ShapedType::getNumElements(shape);
  if (attr.isSplat())
    return SmallVector<T>(n, values.front());
  auto strides = broadcastStrides(attr.getType().getShape(), shape);
  SmallVector<T> result;
  result.reserve(n);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      offset += index[d] * strides[d];
    result.push_back(values[offset]);
    for (int64_t d = shape.size() - 1; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
  }
  return result;
}

/// Folds an elementwise op over constants whose element type `fn` maps to
/// the result element type. `fn` returns nullopt to refuse (e.g. x / 0).
template <typename In, typename Out, typename Fn>
static Attribute foldElementwise(Operation *op, ArrayRef<DenseElementsAttr> inputs, Fn fn) {
  bool allSplat = llvm::all_of(inputs, [](DenseElementsAttr a) { return a.isSplat(); });
  RankedTensorType type = foldableResultType(op, allSplat);
  if (!type)
    return {};
  ArrayRef<int64_t> shape = allSplat ? ArrayRef<int64_t>{} : type.getShape();
  SmallVector<SmallVector<In>> columns;
  for (DenseElementsAttr input : inputs)
    columns.push_back(broadcastValues<In>(input, shape));
  SmallVector<Out> results;
  for (size_t i = 0, e = columns.front().size(); i < e; ++i) {
    SmallVector<In> args;
    for (auto &column : columns)
      args.push_back(column[i]);
    std::optional<Out> r = fn(args);
    if (!r)
      return {};
    results.push_back(*r);
  }
  if (allSplat)
    return DenseElementsAttr::get(type, results.front());
  return DenseElementsAttr::get(type, results);
}

/// Integers carry their signedness into the folders as APSInt, whose
/// division, remainder and comparisons then match the lowering's: unsigned
/// element types (ONNX uint8..uint64) read as unsigned, the rest as signed.
static llvm::APSInt withSignedness(const APInt &v, Type element) {
  return llvm::APSInt(v, /*isUnsigned=*/element.isUnsignedInteger());
}

template <typename IntFn, typename FloatFn>
static OpFoldResult foldArithmetic(Operation *op, Attribute lhsAttr, Attribute rhsAttr,
                                   IntFn intFn, FloatFn floatFn) {
  DenseElementsAttr lhs = asDense(lhsAttr), rhs = asDense(rhsAttr);
  if (!lhs || !rhs || lhs.getElementType() != rhs.getElementType())
    return {};
  Type element = lhs.getElementType();
  if (isa<FloatType>(element))
    return foldElementwise<APFloat, APFloat>(
        op, {lhs, rhs}, [&](ArrayRef<APFloat> a) { return floatFn(a[0], a[1]); });
  return foldElementwise<APInt, APInt>(op, {lhs, rhs}, [&](ArrayRef<APInt> a) {
    return intFn(withSignedness(a[0], element), withSignedness(a[1], element));
  });
}

template <typename IntPred, typename FloatPred>
static OpFoldResult foldComparison(Operation *op, Attribute lhsAttr, Attribute rhsAttr,
                                   IntPred intPred, FloatPred floatPred) {
  DenseElementsAttr lhs = asDense(lhsAttr), rhs = asDense(rhsAttr);
  if (!lhs || !rhs || lhs.getElementType() != rhs.getElementType())
    return {};
  Type element = lhs.getElementType();
  if (isa<FloatType>(element))
    return foldElementwise<APFloat, bool>(op, {lhs, rhs}, [&](ArrayRef<APFloat> a) {
      return std::optional<bool>(floatPred(a[0], a[1]));
    });
  return foldElementwise<APInt, bool>(op, {lhs, rhs}, [&](ArrayRef<APInt> a) {
    return std::optional<bool>(
        intPred(withSignedness(a[0], element), withSignedness(a[1], element)));
  });
}

using llvm::APSInt;
using OptInt = std::optional<APInt>;
using OptFloat = std::optional<APFloat>;

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x + y; },
      [](APFloat x, APFloat y) -> OptFloat { return x + y; });
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x - y; },
      [](APFloat x, APFloat y) -> OptFloat { return x - y; });
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x * y; },
      [](APFloat x, APFloat y) -> OptFloat { return x * y; });
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(),
      [](APSInt x, APSInt y) -> OptInt {
        if (y.isZero())
          return std::nullopt;
        return x.getBitWidth() == 1 ? x : x / y;
      },
      [](APFloat x, APFloat y) -> OptFloat { return x / y; });
}
OpFoldResult PowOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ModOp::fold(FoldAdaptor a) {
  bool fmod = getFmod();
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(),
      [fmod](APSInt x, APSInt y) -> OptInt {
        if (y.isZero())
          return std::nullopt;
        APSInt r = x % y;
        // Python-style: the remainder takes the divisor's sign (unsigned
        // operands have none to disagree on).
        if (!fmod && r.isSigned() && !r.isZero() && (r.isNegative() != y.isNegative()))
          r += y;
        return r;
      },
      [](APFloat x, APFloat y) -> OptFloat {
        if (x.mod(y) != APFloat::opOK)
          return std::nullopt;
        return x;
      });
}
OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(),
      [](APSInt x, APSInt y) -> OptInt { return x >= y ? x : y; },
      [](APFloat x, APFloat y) -> OptFloat { return maximum(x, y); });
}
OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(),
      [](APSInt x, APSInt y) -> OptInt { return x <= y ? x : y; },
      [](APFloat x, APFloat y) -> OptFloat { return minimum(x, y); });
}
OpFoldResult AndOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x & y; },
      [](APFloat, APFloat) -> OptFloat { return std::nullopt; });
}
OpFoldResult OrOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x | y; },
      [](APFloat, APFloat) -> OptFloat { return std::nullopt; });
}
OpFoldResult XorOp::fold(FoldAdaptor a) {
  return foldArithmetic(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) -> OptInt { return x ^ y; },
      [](APFloat, APFloat) -> OptFloat { return std::nullopt; });
}
OpFoldResult EqualOp::fold(FoldAdaptor a) {
  return foldComparison(
      *this, a.getLhs(), a.getRhs(), [](APInt x, APInt y) { return x == y; },
      [](APFloat x, APFloat y) { return x.compare(y) == APFloat::cmpEqual; });
}
OpFoldResult LessOp::fold(FoldAdaptor a) {
  return foldComparison(
      *this, a.getLhs(), a.getRhs(), [](APSInt x, APSInt y) { return x < y; },
      [](APFloat x, APFloat y) { return x.compare(y) == APFloat::cmpLessThan; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor a) {
  return foldComparison(
      *this, a.getLhs(), a.getRhs(), [](APSInt x, APSInt y) { return x <= y; },
      [](APFloat x, APFloat y) {
        auto c = x.compare(y);
        return c == APFloat::cmpLessThan || c == APFloat::cmpEqual;
      });
}
OpFoldResult GreaterOp::fold(FoldAdaptor a) {
  return foldComparison(
      *this, a.getLhs(), a.getRhs(), [](APSInt x, APSInt y) { return x > y; },
      [](APFloat x, APFloat y) { return x.compare(y) == APFloat::cmpGreaterThan; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor a) {
  return foldComparison(
      *this, a.getLhs(), a.getRhs(), [](APSInt x, APSInt y) { return x >= y; },
      [](APFloat x, APFloat y) {
        auto c = x.compare(y);
        return c == APFloat::cmpGreaterThan || c == APFloat::cmpEqual;
      });
}

OpFoldResult NegOp::fold(FoldAdaptor a) {
  DenseElementsAttr input = asDense(a.getInput());
  if (!input)
    return {};
  if (isa<FloatType>(input.getElementType()))
    return foldElementwise<APFloat, APFloat>(*this, {input}, [](ArrayRef<APFloat> x) {
      return OptFloat(neg(x[0]));
    });
  return foldElementwise<APInt, APInt>(*this, {input},
                                       [](ArrayRef<APInt> x) { return OptInt(-x[0]); });
}

OpFoldResult CastOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = asDense(a.getInput());
  if (!input)
    return {};
  Type to = getType().getElementType();
  Type from = input.getElementType();
  auto toFloat = dyn_cast<FloatType>(to);
  if (isa<FloatType>(from)) {
    if (toFloat)
      return foldElementwise<APFloat, APFloat>(*this, {input}, [&](ArrayRef<APFloat> x) {
        APFloat v = x[0];
        bool lost;
        v.convert(toFloat.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        return OptFloat(v);
      });
    unsigned width = to.getIntOrFloatBitWidth();
    return foldElementwise<APFloat, APInt>(*this, {input}, [&](ArrayRef<APFloat> x) {
      if (width == 1)
        return OptInt(APInt(1, !x[0].isZero()));
      APSInt v(width, /*isUnsigned=*/to.isUnsignedInteger());
      bool exact;
      x[0].convertToInteger(v, APFloat::rmTowardZero, &exact);
      return OptInt(v);
    });
  }
  // Booleans and unsigned integers widen with zeros, as the lowering's
  // extui/uitofp do.
  bool fromUnsigned = from.isInteger(1) || from.isUnsignedInteger();
  if (toFloat)
    return foldElementwise<APInt, APFloat>(*this, {input}, [&](ArrayRef<APInt> x) {
      APFloat v(toFloat.getFloatSemantics());
      v.convertFromAPInt(x[0], /*IsSigned=*/!fromUnsigned, APFloat::rmNearestTiesToEven);
      return OptFloat(v);
    });
  unsigned width = to.getIntOrFloatBitWidth();
  return foldElementwise<APInt, APInt>(*this, {input}, [&](ArrayRef<APInt> x) {
    if (width == 1)
      return OptInt(APInt(1, !x[0].isZero()));
    return OptInt(fromUnsigned ? x[0].zextOrTrunc(width) : x[0].sextOrTrunc(width));
  });
}

OpFoldResult WhereOp::fold(FoldAdaptor a) {
  DenseElementsAttr condition = asDense(a.getCondition());
  if (!condition)
    return {};
  if (condition.isSplat()) {
    Value taken = condition.getSplatValue<bool>() ? getX() : getY();
    if (taken.getType() == getType())
      return taken;
  }
  DenseElementsAttr x = asDense(a.getX()), y = asDense(a.getY());
  if (!x || !y)
    return {};
  if (isa<FloatType>(x.getElementType())) {
    // Put the condition in the same value domain as the branches.
    RankedTensorType type = foldableResultType(*this, false);
    if (!type)
      return {};
    auto c = broadcastValues<bool>(condition, type.getShape());
    auto xs = broadcastValues<APFloat>(x, type.getShape());
    auto ys = broadcastValues<APFloat>(y, type.getShape());
    SmallVector<APFloat> r;
    for (size_t i = 0; i < c.size(); ++i)
      r.push_back(c[i] ? xs[i] : ys[i]);
    return DenseElementsAttr::get(type, r);
  }
  RankedTensorType type = foldableResultType(*this, false);
  if (!type)
    return {};
  auto c = broadcastValues<bool>(condition, type.getShape());
  auto xs = broadcastValues<APInt>(x, type.getShape());
  auto ys = broadcastValues<APInt>(y, type.getShape());
  SmallVector<APInt> r;
  for (size_t i = 0; i < c.size(); ++i)
    r.push_back(c[i] ? xs[i] : ys[i]);
  return DenseElementsAttr::get(type, r);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto inputType = getInput().getType();
  SmallVector<int64_t> dims;
  int64_t rank = inputType.getRank();
  int64_t start = getStart() < 0 ? std::max<int64_t>(getStart() + rank, 0)
                                 : std::min<int64_t>(getStart(), rank);
  for (int64_t i = start, e = start + getType().getDimSize(0); i < e; ++i) {
    if (inputType.isDynamicDim(i))
      return {};
    dims.push_back(inputType.getDimSize(i));
  }
  return DenseIntElementsAttr::get(getType(), dims);
}

/// A constant reshaped into the op's static result type.
static OpFoldResult reshapeConstant(Operation *op, Attribute input) {
  DenseElementsAttr attr = asDense(input);
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!attr || !type || !type.hasStaticShape())
    return {};
  return attr.reshape(type);
}

/// Whether a Reshape or an Expand provably gives its input's shape: the same
/// type, each dynamic dim kept (its shape entry that dim, or traced to it).
template <typename OpTy> static bool keepsEveryDim(OpTy op) {
  RankedTensorType type = op.getType();
  if (op.getInput().getType() != type)
    return false;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d) && !keepsDim(op.getResult(), op.getShape(), d, op.getInput(), d))
      return false;
  return true;
}

OpFoldResult ReshapeOp::fold(FoldAdaptor a) {
  if (keepsEveryDim(*this))
    return getInput();
  return reshapeConstant(*this, a.getInput());
}
OpFoldResult SqueezeOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  return reshapeConstant(*this, a.getInput());
}
OpFoldResult UnsqueezeOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  return reshapeConstant(*this, a.getInput());
}

OpFoldResult AttentionOp::fold(FoldAdaptor) {
  // As many queries as keys: the first positions are the last ones.
  if (getCausalFromStart() && provablyEqualDims(getQuery(), 2, getKey(), 2)) {
    setCausalFromStart(false);
    return getResult();
  }
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor a) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  // A transpose undone: result dim i is the inner input's inner[outer[i]].
  if (auto inner = getInput().getDefiningOp<TransposeOp>();
      inner && inner.getInput().getType() == getType() &&
      llvm::all_of(llvm::seq<int64_t>(0, getPerm().size()),
                   [&](int64_t i) { return inner.getPerm()[getPerm()[i]] == i; }))
    return inner.getInput();
  if (DenseElementsAttr input = asDense(a.getInput()); input && input.isSplat())
    return input.resizeSplat(getType());
  return {};
}

OpFoldResult ExpandOp::fold(FoldAdaptor a) {
  if (keepsEveryDim(*this))
    return getInput();
  DenseElementsAttr input = asDense(a.getInput());
  if (input && input.isSplat() && getType().hasStaticShape())
    return input.resizeSplat(getType());
  return {};
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  if (!getType().hasStaticShape())
    return {};
  auto value = dyn_cast<DenseElementsAttr>(getValue());
  if (!value)
    return {};
  return DenseElementsAttr::get(getType(), value.getValues<Attribute>()[0]);
}

OpFoldResult ConcatOp::fold(FoldAdaptor a) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  RankedTensorType type = foldableResultType(*this, false);
  if (!type)
    return {};
  int64_t axis = getAxis();
  // Row-major concatenation: for each outer index, append each input's slab.
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= type.getDimSize(i);
  SmallVector<SmallVector<Attribute>> parts;
  SmallVector<int64_t> slab;
  for (Attribute attr : a.getInputs()) {
    DenseElementsAttr input = asDense(attr);
    if (!input)
      return {};
    parts.push_back(llvm::to_vector(input.getValues<Attribute>()));
    slab.push_back(input.getNumElements() / std::max<int64_t>(outer, 1));
  }
  SmallVector<Attribute> result;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t p = 0; p < parts.size(); ++p)
      for (int64_t i = 0; i < slab[p]; ++i)
        result.push_back(parts[p][o * slab[p] + i]);
  return DenseElementsAttr::get(type, result);
}

/// A constant's pieces (shape tensors that exporters split, such as the
/// repeat counts of torch's repeat_interleave), each of a static type.
LogicalResult SplitOp::fold(FoldAdaptor a, SmallVectorImpl<OpFoldResult> &results) {
  DenseElementsAttr input = asDense(a.getInput());
  auto inputType = getInput().getType();
  if (!input || !inputType.hasStaticShape() || llvm::any_of(getResultTypes(), [](Type t) {
        return !cast<RankedTensorType>(t).hasStaticShape();
      }))
    return failure();
  // Row-major: for each outer index, each piece takes its slab in turn.
  int64_t axis = getAxis(), outer = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= inputType.getDimSize(i);
  int64_t inner = inputType.getNumElements() / std::max<int64_t>(outer, 1);
  SmallVector<Attribute> values = llvm::to_vector(input.getValues<Attribute>());
  int64_t offset = 0;
  for (Type t : getResultTypes()) {
    auto type = cast<RankedTensorType>(t);
    int64_t slab = type.getNumElements() / std::max<int64_t>(outer, 1);
    SmallVector<Attribute> piece;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < slab; ++i)
        piece.push_back(values[o * inner + offset + i]);
    results.push_back(DenseElementsAttr::get(type, piece));
    offset += slab;
  }
  return success();
}

static std::optional<SmallVector<int64_t>> intValues(Attribute attr) {
  auto dense = dyn_cast_if_present<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  return llvm::to_vector(llvm::map_range(
      dense.getValues<APInt>(), [](const APInt &v) { return v.getSExtValue(); }));
}

OpFoldResult SliceOp::fold(FoldAdaptor a) {
  auto starts = intValues(a.getStarts()), ends = intValues(a.getEnds());
  auto axes = intValues(a.getAxes()), steps = intValues(a.getSteps());
  if (!starts || !axes || !steps)
    return {};
  auto inputType = getInput().getType();
  int64_t rank = inputType.getRank();
  // Per dim: first index and step; the length comes from the result type.
  SmallVector<int64_t> first(rank, 0), step(rank, 1);
  bool identity = getType() == inputType;
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t axis = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
    int64_t dim = inputType.getDimSize(axis);
    int64_t s = (*starts)[i], st = (*steps)[i];
    // An end past any dim (INT64_MAX from exporters) keeps a dynamic dim
    // whole, and so does an end computed as that dim (`x[..., :n]` with n
    // x's own length); a smaller end may cut it, equal types or not.
    bool wholeDim;
    if (!ends) {
      Value end = shapeEntryIndex(getEnds(), i);
      wholeDim = ShapedType::isDynamic(dim) && end && indexIsDim(end, getInput(), axis);
    } else {
      int64_t e = (*ends)[i];
      wholeDim = ShapedType::isDynamic(dim) ? e >= std::numeric_limits<int32_t>::max() : e >= dim;
    }
    identity &= s == 0 && st == 1 && wholeDim;
    if (!ends || ShapedType::isDynamic(dim))
      continue;
    if (s < 0)
      s += dim;
    first[axis] = st > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, dim - 1);
    step[axis] = st;
  }
  if (identity)
    return getInput();
  DenseElementsAttr input = asDense(a.getInput());
  if (!ends)
    return {};
  RankedTensorType type = foldableResultType(*this, input && input.isSplat());
  if (!input || !type || !inputType.hasStaticShape())
    return {};
  if (input.isSplat())
    return input.resizeSplat(type);
  auto values = llvm::to_vector(input.getValues<Attribute>());
  SmallVector<int64_t> inputStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inputStrides[d] = inputStrides[d + 1] * inputType.getDimSize(d + 1);
  SmallVector<Attribute> result;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < type.getNumElements(); ++linear) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += (first[d] + index[d] * step[d]) * inputStrides[d];
    result.push_back(values[offset]);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == type.getDimSize(d); --d)
      index[d] = 0;
  }
  return DenseElementsAttr::get(type, result);
}

OpFoldResult GatherOp::fold(FoldAdaptor a) {
  DenseElementsAttr input = asDense(a.getInput());
  auto indices = intValues(a.getIndices());
  RankedTensorType type = foldableResultType(*this, false);
  auto inputType = getInput().getType();
  if (!input || !indices || !type || !inputType.hasStaticShape())
    return {};
  int64_t axis = getAxis();
  int64_t dim = inputType.getDimSize(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= inputType.getDimSize(d);
  for (int64_t d = axis + 1; d < inputType.getRank(); ++d)
    inner *= inputType.getDimSize(d);
  auto values = llvm::to_vector(input.getValues<Attribute>());
  SmallVector<Attribute> result;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t idx : *indices) {
      if (idx < -dim || idx >= dim)
        return {};
      if (idx < 0)
        idx += dim;
      for (int64_t i = 0; i < inner; ++i)
        result.push_back(values[(o * dim + idx) * inner + i]);
    }
  return DenseElementsAttr::get(type, result);
}

OpFoldResult RangeOp::fold(FoldAdaptor a) {
  DenseElementsAttr start = asDense(a.getStart()), limit = asDense(a.getLimit()),
                    delta = asDense(a.getDelta());
  RankedTensorType type = foldableResultType(*this, false);
  if (!start || !limit || !delta || !type)
    return {};
  int64_t n = type.getDimSize(0);
  if (auto floatType = dyn_cast<FloatType>(type.getElementType())) {
    double s = (*start.getValues<APFloat>().begin()).convertToDouble();
    double d = (*delta.getValues<APFloat>().begin()).convertToDouble();
    SmallVector<APFloat> r;
    for (int64_t i = 0; i < n; ++i) {
      APFloat v(s + i * d);
      bool lost;
      v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      r.push_back(v);
    }
    return DenseElementsAttr::get(type, r);
  }
  APInt s = *start.getValues<APInt>().begin(), d = *delta.getValues<APInt>().begin();
  SmallVector<APInt> r;
  for (int64_t i = 0; i < n; ++i, s += d)
    r.push_back(s);
  return DenseElementsAttr::get(type, r);
}

/// A ScatterND that replaces every element of data, each tuple naming its
/// own place in the grid of tuples, is its updates: exporters write a slice
/// assignment `x[..., :n] = y` of all of x so (the tuples a meshgrid of
/// aranges), and transformers' causal masks are made with one.
OpFoldResult ScatterNDOp::fold(FoldAdaptor) {
  auto indicesType = getIndices().getType();
  int64_t tupleRank = indicesType.getRank() - 1, k = indicesType.getDimSize(tupleRank);
  if (getReduction() != "none" || tupleRank != k || getUpdates().getType() != getType())
    return {};
  // Updates must be data's shape at run time too (the lowering checks that).
  for (int64_t d = 0; d < getType().getRank(); ++d)
    if (getType().isDynamicDim(d) && !provablyEqualDims(getUpdates(), d, getData(), d))
      return {};
  SmallVector<Value> entries = {getIndices()};
  if (auto concat = getIndices().getDefiningOp<ConcatOp>(); concat && concat.getAxis() == k)
    entries = llvm::to_vector(concat.getInputs());
  if (static_cast<int64_t>(entries.size()) != k)
    return {};
  auto zeros = [](Value v) {
    if (auto expand = v.getDefiningOp<ExpandOp>())
      v = expand.getInput();
    DenseIntElementsAttr c;
    return matchPattern(v, m_Constant(&c)) && c.isSplat() && c.getSplatValue<APInt>().isZero();
  };
  for (auto [j, entry] : llvm::enumerate(entries)) {
    // Entry j of each tuple is the tuple's index along the grid's axis j
    // (zero where data's dim is 1), and that axis is as long as data's.
    auto unsqueeze = entry.getDefiningOp<UnsqueezeOp>();
    if (!unsqueeze || unsqueeze.getAxes() != ArrayRef<int64_t>{k} ||
        !provablyEqualDims(getIndices(), j, getData(), j))
      return {};
    std::optional<Positions> positions = matchPositions(unsqueeze.getInput());
    bool ownIndex = positions ? !positions->base && positions->offset == 0 &&
                                    positions->fromEnd == k - int64_t(j)
                              : getType().getDimSize(j) == 1 && zeros(unsqueeze.getInput());
    if (!ownIndex)
      return {};
  }
  return getUpdates();
}
