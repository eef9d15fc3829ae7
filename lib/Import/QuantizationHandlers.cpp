//===- QuantizationHandlers.cpp - ONNX linear quantisation → genc ---------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and
// MatMulInteger (docs/onnx-ops.md) as genc arithmetic. A DequantizeLinear
// of constants folds here into its values; when they are 4-bit or 8-bit
// weights that a MatMul reads, the MatMul carries their grid
// (kWeightGridAttrName), on which the CPU target keeps them as int4 or int8.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Support/ElementValues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

Value onnx_import::f32Constant(NodeImporter &n, ArrayRef<int64_t> shape, StringRef name,
                               function_ref<void(MutableArrayRef<float>)> fill) {
  auto type = RankedTensorType::get(shape, Float32Type::get(n.getContext()));
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(type.getNumElements() * sizeof(float), alignof(float));
  MutableArrayRef<char> bytes = blob.getMutableData();
  fill(MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()), type.getNumElements()));
  return arith::ConstantOp::create(n.getBuilder(), n.getLoc(),
                                   DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

/// A grid's f32 parameters [rows, columns], named `name`.
static DenseResourceElementsAttr gridParameters(OpBuilder &b, int64_t rows, int64_t columns,
                                                ArrayRef<float> values, StringRef name) {
  return DenseResourceElementsAttr::get(RankedTensorType::get({rows, columns}, b.getF32Type()),
                                        name,
                                        HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
}

DictionaryAttr onnx_import::int4WeightGridAttr(OpBuilder &b, int64_t group, int64_t groups,
                                               int64_t columns, ArrayRef<float> scales,
                                               ArrayRef<float> offsets) {
  return b.getDictionaryAttr(
      {b.getNamedAttr("group", b.getI64IntegerAttr(group)),
       b.getNamedAttr("scales", gridParameters(b, groups, columns, scales, "grid_scales")),
       b.getNamedAttr("offsets", gridParameters(b, groups, columns, offsets, "grid_offsets"))});
}

DictionaryAttr onnx_import::int8WeightGridAttr(OpBuilder &b, ArrayRef<float> scales) {
  return b.getDictionaryAttr(
      {b.getNamedAttr("bits", b.getI64IntegerAttr(8)),
       b.getNamedAttr("scales", gridParameters(b, 1, scales.size(), scales, "grid_scales"))});
}

namespace {

/// How a scale (and its zero point) covers x: one for all of x, one per
/// index of `axis`, or one per `blockSize` consecutive indices of `axis`
/// (and per index of every other dim).
struct QuantizationLayout {
  enum Kind { PerTensor, PerAxis, Blocked } kind = PerTensor;
  int64_t axis = 0, blockSize = 0;
};

/// Whether dims `a` and `b` are static and differ.
bool knownDifferent(int64_t a, int64_t b) { return failed(verifyCompatibleDims({a, b})); }

/// The layout of input 1 (the scale) over input 0 at this node's opset;
/// errors say what the node holds and what ONNX allows.
FailureOr<QuantizationLayout> quantizationLayout(NodeImporter &n) {
  RankedTensorType x = n.inputType(0), scale = n.inputType(1);
  if (n.hasInput(2) && n.inputType(2).getShape() != scale.getShape())
    return n.emitError() << "the zero point's shape " << n.inputType(2)
                         << " differs from the scale's " << scale;
  QuantizationLayout layout;
  int64_t blockSize = n.getOpset() >= 21 ? n.attrInt("block_size", 0) : 0;
  if (blockSize < 0)
    return n.emitError() << "block_size must not be negative, not " << blockSize;
  // A scale of one element is per tensor (as ONNX Runtime reads it).
  if (blockSize == 0 &&
      (scale.getRank() == 0 || (scale.getRank() == 1 && scale.getDimSize(0) == 1)))
    return layout;
  if (n.getOpset() < 13)
    return n.emitError() << "before opset 13 the scale must be a scalar, not " << scale;
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 1), x.getRank());
  if (failed(axis))
    return failure();
  layout.axis = *axis;
  if (blockSize == 0) {
    if (scale.getRank() != 1 || knownDifferent(scale.getDimSize(0), x.getDimSize(*axis)))
      return n.emitError() << "a scale per index of axis " << *axis << " of " << x
                           << " must be 1-D of that dim's size, not " << scale;
    layout.kind = QuantizationLayout::PerAxis;
    return layout;
  }
  layout.kind = QuantizationLayout::Blocked;
  layout.blockSize = blockSize;
  if (scale.getRank() == x.getRank() && scale.isDynamicDim(*axis))
    return n.emitError() << "a scale per block of " << blockSize << " along axis " << *axis
                         << " needs a static count of blocks, not " << scale;
  bool matches = scale.getRank() == x.getRank();
  for (int64_t d = 0; matches && d < x.getRank(); ++d) {
    int64_t expected = x.getDimSize(d);
    if (d == *axis && !ShapedType::isDynamic(expected))
      expected = llvm::divideCeil(expected, blockSize);
    matches = !knownDifferent(scale.getDimSize(d), expected);
  }
  if (!matches)
    return n.emitError() << "a scale per block of " << blockSize << " along axis " << *axis
                         << " of " << x << " must have x's shape with ceil(dim / " << blockSize
                         << ") along the axis, not " << scale;
  return layout;
}

/// `param` (a scale or zero point laid out as `layout`) shaped to
/// broadcast against `x`.
FailureOr<Value> broadcastToInput(NodeImporter &n, Value param, RankedTensorType x,
                                  const QuantizationLayout &layout) {
  switch (layout.kind) {
  case QuantizationLayout::PerTensor:
    return cast<RankedTensorType>(param.getType()).getRank() == 0 ? param : n.reshape(param, {});
  case QuantizationLayout::PerAxis: {
    SmallVector<int64_t> shape(x.getRank() - layout.axis, 1);
    shape[0] = -1;
    return n.reshape(param, shape);
  }
  case QuantizationLayout::Blocked: {
    // Each index i of the axis reads the parameter of block i / blockSize.
    int64_t size = x.getDimSize(layout.axis);
    if (ShapedType::isDynamic(size))
      return n.emitError() << "blocks along axis " << layout.axis << " of " << x
                           << " need that dim to be static (or the input to be an initializer)";
    SmallVector<int64_t> block(size);
    for (int64_t i = 0; i < size; ++i)
      block[i] = i / layout.blockSize;
    return n.create<GatherOp>({param, n.constI64(block)},
                              {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(layout.axis))});
  }
  }
  llvm_unreachable("unknown quantization layout");
}

