//===- Importer.cpp - ONNX graph → genc function ---------------------------===//

#include "genc/Import/OnnxImporter.h"
#include "ImporterInternal.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

#include <onnx/defs/schema.h>

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

namespace mlir::genc::onnx_import {

/// Imports the nodes of one graph (the main graph or an If branch); a
/// branch sees the values of the graphs around it.
class GraphImporter {
public:
  GraphImporter(std::shared_ptr<LoadedModel> model, const llvm::StringMap<int64_t> &opsets,
                GraphImporter *parent)
      : model(std::move(model)), opsets(opsets), parent(parent) {}

  Value lookup(StringRef name) const {
    for (const GraphImporter *g = this; g; g = g->parent) {
      auto it = g->values.find(name);
      if (it != g->values.end())
        return it->second;
    }
    return {};
  }

  void define(StringRef name, Value v) { values[name] = v; }

  // Facts about values (NodeImporter::getWeightGrid, widenedType), kept
  // by the main graph: values are unique, so its subgraphs share them.
  GraphImporter &root() { return parent ? parent->root() : *this; }
  DictionaryAttr weightGrid(Value weights) { return root().weightGrids.lookup(weights); }
  void setWeightGrid(Value weights, DictionaryAttr grid) { root().weightGrids[weights] = grid; }
  int32_t widenedType(Value constant) { return root().widenedTypes.lookup(constant); }
  void setWidenedType(Value constant, int32_t onnxType) {
    root().widenedTypes[constant] = onnxType;
  }

  LogicalResult importInitializers(const onnx::GraphProto &graph, OpBuilder &builder);
  LogicalResult importNodes(const onnx::GraphProto &graph, OpBuilder &builder);

  Location fileLoc(MLIRContext *ctx) const {
    return FileLineColLoc::get(ctx, model->path, 0, 0);
  }

  std::shared_ptr<LoadedModel> model;
  const llvm::StringMap<int64_t> &opsets;

  /// The graph this one is a subgraph of, or null.
  GraphImporter *parent;

private:
  LogicalResult importNode(const onnx::NodeProto &node, OpBuilder &builder);

  llvm::StringMap<Value> values;
  llvm::DenseMap<Value, DictionaryAttr> weightGrids;
  llvm::DenseMap<Value, int32_t> widenedTypes;
};

} // namespace mlir::genc::onnx_import

//===----------------------------------------------------------------------===//
// Handler lookup
//===----------------------------------------------------------------------===//

/// How deeply subgraphs (If branches) may nest. Importing recurses once per
/// level; a limit keeps a hostile model (.onnxtext has no protobuf nesting
/// limit) from overflowing the stack.
static constexpr unsigned kMaxSubgraphDepth = 32;

static StringRef canonicalDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

static int64_t opsetOf(const llvm::StringMap<int64_t> &opsets, StringRef domain) {
  auto it = opsets.find(canonicalDomain(domain));
  if (it != opsets.end())
    return it->second;
  return domain == "com.microsoft" ? 1 : -1;
}

/// The newest handler for (domain, op) that is not newer than `opset`.
static const OpHandler *findHandler(StringRef domain, StringRef opType, int64_t opset) {
  domain = canonicalDomain(domain);
  ArrayRef<OpHandler> table = domain.empty()              ? getDefaultDomainHandlers()
                              : domain == "com.microsoft" ? getMicrosoftHandlers()
                                                          : ArrayRef<OpHandler>();
  const OpHandler *best = nullptr;
  for (const OpHandler &h : table)
    if (opType == h.opType && h.sinceVersion <= opset &&
        (!best || h.sinceVersion > best->sinceVersion))
      best = &h;
  return best;
}

/// The name diagnostics and locations use: the node's own, or for an
/// anonymous node its op and first output.
static std::string displayName(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + "(" + (node.output_size() ? node.output(0) : "") + ")";
}

