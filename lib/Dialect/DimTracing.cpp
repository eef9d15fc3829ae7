//===- DimTracing.cpp - which earlier dim a dynamic dim equals -------------===//
//
// A dynamic dim of an intermediate tensor is usually a dim of a graph input
// in disguise: the batch dim survives matmuls, transposes and elementwise
// ops. Tracing it back gives every such dim one canonical (value, dim)
// name, so shape folding produces one tensor.dim per symbol and Reshape's
// inference can cancel a dim against itself.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/Broadcast.h"
#include "genc/Dialect/GencOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::genc;

/// The dim_param name of dim `d` of a function argument, or "".
static StringRef argDimName(func::FuncOp fn, unsigned argIndex, int64_t d) {
  auto names = fn.getArgAttrOfType<ArrayAttr>(argIndex, "genc.dim_names");
  if (!names || d >= static_cast<int64_t>(names.size()))
    return {};
  auto name = dyn_cast<StringAttr>(names[d]);
  return name ? name.getValue() : StringRef();
}

/// Arguments whose dims share a dim_param name are the same symbol: use the
/// first argument dim with that name.
static DimSource canonicalArgDim(BlockArgument arg, int64_t d) {
  auto fn = dyn_cast_or_null<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!fn || arg.getOwner() != &fn.getBody().front())
    return {arg, d};
  StringRef name = argDimName(fn, arg.getArgNumber(), d);
  if (name.empty())
    return {arg, d};
  for (BlockArgument other : fn.getArguments()) {
    auto type = cast<RankedTensorType>(other.getType());
    for (int64_t j = 0; j < type.getRank(); ++j)
      if (type.isDynamicDim(j) && argDimName(fn, other.getArgNumber(), j) == name)
        return {other, j};
  }
  return {arg, d};
}

namespace {
/// Traces dims with a memo: residual streams make every broadcasting op a
/// fork, and tracing both sides of each fork without one is exponential.
class DimTracer {
public:
  DimSource trace(Value v, int64_t d) {
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.isDynamicDim(d))
      return {v, d};
    auto key = std::make_pair(v, d);
    auto it = memo.find(key);
    if (it != memo.end())
      return it->second;
    memo[key] = {v, d}; // Provisional, for safety on malformed (cyclic) IR.
    std::optional<DimSource> next = step(v, d);
    DimSource result = next ? trace(next->value, next->dim) : DimSource{v, d};
    memo[key] = result;
    return result;
  }

private:
  std::optional<DimSource> step(Value v, int64_t d);

  /// For operand dims that one loop runs over: the first, if they all
  /// trace to one symbol. The lowering sizes the loop by one of them and
  /// checks the others at run time, reading an operand that differs as
  /// zeros of the loop's size (genc-convert-to-linalg's SharedLoops), so
  /// only a proven agreement says what the result's dim is.
  std::optional<DimSource> agreeingSource(ArrayRef<DimSource> uses) {
    if (uses.empty())
      return std::nullopt;
    for (const DimSource &use : uses.drop_front())
      if (!(trace(use.value, use.dim) == trace(uses.front().value, uses.front().dim)))
        return std::nullopt;
    return uses.front();
  }

  /// The dims of `operands` that broadcast, right-aligned, to dim `d` of a
  /// result of `resultRank` and do not broadcast there (a static 1).
  static SmallVector<DimSource> broadcastUses(ValueRange operands, int64_t d, int64_t resultRank) {
    SmallVector<DimSource> uses;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      std::optional<int64_t> i = broadcastOperandDim(type.getRank(), resultRank, d);
      if (i && type.getDimSize(*i) != 1)
        uses.push_back({operand, *i});
    }
    return uses;
  }

  /// For a broadcasting op: the operand dim that result dim `d` equals
  /// (a dynamic dim could be 1 at run time where the candidates differ).
  std::optional<DimSource> broadcastSource(ValueRange operands, int64_t d, int64_t resultRank) {
    return agreeingSource(broadcastUses(operands, d, resultRank));
  }

  DenseMap<std::pair<Value, int64_t>, DimSource> memo;
};
} // namespace

/// The input dim a reduction passes through to result dim `d`.
template <typename ReduceOp>
static std::optional<DimSource> reductionSource(ReduceOp op, int64_t d) {
  int64_t rank = op.getInput().getType().getRank();
  SmallVector<bool> reduced(rank, op.getAxes().empty());
  for (int64_t axis : op.getAxes())
    reduced[axis] = true;
  for (int64_t i = 0, r = 0; i < rank; ++i) {
    if (reduced[i] && !op.getKeepdims())
      continue;
    if (r++ == d)
      return reduced[i] ? std::nullopt : std::optional<DimSource>(DimSource{op.getInput(), i});
  }
  return std::nullopt;
}

std::optional<DimSource> genc::getShapeEntryDim(Value shape, int64_t entry) {
  auto fromElements = shape.getDefiningOp<tensor::FromElementsOp>();
  if (!fromElements)
    return std::nullopt;
  auto cast = fromElements.getElements()[entry].getDefiningOp<arith::IndexCastOp>();
  auto dim = cast ? cast.getIn().getDefiningOp<tensor::DimOp>() : nullptr;
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  if (!index)
    return std::nullopt;
  return DimSource{dim.getSource(), *index};
}