/// `v` as f32 (a cast unless it is f32 already).
FailureOr<Value> toF32(NodeImporter &n, Value v) {
  Type f32 = n.getBuilder().getF32Type();
  if (cast<RankedTensorType>(v.getType()).getElementType() == f32)
    return v;
  return n.create<CastOp>({v}, {n.namedAttr("to", TypeAttr::get(f32))});
}

/// Input `i` (a scale or zero point) broadcast against x, as f32.
FailureOr<Value> parameterAsF32(NodeImporter &n, size_t i, const QuantizationLayout &layout) {
  FailureOr<Value> broadcast = broadcastToInput(n, n.input(i), n.inputType(0), layout);
  if (failed(broadcast))
    return failure();
  return toF32(n, *broadcast);
}

/// Input `i`'s element type as ONNX names it: INT4/UINT4 for a widened
/// constant.
std::string typeName(NodeImporter &n, size_t i) {
  if (int32_t widened = n.widenedType(n.input(i)))
    return dataTypeName(widened);
  Type type = n.inputType(i).getElementType();
  for (int32_t onnxType = 1; onnxType <= onnx::TensorProto::BFLOAT16; ++onnxType)
    if (convertElementType(onnxType, n.getContext()) == type)
      return dataTypeName(onnxType);
  std::string name;
  llvm::raw_string_ostream(name) << type;
  return name;
}

bool isQuantizedType(Type t) {
  return t.isInteger(8) || t.isInteger(16) || t.isSignlessInteger(32);
}

