//===- FoldShapeArithmetic.cpp - evaluate shape computations ---------------===//
//
// Exports compute shapes at run time: Shape → Gather → Unsqueeze → Concat →
// Reshape, Equal/Where guards around Expand, ConstantOfShape of ones. This
// pass evaluates every small integer tensor built that way to a list of
// entries, each a constant or an index value (tensor.dim and arith on it),
// and replaces the tensor by a constant or by tensor.from_elements. A
// Reshape's -1 that stands for one input dim then becomes that dim
// (`view(batch, -1, heads, size)` keeps the sequence), so that the dim
// tracing sees it.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::genc {
#define GEN_PASS_DEF_FOLDSHAPEARITHMETIC
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// The most entries a shape-like tensor has (rank of a shape, or a few
/// indices); larger integer tensors are data, not shapes.
constexpr int64_t kMaxShapeEntries = 16;

/// One entry of a shape-like tensor: a constant, or an index value that
/// holds it at run time.
struct SymbolicInt {
  std::optional<int64_t> constant;
  Value value;           // index-typed, when not constant
  bool nonNegative = false;

  static SymbolicInt of(int64_t c) { return {c, Value(), c >= 0}; }
  bool isConstant() const { return constant.has_value(); }
  bool sameAs(const SymbolicInt &o) const {
    return isConstant() ? o.constant == constant : o.value == value;
  }
};
using Entries = SmallVector<SymbolicInt>;

class ShapeEvaluator {
public:
  explicit ShapeEvaluator(OpBuilder &builder) : builder(builder) {}

  /// The entries of `v`, or nullopt when `v` is not a shape computation
  /// this evaluator understands.
  std::optional<Entries> evaluate(Value v) {
    auto it = known.find(v);
    if (it != known.end())
      return it->second;
    auto type = dyn_cast<RankedTensorType>(v.getType());
    // Shapes and indices are signed; unsigned tensors are data, which the
    // op folders read as unsigned (int64 entries would read ui8 200 as -56).
    if (!type || type.getRank() > 1 || !type.hasStaticShape() ||
        type.getNumElements() > kMaxShapeEntries ||
        !isa<IntegerType>(type.getElementType()) || type.getElementType().isUnsignedInteger())
      return std::nullopt;
    std::optional<Entries> result = compute(v, type);
    if (result)
      known[v] = *result;
    return result;
  }

  /// An i64 value holding `e`, created at the builder's insertion point.
  Value materializeI64(const SymbolicInt &e, Location loc) {
    if (e.isConstant())
      return arith::ConstantIntOp::create(builder, loc, *e.constant, 64);
    return arith::IndexCastOp::create(builder, loc, builder.getI64Type(), e.value);
  }

  /// One tensor.dim per (value, dim), placed where the value is defined so
  /// that it dominates every use and equal dims are equal SSA values.
  Value dimOf(Value source, int64_t d) {
    Value &dim = dims[{source, d}];
    if (dim)
      return dim;
    OpBuilder::InsertionGuard guard(builder);
    if (auto arg = dyn_cast<BlockArgument>(source))
      builder.setInsertionPointToStart(arg.getOwner());
    else
      builder.setInsertionPointAfter(source.getDefiningOp());
    dim = tensor::DimOp::create(builder, source.getLoc(), source, d);
    return dim;
  }

private:
  std::optional<Entries> compute(Value v, RankedTensorType type);
  std::optional<Entries> binary(Operation *op, Location loc);

  Value index(const SymbolicInt &e, Location loc) {
    if (!e.isConstant())
      return e.value;
    return arith::ConstantIndexOp::create(builder, loc, *e.constant);
  }

  OpBuilder &builder;
  DenseMap<Value, Entries> known;
  DenseMap<std::pair<Value, int64_t>, Value> dims;
};