/// genc::expandEntryDim, the entry's dim traced by `trace` (a tracer's
/// memo, where one is at work).
static std::optional<DimSource> expandEntryDimTraced(Value input, Value shape, int64_t entry,
                                                     function_ref<DimSource(Value, int64_t)> trace);

std::optional<DimSource> DimTracer::step(Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    DimSource canonical = canonicalArgDim(arg, d);
    if (canonical == DimSource{v, d})
      return std::nullopt;
    return canonical;
  }
  Operation *op = v.getDefiningOp();
  if (isa<NegOp, AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, TanhOp, SigmoidOp, SiluOp, ReluOp,
          ErfOp, SinOp, CosOp, FloorOp, CeilOp, RoundOp, NotOp, GeluOp, CastOp, SoftmaxOp, TriluOp,
          CumSumOp, ScatterNDOp, ScatterElementsOp>(op))
    return DimSource{op->getOperand(0), d};
  // Normalisations: the input's dims, the scale and bias broadcast to them.
  if (isa<LayerNormOp, RmsNormOp>(op))
    return broadcastSource(op->getOperands(), d, type.getRank());
  if (auto r = dyn_cast<RotaryOp>(op)) {
    // Batch and positions are shared with the position ids, or the tables.
    SmallVector<DimSource> uses = {{r.getInput(), d}};
    if (d == 0 || d == 2) {
      if (Value positions = r.getPositionIds())
        uses.push_back({positions, d / 2});
      else
        uses.append({{r.getCos(), d / 2}, {r.getSin(), d / 2}});
    }
    return agreeingSource(uses);
  }
  if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp,
          LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, WhereOp>(op))
    return broadcastSource(op->getOperands(), d, type.getRank());
  if (auto r = dyn_cast<ReduceSumOp>(op))
    return reductionSource(r, d);
  if (auto r = dyn_cast<ReduceMeanOp>(op))
    return reductionSource(r, d);
  if (auto r = dyn_cast<ReduceMaxOp>(op))
    return reductionSource(r, d);
  if (auto r = dyn_cast<ReduceMinOp>(op))
    return reductionSource(r, d);
  if (auto r = dyn_cast<ReduceProdOp>(op))
    return reductionSource(r, d);
  if (auto t = dyn_cast<TransposeOp>(op))
    return DimSource{t.getInput(), t.getPerm()[d]};
  if (auto m = dyn_cast<MatMulOp>(op)) {
    auto lhs = m.getLhs().getType(), rhs = m.getRhs().getType();
    int64_t rank = type.getRank();
    if (lhs.getRank() < 2 || rhs.getRank() < 2)
      return std::nullopt;
    if (d == rank - 1)
      return DimSource{m.getRhs(), rhs.getRank() - 1};
    if (d == rank - 2)
      return DimSource{m.getLhs(), lhs.getRank() - 2};
    // Batch dims broadcast over the operands' batch dims (all but the last two).
    return broadcastSource({m.getLhs(), m.getRhs()}, d, rank);
  }
  if (auto g = dyn_cast<GatherOp>(op)) {
    int64_t axis = g.getAxis();
    int64_t indicesRank = g.getIndices().getType().getRank();
    if (d < axis)
      return DimSource{g.getInput(), d};
    if (d < axis + indicesRank)
      return DimSource{g.getIndices(), d - axis};
    return DimSource{g.getInput(), d - indicesRank + 1};
  }
  if (auto c = dyn_cast<ConcatOp>(op)) {
    if (d == c.getAxis())
      return std::nullopt;
    SmallVector<DimSource> uses;
    for (Value input : c.getInputs())
      uses.push_back({input, d});
    if (std::optional<DimSource> agreed = agreeingSource(uses))
      return agreed;
    // The inputs must agree off the axis, and the lowering checks that they
    // do before anything reads the result: any input's dim is the result's.
    // Take one that traces to a graph input (a partial rotary's rotated
    // half may not trace where the rest does).
    for (const DimSource &use : uses)
      if (isa<BlockArgument>(trace(use.value, use.dim).value))
        return use;
    return std::nullopt;
  }
  if (auto s = dyn_cast<SplitOp>(op)) {
    if (d == s.getAxis())
      return std::nullopt;
    return DimSource{s.getInput(), d};
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    // A size read from a dim (a session's cache prefix: [batch, ...]).
    if (slice.getType().getRank() != slice.getSourceType().getRank())
      return std::nullopt;
    auto size = dyn_cast<Value>(slice.getMixedSizes()[d]);
    auto dim = size ? size.getDefiningOp<tensor::DimOp>() : nullptr;
    std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
    if (!index)
      return std::nullopt;
    return DimSource{dim.getSource(), *index};
  }
  if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
    return DimSource{insert.getDest(), d};
  if (auto a = dyn_cast<AttentionOp>(op)) {
    // [B, Hq, Sq, Dv]: batch shared by query, key, value and the mask;
    // heads and queries by the query and the mask (its dims 1 and 2 of
    // [B, Hq, Sq, Skv]).
    if (d == 3)
      return DimSource{a.getValue(), d};
    SmallVector<DimSource> uses = {{a.getQuery(), d}};
    if (d == 0)
      uses.append({{a.getKey(), 0}, {a.getValue(), 0}});
    if (Value mask = a.getMask())
      uses.append(broadcastUses(mask, d, 4));
    return agreeingSource(uses);
  }
  if (auto range = dyn_cast<RangeOp>(op)) {
    // Range(a, a + k, 1) has k elements (positions past .. past + new).
    // A float Range of integers cast to float counts as the integer one
    // (MPT's ALiBi distances in f32): exact below 2^24 elements.
    auto integral = [](Value scalar) -> Value {
      auto cast = scalar.getDefiningOp<CastOp>();
      return cast && isa<FloatType>(getElementTypeOrSelf(cast.getType())) &&
                     getElementTypeOrSelf(cast.getInput()).isInteger(64)
                 ? cast.getInput()
                 : scalar;
    };
    // The index a scalar holds, or the i64 itself when it was not cast
    // from one (a session's past length, read from its argument).
    auto index = [&](Value scalar) -> Value {
      auto fromElements = integral(scalar).getDefiningOp<tensor::FromElementsOp>();
      if (!fromElements || fromElements.getElements().size() != 1)
        return Value();
      Value element = fromElements.getElements()[0];
      auto cast = element.getDefiningOp<arith::IndexCastOp>();
      return cast ? cast.getIn() : element;
    };
    // Whether `a` is `b`, or the index cast from the i64 `b`.
    auto same = [](Value a, Value b) {
      auto cast = a.getDefiningOp<arith::IndexCastOp>();
      return a == b || (cast && cast.getIn() == b);
    };
    auto isConstant = [&](Value v, int64_t expected) {
      return integralConstant(integral(v)) == expected;
    };
    Value start = index(range.getStart()), limit = index(range.getLimit());
    // In fewer than 64 bits a dim could be cut short; f32 counts integers
    // exactly up to 2^24, f64 up to 2^53.
    Type element = range.getType().getElementType();
    if (!isConstant(range.getDelta(), 1) ||
        !(element.isInteger(64) || element.isF32() || element.isF64()))
      return std::nullopt;
    // Range(0, k, 1) or Range(a, a + k, 1).
    Value k = limit && isConstant(range.getStart(), 0) ? limit : Value();
    if (auto add = limit ? limit.getDefiningOp<arith::AddIOp>() : nullptr;
        !k && add && start && same(add.getLhs(), start))
      k = add.getRhs();
    // Range(b - k, b, 1), b a value or a constant: the k before b (positions
    // arange(T - S, T), or MPT's ALiBi distances arange(1 - T, 1)).
    if (auto sub = start ? start.getDefiningOp<arith::SubIOp>() : nullptr; !k && sub) {
      APInt before;
      if (limit ? sub.getLhs() == limit
                : matchPattern(sub.getLhs(), m_ConstantInt(&before)) &&
                      isConstant(range.getLimit(), before.getSExtValue()))
        k = sub.getRhs();
    }
    auto count = k ? k.getDefiningOp<tensor::DimOp>() : nullptr;
    std::optional<int64_t> countIndex = count ? count.getConstantIndex() : std::nullopt;
    if (!countIndex)
      return std::nullopt;
    return DimSource{count.getSource(), *countIndex};
  }
  if (auto sl = dyn_cast<SliceOp>(op)) {
    // Dims the slice does not cut pass through.
    DenseIntElementsAttr axes;
    if (!matchPattern(sl.getAxes(), m_Constant(&axes)))
      return std::nullopt;
    for (auto [i, axis] : llvm::enumerate(axes.getValues<APInt>())) {
      if ((axis.isNegative() ? axis.getSExtValue() + type.getRank() : axis.getSExtValue()) != d)
        continue;
      // x[..., n - k:] keeps the last k: its dim is k (OPT's positions).
      Value k = keptTailLength(sl, d);
      auto kept = k ? k.getDefiningOp<tensor::DimOp>() : nullptr;
      if (!kept)
        return std::nullopt;
      return DimSource{kept.getSource(), *kept.getConstantIndex()};
    }
    return DimSource{sl.getInput(), d};
  }
  if (auto u = dyn_cast<UnsqueezeOp>(op)) {
    // Result dim d is input dim d - (new axes before d), unless it is new.
    int64_t before = 0;
    for (int64_t axis : u.getAxes()) {
      if (axis == d)
        return std::nullopt;
      before += axis < d;
    }
    return DimSource{u.getInput(), d - before};
  }
  if (auto sq = dyn_cast<SqueezeOp>(op)) {
    // Input dim i is result dim d when i - (removed axes before i) == d.
    int64_t inputRank = sq.getInput().getType().getRank();
    if (sq.getAxes().empty())
      return std::nullopt;
    SmallVector<bool> removed(inputRank, false);
    for (int64_t axis : sq.getAxes())
      removed[axis] = true;
    for (int64_t i = 0, kept = 0; i < inputRank; ++i) {
      if (removed[i])
        continue;
      if (kept++ == d)
        return DimSource{sq.getInput(), i};
    }
    return std::nullopt;
  }
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    // A 0 entry copies the input dim (ONNX), unless allowzero.
    DenseIntElementsAttr shape;
    if (!r.getAllowzero() && d < r.getInput().getType().getRank() &&
        matchPattern(r.getShape(), m_Constant(&shape)) && shape.getValues<APInt>()[d].isZero())
      return DimSource{r.getInput(), d};
    return getShapeEntryDim(r.getShape(), d);
  }
  if (auto c = dyn_cast<ConstantOfShapeOp>(op))
    return getShapeEntryDim(c.getShape(), d);
  if (auto e = dyn_cast<ExpandOp>(op)) {
    // The shape is right-aligned with the result: dims before it are the
    // input's; an entry that is a tensor's dim is that dim (the lowering
    // takes it as is, the input's checked equal) unless it may be a 1 that
    // broadcasts (genc::expandEntryDim); an entry of 1 keeps the input dim.
    int64_t i = d - (type.getRank() - e.getInput().getType().getRank());
    int64_t j = d - (type.getRank() - e.getShape().getType().getDimSize(0));
    if (j < 0)
      return i >= 0 ? std::optional<DimSource>(DimSource{e.getInput(), i}) : std::nullopt;
    if (auto entry = expandEntryDimTraced(e.getInput(), e.getShape(), j,
                                          [this](Value v, int64_t k) { return trace(v, k); }))
      return entry;
    auto entries = getKnownShapeEntries(e.getShape());
    if (i >= 0 && succeeded(entries) && (*entries)[j] == 1)
      return DimSource{e.getInput(), i};
    return std::nullopt;
  }
  return std::nullopt;
}

