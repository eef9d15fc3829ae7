//===- RaiseAttention.cpp - exported attention graphs → genc.attention -----===//
//
// Exporters write scaled dot-product attention as a chain of small ops:
//
//   P = Softmax(mask(scale · MatMul(Q, Kᵀ)))        Y = MatMul(P, V)
//
// where the masks are additive (`+ M`) or fills (`Where(C, S, -big)`, or
// masked_fill's `Where(C, -big, S)`), the scale a division or
// multiplication by a constant, and K and V may be
// repeated over groups of query heads (GQA's repeat_kv: Unsqueeze → Expand
// → Reshape). This pass replaces every such chain by one genc.attention,
// the op that the lowering and the attention rewrites work on.
//
// The rewrite keeps the graph's arithmetic: additive masks stay additive
// (their sum is the op's mask), a fill with -inf is a boolean mask, and a
// fill with a finite value F ≤ -1e30 becomes the additive mask Where(C, 0,
// F) (s + F rounds to F in f32 for any score below 3.8e22 in magnitude,
// half an ulp of 1e30). A fill before the scale (GPT-J's) is scaled with
// the scores: Where(C, S, F) · c is Where(C, S · c, F · c). A fill whose
// condition is a causal table sliced the way GPT-2's exports slice it
// (rows [Skv - Sq, Skv) of a lower-triangular constant) becomes `causal`.
// Causal tables in other forms (CausalMasks.h) become `causal` too, the
// rest of their mask kept.
// A logit soft-cap c · tanh(x / c) after the scale becomes `softcap`; when
// the masks come after it (Gemma 2) rather than before (ONNX's Attention),
// `mask_after_softcap`. Rounding may change: x / c becomes x · (1/c).
//
//===----------------------------------------------------------------------===//

#include "CausalMasks.h"

#include "genc/Dialect/Broadcast.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <functional>

namespace mlir::genc {
#define GEN_PASS_DEF_RAISEATTENTION
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// Whether `v`'s only uses besides one are shape queries (tensor.dim).
bool usedOnceBesidesDims(Value v) {
  int others = 0;
  for (OpOperand &use : v.getUses())
    others += !isa<tensor::DimOp>(use.getOwner());
  return others == 1;
}

/// A fill: the scores where `condition` holds (or, for masked_fill's
/// spelling, does not), `value` · `scale` elsewhere.
struct Fill {
  Value condition;
  Value value;
  double scale = 1.0;
  bool keepsWhereFalse = false;
};

/// The masks and scale between Softmax and MatMul(Q, Kᵀ), innermost last.
struct Scores {
  MatMulOp product;
  /// Every value of the chain, whose tensor.dim uses must be redirected.
  SmallVector<Value> chain;
  double scale = 1.0;
  bool causal = false;
  /// Added to the scaled scores, in graph order.
  SmallVector<Value> additive;
  /// The fills, in graph order.
  SmallVector<Fill> fills;
  /// c of a soft-cap c · tanh(x / c) after the scale; 0 for none.
  double softcap = 0;
  /// Whether the masks come after the soft-cap (Gemma 2) rather than
  /// before it (ONNX's Attention).
  bool masksAfterSoftcap = false;
};

/// c when `v` is c · tanh(x / c) (or c · tanh(x · (1/c))), with x.
std::optional<std::pair<double, Value>> matchSoftcap(Value v) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  Value lhs = mul.getLhs(), rhs = mul.getRhs();
  std::optional<double> cap = floatConstant(rhs);
  if (!cap && (cap = floatConstant(lhs)))
    std::swap(lhs, rhs);
  auto tanh = lhs.getDefiningOp<TanhOp>();
  if (!cap || !(*cap > 0) || !tanh || !tanh->hasOneUse())
    return std::nullopt;
  Operation *inner = tanh.getOperand().getDefiningOp();
  if (!inner || !isa<DivOp, MulOp>(inner) || !inner->hasOneUse())
    return std::nullopt;
  std::optional<double> factor = floatConstant(inner->getOperand(1));
  double expected = isa<DivOp>(inner) ? *cap : 1.0 / *cap;
  if (!factor || std::abs(*factor - expected) > 1e-6 * std::abs(expected))
    return std::nullopt;
  return std::make_pair(*cap, inner->getOperand(0));
}

