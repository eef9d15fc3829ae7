//===- ImporterInternal.h - shared by the importer and its handlers -------===//

#ifndef GENC_LIB_IMPORT_IMPORTERINTERNAL_H
#define GENC_LIB_IMPORT_IMPORTERINTERNAL_H

#include "genc/Dialect/GencOps.h"
#include "genc/Import/OnnxImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "onnx/onnx_pb.h"

#include <map>
#include <memory>
#include <string>

namespace mlir::genc::onnx_import {

/// A parsed model and the files its tensors point into. Blobs made from
/// its bytes hold a reference, so the memory lives as long as the IR does.
struct LoadedModel {
  onnx::ModelProto proto;
  std::string path;      // as given by the user, for diagnostics
  std::string directory; // external data is resolved relative to this
  ImportOptions options;

  /// `tensor`'s raw_data (a tensor of `proto`), moved out into a buffer of
  /// its own: the constants made of it keep it alive, and it is freed with
  /// the last of them, not with the whole model. Taken once; later calls
  /// return the same buffer while it lives.
  std::shared_ptr<std::string> takeRawData(const onnx::TensorProto &tensor);

private:
  std::map<const onnx::TensorProto *, std::weak_ptr<std::string>> takenRawData;
};

/// Parses `path` (.onnx or .onnxtext). Errors are emitted at `loc`.
FailureOr<std::shared_ptr<LoadedModel>> loadModel(StringRef path, Location loc);

/// The ElementsAttr for a tensor: small ones as dense attributes (so that
/// folding sees them), large ones as resources aliasing the model's bytes
/// or an mmap of the external data file. Errors name `what`.
FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                      const std::shared_ptr<LoadedModel> &model,
                                      MLIRContext *ctx, Location loc, StringRef what);

/// The MLIR element type of an ONNX TensorProto data type, or null.
Type convertElementType(int32_t onnxType, MLIRContext *ctx);

/// ONNX's 4-bit data types (ONNX 1.16), newer than the library genc
/// builds with. Their constants import widened to i8 and ui8.
constexpr int32_t kOnnxUInt4 = 21, kOnnxInt4 = 22;
inline bool isWidened(int32_t onnxType) { return onnxType == kOnnxUInt4 || onnxType == kOnnxInt4; }

/// The name of an ONNX TensorProto data type, for messages.
std::string dataTypeName(int32_t onnxType);
/// What to do instead of a data type genc does not support, as a clause
/// to append to the message ("; ..."), or "".
std::string unsupportedTypeAdvice(int32_t onnxType);

class GraphImporter;

