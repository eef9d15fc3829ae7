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
// A logit soft-cap c · tanh(x / c) after the scale becomes `softcap`; when
// the masks come after it (Gemma 2) rather than before (ONNX's Attention),
// `mask_after_softcap`. Rounding may change: x / c becomes x · (1/c).
//
//===----------------------------------------------------------------------===//

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

/// Fills at or below this are "minus infinity" for a softmax: s + F == F.
constexpr double kMaskFillLimit = -1e30;

/// The value of a one-element floating-point constant.
std::optional<double> scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return (*attr.getValues<APFloat>().begin()).convertToDouble();
}

/// The index a one-entry shape tensor holds: from_elements(index_cast(i)).
Value shapeEntryIndex(Value entry, int64_t position = 0) {
  auto fromElements = entry.getDefiningOp<tensor::FromElementsOp>();
  if (!fromElements || position >= static_cast<int64_t>(fromElements.getElements().size()))
    return {};
  auto cast = fromElements.getElements()[position].getDefiningOp<arith::IndexCastOp>();
  return cast ? cast.getIn() : Value();
}

/// Whether `entry` holds dim(key, 2) - dim(query, 2) at run time.
bool holdsPastLength(Value entry, Value query, Value key) {
  Value index = shapeEntryIndex(entry);
  auto sub = index ? index.getDefiningOp<arith::SubIOp>() : nullptr;
  return sub && indexIsDim(sub.getLhs(), key, 2) && indexIsDim(sub.getRhs(), query, 2);
}

/// Whether `entry` holds dim(key, 2) at run time.
bool holdsKeyLength(Value entry, Value key) {
  Value index = shapeEntryIndex(entry);
  return index && indexIsDim(index, key, 2);
}

bool isConstantInts(Value v, ArrayRef<int64_t> expected) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) ||
      attr.getNumElements() != static_cast<int64_t>(expected.size()))
    return false;
  return llvm::equal(
      llvm::map_range(attr.getValues<APInt>(), [](const APInt &x) { return x.getSExtValue(); }),
      expected);
}

/// GPT-2's causal condition: a [1, 1, M, M] lower-triangular boolean
/// constant, rows [Skv - Sq, ...) and columns [0, ...) sliced out. Row i of
/// the slice keeps key j iff j <= i + Skv - Sq, genc.attention's `causal`.
bool isSlicedCausalTable(Value condition, Value query, Value key) {
  auto columns = condition.getDefiningOp<SliceOp>();
  auto rows = columns ? columns.getInput().getDefiningOp<SliceOp>() : nullptr;
  // Rows [Skv - Sq, Skv) and columns [0, Skv): Sq rows of Skv keys.
  if (!rows || !isConstantInts(columns.getAxes(), {3}) ||
      !isConstantInts(columns.getStarts(), {0}) || !isConstantInts(columns.getSteps(), {1}) ||
      !holdsKeyLength(columns.getEnds(), key) || !isConstantInts(rows.getAxes(), {2}) ||
      !isConstantInts(rows.getSteps(), {1}) || !holdsPastLength(rows.getStarts(), query, key) ||
      !holdsKeyLength(rows.getEnds(), key))
    return false;
  DenseElementsAttr table;
  if (!matchPattern(rows.getInput(), m_Constant(&table)) || !table.getElementType().isInteger(1))
    return false;
  auto shape = table.getType().getShape();
  if (shape.size() != 4 || shape[0] != 1 || shape[1] != 1 || shape[2] != shape[3])
    return false;
  int64_t size = shape[2], flat = 0;
  for (bool keep : table.getValues<bool>()) {
    if (keep != (flat % size <= flat / size))
      return false;
    ++flat;
  }
  return true;
}

/// `condition` without the Unsqueezes that add only leading dims (its rows
/// and columns stay last), or null when another Unsqueeze is in the way.
Value withoutLeadingUnsqueezes(Value condition) {
  while (auto unsqueeze = condition.getDefiningOp<UnsqueezeOp>()) {
    int64_t rank = cast<RankedTensorType>(unsqueeze.getType()).getRank();
    if (llvm::any_of(unsqueeze.getAxes(), [&](int64_t axis) { return axis >= rank - 2; }))
      return {};
    condition = unsqueeze.getInput();
  }
  return condition;
}

