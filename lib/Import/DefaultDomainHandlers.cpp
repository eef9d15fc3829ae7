//===- DefaultDomainHandlers.cpp - ai.onnx ops → genc ----------------------===//
//
// One registration per (op, since_version). Each handler normalises its
// version's inputs and attributes to one canonical genc op; no pass sees
// the version an op came from.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "genc/Dialect/MatmulAttributes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

#include <limits>

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

namespace {

LogicalResult setResult(NodeImporter &n, FailureOr<Value> v) {
  if (failed(v))
    return failure();
  return n.setOutputs({*v});
}

template <typename OpTy>
LogicalResult unary(NodeImporter &n) {
  return setResult(n, n.create<OpTy>({n.input(0)}));
}

template <typename OpTy>
LogicalResult binary(NodeImporter &n) {
  return setResult(n, n.create<OpTy>({n.input(0), n.input(1)}));
}

// Max, Min, Sum: variadic in ONNX, a chain of binary ops here.
template <typename OpTy>
LogicalResult variadic(NodeImporter &n) {
  Value acc = n.input(0);
  for (size_t i = 1; i < n.numInputs(); ++i) {
    auto next = n.create<OpTy>({acc, n.input(i)});
    if (failed(next))
      return failure();
    acc = *next;
  }
  return n.setOutputs({acc});
}

LogicalResult identity(NodeImporter &n) { return n.setOutputs({n.input(0)}); }

/// Inference-mode Dropout is the identity and its mask all true; training
/// mode is refused.
LogicalResult dropout(NodeImporter &n) {
  if (n.hasInput(2)) {
    DenseIntElementsAttr training;
    if (!matchPattern(n.input(2), m_Constant(&training)) ||
        training.getValues<APInt>()[0].getBoolValue())
      return n.emitError() << "training-mode Dropout is not supported; export the model "
                              "in eval mode";
  }
  if (!n.wantsOutput(1))
    return n.setOutputs({n.input(0)});
  OpBuilder &b = n.getBuilder();
  auto shape = n.create<ShapeOp>({n.input(0)});
  if (failed(shape))
    return failure();
  auto allTrue = DenseElementsAttr::get(RankedTensorType::get({1}, b.getI1Type()), true);
  auto mask = n.create<ConstantOfShapeOp>({*shape}, {n.namedAttr("value", allTrue)});
  if (failed(mask))
    return failure();
  return n.setOutputs({n.input(0), *mask});
}

LogicalResult mod(NodeImporter &n) {
  return setResult(n, n.create<ModOp>({n.input(0), n.input(1)},
                                      {n.namedAttr("fmod", n.getBuilder().getBoolAttr(
                                                               n.attrInt("fmod", 0)))}));
}

LogicalResult gelu(NodeImporter &n) {
  std::string approximate = n.attrString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return n.emitError() << "approximate='" << approximate << "' is not 'none' or 'tanh'";
  return setResult(n, n.create<GeluOp>({n.input(0)},
                                       {n.namedAttr("tanh_approximation",
                                                    n.getBuilder().getBoolAttr(approximate == "tanh"))}));
}

/// MatMul; one by a model's 4-bit or 8-bit weights (a DequantizeLinear of
/// them) carries their grid.
LogicalResult matMul(NodeImporter &n) {
  Operation *product = nullptr;
  FailureOr<Value> y = importMatmul(n, n.input(0), n.input(1), &product);
  if (failed(y))
    return failure();
  if (DictionaryAttr grid = n.getWeightGrid(n.input(1)))
    product->setAttr(kWeightGridAttrName, grid);
  return n.setOutputs({*y});
}

LogicalResult castOp(NodeImporter &n) {
  Type to = convertElementType(n.attrInt("to", 0), n.getContext());
  if (!to)
    return n.emitError() << "cast target type " << dataTypeName(n.attrInt("to", 0))
                         << " is not supported" << unsupportedTypeAdvice(n.attrInt("to", 0));
  return setResult(n, n.create<CastOp>({n.input(0)}, {n.namedAttr("to", TypeAttr::get(to))}));
}

/// Clip: min(max(x, low), high), as numpy's clip: high wherever low >
/// high. Each bound is optional: an input (11) or an attribute (6, float
/// inputs), a scalar either way.
template <bool BoundsAreInputs> LogicalResult clip(NodeImporter &n) {
  Value result = n.input(0);
  auto type = cast<RankedTensorType>(result.getType());
  auto bound = [&](int input, const char *attribute) -> FailureOr<Value> {
    if (BoundsAreInputs)
      return n.hasInput(input) ? n.input(input) : Value();
    if (!n.hasAttr(attribute))
      return Value();
    auto elementType = dyn_cast<FloatType>(type.getElementType());
    if (!elementType)
      return n.emitError() << "Clip-6's bounds are for float inputs, not " << type;
    auto scalar = RankedTensorType::get({}, elementType);
    auto value = DenseElementsAttr::get(
        scalar, FloatAttr::get(elementType, n.attrFloat(attribute, 0)).getValue());
    return arith::ConstantOp::create(n.getBuilder(), n.getLoc(), value).getResult();
  };
  FailureOr<Value> low = bound(1, "min");
  FailureOr<Value> high = bound(2, "max");
  if (failed(low) || failed(high))
    return failure();
  if (*low) {
    FailureOr<Value> raised = n.create<MaxOp>({result, *low});
    if (failed(raised))
      return failure();
    result = *raised;
  }
  if (*high) {
    FailureOr<Value> lowered = n.create<MinOp>({result, *high});
    if (failed(lowered))
      return failure();
    result = *lowered;
  }
  return n.setOutputs({result});
}

LogicalResult where(NodeImporter &n) {
  return setResult(n, n.create<WhereOp>({n.input(0), n.input(1), n.input(2)}));
}

LogicalResult constant(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  TypedAttr attr;
  std::string what = "node '" + n.node_proto().name() + "' constant";
  int32_t widened = 0;
  if (const onnx::TensorProto *t = n.attrTensor("value")) {
    auto converted = convertTensor(*t, n.model(), n.getContext(), n.getLoc(), what);
    if (failed(converted))
      return failure();
    attr = cast<TypedAttr>(*converted);
    widened = isWidened(t->data_type()) ? t->data_type() : 0;
  } else if (n.hasAttr("value_float")) {
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                  n.attrFloat("value_float", 0));
  } else if (n.hasAttr("value_int")) {
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                  static_cast<int64_t>(n.attrInt("value_int", 0)));
  } else if (auto ints = n.attrInts("value_ints")) {
    attr = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(ints->size())}, b.getI64Type()),
        ArrayRef<int64_t>(*ints));
  } else {
    return n.emitError() << "only value, value_float, value_int and value_ints constants "
                            "are supported";
  }
  Value value = arith::ConstantOp::create(b, n.getLoc(), attr);
  if (widened)
    n.setWidenedType(value, widened);
  return n.setOutputs({value});
}

