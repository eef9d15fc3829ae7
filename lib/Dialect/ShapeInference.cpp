//===- ShapeInference.cpp - result types of genc ops -----------------------===//
//
// Each op infers its result type from operand types, attributes and, for
// shape operands, whatever entries are known constants. Dynamic dims stay
// dynamic; errors name the shapes that disagree.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/Broadcast.h"
#include "genc/Dialect/GencOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::genc;

static constexpr int64_t kDyn = ShapedType::kDynamic;

static RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Fails, naming the rank, unless 0 <= axis < rank: genc ops take axes
/// normalised (the importer resolves ONNX's negative ones).
static LogicalResult checkAxis(std::optional<Location> loc, int64_t axis, int64_t rank) {
  if (axis >= 0 && axis < rank)
    return success();
  return emitOptionalError(loc, "axis ", axis, " is out of range [0, ", rank, ")",
                           axis < 0 && axis >= -rank ? " (genc ops take axes normalised)" : "");
}

/// Numpy broadcasting of two shapes (genc/Dialect/Broadcast.h), with an
/// error where they do not broadcast.
static FailureOr<SmallVector<int64_t>> broadcast(std::optional<Location> loc,
                                                 ArrayRef<int64_t> a,
                                                 ArrayRef<int64_t> b) {
  std::optional<SmallVector<int64_t>> result = broadcastShapes(a, b);
  if (!result) {
    (void)emitOptionalError(loc, "operand shapes ", formatShape(a), " and ",
                            formatShape(b), " cannot be broadcast together");
    return failure();
  }
  return *result;
}

static LogicalResult inferBroadcast(std::optional<Location> loc, ValueRange operands,
                                    Type elementType,
                                    SmallVectorImpl<Type> &inferred) {
  SmallVector<int64_t> shape;
  for (Value v : operands) {
    auto next = broadcast(loc, shape, rankedType(v).getShape());
    if (failed(next))
      return failure();
    shape = *next;
  }
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define GENC_INFER_BINARY(OP, RESULT_ELEMENT)                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &inferred) {        \
    Type lhsElement = rankedType(adaptor.getLhs()).getElementType();           \
    Type rhsElement = rankedType(adaptor.getRhs()).getElementType();           \
    if (lhsElement != rhsElement)                                              \
      return emitOptionalError(loc, "operand element types ", lhsElement,      \
                               " and ", rhsElement, " differ");                \
    (void)lhsElement;                                                          \
    return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},           \
                          RESULT_ELEMENT, inferred);                           \
  }

#define ARITH lhsElement
#define BOOL IntegerType::get(ctx, 1)
GENC_INFER_BINARY(AddOp, ARITH)
GENC_INFER_BINARY(SubOp, ARITH)
GENC_INFER_BINARY(MulOp, ARITH)
GENC_INFER_BINARY(DivOp, ARITH)
GENC_INFER_BINARY(ModOp, ARITH)
GENC_INFER_BINARY(MaxOp, ARITH)
GENC_INFER_BINARY(MinOp, ARITH)
GENC_INFER_BINARY(AndOp, ARITH)
GENC_INFER_BINARY(OrOp, ARITH)
GENC_INFER_BINARY(XorOp, ARITH)
GENC_INFER_BINARY(EqualOp, BOOL)
GENC_INFER_BINARY(LessOp, BOOL)
GENC_INFER_BINARY(LessEqualOp, BOOL)
GENC_INFER_BINARY(GreaterOp, BOOL)
GENC_INFER_BINARY(GreaterEqualOp, BOOL)
#undef ARITH
#undef BOOL
#undef GENC_INFER_BINARY

// Pow may raise to an exponent of another element type (ONNX allows it).
LogicalResult PowOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},
                        rankedType(adaptor.getLhs()).getElementType(), inferred);
}

#define GENC_INFER_SAME(OP)                                                    \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &inferred) {        \
    inferred.push_back(adaptor.getInput().getType());                          \
    return success();                                                          \
  }
GENC_INFER_SAME(NegOp)
GENC_INFER_SAME(AbsOp)
GENC_INFER_SAME(SqrtOp)
GENC_INFER_SAME(ReciprocalOp)
GENC_INFER_SAME(ExpOp)
GENC_INFER_SAME(LogOp)
GENC_INFER_SAME(TanhOp)
GENC_INFER_SAME(SigmoidOp)
GENC_INFER_SAME(SiluOp)
GENC_INFER_SAME(ReluOp)
GENC_INFER_SAME(ErfOp)
GENC_INFER_SAME(SinOp)
GENC_INFER_SAME(CosOp)
GENC_INFER_SAME(FloorOp)
GENC_INFER_SAME(CeilOp)
GENC_INFER_SAME(RoundOp)
GENC_INFER_SAME(NotOp)
GENC_INFER_SAME(GeluOp)
GENC_INFER_SAME(TriluOp)
GENC_INFER_SAME(RotaryOp)
#undef GENC_INFER_SAME

