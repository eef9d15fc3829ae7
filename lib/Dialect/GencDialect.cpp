//===- GencDialect.cpp - dialect registration, verifiers, If --------------===//

#include "genc/Dialect/GencOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::genc;

#include "genc/Dialect/GencDialect.cpp.inc"

void GencDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "genc/Dialect/GencOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *GencDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}

bool genc::areCompatibleTensorTypes(TypeRange inferred, TypeRange refined) {
  if (inferred.size() != refined.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, refined)) {
    auto ta = dyn_cast<RankedTensorType>(a);
    auto tb = dyn_cast<RankedTensorType>(b);
    if (!ta || !tb) {
      if (a != b)
        return false;
      continue;
    }
    if (ta.getElementType() != tb.getElementType() || ta.getRank() != tb.getRank())
      return false;
    for (auto [da, db] : llvm::zip(ta.getShape(), tb.getShape()))
      if (!ShapedType::isDynamic(da) && !ShapedType::isDynamic(db) && da != db)
        return false;
  }
  return true;
}

std::string genc::formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ",";
    s += ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  }
  return s + "]";
}

std::pair<int64_t, int64_t> genc::shapeBounds(int64_t rank, int64_t start,
                                              std::optional<int64_t> end) {
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  int64_t first = clamp(start);
  return {first, std::max(first, end ? clamp(*end) : rank)};
}

FailureOr<SmallVector<int64_t>> genc::getKnownShapeEntries(Value shapeTensor) {
  auto type = dyn_cast<RankedTensorType>(shapeTensor.getType());
  if (!type || type.getRank() != 1)
    return failure();
  DenseIntElementsAttr constant;
  if (matchPattern(shapeTensor, m_Constant(&constant)))
    return llvm::to_vector(
        llvm::map_range(constant.getValues<APInt>(),
                        [](const APInt &v) { return v.getSExtValue(); }));
  // Shape(x)[start:end]: x's dims (dynamic ones unknown), before folding
  // (torch's repeat builds ConstantOfShape(Shape(repeats))).
  if (auto shapeOf = shapeTensor.getDefiningOp<ShapeOp>()) {
    ArrayRef<int64_t> dims = shapeOf.getInput().getType().getShape();
    std::optional<int64_t> end;
    if (shapeOf.getEnd())
      end = static_cast<int64_t>(*shapeOf.getEnd());
    auto [first, last] = shapeBounds(dims.size(), shapeOf.getStart(), end);
    return SmallVector<int64_t>(dims.begin() + first, dims.begin() + last);
  }
  if (auto fromElements = shapeTensor.getDefiningOp<tensor::FromElementsOp>()) {
    SmallVector<int64_t> entries;
    for (Value element : fromElements.getElements()) {
      IntegerAttr c;
      entries.push_back(matchPattern(element, m_Constant(&c))
                            ? c.getValue().getSExtValue()
                            : ShapedType::kDynamic);
    }
    return entries;
  }
  if (type.isDynamicDim(0))
    return failure();
  return SmallVector<int64_t>(type.getDimSize(0), ShapedType::kDynamic);
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  int64_t rank = getInput().getType().getRank();
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(getPerm().size()) != rank)
    return emitOpError("permutation has ") << getPerm().size()
           << " entries but the input has rank " << rank;
  for (int64_t p : getPerm()) {
    if (p < 0 || p >= rank || seen[p])
      return emitOpError("perm must be a permutation of 0..") << rank - 1;
    seen[p] = true;
  }
  return success();
}

/// What ScatterND and ScatterElements share: a known `reduction`, and
/// updates of data's element type.
static LogicalResult verifyScatter(Operation *op, StringRef reduction, ShapedType data,
                                   ShapedType updates) {
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return op->emitOpError("reduction must be none, add, mul, max or min, not '")
           << reduction << "'";
  if (updates.getElementType() != data.getElementType())
    return op->emitOpError("updates must have data's element type");
  return success();
}