//===--- Shape ops -------------------------------------------------------===//

LogicalResult shape(NodeImporter &n) {
  SmallVector<NamedAttribute> attrs;
  OpBuilder &b = n.getBuilder();
  if (n.hasAttr("start"))
    attrs.push_back(n.namedAttr("start", b.getI64IntegerAttr(n.attrInt("start", 0))));
  if (n.hasAttr("end"))
    attrs.push_back(n.namedAttr("end", b.getI64IntegerAttr(n.attrInt("end", 0))));
  return setResult(n, n.create<ShapeOp>({n.input(0)}, attrs));
}

LogicalResult reshape(NodeImporter &n) {
  return setResult(n, n.create<ReshapeOp>({n.input(0), n.input(1)},
                                          {n.namedAttr("allowzero", n.getBuilder().getBoolAttr(
                                                                        n.attrInt("allowzero", 0)))}));
}

LogicalResult flatten(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.emitError() << "axis " << n.attrInt("axis", 1) << " is out of range for rank " << rank;
  // [prod(dims < axis), prod(dims >= axis)]: 0 keeps a dynamic first dim.
  if (axis == 0)
    return setResult(n, n.reshape(n.input(0), {1, -1}));
  if (axis == 1)
    return setResult(n, n.reshape(n.input(0), {0, -1}));
  RankedTensorType type = n.inputType(0);
  auto product = [&](int64_t begin, int64_t end) -> std::optional<int64_t> {
    int64_t p = 1;
    for (int64_t i = begin; i < end; ++i) {
      if (type.isDynamicDim(i))
        return std::nullopt;
      p *= type.getDimSize(i);
    }
    return p;
  };
  if (std::optional<int64_t> outer = product(0, axis))
    return setResult(n, n.reshape(n.input(0), {*outer, -1}));
  if (std::optional<int64_t> inner = product(axis, rank); inner && *inner > 0)
    return setResult(n, n.reshape(n.input(0), {-1, *inner}));
  // Both sides dynamic: both products at run time, exact (a 0 is a 0).
  OpBuilder &b = n.getBuilder();
  auto productOf = [&](NamedAttribute dims) -> FailureOr<Value> {
    auto shape = n.create<ShapeOp>({n.input(0)}, {dims});
    if (failed(shape))
      return failure();
    return n.create<ReduceProdOp>({*shape}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({0})),
                                             n.namedAttr("keepdims", b.getBoolAttr(true))});
  };
  auto outer = productOf(n.namedAttr("end", b.getI64IntegerAttr(axis)));
  auto inner = productOf(n.namedAttr("start", b.getI64IntegerAttr(axis)));
  if (failed(outer) || failed(inner))
    return failure();
  auto shape = n.create<ConcatOp>({*outer, *inner}, {n.namedAttr("axis", b.getI64IntegerAttr(0))});
  if (failed(shape))
    return failure();
  return setResult(n, n.create<ReshapeOp>({n.input(0), *shape},
                                          {n.namedAttr("allowzero", b.getBoolAttr(true))}));
}

LogicalResult transpose(NodeImporter &n) {
  auto perm = n.attrInts("perm");
  if (!perm) {
    int64_t rank = n.inputType(0).getRank();
    perm.emplace();
    for (int64_t i = rank - 1; i >= 0; --i)
      perm->push_back(i);
  }
  return setResult(n, n.transpose(n.input(0), *perm));
}

/// Whether input `i` is an empty list, constant or not.
bool isEmptyList(NodeImporter &n, size_t i) {
  auto type = n.inputType(i);
  return type.getRank() == 1 && type.getDimSize(0) == 0;
}

/// The `axes` of a node: the attribute, or (from the version that moved
/// it) the constant input 1; empty when absent or an empty list.
FailureOr<SmallVector<int64_t>> axesOf(NodeImporter &n, bool asInput) {
  if (asInput)
    return n.hasInput(1) && !isEmptyList(n, 1) ? n.constantInts(1, "axes")
                                               : SmallVector<int64_t>();
  return n.attrInts("axes").value_or(SmallVector<int64_t>());
}

/// Input 1 when it holds axes or sizes only known at run time (a graph
/// value, not an empty list); null otherwise.
Value runtimeInts(NodeImporter &n, bool asInput) {
  if (!asInput || !n.hasInput(1) || matchPattern(n.input(1), m_Constant()) || isEmptyList(n, 1))
    return {};
  return n.input(1);
}

