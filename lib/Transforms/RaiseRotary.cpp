//===- RaiseRotary.cpp - exporters' rotate-half rotary as genc.rotary ------===//
//
// Hugging Face's rotary embedding (LLaMA, Mistral, Qwen, Gemma, Phi-3) is
// x · cos + rotate_half(x) · sin, rotate_half(x) = [−x₂, x₁] for the halves
// x₁, x₂ of the last dim, with cos and sin [B, 1, S, D] whose two halves
// are equal: rows of a constant table gathered by position ids, or the
// cosine of [f, f] computed in the graph. GPT-J's interleaved form
// rotates pairs of adjacent channels: x · cos + rotate_every_two(x) · sin,
// rotate_every_two(x) = [−x₁, x₀, −x₃, x₂, ...], with each angle repeated
// for its pair. Partial rotary (Phi, NeoX, GPT-J) rotates the first `rd`
// channels and concatenates the rest after; queries and keys may be
// [B, H, S, D] or, rotated before their transpose, [B, S, H, D]. Each such
// chain becomes one genc.rotary, whose lowering reads the half-width table
// once per pair of channels.
//
//===----------------------------------------------------------------------===//

#include "ChainMatching.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ElementValues.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <limits>

namespace mlir::genc {
#define GEN_PASS_DEF_RAISEROTARY
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// A slice's end at or past its input's end (lastAxisSlice).
constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

/// The one element of a one-element integer constant.
std::optional<int64_t> scalarOf(Value v) { return v ? integralConstant(v) : std::nullopt; }

/// Whether `v` is a Slice of dims [from, to) of the last axis of its
/// input in steps of `step` (`to` at or past the input's end: to its
/// end): its input.
Value lastAxisSlice(Value v, int64_t from, int64_t to, int64_t step = 1) {
  auto slice = v.getDefiningOp<SliceOp>();
  if (!slice)
    return {};
  int64_t last = rankOf(slice.getInput()) - 1;
  int64_t size = cast<RankedTensorType>(slice.getInput().getType()).getDimSize(last);
  std::optional<int64_t> axis = scalarOf(slice.getAxes()), steps = scalarOf(slice.getSteps()),
                         start = scalarOf(slice.getStarts()), end = scalarOf(slice.getEnds());
  if (ShapedType::isDynamic(size) || !axis || !steps || !start || !end ||
      (*axis != last && *axis != -1) || *steps != step || *start != from ||
      (*end != to && !(to >= size && *end >= size)))
    return {};
  return slice.getInput();
}

/// rotate_half(x) = Concat(−x[..., h:2h], x[..., 0:h]) along the last axis,
/// x's last dim 2h: the x.
Value rotatedHalf(ConcatOp concat) {
  if (concat.getNumOperands() != 2 || concat.getAxis() != rankOf(concat.getResult()) - 1)
    return {};
  auto neg = concat.getOperand(0).getDefiningOp<NegOp>();
  int64_t width = cast<RankedTensorType>(concat.getType()).getShape().back();
  if (!neg || ShapedType::isDynamic(width) || width % 2 != 0)
    return {};
  Value x = lastAxisSlice(neg.getInput(), width / 2, width);
  if (!x || lastAxisSlice(concat.getOperand(1), 0, width / 2) != x ||
      x.getType() != concat.getType())
    return {};
  return x;
}

/// Whether dims [0, count) of `a` and `b` are provably equal.
bool leadingDimsAgree(Value a, Value b, int64_t count) {
  return llvm::all_of(llvm::seq<int64_t>(0, count),
                      [&](int64_t d) { return provablyEqualDims(a, d, b, d); });
}

/// Whether `v` has one row (dim 0 of 1), which broadcasts over a batch.
bool oneRow(Value v) { return cast<RankedTensorType>(v.getType()).getDimSize(0) == 1; }

/// rotate_every_two(x) = Reshape(Concat(Unsqueeze(−x[..., 1::2]),
/// Unsqueeze(x[..., 0::2])) along a new last axis) back to x's shape
/// (GPT-J's): the x.
Value rotatedPairs(ReshapeOp reshape) {
  auto pairs = reshape.getInput().getDefiningOp<ConcatOp>();
  int64_t rank = rankOf(reshape.getResult());
  if (!pairs || pairs.getNumOperands() != 2 || rankOf(pairs.getResult()) != rank + 1 ||
      pairs.getAxis() != rank)
    return {};
  auto odd = pairs.getOperand(0).getDefiningOp<UnsqueezeOp>();
  auto even = pairs.getOperand(1).getDefiningOp<UnsqueezeOp>();
  auto isLastAxis = [&](UnsqueezeOp u) {
    return u && u.getAxes().size() == 1 && u.getAxes()[0] == rank;
  };
  auto negated = isLastAxis(odd) ? odd.getInput().getDefiningOp<NegOp>() : NegOp();
  Value x = negated ? lastAxisSlice(negated.getInput(), 1, kToEnd, 2) : Value();
  if (!x || !isLastAxis(even) || lastAxisSlice(even.getInput(), 0, kToEnd, 2) != x ||
      x.getType() != reshape.getType() || !leadingDimsAgree(reshape.getResult(), x, rank))
    return {};
  return x;
}

/// Whether `expand` broadcasts its last dim to 2 and keeps the others: a
/// constant shape [1, ..., 1, 2].
bool doublesLastDim(ExpandOp expand) {
  DenseIntElementsAttr shape;
  if (!expand || !matchPattern(expand.getShape(), m_Constant(&shape)) ||
      shape.getNumElements() != rankOf(expand.getResult()))
    return false;
  SmallVector<int64_t> entries(
      llvm::map_range(shape.getValues<APInt>(), [](const APInt &i) { return i.getSExtValue(); }));
  return entries.back() == 2 &&
         llvm::all_of(ArrayRef(entries).drop_back(), [](int64_t e) { return e == 1; });
}

/// `v` [..., 2h] repeats each element of some u [..., h] twice in a row
/// (torch's repeat_interleave(u, 2, -1)): the u. Exported as
/// Reshape(Expand(Unsqueeze(u, -1), [..., h, 2])), or, with h known, per
/// element: u split into h pieces, each so expanded, concatenated.
Value repeatedPairs(Value v) {
  int64_t rank = rankOf(v);
  // Reshape(Expand(Unsqueeze(piece, -1) to [..., 2])): the piece.
  auto doubled = [&](Value w) -> Value {
    auto reshape = w.getDefiningOp<ReshapeOp>();
    auto expand = reshape ? reshape.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
    auto unsqueeze =
        doublesLastDim(expand) ? expand.getInput().getDefiningOp<UnsqueezeOp>() : UnsqueezeOp();
    if (!unsqueeze || unsqueeze.getAxes().size() != 1 || unsqueeze.getAxes()[0] != rank ||
        rankOf(reshape.getResult()) != rank || rankOf(unsqueeze.getInput()) != rank)
      return {};
    Value piece = unsqueeze.getInput();
    auto pieceType = cast<RankedTensorType>(piece.getType());
    auto type = cast<RankedTensorType>(w.getType());
    if (ShapedType::isDynamic(pieceType.getShape().back()) ||
        type.getShape().back() != 2 * pieceType.getShape().back() ||
        !leadingDimsAgree(w, piece, rank - 1))
      return {};
    return piece;
  };
  if (Value u = doubled(v))
    return u;
  auto concat = v.getDefiningOp<ConcatOp>();
  if (!concat || concat.getAxis() != rank - 1)
    return {};
  SplitOp split;
  for (auto [i, operand] : llvm::enumerate(concat.getOperands())) {
    Value piece = doubled(operand);
    auto result = dyn_cast_or_null<OpResult>(piece);
    auto from = result ? dyn_cast<SplitOp>(result.getOwner()) : SplitOp();
    if (!from || result.getResultNumber() != i || (split && from != split) ||
        cast<RankedTensorType>(piece.getType()).getShape().back() != 1)
      return {};
    split = from;
  }
  if (!split || split.getAxis() != rank - 1 || split.getNumResults() != concat.getNumOperands())
    return {};
  return split.getInput();
}

/// The two halves of the last dim of f32 constant `table` [1, ..., rows,
/// 2h] are equal, bit for bit: the first half [rows, h], as a new constant.
Value firstHalfOfEqualHalves(OpBuilder &b, Value table) {
  ElementsAttr values;
  auto type = cast<RankedTensorType>(table.getType());
  if (!matchPattern(table, m_Constant(&values)) || type.getRank() < 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32() || type.getShape().back() % 2 != 0 ||
      llvm::any_of(type.getShape().drop_back(2), [](int64_t d) { return d != 1; }))
    return {};
  std::optional<std::vector<float>> all = elementValues<float>(values);
  if (!all)
    return {};
  int64_t rows = type.getShape().end()[-2], width = type.getShape().back(), half = width / 2;
  std::vector<float> first;
  first.reserve(rows * half);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < half; ++c) {
      float a = (*all)[r * width + c], z = (*all)[r * width + half + c];
      if (llvm::bit_cast<uint32_t>(a) != llvm::bit_cast<uint32_t>(z))
        return {};
      first.push_back(a);
    }
  auto halfType = RankedTensorType::get({rows, half}, type.getElementType());
  return arith::ConstantOp::create(b, table.getLoc(),
                                   DenseElementsAttr::get(halfType, llvm::ArrayRef(first)));
}