/// The Trilu of `condition` (past leading Unsqueezes) when it is
/// Trilu(ConstantOfShape([Sq, T], true), k) with `upper` and k = T - Sq +
/// `shift`, T the attention mask's length; with `filled`, a table of a
/// fill F <= kMaskFillLimit instead of true (an additive mask).
TriluOp matchTriangle(Value condition, Value query, bool upper, int64_t shift,
                      bool filled = false) {
  condition = withoutLeadingUnsqueezes(condition);
  auto trilu = condition ? condition.getDefiningOp<TriluOp>() : nullptr;
  auto full = trilu ? trilu.getInput().getDefiningOp<ConstantOfShapeOp>() : nullptr;
  if (!full || trilu.getUpper() != upper || cast<RankedTensorType>(full.getType()).getRank() != 2)
    return {};
  auto value = dyn_cast<DenseElementsAttr>(full.getValue());
  Value rows = shapeEntryIndex(full.getShape(), 0), columns = shapeEntryIndex(full.getShape(), 1);
  Value offset = shapeEntryIndex(trilu.getK());
  if (offset && shift != 0) {
    auto add = offset.getDefiningOp<arith::AddIOp>();
    APInt amount;
    offset =
        add && matchPattern(add.getRhs(), m_ConstantInt(&amount)) && amount.getSExtValue() == shift
            ? add.getLhs()
            : Value();
  }
  // k = T - Sq: the difference of the columns and the queries, or the
  // past length P when the columns are P + Sq (P an index, or the i64 it
  // was cast from, as a session's past length is).
  auto difference = offset ? offset.getDefiningOp<arith::SubIOp>() : nullptr;
  auto total = columns ? columns.getDefiningOp<arith::AddIOp>() : nullptr;
  auto fromElements = trilu.getK().getDefiningOp<tensor::FromElementsOp>();
  Value past = fromElements && fromElements.getElements().size() == 1 && shift == 0
                   ? fromElements.getElements()[0]
                   : Value();
  auto isPast = [&](Value index) {
    auto cast = index.getDefiningOp<arith::IndexCastOp>();
    return past && (index == offset || (cast && cast.getIn() == past));
  };
  // Or no past at all: a square [Sq, Sq] table with the constant diagonal,
  // causal where the keys are the queries' positions (isSquareTable).
  bool square = columns && columns == rows && isConstantInts(trilu.getK(), {shift});
  bool offsetIsPast =
      square ||
      (difference && difference.getLhs() == columns && indexIsDim(difference.getRhs(), query, 2)) ||
      (total && ((isPast(total.getLhs()) && indexIsDim(total.getRhs(), query, 2)) ||
                 (isPast(total.getRhs()) && indexIsDim(total.getLhs(), query, 2))));
  bool fill = value && value.isSplat() &&
              (filled ? isa<FloatType>(value.getElementType()) &&
                            value.getSplatValue<APFloat>().convertToDouble() <= kMaskFillLimit
                      : value.getElementType().isInteger(1) && value.getSplatValue<bool>());
  if (!fill || !rows || !indexIsDim(rows, query, 2) || !offsetIsPast)
    return {};
  return trilu;
}

/// Whether `table` is a square [Sq, Sq] causal table (a graph without a
/// past): `causal` only where the keys are provably as many as the queries.
/// (With a cache, such a table of one query row broadcasts over the keys
/// and shows them all, which `causal` would then check against the keys.)
bool isSquareTable(TriluOp table) {
  auto full = table.getInput().getDefiningOp<ConstantOfShapeOp>();
  Value rows = full ? shapeEntryIndex(full.getShape(), 0) : Value();
  return rows && rows == shapeEntryIndex(full.getShape(), 1);
}

/// A causal condition built in the graph, as Hugging Face's LLaMA-family
/// exports build it: Tril(ConstantOfShape([Sq, T], true), T - Sq),
/// unsqueezed to lead with unit dims, T the attention mask's length. Row i
/// keeps key j iff j <= i + T - Sq: genc.attention's `causal` when T is the
/// key length. Returns the Tril, or null.
TriluOp matchTriluCausal(Value condition, Value query) {
  return matchTriangle(condition, query, /*upper=*/false, /*shift=*/0);
}