/// Squeeze/Unsqueeze: axes are an attribute before opset 13, an input after.
template <typename OpTy, bool AxesAsInput>
LogicalResult squeezeLike(NodeImporter &n) {
  if (Value runtimeAxes = runtimeInts(n, AxesAsInput))
    return setResult(n, std::is_same_v<OpTy, SqueezeOp>
                            ? squeezeAtRuntimeAxes(n, n.input(0), runtimeAxes)
                            : unsqueezeAtRuntimeAxes(n, n.input(0), runtimeAxes));
  auto axes = axesOf(n, AxesAsInput);
  if (failed(axes))
    return failure();
  // Unsqueeze's axes are positions in its result.
  int64_t rank = n.inputType(0).getRank();
  if (std::is_same_v<OpTy, UnsqueezeOp>)
    rank += axes->size();
  axes = n.normalizeAxes(*axes, rank);
  if (failed(axes))
    return failure();
  return setResult(n, n.create<OpTy>({n.input(0)}, {n.namedAttr("axes",
                                                                n.getBuilder().getDenseI64ArrayAttr(*axes))}));
}

LogicalResult concat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (size_t i = 0; i < n.numInputs(); ++i)
    inputs.push_back(n.input(i));
  if (inputs.empty())
    return n.emitError() << "needs at least one input";
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(n, n.create<ConcatOp>(inputs, {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(*axis))}));
}

/// Slice-10+: starts, ends, optional axes and steps as inputs.
LogicalResult slice(NodeImporter &n) {
  if (n.inputType(1).getRank() != 1)
    return n.emitError() << "starts must be a 1-D tensor";
  // The default axes and steps are made with one entry per start: a length
  // beyond the data's rank is malformed, not a request for that many.
  int64_t count = n.inputType(1).getDimSize(0);
  if (!ShapedType::isDynamic(count) && count > n.inputType(0).getRank())
    return n.emitError() << "starts has " << count << " entries but the data has rank "
                         << n.inputType(0).getRank();
  Value axes = n.optionalInput(3), steps = n.optionalInput(4);
  if ((!axes || !steps) && ShapedType::isDynamic(count))
    return n.emitError() << "starts has a dynamic length; give axes and steps explicitly";
  if (!axes)
    axes = n.constI64(llvm::to_vector(llvm::seq<int64_t>(0, count)));
  if (!steps)
    steps = n.constI64(SmallVector<int64_t>(count, 1));
  auto toI64 = [&](Value v) -> FailureOr<Value> {
    if (cast<RankedTensorType>(v.getType()).getElementType().isInteger(64))
      return v;
    return n.create<CastOp>({v}, {n.namedAttr("to", TypeAttr::get(n.getBuilder().getI64Type()))});
  };
  auto s = toI64(n.input(1)), e = toI64(n.input(2)), a = toI64(axes), st = toI64(steps);
  if (failed(s) || failed(e) || failed(a) || failed(st))
    return failure();
  return setResult(n, n.create<SliceOp>({n.input(0), *s, *e, *a, *st}));
}

/// Slice-1: starts, ends and axes as attributes.
LogicalResult sliceV1(NodeImporter &n) {
  auto starts = n.attrInts("starts"), ends = n.attrInts("ends");
  if (!starts || !ends)
    return n.emitError() << "starts and ends are required";
  auto axes = n.attrInts("axes");
  if (!axes)
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  return setResult(n, n.create<SliceOp>({n.input(0), n.constI64(*starts), n.constI64(*ends),
                                         n.constI64(*axes),
                                         n.constI64(SmallVector<int64_t>(starts->size(), 1))}));
}

LogicalResult gather(NodeImporter &n) {
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(n, n.create<GatherOp>({n.input(0), n.input(1)},
                                         {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(*axis))}));
}

/// A Scatter node's `reduction`: none until opset 16, add and mul from 16,
/// max and min from 18.
FailureOr<NamedAttribute> scatterReduction(NodeImporter &n) {
  std::string reduction = n.attrString("reduction", "none");
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return n.emitError() << "unknown reduction '" << reduction
                         << "' (ONNX defines none, add, mul, max and min)";
  int64_t since = reduction == "none" ? 0 : reduction == "add" || reduction == "mul" ? 16 : 18;
  if (n.getOpset() < since)
    return n.emitError() << "reduction '" << reduction << "' arrived in opset " << since
                         << ", after the model's: export it at opset " << since << " or later";
  return n.namedAttr("reduction", n.getBuilder().getStringAttr(reduction));
}

/// ScatterND 11 and 13, 16 and 18 (reductions).
LogicalResult scatterND(NodeImporter &n) {
  FailureOr<NamedAttribute> reduction = scatterReduction(n);
  if (failed(reduction))
    return failure();
  RankedTensorType indices = n.inputType(1);
  if (indices.getRank() == 0 || indices.isDynamicDim(indices.getRank() - 1))
    return n.emitError() << "the last dim of indices (" << formatShape(indices.getShape())
                         << ") must be known when the model is compiled: give it a fixed "
                            "size in the model's shapes";
  return setResult(n, n.create<ScatterNDOp>({n.input(0), n.input(1), n.input(2)}, {*reduction}));
}

/// ScatterElements 11, 13, 16 and 18 (reductions), and Scatter 9, which it
/// renamed.
LogicalResult scatterElements(NodeImporter &n) {
  FailureOr<NamedAttribute> reduction = scatterReduction(n);
  if (failed(reduction))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto axisAttr = n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(*axis));
  return setResult(
      n, n.create<ScatterElementsOp>({n.input(0), n.input(1), n.input(2)}, {axisAttr, *reduction}));
}

LogicalResult expand(NodeImporter &n) {
  return setResult(n, n.create<ExpandOp>({n.input(0), n.input(1)}));
}