std::optional<Entries> ShapeEvaluator::compute(Value v, RankedTensorType type) {
  DenseIntElementsAttr constant;
  if (matchPattern(v, m_Constant(&constant))) {
    Entries entries;
    for (const APInt &x : constant.getValues<APInt>())
      entries.push_back(SymbolicInt::of(type.getElementType().isInteger(1)
                                            ? static_cast<int64_t>(x.getBoolValue())
                                            : x.getSExtValue()));
    return entries;
  }
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(op);
  Location loc = op->getLoc();

  if (auto fromElements = dyn_cast<tensor::FromElementsOp>(op)) {
    Entries entries;
    for (Value element : fromElements.getElements()) {
      IntegerAttr c;
      if (matchPattern(element, m_Constant(&c))) {
        entries.push_back(SymbolicInt::of(c.getValue().getSExtValue()));
        continue;
      }
      auto cast = element.getDefiningOp<arith::IndexCastOp>();
      Value idx = cast ? cast.getIn()
                       : arith::IndexCastOp::create(builder, loc, builder.getIndexType(),
                                                    element)
                             .getResult();
      entries.push_back({std::nullopt, idx, cast && isKnownNonNegative(idx)});
    }
    return entries;
  }

  if (auto shape = dyn_cast<ShapeOp>(op)) {
    auto inputType = shape.getInput().getType();
    int64_t rank = inputType.getRank();
    int64_t start = shape.getStart() < 0 ? std::max<int64_t>(shape.getStart() + rank, 0)
                                         : std::min<int64_t>(shape.getStart(), rank);
    Entries entries;
    for (int64_t i = start; i < start + type.getDimSize(0); ++i) {
      if (!inputType.isDynamicDim(i)) {
        entries.push_back(SymbolicInt::of(inputType.getDimSize(i)));
        continue;
      }
      DimSource source = traceDim(shape.getInput(), i);
      if (!cast<RankedTensorType>(source.value.getType()).isDynamicDim(source.dim)) {
        entries.push_back(SymbolicInt::of(
            cast<RankedTensorType>(source.value.getType()).getDimSize(source.dim)));
        continue;
      }
      entries.push_back({std::nullopt, dimOf(source.value, source.dim), true});
    }
    return entries;
  }

  if (auto gather = dyn_cast<GatherOp>(op)) {
    auto data = evaluate(gather.getInput());
    DenseIntElementsAttr indices;
    if (!data || gather.getInput().getType().getRank() != 1 ||
        !matchPattern(gather.getIndices(), m_Constant(&indices)))
      return std::nullopt;
    Entries entries;
    int64_t n = data->size();
    for (const APInt &x : indices.getValues<APInt>()) {
      int64_t i = x.getSExtValue();
      if (i < -n || i >= n)
        return std::nullopt;
      entries.push_back((*data)[i < 0 ? i + n : i]);
    }
    return entries;
  }

  // Ops that only change the rank (0-d ↔ 1-d) keep the entries.
  if (isa<UnsqueezeOp, SqueezeOp, ReshapeOp, ExpandOp>(op)) {
    auto input = evaluate(op->getOperand(0));
    if (!input || static_cast<int64_t>(input->size()) != type.getNumElements())
      return std::nullopt;
    return input;
  }

  if (auto cast = dyn_cast<CastOp>(op)) {
    if (!isa<IntegerType>(cast.getInput().getType().getElementType()) ||
        type.getElementType().isInteger(1))
      return std::nullopt;
    return evaluate(cast.getInput());
  }

  if (auto concat = dyn_cast<ConcatOp>(op)) {
    Entries entries;
    for (Value input : concat.getInputs()) {
      auto part = evaluate(input);
      if (!part)
        return std::nullopt;
      llvm::append_range(entries, *part);
    }
    return entries;
  }

  if (auto slice = dyn_cast<SliceOp>(op)) {
    auto data = evaluate(slice.getInput());
    DenseIntElementsAttr starts, ends, steps;
    if (!data || !matchPattern(slice.getStarts(), m_Constant(&starts)) ||
        !matchPattern(slice.getEnds(), m_Constant(&ends)) ||
        !matchPattern(slice.getSteps(), m_Constant(&steps)) || starts.getNumElements() != 1)
      return std::nullopt;
    int64_t n = data->size();
    int64_t start = (*starts.getValues<APInt>().begin()).getSExtValue();
    int64_t step = (*steps.getValues<APInt>().begin()).getSExtValue();
    if (start < 0)
      start += n;
    start = step > 0 ? std::clamp<int64_t>(start, 0, n) : std::clamp<int64_t>(start, 0, n - 1);
    Entries entries;
    for (int64_t i = 0; i < type.getDimSize(0); ++i)
      entries.push_back((*data)[start + i * step]);
    return entries;
  }

  if (auto fill = dyn_cast<ConstantOfShapeOp>(op)) {
    auto value = dyn_cast<DenseIntElementsAttr>(fill.getValue());
    if (!value)
      return std::nullopt;
    int64_t x = (*value.getValues<APInt>().begin()).getSExtValue();
    return Entries(type.getNumElements(), SymbolicInt::of(x));
  }

  if (auto where = dyn_cast<WhereOp>(op)) {
    auto condition = evaluate(where.getCondition());
    auto x = evaluate(where.getX()), y = evaluate(where.getY());
    int64_t n = type.getNumElements();
    if (!condition || !x || !y)
      return std::nullopt;
    auto at = [n](const Entries &e, int64_t i) { return e.size() == 1 ? e[0] : e[i % n]; };
    Entries entries;
    for (int64_t i = 0; i < n; ++i) {
      SymbolicInt c = at(*condition, i);
      if (!c.isConstant())
        return std::nullopt;
      entries.push_back(*c.constant ? at(*x, i) : at(*y, i));
    }
    return entries;
  }

  if (isa<AddOp, SubOp, MulOp, DivOp, EqualOp, LessOp, GreaterOp>(op))
    return binary(op, loc);
  return std::nullopt;
}