/// A table gathered by position as exporters write it: a constant [1, ...,
/// rows, w] whose leading dims are indexed away (Gathers at 0), its rows
/// perhaps cut to a run-time length first (GPT-NeoX's
/// `cos_cached[:, :, :seq_len][0, 0]`): the constant, and the cut (null
/// when uncut).
struct PositionTable {
  Value constant;
  SliceOp rowsCut;
};

std::optional<PositionTable> positionTableOf(Value table) {
  SliceOp cut;
  while (!matchPattern(table, m_Constant())) {
    if (auto gather = table.getDefiningOp<GatherOp>();
        gather && gather.getAxis() == 0 && rankOf(gather.getIndices()) == 0 &&
        integralConstant(gather.getIndices()) == 0 &&
        cast<RankedTensorType>(gather.getInput().getType()).getDimSize(0) == 1) {
      table = gather.getInput();
      continue;
    }
    auto slice = table.getDefiningOp<SliceOp>();
    std::optional<int64_t> axis = slice ? scalarOf(slice.getAxes()) : std::nullopt;
    int64_t rowsAxis = slice ? rankOf(slice.getInput()) - 2 : 0;
    // One cut of the rows from row 0, in steps of 1 (steps left out are
    // not: scalarOf of no value is none).
    if (cut || !axis || (*axis != rowsAxis && *axis != -2) || scalarOf(slice.getStarts()) != 0 ||
        scalarOf(slice.getSteps()) != 1 || rankOf(slice.getEnds()) != 1)
      return std::nullopt;
    cut = slice;
    table = slice.getInput();
  }
  return PositionTable{table, cut};
}