/// Tile(x, repeats) as ops genc has: x unsqueezed to [1, d0, 1, d1, ...],
/// expanded to [r0, d0, r1, d1, ...] and reshaped to [r0·d0, r1·d1, ...]
/// (copy k of axis a holds x's entries in order: index k·da + j is x's j).
/// The shapes are computed in the graph, as exports do theirs, so that
/// genc-fold-shape-arithmetic evaluates them.
LogicalResult tile(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Value x = n.input(0), repeats = n.input(1);
  int64_t rank = n.inputType(0).getRank();
  auto repeatsType = n.inputType(1);
  if (repeatsType.getRank() != 1 ||
      (repeatsType.hasStaticShape() && repeatsType.getDimSize(0) != rank))
    return n.emitError() << "repeats must hold one entry per input dim (" << rank << "), not "
                         << repeatsType;
  if (rank == 0)
    return n.setOutputs({x});
  SmallVector<int64_t> spread, interleave;
  for (int64_t d = 0; d < rank; ++d) {
    spread.push_back(2 * d);
    interleave.append({d, rank + d}); // repeats[d], then x's dim d
  }
  auto spreadOut =
      n.create<UnsqueezeOp>({x}, {n.namedAttr("axes", b.getDenseI64ArrayAttr(spread))});
  auto dims = n.create<ShapeOp>({x});
  if (failed(spreadOut) || failed(dims))
    return failure();
  auto both = n.create<ConcatOp>({repeats, *dims}, {n.namedAttr("axis", b.getI64IntegerAttr(0))});
  if (failed(both))
    return failure();
  auto axis0 = n.namedAttr("axis", b.getI64IntegerAttr(0));
  auto copies = n.create<GatherOp>({*both, n.constI64(interleave)}, {axis0});
  // repeats read back with its static length, rank entries
  auto counts = n.create<GatherOp>(
      {*both, n.constI64(llvm::to_vector(llvm::seq<int64_t>(0, rank)))}, {axis0});
  if (failed(copies) || failed(counts))
    return failure();
  auto sizes = n.create<MulOp>({*counts, *dims});
  auto expanded = n.create<ExpandOp>({*spreadOut, *copies});
  if (failed(sizes) || failed(expanded))
    return failure();
  // A repeat of 0 gives a size of 0, not a copy of the input's dim.
  return setResult(
      n, n.create<ReshapeOp>({*expanded, *sizes}, {n.namedAttr("allowzero", b.getBoolAttr(true))}));
}

/// Split: sizes from the `split` attribute (< 13), the `split` input
/// (>= 13), or equal pieces (num_outputs at 18, or the output count).
template <bool SizesAsInput>
LogicalResult split(NodeImporter &n) {
  auto inputType = n.inputType(0);
  FailureOr<int64_t> normalized = n.normalizeAxis(n.attrInt("axis", 0), inputType.getRank());
  if (failed(normalized))
    return failure();
  int64_t axis = *normalized;
  if (Value runtimeSizes = runtimeInts(n, SizesAsInput)) {
    auto pieces = splitAtRuntimeSizes(n, n.input(0), axis, runtimeSizes);
    if (failed(pieces))
      return failure();
    return n.setOutputs(*pieces);
  }
  SmallVector<int64_t> sizes;
  if (SizesAsInput && n.hasInput(1) && !isEmptyList(n, 1)) {
    auto c = n.constantInts(1, "split");
    if (failed(c))
      return failure();
    sizes = *c;
  } else if (auto a = n.attrInts("split")) {
    sizes = *a;
  }
  int64_t pieces = sizes.empty() ? n.attrInt("num_outputs", n.numOutputs()) : sizes.size();
  int64_t dim = inputType.getDimSize(axis);
  if (pieces < 1)
    return n.emitError() << "Split into " << pieces << " pieces: it needs at least one output";
  if (sizes.empty() && !ShapedType::isDynamic(dim)) {
    // ONNX-18: the last piece is smaller when dim does not divide evenly.
    int64_t piece = (dim + pieces - 1) / pieces;
    for (int64_t i = 0; i < pieces; ++i)
      sizes.push_back(std::min(piece, dim - i * piece));
    if (sizes.back() < 0)
      return n.emitError() << "Split of a dim of " << dim << " into " << pieces
                           << " pieces of equal size: give split sizes or fewer outputs";
  }
  SmallVector<Type> types;
  for (int64_t i = 0; i < pieces; ++i) {
    SmallVector<int64_t> shape(inputType.getShape());
    shape[axis] = sizes.empty() ? ShapedType::kDynamic : sizes[i];
    types.push_back(inputType.clone(shape));
  }
  OpBuilder &b = n.getBuilder();
  auto op = SplitOp::create(b, n.getLoc(), types, n.input(0), b.getI64IntegerAttr(axis),
                            b.getDenseI64ArrayAttr(sizes));
  if (failed(verify(op)))
    return failure();
  return n.setOutputs(op.getResults());
}

LogicalResult constantOfShape(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  ElementsAttr value;
  if (const onnx::TensorProto *t = n.attrTensor("value")) {
    auto converted = convertTensor(*t, n.model(), n.getContext(), n.getLoc(), "value");
    if (failed(converted))
      return failure();
    value = *converted;
  } else {
    value = DenseElementsAttr::get(RankedTensorType::get({1}, b.getF32Type()), 0.0f);
  }
  return setResult(n, n.create<ConstantOfShapeOp>({n.input(0)}, {n.namedAttr("value", value)}));
}

LogicalResult range(NodeImporter &n) {
  return setResult(n, n.create<RangeOp>({n.input(0), n.input(1), n.input(2)}));
}

LogicalResult trilu(NodeImporter &n) {
  Value k = n.hasInput(1) ? n.input(1) : n.constI64({0});
  return setResult(n, n.create<TriluOp>({n.input(0), k},
                                        {n.namedAttr("upper", n.getBuilder().getBoolAttr(
                                                                  n.attrInt("upper", 1)))}));
}

//===--- Reductions ------------------------------------------------------===//