/// The elements of constant `v` as f32 (integers of up to 16 bits exactly,
/// i32 rounded to nearest as a cast rounds it), or nullopt.
std::optional<std::vector<float>> constantAsF32(Value v) {
  ElementsAttr elements = constantElements(v);
  if (!elements)
    return std::nullopt;
  auto widen = [](auto values) -> std::optional<std::vector<float>> {
    if (!values)
      return std::nullopt;
    return std::vector<float>(values->begin(), values->end());
  };
  Type t = elements.getElementType();
  if (t.isF32())
    return elementValues<float>(elements);
  if (t.isUnsignedInteger(8))
    return widen(elementValues<uint8_t>(elements));
  if (t.isSignlessInteger(8))
    return widen(elementValues<int8_t>(elements));
  if (t.isUnsignedInteger(16))
    return widen(elementValues<uint16_t>(elements));
  if (t.isSignlessInteger(16))
    return widen(elementValues<int16_t>(elements));
  if (t.isSignlessInteger(32))
    return widen(elementValues<int32_t>(elements));
  return std::nullopt;
}

/// Which parameter each element of x [shape] reads under `layout`.
struct ParameterIndex {
  int64_t inner = 1, size = 1;
  QuantizationLayout layout;
  ParameterIndex(ArrayRef<int64_t> shape, const QuantizationLayout &layout) : layout(layout) {
    if (layout.kind == QuantizationLayout::PerTensor)
      return;
    for (int64_t d = layout.axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
      inner *= shape[d];
    size = shape[layout.axis];
  }
  int64_t operator()(int64_t element) const {
    int64_t along = element / inner % size;
    switch (layout.kind) {
    case QuantizationLayout::PerTensor:
      return 0;
    case QuantizationLayout::PerAxis:
      return along;
    case QuantizationLayout::Blocked: {
      int64_t blocks = llvm::divideCeil(size, layout.blockSize);
      int64_t outer = element / (inner * size);
      return (outer * blocks + along / layout.blockSize) * inner + element % inner;
    }
    }
    llvm_unreachable("unknown quantization layout");
  }
};

/// The group of a model's 4-bit grid that the int4 kernels take for
/// weights [K, N] quantised as `layout`: blocks along K of a multiple of
/// 32 rows, or one scale per column or for all; 0 when none fits.
int64_t kernelGroup(const QuantizationLayout &layout) {
  if (layout.kind == QuantizationLayout::Blocked)
    for (int64_t group : {128, 64, 32})
      if (layout.axis == 0 && layout.blockSize % group == 0)
        return group;
  bool perColumn = layout.kind == QuantizationLayout::PerAxis && layout.axis == 1;
  return perColumn || layout.kind == QuantizationLayout::PerTensor ? 128 : 0;
}

/// The grid of 4-bit weights w = (q − zero) · scale, [K, N], for the int4
/// kernels: codes q − zero + shift in [0, 15] (shift 0 for UINT4, 8 for
/// INT4), offsets −(zero + shift) · scale, in groups of `group` rows. For
/// the layouts kernelGroup gives a group, whose parameters are the same for
/// every row of a group: those of the group's first row.
DictionaryAttr fourBitGrid(NodeImporter &n, ArrayRef<int64_t> shape, int64_t group,
                           const ParameterIndex &index, ArrayRef<float> scales,
                           ArrayRef<float> zeros, float shift) {
  int64_t k = shape[0], columns = shape[1], groups = llvm::divideCeil(k, group);
  std::vector<float> gridScales(groups * columns), gridOffsets(groups * columns);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < columns; ++c) {
      int64_t p = index(g * group * columns + c);
      float zero = (zeros.empty() ? 0.0f : zeros[p]) + shift;
      gridScales[g * columns + c] = scales[p];
      gridOffsets[g * columns + c] = -zero * scales[p];
    }
  return int4WeightGridAttr(n.getBuilder(), group, groups, columns, gridScales, gridOffsets);
}