/// The input's type, for ops along one axis.
template <typename Adaptor>
static LogicalResult inferAlongAxis(std::optional<Location> loc, Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  if (failed(checkAxis(loc, adaptor.getAxis(), inputType.getRank())))
    return failure();
  inferred.push_back(inputType);
  return success();
}

LogicalResult CumSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferAlongAxis(loc, adaptor, inferred);
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferAlongAxis(loc, adaptor, inferred);
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  inferred.push_back(rankedType(adaptor.getInput()).clone(adaptor.getTo()));
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  Type x = rankedType(adaptor.getX()).getElementType();
  Type y = rankedType(adaptor.getY()).getElementType();
  if (x != y)
    return emitOptionalError(loc, "branches have element types ", x, " and ", y);
  if (!rankedType(adaptor.getCondition()).getElementType().isInteger(1))
    return emitOptionalError(loc, "condition must be boolean");
  return inferBroadcast(loc, {adaptor.getCondition(), adaptor.getX(), adaptor.getY()},
                        x, inferred);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  std::optional<int64_t> end;
  if (adaptor.getEnd())
    end = static_cast<int64_t>(*adaptor.getEnd());
  auto [first, last] =
      shapeBounds(rankedType(adaptor.getInput()).getRank(), adaptor.getStart(), end);
  inferred.push_back(RankedTensorType::get({last - first}, IntegerType::get(ctx, 64)));
  return success();
}