/// Axes come from the attribute (early versions) or from input 1 (ReduceSum
/// 13, every reduction from 18). Empty axes reduce everything unless
/// noop_with_empty_axes makes the op an identity.
template <typename OpTy, bool AxesAsInput>
LogicalResult reduce(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  bool keepdims = n.attrInt("keepdims", 1);
  if (Value runtimeAxes = runtimeInts(n, AxesAsInput))
    return setResult(n, reduceAtRuntimeAxes(n, n.input(0), runtimeAxes, keepdims,
                                            [&](Value y, int64_t axis) {
                                              return n.create<OpTy>(
                                                  {y}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({axis})),
                                                        n.namedAttr("keepdims", b.getBoolAttr(true))});
                                            }));
  auto axesOrFailure = axesOf(n, AxesAsInput);
  if (failed(axesOrFailure))
    return failure();
  if (axesOrFailure->empty() && n.attrInt("noop_with_empty_axes", 0))
    return n.setOutputs({n.input(0)});
  auto axes = n.normalizeAxes(*axesOrFailure, n.inputType(0).getRank());
  if (failed(axes))
    return failure();
  return setResult(n, n.create<OpTy>({n.input(0)},
                                     {n.namedAttr("axes", b.getDenseI64ArrayAttr(*axes)),
                                      n.namedAttr("keepdims", b.getBoolAttr(keepdims))}));
}

/// CumSum's axis is an input: a constant becomes the op's attribute; a
/// graph value chooses at run time among the running sums along each axis.
LogicalResult cumSum(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  int64_t rank = n.inputType(0).getRank();
  auto alongAxis = [&](Value x, int64_t axis) {
    return n.create<CumSumOp>(
        {x}, {n.namedAttr("axis", b.getI64IntegerAttr(axis)),
              n.namedAttr("exclusive", b.getBoolAttr(n.attrInt("exclusive", 0))),
              n.namedAttr("reverse", b.getBoolAttr(n.attrInt("reverse", 0)))});
  };
  if (rank == 0)
    return n.emitError() << "the input must have at least one dim";
  if (!matchPattern(n.input(1), m_Constant())) {
    auto axes = n.reshape(n.input(1), {1});
    if (failed(axes))
      return failure();
    return setResult(n, reduceAtRuntimeAxes(n, n.input(0), *axes, /*keepdims=*/true, alongAxis));
  }
  auto axis = n.constantInts(1, "axis");
  if (failed(axis))
    return failure();
  if (axis->size() != 1)
    return n.emitError() << "axis must be one integer, not " << axis->size();
  FailureOr<int64_t> normalized = n.normalizeAxis(axis->front(), rank);
  if (failed(normalized))
    return failure();
  return setResult(n, alongAxis(n.input(0), *normalized));
}

//===--- NN ----------------------------------------------------------------===//

LogicalResult gemm(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  SmallVector<Value> operands = {n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  return setResult(n, n.create<GemmOp>(
                          operands,
                          {n.namedAttr("alpha", b.getF32FloatAttr(n.attrFloat("alpha", 1))),
                           n.namedAttr("beta", b.getF32FloatAttr(n.attrFloat("beta", 1))),
                           n.namedAttr("trans_a", b.getBoolAttr(n.attrInt("transA", 0))),
                           n.namedAttr("trans_b", b.getBoolAttr(n.attrInt("transB", 0)))}));
}

/// Softmax-13: one axis. Softmax-1/11 flatten to [prod(<axis), prod(>=axis)]
/// first, which is the same thing when axis is the last dim.
template <bool Log, bool Coerce2D>
LogicalResult softmax(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> normalized = n.normalizeAxis(n.attrInt("axis", Coerce2D ? 1 : -1), rank);
  if (failed(normalized))
    return failure();
  int64_t axis = *normalized;
  if (Coerce2D && axis != rank - 1)
    return n.emitError() << "Softmax before opset 13 over axis " << axis
                         << " (not the last) is not supported; re-export at opset 13 or later";
  OpBuilder &b = n.getBuilder();
  return setResult(n, n.create<SoftmaxOp>({n.input(0)},
                                          {n.namedAttr("axis", b.getI64IntegerAttr(axis)),
                                           n.namedAttr("log", b.getBoolAttr(Log))}));
}

/// LayerNormalization; the optional Mean and InvStdDev outputs (over axes
/// axis..r-1, kept as unit dims) are computed beside the fused op.
LogicalResult layerNorm(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  SmallVector<Value> operands = {n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  auto y = n.create<LayerNormOp>(operands, {n.namedAttr("axis", b.getI64IntegerAttr(*axis)),
                                            n.namedAttr("epsilon", b.getF32FloatAttr(epsilon))});
  if (failed(y))
    return failure();
  if (!n.wantsOutput(1) && !n.wantsOutput(2))
    return n.setOutputs({*y});
  Value x = n.input(0);
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  auto reduceAttrs = {n.namedAttr("axes", b.getDenseI64ArrayAttr(axes)),
                      n.namedAttr("keepdims", b.getBoolAttr(true))};
  Type element = n.inputType(0).getElementType();
  auto mean = n.create<ReduceMeanOp>({x}, reduceAttrs);
  if (failed(mean))
    return failure();
  auto centered = n.create<SubOp>({x, *mean});
  if (failed(centered))
    return failure();
  auto squares = n.create<MulOp>({*centered, *centered});
  if (failed(squares))
    return failure();
  auto variance = n.create<ReduceMeanOp>({*squares}, reduceAttrs);
  if (failed(variance))
    return failure();
  auto shifted = n.create<AddOp>({*variance, n.constScalar(element, epsilon)});
  if (failed(shifted))
    return failure();
  auto stddev = n.create<SqrtOp>({*shifted});
  if (failed(stddev))
    return failure();
  auto invStdDev = n.create<ReciprocalOp>({*stddev});
  if (failed(invStdDev))
    return failure();
  return n.setOutputs({*y, *mean, *invStdDev});
}

LogicalResult rmsNorm(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return setResult(n, n.create<RmsNormOp>(
                          {n.input(0), n.input(1)},
                          {n.namedAttr("axis", b.getI64IntegerAttr(*axis)),
                           n.namedAttr("epsilon", b.getF32FloatAttr(n.attrFloat("epsilon", 1e-5f)))}));
}

/// ONNX-23 RotaryEmbedding: X is [B,H,S,D] or [B,S,H*D] (num_heads given).
LogicalResult rotary(NodeImporter &n) {
  auto xType = n.inputType(0);
  Value x = n.input(0);
  int64_t heads = n.attrInt("num_heads", 0);
  bool threeD = xType.getRank() == 3;
  if (threeD) {
    if (heads <= 0)
      return n.emitError() << "a 3-D input needs the num_heads attribute";
    auto r = n.reshape(x, {0, 0, heads, -1});
    if (failed(r) || failed(r = n.transpose(*r, {0, 2, 1, 3})))
      return failure();
    x = *r;
  } else if (xType.getRank() != 4) {
    return n.emitError() << "input must be [B,H,S,D] or [B,S,H*D], got "
                         << formatShape(xType.getShape());
  }
  OpBuilder &b = n.getBuilder();
  SmallVector<Value> operands = {x, n.input(1), n.input(2)};
  if (n.hasInput(3))
    operands.push_back(n.input(3));
  auto y = n.create<RotaryOp>(
      operands, {n.namedAttr("interleaved", b.getBoolAttr(n.attrInt("interleaved", 0))),
                 n.namedAttr("rotary_dim", b.getI64IntegerAttr(n.attrInt("rotary_embedding_dim", 0)))});
  if (failed(y))
    return failure();
  if (threeD) {
    y = n.transpose(*y, {0, 2, 1, 3});
    if (failed(y) || failed(y = n.reshape(*y, {0, 0, -1})))
      return failure();
  }
  return n.setOutputs({*y});
}

/// [B,S,H*D] → [B,H,S,D]; 4-D inputs pass through.
FailureOr<Value> toHeads(NodeImporter &n, Value x, int64_t heads, StringRef what) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() == 4)
    return x;
  if (type.getRank() != 3 || heads <= 0)
    return n.emitError() << what << " must be [B,H,S,D], or [B,S,H*D] with the head count given";
  auto r = n.reshape(x, {0, 0, heads, -1});
  if (failed(r))
    return failure();
  return n.transpose(*r, {0, 2, 1, 3});
}