/// The 8-bit grid of weights w = (q − zero) · scale, [K, N], with a scale
/// per column or one for all (`layout`): codes q − zero, if each lies in
/// [-128, 127] (int8 weights, uint8 ones around a zero point of 128), and
/// the columns' scales. Null where a code does not fit or the layout is
/// another.
DictionaryAttr eightBitGrid(NodeImporter &n, ArrayRef<int64_t> shape,
                            const QuantizationLayout &layout, const ParameterIndex &index,
                            ArrayRef<float> values, ArrayRef<float> scales, ArrayRef<float> zeros) {
  bool perColumn = layout.kind == QuantizationLayout::PerAxis && layout.axis == 1;
  if (!perColumn && layout.kind != QuantizationLayout::PerTensor)
    return nullptr;
  for (size_t i = 0; i < values.size(); ++i) {
    float code = values[i] - (zeros.empty() ? 0.0f : zeros[index(i)]);
    if (code < -128 || code > 127)
      return nullptr;
  }
  int64_t columns = shape[1];
  std::vector<float> columnScales(columns);
  for (int64_t c = 0; c < columns; ++c)
    columnScales[c] = scales[index(c)];
  return int8WeightGridAttr(n.getBuilder(), columnScales);
}

/// DequantizeLinear of constants (an f32 scale): its values, computed as
/// the compiled arithmetic would; 4-bit and 8-bit weights [K, N] get their
/// grid where the kernels take it. Null where it does not fold.
Value foldDequantize(NodeImporter &n, const QuantizationLayout &layout) {
  RankedTensorType x = n.inputType(0);
  if (!x.hasStaticShape() || !n.inputType(1).getElementType().isF32() ||
      !constantElements(n.input(0)) || !constantElements(n.input(1)) ||
      (n.hasInput(2) && !constantElements(n.input(2))))
    return Value();
  auto values = constantAsF32(n.input(0));
  auto scales = constantAsF32(n.input(1));
  std::optional<std::vector<float>> zeros;
  if (n.hasInput(2) && !(zeros = constantAsF32(n.input(2))))
    return Value();
  if (!values || !scales)
    return Value();
  ParameterIndex index(x.getShape(), layout);
  Value folded = f32Constant(n, x.getShape(), "dequantized", [&](MutableArrayRef<float> result) {
    for (size_t i = 0; i < result.size(); ++i) {
      int64_t p = index(i);
      result[i] = ((*values)[i] - (zeros ? (*zeros)[p] : 0.0f)) * (*scales)[p];
    }
  });
  if (x.getRank() != 2 || !x.getNumElements())
    return folded;
  ArrayRef<float> zeroPoints = zeros ? ArrayRef<float>(*zeros) : ArrayRef<float>();
  int32_t widened = n.widenedType(n.input(0));
  int64_t group = kernelGroup(layout);
  if (widened && group)
    n.setWeightGrid(folded, fourBitGrid(n, x.getShape(), group, index, *scales, zeroPoints,
                                        widened == kOnnxInt4 ? 8.0f : 0.0f));
  else if (!widened && x.getElementType().isInteger(8))
    if (DictionaryAttr grid =
            eightBitGrid(n, x.getShape(), layout, index, *values, *scales, zeroPoints))
      n.setWeightGrid(folded, grid);
  return folded;
}

/// saturate(round(x / scale) + zero) as `yType`, an integer of 8 or 16
/// bits, for f32 x, scale and zero (null: 0) that broadcast; rounding
/// halves to even.
FailureOr<Value> quantize(NodeImporter &n, Value x, Value scale, Value zero, Type yType) {
  FailureOr<Value> y = n.create<DivOp>({x, scale});
  if (failed(y) || failed(y = n.create<RoundOp>({*y})) ||
      (zero && failed(y = n.create<AddOp>({*y, zero}))))
    return failure();
  unsigned bits = yType.getIntOrFloatBitWidth();
  bool isUnsigned = yType.isUnsignedInteger();
  double lowest = isUnsigned ? 0.0 : -std::ldexp(1.0, bits - 1);
  double highest = std::ldexp(1.0, isUnsigned ? bits : bits - 1) - 1;
  Type f32 = n.getBuilder().getF32Type();
  if (failed(y = n.create<MaxOp>({*y, n.constScalar(f32, lowest)})) ||
      failed(y = n.create<MinOp>({*y, n.constScalar(f32, highest)})))
    return failure();
  return n.create<CastOp>({*y}, {n.namedAttr("to", TypeAttr::get(yType))});
}

} // namespace