/// If entry `i` of `shape` is tensor.dim of a value and that dim is, after
/// tracing, dim k of `input` (k not yet used), returns k.
static std::optional<int64_t> matchInputDim(Value shape, size_t i, Value input,
                                            ArrayRef<bool> used) {
  std::optional<DimSource> source = getShapeEntryDim(shape, i);
  if (!source)
    return std::nullopt;
  DimSource entry = traceDim(source->value, source->dim);
  auto inputType = cast<RankedTensorType>(input.getType());
  for (int64_t k = 0; k < inputType.getRank(); ++k)
    if (!used[k] && inputType.isDynamicDim(k) && traceDim(input, k) == entry)
      return k;
  return std::nullopt;
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  auto entries = getKnownShapeEntries(adaptor.getShape());
  if (failed(entries))
    return emitOptionalError(loc, "the rank of the result is unknown: the shape "
                                  "operand has a dynamic length");
  // Entries that copy an input dim (0) cancel that dim on both sides, so
  // -1 can be inferred even when the copied dims are dynamic.
  SmallVector<int64_t> shape;
  SmallVector<bool> copied(inputType.getRank(), false);
  int64_t inferredAt = -1, knownProduct = 1;
  bool allKnown = true;
  for (auto [i, e] : llvm::enumerate(*entries)) {
    int64_t dim = e;
    if (e == 0 && !adaptor.getAllowzero()) {
      if (static_cast<int64_t>(i) >= inputType.getRank())
        return emitOptionalError(loc, "shape ", formatShape(*entries), " copies dim ", i,
                                 " of a rank-", inputType.getRank(), " input");
      shape.push_back(inputType.getDimSize(i));
      copied[i] = true;
      continue;
    }
    if (e == -1) {
      if (inferredAt >= 0)
        return emitOptionalError(loc, "shape ", formatShape(*entries),
                                 " has more than one -1");
      inferredAt = i;
      shape.push_back(kDyn);
      continue;
    }
    if (!ShapedType::isDynamic(dim) && dim < 0)
      return emitOptionalError(loc, "shape entry ", dim, " is invalid");
    if (ShapedType::isDynamic(dim)) {
      // An entry that is one of the input's own dims cancels like a 0.
      if (std::optional<int64_t> k =
              matchInputDim(adaptor.getShape(), i, adaptor.getInput(), copied)) {
        shape.push_back(kDyn);
        copied[*k] = true;
        continue;
      }
      allKnown = false;
    } else {
      knownProduct *= dim;
    }
    shape.push_back(dim);
  }
  int64_t remaining = 1;
  bool remainingKnown = true;
  for (int64_t i = 0; i < inputType.getRank(); ++i) {
    if (copied[i])
      continue;
    if (inputType.isDynamicDim(i))
      remainingKnown = false;
    else
      remaining *= inputType.getDimSize(i);
  }
  if (allKnown && remainingKnown) {
    if (inferredAt >= 0) {
      if (knownProduct == 0 || remaining % knownProduct != 0)
        return emitOptionalError(loc, "cannot reshape ", formatShape(inputType.getShape()),
                                 " to ", formatShape(*entries));
      shape[inferredAt] = remaining / knownProduct;
    } else if (knownProduct != remaining) {
      return emitOptionalError(loc, "cannot reshape ", formatShape(inputType.getShape()),
                               " to ", formatShape(shape), ": the element counts differ");
    }
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  SmallVector<int64_t> shape;
  for (int64_t p : adaptor.getPerm()) {
    if (p < 0 || p >= inputType.getRank())
      return emitOptionalError(loc, "perm entry ", p, " is out of range for rank ",
                               inputType.getRank());
    shape.push_back(inputType.getDimSize(p));
  }
  inferred.push_back(inputType.clone(shape));
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  int64_t rank = inputType.getRank();
  SmallVector<bool> drop(rank, false);
  if (adaptor.getAxes().empty()) {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = inputType.getDimSize(i) == 1;
  }
  for (int64_t axis : adaptor.getAxes()) {
    if (failed(checkAxis(loc, axis, rank)))
      return failure();
    int64_t dim = inputType.getDimSize(axis);
    if (!ShapedType::isDynamic(dim) && dim != 1)
      return emitOptionalError(loc, "cannot squeeze dim ", axis, " of size ", dim);
    drop[axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(inputType.getDimSize(i));
  inferred.push_back(inputType.clone(shape));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  int64_t rank = inputType.getRank() + adaptor.getAxes().size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : adaptor.getAxes()) {
    if (failed(checkAxis(loc, axis, rank)))
      return failure();
    if (inserted[axis])
      return emitOptionalError(loc, "axis ", axis, " appears twice");
    inserted[axis] = true;
  }
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> in = inputType.getShape();
  for (int64_t i = 0, j = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : in[j++]);
  inferred.push_back(inputType.clone(shape));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "needs at least one input");
  auto first = rankedType(adaptor.getInputs()[0]);
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    auto t = rankedType(v);
    if (t.getRank() != first.getRank() || t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "inputs ", first, " and ", t, " cannot be concatenated");
    for (int64_t i = 0; i < t.getRank(); ++i) {
      int64_t d = t.getDimSize(i);
      if (i == axis) {
        shape[i] = ShapedType::isDynamic(d) || ShapedType::isDynamic(shape[i])
                       ? kDyn
                       : shape[i] + d;
      } else if (ShapedType::isDynamic(shape[i])) {
        shape[i] = d;
      } else if (!ShapedType::isDynamic(d) && d != shape[i]) {
        return emitOptionalError(loc, "inputs ", formatShape(first.getShape()), " and ",
                                 formatShape(t.getShape()), " differ outside axis ",
                                 axis);
      }
    }
  }
  inferred.push_back(first.clone(shape));
  return success();
}