/// ONNX's causal rule as a boolean [Sq, Skv] mask: key j is visible to
/// query i iff j <= i + pastLength (a [1] i64 tensor).
FailureOr<Value> causalMask(NodeImporter &n, Value query, Value key, Value pastLength) {
  OpBuilder &b = n.getBuilder();
  auto positions = [&](Value x) -> FailureOr<Value> {
    auto length = n.create<ShapeOp>({x}, {n.namedAttr("start", b.getI64IntegerAttr(2)),
                                          n.namedAttr("end", b.getI64IntegerAttr(3))});
    if (failed(length))
      return failure();
    auto limit = n.create<SqueezeOp>({*length}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({0}))});
    if (failed(limit))
      return failure();
    Type i64 = b.getI64Type();
    return n.create<RangeOp>({n.constScalar(i64, 0), *limit, n.constScalar(i64, 1)});
  };
  auto i = positions(query), j = positions(key);
  if (failed(i) || failed(j))
    return failure();
  auto column = n.create<UnsqueezeOp>({*i}, {n.namedAttr("axes", b.getDenseI64ArrayAttr({1}))});
  if (failed(column))
    return failure();
  auto last = n.create<AddOp>({*column, pastLength});
  if (failed(last))
    return failure();
  return n.create<LessEqualOp>({*j, *last});
}

/// The causal mask `visible` and ONNX's attn_mask together: both boolean
/// masks must hold; an additive mask gets -inf where `visible` is false.
/// Null (after an error) on failure.
Value combineMasks(NodeImporter &n, Value visible, Value mask) {
  Type element = cast<RankedTensorType>(mask.getType()).getElementType();
  if (element.isInteger(1)) {
    auto both = n.create<AndOp>({visible, mask});
    return succeeded(both) ? *both : Value();
  }
  auto hidden = n.create<WhereOp>(
      {visible, n.constScalar(element, 0),
       n.constScalar(element, -std::numeric_limits<double>::infinity())});
  if (failed(hidden))
    return Value();
  auto sum = n.create<AddOp>({mask, *hidden});
  return succeeded(sum) ? *sum : Value();
}