std::optional<Entries> ShapeEvaluator::binary(Operation *op, Location loc) {
  auto lhs = evaluate(op->getOperand(0)), rhs = evaluate(op->getOperand(1));
  if (!lhs || !rhs)
    return std::nullopt;
  size_t n = std::max(lhs->size(), rhs->size());
  if ((lhs->size() != n && lhs->size() != 1) || (rhs->size() != n && rhs->size() != 1))
    return std::nullopt;
  Entries entries;
  for (size_t i = 0; i < n; ++i) {
    SymbolicInt a = (*lhs)[lhs->size() == 1 ? 0 : i];
    SymbolicInt b = (*rhs)[rhs->size() == 1 ? 0 : i];
    bool bothConstant = a.isConstant() && b.isConstant();
    if (isa<EqualOp, LessOp, GreaterOp>(op)) {
      std::optional<bool> r;
      if (bothConstant)
        r = isa<EqualOp>(op)  ? *a.constant == *b.constant
            : isa<LessOp>(op) ? *a.constant < *b.constant
                              : *a.constant > *b.constant;
      else if (isa<EqualOp>(op) && a.sameAs(b))
        r = true;
      // A dim is never negative: it differs from (and exceeds) any negative.
      else if (a.nonNegative && b.isConstant() && *b.constant < 0)
        r = isa<GreaterOp>(op);
      else if (b.nonNegative && a.isConstant() && *a.constant < 0)
        r = isa<LessOp>(op);
      if (!r)
        return std::nullopt;
      entries.push_back(SymbolicInt::of(*r));
      continue;
    }
    if (bothConstant) {
      int64_t x = *a.constant, y = *b.constant;
      if (isa<DivOp>(op) && y == 0)
        return std::nullopt;
      int64_t r = isa<AddOp>(op)   ? x + y
                  : isa<SubOp>(op) ? x - y
                  : isa<MulOp>(op) ? x * y
                                   : x / y;
      entries.push_back(SymbolicInt::of(r));
      continue;
    }
    // x * 1, x + 0, x / 1 need no arithmetic.
    if ((isa<MulOp, DivOp>(op) && b.constant == 1) ||
        (isa<AddOp, SubOp>(op) && b.constant == 0)) {
      entries.push_back(a);
      continue;
    }
    if ((isa<MulOp>(op) && a.constant == 1) || (isa<AddOp>(op) && a.constant == 0)) {
      entries.push_back(b);
      continue;
    }
    // (x + y) - y is x (transformers' past length, (S + P) - S), a length
    // when x is one.
    if (auto sum = a.value ? a.value.getDefiningOp<arith::AddIOp>() : nullptr;
        sum && isa<SubOp>(op) && !b.isConstant() &&
        llvm::is_contained(sum->getOperands(), b.value)) {
      Value x = sum.getLhs() == b.value ? sum.getRhs() : sum.getLhs();
      entries.push_back({std::nullopt, x, isKnownNonNegative(x)});
      continue;
    }
    Value x = index(a, loc), y = index(b, loc);
    Value r = isa<AddOp>(op)   ? arith::AddIOp::create(builder, loc, x, y).getResult()
              : isa<SubOp>(op) ? arith::SubIOp::create(builder, loc, x, y).getResult()
              : isa<MulOp>(op) ? arith::MulIOp::create(builder, loc, x, y).getResult()
                               : arith::DivSIOp::create(builder, loc, x, y).getResult();
    bool nonNegative = a.nonNegative && b.nonNegative && !isa<SubOp>(op);
    entries.push_back({std::nullopt, r, nonNegative});
  }
  return entries;
}