/// Whether `dim` is cut by a Slice that keeps at most one element of it
/// (x[0:1], x[-1:]), so that it is 0 or 1.
static bool slicedToAtMostOne(DimSource dim) {
  auto sl = dim.value.getDefiningOp<SliceOp>();
  DenseIntElementsAttr axes, starts, ends, steps;
  if (!sl || !matchPattern(sl.getAxes(), m_Constant(&axes)) ||
      !matchPattern(sl.getStarts(), m_Constant(&starts)) ||
      !matchPattern(sl.getEnds(), m_Constant(&ends)) ||
      !matchPattern(sl.getSteps(), m_Constant(&steps)))
    return false;
  int64_t rank = sl.getType().getRank();
  for (auto [i, axis] : llvm::enumerate(axes.getValues<APInt>())) {
    if ((axis.isNegative() ? axis.getSExtValue() + rank : axis.getSExtValue()) != dim.dim)
      continue;
    int64_t start = starts.getValues<APInt>()[i].getSExtValue();
    int64_t end = ends.getValues<APInt>()[i].getSExtValue();
    if (steps.getValues<APInt>()[i].getSExtValue() != 1)
      return false;
    // Clamped to [0, n], a start counted from the end keeps at most
    // -start; otherwise the span is end - start where both count alike.
    if (start < 0 && end >= 0)
      return start >= -1;
    if ((start < 0) != (end < 0))
      return false;
    return end - start <= 1;
  }
  return false;
}