/// cos or sin [B, 1, S, 2h] as the rotary reads it: rows of a constant
/// table with equal halves (perhaps cut to a run-time length) gathered by
/// position ids [B, S], or the function of [f, f] with f [B, S, h].
struct Angles {
  Value table;     // [rows, h] (by position; rows perhaps cut) or [B, S, h]
  Value positions; // or null
  Location reader; // what reads the angles: a table's Gather, or their own
  int64_t heads;   // the dim they broadcast over: 1 ([B, H, S, D]) or 2
  /// Ops made for this rotation alone, in order (a table's cut, Cos(f)):
  /// erased if it is not raised.
  SmallVector<Operation *, 2> made = {};
};

/// The angles [B, S, h] unsqueezed at the heads' dim (1 or 2) that `v`
/// [B, 1, S, D] or [B, S, 1, D] repeats for the pairs: every other channel
/// (`interleaved`) or both halves. Interleaved angles are read as they are
/// (GPT-J's are a few columns gathered per position); halves by position
/// or computed as follows. `halves` keeps the half table made for each
/// table (queries and keys of a layer read the same), so that each is
/// compared and copied once.
template <typename Trig>
std::optional<Angles> anglesOf(OpBuilder &b, Value v, bool interleaved,
                               DenseMap<Value, Value> &halves) {
  Value perHead = interleaved ? repeatedPairs(v) : v;
  auto unsqueeze = perHead ? perHead.getDefiningOp<UnsqueezeOp>() : UnsqueezeOp();
  if (!unsqueeze || unsqueeze.getAxes().size() != 1 || rankOf(v) != 4 ||
      (unsqueeze.getAxes()[0] != 1 && unsqueeze.getAxes()[0] != 2))
    return std::nullopt;
  int64_t heads = unsqueeze.getAxes()[0];
  Value rows = unsqueeze.getInput();
  if (interleaved)
    return rankOf(rows) == 3 ? std::optional<Angles>(Angles{rows, {}, rows.getLoc(), heads})
                             : std::nullopt;
  if (auto gather = rows.getDefiningOp<GatherOp>(); gather && gather.getAxis() == 0) {
    std::optional<PositionTable> table = positionTableOf(gather.getInput());
    if (rankOf(gather.getIndices()) != 2 || !table)
      return std::nullopt;
    auto [it, inserted] = halves.try_emplace(table->constant);
    if (inserted) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(table->constant);
      it->second = firstHalfOfEqualHalves(b, table->constant);
    }
    if (!it->second)
      return std::nullopt;
    if (!table->rowsCut)
      return Angles{it->second, gather.getIndices(), gather.getLoc(), heads};
    // The same cut of the half table: a position past it still fails, and
    // a negative one still counts from the cut's end, as the Gather did.
    SliceOp cut = table->rowsCut;
    auto cutType = cast<RankedTensorType>(cut.getType());
    auto halfType = cast<RankedTensorType>(it->second.getType());
    Type type = RankedTensorType::get({cutType.getShape().end()[-2], halfType.getDimSize(1)},
                                      halfType.getElementType());
    auto rowsAxis =
        arith::ConstantOp::create(b, cut.getLoc(),
                                  DenseElementsAttr::get(RankedTensorType::get({1}, b.getI64Type()),
                                                         llvm::ArrayRef<int64_t>{0}));
    auto halfCut = SliceOp::create(b, cut.getLoc(), type, it->second, cut.getStarts(),
                                   cut.getEnds(), rowsAxis, cut.getSteps());
    return Angles{halfCut, gather.getIndices(), gather.getLoc(), heads, {rowsAxis, halfCut}};
  }
  auto trig = rows.getDefiningOp<Trig>();
  auto both = trig ? trig.getInput().template getDefiningOp<ConcatOp>() : ConcatOp();
  if (!both || both.getNumOperands() != 2 || both.getOperand(0) != both.getOperand(1) ||
      both.getAxis() != 2)
    return std::nullopt;
  auto angles = Trig::create(b, trig.getLoc(), both.getOperand(0));
  return Angles{angles.getResult(), {}, trig.getLoc(), heads, {angles}};
}