LogicalResult ScatterNDOp::verify() {
  auto data = getData().getType(), updates = getUpdates().getType();
  if (failed(verifyScatter(*this, getReduction(), data, updates)))
    return failure();
  auto indices = getIndices().getType();
  int64_t k = indices.getRank() ? indices.getDimSize(indices.getRank() - 1) : 0;
  if (indices.getRank() == 0 || ShapedType::isDynamic(k) || k > data.getRank())
    return emitOpError("the last dim of indices must be static and at most the rank of data (")
           << data.getRank() << "), not " << formatShape(indices.getShape());
  // updates: indices' dims but the last, then data's dims after the first k.
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getRank() != static_cast<int64_t>(expected.size()) ||
      !areCompatibleTensorTypes(updates, updates.clone(expected)))
    return emitOpError("updates must have shape ")
           << formatShape(expected) << ", not " << formatShape(updates.getShape());
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  auto data = getData().getType(), updates = getUpdates().getType();
  if (failed(verifyScatter(*this, getReduction(), data, updates)))
    return failure();
  auto indices = getIndices().getType();
  int64_t rank = data.getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis must be in [0, ") << rank << "), not " << axis;
  if (indices.getRank() != rank ||
      !areCompatibleTensorTypes(updates, indices.clone(updates.getElementType())))
    return emitOpError("indices and updates must have one shape of data's rank (")
           << rank << "), not " << formatShape(indices.getShape()) << " and "
           << formatShape(updates.getShape());
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && !indices.isDynamicDim(d) && !data.isDynamicDim(d) &&
        indices.getDimSize(d) > data.getDimSize(d))
      return emitOpError("indices' dim ") << d << " (" << indices.getDimSize(d)
                                          << ") exceeds data's (" << data.getDimSize(d) << ")";
  return success();
}

std::optional<std::array<int64_t, 3>> AttentionOp::linearSumsShape() {
  if (!isLinear())
    return std::nullopt;
  auto query = cast<RankedTensorType>(getQuery().getType());
  int64_t features = query.getDimSize(3);
  if (std::optional<DenseElementsAttr> omega = getRandomFeatures())
    features = omega->getType().getDimSize(1);
  std::array<int64_t, 3> shape = {cast<RankedTensorType>(getKey().getType()).getDimSize(1),
                                  features, cast<RankedTensorType>(getType()).getDimSize(3)};
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return std::nullopt;
  return shape;
}

LogicalResult AttentionOp::verify() {
  // Must equal GENC_ATTENTION_MAX_RANDOM_BLOCKS in runtime/include/genc/kernels.h.
  constexpr int64_t kMaxRandomBlocks = 64;
  if (getCausalFromStart() && !getCausal())
    return emitOpError("causal_from_start goes with causal");
  if (std::optional<StringRef> map = getFeatureMap()) {
    if (*map != "elu" && *map != "performer")
      return emitOpError("feature_map must be \"elu\" or \"performer\", not \"") << *map << "\"";
    if (getWindow() > 0 || getBlock() > 0 || getSinks() > 0 || getGlobalTokens() > 0 ||
        getSoftcap().convertToFloat() > 0 || getLshBuckets() > 0)
      return emitOpError("linear attention (feature_map) takes no window, blocks, sinks, global "
                         "tokens, softcap or LSH");
    std::optional<DenseElementsAttr> features = getRandomFeatures();
    if ((*map == "performer") != features.has_value())
      return emitOpError("random_features go with feature_map \"performer\" alone");
    int64_t headSize = cast<RankedTensorType>(getQuery().getType()).getDimSize(3);
    if (features && (features->getType().getRank() != 2 || features->getType().getDimSize(1) < 1 ||
                     (!ShapedType::isDynamic(headSize) &&
                      features->getType().getDimSize(0) != headSize)))
      return emitOpError("random_features must be [head size, features], features >= 1");
    return success();
  }
  if (getRandomFeatures())
    return emitOpError("random_features need a feature_map (linear attention)");
  if (getStateSlot() >= 0 && getLshBuckets() == 0)
    return emitOpError("state_slot needs a feature_map (linear attention) or lsh_buckets");
  if (int64_t buckets = getLshBuckets()) {
    if (buckets < 2 || buckets % 2 || getLshHashes() < 1 || getLshChunk() < 1)
      return emitOpError("LSH needs an even number of buckets >= 2, hashes >= 1 and a chunk >= 1");
    if (getWindow() > 0 || getBlock() > 0 || getSinks() > 0 || getGlobalTokens() > 0 ||
        getSoftcap().convertToFloat() > 0)
      return emitOpError("LSH attention takes no window, blocks, sinks, global tokens or softcap");
    return success();
  }
  int64_t block = getBlock();
  if (block < 0)
    return emitOpError("block ") << block << " must be 0 (none) or positive";
  if (block == 0 && (getRandomBlocks() != 0 || getSeed() != 0))
    return emitOpError("random_blocks and seed need BigBird blocks (block > 0) or LSH");
  if (block > 0) {
    if (getWindow() > 0 || getSinks() > 0)
      return emitOpError("takes BigBird blocks or a window (with sinks), not both");
    if (getGlobalTokens() % block)
      return emitOpError("global_tokens ")
             << getGlobalTokens() << " must be whole blocks of " << block;
    if (getRandomBlocks() < 0 || getRandomBlocks() > kMaxRandomBlocks)
      return emitOpError("random_blocks must be in [0, ") << kMaxRandomBlocks << "]";
  }
  return success();
}