/// Lists every node of `graph` (and its subgraphs) that has no handler.
static void collectUnsupported(const onnx::GraphProto &graph,
                               const llvm::StringMap<int64_t> &opsets,
                               SmallVectorImpl<std::string> &out, unsigned depth = 0) {
  // Deeper nesting is refused when the subgraph is imported.
  if (depth > kMaxSubgraphDepth)
    return;
  for (const onnx::NodeProto &node : graph.node()) {
    int64_t opset = opsetOf(opsets, node.domain());
    if (!findHandler(node.domain(), node.op_type(), opset))
      out.push_back("node '" + displayName(node) + "': " + node.op_type() + " (domain '" +
                    (node.domain().empty() ? std::string("ai.onnx") : node.domain()) +
                    "', opset " + std::to_string(opset) + ")");
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        collectUnsupported(attr.g(), opsets, out, depth + 1);
      for (const onnx::GraphProto &g : attr.graphs())
        collectUnsupported(g, opsets, out, depth + 1);
    }
  }
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

/// The tensor type of a graph input or output, and the names of its
/// symbolic dims ("" for static or anonymous dims).
static FailureOr<RankedTensorType> convertValueType(const onnx::ValueInfoProto &info,
                                                    MLIRContext *ctx, Location loc,
                                                    SmallVectorImpl<StringRef> *dimNames) {
  if (!info.type().has_tensor_type())
    return emitError(loc) << "graph value '" << info.name()
                          << "' is not a tensor; only tensor inputs and outputs are supported";
  const auto &tensorType = info.type().tensor_type();
  Type element = convertElementType(tensorType.elem_type(), ctx);
  if (!element)
    return emitError(loc) << "graph value '" << info.name() << "' has unsupported element type "
                          << dataTypeName(tensorType.elem_type())
                          << unsupportedTypeAdvice(tensorType.elem_type());
  if (!tensorType.has_shape())
    return emitError(loc) << "graph value '" << info.name()
                          << "' has no shape; genc needs at least the rank of every "
                             "graph input and output";
  SmallVector<int64_t> shape;
  int64_t elements = 1;
  for (const auto &dim : tensorType.shape().dim()) {
    bool isStatic = dim.has_dim_value() && dim.dim_value() >= 0;
    shape.push_back(isStatic ? dim.dim_value() : ShapedType::kDynamic);
    // Later passes count elements in int64: a static shape whose count
    // overflows would wrap silently there.
    if (isStatic && llvm::MulOverflow(elements, dim.dim_value(), elements))
      return emitError(loc) << "graph value '" << info.name() << "' declares the shape "
                            << formatShape(shape)
                            << "..., whose element count overflows int64";
    if (dimNames)
      dimNames->push_back(dim.has_dim_param() ? StringRef(dim.dim_param()) : StringRef());
  }
  return RankedTensorType::get(shape, element);
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

Value NodeImporter::input(size_t i) { return graph.lookup(node.input(i)); }

const std::shared_ptr<LoadedModel> &NodeImporter::model() const { return graph.model; }

void NodeImporter::setWeightGrid(Value weights, DictionaryAttr grid) {
  graph.setWeightGrid(weights, grid);
}

DictionaryAttr NodeImporter::getWeightGrid(Value weights) const {
  return graph.weightGrid(weights);
}

void NodeImporter::setWidenedType(Value constant, int32_t onnxType) {
  graph.setWidenedType(constant, onnxType);
}

int32_t NodeImporter::widenedType(Value constant) const { return graph.widenedType(constant); }

LogicalResult NodeImporter::setOutputs(ValueRange values) {
  for (auto [i, v] : llvm::enumerate(values))
    if (wantsOutput(i))
      graph.define(node.output(i), v);
  for (size_t i = values.size(); i < numOutputs(); ++i)
    if (wantsOutput(i))
      return emitError() << "output " << i << " ('" << node.output(i)
                         << "') is not supported; leave it unused";
  return success();
}

const onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::attrInt(StringRef name, int64_t defaultValue) const {
  const auto *a = findAttr(name);
  return a ? a->i() : defaultValue;
}
float NodeImporter::attrFloat(StringRef name, float defaultValue) const {
  const auto *a = findAttr(name);
  return a ? a->f() : defaultValue;
}
std::string NodeImporter::attrString(StringRef name, StringRef defaultValue) const {
  const auto *a = findAttr(name);
  return a ? a->s() : defaultValue.str();
}
std::optional<SmallVector<int64_t>> NodeImporter::attrInts(StringRef name) const {
  const auto *a = findAttr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}
const onnx::TensorProto *NodeImporter::attrTensor(StringRef name) const {
  const auto *a = findAttr(name);
  return a && a->has_t() ? &a->t() : nullptr;
}
const onnx::GraphProto *NodeImporter::attrGraph(StringRef name) const {
  const auto *a = findAttr(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(size_t i, StringRef what) {
  DenseIntElementsAttr attr;
  if (!hasInput(i) || !matchPattern(input(i), m_Constant(&attr)))
    return emitError() << what << " (input " << i
                       << ") must be a constant; genc needs it at compile time";
  return llvm::to_vector(
      llvm::map_range(attr.getValues<APInt>(), [](const APInt &v) { return v.getSExtValue(); }));
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank, StringRef what) {
  if (axis < -rank || axis >= rank)
    return emitError() << what << " " << axis << " is out of range [" << -rank << ", " << rank
                       << ") for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>> NodeImporter::normalizeAxes(ArrayRef<int64_t> axes,
                                                            int64_t rank) {
  SmallVector<int64_t> normalized;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    normalized.push_back(*a);
  }
  return normalized;
}

ElementsAttr onnx_import::constantElements(Value v) {
  ElementsAttr elements;
  if (!v || !matchPattern(v, m_Constant(&elements)))
    return {};
  return elements;
}

Value NodeImporter::constI64(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, builder.getI64Type());
  return arith::ConstantOp::create(builder, loc, type, DenseIntElementsAttr::get(type, values));
}

Value NodeImporter::constScalar(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr;
  if (auto f = dyn_cast<FloatType>(elementType)) {
    APFloat v(value);
    bool lost;
    v.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    attr = DenseElementsAttr::get(type, v);
  } else {
    attr = DenseElementsAttr::get(
        type, APInt(elementType.getIntOrFloatBitWidth(), static_cast<int64_t>(value), true));
  }
  return arith::ConstantOp::create(builder, loc, type, cast<TypedAttr>(attr));
}

FailureOr<Value> NodeImporter::reshape(Value x, ArrayRef<int64_t> shape) {
  return create<ReshapeOp>({x, constI64(shape)});
}

FailureOr<Value> NodeImporter::transpose(Value x, ArrayRef<int64_t> perm) {
  return create<TransposeOp>({x}, {namedAttr("perm", builder.getDenseI64ArrayAttr(perm))});
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &graph,
                                                OpBuilder &builder) {
  MLIRContext *ctx = builder.getContext();
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    Location loc = NameLoc::get(StringAttr::get(ctx, tensor.name()), fileLoc(ctx));
    auto attr = convertTensor(tensor, model, ctx, loc,
                              model->path + ": initializer '" + tensor.name() + "'");
    if (failed(attr))
      return failure();
    Value value = arith::ConstantOp::create(builder, loc, cast<TypedAttr>(*attr));
    if (isWidened(tensor.data_type()))
      setWidenedType(value, tensor.data_type());
    define(tensor.name(), value);
  }
  return success();
}