static std::optional<DimSource>
expandEntryDimTraced(Value input, Value shape, int64_t entry,
                     function_ref<DimSource(Value, int64_t)> trace) {
  std::optional<DimSource> source = getShapeEntryDim(shape, entry);
  if (!source)
    return std::nullopt;
  int64_t entries = cast<RankedTensorType>(shape.getType()).getDimSize(0);
  int64_t i = entry - (entries - rankOf(input));
  if (i >= 0 && cast<RankedTensorType>(input.getType()).isDynamicDim(i) &&
      slicedToAtMostOne(trace(source->value, source->dim)))
    return std::nullopt;
  return source;
}

std::optional<DimSource> genc::expandEntryDim(Value input, Value shape, int64_t entry) {
  return expandEntryDimTraced(input, shape, entry, traceDim);
}

Value genc::keptTailLength(SliceOp sl, int64_t d) {
  DenseIntElementsAttr axes, ends, steps;
  if (!matchPattern(sl.getAxes(), m_Constant(&axes)) ||
      !matchPattern(sl.getEnds(), m_Constant(&ends)) ||
      !matchPattern(sl.getSteps(), m_Constant(&steps)))
    return {};
  int64_t rank = sl.getType().getRank();
  for (auto [i, axis] : llvm::enumerate(axes.getValues<APInt>())) {
    if ((axis.isNegative() ? axis.getSExtValue() + rank : axis.getSExtValue()) != d)
      continue;
    if (ends.getValues<APInt>()[i].getSExtValue() < std::numeric_limits<int32_t>::max() ||
        steps.getValues<APInt>()[i].getSExtValue() != 1)
      return {};
    auto fromElements = sl.getStarts().getDefiningOp<tensor::FromElementsOp>();
    auto cast =
        fromElements ? fromElements.getElements()[i].getDefiningOp<arith::IndexCastOp>() : nullptr;
    auto sub = cast ? cast.getIn().getDefiningOp<arith::SubIOp>() : nullptr;
    auto kept = sub ? sub.getRhs().getDefiningOp<tensor::DimOp>() : nullptr;
    if (!kept || !kept.getConstantIndex() || !indexIsDim(sub.getLhs(), sl.getInput(), d))
      return {};
    return kept;
  }
  return {};
}