/// DequantizeLinear: y = (x − zero_point) · scale, in f32 (then the
/// scale's type), the zero point 0 when absent.
LogicalResult onnx_import::importDequantizeLinear(NodeImporter &n) {
  RankedTensorType x = n.inputType(0);
  Type scaleType = n.inputType(1).getElementType();
  if (!isQuantizedType(x.getElementType()))
    return n.emitError() << "x must be int8, uint8, int16, uint16 or int32 (or a 4-bit "
                            "constant), not "
                         << x.getElementType();
  if (!isa<FloatType>(scaleType))
    return n.emitError() << "the scale must be float, not " << scaleType;
  if (n.hasInput(2) && (n.inputType(2).getElementType() != x.getElementType() ||
                        n.widenedType(n.input(2)) != n.widenedType(n.input(0))))
    return n.emitError() << "the zero point must have x's type (" << typeName(n, 0) << "), not "
                         << typeName(n, 2);
  if (int64_t outputType = n.attrInt("output_dtype", 0);
      outputType && convertElementType(outputType, n.getContext()) != scaleType)
    return n.emitError() << "output_dtype " << dataTypeName(outputType)
                         << " differs from the scale's type; only the scale's type is supported";
  FailureOr<QuantizationLayout> layout = quantizationLayout(n);
  if (failed(layout))
    return failure();
  if (Value folded = foldDequantize(n, *layout))
    return n.setOutputs({folded});

  FailureOr<Value> y = toF32(n, n.input(0));
  if (failed(y))
    return failure();
  if (n.hasInput(2)) {
    FailureOr<Value> zero = parameterAsF32(n, 2, *layout);
    if (failed(zero) || failed(y = n.create<SubOp>({*y, *zero})))
      return failure();
  }
  FailureOr<Value> scale = parameterAsF32(n, 1, *layout);
  if (failed(scale) || failed(y = n.create<MulOp>({*y, *scale})))
    return failure();
  if (!scaleType.isF32() &&
      failed(y = n.create<CastOp>({*y}, {n.namedAttr("to", TypeAttr::get(scaleType))})))
    return failure();
  return n.setOutputs({*y});
}

/// QuantizeLinear: y = saturate(round(x / scale) + zero_point), rounding
/// halves to even, in f32; y's type is the zero point's (uint8 without one,
/// or output_dtype from opset 21).
LogicalResult onnx_import::importQuantizeLinear(NodeImporter &n) {
  Type xType = n.inputType(0).getElementType();
  if (!isa<FloatType>(xType) && !xType.isSignlessInteger(32))
    return n.emitError() << "x must be float or int32, not " << xType;
  if (n.attrInt("precision", 0))
    return n.emitError() << "precision is not supported: genc divides by the scale in f32";
  Type yType = n.getBuilder().getIntegerType(8, /*isSigned=*/false);
  int64_t outputType = n.getOpset() >= 21 ? n.attrInt("output_dtype", 0) : 0;
  if (outputType) {
    yType = convertElementType(outputType, n.getContext());
    if (!yType)
      return n.emitError() << "output_dtype " << dataTypeName(outputType)
                           << " is not supported: genc quantises to int8, uint8, int16 or uint16";
  }
  if (n.hasInput(2)) {
    if (int32_t widened = n.widenedType(n.input(2)))
      return n.emitError() << "quantising to " << dataTypeName(widened)
                           << " (the zero point's type) is not supported: genc quantises to "
                              "int8, uint8, int16 or uint16";
    if (outputType && n.inputType(2).getElementType() != yType)
      return n.emitError() << "output_dtype " << dataTypeName(outputType)
                           << " differs from the zero point's type";
    yType = n.inputType(2).getElementType();
  }
  if (!yType.isInteger(8) && !yType.isInteger(16))
    return n.emitError() << "quantising to " << yType
                         << " is not supported: genc quantises to int8, uint8, int16 or uint16";
  FailureOr<QuantizationLayout> layout = quantizationLayout(n);
  if (failed(layout))
    return failure();

  FailureOr<Value> x = toF32(n, n.input(0));
  FailureOr<Value> scale = parameterAsF32(n, 1, *layout);
  FailureOr<Value> zero = n.hasInput(2) ? parameterAsF32(n, 2, *layout) : Value();
  if (failed(x) || failed(scale) || failed(zero))
    return failure();
  FailureOr<Value> y = quantize(n, *x, *scale, *zero, yType);
  if (failed(y))
    return failure();
  return n.setOutputs({*y});
}