/// ONNX-23 Attention with optional past; outputs Y and present K/V.
LogicalResult attention(NodeImporter &n) {
  if (n.attrInt("qk_matmul_output_mode", 0) != 0 || n.wantsOutput(3))
    return n.emitError() << "the qk_matmul output is not supported";
  auto qType = n.inputType(0);
  bool threeD = qType.getRank() == 3;
  int64_t qHeads = n.attrInt("q_num_heads", 0), kvHeads = n.attrInt("kv_num_heads", 0);
  auto q = toHeads(n, n.input(0), qHeads, "Q");
  auto k = toHeads(n, n.input(1), kvHeads, "K");
  auto v = toHeads(n, n.input(2), kvHeads, "V");
  if (failed(q) || failed(k) || failed(v))
    return failure();
  Value key = *k, value = *v;
  if (n.hasInput(4) != n.hasInput(5))
    return n.emitError() << "past_key and past_value must be given together";
  OpBuilder &b = n.getBuilder();
  // ONNX counts causality from the past: key j is visible to query i iff
  // j <= i + past_len (0 without a past). genc.attention's `causal` counts
  // from the end (j <= i + Skv - Sq), the same rule when the new keys are
  // as many as the queries; without a past, `causal_from_start` is ONNX's
  // rule; with one, the rule becomes an explicit mask.
  bool causal = n.attrInt("is_causal", 0);
  bool causalFromEnd = causal && provablyEqualDims(*q, 2, key, 2);
  bool causalFromStart = causal && !causalFromEnd && !n.hasInput(4);
  Value pastLength; // only for the explicit mask
  if (causal && !causalFromEnd && n.hasInput(4)) {
    auto length = n.create<ShapeOp>({n.input(4)}, {n.namedAttr("start", b.getI64IntegerAttr(2)),
                                                  n.namedAttr("end", b.getI64IntegerAttr(3))});
    if (failed(length))
      return failure();
    pastLength = *length;
  }
  if (n.hasInput(4)) {
    auto axis = n.namedAttr("axis", b.getI64IntegerAttr(2));
    auto pk = n.create<ConcatOp>({n.input(4), key}, {axis});
    auto pv = n.create<ConcatOp>({n.input(5), value}, {axis});
    if (failed(pk) || failed(pv))
      return failure();
    key = *pk;
    value = *pv;
  }
  int64_t headSize = cast<RankedTensorType>(q->getType()).getDimSize(3);
  float scale = n.attrFloat("scale", 0);
  if (scale == 0) {
    if (ShapedType::isDynamic(headSize))
      return n.emitError() << "the head size is dynamic; give the scale attribute";
    scale = 1.0f / std::sqrt(static_cast<float>(headSize));
  }
  Value mask = n.optionalInput(3);
  if (pastLength) {
    auto visible = causalMask(n, *q, key, pastLength);
    if (failed(visible))
      return failure();
    mask = mask ? combineMasks(n, *visible, mask) : *visible;
    if (!mask)
      return failure();
  }
  SmallVector<Value> operands = {*q, key, value};
  if (mask)
    operands.push_back(mask);
  auto y = n.create<AttentionOp>(
      operands, {n.namedAttr("scale", b.getF32FloatAttr(scale)),
                 n.namedAttr("causal", b.getBoolAttr(causalFromEnd || causalFromStart)),
                 n.namedAttr("causal_from_start", b.getBoolAttr(causalFromStart)),
                 n.namedAttr("softcap", b.getF32FloatAttr(n.attrFloat("softcap", 0)))});
  if (failed(y))
    return failure();
  Value out = *y;
  if (threeD) {
    auto t = n.transpose(out, {0, 2, 1, 3});
    if (failed(t) || failed(t = n.reshape(*t, {0, 0, -1})))
      return failure();
    out = *t;
  }
  return n.setOutputs({out, key, value});
}

/// If: both branches become regions; results take the dims they agree on.
LogicalResult ifOp(NodeImporter &n) {
  const onnx::GraphProto *thenGraph = n.attrGraph("then_branch");
  const onnx::GraphProto *elseGraph = n.attrGraph("else_branch");
  if (!thenGraph || !elseGraph)
    return n.emitError() << "If needs then_branch and else_branch";
  OperationState state(n.getLoc(), IfOp::getOperationName());
  state.addOperands(n.input(0));
  Region *thenRegion = state.addRegion();
  Region *elseRegion = state.addRegion();
  SmallVector<Value> thenValues, elseValues;
  {
    OpBuilder::InsertionGuard guard(n.getBuilder());
    if (failed(importSubgraph(n, *thenGraph, *thenRegion, thenValues)) ||
        failed(importSubgraph(n, *elseGraph, *elseRegion, elseValues)))
      return failure();
  }
  if (thenValues.size() != elseValues.size())
    return n.emitError() << "the branches yield " << thenValues.size() << " and "
                         << elseValues.size() << " values";
  for (auto [a, b] : llvm::zip(thenValues, elseValues)) {
    auto ta = cast<RankedTensorType>(a.getType()), tb = cast<RankedTensorType>(b.getType());
    if (ta.getRank() != tb.getRank() || ta.getElementType() != tb.getElementType())
      return n.emitError() << "the branches yield " << ta << " and " << tb
                           << " for the same output";
    SmallVector<int64_t> shape;
    for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
      shape.push_back(x == y ? x : ShapedType::kDynamic);
    state.addTypes(ta.clone(shape));
  }
  Operation *op = n.getBuilder().create(state);
  if (failed(verify(op)))
    return failure();
  return n.setOutputs(op->getResults());
}