/// x · cos + rotate(x) · sin, from the rotate_half or rotate_every_two
/// (`interleaved`): the op computing it, x, and the cos and sin values.
struct Rotation {
  Operation *root;
  Value x, cos, sin;
  bool interleaved;
};

std::optional<Rotation> matchRotation(Value rotated, Value x, bool interleaved) {
  auto bySin = x ? soleUser<MulOp>(rotated) : MulOp();
  auto sum = bySin ? soleUser<AddOp>(bySin.getResult()) : AddOp();
  Value byCos = sum ? otherOperand(sum, bySin.getResult()) : Value();
  auto cosProduct = byCos ? byCos.getDefiningOp<MulOp>() : MulOp();
  Value cos = cosProduct ? otherOperand(cosProduct, x) : Value();
  if (!cos || !byCos.hasOneUse() || sum.getType() != x.getType() || rankOf(x) != 4)
    return std::nullopt;
  return Rotation{sum, x, cos, otherOperand(bySin, rotated), interleaved};
}

struct RaiseRotaryPass : genc::impl::RaiseRotaryBase<RaiseRotaryPass> {
  void runOnOperation() override {
    SmallVector<Rotation> rotations;
    getOperation().walk([&](Operation *op) {
      std::optional<Rotation> rotation;
      if (auto concat = dyn_cast<ConcatOp>(op))
        rotation = matchRotation(concat, rotatedHalf(concat), /*interleaved=*/false);
      else if (auto reshape = dyn_cast<ReshapeOp>(op))
        rotation = matchRotation(reshape, rotatedPairs(reshape), /*interleaved=*/true);
      if (rotation)
        rotations.push_back(*rotation);
    });
    DenseMap<Value, Value> halves;
    for (const Rotation &rotation : rotations)
      raise(rotation, halves);
    for (auto [table, half] : halves) // tables no rotation took
      if (half && half.use_empty())
        half.getDefiningOp()->erase();
  }