/// DynamicQuantizeLinear: x (f32) to uint8 on the range [min(x, 0),
/// max(x, 0)]: scale = range / 255 (1 where the range is empty, as ONNX
/// Runtime takes it), zero point saturate(round(−min / scale)).
LogicalResult onnx_import::importDynamicQuantizeLinear(NodeImporter &n) {
  RankedTensorType x = n.inputType(0);
  if (!x.getElementType().isF32())
    return n.emitError() << "x must be float32, not " << x.getElementType();
  OpBuilder &b = n.getBuilder();
  Type f32 = b.getF32Type(), u8 = b.getIntegerType(8, /*isSigned=*/false);
  SmallVector<int64_t> everyAxis = llvm::to_vector(llvm::seq<int64_t>(0, x.getRank()));
  auto overAll = [&](auto reduction) -> FailureOr<Value> {
    return n.create<decltype(reduction)>({n.input(0)},
                                         {n.namedAttr("axes", b.getDenseI64ArrayAttr(everyAxis)),
                                          n.namedAttr("keepdims", b.getBoolAttr(false))});
  };
  Value zeroF = n.constScalar(f32, 0);
  FailureOr<Value> lo = overAll(ReduceMinOp()), hi = overAll(ReduceMaxOp());
  if (failed(lo) || failed(hi) || failed(lo = n.create<MinOp>({*lo, zeroF})) ||
      failed(hi = n.create<MaxOp>({*hi, zeroF})))
    return failure();
  FailureOr<Value> range = n.create<SubOp>({*hi, *lo});
  FailureOr<Value> empty = failed(range) ? range : n.create<EqualOp>({*range, zeroF});
  FailureOr<Value> scale =
      failed(empty) ? empty : n.create<DivOp>({*range, n.constScalar(f32, 255)});
  if (failed(scale) || failed(scale = n.create<WhereOp>({*empty, n.constScalar(f32, 1), *scale})))
    return failure();
  FailureOr<Value> negated = n.create<NegOp>({*lo});
  FailureOr<Value> zero = failed(negated) ? negated : quantize(n, *negated, *scale, Value(), u8);
  FailureOr<Value> zeroAsF32 = failed(zero) ? zero : toF32(n, *zero);
  if (failed(zeroAsF32))
    return failure();
  FailureOr<Value> y = quantize(n, n.input(0), *scale, *zeroAsF32, u8);
  if (failed(y))
    return failure();
  return n.setOutputs({*y, *scale, *zero});
}