/// W when `condition` is a sliding window beside `causal` (Mistral's, built
/// in the graph): Triu of the causal Tril's table with offset k - (W - 1),
/// k the Tril's, so that row i keeps key j iff j > i + T - Sq - W.
int64_t matchWindowTriu(Value condition, TriluOp causal) {
  condition = withoutLeadingUnsqueezes(condition);
  auto triu = condition ? condition.getDefiningOp<TriluOp>() : nullptr;
  if (!triu || !triu.getUpper() || triu.getInput() != causal.getInput())
    return 0;
  Value offset = shapeEntryIndex(triu.getK()), causalOffset = shapeEntryIndex(causal.getK());
  Operation *shift = offset ? offset.getDefiningOp() : nullptr;
  if (!causalOffset || !shift || !isa<arith::AddIOp, arith::SubIOp>(shift) ||
      shift->getOperand(0) != causalOffset)
    return 0;
  APInt amount;
  if (!matchPattern(shift->getOperand(1), m_ConstantInt(&amount)))
    return 0;
  // Windows of at most 2^31 keys: no overflow below.
  if (amount.getSignificantBits() > 32)
    return 0;
  int64_t below = isa<arith::AddIOp>(shift) ? -amount.getSExtValue() : amount.getSExtValue();
  return below >= 0 ? below + 1 : 0;
}

/// The causal table a condition requires (alone or as an operand of And),
/// with a sliding window's width when a window's Triu is And-ed with it
/// (0 for none), and the rest of the condition (null when nothing is left).
struct CausalSplit {
  TriluOp table;
  int64_t window = 0;
  Value rest;
};
/// The causal table alone, or And-ed with a window, as all of `condition`.
std::optional<CausalSplit> matchCausal(Value condition, Value query) {
  if (TriluOp table = matchTriluCausal(condition, query))
    return CausalSplit{table};
  Value stripped = withoutLeadingUnsqueezes(condition);
  auto both = stripped ? stripped.getDefiningOp<AndOp>() : nullptr;
  if (!both)
    return std::nullopt;
  for (auto [table, window] :
       {std::pair(both.getLhs(), both.getRhs()), std::pair(both.getRhs(), both.getLhs())})
    if (TriluOp causal = matchTriluCausal(table, query))
      if (int64_t width = matchWindowTriu(window, causal))
        return CausalSplit{causal, width};
  return std::nullopt;
}
/// The same for a condition of the keys to hide, as masked_fill takes it
/// (MPT's): Triu(ones[Sq, T], T - Sq + 1), the keys after the causal
/// limit, alone or Or-ed with the rest of what to hide.
std::optional<CausalSplit> splitHiddenCausal(Value condition, Value query) {
  auto later = [&](Value v) { return matchTriangle(v, query, /*upper=*/true, /*shift=*/1); };
  if (TriluOp table = later(condition))
    return CausalSplit{table};
  auto either = condition.getDefiningOp<OrOp>();
  if (!either)
    return std::nullopt;
  if (TriluOp table = later(either.getLhs()))
    return CausalSplit{table, 0, either.getRhs()};
  if (TriluOp table = later(either.getRhs()))
    return CausalSplit{table, 0, either.getLhs()};
  return std::nullopt;
}

std::optional<CausalSplit> splitCausal(Value condition, Value query) {
  if (std::optional<CausalSplit> whole = matchCausal(condition, query))
    return whole;
  auto both = condition.getDefiningOp<AndOp>();
  if (!both)
    return std::nullopt;
  for (auto [causal, rest] :
       {std::pair(both.getLhs(), both.getRhs()), std::pair(both.getRhs(), both.getLhs())})
    if (std::optional<CausalSplit> split = matchCausal(causal, query)) {
      split->rest = rest;
      return split;
    }
  return std::nullopt;
}