LogicalResult SplitOp::verify() {
  auto inputType = getInput().getType();
  int64_t rank = inputType.getRank();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range [0, " << rank << ")";
  if (getResults().empty())
    return emitOpError("needs at least one result");
  ArrayRef<int64_t> sizes = getSizes();
  if (!sizes.empty() && sizes.size() != getResults().size())
    return emitOpError("has ") << sizes.size() << " sizes but "
                               << getResults().size() << " results";
  int64_t dim = inputType.getDimSize(axis);
  if (!sizes.empty() && !ShapedType::isDynamic(dim)) {
    int64_t total = 0;
    for (int64_t s : sizes)
      total += s;
    if (total != dim)
      return emitOpError("sizes add up to ") << total << " but dim " << axis
                                             << " is " << dim;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// IfOp
//===----------------------------------------------------------------------===//

LogicalResult IfOp::verify() {
  if (getCondition().getType().getNumElements() != 1)
    return emitOpError("condition must hold exactly one element");
  for (Region *region : {&getThenBranch(), &getElseBranch()}) {
    auto yield = cast<YieldOp>(region->front().getTerminator());
    if (yield.getValues().size() != getNumResults())
      return emitOpError("a branch yields ") << yield.getValues().size()
             << " values but the op has " << getNumResults() << " results";
    for (auto [value, result] : llvm::zip(yield.getValues(), getResults()))
      if (!areCompatibleTensorTypes(result.getType(), value.getType()))
        return emitOpError("a branch yields ") << value.getType()
               << " where the result is " << result.getType();
  }
  return success();
}

namespace {
// genc.if on a constant condition → the taken branch, inlined.
struct InlineConstantIf : OpRewritePattern<IfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IfOp op, PatternRewriter &rewriter) const override {
    DenseIntElementsAttr condition;
    if (!matchPattern(op.getCondition(), m_Constant(&condition)))
      return failure();
    bool taken = condition.getValues<APInt>()[0].getBoolValue();
    Block &block = taken ? op.getThenBranch().front() : op.getElseBranch().front();
    auto yield = cast<YieldOp>(block.getTerminator());
    SmallVector<Value> yielded(yield.getValues());
    rewriter.inlineBlockBefore(&block, op);
    rewriter.eraseOp(yield);
    SmallVector<Value> results;
    for (auto [value, result] : llvm::zip(yielded, op.getResults())) {
      // A branch may be more static than the op's merged result type.
      results.push_back(value.getType() == result.getType()
                            ? value
                            : tensor::CastOp::create(rewriter, op.getLoc(),
                                                     result.getType(), value)
                                  .getResult());
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void IfOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *context) {
  results.add<InlineConstantIf>(context);
}

#define GET_OP_CLASSES
#include "genc/Dialect/GencOps.cpp.inc"

void mlir::genc::checkEqualAtRunTime(OpBuilder &b, Location loc, Value actual, Value expected,
                                     StringRef message) {
  Value differ = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, actual, expected);
  failAtRunTimeIf(b, loc, differ, actual, expected, message);
}

void mlir::genc::failAtRunTimeIf(OpBuilder &b, Location loc, Value failed, Value index, Value bound,
                                 StringRef message) {
  scf::IfOp::create(b, loc, failed, [&](OpBuilder &tb, Location tl) {
    auto asI64 = [&](Value v) -> Value {
      return v.getType().isIndex() ? arith::IndexCastOp::create(tb, tl, tb.getI64Type(), v)
                                   : v;
    };
    IndexOutOfBoundsOp::create(tb, tl, asI64(index), asI64(bound), tb.getStringAttr(message));
    scf::YieldOp::create(tb, tl);
  });
}
