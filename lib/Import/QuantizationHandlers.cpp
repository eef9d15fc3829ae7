//===- QuantizationHandlers.cpp - ONNX linear quantisation → genc ---------===//
//
// QuantizeLinear and DequantizeLinear (docs/onnx-ops.md) as genc
// arithmetic in f32. A DequantizeLinear of initializers folds here into its
// values; when they are 4-bit weights that a MatMul reads, the MatMul
// carries their grid (kWeightGridAttrName), on which the CPU target keeps
// them as int4.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Support/ElementValues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

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

DictionaryAttr onnx_import::weightGridAttr(OpBuilder &b, int64_t group, int64_t columns,
                                           ArrayRef<float> scales, ArrayRef<float> offsets) {
  auto type = RankedTensorType::get({static_cast<int64_t>(scales.size()) / columns, columns},
                                    b.getF32Type());
  auto resource = [&](ArrayRef<float> values, StringRef name) {
    return DenseResourceElementsAttr::get(type, name,
                                          HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  };
  return b.getDictionaryAttr({b.getNamedAttr("group", b.getI64IntegerAttr(group)),
                              b.getNamedAttr("scales", resource(scales, "grid_scales")),
                              b.getNamedAttr("offsets", resource(offsets, "grid_offsets"))});
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
bool knownDifferent(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

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

bool isQuantizedType(Type t) {
  return t.isInteger(8) || t.isInteger(16) || t.isSignlessInteger(32);
}

/// The elements of constant `v` as f32 (integers of up to 16 bits exactly,
/// i32 rounded to nearest as a cast rounds it), or nullopt.
std::optional<std::vector<float>> constantAsF32(Value v) {
  ElementsAttr elements;
  if (!v || !matchPattern(v, m_Constant(&elements)))
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

/// The ONNX data type input `i` was declared with where it is an
/// initializer of the main graph, else 0. (4-bit initializers import
/// widened to bytes; their grid depends on their declared width.)
int32_t declaredInitializerType(NodeImporter &n, size_t i) {
  const std::string &name = n.node_proto().input(i);
  for (const onnx::TensorProto &tensor : n.model()->proto.graph().initializer())
    if (tensor.name() == name)
      return tensor.data_type();
  return 0;
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
/// INT4), offsets −(zero + shift) · scale, in groups of `group` rows.
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
  return weightGridAttr(n.getBuilder(), group, columns, gridScales, gridOffsets);
}

/// DequantizeLinear of initializers (f32 scale): its values, computed as
/// the compiled arithmetic would; 4-bit weights [K, N] get their grid.
FailureOr<Value> foldDequantize(NodeImporter &n, const QuantizationLayout &layout) {
  RankedTensorType x = n.inputType(0);
  auto values = constantAsF32(n.input(0));
  auto scales = constantAsF32(n.input(1));
  std::optional<std::vector<float>> zeros;
  if (n.hasInput(2) && !(zeros = constantAsF32(n.input(2))))
    return Value();
  if (!values || !scales || !n.inputType(1).getElementType().isF32() || !x.hasStaticShape())
    return Value();
  ParameterIndex index(x.getShape(), layout);
  Value folded = f32Constant(n, x.getShape(), "dequantized", [&](MutableArrayRef<float> result) {
    for (size_t i = 0; i < result.size(); ++i) {
      int64_t p = index(i);
      result[i] = ((*values)[i] - (zeros ? (*zeros)[p] : 0.0f)) * (*scales)[p];
    }
  });
  int32_t declared = declaredInitializerType(n, 0);
  int64_t group = kernelGroup(layout);
  if ((declared == kOnnxInt4 || declared == kOnnxUInt4) && x.getRank() == 2 && group)
    n.setWeightGrid(folded, fourBitGrid(n, x.getShape(), group, index, *scales,
                                        zeros ? *zeros : std::vector<float>(),
                                        declared == kOnnxInt4 ? 8.0f : 0.0f));
  return folded;
}

/// DequantizeLinear: y = (x − zero_point) · scale, in f32 (then the
/// scale's type), the zero point 0 when absent.
LogicalResult dequantizeLinear(NodeImporter &n) {
  RankedTensorType x = n.inputType(0);
  Type scaleType = n.inputType(1).getElementType();
  if (!isQuantizedType(x.getElementType()))
    return n.emitError() << "x must be int8, uint8, int16, uint16 or int32 (or a 4-bit "
                            "initializer), not "
                         << x.getElementType();
  if (!isa<FloatType>(scaleType))
    return n.emitError() << "the scale must be float, not " << scaleType;
  if (int64_t outputType = n.attrInt("output_dtype", 0);
      outputType && convertElementType(outputType, n.getContext()) != scaleType)
    return n.emitError() << "output_dtype " << dataTypeName(outputType)
                         << " differs from the scale's type; only the scale's type is supported";
  FailureOr<QuantizationLayout> layout = quantizationLayout(n);
  if (failed(layout))
    return failure();
  FailureOr<Value> folded = foldDequantize(n, *layout);
  if (failed(folded))
    return failure();
  if (*folded)
    return n.setOutputs({*folded});

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

/// QuantizeLinear: y = saturate(round(x / scale) + zero_point), rounding
/// halves to even, in f32; y's type is the zero point's (uint8 without one,
/// or output_dtype from opset 21).
LogicalResult quantizeLinear(NodeImporter &n) {
  Type xType = n.inputType(0).getElementType();
  if (!isa<FloatType>(xType) && !xType.isSignlessInteger(32))
    return n.emitError() << "x must be float or int32, not " << xType;
  Type yType = n.getBuilder().getIntegerType(8, /*isSigned=*/false);
  if (n.hasInput(2)) {
    yType = n.inputType(2).getElementType();
  } else if (int64_t outputType = n.getOpset() >= 21 ? n.attrInt("output_dtype", 0) : 0) {
    yType = convertElementType(outputType, n.getContext());
    if (!yType)
      return n.emitError() << "output_dtype " << dataTypeName(outputType)
                           << " is not supported: genc quantises to int8, uint8, int16 or uint16";
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
LogicalResult dynamicQuantizeLinear(NodeImporter &n) {
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

/// MatMulInteger: (A − a_zero_point) · (B − b_zero_point) in int32, A and
/// B of 8 bits, a zero point per tensor or per row of A (1-D [M]) and per
/// tensor or per column of B (1-D [N]).
LogicalResult matMulInteger(NodeImporter &n) {
  Type i32 = n.getBuilder().getI32Type();
  auto operand = [&](size_t i, size_t zeroInput, bool perRow) -> FailureOr<Value> {
    RankedTensorType type = n.inputType(i);
    if (!type.getElementType().isInteger(8))
      return n.emitError() << (i ? "B" : "A") << " must be int8 or uint8, not "
                           << type.getElementType();
    FailureOr<Value> v = n.create<CastOp>({n.input(i)}, {n.namedAttr("to", TypeAttr::get(i32))});
    if (failed(v) || !n.hasInput(zeroInput))
      return v;
    RankedTensorType zeroType = n.inputType(zeroInput);
    if (zeroType.getElementType() != type.getElementType() || zeroType.getRank() > 1)
      return n.emitError() << "the zero point of " << (i ? "B" : "A") << " must be a scalar or 1-D "
                           << type.getElementType() << ", not " << zeroType;
    bool perTensor = zeroType.getRank() == 0 || zeroType.getDimSize(0) == 1;
    FailureOr<Value> zero = perTensor ? n.reshape(n.input(zeroInput), {})
                            : perRow  ? n.reshape(n.input(zeroInput), {-1, 1})
                                      : FailureOr<Value>(n.input(zeroInput));
    if (failed(zero) ||
        failed(zero = n.create<CastOp>({*zero}, {n.namedAttr("to", TypeAttr::get(i32))})))
      return failure();
    return n.create<SubOp>({*v, *zero});
  };
  FailureOr<Value> a = operand(0, 2, /*perRow=*/true);
  FailureOr<Value> b = failed(a) ? a : operand(1, 3, /*perRow=*/false);
  FailureOr<Value> y = failed(b) ? b : n.create<MatMulOp>({*a, *b});
  if (failed(y))
    return failure();
  return n.setOutputs({*y});
}

} // namespace

LogicalResult onnx_import::importQuantizeLinear(NodeImporter &n) { return quantizeLinear(n); }
LogicalResult onnx_import::importDequantizeLinear(NodeImporter &n) { return dequantizeLinear(n); }
LogicalResult onnx_import::importDynamicQuantizeLinear(NodeImporter &n) {
  return dynamicQuantizeLinear(n);
}
LogicalResult onnx_import::importMatMulInteger(NodeImporter &n) { return matMulInteger(n); }