  /// genc.rotary in place of the rotation's sum, or of the Concat that
  /// appends the channels it leaves (partial rotary).
  void raise(const Rotation &rotation, DenseMap<Value, Value> &halves) {
    OpBuilder b(rotation.root);
    std::optional<Angles> cos = anglesOf<CosOp>(b, rotation.cos, rotation.interleaved, halves);
    std::optional<Angles> sin = anglesOf<SinOp>(b, rotation.sin, rotation.interleaved, halves);
    if (!cos || !sin || !cos->positions != !sin->positions ||
        (cos->positions && cos->positions != sin->positions) || cos->heads != sin->heads)
      return cleanUp({cos, sin});
    Value input = rotation.x;
    Operation *root = rotation.root;
    int64_t width = cast<RankedTensorType>(rotation.x.getType()).getShape().back(), rotaryDim = 0;
    // Partial: x = full[..., :rd], the result Concat(rotated, full[..., rd:]).
    if (Value full = lastAxisSlice(rotation.x, 0, width)) {
      auto joined = soleUser<ConcatOp>(rotation.root->getResult(0));
      int64_t fullWidth = cast<RankedTensorType>(full.getType()).getShape().back();
      if (joined && joined.getNumOperands() == 2 &&
          joined.getOperand(0) == rotation.root->getResult(0) &&
          joined.getAxis() == rankOf(full) - 1 &&
          lastAxisSlice(joined.getOperand(1), width, fullWidth) == full &&
          joined.getType() == full.getType()) {
        input = full;
        root = joined;
        rotaryDim = width;
      }
    }
    // The products broadcast cos and sin over the heads, and over the batch
    // where they have one row (positions [1, S], as exports that take no
    // position_ids make them): the rotary reads them at x's batch and
    // position, so the positions must agree and the batch agree or be 1.
    const int64_t positionDim = cos->heads == 1 ? 2 : 1;
    auto readAtInput = [&](Value angles) {
      return (provablyEqualDims(input, 0, angles, 0) || oneRow(angles)) &&
             provablyEqualDims(input, positionDim, angles, 1);
    };
    if (cos->positions ? !readAtInput(cos->positions)
                       : !readAtInput(cos->table) || !readAtInput(sin->table))
      return cleanUp({cos, sin});
    b.setInsertionPoint(root);
    // One row of angles repeated for each of x's: the op reads one per row.
    Value rows; // x's batch as i64, made once
    auto perRow = [&](Value angles) -> Value {
      if (!angles || provablyEqualDims(input, 0, angles, 0))
        return angles;
      Location loc = angles.getLoc();
      if (!rows)
        rows = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                          tensor::DimOp::create(b, loc, input, 0));
      auto type = cast<RankedTensorType>(angles.getType());
      SmallVector<Value> shape = {rows};
      shape.append(type.getRank() - 1, arith::ConstantIntOp::create(b, loc, 1, 64));
      auto result = llvm::to_vector(type.getShape());
      result[0] = cast<RankedTensorType>(input.getType()).getDimSize(0);
      return ExpandOp::create(b, loc, type.clone(result), angles,
                              tensor::FromElementsOp::create(b, loc, shape));
    };
    if (cos->positions)
      cos->positions = perRow(cos->positions);
    else
      cos->table = perRow(cos->table), sin->table = perRow(sin->table);
    // The op takes [B, H, S, D]: x rotated before its heads' transpose is
    // transposed there and back (the model's own transpose then cancels).
    auto swapHeads = [&](Value v) -> Value {
      if (cos->heads == 1)
        return v;
      auto type = cast<RankedTensorType>(v.getType());
      auto swapped = RankedTensorType::get(
          {type.getDimSize(0), type.getDimSize(2), type.getDimSize(1), type.getDimSize(3)},
          type.getElementType());
      return TransposeOp::create(b, v.getLoc(), swapped, v, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    };
    SmallVector<Value> operands = {swapHeads(input), cos->table, sin->table};
    if (cos->positions)
      operands.push_back(cos->positions);
    // Named after the node that gathers the cos table: the one a position
    // past it failed before, and the one that says how many positions the
    // model embeds.
    Location loc = cos->positions ? cos->reader : root->getLoc();
    auto rotary =
        RotaryOp::create(b, loc, operands[0].getType(), operands,
                         {b.getNamedAttr("rotary_dim", b.getI64IntegerAttr(rotaryDim)),
                          b.getNamedAttr("interleaved", b.getBoolAttr(rotation.interleaved))});
    root->getResult(0).replaceAllUsesWith(swapHeads(rotary.getResult()));
  }

  /// Erases what was made for a rotation that was not raised, last made
  /// first (half tables, which others may share, are left to the end).
  static void cleanUp(ArrayRef<std::optional<Angles>> angles) {
    for (const std::optional<Angles> &a : angles)
      for (Operation *op : llvm::reverse(a ? a->made : SmallVector<Operation *, 2>()))
        if (op->use_empty())
          op->erase();
  }
};

} // namespace