/// True for the ops whose integer results this pass replaces.
bool isShapeArithmetic(Operation *op) {
  return isa<ShapeOp, GatherOp, UnsqueezeOp, SqueezeOp, ReshapeOp, ExpandOp, CastOp,
             ConcatOp, SliceOp, ConstantOfShapeOp, WhereOp, AddOp, SubOp, MulOp, DivOp,
             EqualOp, LessOp, GreaterOp>(op);
}

struct FoldShapeArithmeticPass
    : genc::impl::FoldShapeArithmeticBase<FoldShapeArithmeticPass> {
  void runOnOperation() override {
    OpBuilder builder(&getContext());
    ShapeEvaluator evaluator(builder);
    // Evaluate every shape computation first; materialise only the ones
    // that something else (a Reshape, an Expand, a return) consumes.
    SetVector<Operation *> evaluated;
    getOperation().walk([&](Operation *op) {
      if (isShapeArithmetic(op) && op->getNumResults() == 1 &&
          evaluator.evaluate(op->getResult(0)))
        evaluated.insert(op);
    });
    for (Operation *op : evaluated) {
      bool consumedOutside = llvm::any_of(op->getUsers(), [&](Operation *user) {
        return !evaluated.contains(user);
      });
      if (!consumedOutside)
        continue;
      builder.setInsertionPoint(op);
      Value replacement = materialize(evaluator, builder, op);
      if (replacement)
        op->getResult(0).replaceAllUsesWith(replacement);
    }
    // Users come after producers: erase backwards.
    for (Operation *op : llvm::reverse(evaluated))
      if (op->use_empty())
        op->erase();
    getOperation().walk(
        [&](ReshapeOp reshape) { resolveInferredEntry(reshape, evaluator, builder); });
  }

  /// Replaces Reshape's -1 entry by the one dynamic input dim that the
  /// other entries leave unaccounted for (each a copy (0) or a tensor.dim
  /// tracing to an input dim, the static sizes multiplying alike): the
  /// element count then fixes -1 to that dim. (Where the other entries
  /// multiply to 0, ONNX leaves -1 open; genc takes the dim.) Where no
  /// other entry is a tensor's dim, every entry is then the dim it stands
  /// for and the Reshape takes them literally (allowzero): a token-less
  /// expert's `x.reshape(-1, d)` stays [0, d].
  static void resolveInferredEntry(ReshapeOp reshape, ShapeEvaluator &evaluator,
                                   OpBuilder &builder) {
    FailureOr<SmallVector<int64_t>> entries = getKnownShapeEntries(reshape.getShape());
    if (failed(entries))
      return;
    const int64_t inferred = llvm::find(*entries, -1) - entries->begin();
    if (inferred == static_cast<int64_t>(entries->size()))
      return;
    Value input = reshape.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    const bool copies = !reshape.getAllowzero(); // an entry of 0 copies the input's dim
    int64_t inputStatic = 1, otherStatic = 1;
    bool overflow = false;
    auto multiply = [&](int64_t &product, int64_t factor) {
      overflow |= llvm::MulOverflow(product, factor, product);
    };
    SmallVector<std::pair<DimSource, int64_t>> unaccounted; // traced, input dim
    for (int64_t k = 0; k < inputType.getRank(); ++k) {
      if (inputType.isDynamicDim(k))
        unaccounted.push_back({traceDim(input, k), k});
      else
        multiply(inputStatic, inputType.getDimSize(k));
    }
    auto account = [&](DimSource dim) {
      auto it = llvm::find_if(unaccounted, [&](const auto &u) { return u.first == dim; });
      if (it == unaccounted.end())
        return false;
      unaccounted.erase(it);
      return true;
    };
    bool literal = true;
    for (auto [i, entry] : llvm::enumerate(*entries)) {
      if (static_cast<int64_t>(i) == inferred)
        continue;
      if (entry == 0 && copies) {
        if (static_cast<int64_t>(i) >= inputType.getRank())
          return;
        if (!inputType.isDynamicDim(i))
          multiply(otherStatic, inputType.getDimSize(i));
        else if (!account(traceDim(input, i)))
          return;
        continue;
      }
      if (entry > 0) {
        multiply(otherStatic, entry);
        continue;
      }
      std::optional<DimSource> dim = getShapeEntryDim(reshape.getShape(), i);
      if (entry != ShapedType::kDynamic || !dim || !account(traceDim(dim->value, dim->dim)))
        return;
      literal = false;
    }
    if (overflow || unaccounted.size() != 1 || inputStatic != otherStatic)
      return;
    // The new shape: -1 and the dynamic dims that 0 copies as the input's
    // dims (which the dim tracing then reads), the static ones that 0
    // copies as their sizes, the rest as they were.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(reshape);
    Location loc = reshape.getLoc();
    auto fromElements = reshape.getShape().getDefiningOp<tensor::FromElementsOp>();
    auto inputDim = [&](int64_t k) {
      return evaluator.materializeI64({std::nullopt, evaluator.dimOf(input, k), true}, loc);
    };
    SmallVector<Value> elements;
    for (auto [i, entry] : llvm::enumerate(*entries)) {
      int64_t at = i;
      if (at == inferred)
        elements.push_back(inputDim(unaccounted.front().second));
      else if (entry == 0 && copies && inputType.isDynamicDim(at))
        elements.push_back(inputDim(at));
      else if (entry == 0 && copies)
        elements.push_back(
            arith::ConstantIntOp::create(builder, loc, inputType.getDimSize(at), 64).getResult());
      else if (fromElements)
        elements.push_back(fromElements.getElements()[at]);
      else
        elements.push_back(arith::ConstantIntOp::create(builder, loc, entry, 64).getResult());
    }
    Value old = reshape.getShape();
    reshape.getShapeMutable().assign(
        tensor::FromElementsOp::create(builder, loc, old.getType(), elements));
    if (literal)
      reshape.setAllowzero(true);
    if (Operation *def = old.getDefiningOp(); def && old.use_empty())
      def->erase();
  }

  /// A constant when every entry is static, else tensor.from_elements.
  static Value materialize(ShapeEvaluator &evaluator, OpBuilder &builder, Operation *op) {
    Value result = op->getResult(0);
    auto entries = *evaluator.evaluate(result);
    auto type = cast<RankedTensorType>(result.getType());
    if (llvm::all_of(entries, [](const SymbolicInt &e) { return e.isConstant(); })) {
      SmallVector<APInt> values;
      unsigned width = type.getElementType().getIntOrFloatBitWidth();
      for (const SymbolicInt &e : entries)
        values.push_back(APInt(width, *e.constant, /*isSigned=*/true));
      return arith::ConstantOp::create(builder, op->getLoc(), type,
                                       DenseIntElementsAttr::get(type, values));
    }
    if (!type.getElementType().isInteger(64))
      return {};
    SmallVector<Value> elements;
    for (const SymbolicInt &e : entries)
      elements.push_back(evaluator.materializeI64(e, op->getLoc()));
    return tensor::FromElementsOp::create(builder, op->getLoc(), type, elements);
  }
};

} // namespace