/// The ONNX Slice length of a dim of size `dim` for one (start, end, step).
static int64_t sliceLength(int64_t dim, int64_t start, int64_t end, int64_t step) {
  auto clampIndex = [&](int64_t i, int64_t lo, int64_t hi) {
    if (i < 0)
      i += dim;
    return std::clamp(i, lo, hi);
  };
  if (step > 0) {
    start = clampIndex(start, 0, dim);
    end = clampIndex(end, 0, dim);
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = clampIndex(start, 0, dim - 1);
  end = clampIndex(end, -1, dim - 1);
  return start > end ? (start - end - step - 1) / (-step) : 0;
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  SmallVector<int64_t> shape(inputType.getShape());
  auto starts = getKnownShapeEntries(adaptor.getStarts());
  auto ends = getKnownShapeEntries(adaptor.getEnds());
  auto axes = getKnownShapeEntries(adaptor.getAxes());
  auto steps = getKnownShapeEntries(adaptor.getSteps());
  if (failed(axes) || llvm::any_of(*axes, ShapedType::isDynamic)) {
    // Which dims change is unknown: all of them may.
    inferred.push_back(inputType.clone(SmallVector<int64_t>(shape.size(), kDyn)));
    return success();
  }
  size_t n = axes->size();
  if ((succeeded(starts) && starts->size() != n) || (succeeded(ends) && ends->size() != n) ||
      (succeeded(steps) && steps->size() != n))
    return emitOptionalError(loc, "starts, ends, axes and steps must have equal lengths");
  for (size_t i = 0; i < n; ++i) {
    // Slice's axes are an operand, read as ONNX reads them: they may be
    // negative.
    int64_t rank = inputType.getRank(), axis = (*axes)[i] < 0 ? (*axes)[i] + rank : (*axes)[i];
    if (axis < 0 || axis >= rank)
      return emitOptionalError(loc, "axis ", (*axes)[i], " is out of range for rank ", rank);
    int64_t dim = shape[axis];
    bool known = succeeded(starts) && succeeded(ends) && succeeded(steps) &&
                 !ShapedType::isDynamic((*starts)[i]) &&
                 !ShapedType::isDynamic((*ends)[i]) && !ShapedType::isDynamic((*steps)[i]);
    if (known && (*steps)[i] == 0)
      return emitOptionalError(loc, "slice step must not be 0");
    if (known && !ShapedType::isDynamic(dim))
      shape[axis] = sliceLength(dim, (*starts)[i], (*ends)[i], (*steps)[i]);
    else if (known && (*starts)[i] == 0 && (*steps)[i] == 1 &&
             (*ends)[i] >= std::numeric_limits<int32_t>::max())
      shape[axis] = dim; // The whole dim, whatever its size.
    else
      shape[axis] = kDyn;
  }
  inferred.push_back(inputType.clone(shape));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, inputType.getRank())))
    return failure();
  SmallVector<int64_t> shape(inputType.getShape().take_front(axis));
  llvm::append_range(shape, rankedType(adaptor.getIndices()).getShape());
  llvm::append_range(shape, inputType.getShape().drop_front(axis + 1));
  inferred.push_back(inputType.clone(shape));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  inferred.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  inferred.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  int64_t rank = rankedType(adaptor.getInput()).getRank();
  if (rank == 0)
    return emitOptionalError(loc, "the input must have at least one dim");
  inferred.push_back(
      RankedTensorType::get({rank, ShapedType::kDynamic}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  auto entries = getKnownShapeEntries(adaptor.getShape());
  if (failed(entries))
    return emitOptionalError(loc, "the rank of the result is unknown: the shape "
                                  "operand has a dynamic length");
  // An unknown entry may be 1 (keep the input dim) or the input dim: only
  // a static input dim other than 1 decides it.
  SmallVector<int64_t> target = *entries;
  auto shape = broadcast(loc, inputType.getShape(), target);
  if (failed(shape))
    return failure();
  size_t offset = shape->size() - target.size();
  for (size_t i = 0; i < target.size(); ++i) {
    size_t inputIndex = i + offset;
    int64_t inputDim = inputIndex >= shape->size() - inputType.getRank()
                           ? inputType.getDimSize(inputIndex - (shape->size() - inputType.getRank()))
                           : 1;
    if (ShapedType::isDynamic(target[i]) && inputDim == 1)
      (*shape)[inputIndex] = kDyn;
  }
  inferred.push_back(inputType.clone(*shape));
  return success();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  auto entries = getKnownShapeEntries(adaptor.getShape());
  if (failed(entries))
    return emitOptionalError(loc, "the rank of the result is unknown: the shape "
                                  "operand has a dynamic length");
  auto valueType = cast<ShapedType>(adaptor.getValue().getType());
  inferred.push_back(RankedTensorType::get(*entries, valueType.getElementType()));
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  Type element = rankedType(adaptor.getStart()).getElementType();
  int64_t length = kDyn;
  auto scalar = [](Value v) -> std::optional<double> {
    DenseElementsAttr attr;
    if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
      return std::nullopt;
    if (isa<FloatType>(attr.getElementType()))
      return (*attr.getValues<APFloat>().begin()).convertToDouble();
    return static_cast<double>((*attr.getValues<APInt>().begin()).getSExtValue());
  };
  auto start = scalar(adaptor.getStart()), limit = scalar(adaptor.getLimit()),
       delta = scalar(adaptor.getDelta());
  if (start && limit && delta) {
    if (*delta == 0)
      return emitOptionalError(loc, "range delta must not be 0");
    length = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((*limit - *start) / *delta)));
  }
  inferred.push_back(RankedTensorType::get({length}, element));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferReduction(std::optional<Location> loc, Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, adaptor.getAxes().empty());
  for (int64_t axis : adaptor.getAxes()) {
    if (failed(checkAxis(loc, axis, rank)))
      return failure();
    reduced[axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(inputType.getDimSize(i));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  inferred.push_back(inputType.clone(shape));
  return success();
}

#define GENC_INFER_REDUCTION(OP)                                               \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &inferred) {        \
    return inferReduction(loc, adaptor, inferred);                             \
  }