LogicalResult GraphImporter::importNodes(const onnx::GraphProto &graph, OpBuilder &builder) {
  // ONNX requires topological order but exporters do not always keep it:
  // import a node once all its inputs exist; what never becomes ready is
  // a cycle (or reads a value nothing defines).
  size_t n = graph.node_size();
  SmallVector<bool> done(n, false);
  llvm::StringSet<> produced;
  size_t remaining = n;
  while (remaining) {
    size_t before = remaining;
    for (size_t i = 0; i < n; ++i) {
      if (done[i])
        continue;
      const onnx::NodeProto &node = graph.node(i);
      bool ready = llvm::all_of(node.input(), [&](const std::string &in) {
        return in.empty() || lookup(in);
      });
      if (!ready)
        continue;
      if (failed(importNode(node, builder)))
        return failure();
      done[i] = true;
      --remaining;
    }
    if (remaining == before) {
      InFlightDiagnostic diag = emitError(fileLoc(builder.getContext()))
                                << model->path << ": " << remaining
                                << " node(s) can never run: their inputs form a cycle or "
                                   "are never produced:";
      for (size_t i = 0; i < n; ++i) {
        if (done[i])
          continue;
        const onnx::NodeProto &node = graph.node(i);
        diag << " '" << displayName(node) << "' (" << node.op_type() << ", waits for";
        for (const std::string &in : node.input())
          if (!in.empty() && !lookup(in))
            diag << " '" << in << "'";
        diag << ")";
      }
      return failure();
    }
  }
  return success();
}