/// What a handler sees of one node: its inputs, attributes, a builder at
/// the right place, and ways to create ops and report errors.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, int64_t opset,
               OpBuilder &builder, Location loc)
      : graph(graph), node(node), opset(opset), builder(builder), loc(loc) {}

  const onnx::NodeProto &node_proto() const { return node; }
  int64_t getOpset() const { return opset; }
  OpBuilder &getBuilder() { return builder; }
  Location getLoc() const { return loc; }
  MLIRContext *getContext() { return builder.getContext(); }
  const std::shared_ptr<LoadedModel> &model() const;

  // Inputs. ONNX marks an absent optional input with an empty name.
  size_t numInputs() const { return node.input_size(); }
  bool hasInput(size_t i) const { return i < numInputs() && !node.input(i).empty(); }
  Value input(size_t i);
  Value optionalInput(size_t i) { return hasInput(i) ? input(i) : Value(); }
  RankedTensorType inputType(size_t i) { return cast<RankedTensorType>(input(i).getType()); }
  /// The integer entries of a constant input (axes, pads, k, ...).
  FailureOr<SmallVector<int64_t>> constantInts(size_t i, StringRef what);

  /// ONNX's `axis` of a rank-`rank` tensor as genc ops take it, in
  /// [0, rank) (negative axes count from the end); an error at this node
  /// when it is out of range.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, StringRef what = "axis");
  FailureOr<SmallVector<int64_t>> normalizeAxes(ArrayRef<int64_t> axes, int64_t rank);

  // Outputs.
  size_t numOutputs() const { return node.output_size(); }
  bool wantsOutput(size_t i) const { return i < numOutputs() && !node.output(i).empty(); }
  LogicalResult setOutputs(ValueRange values);

  // Attributes.
  bool hasAttr(StringRef name) const { return findAttr(name) != nullptr; }
  int64_t attrInt(StringRef name, int64_t defaultValue) const;
  float attrFloat(StringRef name, float defaultValue) const;
  std::string attrString(StringRef name, StringRef defaultValue) const;
  std::optional<SmallVector<int64_t>> attrInts(StringRef name) const;
  const onnx::TensorProto *attrTensor(StringRef name) const;
  const onnx::GraphProto *attrGraph(StringRef name) const;

  /// The 4-bit or 8-bit grid (kWeightGridAttrName) of `weights`, a constant that
  /// this import made of a model's quantised weights, for the MatMuls that
  /// read them; null when they have none.
  void setWeightGrid(Value weights, DictionaryAttr grid);
  DictionaryAttr getWeightGrid(Value weights) const;
  /// The ONNX type (kOnnxInt4, kOnnxUInt4) of a constant whose values
  /// import widened to bytes, for ops whose meaning depends on it; else 0.
  void setWidenedType(Value constant, int32_t onnxType);
  int32_t widenedType(Value constant) const;

  /// An error at this node; the importer prefixes file, node and op.
  InFlightDiagnostic emitError() { return mlir::emitError(loc); }

  /// Creates `OpTy` after inferring its result types; shape errors from
  /// inference are reported at this node and give failure().
  template <typename OpTy>
  FailureOr<Value> create(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    auto op = createOp<OpTy>(operands, attrs);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  }
  template <typename OpTy>
  FailureOr<Operation *> createOp(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    OperationName name(OpTy::getOperationName(), getContext());
    NamedAttrList attrList(attrs);
    name.populateDefaultAttrs(attrList);
    DictionaryAttr dict = attrList.getDictionary(getContext());
    SmallVector<Type> types;
    if (failed(OpTy::inferReturnTypes(getContext(), loc, operands, dict,
                                      OpaqueProperties(nullptr), {}, types)))
      return failure();
    OperationState state(loc, name);
    state.addOperands(operands);
    state.addAttributes(dict.getValue());
    state.addTypes(types);
    Operation *op = builder.create(state);
    // Operand constraints (an integer index, a boolean condition) are
    // checked here, while errors are still reported at this node.
    if (failed(verify(op)))
      return failure();
    return op;
  }

  /// A 1-D i64 constant, for shapes, axes and slice bounds.
  Value constI64(ArrayRef<int64_t> values);
  /// A 0-d constant of `elementType` holding `value`.
  Value constScalar(Type elementType, double value);
  /// x reshaped with an ONNX shape vector (0 = copy dim, -1 = infer).
  FailureOr<Value> reshape(Value x, ArrayRef<int64_t> shape);
  FailureOr<Value> transpose(Value x, ArrayRef<int64_t> perm);

  NamedAttribute namedAttr(StringRef name, Attribute value) {
    return builder.getNamedAttr(name, value);
  }

  GraphImporter &graph;

private:
  const onnx::AttributeProto *findAttr(StringRef name) const;

  const onnx::NodeProto &node;
  int64_t opset;
  OpBuilder &builder;
  Location loc;
};

using HandlerFn = LogicalResult (*)(NodeImporter &);

/// `requiredInputs` of variadic ops (Sum, Max, Min, Concat): every input
/// the node names is required, and it names at least one.
constexpr int kEveryInput = -1;

