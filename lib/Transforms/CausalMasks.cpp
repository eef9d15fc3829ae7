//===- CausalMasks.cpp - the causal triangle in exporters' masks ----------===//
//
// Each matcher proves that a mask keeps key j for query row i exactly when
// j <= i + P, P the keys before the first query: from the ops that build
// the table (Trilu's offset, the positions compared) and from the shapes
// they are given (the rows are the queries, the columns the keys, checked
// at run time where no proof is found).
//
//===----------------------------------------------------------------------===//

#include "CausalMasks.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::genc;

std::optional<double> genc::scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return (*attr.getValues<APFloat>().begin()).convertToDouble();
}

Value genc::shapeEntryIndex(Value entry, int64_t position) {
  auto fromElements = entry.getDefiningOp<tensor::FromElementsOp>();
  if (!fromElements || position >= static_cast<int64_t>(fromElements.getElements().size()))
    return {};
  auto cast = fromElements.getElements()[position].getDefiningOp<arith::IndexCastOp>();
  return cast ? cast.getIn() : Value();
}

bool genc::keepsDim(Value result, Value shape, int64_t d, Value x, int64_t xd) {
  if (provablyEqualDims(result, d, x, xd))
    return true;
  Value index = shapeEntryIndex(shape, d);
  return index && indexIsDim(index, x, xd);
}

Value genc::withoutLeadingBroadcasts(Value mask) {
  while (Operation *def = mask.getDefiningOp()) {
    int64_t rank = cast<RankedTensorType>(mask.getType()).getRank();
    if (auto unsqueeze = dyn_cast<UnsqueezeOp>(def)) {
      if (llvm::any_of(unsqueeze.getAxes(), [&](int64_t axis) { return axis >= rank - 2; }))
        return {};
      mask = unsqueeze.getInput();
      continue;
    }
    // An Expand broadcasts the rows and columns only from 1, to a mask that
    // must then fit the scores: no causal table changes by it, but for the
    // width 1 that checkTableWidth refuses.
    auto expand = dyn_cast<ExpandOp>(def);
    if (!expand || cast<RankedTensorType>(expand.getInput().getType()).getRank() < 2)
      break;
    mask = expand.getInput();
  }
  return mask;
}