/// Whether `v` is computed from a MatMul through the ops Scores follows.
bool reachesProduct(Value v, int depth = 0) {
  Operation *def = v.getDefiningOp();
  if (!def || depth > 8)
    return false;
  if (isa<MatMulOp>(def))
    return true;
  if (isa<AddOp, MulOp, DivOp>(def))
    return reachesProduct(def->getOperand(0), depth + 1) ||
           reachesProduct(def->getOperand(1), depth + 1);
  if (auto where = dyn_cast<WhereOp>(def))
    return reachesProduct(where.getX(), depth + 1) || reachesProduct(where.getY(), depth + 1);
  if (isa<TanhOp>(def)) // a soft-cap
    return reachesProduct(def->getOperand(0), depth + 1);
  return false;
}

/// Whether `mask` broadcasts into scores of type `scores` without widening
/// them (a mask dim is 1 or the scores' dim).
bool broadcastsInto(Value mask, RankedTensorType scores) {
  auto type = cast<RankedTensorType>(mask.getType());
  if (type.getRank() > scores.getRank())
    return false;
  for (int64_t d = 0; d < scores.getRank(); ++d) {
    std::optional<int64_t> i = broadcastOperandDim(type.getRank(), scores.getRank(), d);
    if (!i)
      continue;
    int64_t m = type.getDimSize(*i), s = scores.getDimSize(d);
    if (m == 1)
      continue;
    if (s == 1 || (!ShapedType::isDynamic(m) && !ShapedType::isDynamic(s) && m != s))
      return false;
  }
  return true;
}

/// Whether `mask` leaves the product's batch and query dims as they are: a
/// mask dim there is 1 or provably the product's (the scores broadcast
/// over a larger mask dim only where the product's is 1 at run time, and
/// the graph's result would then be larger than the op's). Larger key dims
/// make the graph's P·V fail, so they need no check.
bool keepsBatchAndQueries(Value mask, Value product) {
  auto type = cast<RankedTensorType>(mask.getType());
  for (int64_t p : {0, 2}) {
    std::optional<int64_t> i = broadcastOperandDim(type.getRank(), 4, p);
    if (i && type.getDimSize(*i) != 1 && !provablyEqualDims(mask, *i, product, p))
      return false;
  }
  return true;
}

/// The other side of And(table, rest) (unsqueezed as the And is, before
/// its last two axes only: the table's rows and columns stay the queries
/// and keys) when the table is a sliced causal table
/// (isSlicedCausalTable); null otherwise.
Value besideSlicedCausalTable(Value condition, Value query, Value key) {
  auto unsqueeze = condition.getDefiningOp<UnsqueezeOp>();
  int64_t rank = rankOf(condition);
  if (unsqueeze && llvm::any_of(unsqueeze.getAxes(), [&](int64_t axis) {
        return (axis < 0 ? axis + rank : axis) >= rank - 2;
      }))
    return {};
  auto both = (unsqueeze ? unsqueeze.getInput() : condition).getDefiningOp<AndOp>();
  if (!both)
    return {};
  for (auto [table, rest] :
       {std::pair(both.getLhs(), both.getRhs()), std::pair(both.getRhs(), both.getLhs())}) {
    if (!isSlicedCausalTable(table, query, key))
      continue;
    if (!unsqueeze)
      return rest;
    OpBuilder b(unsqueeze);
    return UnsqueezeOp::create(b, unsqueeze.getLoc(), rest, unsqueeze.getAxesAttr());
  }
  return {};
}

