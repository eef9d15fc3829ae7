//===- CausalMasks.cpp - the causal triangle in exporters' masks ----------===//
//
// Each matcher proves that a mask keeps key j for query row i exactly when
// j <= i + P (and, with a sliding window of W, j > i + P - W), P the keys
// before the first query: from the ops that build the table (Trilu's
// offset, the positions compared) and from the shapes they are given (the
// rows are the queries, the columns the keys, checked at run time where no
// proof is found).
//
//===----------------------------------------------------------------------===//

#include "CausalMasks.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ElementValues.h"
#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <variant>

using namespace mlir;
using namespace mlir::genc;

namespace {

/// `mask` without the Unsqueezes and Expands that give it leading dims:
/// its values are those of the result, right-aligned, so that a mask built
/// from it broadcasts as the result does. An Expand may broadcast the rows
/// and columns too, from 1; the caller's check of the whole mask and
/// checkTableWidth keep that exact.
Value withoutLeadingDims(Value mask) {
  while (Operation *def = mask.getDefiningOp()) {
    // New axes before every dim but unit ones: [1, S, T] → [1, 1, S, T].
    auto unsqueeze = dyn_cast<UnsqueezeOp>(def);
    if (unsqueeze && !unsqueeze.getAxes().empty()) {
      auto shape = cast<RankedTensorType>(mask.getType()).getShape();
      int64_t last = *llvm::max_element(unsqueeze.getAxes());
      if (llvm::all_of(llvm::seq<int64_t>(0, last), [&](int64_t d) {
            return shape[d] == 1 || llvm::is_contained(unsqueeze.getAxes(), d);
          })) {
        mask = unsqueeze.getInput();
        continue;
      }
    }
    auto expand = dyn_cast<ExpandOp>(def);
    if (!expand || cast<RankedTensorType>(expand.getInput().getType()).getRank() < 2)
      break;
    mask = expand.getInput();
  }
  return mask;
}

/// A table's condition without the Unsqueezes and Expands before its rows
/// and columns (anywhere before the last two dims: T5's `causal[:, None]`),
/// or null when an Unsqueeze adds one of the last two. Only for tables,
/// whose values depend on their last two indices alone: a mask built from
/// the stripped value would broadcast differently.
Value withoutBroadcastsBeforeRows(Value condition) {
  while (Operation *def = condition.getDefiningOp()) {
    int64_t rank = cast<RankedTensorType>(condition.getType()).getRank();
    if (auto unsqueeze = dyn_cast<UnsqueezeOp>(def)) {
      if (llvm::any_of(unsqueeze.getAxes(), [&](int64_t axis) { return axis >= rank - 2; }))
        return {};
      condition = unsqueeze.getInput();
      continue;
    }
    Value inner = withoutLeadingDims(condition);
    if (inner == condition)
      break;
    condition = inner;
  }
  return condition;
}

/// Whether `v` is a ConstantOfShape of `value`.
bool isFullOf(Value v, double value) {
  return v.getDefiningOp<ConstantOfShapeOp>() && splatValue(v) == value;
}

/// A rank-0 floating-point constant holding `value`, of `like`'s element type.
Value scalarConstant(OpBuilder &b, Location loc, Value like, double value) {
  auto type = RankedTensorType::get({}, getElementTypeOrSelf(like.getType()));
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, FloatAttr::get(type.getElementType(), value).getValue()));
}

/// How to build Where(condition, a, b) for what is left of a mask: a and b
/// splats (built as scalars) or masks, the condition without its leading
/// broadcasts, so that the mask stays as small as its own dims (one row
/// over the keys for padding).
MaskBuilder whereBuilder(Value condition, std::variant<Value, MaskBuilder> whereTrue,
                         std::variant<Value, MaskBuilder> whereFalse) {
  return [=](OpBuilder &b, Location loc) -> Value {
    auto build = [&](const std::variant<Value, MaskBuilder> &part) -> Value {
      if (auto *mask = std::get_if<MaskBuilder>(&part))
        return (*mask)(b, loc);
      Value splat = std::get<Value>(part);
      return scalarConstant(b, loc, splat, *splatValue(splat));
    };
    return WhereOp::create(b, loc, withoutLeadingDims(condition), build(whereTrue),
                           build(whereFalse));
  };
}

/// Whether `entry` holds dim(key, 2) - dim(query, 2) at run time.
bool isConstantInts(Value v, ArrayRef<int64_t> expected);

