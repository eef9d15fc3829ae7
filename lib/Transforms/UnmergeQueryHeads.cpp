//===- UnmergeQueryHeads.cpp - multi-query attention with heads apart ------===//
//
// GPTBigCode (StarCoder, SantaCoder) computes multi-query attention with
// the query heads merged into the rows: q [B, S, H·D] reshaped to
// [B, S·H, D], scores [B, S·H, T] = q · kᵀ against the one key head,
// viewed as [B, S, H, T] for the mask and the softmax, then back to
// [B, S·H, T] for the product with the values and to [B, S, H·Dv]. This
// pass rewrites such a block into the layout every other exporter uses,
// heads before queries ([B, H, S, ·], the key and value as one broadcast
// head), which genc-raise-attention reads. Exact: the same products and
// sums, in another arrangement.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::genc {
#define GEN_PASS_DEF_UNMERGEQUERYHEADS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// Result dim i is input dim kSwapQueriesAndHeads[i]: [B, S, H, X] and
/// [B, H, S, X] into each other.
constexpr int64_t kSwapQueriesAndHeads[] = {0, 2, 1, 3};

/// An elementwise op of a chain of them, and which operand carries the chain.
struct ChainLink {
  Operation *op;
  unsigned chain;
};

/// The merged block around a softmax over [B, S, H, T].
struct MergedHeads {
  MatMulOp scores; // [B, S·H, D] · [B, D, T]
  Value queries;   // [B, S, H·D], before the merge
  SmallVector<ChainLink> beforeView, afterView; // in order
  ReshapeOp view;  // [B, S·H, T] → [B, S, H, T]
  MatMulOp output; // [B, S·H, T] · [B, T, Dv]
  ReshapeOp merged; // [B, S·H, Dv] → [B, S, H·Dv]
  int64_t heads, headSize;
};

/// Whether `op` is an elementwise op whose one result feeds only the
/// chain, with operand `chain` carrying it and every other passing `other`.
bool isLink(Operation *op, unsigned chain, function_ref<bool(Value)> other) {
  if (!op || !op->hasTrait<ElementwiseBroadcast>() || op->getNumResults() != 1 ||
      !op->getResult(0).hasOneUse() || op->getOperand(chain).getType() != op->getResultTypes()[0])
    return false;
  for (auto [i, operand] : llvm::enumerate(op->getOperands()))
    if (i != chain && !other(operand))
      return false;
  return true;
}

/// Whether `v`, an operand of the [B, S, H, T] scores, can take the
/// heads-first layout: a one-element constant, or a tensor of rank <= 4.
bool isHeadsOperand(Value v) { return isOneElementConstant(v) || rankOf(v) <= 4; }

/// The ConstantOfShape of zeros (times a constant) that `v` is, as torch's
/// baddbmm against zeros exports; null otherwise.
ConstantOfShapeOp zerosOf(Value v) {
  if (auto times = v.getDefiningOp<MulOp>()) {
    // 0 · c is 0 only for a finite c.
    std::optional<double> c = splatValue(times.getRhs());
    bool finite = isOneElementConstant(times.getRhs()) && c && std::isfinite(*c);
    return finite ? zerosOf(times.getLhs()) : ConstantOfShapeOp();
  }
  auto zeros = v.getDefiningOp<ConstantOfShapeOp>();
  return zeros && splatValue(zeros) == 0.0 ? zeros : ConstantOfShapeOp();
}

/// The zeros a link before the view adds (it then adds nothing), or null.
ConstantOfShapeOp addedZeros(const ChainLink &link) {
  return isa<AddOp>(link.op) ? zerosOf(link.op->getOperand(1 - link.chain)) : ConstantOfShapeOp();
}

/// The index that dim `d` of a ConstantOfShape holds: its shape's entry,
/// read through the dims of other ConstantOfShapes it copies.
Value filledDim(ConstantOfShapeOp full, int64_t d) {
  Value entry = shapeEntryIndex(full.getShape(), d);
  auto dim = entry ? entry.getDefiningOp<tensor::DimOp>() : nullptr;
  auto source = dim ? dim.getSource().getDefiningOp<ConstantOfShapeOp>() : nullptr;
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return source && index ? filledDim(source, *index) : entry;
}

/// The index dim `d` of `v` holds when a Reshape or ConstantOfShape gave
/// it from its shape operand; null otherwise.
Value shapedDim(Value v, int64_t d) {
  if (auto full = v.getDefiningOp<ConstantOfShapeOp>())
    return filledDim(full, d);
  auto reshape = v.getDefiningOp<ReshapeOp>();
  return reshape ? shapeEntryIndex(reshape.getShape(), d) : Value();
}

/// Whether dim `da` of `a` provably equals dim `db` of `b`: traced, or
/// given by equal shape entries (the merged rows S·H are an index product
/// the tracing does not follow).
bool sameDim(Value a, int64_t da, Value b, int64_t db) {
  if (provablyEqualDims(a, da, b, db))
    return true;
  Value ea = shapedDim(a, da), eb = shapedDim(b, db);
  return (ea && eb && provablyEqualIndices(ea, eb)) || (ea && indexIsDim(ea, b, db)) ||
         (eb && indexIsDim(eb, a, da));
}