GENC_INFER_REDUCTION(ReduceSumOp)
GENC_INFER_REDUCTION(ReduceMeanOp)
GENC_INFER_REDUCTION(ReduceMaxOp)
GENC_INFER_REDUCTION(ReduceMinOp)
GENC_INFER_REDUCTION(ReduceProdOp)
#undef GENC_INFER_REDUCTION

//===----------------------------------------------------------------------===//
// NN
//===----------------------------------------------------------------------===//

/// Two dims that must agree: the static one wins, a conflict fails.
static FailureOr<int64_t> unifyDims(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a))
    return b;
  if (ShapedType::isDynamic(b) || a == b)
    return a;
  return failure();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto lhsType = rankedType(adaptor.getLhs());
  auto rhsType = rankedType(adaptor.getRhs());
  if (lhsType.getElementType() != rhsType.getElementType())
    return emitOptionalError(loc, "operand element types ", lhsType.getElementType(),
                             " and ", rhsType.getElementType(), " differ");
  if (lhsType.getRank() == 0 || rhsType.getRank() == 0)
    return emitOptionalError(loc, "matmul operands must have rank >= 1");
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  if (failed(unifyDims(lhs.back(), rhs[rhs.size() - 2])))
    return emitOptionalError(loc, "operand shapes ", formatShape(lhsType.getShape()),
                             " and ", formatShape(rhsType.getShape()),
                             " cannot be multiplied");
  auto batch = broadcast(loc, ArrayRef(lhs).drop_back(2), ArrayRef(rhs).drop_back(2));
  if (failed(batch))
    return failure();
  SmallVector<int64_t> shape = *batch;
  if (!lhsVector)
    shape.push_back(lhs[lhs.size() - 2]);
  if (!rhsVector)
    shape.push_back(rhs.back());
  inferred.push_back(lhsType.clone(shape));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto aType = rankedType(adaptor.getA());
  auto bType = rankedType(adaptor.getB());
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return emitOptionalError(loc, "Gemm operands must be 2-D, got ",
                             formatShape(aType.getShape()), " and ",
                             formatShape(bType.getShape()));
  int64_t m = aType.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t ka = aType.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t kb = bType.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = bType.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (failed(unifyDims(ka, kb)))
    return emitOptionalError(loc, "operand shapes ", formatShape(aType.getShape()), " and ",
                             formatShape(bType.getShape()), " cannot be multiplied");
  SmallVector<int64_t> shape = {m, n};
  if (adaptor.getC()) {
    auto withBias = broadcast(loc, shape, rankedType(adaptor.getC()).getShape());
    if (failed(withBias) || withBias->size() != 2)
      return emitOptionalError(loc, "bias does not broadcast to ", formatShape(shape));
    shape = *withBias;
  }
  inferred.push_back(aType.clone(shape));
  return success();
}

template <typename Adaptor>
static LogicalResult inferNormalization(std::optional<Location> loc, Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedType(adaptor.getInput());
  if (failed(checkAxis(loc, adaptor.getAxis(), inputType.getRank())))
    return failure();
  auto normalized = inputType.getShape().drop_front(adaptor.getAxis());
  auto scaleShape = rankedType(adaptor.getScale()).getShape();
  auto scaled = broadcast(loc, normalized, scaleShape);
  if (failed(scaled) || scaled->size() != normalized.size())
    return emitOptionalError(loc, "scale ", formatShape(scaleShape),
                             " does not broadcast to the normalised dims ",
                             formatShape(normalized));
  inferred.push_back(inputType);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferNormalization(loc, adaptor, inferred);
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferNormalization(loc, adaptor, inferred);
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto q = rankedType(adaptor.getQuery());
  auto k = rankedType(adaptor.getKey());
  auto v = rankedType(adaptor.getValue());
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOptionalError(loc, "query, key and value must be [B, H, S, D]");
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) && (hkv == 0 || hq % hkv))
    return emitOptionalError(loc, "query heads (", hq,
                             ") must be a multiple of key/value heads (", hkv, ")");
  if (failed(unifyDims(q.getDimSize(3), k.getDimSize(3))))
    return emitOptionalError(loc, "query head size ", q.getDimSize(3),
                             " differs from key head size ", k.getDimSize(3));
  if (failed(unifyDims(k.getDimSize(2), v.getDimSize(2))) ||
      failed(unifyDims(k.getDimSize(1), v.getDimSize(1))))
    return emitOptionalError(loc, "key ", formatShape(k.getShape()), " and value ",
                             formatShape(v.getShape()), " disagree on heads or length");
  inferred.push_back(q.clone(SmallVector<int64_t>{q.getDimSize(0), hq, q.getDimSize(2),
                                                  v.getDimSize(3)}));
  return success();
}