/// Walks from the softmax input down to the QKᵀ product. Every step must
/// have no other use: the intermediate scores then exist only for this
/// softmax. Masks apply after the scale, as in genc.attention.
std::optional<Scores> matchScores(Value x) {
  Scores s;
  bool scaled = false;
  auto scoresType = cast<RankedTensorType>(x.getType());
  for (int depth = 0; depth < 10; ++depth) {
    Operation *def = x.getDefiningOp();
    if (!def || !usedOnceBesidesDims(x))
      return std::nullopt;
    s.chain.push_back(x);
    if (std::optional<std::pair<double, Value>> capped = matchSoftcap(x)) {
      // Once, above the scale; masks below it would apply before it.
      if (scaled || s.softcap > 0)
        return std::nullopt;
      s.softcap = capped->first;
      s.masksAfterSoftcap = !s.additive.empty() || !s.fills.empty();
      x = capped->second;
      continue;
    }
    if (isa<AddOp, WhereOp>(def) && s.masksAfterSoftcap)
      return std::nullopt; // masks on both sides of the soft-cap
    if (auto product = dyn_cast<MatMulOp>(def)) {
      s.product = product;
      return s;
    }
    if (auto add = dyn_cast<AddOp>(def)) {
      bool lhsIsScores = reachesProduct(add.getLhs());
      if (scaled || lhsIsScores == reachesProduct(add.getRhs()))
        return std::nullopt;
      Value mask = lhsIsScores ? add.getRhs() : add.getLhs();
      if (!broadcastsInto(mask, scoresType))
        return std::nullopt;
      s.additive.insert(s.additive.begin(), mask);
      x = lhsIsScores ? add.getLhs() : add.getRhs();
      continue;
    }
    if (auto where = dyn_cast<WhereOp>(def)) {
      // Where(C, S, F), or masked_fill's Where(C, F, S); under a scale
      // (none through a soft-cap), F scaled with the scores.
      Fill fill{where.getCondition(), where.getY(), scaled ? s.scale : 1.0};
      Value scores = where.getX();
      if (!floatConstant(fill.value) && floatConstant(where.getX())) {
        std::swap(fill.value, scores);
        fill.keepsWhereFalse = true;
        // masked_fill(~C): C keeps the keys.
        if (auto negated = fill.condition.getDefiningOp<NotOp>()) {
          fill.condition = negated.getOperand();
          fill.keepsWhereFalse = false;
        }
      }
      std::optional<double> value = floatConstant(fill.value);
      if ((scaled && s.softcap > 0) || !value || !(*value * fill.scale <= kMaskFillLimit) ||
          !broadcastsInto(fill.condition, scoresType))
        return std::nullopt;
      s.fills.insert(s.fills.begin(), fill);
      x = scores;
      continue;
    }
    if (isa<MulOp, DivOp>(def)) {
      Value lhs = def->getOperand(0), rhs = def->getOperand(1);
      std::optional<double> factor = floatConstant(rhs);
      if (isa<MulOp>(def) && !factor && (factor = floatConstant(lhs)))
        std::swap(lhs, rhs);
      if (!factor || *factor == 0)
        return std::nullopt;
      s.scale *= isa<DivOp>(def) ? 1.0 / *factor : *factor;
      scaled = true;
      x = lhs;
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

/// K or V [B, Hkv·n, S, D] repeated from x [B, Hkv, S, D] by Unsqueeze(2)
/// → Expand to [B, Hkv, n, S, D] → Reshape: returns x, else `v` itself.
/// With n = 1 the Expand may have folded away (MHA's repeat_kv).
Value unrepeatHeads(Value v) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  auto expand = reshape ? reshape.getInput().getDefiningOp<ExpandOp>() : nullptr;
  Value repeats = expand ? expand.getInput() : reshape ? reshape.getInput() : Value();
  auto unsqueeze = repeats ? repeats.getDefiningOp<UnsqueezeOp>() : nullptr;
  if (!unsqueeze || unsqueeze.getAxes() != ArrayRef<int64_t>{2})
    return v;
  Value x = unsqueeze.getInput();
  auto xType = cast<RankedTensorType>(x.getType());
  auto expanded = cast<RankedTensorType>(reshape.getInput().getType());
  auto repeated = cast<RankedTensorType>(v.getType());
  if (xType.getRank() != 4 || expanded.getRank() != 5 || repeated.getRank() != 4)
    return v;
  int64_t heads = xType.getDimSize(1), group = expanded.getDimSize(2);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(group) ||
      expanded.getDimSize(1) != heads || repeated.getDimSize(1) != heads * group)
    return v;
  // Batch, length and head size pass through both: nothing else broadcasts.
  if (expand && (!keepsDim(expand, expand.getShape(), 0, x, 0) ||
                 !keepsDim(expand, expand.getShape(), 3, x, 2) ||
                 !keepsDim(expand, expand.getShape(), 4, x, 3)))
    return v;
  if (!keepsDim(v, reshape.getShape(), 0, x, 0) || !keepsDim(v, reshape.getShape(), 3, x, 3))
    return v;
  return x;
}

/// Q with its head dim made static (`heads`), broadcasting a single head.
Value withStaticHeads(OpBuilder &b, Location loc, Value query, int64_t heads) {
  auto type = cast<RankedTensorType>(query.getType());
  if (!type.isDynamicDim(1))
    return query;
  auto shapeType = RankedTensorType::get({4}, b.getI64Type());
  Value shape = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, ArrayRef<int64_t>{1, heads, 1, 1}));
  auto result = llvm::to_vector(type.getShape());
  result[1] = heads;
  return ExpandOp::create(b, loc, type.clone(result), query, shape);
}