const OpHandler kHandlers[] = {
    // Elementwise arithmetic and logic.
    {"", "Add", 7, 2, binary<AddOp>},
    {"", "Sub", 7, 2, binary<SubOp>},
    {"", "Mul", 7, 2, binary<MulOp>},
    {"", "Div", 7, 2, binary<DivOp>},
    {"", "Pow", 7, 2, binary<PowOp>},
    {"", "Mod", 10, 2, mod},
    {"", "Max", 8, kEveryInput, variadic<MaxOp>},
    {"", "Min", 8, kEveryInput, variadic<MinOp>},
    {"", "Sum", 8, kEveryInput, variadic<AddOp>},
    {"", "And", 7, 2, binary<AndOp>},
    {"", "Or", 7, 2, binary<OrOp>},
    {"", "Xor", 7, 2, binary<XorOp>},
    {"", "Equal", 7, 2, binary<EqualOp>},
    {"", "Less", 7, 2, binary<LessOp>},
    {"", "LessOrEqual", 12, 2, binary<LessEqualOp>},
    {"", "Greater", 7, 2, binary<GreaterOp>},
    {"", "GreaterOrEqual", 12, 2, binary<GreaterEqualOp>},
    {"", "Neg", 6, 1, unary<NegOp>},
    {"", "Abs", 6, 1, unary<AbsOp>},
    {"", "Sqrt", 6, 1, unary<SqrtOp>},
    {"", "Reciprocal", 6, 1, unary<ReciprocalOp>},
    {"", "Exp", 6, 1, unary<ExpOp>},
    {"", "Log", 6, 1, unary<LogOp>},
    {"", "Tanh", 6, 1, unary<TanhOp>},
    {"", "Sigmoid", 6, 1, unary<SigmoidOp>},
    {"", "Relu", 6, 1, unary<ReluOp>},
    {"", "Clip", 6, 1, clip<false>},
    {"", "Clip", 11, 1, clip<true>},
    {"", "Erf", 9, 1, unary<ErfOp>},
    {"", "Sin", 7, 1, unary<SinOp>},
    {"", "Cos", 7, 1, unary<CosOp>},
    {"", "Floor", 6, 1, unary<FloorOp>},
    {"", "Ceil", 6, 1, unary<CeilOp>},
    {"", "Round", 11, 1, unary<RoundOp>},
    {"", "Not", 1, 1, unary<NotOp>},
    {"", "Gelu", 20, 1, gelu},
    {"", "Cast", 6, 1, castOp},
    {"", "Where", 9, 3, where},
    {"", "Identity", 1, 1, identity},
    {"", "Dropout", 7, 1, dropout},
    {"", "Constant", 9, 0, constant},
    // Shapes and data movement.
    {"", "Shape", 1, 1, shape},
    {"", "Reshape", 5, 2, reshape},
    {"", "Flatten", 1, 1, flatten},
    {"", "Transpose", 1, 1, transpose},
    {"", "Squeeze", 1, 1, squeezeLike<SqueezeOp, false>},
    {"", "Squeeze", 13, 1, squeezeLike<SqueezeOp, true>},
    {"", "Unsqueeze", 1, 1, squeezeLike<UnsqueezeOp, false>},
    {"", "Unsqueeze", 13, 1, squeezeLike<UnsqueezeOp, true>},
    {"", "Concat", 4, kEveryInput, concat},
    {"", "Slice", 1, 1, sliceV1},
    {"", "Slice", 10, 3, slice},
    {"", "Gather", 1, 2, gather},
    {"", "Expand", 8, 2, expand},
    {"", "ScatterND", 11, 3, scatterND},
    {"", "Scatter", 9, 3, scatterElements},
    {"", "ScatterElements", 11, 3, scatterElements},
    {"", "Tile", 6, 2, tile},
    {"", "Split", 2, 1, split<false>},
    {"", "Split", 13, 1, split<true>},
    {"", "ConstantOfShape", 9, 1, constantOfShape},
    {"", "Range", 11, 3, range},
    {"", "Trilu", 14, 1, trilu},
    // Reductions.
    {"", "ReduceSum", 1, 1, reduce<ReduceSumOp, false>},
    {"", "ReduceSum", 13, 1, reduce<ReduceSumOp, true>},
    {"", "ReduceMean", 1, 1, reduce<ReduceMeanOp, false>},
    {"", "ReduceMean", 18, 1, reduce<ReduceMeanOp, true>},
    {"", "ReduceMax", 1, 1, reduce<ReduceMaxOp, false>},
    {"", "ReduceMax", 18, 1, reduce<ReduceMaxOp, true>},
    {"", "ReduceMin", 1, 1, reduce<ReduceMinOp, false>},
    {"", "ReduceMin", 18, 1, reduce<ReduceMinOp, true>},
    {"", "ReduceProd", 1, 1, reduce<ReduceProdOp, false>},
    {"", "ReduceProd", 18, 1, reduce<ReduceProdOp, true>},
    {"", "CumSum", 11, 2, cumSum},
    {"", "ArgMax", 1, 1, importArgExtreme<true>},
    {"", "ArgMin", 1, 1, importArgExtreme<false>},
    // Picking elements.
    {"", "TopK", 1, 1, importTopK},
    {"", "TopK", 10, 2, importTopK},
    {"", "OneHot", 9, 3, importOneHot},
    {"", "NonZero", 9, 1, importNonZero},
    // NN.
    {"", "MatMul", 1, 2, matMul},
    {"", "Gemm", 7, 2, gemm},
    {"", "Softmax", 1, 1, softmax<false, true>},
    {"", "Softmax", 13, 1, softmax<false, false>},
    {"", "LogSoftmax", 1, 1, softmax<true, true>},
    {"", "LogSoftmax", 13, 1, softmax<true, false>},
    {"", "LayerNormalization", 17, 2, layerNorm},
    {"", "RMSNormalization", 23, 2, rmsNorm},
    // ONNX Runtime registers this one in the default domain (also in
    // com.microsoft, see MicrosoftHandlers.cpp).
    {"", "SimplifiedLayerNormalization", 1, 2, importSimplifiedLayerNormalization},
    {"", "RotaryEmbedding", 23, 3, rotary},
    {"", "Attention", 23, 3, attention},
    // Control flow.
    {"", "If", 1, 1, ifOp},
    // Linear quantisation.
    {"", "QuantizeLinear", 10, 2, importQuantizeLinear},
    {"", "DequantizeLinear", 10, 2, importDequantizeLinear},
    {"", "DynamicQuantizeLinear", 11, 1, importDynamicQuantizeLinear},
    {"", "MatMulInteger", 10, 2, importMatMulInteger},
};

} // namespace

ArrayRef<OpHandler> onnx_import::getDefaultDomainHandlers() { return kHandlers; }

FailureOr<Value> onnx_import::importMatmul(NodeImporter &n, Value a, Value b, Operation **product) {
  OpBuilder &builder = n.getBuilder();
  auto withUnitDim = [&](Value v, int64_t axis) -> FailureOr<Value> {
    if (cast<RankedTensorType>(v.getType()).getRank() != 1)
      return v;
    return n.create<UnsqueezeOp>({v}, {n.namedAttr("axes", builder.getDenseI64ArrayAttr(axis))});
  };
  FailureOr<Value> lhs = withUnitDim(a, 0), rhs = withUnitDim(b, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<Operation *> op = n.createOp<MatMulOp>({*lhs, *rhs});
  if (failed(op))
    return failure();
  if (product)
    *product = *op;
  Value y = (*op)->getResult(0);
  int64_t rank = cast<RankedTensorType>(y.getType()).getRank();
  SmallVector<int64_t> added;
  if (*lhs != a)
    added.push_back(rank - 2);
  if (*rhs != b)
    added.push_back(rank - 1);
  if (added.empty())
    return y;
  return n.create<SqueezeOp>({y}, {n.namedAttr("axes", builder.getDenseI64ArrayAttr(added))});
}