/// Whether zeros added to the [B, S·H, T] product of `merge`'s queries and
/// the key that `scores` reads have its dims, so that they add nothing and
/// widen nothing.
bool addsNothing(ConstantOfShapeOp zeros, MatMulOp scores, ReshapeOp merge) {
  return rankOf(zeros) == 3 && sameDim(zeros, 0, merge, 0) && sameDim(zeros, 1, merge, 1) &&
         sameDim(zeros, 2, scores.getRhs(), 2);
}

/// The view [B, S·H, T] → [B, S, H, T] that `v` computes on through
/// elementwise links (masks, biases), which it appends in order.
ReshapeOp viewBefore(Value v, SmallVectorImpl<ChainLink> &links, int depth = 0) {
  if (auto view = v.getDefiningOp<ReshapeOp>(); view && rankOf(view.getInput()) == 3)
    return view;
  Operation *op = v.getDefiningOp();
  if (!op || depth > 8)
    return {};
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    if (!isLink(op, i, isHeadsOperand))
      continue;
    size_t size = links.size();
    if (ReshapeOp view = viewBefore(op->getOperand(i), links, depth + 1)) {
      links.push_back({op, i});
      return view;
    }
    links.truncate(size);
  }
  return {};
}

std::optional<MergedHeads> matchMergedHeads(SoftmaxOp softmax) {
  MergedHeads m;
  auto type = cast<RankedTensorType>(softmax.getType());
  if (type.getRank() != 4 || softmax.getAxis() != 3 || softmax.getLog() ||
      type.isDynamicDim(2) || !softmax->hasOneUse())
    return std::nullopt;
  m.heads = type.getDimSize(2);
  m.view = viewBefore(softmax.getInput(), m.afterView);
  if (!m.view || !m.view->hasOneUse())
    return std::nullopt;
  // From the view back to the product: a scale, zeros added.
  Value chain = m.view.getInput();
  while (!(m.scores = chain.getDefiningOp<MatMulOp>())) {
    Operation *op = chain.getDefiningOp();
    std::optional<unsigned> link;
    for (unsigned i = 0; op && i < op->getNumOperands() && !link; ++i)
      if (isLink(op, i, isOneElementConstant) ||
          (isa<AddOp>(op) && isLink(op, i, [](Value other) { return bool(zerosOf(other)); })))
        link = i;
    if (!link)
      return std::nullopt;
    m.beforeView.insert(m.beforeView.begin(), {op, *link});
    chain = op->getOperand(*link);
  }
  // q [B, S, H·D] → [B, S·H, D]: row s·H + h is head h of query s.
  auto merge = m.scores.getLhs().getDefiningOp<ReshapeOp>();
  if (!m.scores->hasOneUse() || !merge || rankOf(merge.getInput()) != 3 || rankOf(merge) != 3 ||
      rankOf(m.scores.getRhs()) != 3)
    return std::nullopt;
  for (const ChainLink &link : m.beforeView)
    if (ConstantOfShapeOp zeros = addedZeros(link); zeros && !addsNothing(zeros, m.scores, merge))
      return std::nullopt;
  m.queries = merge.getInput();
  auto queries = cast<RankedTensorType>(m.queries.getType());
  m.headSize = cast<RankedTensorType>(merge.getType()).getDimSize(2);
  if (ShapedType::isDynamic(m.headSize) || queries.isDynamicDim(2) ||
      queries.getDimSize(2) != m.heads * m.headSize)
    return std::nullopt;
  // The view splits those rows back: [B, S, H, T], S the queries'.
  if (!sameDim(m.view, 0, m.queries, 0) || !sameDim(m.view, 1, m.queries, 1) ||
      !sameDim(m.view, 3, m.scores.getRhs(), 2))
    return std::nullopt;
  // The probabilities merged again, times the values, merged to [B, S, H·Dv].
  auto unview = dyn_cast<ReshapeOp>(*softmax->getUsers().begin());
  if (!unview || !unview->hasOneUse() || rankOf(unview) != 3 || !sameDim(unview, 0, merge, 0) ||
      !sameDim(unview, 1, merge, 1) || !sameDim(unview, 2, m.scores.getRhs(), 2))
    return std::nullopt;
  m.output = dyn_cast<MatMulOp>(*unview->getUsers().begin());
  if (!m.output || m.output.getLhs() != unview.getResult() || !m.output->hasOneUse() ||
      rankOf(m.output.getRhs()) != 3)
    return std::nullopt;
  m.merged = dyn_cast<ReshapeOp>(*m.output->getUsers().begin());
  int64_t valueSize = cast<RankedTensorType>(m.output.getType()).getDimSize(2);
  if (!m.merged || rankOf(m.merged) != 3 || ShapedType::isDynamic(valueSize) ||
      cast<RankedTensorType>(m.merged.getType()).getDimSize(2) != m.heads * valueSize ||
      !sameDim(m.merged, 0, m.queries, 0) || !sameDim(m.merged, 1, m.queries, 1))
    return std::nullopt;
  return m;
}