/// One additive mask: fills as Where(C, 0, F) (Where(C, F, 0) for
/// masked_fill's), then the additive masks, in graph order; null without
/// any. Every fill is -inf or F <= -1e30, so the order changes nothing but
/// which masked sum overflows to -inf.
Value combinedMask(OpBuilder &b, Location loc, ArrayRef<Fill> fills, ArrayRef<Value> additive) {
  SmallVector<Value> terms;
  for (const Fill &fill : fills) {
    auto type = cast<RankedTensorType>(fill.value.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    Value value = fill.value;
    if (fill.scale != 1.0)
      value = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              type,
              FloatAttr::get(elementType, *floatConstant(fill.value) * fill.scale).getValue()));
    Value zero =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, b.getZeroAttr(elementType)));
    terms.push_back(fill.keepsWhereFalse
                        ? WhereOp::create(b, loc, fill.condition, value, zero).getResult()
                        : WhereOp::create(b, loc, fill.condition, zero, value).getResult());
  }
  terms.append(additive.begin(), additive.end());
  Value sum;
  for (Value term : terms)
    sum = sum ? AddOp::create(b, loc, sum, term).getResult() : term;
  return sum;
}

struct RaiseAttentionPass : genc::impl::RaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    SmallVector<MatMulOp> outputs;
    getOperation().walk([&](MatMulOp op) {
      if (op.getLhs().getDefiningOp<SoftmaxOp>())
        outputs.push_back(op);
    });
    for (MatMulOp output : outputs)
      raise(output);
  }

  /// Y = MatMul(Softmax(scores), V) → genc.attention, when the scores
  /// match and Q, K and V agree on batch, heads and lengths.
  void raise(MatMulOp output) {
    auto softmax = output.getLhs().getDefiningOp<SoftmaxOp>();
    auto probsType = cast<RankedTensorType>(softmax.getType());
    if (probsType.getRank() != 4 || !usedOnceBesidesDims(softmax) || softmax.getLog() ||
        softmax.getAxis() != 3)
      return;
    std::optional<Scores> scores = matchScores(softmax.getInput());
    if (!scores)
      return;
    auto productType = cast<RankedTensorType>(scores->product.getType());
    Value query = scores->product.getLhs(), keyT = scores->product.getRhs();
    auto keyTranspose = keyT.getDefiningOp<TransposeOp>();
    if (productType.isDynamicDim(1) || !keyTranspose ||
        cast<RankedTensorType>(query.getType()).getRank() != 4 ||
        cast<RankedTensorType>(keyT.getType()).getRank() != 4 ||
        cast<RankedTensorType>(output.getRhs().getType()).getRank() != 4)
      return;
    int64_t heads = productType.getDimSize(1);
    // Kᵀ = Transpose(x, p): K is Transpose(x, p with its last two swapped),
    // x itself when that is the identity (folding merges the exporter's
    // head split [0, 2, 1, 3] with the key transpose [0, 1, 3, 2]).
    SmallVector<int64_t> keyPerm(keyTranspose.getPerm());
    std::swap(keyPerm[2], keyPerm[3]);
    Value key = keyTranspose.getInput();
    if (!llvm::equal(keyPerm, llvm::seq<int64_t>(0, 4))) {
      OpBuilder b(keyTranspose);
      key = TransposeOp::create(b, keyTranspose.getLoc(), key, b.getDenseI64ArrayAttr(keyPerm));
    }
    // Its heads repeated for each query head (repeat_kv): as many keys.
    Value repeatedKey = key;
    key = unrepeatHeads(key);
    Value value = unrepeatHeads(output.getRhs());
    int64_t kvHeads = cast<RankedTensorType>(key.getType()).getDimSize(1);
    int64_t queryHeads = cast<RankedTensorType>(query.getType()).getDimSize(1);
    if (ShapedType::isDynamic(kvHeads) || heads % kvHeads ||
        cast<RankedTensorType>(value.getType()).getDimSize(1) != kvHeads ||
        (!ShapedType::isDynamic(queryHeads) && queryHeads != heads))
      return;
    // One batch and one key length for Q, K and V; K's head size is Q's.
    if (!provablyEqualDims(query, 0, key, 0) || !provablyEqualDims(key, 0, value, 0) ||
        !provablyEqualDims(key, 2, value, 2) || !provablyEqualDims(query, 3, key, 3))
      return;
    // GPT-2's sliced causal table as the one condition of the keys to keep,
    // or And-ed with the rest of it (GPTBigCode's padding).
    bool causal = false;
    if (scores->fills.size() == 1 && !scores->fills.front().keepsWhereFalse) {
      Fill &fill = scores->fills.front();
      causal = isSlicedCausalTable(fill.condition, query, key);
      if (causal)
        scores->fills.clear();
      else if (Value rest = besideSlicedCausalTable(fill.condition, query, key))
        causal = true, fill.condition = rest;
    }
    // Each mask must keep the scores' batch and queries: the causal tables
    // are read past Expands that may broadcast those (CausalMasks.h). Then
    // an Expand that broadcasts a mask into the scores is not needed, the
    // op broadcasting its mask, and without it a row broadcast over the
    // queries stays a mask of the keys.
    auto unexpandMasks = [&] {
      auto unexpanded = [&](Value &mask) {
        if (!keepsBatchAndQueries(mask, scores->product))
          return false;
        while (auto expand = mask.getDefiningOp<ExpandOp>())
          mask = expand.getInput();
        return true;
      };
      return llvm::all_of(scores->additive, unexpanded) &&
             llvm::all_of(scores->fills, [&](Fill &fill) { return unexpanded(fill.condition); });
    };
    if (!unexpandMasks())
      return;
    OpBuilder b(output);
    Location loc = output.getLoc();
    // A causal table inside a fill's condition, or inside an additive
    // Where(C, 0, F), becomes `causal`; the rest of the condition stays.
    std::optional<CausalTable> table;
    int64_t window = 0;
    // A square table is `causal` only where the keys are the queries (with a
    // cache, its one row broadcasts over every key); one whose diagonal is
    // at 0 over the keys (counted over the attention mask, no past) is
    // `causal_from_start` where they may not be. A run-time diagonal is
    // checked when the op is built.
    bool keysAreQueries = provablyEqualDims(query, 2, key, 2);
    auto usable = [&](const std::optional<CausalSplit> &split) {
      return split && (!split->table.square || keysAreQueries);
    };
    for (Fill &fill : scores->fills) {
      std::optional<CausalSplit> split = causal ? std::nullopt
                                         : fill.keepsWhereFalse
                                             ? splitHiddenCausal(fill.condition, query)
                                             : splitCausal(fill.condition, query);
      if (!usable(split))
        continue;
      causal = true;
      table = split->table;
      window = split->window;
      fill.condition = split->rest;
    }
    llvm::erase_if(scores->fills, [](const Fill &fill) { return !fill.condition; });
    // The causal term of a sum of masks (a few Adds deep): the split, and
    // the sum without it, the other Adds kept as they are.
    std::function<std::optional<AdditiveSplit>(Value, int)> withoutCausal =
        [&](Value mask, int depth) -> std::optional<AdditiveSplit> {
      if (auto split = splitAdditiveCausal(mask, query); split && usable(split->causal))
        return split;
      // The whole mask, where its first columns are the table's, which
      // covers every key (its width is checked): where the whole is as wide
      // as its table, or the table provably as wide as the keys are many,
      // a past's prepended columns included (the rest of the mask, kept,
      // is then checked to be that wide too).
      Value whole = slicedToKeys(mask, key);
      if (!whole && repeatedKey != key)
        whole = slicedToKeys(mask, repeatedKey);
      if (whole)
        if (auto split = withoutCausal(whole, depth)) {
          const CausalTable &table = split->causal.table;
          if (indexIsDim(table.columns, whole, rankOf(whole) - 1) ||
              tableCoversKeys(table, key) || tableCoversKeys(table, repeatedKey))
            return split;
        }
      auto sum = mask.getDefiningOp<AddOp>();
      if (!sum || depth == 0)
        return std::nullopt;
      for (bool left : {true, false}) {
        Value term = left ? sum.getLhs() : sum.getRhs(), other = left ? sum.getRhs() : sum.getLhs();
        if (auto split = withoutCausal(term, depth - 1)) {
          MaskBuilder rest = split->rest;
          split->rest = [rest, other, left](OpBuilder &b, Location loc) -> Value {
            if (!rest)
              return other;
            Value kept = rest(b, loc);
            return left ? AddOp::create(b, loc, kept, other) : AddOp::create(b, loc, other, kept);
          };
          return split;
        }
      }
      return std::nullopt;
    };
    for (Value &mask : scores->additive) {
      if (causal)
        break;
      if (auto split = withoutCausal(mask, /*depth=*/3)) {
        causal = true;
        table = split->causal.table;
        window = split->causal.window;
        mask = split->rest ? split->rest(b, loc) : Value();
      }
    }
    llvm::erase_if(scores->additive, [](Value mask) { return !mask; });
    // What is left of the masks after the split, checked again.
    if (!unexpandMasks())
      return;

    if (table)
      checkTableWidth(b, loc, *table, query, key);
    SmallVector<Value> operands = {withStaticHeads(b, loc, query, heads), key, value};
    if (Value mask = combinedMask(b, loc, scores->fills, scores->additive))
      operands.push_back(mask);
    SmallVector<NamedAttribute> attributes = {
        b.getNamedAttr("scale", b.getF32FloatAttr(static_cast<float>(scores->scale))),
        b.getNamedAttr("causal", b.getBoolAttr(causal))};
    if (table && table->diagonalAtZero && !keysAreQueries)
      attributes.push_back(b.getNamedAttr("causal_from_start", b.getBoolAttr(true)));
    if (window > 0)
      attributes.push_back(b.getNamedAttr("window", b.getI64IntegerAttr(window)));
    if (scores->softcap > 0)
      attributes.push_back(
          b.getNamedAttr("softcap", b.getF32FloatAttr(static_cast<float>(scores->softcap))));
    if (scores->masksAfterSoftcap)
      attributes.push_back(b.getNamedAttr("mask_after_softcap", b.getBoolAttr(true)));
    auto attention = AttentionOp::create(b, loc, output.getType(), operands, attributes);
    // Shape queries of the scores ([B, H, Sq, Skv]) read Q and K instead.
    scores->chain.push_back(softmax.getResult());
    for (Value v : scores->chain)
      for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
        auto dim = dyn_cast<tensor::DimOp>(use.getOwner());
        std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
        if (!index)
          continue;
        b.setInsertionPoint(dim);
        Value size = *index == 1   ? arith::ConstantIndexOp::create(b, loc, heads).getResult()
                     : *index == 3 ? tensor::DimOp::create(b, loc, key, 2).getResult()
                                   : tensor::DimOp::create(b, loc, query, *index).getResult();
        dim.replaceAllUsesWith(size);
        dim.erase();
      }
    output.getResult().replaceAllUsesWith(attention.getResult());
    output.erase();
  }
};

} // namespace