/// Makes the call fail unless the causal table is as wide as the keys are
/// many (the attention mask covers every position, past and new), the
/// condition under which it equals `causal`. A mask of another width
/// either breaks the graph's broadcast or, with width 1, hides or shows
/// whole rows: no decoder is fed that.
void checkTableWidth(OpBuilder &b, Location loc, TriluOp table, Value key) {
  auto full = table.getInput().getDefiningOp<ConstantOfShapeOp>();
  Value columns = shapeEntryIndex(full.getShape(), 1);
  if (indexIsDim(columns, key, 2))
    return;
  Value keys = tensor::DimOp::create(b, loc, key, 2);
  ModelLocation where = modelLocationOf(table.getLoc());
  std::string message = "the causal mask";
  if (!where.node.empty())
    message += " of node '" + where.node + "'";
  if (!where.file.empty())
    message += " of " + where.file;
  message += " covers {index} positions but attention reads {bound} keys; give attention_mask "
             "one entry per position, past and new";
  checkEqualAtRunTime(b, loc, columns, keys, message);
}

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
  std::optional<double> cap = scalarConstant(rhs);
  if (!cap && (cap = scalarConstant(lhs)))
    std::swap(lhs, rhs);
  auto tanh = lhs.getDefiningOp<TanhOp>();
  if (!cap || !(*cap > 0) || !tanh || !tanh->hasOneUse())
    return std::nullopt;
  Operation *inner = tanh.getOperand().getDefiningOp();
  if (!inner || !isa<DivOp, MulOp>(inner) || !inner->hasOneUse())
    return std::nullopt;
  std::optional<double> factor = scalarConstant(inner->getOperand(1));
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
      if (!scalarConstant(fill.value) && scalarConstant(where.getX())) {
        std::swap(fill.value, scores);
        fill.keepsWhereFalse = true;
        // masked_fill(~C): C keeps the keys.
        if (auto negated = fill.condition.getDefiningOp<NotOp>()) {
          fill.condition = negated.getOperand();
          fill.keepsWhereFalse = false;
        }
      }
      std::optional<double> value = scalarConstant(fill.value);
      if ((scaled && s.softcap > 0) || !value || !(*value * fill.scale <= kMaskFillLimit) ||
          !broadcastsInto(fill.condition, scoresType))
        return std::nullopt;
      s.fills.insert(s.fills.begin(), fill);
      x = scores;
      continue;
    }
    if (isa<MulOp, DivOp>(def)) {
      Value lhs = def->getOperand(0), rhs = def->getOperand(1);
      std::optional<double> factor = scalarConstant(rhs);
      if (isa<MulOp>(def) && !factor && (factor = scalarConstant(lhs)))
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

/// Whether dim `d` of `result` (an Expand's or Reshape's, shaped by
/// `shape`) provably equals dim `xd` of `x`: traced, or its shape entry an
/// index equal to that dim.
bool keepsDim(Value result, Value shape, int64_t d, Value x, int64_t xd) {
  if (provablyEqualDims(result, d, x, xd))
    return true;
  Value index = shapeEntryIndex(shape, d);
  return index && indexIsDim(index, x, xd);
}

/// K or V [B, Hkv·n, S, D] repeated from x [B, Hkv, S, D] by Unsqueeze(2)
/// → Expand to [B, Hkv, n, S, D] → Reshape: returns x, else `v` itself.
Value unrepeatHeads(Value v) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  auto expand = reshape ? reshape.getInput().getDefiningOp<ExpandOp>() : nullptr;
  auto unsqueeze = expand ? expand.getInput().getDefiningOp<UnsqueezeOp>() : nullptr;
  if (!unsqueeze || unsqueeze.getAxes() != ArrayRef<int64_t>{2})
    return v;
  Value x = unsqueeze.getInput();
  auto xType = cast<RankedTensorType>(x.getType());
  auto expanded = cast<RankedTensorType>(expand.getType());
  auto repeated = cast<RankedTensorType>(v.getType());
  if (xType.getRank() != 4 || expanded.getRank() != 5 || repeated.getRank() != 4)
    return v;
  int64_t heads = xType.getDimSize(1), group = expanded.getDimSize(2);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(group) ||
      expanded.getDimSize(1) != heads || repeated.getDimSize(1) != heads * group)
    return v;
  // Batch, length and head size pass through both: nothing else broadcasts.
  Value expandShape = expand.getShape(), reshapeShape = reshape.getShape();
  if (!keepsDim(expand, expandShape, 0, x, 0) || !keepsDim(expand, expandShape, 3, x, 2) ||
      !keepsDim(expand, expandShape, 4, x, 3) || !keepsDim(v, reshapeShape, 0, x, 0) ||
      !keepsDim(v, reshapeShape, 3, x, 3))
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
              FloatAttr::get(elementType, *scalarConstant(fill.value) * fill.scale).getValue()));
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
    bool causal = scores->fills.size() == 1 && !scores->fills.front().keepsWhereFalse &&
                  isSlicedCausalTable(scores->fills.front().condition, query, key);
    if (causal)
      scores->fills.clear();
    OpBuilder b(output);
    Location loc = output.getLoc();
    // A causal table inside a fill's condition, or inside an additive
    // Where(C, 0, F), becomes `causal`; the rest of the condition stays.
    TriluOp table;
    int64_t window = 0;
    for (Fill &fill : scores->fills) {
      std::optional<CausalSplit> split = causal ? std::nullopt
                                         : fill.keepsWhereFalse
                                             ? splitHiddenCausal(fill.condition, query)
                                             : splitCausal(fill.condition, query);
      if (!split || (isSquareTable(split->table) && !provablyEqualDims(query, 2, key, 2)))
        continue;
      causal = true;
      table = split->table;
      window = split->window;
      fill.condition = split->rest;
    }
    llvm::erase_if(scores->fills, [](const Fill &fill) { return !fill.condition; });
    // An additive causal mask, alone or added to another mask (T5 adds its
    // relative-position bias to the causal table), past leading
    // Unsqueezes: Where(C, 0, F) with a causal table in C, whose rest stays
    // a mask, or Meta LLaMA's Triu(full(F), 1); F at most kMaskFillLimit.
    auto splitFill = [&](Value mask) -> std::optional<std::pair<CausalSplit, Value>> {
      Value stripped = withoutLeadingUnsqueezes(mask);
      if (!stripped)
        return std::nullopt;
      std::optional<CausalSplit> split;
      auto where = stripped.getDefiningOp<WhereOp>();
      if (TriluOp hidden = matchTriangle(stripped, query, /*upper=*/true, /*shift=*/1,
                                         /*filled=*/true)) {
        split = CausalSplit{hidden};
      } else if (where) {
        std::optional<double> zero = scalarConstant(where.getX());
        std::optional<double> fill = scalarConstant(where.getY());
        if (zero && *zero == 0 && fill && *fill <= kMaskFillLimit)
          split = splitCausal(where.getCondition(), query);
      }
      if (!split || (isSquareTable(split->table) && !provablyEqualDims(query, 2, key, 2)))
        return std::nullopt;
      Value rest =
          split->rest ? WhereOp::create(b, loc, split->rest, where.getX(), where.getY()) : Value();
      return std::pair(*split, rest);
    };
    // The causal term of a sum of masks (a few Adds deep): the split, and
    // the sum without it, the other Adds kept as they are (null: nothing).
    std::function<std::optional<std::pair<CausalSplit, Value>>(Value, int)> withoutCausal =
        [&](Value mask, int depth) -> std::optional<std::pair<CausalSplit, Value>> {
      if (auto split = splitFill(mask))
        return split;
      auto sum = mask.getDefiningOp<AddOp>();
      if (!sum || depth == 0)
        return std::nullopt;
      for (bool left : {true, false}) {
        Value term = left ? sum.getLhs() : sum.getRhs(), other = left ? sum.getRhs() : sum.getLhs();
        if (auto split = withoutCausal(term, depth - 1)) {
          Value rest = split->second;
          split->second = !rest  ? other
                          : left ? AddOp::create(b, loc, rest, other).getResult()
                                 : AddOp::create(b, loc, other, rest).getResult();
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
        table = split->first.table;
        window = split->first.window;
        mask = split->second;
      }
    }
    llvm::erase_if(scores->additive, [](Value mask) { return !mask; });
    for (Value mask : scores->additive)
      if (!keepsBatchAndQueries(mask, scores->product))
        return;
    for (const Fill &fill : scores->fills)
      if (!keepsBatchAndQueries(fill.condition, scores->product))
        return;

    if (table)
      checkTableWidth(b, loc, table, key);
    SmallVector<Value> operands = {withStaticHeads(b, loc, query, heads), key, value};
    if (Value mask = combinedMask(b, loc, scores->fills, scores->additive))
      operands.push_back(mask);
    SmallVector<NamedAttribute> attributes = {
        b.getNamedAttr("scale", b.getF32FloatAttr(static_cast<float>(scores->scale))),
        b.getNamedAttr("causal", b.getBoolAttr(causal))};
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