namespace {

/// The largest Σ |B − b_zero_point| over a piece of K's rows, in any
/// column, whose partial sums f32 holds exactly: 255 (the largest |A −
/// a_zero_point| of 8-bit A) times it stays within 2^24.
constexpr int64_t kMaxCodeSum = (int64_t(1) << 24) / 255;

/// Where the greedy cut of K into pieces within kMaxCodeSum ends each one:
/// the fewest pieces there are (a row alone always fits: 255 < it).
int64_t fewestPieces(ArrayRef<float> codes, int64_t k, int64_t columns) {
  int64_t pieces = 1;
  std::vector<int64_t> sums(columns, 0);
  for (int64_t row = 0; row < k; ++row) {
    ArrayRef<float> codesOfRow = codes.slice(row * columns, columns);
    bool fits = true;
    for (int64_t j = 0; j < columns && fits; ++j)
      fits = sums[j] + static_cast<int64_t>(std::fabs(codesOfRow[j])) <= kMaxCodeSum;
    if (!fits) {
      ++pieces;
      std::fill(sums.begin(), sums.end(), 0);
    }
    for (int64_t j = 0; j < columns; ++j)
      sums[j] += static_cast<int64_t>(std::fabs(codesOfRow[j]));
  }
  return pieces;
}

/// The ends of K's pieces for MatMulInteger by constant codes [K, N]: the
/// fewest pieces of one length (the last shorter) within kMaxCodeSum, so
/// that MatMulIntegers reading one A with alike codes slice it alike (and
/// their matmuls merge), and no piece is a short remainder.
SmallVector<int64_t> pieceEnds(ArrayRef<float> codes, int64_t k, int64_t columns) {
  for (int64_t count = fewestPieces(codes, k, columns);; ++count) {
    const int64_t rows = (k + count - 1) / count;
    SmallVector<int64_t> ends;
    std::vector<int64_t> sums(columns, 0);
    bool fits = true;
    for (int64_t row = 0; row < k && fits; ++row) {
      if (row > 0 && row % rows == 0) {
        ends.push_back(row);
        std::fill(sums.begin(), sums.end(), 0);
      }
      for (int64_t j = 0; j < columns; ++j)
        fits &=
            (sums[j] += static_cast<int64_t>(std::fabs(codes[row * columns + j]))) <= kMaxCodeSum;
    }
    if (fits) {
      ends.push_back(k);
      return ends;
    }
  }
}

/// B − b_zero_point of MatMulInteger as f32, for constant B [K, N] and
/// zero point; none where B is not such a constant.
std::optional<std::vector<float>> constantCodes(NodeImporter &n) {
  RankedTensorType b = n.inputType(1);
  if (b.getRank() != 2 || !b.hasStaticShape())
    return std::nullopt;
  auto codes = constantAsF32(n.input(1));
  std::optional<std::vector<float>> zeros;
  if (!codes || (n.hasInput(3) && !(zeros = constantAsF32(n.input(3)))))
    return std::nullopt;
  int64_t columns = b.getDimSize(1);
  if (zeros)
    for (size_t i = 0; i < codes->size(); ++i)
      (*codes)[i] -= (*zeros)[zeros->size() == 1 ? 0 : i % columns];
  return codes;
}

} // namespace