DimSource genc::traceDim(Value v, int64_t d) { return DimTracer().trace(v, d); }

bool genc::provablyEqualDims(Value a, int64_t da, Value b, int64_t db) {
  int64_t x = cast<RankedTensorType>(a.getType()).getDimSize(da);
  int64_t y = cast<RankedTensorType>(b.getType()).getDimSize(db);
  if (!ShapedType::isDynamic(x) || !ShapedType::isDynamic(y))
    return x == y;
  DimSource sa = traceDim(a, da), sb = traceDim(b, db);
  if (sa == sb)
    return true;
  // Slices whose sizes there are equal index values: a session cache's
  // keys and values, both [0, past + new).
  auto sliceSize = [](DimSource s) -> Value {
    auto slice = s.value.getDefiningOp<tensor::ExtractSliceOp>();
    return slice && slice.getType().getRank() == slice.getSourceType().getRank()
               ? dyn_cast<Value>(slice.getMixedSizes()[s.dim])
               : Value();
  };
  Value sizeA = sliceSize(sa), sizeB = sliceSize(sb);
  if (sizeA && sizeB && provablyEqualIndices(sizeA, sizeB))
    return true;
  // Concatenations of equal dims along them: a KV cache's keys and values.
  auto ca = sa.value.getDefiningOp<ConcatOp>(), cb = sb.value.getDefiningOp<ConcatOp>();
  if (!ca || !cb || ca.getAxis() != sa.dim || cb.getAxis() != sb.dim ||
      ca.getInputs().size() != cb.getInputs().size())
    return false;
  return llvm::all_of(llvm::zip(ca.getInputs(), cb.getInputs()), [&](auto pair) {
    return provablyEqualDims(std::get<0>(pair), sa.dim, std::get<1>(pair), sb.dim);
  });
}

bool genc::provablyEqualIndices(Value a, Value b) {
  if (a == b)
    return true;
  std::optional<int64_t> ca = getConstantIntValue(a), cb = getConstantIntValue(b);
  if (ca || cb)
    return ca && cb && *ca == *cb;
  if (auto da = a.getDefiningOp<tensor::DimOp>()) {
    auto db = b.getDefiningOp<tensor::DimOp>();
    std::optional<int64_t> ia = da.getConstantIndex(), ib = db ? db.getConstantIndex() : std::nullopt;
    return ia && ib && provablyEqualDims(da.getSource(), *ia, db.getSource(), *ib);
  }
  Operation *x = a.getDefiningOp(), *y = b.getDefiningOp();
  if (!x || !y || x->getName() != y->getName() || !isa<arith::AddIOp, arith::SubIOp>(x))
    return false;
  return provablyEqualIndices(x->getOperand(0), y->getOperand(0)) &&
         provablyEqualIndices(x->getOperand(1), y->getOperand(1));
}

bool genc::indexIsDim(Value index, Value v, int64_t d) {
  if (auto dim = index.getDefiningOp<tensor::DimOp>()) {
    std::optional<int64_t> i = dim.getConstantIndex();
    return i && provablyEqualDims(dim.getSource(), *i, v, d);
  }
  DimSource source = traceDim(v, d);
  auto slice = source.value.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || slice.getType().getRank() != slice.getSourceType().getRank())
    return false;
  auto size = dyn_cast<Value>(slice.getMixedSizes()[source.dim]);
  return size && provablyEqualIndices(size, index);
}

Value genc::shapeEntryIndex(Value shape, int64_t position) {
  auto fromElements = shape.getDefiningOp<tensor::FromElementsOp>();
  if (!fromElements || position < 0 ||
      position >= static_cast<int64_t>(fromElements.getElements().size()))
    return {};
  auto cast = fromElements.getElements()[position].getDefiningOp<arith::IndexCastOp>();
  return cast ? cast.getIn() : Value();
}

bool genc::keepsDim(Value result, Value shape, int64_t d, Value x, int64_t xd) {
  if (provablyEqualDims(result, d, x, xd))
    return true;
  auto shapeType = cast<RankedTensorType>(shape.getType());
  int64_t rank = cast<RankedTensorType>(result.getType()).getRank();
  if (shapeType.isDynamicDim(0))
    return false;
  Value index = shapeEntryIndex(shape, d - (rank - shapeType.getDimSize(0)));
  return index && indexIsDim(index, x, xd);
}

Operation *genc::createOnOperands(OpBuilder &b, Operation *op, ValueRange operands) {
  SmallVector<Type> types;
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  if (!infer || failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), operands,
                                              op->getAttrDictionary(), op->getPropertiesStorage(),
                                              op->getRegions(), types)))
    return nullptr;
  OperationState state(op->getLoc(), op->getName(), operands, types, op->getAttrs());
  return b.create(state);
}