/// One way to import (domain, op type) from `sinceVersion` on; the
/// importer picks the newest handler not newer than the model's opset and
/// checks that the first `requiredInputs` inputs (or kEveryInput) are
/// present before calling it.
struct OpHandler {
  const char *domain;
  const char *opType;
  int64_t sinceVersion;
  int requiredInputs;
  HandlerFn fn;
};

ArrayRef<OpHandler> getDefaultDomainHandlers();
/// SimplifiedLayerNormalization: ONNX Runtime registers it in both domains.
LogicalResult importSimplifiedLayerNormalization(NodeImporter &node);
ArrayRef<OpHandler> getMicrosoftHandlers();
/// Ops that pick elements (SelectionHandlers.cpp).
template <bool Largest> LogicalResult importArgExtreme(NodeImporter &node);
LogicalResult importTopK(NodeImporter &node);
LogicalResult importOneHot(NodeImporter &node);
LogicalResult importNonZero(NodeImporter &node);

/// A · B as ONNX's MatMul multiplies them: a 1-D A as a row [1, K], a 1-D
/// B as a column [K, 1], the unit dims they add removed from the product.
/// `product`, where given, is set to the genc.matmul.
FailureOr<Value> importMatmul(NodeImporter &node, Value a, Value b, Operation **product = nullptr);

/// Linear quantisation (QuantizationHandlers.cpp).
LogicalResult importQuantizeLinear(NodeImporter &node);
LogicalResult importDequantizeLinear(NodeImporter &node);
LogicalResult importDynamicQuantizeLinear(NodeImporter &node);
LogicalResult importMatMulInteger(NodeImporter &node);
/// An f32 constant of `shape` (a resource: weights are large) whose values
/// `fill` writes.
Value f32Constant(NodeImporter &node, ArrayRef<int64_t> shape, StringRef name,
                  function_ref<void(MutableArrayRef<float>)> fill);
/// A model's 4-bit grid of weights [K, N] (kWeightGridAttrName): f32
/// scales and offsets [groups = ceil(K / group), columns], w = q · scale +
/// offset for codes q in [0, 15].
DictionaryAttr int4WeightGridAttr(OpBuilder &builder, int64_t group, int64_t groups,
                                  int64_t columns, ArrayRef<float> scales, ArrayRef<float> offsets);
/// A model's 8-bit grid of weights [K, N]: a scale per column, w = q ·
/// scale for codes q in [-128, 127].
DictionaryAttr int8WeightGridAttr(OpBuilder &builder, ArrayRef<float> scales);
/// The elements of `v` where it is a constant (an initializer, a Constant
/// node, something folded), else null.
ElementsAttr constantElements(Value v);

/// Nodes whose axes or split sizes are graph values, not constants, expand
/// into shape arithmetic on genc ops (RuntimeAxes.cpp). The count of axes
/// or sizes must be static; errors are reported at the node.
FailureOr<Value> squeezeAtRuntimeAxes(NodeImporter &n, Value x, Value axes);
FailureOr<Value> unsqueezeAtRuntimeAxes(NodeImporter &n, Value x, Value axes);
/// `reduceKeepingDim(y, d)` reduces y over dim d, keeping it as a unit dim.
FailureOr<Value>
reduceAtRuntimeAxes(NodeImporter &n, Value x, Value axes, bool keepdims,
                    function_ref<FailureOr<Value>(Value, int64_t axis)> reduceKeepingDim);
FailureOr<SmallVector<Value>> splitAtRuntimeSizes(NodeImporter &n, Value x, int64_t axis,
                                                  Value sizes);

/// Imports a subgraph (an If branch) into `region`, its outer values
/// visible; used by the If handler.
LogicalResult importSubgraph(NodeImporter &node, const onnx::GraphProto &graph,
                             Region &region, SmallVectorImpl<Value> &yielded);

} // namespace mlir::genc::onnx_import

#endif // GENC_LIB_IMPORT_IMPORTERINTERNAL_H