/// The most inputs `node` may have at `opset`, by libonnx's schemas; none
/// where they do not reach that opset (or the node's domain). An input the
/// schema does not have would be ignored: ReduceMean's axes given as an
/// input before opset 18, which takes them as an attribute, reduced over
/// every dim.
static std::optional<int> mostInputs(const onnx::NodeProto &node, int64_t opset) {
  const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  const auto &known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto versions = known.find(domain);
  if (versions == known.end() || opset > versions->second.second)
    return std::nullopt;
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(opset), domain);
  return schema ? std::optional<int>(schema->max_input()) : std::nullopt;
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, OpBuilder &builder) {
  MLIRContext *ctx = builder.getContext();
  std::string name = displayName(node);
  Location loc = NameLoc::get(StringAttr::get(ctx, name), fileLoc(ctx));
  int64_t opset = opsetOf(opsets, node.domain());
  const OpHandler *handler = findHandler(node.domain(), node.op_type(), opset);
  assert(handler && "unsupported ops are rejected before import");

  // Every diagnostic of this node names the file, the node and the op.
  std::string prefix = model->path + ": node '" + name + "' (" + node.op_type() +
                       (node.domain().empty() ? "" : ", domain " + node.domain()) +
                       ", opset " + std::to_string(opset) + "): ";
  bool reemitting = false;
  ScopedDiagnosticHandler scoped(ctx, [&](Diagnostic &diag) -> LogicalResult {
    if (reemitting || diag.getSeverity() != DiagnosticSeverity::Error)
      return failure(); // Let the outer handler print it.
    reemitting = true;
    InFlightDiagnostic prefixed = mlir::emitError(fileLoc(ctx)) << prefix << diag.str();
    for (const Diagnostic &note : diag.getNotes())
      prefixed.attachNote() << note.str();
    prefixed.report();
    reemitting = false;
    return success();
  });
  bool every = handler->requiredInputs == kEveryInput;
  int required = every ? std::max(1, node.input_size()) : handler->requiredInputs;
  for (int i = 0; i < required; ++i)
    if (i >= node.input_size() || node.input(i).empty()) {
      InFlightDiagnostic error = mlir::emitError(loc)
                                 << "input " << i << " is required but missing; ";
      if (every)
        return error << node.op_type() << " takes no absent inputs and at least one";
      return error << node.op_type() << " needs at least " << handler->requiredInputs
                   << " input(s)";
    }
  if (std::optional<int> most = mostInputs(node, opset); most && node.input_size() > *most)
    return mlir::emitError(loc) << "has " << node.input_size() << " inputs, but " << node.op_type()
                                << " at opset " << opset << " takes at most " << *most
                                << "; the model was exported for another opset than it "
                                   "declares: export it again, or correct its opset_import";
  NodeImporter importer(*this, node, opset, builder, loc);
  return handler->fn(importer);
}

LogicalResult onnx_import::importSubgraph(NodeImporter &node, const onnx::GraphProto &graph,
                                          Region &region, SmallVectorImpl<Value> &yielded) {
  unsigned depth = 1;
  for (const GraphImporter *g = &node.graph; g->parent; g = g->parent)
    ++depth;
  if (depth > kMaxSubgraphDepth)
    return node.emitError() << "subgraph '" << graph.name() << "' is nested " << depth
                            << " deep; genc imports subgraphs nested at most "
                            << kMaxSubgraphDepth << " deep";
  GraphImporter inner(node.graph.model, node.graph.opsets, &node.graph);
  Block *block = new Block();
  region.push_back(block);
  // The region is not attached to an op yet: the builder cannot ask it
  // for the context.
  OpBuilder builder(node.getContext());
  builder.setInsertionPointToStart(block);
  if (failed(inner.importInitializers(graph, builder)) ||
      failed(inner.importNodes(graph, builder)))
    return failure();
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value v = inner.lookup(output.name());
    if (!v)
      return node.emitError() << "subgraph '" << graph.name() << "' output '" << output.name()
                              << "' is never produced";
    yielded.push_back(v);
  }
  YieldOp::create(builder, node.getLoc(), yielded);
  return success();
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