namespace {

/// The value of a one-element integer constant of at most 32 bits' worth.
std::optional<int64_t> smallIntConstant(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
    return std::nullopt;
  APInt value = *attr.getValues<APInt>().begin();
  if (value.getSignificantBits() > 32)
    return std::nullopt;
  return value.getSExtValue();
}

/// The value a splat fill holds: a one-element constant or ConstantOfShape.
std::optional<double> splatConstant(Value v) {
  if (std::optional<double> value = scalarConstant(v))
    return value;
  auto full = v.getDefiningOp<ConstantOfShapeOp>();
  auto value = full ? dyn_cast<DenseElementsAttr>(full.getValue()) : nullptr;
  if (!value || !value.isSplat() || !isa<FloatType>(value.getElementType()))
    return std::nullopt;
  return value.getSplatValue<APFloat>().convertToDouble();
}

/// Whether `v` is a ConstantOfShape of one value meaning "keep": 0 in an
/// additive mask, 1 (or true) in a 0/1 indicator.
bool isFullOf(Value v, double keep) {
  auto full = v.getDefiningOp<ConstantOfShapeOp>();
  auto value = full ? dyn_cast<DenseElementsAttr>(full.getValue()) : nullptr;
  if (!value || !value.isSplat())
    return false;
  if (auto floatType = dyn_cast<FloatType>(value.getElementType()))
    return value.getSplatValue<APFloat>().convertToDouble() == keep;
  return value.getSplatValue<APInt>().getZExtValue() == static_cast<uint64_t>(keep);
}

bool holdsPastLength(Value entry, Value query, Value key) {
  Value index = shapeEntryIndex(entry);
  auto sub = index ? index.getDefiningOp<arith::SubIOp>() : nullptr;
  return sub && indexIsDim(sub.getLhs(), key, 2) && indexIsDim(sub.getRhs(), query, 2);
}

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

//===----------------------------------------------------------------------===//
// Trilu tables
//===----------------------------------------------------------------------===//

/// The Trilu of `condition` (past leading broadcasts) when it is
/// Trilu(ConstantOfShape([Sq, T], true), k) with `upper` and k = T - Sq +
/// `shift`, T the attention mask's length; with `filled`, a table of a
/// fill F <= kMaskFillLimit instead of true (an additive mask).
TriluOp matchTriangle(Value condition, Value query, bool upper, int64_t shift,
                      bool filled = false) {
  condition = withoutLeadingBroadcasts(condition);
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
  condition = withoutLeadingBroadcasts(condition);
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

//===----------------------------------------------------------------------===//
// Positions compared
//===----------------------------------------------------------------------===//

/// A tensor that counts positions along one axis: each entry is its index
/// on that axis plus `offset`, whatever its other indices (an arange,
/// unsqueezed, broadcast or tiled).
struct Positions {
  /// The axis, counted from the last (1).
  int64_t fromEnd;
  int64_t offset;
  /// How many positions it counts (an index), null when not known.
  Value length;
};

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

std::optional<Positions> matchPositions(Value v, int depth = 0) {
  Operation *def = v.getDefiningOp();
  if (!def || depth > 10 ||
      !cast<RankedTensorType>(v.getType()).getElementType().isSignlessInteger() ||
      cast<RankedTensorType>(v.getType()).getElementType().isInteger(1))
    return std::nullopt;
  if (auto range = dyn_cast<RangeOp>(def)) {
    std::optional<int64_t> start = smallIntConstant(range.getStart());
    std::optional<int64_t> step = smallIntConstant(range.getDelta());
    if (!start || !step || *step != 1)
      return std::nullopt;
    return Positions{1, *start, *start == 0 ? shapeEntryIndex(range.getLimit()) : Value()};
  }
  if (auto castOp = dyn_cast<CastOp>(def)) {
    // Integers of 32 bits or more hold any length.
    if (cast<RankedTensorType>(v.getType()).getElementTypeBitWidth() < 32)
      return std::nullopt;
    return matchPositions(castOp.getInput(), depth + 1);
  }
  if (isa<AddOp, SubOp>(def)) {
    Value x = def->getOperand(0);
    std::optional<int64_t> amount = smallIntConstant(def->getOperand(1));
    if (!amount && isa<AddOp>(def) && (amount = smallIntConstant(x)))
      x = def->getOperand(1);
    std::optional<Positions> p = amount ? matchPositions(x, depth + 1) : std::nullopt;
    if (p)
      p->offset += isa<AddOp>(def) ? *amount : -*amount;
    return p;
  }
  if (auto unsqueeze = dyn_cast<UnsqueezeOp>(def)) {
    std::optional<Positions> p = matchPositions(unsqueeze.getInput(), depth + 1);
    if (!p)
      return std::nullopt;
    // The result's axes that are not new are the input's, in order.
    int64_t axis = rankOf(unsqueeze.getInput()) - p->fromEnd, seen = 0;
    for (int64_t d = 0, rank = rankOf(v); d < rank; ++d) {
      if (llvm::is_contained(unsqueeze.getAxes(), d))
        continue;
      if (seen++ == axis) {
        p->fromEnd = rank - d;
        return p;
      }
    }
    return std::nullopt;
  }
  if (auto expand = dyn_cast<ExpandOp>(def)) {
    Value x = expand.getInput();
    std::optional<Positions> p = matchPositions(x, depth + 1);
    if (!p || !keepsDim(v, expand.getShape(), rankOf(v) - p->fromEnd, x, rankOf(x) - p->fromEnd))
      return std::nullopt;
    return p;
  }
  if (auto reshape = dyn_cast<ReshapeOp>(def)) {
    // Only unit dims inserted or dropped (Tile's reshape, view(-1, 1)): the
    // other dims pair up in order, provably equal.
    Value x = reshape.getInput();
    std::optional<Positions> p = matchPositions(x, depth + 1);
    if (!p)
      return std::nullopt;
    auto nonUnit = [](Value t) {
      SmallVector<int64_t> dims;
      for (auto [d, size] : llvm::enumerate(cast<RankedTensorType>(t.getType()).getShape()))
        if (size != 1)
          dims.push_back(d);
      return dims;
    };
    SmallVector<int64_t> from = nonUnit(x), to = nonUnit(v);
    int64_t axis = rankOf(x) - p->fromEnd, result = -1;
    if (from.size() != to.size())
      return std::nullopt;
    for (auto [xd, d] : llvm::zip(from, to)) {
      if (!keepsDim(v, reshape.getShape(), d, x, xd))
        return std::nullopt;
      if (xd == axis)
        result = d;
    }
    if (result < 0)
      return std::nullopt;
    p->fromEnd = rankOf(v) - result;
    return p;
  }
  return std::nullopt;
}

/// A comparison of key positions (along the last axis) with query
/// positions (along the one before) that keeps key j for row i iff j <= i
/// (or, with `hidden`, that holds for the keys to hide): a square table of
/// the queries' length.
std::optional<CausalTable> matchComparedPositions(Value condition, Value query, bool hidden) {
  condition = withoutLeadingBroadcasts(condition);
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
  if (keys->fromEnd != 1 || queries->fromEnd != 2)
    return std::nullopt;
  // j + a OP i + b. Kept: j <= i + (b - a), or j < i + (b - a). Hidden:
  // j > i + (b - a) hides the keys after the limit, j >= i + (b - a) from it.
  int64_t limit = queries->offset - keys->offset - (strict != hidden ? 1 : 0);
  if (less == hidden || limit != 0)
    return std::nullopt;
  // Rows and columns count the queries: the table of a graph without a past.
  if (!queries->length || queries->length != keys->length || !indexIsDim(queries->length, query, 2))
    return std::nullopt;
  return CausalTable{compare, keys->length, Value(), /*square=*/true};
}

/// The causal table alone, or And-ed with a window, as all of `condition`.
std::optional<CausalSplit> matchCausal(Value condition, Value query) {
  if (TriluOp table = matchTriangle(condition, query, /*upper=*/false, /*shift=*/0))
    return CausalSplit{tableOf(table)};
  if (std::optional<CausalTable> table = matchComparedPositions(condition, query, false))
    return CausalSplit{*table};
  Value stripped = withoutLeadingBroadcasts(condition);
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

/// `inner`, a square causal table, with `visible` keys prepended along the
/// last axis (the past's, as exports with a cache concatenate them).
std::optional<CausalSplit> withVisiblePast(ConcatOp concat, Value visible,
                                           std::optional<CausalSplit> inner) {
  auto full = visible.getDefiningOp<ConstantOfShapeOp>();
  int64_t rank = rankOf(concat);
  if (!inner || inner->rest || inner->window || !inner->table.square || !full ||
      rankOf(full) != rank)
    return std::nullopt;
  auto entries = full.getShape().getDefiningOp<tensor::FromElementsOp>();
  if (!entries || static_cast<int64_t>(entries.getElements().size()) != rank)
    return std::nullopt;
  Value past = entries.getElements()[rank - 1];
  return CausalSplit{CausalTable{concat, inner->table.columns, past, /*square=*/false}};
}

/// The visible block and the rest of a two-input Concat along the last
/// axis, the block first.
std::optional<std::pair<Value, Value>> prependedBlock(Value v, double keep) {
  auto concat = v ? v.getDefiningOp<ConcatOp>() : nullptr;
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != rankOf(v) - 1 ||
      !isFullOf(concat.getInputs()[0], keep))
    return std::nullopt;
  return std::pair(concat.getInputs()[0], concat.getInputs()[1]);
}

/// The causal table of a 0/1 indicator of the keys to keep: a boolean
/// condition cast to numbers, past leading broadcasts, ones prepended.
std::optional<CausalSplit> indicatorCausal(Value indicator, Value query) {
  Value stripped = withoutLeadingBroadcasts(indicator);
  if (auto block = prependedBlock(stripped, 1.0))
    return withVisiblePast(stripped.getDefiningOp<ConcatOp>(), block->first,
                           indicatorCausal(block->second, query));
  auto castOp = stripped ? stripped.getDefiningOp<CastOp>() : nullptr;
  if (!castOp || !cast<RankedTensorType>(castOp.getInput().getType()).getElementType().isInteger(1))
    return std::nullopt;
  std::optional<CausalSplit> split = matchCausal(castOp.getInput(), query);
  if (!split)
    return std::nullopt;
  return split;
}

/// (1 - m) · F, transformers' `(1 - mask) * min`, with m a 0/1 indicator
/// (times another mask): the causal table of the indicator, and the rest
/// (1 - x) · F of the other factor x. Where the indicator is 1, the graph
/// computes exactly that; where it is 0, F.
std::optional<std::pair<CausalSplit, Value>> splitOneMinus(OpBuilder &b, Location loc, Value mask,
                                                           Value query) {
  auto scaled = mask.getDefiningOp<MulOp>();
  if (!scaled)
    return std::nullopt;
  Value complement = scaled.getLhs(), fill = scaled.getRhs();
  if (!scalarConstant(fill))
    std::swap(complement, fill);
  std::optional<double> fillValue = scalarConstant(fill);
  auto sub = complement.getDefiningOp<SubOp>();
  std::optional<double> one = sub ? scalarConstant(sub.getLhs()) : std::nullopt;
  if (!fillValue || !(*fillValue <= kMaskFillLimit) || !one || *one != 1.0)
    return std::nullopt;
  Value m = sub.getRhs();
  if (auto toFloat = m.getDefiningOp<CastOp>())
    m = toFloat.getInput();
  SmallVector<Value, 2> factors = {m};
  if (auto product = m.getDefiningOp<MulOp>())
    factors = {product.getLhs(), product.getRhs()};
  for (auto [i, factor] : llvm::enumerate(factors)) {
    std::optional<CausalSplit> split = indicatorCausal(factor, query);
    if (!split || split->rest)
      continue;
    if (factors.size() == 1)
      return std::pair(*split, Value());
    Value other = factors[1 - i];
    auto otherType = cast<RankedTensorType>(other.getType());
    Type floatType = cast<RankedTensorType>(sub.getType()).getElementType();
    if (otherType.getElementType() != floatType)
      other = CastOp::create(b, loc, otherType.clone(floatType), other, TypeAttr::get(floatType));
    Value rest = SubOp::create(b, loc, sub.getLhs(), other);
    return std::pair(*split, MulOp::create(b, loc, rest, fill).getResult());
  }
  return std::nullopt;
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
/// 0, F); such a table with F filled in where H holds, Where(H, F, table);
/// zeros prepended to a square one (the past's keys); (1 - m) · F.
std::optional<std::pair<CausalSplit, Value>> genc::splitAdditiveCausal(OpBuilder &b, Location loc,
                                                                       Value mask, Value query) {
  Value stripped = withoutLeadingBroadcasts(mask);
  if (!stripped)
    return std::nullopt;
  if (TriluOp hidden = matchTriangle(stripped, query, /*upper=*/true, /*shift=*/1, /*filled=*/true))
    return std::pair(CausalSplit{tableOf(hidden)}, Value());
  if (auto block = prependedBlock(stripped, 0.0)) {
    std::optional<std::pair<CausalSplit, Value>> inner =
        splitAdditiveCausal(b, loc, block->second, query);
    if (!inner || inner->second)
      return std::nullopt;
    std::optional<CausalSplit> split =
        withVisiblePast(stripped.getDefiningOp<ConcatOp>(), block->first, inner->first);
    if (!split)
      return std::nullopt;
    return std::pair(*split, Value());
  }
  auto where = stripped.getDefiningOp<WhereOp>();
  std::optional<double> hiddenFill = where ? splatConstant(where.getX()) : std::nullopt;
  if (hiddenFill && *hiddenFill <= kMaskFillLimit) {
    // masked_fill(H, F) of a causal table (AttentionMaskConverter.to_4d
    // fills the padding into it): the rest is Where(H, F, the table's rest
    // or 0).
    std::optional<std::pair<CausalSplit, Value>> inner =
        splitAdditiveCausal(b, loc, where.getY(), query);
    if (!inner)
      return std::nullopt;
    Value kept = inner->second;
    if (!kept) {
      auto type =
          RankedTensorType::get({}, cast<RankedTensorType>(where.getType()).getElementType());
      kept = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
    }
    inner->second = WhereOp::create(b, loc, where.getCondition(), where.getX(), kept);
    return inner;
  }
  if (where) {
    std::optional<double> zero = scalarConstant(where.getX());
    std::optional<double> fill = splatConstant(where.getY());
    if (!zero || *zero != 0 || !fill || !(*fill <= kMaskFillLimit))
      return std::nullopt;
    std::optional<CausalSplit> split = splitCausal(where.getCondition(), query);
    if (!split)
      return std::nullopt;
    Value rest =
        split->rest ? WhereOp::create(b, loc, split->rest, where.getX(), where.getY()) : Value();
    return std::pair(*split, rest);
  }
  return splitOneMinus(b, loc, stripped, query);
}

bool genc::isSlicedCausalTable(Value condition, Value query, Value key) {
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

/// The table equals `causal` only when it is as wide as the keys are many
/// (the attention mask covers every position, past and new). A mask of
/// another width either breaks the graph's broadcast or, with width 1,
/// hides or shows whole rows: no decoder is fed that.
void genc::checkTableWidth(OpBuilder &b, Location loc, const CausalTable &table, Value key) {
  Value columns = table.columns;
  if (!table.past && indexIsDim(columns, key, 2))
    return;
  if (Value past = table.past) {
    if (!past.getType().isIndex())
      past = arith::IndexCastOp::create(b, loc, b.getIndexType(), past);
    columns = arith::AddIOp::create(b, loc, past, columns);
  }
  Value keys = tensor::DimOp::create(b, loc, key, 2);
  ModelLocation where = modelLocationOf(table.op->getLoc());
  std::string message = "the causal mask";
  if (!where.node.empty())
    message += " of node '" + where.node + "'";
  if (!where.file.empty())
    message += " of " + where.file;
  message += " covers {index} positions but attention reads {bound} keys; give attention_mask "
             "one entry per position, past and new";
  checkEqualAtRunTime(b, loc, columns, keys, message);
}