/// `v`, an operand of the [B, S, H, T] scores, for the [B, H, S, T] ones.
Value headsFirst(PatternRewriter &rewriter, Location loc, Value v) {
  if (isOneElementConstant(v))
    return v;
  int64_t rank = rankOf(v);
  if (rank < 4)
    v = UnsqueezeOp::create(
        rewriter, loc, v,
        rewriter.getDenseI64ArrayAttr(llvm::to_vector(llvm::seq<int64_t>(0, 4 - rank))));
  // A mask unsqueezed at the heads' dim: unsqueezed before the queries'.
  if (auto unsqueeze = v.getDefiningOp<UnsqueezeOp>();
      unsqueeze && unsqueeze.getAxes() == ArrayRef<int64_t>{2})
    return UnsqueezeOp::create(rewriter, loc, unsqueeze.getInput(),
                               rewriter.getDenseI64ArrayAttr({1}));
  return TransposeOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr(kSwapQueriesAndHeads));
}

/// The key [B, D, T] as one head [B, 1, D, T]; a transposed key [B, T, D]
/// is given its head first, then transposed, as raising reads keys.
Value keysTransposed(PatternRewriter &rewriter, Location loc, Value keys) {
  auto oneHead = rewriter.getDenseI64ArrayAttr({1});
  auto transpose = keys.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{0, 2, 1})
    return UnsqueezeOp::create(rewriter, loc, keys, oneHead);
  Value head = UnsqueezeOp::create(rewriter, loc, transpose.getInput(), oneHead);
  return TransposeOp::create(rewriter, loc, head, rewriter.getDenseI64ArrayAttr({0, 1, 3, 2}));
}

/// [B, S, n·X] as [B, S, n, X].
Value splitLastDim(PatternRewriter &rewriter, Location loc, Value v, int64_t n, int64_t size) {
  auto dim = [&](int64_t d) -> Value {
    Value index = tensor::DimOp::create(rewriter, loc, v, d);
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), index);
  };
  Value shape = tensor::FromElementsOp::create(
      rewriter, loc,
      ValueRange{dim(0), dim(1), arith::ConstantIntOp::create(rewriter, loc, n, 64),
                 arith::ConstantIntOp::create(rewriter, loc, size, 64)});
  return ReshapeOp::create(rewriter, loc, v, shape);
}

/// `link`'s op again, on `chain` for its chain operand and `other(operand)`
/// for the others.
Value relink(PatternRewriter &rewriter, const ChainLink &link, Value chain,
             function_ref<Value(Value)> other) {
  SmallVector<Value> operands;
  for (auto [i, operand] : llvm::enumerate(link.op->getOperands()))
    operands.push_back(i == link.chain ? chain : other(operand));
  Operation *op = createOnOperands(rewriter, link.op, operands);
  return op ? op->getResult(0) : Value();
}

struct UnmergeQueryHeadsPattern : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp softmax, PatternRewriter &rewriter) const override {
    std::optional<MergedHeads> m = matchMergedHeads(softmax);
    if (!m)
      return failure();
    Location loc = softmax.getLoc();
    rewriter.setInsertionPoint(m->merged);
    auto perm = rewriter.getDenseI64ArrayAttr(kSwapQueriesAndHeads);
    // q [B, H, S, D]; the key [B, 1, D, T] and value [B, 1, T, Dv] one
    // head, which the products broadcast over the query heads.
    Value queries = TransposeOp::create(
        rewriter, loc, splitLastDim(rewriter, loc, m->queries, m->heads, m->headSize), perm);
    auto oneHead = rewriter.getDenseI64ArrayAttr({1});
    Value keys = keysTransposed(rewriter, loc, m->scores.getRhs());
    Value scores = MatMulOp::create(rewriter, loc, queries, keys);
    for (const ChainLink &link : m->beforeView) {
      if (addedZeros(link))
        continue;
      scores = relink(rewriter, link, scores, [](Value constant) { return constant; });
      if (!scores)
        return failure();
    }
    for (const ChainLink &link : m->afterView) {
      scores = relink(rewriter, link, scores,
                      [&](Value operand) { return headsFirst(rewriter, loc, operand); });
      if (!scores)
        return failure();
    }
    Value probs =
        SoftmaxOp::create(rewriter, loc, scores, softmax.getAxisAttr(), softmax.getLogAttr());
    Value values = UnsqueezeOp::create(rewriter, loc, m->output.getRhs(), oneHead);
    Value output = MatMulOp::create(rewriter, loc, probs, values);
    Value queriesFirst = TransposeOp::create(rewriter, loc, output, perm);
    rewriter.replaceOpWithNewOp<ReshapeOp>(m->merged, m->merged.getType(), queriesFirst,
                                           m->merged.getShape(), m->merged.getAllowzeroAttr());
    return success();
  }
};

struct UnmergeQueryHeadsPass : genc::impl::UnmergeQueryHeadsBase<UnmergeQueryHeadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<UnmergeQueryHeadsPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