/// MatMulInteger: (A − a_zero_point) · (B − b_zero_point) in int32, A and
/// B of 8 bits, a zero point per tensor or per row of A (1-D [M]) and per
/// tensor or per column of B (1-D [N]). With B a constant [K, N] (ONNX
/// Runtime's dynamic quantiser's weights) the products are f32 matmuls, a
/// weight kernel's work, over pieces of K short enough that every partial
/// sum is an integer f32 holds exactly (pieceEnds), each converted to
/// int32 and the pieces added there: exact, as the integer loop nest it
/// replaces. Their weights are never rounded (kExactProductsAttrName):
/// int8 where it holds them, else f32.
LogicalResult onnx_import::importMatMulInteger(NodeImporter &n) {
  Type i32 = n.getBuilder().getI32Type(), f32 = n.getBuilder().getF32Type();
  // Operand i's type and its zero point's (input zeroInput) shape.
  auto check = [&](size_t i, size_t zeroInput, bool perRow) -> LogicalResult {
    RankedTensorType type = n.inputType(i);
    if (!type.getElementType().isInteger(8))
      return n.emitError() << (i ? "B" : "A") << " must be int8 or uint8, not "
                           << type.getElementType();
    if (!n.hasInput(zeroInput))
      return success();
    RankedTensorType zeroType = n.inputType(zeroInput);
    if (zeroType.getElementType() != type.getElementType() || zeroType.getRank() > 1)
      return n.emitError() << "the zero point of " << (i ? "B" : "A") << " must be a scalar or 1-D "
                           << type.getElementType() << ", not " << zeroType;
    bool perTensor = zeroType.getRank() == 0 || zeroType.getDimSize(0) == 1;
    // Per row of A (its dim -2) or per column of B (its dim -1).
    int64_t along = perRow ? type.getRank() - 2 : type.getRank() - 1;
    if (!perTensor && (along < 0 || knownDifferent(zeroType.getDimSize(0), type.getDimSize(along))))
      return n.emitError() << "the zero point of " << (i ? "B" : "A") << " " << zeroType
                           << " has neither one element nor one per "
                           << (perRow ? "row of A " : "column of B ") << type;
    return success();
  };
  // Operand i less its zero point, as `to`.
  auto operand = [&](size_t i, size_t zeroInput, bool perRow, Type to) -> FailureOr<Value> {
    FailureOr<Value> v = n.create<CastOp>({n.input(i)}, {n.namedAttr("to", TypeAttr::get(to))});
    if (failed(v) || !n.hasInput(zeroInput))
      return v;
    RankedTensorType zeroType = n.inputType(zeroInput);
    bool perTensor = zeroType.getRank() == 0 || zeroType.getDimSize(0) == 1;
    FailureOr<Value> zero = perTensor ? n.reshape(n.input(zeroInput), {})
                            : perRow  ? n.reshape(n.input(zeroInput), {-1, 1})
                                      : FailureOr<Value>(n.input(zeroInput));
    if (failed(zero) ||
        failed(zero = n.create<CastOp>({*zero}, {n.namedAttr("to", TypeAttr::get(to))})))
      return failure();
    return n.create<SubOp>({*v, *zero});
  };
  if (failed(check(0, 2, /*perRow=*/true)) || failed(check(1, 3, /*perRow=*/false)))
    return failure();
  if (std::optional<std::vector<float>> codes = constantCodes(n);
      codes && n.inputType(1).getNumElements()) {
    int64_t k = n.inputType(1).getDimSize(0), columns = n.inputType(1).getDimSize(1);
    // The pieces' slices would hide a K that differs: checked here, and at
    // run time for a dynamic one by the last piece, which runs to A's end.
    RankedTensorType aType = n.inputType(0);
    if (aType.getRank() == 0 || knownDifferent(aType.getShape().back(), k))
      return n.emitError() << "A " << aType << " and B " << n.inputType(1)
                           << " cannot be multiplied: A's last dim must be B's first";
    SmallVector<int64_t> ends = pieceEnds(*codes, k, columns);
    FailureOr<Value> a = operand(0, 2, /*perRow=*/true, f32);
    if (failed(a))
      return failure();
    int64_t lastAxis = cast<RankedTensorType>(a->getType()).getRank() - 1;
    FailureOr<Value> sum = Value();
    for (int64_t first = 0; int64_t last : ends) {
      FailureOr<Value> piece = *a;
      if (last - first < k)
        piece =
            n.create<SliceOp>({*a, n.constI64({first}), n.constI64({last < k ? last : INT64_MAX}),
                               n.constI64({lastAxis}), n.constI64({1})});
      Value weights = f32Constant(n, {last - first, columns}, "integer_codes",
                                  [&](MutableArrayRef<float> values) {
                                    std::copy(codes->begin() + first * columns,
                                              codes->begin() + last * columns, values.begin());
                                  });
      Operation *product = nullptr;
      FailureOr<Value> partial = failed(piece) ? piece : importMatmul(n, *piece, weights, &product);
      if (failed(partial) ||
          failed(partial = n.create<CastOp>({*partial}, {n.namedAttr("to", TypeAttr::get(i32))})))
        return failure();
      product->setAttr(kExactProductsAttrName, n.getBuilder().getUnitAttr());
      sum = *sum ? n.create<AddOp>({*sum, *partial}) : partial;
      if (failed(sum))
        return failure();
      first = last;
    }
    return n.setOutputs({*sum});
  }
  FailureOr<Value> a = operand(0, 2, /*perRow=*/true, i32);
  FailureOr<Value> b = failed(a) ? a : operand(1, 3, /*perRow=*/false, i32);
  FailureOr<Value> y = failed(b) ? b : importMatmul(n, *a, *b);
  if (failed(y))
    return failure();
  return n.setOutputs({*y});
}