bool holdsPastLength(Value entry, Value query, Value key) {
  // Skv - Sq folded to 0 where the two are one length.
  if (isConstantInts(entry, {0}))
    return provablyEqualDims(query, 2, key, 2);
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

/// Windows and diagonals beyond this many keys are not matched (and their
/// arithmetic cannot overflow).
constexpr int64_t kMaxWindow = int64_t(1) << 30;

/// `index` as base + c: an index plus or minus a constant, or itself (c =
/// 0); null for a null index or a constant out of range.
std::optional<std::pair<Value, int64_t>> offsetFrom(Value index) {
  if (!index)
    return std::nullopt;
  Operation *shift = index.getDefiningOp();
  APInt amount;
  if (!shift || !isa<arith::AddIOp, arith::SubIOp>(shift) ||
      !matchPattern(shift->getOperand(1), m_ConstantInt(&amount)))
    return std::pair(index, int64_t(0));
  if (amount.getSignificantBits() > 32 || std::abs(amount.getSExtValue()) > kMaxWindow)
    return std::nullopt;
  int64_t c = amount.getSExtValue();
  return std::pair(shift->getOperand(0), isa<arith::AddIOp>(shift) ? c : -c);
}

//===----------------------------------------------------------------------===//
// Trilu tables
//===----------------------------------------------------------------------===//

/// The Trilu of `condition` (past leading broadcasts) when it is
/// Trilu(ConstantOfShape([Sq, T], true), k) with `upper` and k = T - Sq +
/// `shift`, T the attention mask's length; with `filled`, a table of a
/// fill F <= kMaskFillLimit instead of true (an additive mask).
TriluOp matchTriangle(Value condition, Value query, bool upper, int64_t shift,
                      bool filled = false) {
  condition = withoutBroadcastsBeforeRows(condition);
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
  // Or no past at all: a square [Sq, Sq] table with the constant diagonal.
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

CausalTable tableOf(TriluOp trilu) {
  auto full = trilu.getInput().getDefiningOp<ConstantOfShapeOp>();
  Value rows = shapeEntryIndex(full.getShape(), 0), columns = shapeEntryIndex(full.getShape(), 1);
  return CausalTable{trilu, columns, Value(), rows == columns};
}

/// W when `condition` is a sliding window beside `causal` (Mistral's, built
/// in the graph): Triu of the causal Tril's table with offset k - (W - 1),
/// k the Tril's, so that row i keeps key j iff j > i + T - Sq - W.
int64_t matchWindowTriu(Value condition, TriluOp causal) {
  condition = withoutBroadcastsBeforeRows(condition);
  auto triu = condition ? condition.getDefiningOp<TriluOp>() : nullptr;
  if (!triu || !triu.getUpper() || triu.getInput() != causal.getInput())
    return 0;
  Value causalOffset = shapeEntryIndex(causal.getK());
  std::optional<std::pair<Value, int64_t>> offset = offsetFrom(shapeEntryIndex(triu.getK()));
  if (!causalOffset || !offset || offset->first != causalOffset)
    return 0;
  int64_t below = -offset->second;
  return below >= 0 ? below + 1 : 0;
}

//===----------------------------------------------------------------------===//
// Positions compared
//===----------------------------------------------------------------------===//

/// Key positions (along the last axis) compared with query positions (along
/// the one before): the condition holds for the keys j <= i + base + limit
/// (`below`), or for those after that, base the queries' run-time base.
struct ComparedPositions {
  Operation *op;
  Positions keys, queries;
  bool below;
  int64_t limit;
};

std::optional<ComparedPositions> matchComparison(Value condition) {
  condition = withoutBroadcastsBeforeRows(condition);
  Operation *compare = condition ? condition.getDefiningOp() : nullptr;
  if (!compare || !isa<LessOp, LessEqualOp, GreaterOp, GreaterEqualOp>(compare))
    return std::nullopt;
  std::optional<Positions> keys = matchPositions(compare->getOperand(0));
  std::optional<Positions> queries = matchPositions(compare->getOperand(1));
  if (!keys || !queries)
    return std::nullopt;
  bool less = isa<LessOp, LessEqualOp>(compare), strict = isa<LessOp, GreaterOp>(compare);
  if (keys->fromEnd == 2 && queries->fromEnd == 1) {
    std::swap(keys, queries);
    less = !less;
  }
  if (keys->fromEnd != 1 || queries->fromEnd != 2 || keys->base)
    return std::nullopt;
  // j + a OP i + b: j < i + (b - a) is j <= i + (b - a) - 1, and j >= i +
  // (b - a) is j > i + (b - a) - 1.
  int64_t limit = queries->offset - keys->offset - (less == strict ? 1 : 0);
  return ComparedPositions{compare, *keys, *queries, less, limit};
}

/// A comparison that keeps key j for row i iff j <= i + P (or, with
/// `hidden`, that holds for the keys to hide, j > i + P): P 0 in a table of
/// the queries' rows, or the queries' run-time base.
std::optional<CausalTable> matchComparedPositions(Value condition, Value query, bool hidden) {
  std::optional<ComparedPositions> compared = matchComparison(condition);
  if (!compared || compared->below == hidden || compared->limit != 0)
    return std::nullopt;
  const Positions &keys = compared->keys, &queries = compared->queries;
  // Rows count the queries; the keys are counted over their own length
  // (the attention mask's).
  if (!queries.length || !keys.length || !indexIsDim(queries.length, query, 2))
    return std::nullopt;
  if (queries.base)
    return CausalTable{compared->op, keys.length, Value(), /*square=*/false, queries.base};
  // Without a past: square when the columns count the queries too.
  CausalTable table{compared->op, keys.length, Value(), queries.length == keys.length};
  table.diagonalAtZero = !table.square;
  return table;
}

/// W when `hidden` hides the keys before a window of W that ends at the
/// diagonal of `table`, a table of compared positions: j <= i + P - W, P
/// the table's run-time diagonal (transformers 4.42's Mistral: arange(T)
/// <= cache_position - W) or 0 without a past, over the table's rows and
/// columns. 0 otherwise.
int64_t windowBeforeDiagonal(Value hidden, const CausalTable &table, Value query) {
  std::optional<ComparedPositions> compared = matchComparison(hidden);
  bool diagonalKnown = table.diagonal || table.diagonalIsZero();
  if (!compared || !compared->below || !diagonalKnown || compared->queries.base != table.diagonal ||
      compared->keys.length != table.columns || !compared->queries.length ||
      !indexIsDim(compared->queries.length, query, 2))
    return 0;
  int64_t width = -compared->limit;
  return width >= 1 && width <= kMaxWindow ? width : 0;
}

/// The causal table alone, or And-ed with a window, as all of `condition`.
std::optional<CausalSplit> matchCausal(Value condition, Value query) {
  if (TriluOp table = matchTriangle(condition, query, /*upper=*/false, /*shift=*/0))
    return CausalSplit{tableOf(table)};
  if (std::optional<CausalTable> table = matchComparedPositions(condition, query, false))
    return CausalSplit{*table};
  Value stripped = withoutBroadcastsBeforeRows(condition);
  auto both = stripped ? stripped.getDefiningOp<AndOp>() : nullptr;
  if (!both)
    return std::nullopt;
  for (auto [table, window] :
       {std::pair(both.getLhs(), both.getRhs()), std::pair(both.getRhs(), both.getLhs())})
    if (TriluOp causal = matchTriangle(table, query, /*upper=*/false, /*shift=*/0))
      if (int64_t width = matchWindowTriu(window, causal))
        return CausalSplit{tableOf(causal), width};
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Additive masks
//===----------------------------------------------------------------------===//

/// `v` before its casts between index and i64: one length read as an index
/// (a shape's dim) and as i64 (a session's past length) compares equal.
static Value withoutIndexCasts(Value v) {
  while (auto cast = v.getDefiningOp<arith::IndexCastOp>()) {
    Type from = cast.getIn().getType(), to = cast.getType();
    if (!(from.isIndex() || from.isInteger(64)) || !(to.isIndex() || to.isInteger(64)))
      break;
    v = cast.getIn();
  }
  return v;
}

/// The constant c when `k`, a Trilu's diagonal, holds P + c for the keys P
/// before the table's queries: a constant without a past, the past's
/// length plus or minus a constant with one.
std::optional<int64_t> diagonalBeyondPast(Value k, const CausalTable &table) {
  if (!table.past) {
    std::optional<int64_t> c = table.diagonalIsZero() ? integralConstant(k) : std::nullopt;
    return c && std::abs(*c) <= kMaxWindow ? c : std::nullopt;
  }
  // The same length as an index or as i64: a shape's dim (an export's
  // past) is an index, a session's genc.past_length an i64.
  std::optional<std::pair<Value, int64_t>> offset = offsetFrom(shapeEntryIndex(k));
  if (!offset || withoutIndexCasts(offset->first) != withoutIndexCasts(table.past))
    return std::nullopt;
  return offset->second;
}

/// W when `hidden`, the keys a causal table is filled at, are those before
/// a sliding window of W keys: transformers' `_make_causal_mask` with a
/// sliding window, `1 - triu(ones_like(mask), P + 1 - W)` as booleans (the
/// keys with j - i < P + 1 - W), or `tril(ones, P - W)` (j - i <= P - W;
/// Gemma 2's `tril(ones_like(mask), -W)` over the whole [B, 1, Sq, T]
/// mask), over the table's own rows and columns, P the keys before the
/// queries. The table keeps j - i <= P, so the two together keep the
/// window: genc.attention's `window`. 0 otherwise.
int64_t hiddenBeforeWindow(Value hidden, const CausalTable &table, Value query) {
  Value h = withoutBroadcastsBeforeRows(hidden);
  // Not with a run-time diagonal P: Gemma 2's band is relative to the rows,
  // j - i <= -W whatever P is, a window only where P is 0.
  if (!h || table.diagonal)
    return 0;
  // 1 - Triu(ones, k) cast to booleans hides j - i <= k - 1; Tril(ones,
  // k) hides j - i <= k.
  TriluOp band;
  int64_t lastHiddenDiagonal = 0;
  if (auto toBool = h.getDefiningOp<CastOp>();
      toBool && getElementTypeOrSelf(toBool.getType()).isInteger(1)) {
    auto sub = toBool.getInput().getDefiningOp<SubOp>();
    band = sub && integralConstant(sub.getLhs()) == 1 ? sub.getRhs().getDefiningOp<TriluOp>()
                                                      : TriluOp();
    if (!band || !band.getUpper())
      return 0;
    lastHiddenDiagonal = -1;
  } else {
    band = h.getDefiningOp<TriluOp>();
    if (!band || band.getUpper())
      return 0;
  }
  auto full = band.getInput().getDefiningOp<ConstantOfShapeOp>();
  std::optional<int64_t> k = diagonalBeyondPast(band.getK(), table);
  int64_t rank = full ? rankOf(full) : 0;
  if (rank < 2 || splatValue(full) != 1.0 || !k)
    return 0;
  // Over the table's rows and columns: the queries, and all its keys (the
  // leading dims, the same band in each, broadcast).
  Value rows = shapeEntryIndex(full.getShape(), rank - 2);
  Value columns = shapeEntryIndex(full.getShape(), rank - 1);
  if (!rows || !columns || !indexIsDim(rows, query, 2))
    return 0;
  // The queries' count serves for the keys' in a square table without a
  // past, which raising takes as `causal` only where the keys are provably
  // the queries (one whose diagonal is at 0 over other columns may be
  // raised beside keys that are not).
  Value tableValue = table.op->getResult(0);
  if (!indexIsDim(columns, tableValue, rankOf(tableValue) - 1) &&
      (table.past || !table.square || !indexIsDim(columns, query, 2)))
    return 0;
  // Hidden: j - i <= P + k + lastHiddenDiagonal; kept: j - i > P - W.
  int64_t width = -(*k + lastHiddenDiagonal);
  return width >= 1 ? width : 0;
}

/// `inner`, a square causal table, with `visible` keys prepended along the
/// last axis (the past's, as exports with a cache concatenate them).
std::optional<CausalSplit> withVisiblePast(ConcatOp concat, Value visible,
                                           const std::optional<CausalSplit> &inner) {
  auto full = visible.getDefiningOp<ConstantOfShapeOp>();
  auto entries = full ? full.getShape().getDefiningOp<tensor::FromElementsOp>() : nullptr;
  int64_t rank = rankOf(concat);
  if (!inner || inner->rest || inner->window || !inner->table.square || !entries ||
      static_cast<int64_t>(entries.getElements().size()) != rank)
    return std::nullopt;
  Value past = entries.getElements()[rank - 1];
  return CausalSplit{CausalTable{concat, inner->table.columns, past, /*square=*/false}};
}

/// The Concat of a ConstantOfShape of `keep` before another tensor along
/// the last axis, and that tensor.
std::optional<std::pair<ConcatOp, Value>> afterKeptBlock(Value v, double keep) {
  auto concat = v ? v.getDefiningOp<ConcatOp>() : nullptr;
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != rankOf(v) - 1 ||
      !isFullOf(concat.getInputs()[0], keep))
    return std::nullopt;
  return std::pair(concat, concat.getInputs()[1]);
}

/// The causal table of a 0/1 indicator of the keys to keep: a boolean
/// condition cast to numbers, past broadcasts before its rows, ones
/// prepended.
std::optional<CausalSplit> indicatorCausal(Value indicator, Value query) {
  Value stripped = withoutBroadcastsBeforeRows(indicator);
  if (auto block = afterKeptBlock(stripped, 1.0))
    return withVisiblePast(block->first, block->first.getInputs()[0],
                           indicatorCausal(block->second, query));
  auto castOp = stripped ? stripped.getDefiningOp<CastOp>() : nullptr;
  if (!castOp || !getElementTypeOrSelf(castOp.getInput().getType()).isInteger(1))
    return std::nullopt;
  return matchCausal(castOp.getInput(), query);
}

/// Whether `v` holds integers, as a number type or cast from one: finite,
/// whatever they are.
bool holdsIntegers(Value v) {
  if (auto castOp = v.getDefiningOp<CastOp>())
    v = castOp.getInput();
  return isa<IntegerType>(getElementTypeOrSelf(v.getType()));
}

/// (1 - m) · F, transformers' `(1 - mask) * min`, with m a 0/1 indicator
/// of the causal table, alone or times integers x (the padding): the rest
/// is (1 - x) · F. Where the indicator is 1 the graph computes exactly that;
/// where it is 0, F.
std::optional<AdditiveSplit> splitOneMinus(Value mask, Value query) {
  auto scaled = mask.getDefiningOp<MulOp>();
  if (!scaled)
    return std::nullopt;
  Value complement = scaled.getLhs(), fill = scaled.getRhs();
  if (!floatConstant(fill))
    std::swap(complement, fill);
  std::optional<double> fillValue = floatConstant(fill);
  auto sub = complement.getDefiningOp<SubOp>();
  // A finite fill: (1 - 1) · -inf would be NaN.
  if (!fillValue || !(*fillValue <= kMaskFillLimit) || !std::isfinite(*fillValue) || !sub ||
      floatConstant(sub.getLhs()) != 1.0)
    return std::nullopt;
  if (std::optional<CausalSplit> alone = indicatorCausal(sub.getRhs(), query))
    return AdditiveSplit{*alone, {}};
  // The product, as integers or as numbers cast from them.
  Value m = sub.getRhs();
  if (auto toFloat = m.getDefiningOp<CastOp>())
    m = toFloat.getInput();
  auto product = m.getDefiningOp<MulOp>();
  if (!product)
    return std::nullopt;
  for (auto [factor, other] : {std::pair(product.getLhs(), product.getRhs()),
                               std::pair(product.getRhs(), product.getLhs())}) {
    std::optional<CausalSplit> split = indicatorCausal(factor, query);
    if (!split || !holdsIntegers(other))
      continue;
    Value one = sub.getLhs();
    MaskBuilder rest = [one, other, fill](OpBuilder &b, Location loc) -> Value {
      Type floatType = getElementTypeOrSelf(one.getType());
      Value x = withoutLeadingDims(other);
      auto otherType = cast<RankedTensorType>(x.getType());
      if (otherType.getElementType() != floatType)
        x = CastOp::create(b, loc, otherType.clone(floatType), x, TypeAttr::get(floatType));
      Value inverted = SubOp::create(b, loc, one, x);
      return MulOp::create(b, loc, inverted, fill);
    };
    return AdditiveSplit{*split, rest};
  }
  return std::nullopt;
}

/// Whether `v` is a finite float splat F <= kMaskFillLimit, which a product
/// with 0/1 may take: -inf · 0 would be NaN.
bool isMaskFill(Value v) {
  std::optional<double> value = splatValue(v);
  return value && *value <= kMaskFillLimit && std::isfinite(*value) &&
         isa<FloatType>(getElementTypeOrSelf(v.getType()));
}

/// transformers' causal mask since 4.41: F · (arange(T) > cache_position[:,
/// None]) as numbers, F a full table, or (LLaMA's, when the trace had more
/// than one query) Triu(full(F), 1) over the same rows and keys. That
/// triangle hides j > i, which adds nothing to j > i + P for P >= 0: the
/// past's length (a dim), or 0. A full F may also hide the keys before a
/// sliding window, Or-ed in (Mistral's since 4.42); a triangle would cut
/// that back.
std::optional<AdditiveSplit> splitFilledIndicator(Value mask, Value query) {
  auto product = mask.getDefiningOp<MulOp>();
  if (!product)
    return std::nullopt;
  for (auto [fill, indicator] : {std::pair(product.getLhs(), product.getRhs()),
                                 std::pair(product.getRhs(), product.getLhs())}) {
    auto toNumbers = indicator.getDefiningOp<CastOp>();
    if (!toNumbers || !getElementTypeOrSelf(toNumbers.getInput().getType()).isInteger(1))
      continue;
    std::optional<CausalSplit> split = splitHiddenCausal(toNumbers.getInput(), query);
    if (split && split->rest)
      if (int64_t width = windowBeforeDiagonal(split->rest, split->table, query)) {
        split->window = width;
        split->rest = {};
      }
    if (!split || split->rest)
      continue;
    if (isMaskFill(fill))
      return AdditiveSplit{*split, {}};
    const CausalTable &table = split->table;
    auto triu = fill.getDefiningOp<TriluOp>();
    auto full = triu ? triu.getInput().getDefiningOp<ConstantOfShapeOp>() : nullptr;
    bool pastNotNegative =
        table.diagonalIsZero() || (table.diagonal && holdsLength(table.diagonal));
    // The triangle over the same rows and columns: its diagonal counts from
    // the queries' first row and the keys' first column, as the table's.
    Value rows = full ? shapeEntryIndex(full.getShape(), 0) : Value();
    if (full && !split->window && triu.getUpper() && integralConstant(triu.getK()) == 1 &&
        isMaskFill(full) && cast<RankedTensorType>(full.getType()).getRank() == 2 && rows &&
        indexIsDim(rows, query, 2) && shapeEntryIndex(full.getShape(), 1) == table.columns &&
        pastNotNegative)
      return AdditiveSplit{*split, {}};
  }
  return std::nullopt;
}

/// The padding transformers fills into its causal mask M (0 or F): F where
/// M + m == 0 (4.41 and later), or where M == 0 and m == 0 (4.38 to 4.40),
/// m the attention mask as numbers. Where M is F the fill changes nothing;
/// where M is 0 it is F where m is 0. Returns m when `hidden` is either.
Value paddingOf(Value hidden, Value table) {
  // x when `v` is x == 0 (past the broadcasts that cleanup sinks below it).
  auto equalsZero = [](Value v) -> Value {
    auto equal = withoutLeadingDims(v).getDefiningOp<EqualOp>();
    if (!equal)
      return {};
    Value x = equal.getLhs(), zero = equal.getRhs();
    if (floatConstant(x) == 0.0)
      std::swap(x, zero);
    return floatConstant(zero) == 0.0 ? x : Value();
  };
  if (auto both = hidden.getDefiningOp<AndOp>()) {
    for (auto [kept, padding] :
         {std::pair(both.getLhs(), both.getRhs()), std::pair(both.getRhs(), both.getLhs())})
      if (Value x = equalsZero(kept); x && withoutLeadingDims(x) == withoutLeadingDims(table))
        if (Value m = equalsZero(padding))
          return m;
    return {};
  }
  Value sum = equalsZero(hidden);
  auto add = sum ? sum.getDefiningOp<AddOp>() : nullptr;
  if (!add)
    return {};
  return add.getLhs() == table ? add.getRhs() : add.getRhs() == table ? add.getLhs() : Value();
}

} // namespace

std::optional<CausalSplit> genc::splitCausal(Value condition, Value query) {
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

/// MPT's Triu(ones[Sq, T], T - Sq + 1), or the keys' positions compared
/// greater than the queries'.
std::optional<CausalSplit> genc::splitHiddenCausal(Value condition, Value query) {
  auto later = [&](Value v) -> std::optional<CausalTable> {
    if (TriluOp table = matchTriangle(v, query, /*upper=*/true, /*shift=*/1))
      return tableOf(table);
    return matchComparedPositions(v, query, /*hidden=*/true);
  };
  if (std::optional<CausalTable> table = later(condition))
    return CausalSplit{*table};
  auto either = condition.getDefiningOp<OrOp>();
  if (!either)
    return std::nullopt;
  if (std::optional<CausalTable> table = later(either.getLhs()))
    return CausalSplit{*table, 0, either.getRhs()};
  if (std::optional<CausalTable> table = later(either.getRhs()))
    return CausalSplit{*table, 0, either.getLhs()};
  return std::nullopt;
}

/// Meta LLaMA's Triu(full(F), 1); Where(C, 0, F) with a causal table in C
/// (F a constant or a ConstantOfShape), the rest of C kept as Where(rest,
/// 0, F); such a table with F filled in where H holds, Where(H, F, table),
/// H the padding or the keys before a sliding window; zeros prepended to a
/// square one (the past's keys); (1 - m) · F.
std::optional<AdditiveSplit> genc::splitAdditiveCausal(Value mask, Value query) {
  Value stripped = withoutLeadingDims(mask);
  if (TriluOp hidden = matchTriangle(stripped, query, /*upper=*/true, /*shift=*/1, /*filled=*/true))
    return AdditiveSplit{CausalSplit{tableOf(hidden)}, {}};
  if (auto block = afterKeptBlock(stripped, 0.0)) {
    std::optional<AdditiveSplit> inner = splitAdditiveCausal(block->second, query);
    if (!inner || inner->rest)
      return std::nullopt;
    std::optional<CausalSplit> split =
        withVisiblePast(block->first, block->first.getInputs()[0], inner->causal);
    if (!split)
      return std::nullopt;
    return AdditiveSplit{*split, {}};
  }
  auto where = stripped.getDefiningOp<WhereOp>();
  if (!where) {
    if (std::optional<AdditiveSplit> split = splitFilledIndicator(stripped, query))
      return split;
    return splitOneMinus(stripped, query);
  }
  Value x = where.getX(), y = where.getY();
  std::optional<double> xValue = splatValue(x), yValue = splatValue(y);
  if (xValue && *xValue <= kMaskFillLimit && isa<FloatType>(getElementTypeOrSelf(x.getType()))) {
    // masked_fill(H, F) of a causal table (AttentionMaskConverter.to_4d
    // fills the padding into it): the rest is Where(H, F, the table's rest
    // or 0).
    Value hidden = where.getCondition();
    std::optional<AdditiveSplit> inner = splitAdditiveCausal(y, query);
    if (!inner && yValue == 0 && isa<FloatType>(getElementTypeOrSelf(y.getType()))) {
      // Zeros filled where the keys after the limit are: masked_fill's
      // own causal mask. The rest of what it hides stays Where(rest, F, 0).
      std::optional<CausalSplit> split = splitHiddenCausal(hidden, query);
      if (!split)
        return std::nullopt;
      MaskBuilder rest = split->rest ? whereBuilder(split->rest, x, y) : MaskBuilder();
      split->rest = {};
      return AdditiveSplit{*split, rest};
    }
    if (!inner)
      return std::nullopt;
    if (Value m = inner->rest ? Value() : paddingOf(hidden, y)) {
      // Where the table keeps a key, F where m is 0: Where(m == 0, F, 0).
      inner->rest = [m, x](OpBuilder &b, Location loc) -> Value {
        Value padding = withoutLeadingDims(m);
        Value none = EqualOp::create(b, loc, padding, scalarConstant(b, loc, padding, 0.0));
        return WhereOp::create(b, loc, none, scalarConstant(b, loc, x, *splatValue(x)),
                               scalarConstant(b, loc, x, 0.0));
      };
      return inner;
    }
    // The keys before a window: exactly what `window` hides, so the fill
    // goes (its F becoming -inf) and the table's rest stays.
    if (int64_t width =
            inner->causal.window ? 0 : hiddenBeforeWindow(hidden, inner->causal.table, query)) {
      inner->causal.window = width;
      return inner;
    }
    MaskBuilder kept = inner->rest;
    if (!kept)
      kept = [x](OpBuilder &b, Location loc) { return scalarConstant(b, loc, x, 0.0); };
    inner->rest = whereBuilder(hidden, x, kept);
    return inner;
  }
  if (!xValue || *xValue != 0 || !yValue || !(*yValue <= kMaskFillLimit) ||
      !isa<FloatType>(getElementTypeOrSelf(y.getType())))
    return std::nullopt;
  std::optional<CausalSplit> split = splitCausal(where.getCondition(), query);
  if (!split)
    return std::nullopt;
  MaskBuilder rest = split->rest ? whereBuilder(split->rest, x, y) : MaskBuilder();
  split->rest = {};
  return AdditiveSplit{*split, rest};
}

Value genc::slicedToKeys(Value mask, Value key) {
  auto slice = mask.getDefiningOp<SliceOp>();
  int64_t last = rankOf(mask) - 1;
  if (!slice || !isConstantInts(slice.getStarts(), {0}) || !isConstantInts(slice.getSteps(), {1}) ||
      !(isConstantInts(slice.getAxes(), {last}) || isConstantInts(slice.getAxes(), {-1})) ||
      !holdsKeyLength(slice.getEnds(), key))
    return {};
  return slice.getInput();
}

bool genc::isSlicedCausalTable(Value condition, Value query, Value key) {
  // Older exports keep the table as 0/1 bytes and cast the slice to bool.
  if (auto toBool = condition.getDefiningOp<CastOp>();
      toBool && getElementTypeOrSelf(toBool.getType()).isInteger(1) &&
      isa<IntegerType>(getElementTypeOrSelf(toBool.getInput().getType())))
    condition = toBool.getInput();
  auto columns = condition.getDefiningOp<SliceOp>();
  auto rows = columns ? columns.getInput().getDefiningOp<SliceOp>() : nullptr;
  // Rows [Skv - Sq, Skv) and columns [0, Skv) of the last two axes (of
  // GPT-2's [1, 1, n, n] table, GPTBigCode's [1, n, n]): Sq rows of Skv keys.
  int64_t rank = rankOf(condition);
  if (!rows || (rank != 3 && rank != 4) || !isConstantInts(columns.getAxes(), {rank - 1}) ||
      !isConstantInts(columns.getStarts(), {0}) || !isConstantInts(columns.getSteps(), {1}) ||
      !holdsKeyLength(columns.getEnds(), key) || !isConstantInts(rows.getAxes(), {rank - 2}) ||
      !isConstantInts(rows.getSteps(), {1}) || !holdsPastLength(rows.getStarts(), query, key) ||
      !holdsKeyLength(rows.getEnds(), key))
    return false;
  ElementsAttr table;
  if (!matchPattern(rows.getInput(), m_Constant(&table)))
    return false;
  auto shape = table.getShapedType().getShape();
  if (static_cast<int64_t>(shape.size()) != rank || shape[rank - 2] != shape[rank - 1] ||
      llvm::any_of(shape.drop_back(2), [](int64_t d) { return d != 1; }))
    return false;
  // Booleans (dense), or bytes (dense, or a resource as large tables are).
  std::vector<bool> keeps;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(table))
    for (const APInt &value : dense.getValues<APInt>())
      keeps.push_back(!value.isZero());
  else if (auto bytes = dyn_cast<IntegerType>(table.getElementType());
           bytes && bytes.getWidth() == 8)
    if (std::optional<std::vector<uint8_t>> values = elementValues<uint8_t>(table))
      keeps.assign(values->begin(), values->end());
  int64_t size = shape[rank - 1];
  if (static_cast<int64_t>(keeps.size()) != size * size)
    return false;
  for (int64_t flat = 0; flat < size * size; ++flat)
    if (keeps[flat] != (flat % size <= flat / size))
      return false;
  return true;
}

namespace {
/// Keys [B, H, Skv, D] (repeated to the query heads or not) that are a past
/// followed by new ones: an export's Concat of the two along the keys, or a
/// session cache's prefix [0, P + S). The counts compare as dims of the
/// concatenated tensors, or as the prefix size's two terms.
struct PastAndNewKeys {
  Value pastKeys, newKeys;   // the Concat's inputs
  Value pastCount, newCount; // the prefix size's terms
  int64_t axis = 2;

  static std::optional<PastAndNewKeys> of(Value key) {
    DimSource keys = traceDim(key, 2);
    if (auto concat = keys.value.getDefiningOp<ConcatOp>()) {
      if (concat.getAxis() != keys.dim || concat.getInputs().size() != 2)
        return std::nullopt;
      return PastAndNewKeys{concat.getInputs()[0], concat.getInputs()[1], {}, {}, keys.dim};
    }
    auto rows = keys.value.getDefiningOp<tensor::ExtractSliceOp>();
    Value size = rows && rows.getType().getRank() == rows.getSourceType().getRank()
                     ? dyn_cast<Value>(rows.getMixedSizes()[keys.dim])
                     : Value();
    auto sum = size ? size.getDefiningOp<arith::AddIOp>() : nullptr;
    if (!sum)
      return std::nullopt;
    return PastAndNewKeys{{}, {}, sum.getLhs(), sum.getRhs(), keys.dim};
  }

  /// Whether `count` (an index, or the i64 it was cast from or to: a
  /// session's past length is one) is the past's keys.
  bool pastIs(Value count) const {
    count = withoutIndexCasts(count);
    if (pastKeys)
      return count.getType().isIndex() && indexIsDim(count, pastKeys, axis);
    return count == withoutIndexCasts(pastCount);
  }
  /// Whether the new keys are as many as dim `d` of `v`.
  bool newAreDim(Value v, int64_t d) const {
    return newKeys ? provablyEqualDims(newKeys, axis, v, d) : indexIsDim(newCount, v, d);
  }
  /// Whether the new keys are `count` (an index) many.
  bool newAre(Value count) const {
    return newKeys ? indexIsDim(count, newKeys, axis) : provablyEqualIndices(count, newCount);
  }
};
} // namespace

/// Whether there are provably `past` keys before the queries' own: keys of
/// the past and then as many as the queries. Only the count matters: then
/// no check compares it at run time, which a sliding cache (fewer rows
/// than positions) would fail.
static bool countsKeysBefore(Value past, Value query, Value key) {
  std::optional<PastAndNewKeys> keys = PastAndNewKeys::of(key);
  return keys && keys->pastIs(past) && keys->newAreDim(query, 2);
}

bool genc::tableCoversKeys(const CausalTable &table, Value key) {
  if (!table.past)
    return indexIsDim(table.columns, key, 2);
  std::optional<PastAndNewKeys> keys = PastAndNewKeys::of(key);
  return keys && keys->pastIs(table.past) && keys->newAre(table.columns);
}

/// The table equals `causal` only when it is as wide as the keys are many
/// (the attention mask covers every position, past and new). A mask of
/// another width either breaks the graph's broadcast or, with width 1,
/// hides or shows whole rows: no decoder is fed that.
void genc::checkTableWidth(OpBuilder &b, Location loc, const CausalTable &table, Value query,
                           Value key) {
  ModelLocation where = modelLocationOf(table.op->getLoc());
  std::string mask = "the causal mask";
  if (!where.node.empty())
    mask += " of node '" + where.node + "'";
  if (!where.file.empty())
    mask += " of " + where.file;
  auto asIndex = [&](Value v) {
    return v.getType().isIndex() ? v : arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  };
  if (Value diagonal = table.diagonal; diagonal && !countsKeysBefore(diagonal, query, key)) {
    // j <= i + P is `causal` where P is the keys before the queries.
    Value seen =
        arith::AddIOp::create(b, loc, asIndex(diagonal), tensor::DimOp::create(b, loc, query, 2));
    checkEqualAtRunTime(b, loc, seen, tensor::DimOp::create(b, loc, key, 2),
                        mask + " lets the last query see {index} positions but attention reads "
                               "{bound} keys; the queries' positions must follow the past's keys");
  }
  if (tableCoversKeys(table, key))
    return;
  Value columns = table.columns;
  if (Value past = table.past)
    columns = arith::AddIOp::create(b, loc, asIndex(past), columns);
  checkEqualAtRunTime(b, loc, columns, tensor::DimOp::create(b, loc, key, 2),
                      mask + " covers {index} positions but attention reads {bound} keys; give "
                             "attention_mask one entry per position, past and new");
}