FailureOr<OwningOpRef<ModuleOp>> genc::importOnnxModel(StringRef path, MLIRContext &context,
                                                       const ImportOptions &options) {
  context.loadDialect<GencDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect, scf::SCFDialect>();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto loaded = loadModel(path, fileLoc);
  if (failed(loaded))
    return failure();
  std::shared_ptr<LoadedModel> model = *loaded;
  model->options = options;
  const onnx::GraphProto &graph = model->proto.graph();

  llvm::StringMap<int64_t> opsets;
  for (const auto &entry : model->proto.opset_import())
    opsets[canonicalDomain(entry.domain())] = entry.version();
  if (!opsets.count(""))
    return emitError(fileLoc) << path << ": the model imports no default-domain opset";

  SmallVector<std::string> unsupported;
  collectUnsupported(graph, opsets, unsupported);
  if (!unsupported.empty()) {
    InFlightDiagnostic diag = emitError(fileLoc)
                              << path << ": " << unsupported.size()
                              << " node(s) use ops genc does not support:";
    for (const std::string &u : unsupported)
      diag << "\n  " << u;
    diag << "\nSee docs/onnx-ops.md for the supported ops and opsets.";
    return failure();
  }

  OpBuilder builder(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // Graph inputs that are also initializers are weights, not arguments.
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &t : graph.initializer())
    initializerNames.insert(t.name());
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (initializerNames.contains(in.name()))
      continue;
    // Compiled artifacts name their own inputs so (a session's past length,
    // window shifts, encoder sources); passes trust those names.
    if (StringRef(in.name()).starts_with("genc."))
      return emitError(fileLoc) << path << ": graph input '" << in.name()
                                << "' uses the prefix 'genc.', which genc keeps for the inputs "
                                   "it adds; rename the input";
    SmallVector<StringRef> dimNames;
    auto type = convertValueType(in, &context, fileLoc, &dimNames);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    SmallVector<Attribute> names = llvm::to_vector(llvm::map_range(
        dimNames, [&](StringRef n) -> Attribute { return builder.getStringAttr(n); }));
    argAttrs.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr("genc.name", builder.getStringAttr(in.name())),
         builder.getNamedAttr("genc.dim_names", builder.getArrayAttr(names))}));
    args.push_back(&in);
  }

  auto fn = func::FuncOp::create(builder, fileLoc, "main",
                                 builder.getFunctionType(argTypes, {}));
  fn.setAllArgAttrs(argAttrs);
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  GraphImporter importer(model, opsets, nullptr);
  for (auto [info, arg] : llvm::zip(args, entry->getArguments()))
    importer.define(info->name(), arg);
  if (failed(importer.importInitializers(graph, builder)) ||
      failed(importer.importNodes(graph, builder)))
    return failure();

  // Outputs: what the graph computed must agree with what it declares.
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Value v = importer.lookup(out.name());
    if (!v)
      return emitError(fileLoc) << path << ": graph output '" << out.name()
                                << "' is never produced by any node";
    if (out.type().has_tensor_type() && out.type().tensor_type().has_shape()) {
      auto declared = convertValueType(out, &context, fileLoc, nullptr);
      if (failed(declared))
        return failure();
      auto computed = cast<RankedTensorType>(v.getType());
      if (!areCompatibleTensorTypes(computed, *declared))
        return emitError(fileLoc) << path << ": graph output '" << out.name()
                                  << "' is declared " << formatShape(declared->getShape())
                                  << " of " << declared->getElementType()
                                  << " but the graph computes "
                                  << formatShape(computed.getShape()) << " of "
                                  << computed.getElementType()
                                  << "; the model's shapes contradict each other";
    }
    results.push_back(v);
    resultAttrs.push_back(builder.getDictionaryAttr(
        builder.getNamedAttr("genc.name", builder.getStringAttr(out.name()))));
  }
  func::ReturnOp::create(builder, fileLoc, results);
  fn.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  fn.setAllResultAttrs(resultAttrs);
  if (failed(verify(*module)))
    return failure();
  return module;
}