bool genc::isOneElementConstant(Value v) {
  DenseElementsAttr attr;
  return matchPattern(v, m_Constant(&attr)) && attr.getNumElements() == 1;
}

std::optional<double> genc::splatValue(Value v) {
  DenseElementsAttr attr;
  if (auto full = v.getDefiningOp<ConstantOfShapeOp>())
    attr = dyn_cast<DenseElementsAttr>(full.getValue());
  else if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
    return std::nullopt;
  if (!attr || !attr.isSplat())
    return std::nullopt;
  if (isa<FloatType>(attr.getElementType()))
    return attr.getSplatValue<APFloat>().convertToDouble();
  if (attr.getElementType().isInteger(1))
    return attr.getSplatValue<bool>() ? 1.0 : 0.0;
  return static_cast<double>(attr.getSplatValue<APInt>().getSExtValue());
}

std::optional<double> mlir::genc::floatConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return (*attr.getValues<APFloat>().begin()).convertToDouble();
}

std::optional<int64_t> mlir::genc::integralConstant(Value v) {
  DenseIntElementsAttr ints;
  if (matchPattern(v, m_Constant(&ints)) && ints.getNumElements() == 1)
    return (*ints.getValues<APInt>().begin()).getSExtValue();
  DenseFPElementsAttr floats;
  if (!matchPattern(v, m_Constant(&floats)) || floats.getNumElements() != 1)
    return std::nullopt;
  double number = (*floats.getValues<APFloat>().begin()).convertToDouble();
  if (number != std::trunc(number) || std::abs(number) > double(int64_t(1) << 53))
    return std::nullopt;
  return static_cast<int64_t>(number);
}

//===----------------------------------------------------------------------===//
// Positions a model embeds
//===----------------------------------------------------------------------===//

std::optional<BlockArgument> mlir::genc::argumentNamed(Operation *fn, StringRef name) {
  auto function = dyn_cast_or_null<func::FuncOp>(fn);
  if (!function || function.isExternal())
    return std::nullopt;
  for (BlockArgument arg : function.getArguments())
    if (auto n = function.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "genc.name");
        n && n.getValue() == name)
      return arg;
  return std::nullopt;
}

/// Whether `value` is the function argument named `name`, maybe cast.
static bool isArgumentNamed(Value value, StringRef name) {
  while (auto cast = value.getDefiningOp<CastOp>())
    value = cast.getInput();
  auto arg = dyn_cast<BlockArgument>(value);
  return arg && argumentNamed(arg.getOwner()->getParentOp(), name) == arg;
}

bool genc::holdsLength(Value index) {
  if (index.getDefiningOp<tensor::DimOp>())
    return true;
  auto cast = index.getDefiningOp<arith::IndexCastOp>();
  auto read = cast ? cast.getIn().getDefiningOp<tensor::ExtractOp>() : nullptr;
  return read && isArgumentNamed(read.getTensor(), "genc.past_length");
}

bool genc::isKnownNonNegative(Value index) {
  // Constants below 2^32 only, so that sums and products of lengths with
  // them stay far from wrapping.
  APInt c;
  if (matchPattern(index, m_ConstantInt(&c)))
    return !c.isNegative() && c.getActiveBits() <= 32;
  if (auto select = index.getDefiningOp<arith::SelectOp>())
    return isKnownNonNegative(select.getTrueValue()) && isKnownNonNegative(select.getFalseValue());
  Operation *op = index.getDefiningOp();
  if (isa_and_nonnull<arith::AddIOp, arith::MulIOp>(op))
    return isKnownNonNegative(op->getOperand(0)) && isKnownNonNegative(op->getOperand(1));
  return holdsLength(index);
}

/// How far the values of `indices` run ahead of the position they are at,
/// when they count positions: `position_ids`, a Range of step 1 (from its
/// start: a constant, or the past length, moved by constants), a CumSum
/// (of the attention mask: counts from 1), moved by constant additions and
/// by ops that keep values (casts, reshapes, slices, a Mul by the attention
/// mask). Anything else (token ids, T5's buckets, the difference of two
/// positions) is not positions. With `start`, `indices` is a Range's start:
/// a constant counts as itself and anything else as the past length (0).
static std::optional<int64_t> positionOffset(Value indices, bool start = false, int depth = 0) {
  const std::optional<int64_t> unknown = start ? std::optional<int64_t>(0) : std::nullopt;
  if (std::optional<int64_t> c = start ? integralConstant(indices) : std::nullopt)
    return c;
  if (depth > 16)
    return unknown;
  if (isa<BlockArgument>(indices))
    return isArgumentNamed(indices, "position_ids") ? std::optional<int64_t>(0) : unknown;
  Operation *op = indices.getDefiningOp();
  if (auto range = dyn_cast<RangeOp>(op)) {
    if (integralConstant(range.getDelta()) != 1)
      return unknown;
    return positionOffset(range.getStart(), /*start=*/true, depth + 1);
  }
  if (auto sum = dyn_cast<CumSumOp>(op))
    return sum.getReverse() ? unknown : std::optional<int64_t>(sum.getExclusive() ? 0 : 1);
  if (isa<CastOp, ReshapeOp, SqueezeOp, UnsqueezeOp, ExpandOp, SliceOp, tensor::CastOp>(op))
    return positionOffset(op->getOperand(0), start, depth + 1);
  if (isa<AddOp, SubOp>(op)) {
    int64_t sign = isa<SubOp>(op) ? -1 : 1;
    if (std::optional<int64_t> c = integralConstant(op->getOperand(1)))
      if (std::optional<int64_t> offset = positionOffset(op->getOperand(0), start, depth + 1))
        return *offset + sign * *c;
    if (std::optional<int64_t> c = integralConstant(op->getOperand(0)); c && sign > 0)
      if (std::optional<int64_t> offset = positionOffset(op->getOperand(1), start, depth + 1))
        return *offset + *c;
    return unknown;
  }
  if (isa<MulOp>(op)) // positions times the 0/1 attention mask (OPT)
    for (auto [i, operand] : llvm::enumerate(op->getOperands()))
      if (isArgumentNamed(op->getOperand(1 - i), "attention_mask"))
        return positionOffset(operand, start, depth + 1);
  return unknown;
}

std::optional<std::pair<int64_t, Operation *>> mlir::genc::positionLimit(Operation *fn) {
  std::optional<std::pair<int64_t, Operation *>> limit;
  auto consider = [&](Operation *op, Value table, Value positions) {
    // A constant's rows cut to a run-time length (GPT-NeoX's rotary
    // tables): the cut only lowers the limit.
    if (auto cut = table.getDefiningOp<SliceOp>(); cut && integralConstant(cut.getAxes()) == 0 &&
                                                   integralConstant(cut.getStarts()) == 0 &&
                                                   integralConstant(cut.getSteps()) == 1)
      table = cut.getInput();
    auto type = cast<RankedTensorType>(table.getType());
    std::optional<int64_t> offset = positionOffset(positions);
    if (!offset || type.isDynamicDim(0) || !matchPattern(table, m_Constant()))
      return;
    int64_t count = std::max<int64_t>(0, type.getDimSize(0) - *offset);
    if (!limit || count < limit->first)
      limit = {count, op};
  };
  fn->walk([&](Operation *op) {
    if (auto gather = dyn_cast<GatherOp>(op); gather && gather.getAxis() == 0)
      consider(op, gather.getInput(), gather.getIndices());
    else if (auto rotary = dyn_cast<RotaryOp>(op); rotary && rotary.getPositionIds())
      consider(op, rotary.getCos(), rotary.getPositionIds());
  });
  return limit;
}

/// Whether `v` holds what the attention mask counts: attention_mask's
/// values, moved by casts, reshapes, expands and slices of that data (their
/// shapes and bounds may be lengths), cumulative sums of it (OPT's
/// positions, BLOOM's key positions), and arithmetic with one-element
/// constants or other such values. A constant alone is not (ones expanded
/// to the sequence and summed count every token).
static bool countsFromMask(Value v, int depth = 0) {
  if (isa<BlockArgument>(v))
    return isArgumentNamed(v, "attention_mask");
  if (depth > 16)
    return false;
  Operation *op = v.getDefiningOp();
  if (auto sum = dyn_cast_or_null<CumSumOp>(op); sum && sum.getReverse())
    return false;
  if (isa_and_nonnull<CastOp, ReshapeOp, SqueezeOp, UnsqueezeOp, ExpandOp, SliceOp, CumSumOp,
                      tensor::CastOp>(op))
    return countsFromMask(op->getOperand(0), depth + 1);
  if (isa_and_nonnull<AddOp, SubOp, MulOp>(op)) {
    bool any = false;
    for (Value x : op->getOperands()) {
      if (isOneElementConstant(x))
        continue;
      if (!countsFromMask(x, depth + 1))
        return false;
      any = true;
    }
    return any;
  }
  return false;
}

/// Whether `v` is input_ids, moved by casts and reshapes (a token
/// embedding's indices).
static bool isTokenIds(Value v) {
  while (
      isa_and_nonnull<CastOp, ReshapeOp, SqueezeOp, UnsqueezeOp, tensor::CastOp>(v.getDefiningOp()))
    v = v.getDefiningOp()->getOperand(0);
  return isArgumentNamed(v, "input_ids");
}

/// Whether `v` depends on any of its function's arguments (through values:
/// a table computed from constants alone does not). Memoized in `seen`.
static bool readsArguments(Value v, DenseMap<Value, bool> &seen) {
  if (isa<BlockArgument>(v))
    return true;
  auto [it, inserted] = seen.try_emplace(v, false);
  if (!inserted)
    return it->second;
  bool reads = false;
  for (Value operand : v.getDefiningOp()->getOperands())
    if ((reads = readsArguments(operand, seen)))
      break;
  return seen[v] = reads;
}

StringRef mlir::genc::attendsByKeyIndex(AttentionOp op) {
  if (op.getBlock() > 0) // its global tokens are its first blocks
    return "bigbird";
  if (op.getSinks() > 0)
    return "sinks";
  if (op.getGlobalTokens() > 0)
    return "global";
  return {};
}

Operation *mlir::genc::leftPaddingBlocker(Operation *fn) {
  DenseMap<Value, bool> seen;
  auto isTable = [&](Value v) { return !readsArguments(v, seen); };
  auto isConstant = [](Value v) { return matchPattern(v, m_Constant()); };
  auto readsMask = [&](Value v) {
    llvm::SmallVector<Value> worklist = {v};
    llvm::DenseSet<Value> visited;
    while (!worklist.empty()) {
      Value x = worklist.pop_back_val();
      if (!visited.insert(x).second)
        continue;
      if (isArgumentNamed(x, "attention_mask"))
        return true;
      if (Operation *def = x.getDefiningOp())
        worklist.append(def->operand_begin(), def->operand_end());
    }
    return false;
  };
  bool attends = false;
  Operation *source = nullptr;
  fn->walk([&](Operation *op) {
    bool counts = false;
    if (auto range = dyn_cast<RangeOp>(op))
      counts = !isConstant(range.getStart()) || !isConstant(range.getLimit());
    else if (auto sum = dyn_cast<CumSumOp>(op))
      counts = !countsFromMask(sum.getResult());
    else if (auto gather = dyn_cast<GatherOp>(op))
      counts = isTable(gather.getInput()) && !isConstant(gather.getIndices()) &&
               !countsFromMask(gather.getIndices()) && !isTokenIds(gather.getIndices());
    else if (auto slice = dyn_cast<SliceOp>(op))
      counts = isTable(slice.getInput()) &&
               (!isConstant(slice.getStarts()) || !isConstant(slice.getEnds()));
    else if (auto rotary = dyn_cast<RotaryOp>(op))
      counts = rotary.getPositionIds() && !countsFromMask(rotary.getPositionIds());
    else if (isa<SoftmaxOp>(op)) // attention left unraised: its masking unseen
      counts = true;
    else if (auto attention = dyn_cast<AttentionOp>(op)) {
      // Padding is hidden only by a mask computed from attention_mask; a
      // diagonal counted from the first key would count it too.
      attends = true;
      counts = !attendsByKeyIndex(attention).empty() || attention.getCausalFromStart() ||
               !attention.getMask() || !readsMask(attention.getMask());
    }
    if (!counts)
      return WalkResult::advance();
    source = op;
    return WalkResult::interrupt();
  });
  return source || attends ? source : fn;
}

//===----------------------------------------------------------------------===//
// Positions
//===----------------------------------------------------------------------===//

/// Offsets beyond this are not positions' (and could wrap an i32).
static constexpr int64_t kMaxPositionOffset = 1 << 16;

std::optional<Positions> genc::matchPositions(Value v, int depth) {
  Operation *def = v.getDefiningOp();
  // Integers of 32 bits or more hold any length.
  auto type = cast<RankedTensorType>(v.getType());
  if (!def || depth > 10 || !type.getElementType().isSignlessInteger() ||
      type.getElementTypeBitWidth() < 32)
    return std::nullopt;
  if (auto range = dyn_cast<RangeOp>(def)) {
    if (integralConstant(range.getDelta()) != 1)
      return std::nullopt;
    std::optional<int64_t> start = integralConstant(range.getStart());
    if (!start) {
      // Range(a, a + n, 1): n positions from the run-time index a (or the
      // i64 that a is cast from: a session's past length).
      auto first = range.getStart().getDefiningOp<tensor::FromElementsOp>();
      Value limit = shapeEntryIndex(range.getLimit());
      auto sum = limit ? limit.getDefiningOp<arith::AddIOp>() : nullptr;
      if (!first || first.getElements().size() != 1 || !sum)
        return std::nullopt;
      Value a = first.getElements()[0];
      auto isBase = [&](Value index) {
        auto cast = index.getDefiningOp<arith::IndexCastOp>();
        auto back = a.getDefiningOp<arith::IndexCastOp>();
        return (cast && cast.getIn() == a) || (back && back.getIn() == index);
      };
      if (isBase(sum.getLhs()))
        return Positions{1, 0, sum.getRhs(), sum.getLhs()};
      if (isBase(sum.getRhs()))
        return Positions{1, 0, sum.getLhs(), sum.getRhs()};
      return std::nullopt;
    }
    if (std::abs(*start) > kMaxPositionOffset)
      return std::nullopt;
    return Positions{1, *start, *start == 0 ? shapeEntryIndex(range.getLimit()) : Value()};
  }
  if (auto castOp = dyn_cast<CastOp>(def))
    return matchPositions(castOp.getInput(), depth + 1);
  if (isa<AddOp, SubOp>(def)) {
    Value x = def->getOperand(0);
    std::optional<int64_t> amount = integralConstant(def->getOperand(1));
    if (!amount && isa<AddOp>(def) && (amount = integralConstant(x)))
      x = def->getOperand(1);
    std::optional<Positions> p = amount ? matchPositions(x, depth + 1) : std::nullopt;
    if (!p)
      return std::nullopt;
    p->offset += isa<AddOp>(def) ? *amount : -*amount;
    if (std::abs(p->offset) > kMaxPositionOffset)
      return std::nullopt;
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
