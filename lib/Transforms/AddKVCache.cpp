//===- AddKVCache.cpp - a KV cache for a decoder exported without one ------===//
//
// A decoder exported without a cache computes the keys and values of every
// position at every step. For causal self-attention layer i this pass adds
//   past_key_values.i.key / .value   [B, Hkv, P, D] arguments,
//   present.i.key / .value           = Concat(past, new) results,
// and attention reads the concatenation: the graph a with-cache export
// has, so genc-kv-cache-in-place keeps it in a session's buffers. Positions
// the graph counts itself (Range(0, S) over input_ids' length) start at P.
//
// An encoder-decoder's decoder (its source inputs marked genc.source) gets
// a cache for its self-attention; its cross-attention reads the source,
// the same at every step, and keeps doing so.
//
// An export that returns its keys and values without taking a past
// (Optimum's decoder_model.onnx) loses those results for the pass's own. A
// mask with a row per query computed from the sequence's length alone
// (T5's relative-position bias) is built again over past and new
// positions, for the new rows.
//
// Exact when every op but attention works on each position alone. The
// pass refuses what it can see is not: attention that is not causal or
// whose mask is neither one row over attention_mask's keys nor such a
// table of the length, values computed from the mask that reach the graph
// other than as OPT's positions do, products, cumulative sums, reductions
// and concatenations of per-token data along the sequence, and Ranges it
// cannot offset.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Transforms/AttentionRewrites.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include <functional>
#include <limits>

namespace mlir::genc {
#define GEN_PASS_DEF_ADDKVCACHE
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// " (ONNX node N)" for `op`, or "" when its node is unknown.
std::string nodeOf(Operation *op) {
  std::string node = modelLocationOf(op->getLoc()).node;
  return node.empty() ? "" : " (ONNX node " + node + ")";
}

/// "'genc.cumsum' (ONNX node N)" for `op`.
std::string describe(Operation *op) {
  return "'" + op->getName().getStringRef().str() + "'" + nodeOf(op);
}

/// Whether `value` is input_ids' sequence length as a 0-d or one-element
/// i64 tensor: from_elements of index_cast of tensor.dim, as cleanup leaves
/// it, of a dim provably equal to input_ids' dim 1.
bool isSequenceLength(Value value, BlockArgument ids) {
  auto elements = value.getDefiningOp<tensor::FromElementsOp>();
  if (!elements || elements.getElements().size() != 1 ||
      !elements.getType().getElementType().isInteger(64))
    return false;
  auto cast = elements.getElements()[0].getDefiningOp<arith::IndexCastOp>();
  auto dim = cast ? cast.getIn().getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return index && provablyEqualDims(dim.getSource(), *index, ids, 1);
}

/// `length` (an isSequenceLength value) plus `past` (i64).
Value plusPastLength(OpBuilder &b, Location loc, Value length, Value past) {
  Value old = length.getDefiningOp<tensor::FromElementsOp>().getElements()[0];
  return tensor::FromElementsOp::create(
      b, loc, length.getType(), ValueRange{arith::AddIOp::create(b, loc, past, old).getResult()});
}

bool isConstantInt(Value value, int64_t expected) {
  DenseIntElementsAttr attr;
  return matchPattern(value, m_Constant(&attr)) && attr.isSplat() &&
         attr.getSplatValue<APInt>().getSExtValue() == expected;
}

/// Whether every use of `table` reads rows of it by data (gathers by
/// positions), through gathers by constants: then rows past the ones it
/// had before are only read at positions that were not there before.
bool onlyGatheredByData(Value table) {
  for (OpOperand &use : table.getUses()) {
    auto gather = dyn_cast<GatherOp>(use.getOwner());
    if (!gather || gather.getInput() != table)
      return false;
    if (matchPattern(gather.getIndices(), m_Constant()) && !onlyGatheredByData(gather))
      return false;
  }
  return true;
}

/// Whether `use` is an attention op's mask operand.
bool isAttentionMask(OpOperand &use) {
  auto attention = dyn_cast<AttentionOp>(use.getOwner());
  return attention && attention.getMask() && use.getOperandNumber() == 3;
}

/// Whether `arg` is an encoder-decoder's source input (marked genc.source,
/// or named as Optimum's decoders name them, as selfAttentionLayers reads
/// them): the same at every step, with a cache or without.
bool isSourceInput(BlockArgument arg) {
  auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!fn)
    return false;
  auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "genc.name");
  return fn.getArgAttr(arg.getArgNumber(), kSourceAttr) ||
         (name && (name.getValue() == "encoder_hidden_states" ||
                   name.getValue() == "encoder_attention_mask"));
}

/// Whether `value` depends on the function's arguments' data (not only on
/// their shapes): per-token data, unlike tables computed from constants or
/// from an encoder-decoder's source alone.
bool dependsOnData(Value value, DenseMap<Value, bool> &memo) {
  if (auto it = memo.find(value); it != memo.end())
    return it->second;
  bool result = false;
  if (auto arg = dyn_cast<BlockArgument>(value))
    result = !isSourceInput(arg);
  else if (Operation *def = value.getDefiningOp(); def && !isa<tensor::DimOp>(def))
    result = llvm::any_of(def->getOperands(),
                          [&](Value operand) { return dependsOnData(operand, memo); });
  return memo[value] = result;
}

/// What `op`'s results flow to (a terminator's: its parent's).
ValueRange flowsTo(Operation *op) {
  return op->hasTrait<OpTrait::IsTerminator>() ? ValueRange(op->getParentOp()->getResults())
                                               : ValueRange(op->getResults());
}

/// Whether `value` is the constant `expected` as a one-element tensor, or
/// `expected` - rank as a negative axis of a rank-`rank` tensor.
bool isConstantAxis(Value value, int64_t expected, int64_t rank) {
  return isConstantInt(value, expected) || isConstantInt(value, expected - rank);
}

/// Whether index `value` is dim `d` of `of` (a tensor.dim of a provably
/// equal dim).
bool isDimOf(Value value, Value of, int64_t d) {
  auto dim = value.getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return index && provablyEqualDims(dim.getSource(), *index, of, d);
}

/// `value` from index `start` (an index) to the end along `axis`.
Value sliceFrom(OpBuilder &b, Location loc, Value value, int64_t axis, Value start) {
  auto vector = RankedTensorType::get({1}, b.getI64Type());
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(vector, {v}));
  };
  Value start64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), start);
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = ShapedType::kDynamic;
  return SliceOp::create(b, loc, type.clone(shape), value,
                         tensor::FromElementsOp::create(b, loc, vector, ValueRange{start64}),
                         constant(std::numeric_limits<int64_t>::max()), constant(axis),
                         constant(1));
}

/// Where attention_mask's values go. With a cache the mask covers the past
/// and the new positions, T = P + S of them. Attention masks then hide the
/// right keys. Values computed per mask position (OPT's positions, from the
/// mask's cumulative sum) are the new tokens' in their last S columns: they
/// may reach the rest of the graph through a Slice [T - S, end) along axis 1
/// (exports that count the past from the shapes write one) or through the
/// indices of a Gather, which the pass then cuts so (exports whose past
/// length was the constant 0 lost theirs) — as long as they are computed
/// from the mask and constants alone.
struct MaskFlow {
  BlockArgument mask, ids;
  /// Gathers whose [batch, T] indices the pass cuts to their last S columns.
  SmallVector<GatherOp> gathersToCut;

  /// Fails, with an error, where a value computed from the mask goes
  /// anywhere else.
  LogicalResult analyse() {
    SmallVector<Value> worklist{mask};
    chain.insert(mask);
    while (!worklist.empty()) {
      Value next = worklist.pop_back_val();
      for (OpOperand &use : next.getUses()) {
        Operation *user = use.getOwner();
        if (isa<tensor::DimOp>(user))
          continue; // its shape only
        if (isAttentionMask(use))
          continue;
        if (auto slice = dyn_cast<SliceOp>(user);
            slice && slice.getInput() == next && isTailSlice(slice)) {
          if (failed(checkComputedFromMask(next, user)))
            return failure();
          continue;
        }
        if (auto gather = dyn_cast<GatherOp>(user); gather && gather.getIndices() == next) {
          if (!isMaskWide(next))
            return fail(user);
          if (failed(checkComputedFromMask(next, user)))
            return failure();
          gathersToCut.push_back(gather);
          continue;
        }
        if (isa<AttentionOp, func::ReturnOp>(user))
          return fail(user);
        for (Value result : flowsTo(user))
          if (chain.insert(result).second)
            worklist.push_back(result);
      }
    }
    return success();
  }

  /// Cuts the gathers' indices to their last S columns.
  void cutGathers() {
    for (GatherOp gather : gathersToCut) {
      OpBuilder b(gather);
      Location loc = gather.getLoc();
      Value indices = gather.getIndices();
      Value total = tensor::DimOp::create(b, loc, indices, 1);
      Value fresh = tensor::DimOp::create(b, loc, ids, 1);
      gather.getIndicesMutable().assign(
          sliceFrom(b, loc, indices, 1, arith::SubIOp::create(b, loc, total, fresh)));
    }
  }

  /// Whether `value` is computed from the mask (values the flow allows).
  bool fromMask(Value value) const { return chain.contains(value); }

private:
  DenseSet<Value> chain;

  LogicalResult fail(Operation *reached) {
    return reached->emitError()
           << "cannot add a KV cache: attention_mask reaches " << describe(reached)
           << " other than as an attention mask, a Slice of its last input_ids-length columns "
              "or a Gather's indices; with a cache the mask covers the past as well. Export the "
              "model with a KV cache";
  }

  /// Whether `value` is [batch, T]: one entry per mask position.
  bool isMaskWide(Value value) {
    auto type = cast<RankedTensorType>(value.getType());
    return type.getRank() == 2 && provablyEqualDims(value, 1, mask, 1);
  }

  /// A Slice of a [batch, T] value from T - S to the end along axis 1.
  bool isTailSlice(SliceOp slice) {
    Value input = slice.getInput();
    if (!isMaskWide(input) || !isConstantAxis(slice.getAxes(), 1, 2) ||
        !isConstantInt(slice.getSteps(), 1))
      return false;
    DenseIntElementsAttr end;
    if (!matchPattern(slice.getEnds(), m_Constant(&end)) || !end.isSplat() ||
        end.getSplatValue<APInt>().getSExtValue() < (int64_t(1) << 31))
      return false;
    auto start = slice.getStarts().getDefiningOp<tensor::FromElementsOp>();
    auto cast = start && start.getElements().size() == 1
                    ? start.getElements()[0].getDefiningOp<arith::IndexCastOp>()
                    : arith::IndexCastOp();
    auto sub = cast ? cast.getIn().getDefiningOp<arith::SubIOp>() : arith::SubIOp();
    return sub && isDimOf(sub.getLhs(), mask, 1) && isDimOf(sub.getRhs(), ids, 1);
  }

  /// Fails unless `value` is computed from the mask and constants alone
  /// (no token's data), so that its last S columns over a longer mask are
  /// what an export with a cache computes for the new tokens.
  LogicalResult checkComputedFromMask(Value value, Operation *user) {
    SmallVector<Value> worklist{value};
    DenseSet<Value> checked{value};
    while (!worklist.empty()) {
      Value next = worklist.pop_back_val();
      if (next == mask)
        continue;
      Operation *def = next.getDefiningOp();
      if (!def || !chain.contains(next))
        return user->emitError()
               << "cannot add a KV cache: " << describe(user)
               << " reads values computed from attention_mask and other data; genc keeps the "
                  "last input_ids-length columns of values computed from the mask alone. Export "
                  "the model with a KV cache";
      for (Value operand : def->getOperands()) {
        bool shapeOrConstant = matchPattern(operand, m_Constant()) ||
                               !isa<RankedTensorType>(operand.getType()) ||
                               operand.getDefiningOp<tensor::FromElementsOp>();
        if (!shapeOrConstant && checked.insert(operand).second)
          worklist.push_back(operand);
      }
    }
    return success();
  }
};

/// A mask with a row per query computed from input_ids' length S alone
/// (T5's relative-position bias): entry [i, j] a function of positions i
/// and j only, built from Range(0, S), shapes and constants with
/// elementwise ops, gathers from constant tables and axis moves. Evaluated
/// over T = P + S positions, its last S rows are what the graph computes
/// for the new tokens at length T, and an earlier position's row is the
/// same at every length.
struct LengthTable {
  Value mask;
  BlockArgument ids;
  /// The ops that compute it, in no particular order; constants are read,
  /// not copied.
  SetVector<Operation *> ops;

  /// The table of `mask`, or a failure that says why it is not one.
  static FailureOr<LengthTable> match(Value mask, BlockArgument ids, std::string &why) {
    LengthTable table{mask, ids, {}};
    auto fail = [&](const Twine &reason) {
      why = reason.str();
      return failure();
    };
    SmallVector<Value> worklist{mask};
    DenseSet<Value> seen{mask};
    while (!worklist.empty()) {
      Value next = worklist.pop_back_val();
      if (matchPattern(next, m_Constant()))
        continue;
      Operation *def = next.getDefiningOp();
      if (!def)
        return fail("it reads an input's data");
      if (auto dim = dyn_cast<tensor::DimOp>(def)) {
        std::optional<int64_t> index = dim.getConstantIndex();
        if (!index || !isLengthOrBatch(dim.getSource(), *index, ids))
          return fail("it reads a length other than input_ids' batch and sequence");
        // S, which the table over T reads as T; the batch stays.
        table.ops.insert(def);
        continue;
      }
      if (!entriesDependOnPositionsOnly(def))
        return fail(describe(def) + " in it is not computed position by position");
      // Every length in it is S (a position axis) or the batch.
      for (Value result : def->getResults())
        if (auto type = dyn_cast<RankedTensorType>(result.getType()))
          for (int64_t d = 0; d < type.getRank(); ++d)
            if (type.isDynamicDim(d) && !isLengthOrBatch(result, d, ids))
              return fail(describe(def) +
                          " in it has a dim that is neither input_ids' batch nor its length");
      table.ops.insert(def);
      for (Value operand : def->getOperands())
        if (seen.insert(operand).second)
          worklist.push_back(operand);
    }
    // Lengths are only shapes and Range limits: as values, the table's
    // entries would depend on S itself.
    for (Operation *op : table.ops)
      if (isa<tensor::FromElementsOp>(op))
        for (OpOperand &use : op->getUses()) {
          auto range = dyn_cast<RangeOp>(use.getOwner());
          bool limit = range && use.get() == range.getLimit();
          if (!limit && !isa<ConstantOfShapeOp>(use.getOwner()) &&
              table.ops.contains(use.getOwner()))
            return fail("its entries read the sequence's length itself, not only positions");
        }
    return table;
  }

  /// The table over the T = P + S positions, with only the new tokens'
  /// rows P .. T - 1 (its axis rank - 2): each op is built again for those
  /// rows, so that a step computes S × T entries, not T × T. `past` is P,
  /// `total` T and `fresh` S (indices).
  Value rebuild(OpBuilder &b, Value past, Value total, Value fresh) const {
    Rows rows(b, ids, past, total, fresh);
    return rows.build(mask, cast<RankedTensorType>(mask.getType()).getRank() - 2);
  }

private:
  /// Whether dim `d` of `v` is provably input_ids' sequence length or its
  /// batch (which a cached step keeps, as the default attention mask's
  /// ones over [batch, S] have it).
  static bool isLengthOrBatch(Value v, int64_t d, BlockArgument ids) {
    return provablyEqualDims(v, d, ids, 1) || provablyEqualDims(v, d, ids, 0);
  }

  /// Builds a table's values again over T positions, restricted to the
  /// rows P .. T - 1 of one axis where asked.
  struct Rows {
    Rows(OpBuilder &b, BlockArgument ids, Value past, Value total, Value fresh)
        : b(b), ids(ids), past(past), total(total), fresh(fresh) {}

    OpBuilder &b;
    BlockArgument ids;
    Value past, total, fresh;
    DenseMap<std::pair<Value, int64_t>, Value> built;

    /// `v` over T positions; with `rows` >= 0 only the rows P .. T - 1 of
    /// its axis `rows`.
    Value build(Value v, int64_t rows) {
      if (matchPattern(v, m_Constant()))
        return v; // static: no position axis
      auto key = std::make_pair(v, rows);
      if (Value done = built.lookup(key))
        return done;
      return built[key] = compute(v, rows);
    }

  private:
    Value clone(Operation *op, IRMapping &map) {
      for (Value operand : op->getOperands())
        if (!map.contains(operand))
          map.map(operand, build(operand, -1));
      return b.clone(*op, map)->getResult(0);
    }

    /// An i64 scalar of `like`'s type (0-d or one element) holding `index`.
    Value scalar(Value index, Value like) {
      Location loc = like.getLoc();
      Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
      return tensor::FromElementsOp::create(b, loc, like.getType(), ValueRange{i64});
    }

    Value compute(Value v, int64_t rows) {
      Operation *op = v.getDefiningOp();
      Location loc = op->getLoc();
      IRMapping map;
      if (auto dim = dyn_cast<tensor::DimOp>(op))
        return provablyEqualDims(dim.getSource(), *dim.getConstantIndex(), ids, 1)
                   ? total // S over the whole table
                   : v;    // the batch
      if (rows < 0)
        return clone(op, map);
      int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
      // Operand `x`'s axis for result axis `rows` under ONNX broadcasting:
      // none where x has no such axis or broadcasts along it.
      auto broadcastAxis = [&](Value x) -> int64_t {
        auto type = cast<RankedTensorType>(x.getType());
        int64_t axis = rows - (rank - type.getRank());
        return axis >= 0 && type.isDynamicDim(axis) ? axis : -1;
      };
      if (auto range = dyn_cast<RangeOp>(op)) {
        map.map(range.getStart(), scalar(past, range.getStart()));
        return clone(op, map);
      }
      if (auto unsqueeze = dyn_cast<UnsqueezeOp>(op)) {
        ArrayRef<int64_t> axes = unsqueeze.getAxes();
        int64_t inner = llvm::is_contained(axes, rows)
                            ? -1
                            : rows - llvm::count_if(axes, [&](int64_t a) { return a < rows; });
        map.map(unsqueeze.getInput(), build(unsqueeze.getInput(), inner));
        return clone(op, map);
      }
      if (auto transpose = dyn_cast<TransposeOp>(op)) {
        map.map(transpose.getInput(), build(transpose.getInput(), transpose.getPerm()[rows]));
        return clone(op, map);
      }
      if (auto gather = dyn_cast<GatherOp>(op)) {
        int64_t axis = gather.getAxis(), indices = gather.getIndices().getType().getRank();
        if (rows >= axis && rows < axis + indices) {
          map.map(gather.getIndices(), build(gather.getIndices(), rows - axis));
          return clone(op, map);
        }
      } else if (auto full = dyn_cast<ConstantOfShapeOp>(op)) {
        if (auto shape = full.getShape().getDefiningOp<tensor::FromElementsOp>()) {
          SmallVector<Value> entries;
          for (auto [i, entry] : llvm::enumerate(shape.getElements()))
            entries.push_back(static_cast<int64_t>(i) == rows && !matchPattern(entry, m_Constant())
                                  ? arith::IndexCastOp::create(b, loc, b.getI64Type(), fresh)
                                  : build(entry, -1));
          map.map(full.getShape(),
                  tensor::FromElementsOp::create(b, loc, full.getShape().getType(), entries));
          return clone(op, map);
        }
      } else if (auto trilu = dyn_cast<TriluOp>(op)) {
        // Row i of the rows kept is position P + i: the diagonal moves by P.
        DenseIntElementsAttr k;
        if (rows == rank - 2 && matchPattern(trilu.getK(), m_Constant(&k))) {
          Value shifted = arith::AddIOp::create(
              b, loc, past,
              arith::ConstantIndexOp::create(b, loc, k.getSplatValue<APInt>().getSExtValue()));
          map.map(trilu.getInput(), build(trilu.getInput(), rows));
          map.map(trilu.getK(), scalar(shifted, trilu.getK()));
          return clone(op, map);
        }
      } else {
        // Elementwise: each operand's rows, where it has them.
        for (Value operand : op->getOperands())
          if (!map.contains(operand))
            map.map(operand, build(operand, broadcastAxis(operand)));
        return clone(op, map);
      }
      // Anything else: the whole table's rows from P.
      return sliceFrom(b, loc, build(v, -1), rows, past);
    }
  };

  /// Ops whose entries depend on their operands' entries at the same
  /// positions (or, for a Gather from a constant table, on the index
  /// there), shape plumbing, and Range(0, limit, 1).
  static bool entriesDependOnPositionsOnly(Operation *op) {
    if (auto range = dyn_cast<RangeOp>(op))
      return isConstantInt(range.getStart(), 0) && isConstantInt(range.getDelta(), 1);
    if (auto trilu = dyn_cast<TriluOp>(op))
      return matchPattern(trilu.getK(), m_Constant());
    if (auto gather = dyn_cast<GatherOp>(op))
      return matchPattern(gather.getInput(), m_Constant());
    return isa<arith::IndexCastOp, tensor::FromElementsOp, ConstantOfShapeOp, UnsqueezeOp,
               TransposeOp, CastOp, WhereOp, AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MaxOp, MinOp,
               AndOp, OrOp, XorOp, EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, NegOp,
               AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, FloorOp, CeilOp, RoundOp, NotOp>(op);
  }
};

/// Whether dim 1 of arguments `a` and `b` has one name.
bool sameDimName(func::FuncOp fn, BlockArgument a, BlockArgument b) {
  auto name = [&](BlockArgument arg) -> StringAttr {
    auto names = fn.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "genc.dim_names");
    return names && names.size() > 1 ? dyn_cast<StringAttr>(names[1]) : StringAttr();
  };
  StringAttr x = name(a), y = name(b);
  return x && y && !x.getValue().empty() && x == y;
}

/// Whether axis `axis` of `value` is provably input_ids' sequence.
bool isSequenceAxis(Value value, int64_t axis, BlockArgument ids) {
  return cast<RankedTensorType>(value.getType()).isDynamicDim(axis) &&
         provablyEqualDims(value, axis, ids, 1);
}

/// Fails unless every op outside attention works on each position alone:
/// attention that genc did not raise (a product of two computed tensors),
/// or a sum, cumulative sum, concatenation or cut along the sequence of
/// per-token data, would see only the new tokens with a cache.
LogicalResult checkPositionwise(func::FuncOp fn, ArrayRef<AttentionOp> layers, BlockArgument ids,
                                const MaskFlow &maskFlow, DenseMap<Value, bool> &dataDependence) {
  auto data = [&](Value v) { return dependsOnData(v, dataDependence); };
  auto refuse = [&](Operation *op, const Twine &why) {
    return op->emitError() << "cannot add a KV cache: " << describe(op) << " " << why
                           << ", which a cache would give only the new tokens; export the "
                              "model with a KV cache";
  };
  auto seq = [&](Value v, int64_t axis) { return isSequenceAxis(v, axis, ids); };
  WalkResult walk = fn.walk([&](Operation *op) {
    if (llvm::any_of(op->getResults(), [&](Value r) { return maskFlow.fromMask(r); }))
      return WalkResult::advance(); // MaskFlow checked these
    LogicalResult result = success();
    if (isa<IfOp>(op))
      result = refuse(op, "hides a graph genc does not look into");
    else if (isa<MatMulOp, GemmOp>(op) && data(op->getOperand(0)) && data(op->getOperand(1)))
      result = refuse(op, "multiplies two computed tensors (an attention genc did not "
                          "recognise?), mixing positions");
    else if (auto matmul = dyn_cast<MatMulOp>(op);
             matmul && (data(matmul.getLhs()) || data(matmul.getRhs())) &&
             (seq(matmul.getLhs(), matmul.getLhs().getType().getRank() - 1) ||
              seq(matmul.getRhs(), std::max<int64_t>(matmul.getRhs().getType().getRank() - 2, 0))))
      result = refuse(op, "sums products along the sequence");
    else if (auto cumsum = dyn_cast<CumSumOp>(op);
             cumsum && seq(cumsum.getInput(), cumsum.getAxis()))
      result = refuse(op, "sums along the sequence");
    else if (auto concat = dyn_cast<ConcatOp>(op);
             concat && data(concat.getResult()) && seq(concat.getResult(), concat.getAxis()))
      result = refuse(op, "joins tensors along the sequence");
    else if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(op) &&
             data(op->getOperand(0))) {
      // No axes: every axis.
      auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
      int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
      SmallVector<int64_t> reduced(axes ? axes.asArrayRef() : ArrayRef<int64_t>());
      if (reduced.empty())
        reduced = llvm::to_vector(llvm::seq<int64_t>(0, rank));
      if (llvm::any_of(reduced, [&](int64_t a) { return seq(op->getOperand(0), a); }))
        result = refuse(op, "reduces along the sequence");
    }
    return failed(result) ? WalkResult::interrupt() : WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// Drops the keys and values that an export without a past returns
/// (Optimum's decoder_model.onnx: present.i.key|value, or an
/// encoder-decoder's present.i.decoder.* and present.i.encoder.*): the
/// pass returns each self-attention layer's own, with the past's, and a
/// cross-attention's, computed from the source alone, are the same at
/// every step. Fails on any other present.
LogicalResult dropExportedPresents(func::FuncOp fn, ArrayRef<AttentionOp> layers,
                                   DenseMap<Value, bool> &dataDependence) {
  DenseSet<Value> cached;
  for (AttentionOp layer : layers) {
    cached.insert(layer.getKey());
    cached.insert(layer.getValue());
  }
  auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
  llvm::BitVector dropped(fn.getNumResults());
  for (unsigned i = 0; i < fn.getNumResults(); ++i) {
    auto name = fn.getResultAttrOfType<StringAttr>(i, "genc.name");
    if (!name || !name.getValue().starts_with("present."))
      continue;
    Value present = ret.getOperand(i);
    if (!cached.contains(present) && dependsOnData(present, dataDependence))
      return fn.emitError()
             << "cannot add a KV cache: the model returns " << name.getValue()
             << " without taking a past, and it is not the keys or values that an attention "
                "layer genc recognised reads"
             << (present.getDefiningOp()
                     ? " (it comes from " + describe(present.getDefiningOp()) + ")"
                     : "")
             << "; export the model with past_key_values inputs, or without its present "
                "outputs";
    dropped.set(i);
  }
  ret->eraseOperands(dropped);
  return fn.eraseResults(dropped);
}

struct AddKVCachePass : genc::impl::AddKVCacheBase<AddKVCachePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>("main");
    if (!fn || fn.isExternal()) {
      module.emitError("cannot add a KV cache: the module has no @main");
      return signalPassFailure();
    }
    if (failed(addCache(fn)))
      signalPassFailure();
  }

  LogicalResult addCache(func::FuncOp fn) {
    MLIRContext *ctx = &getContext();
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "genc.name");
          name && name.getValue().starts_with("past_key_values."))
        return fn.emitError() << "the model already has a KV cache (input " << name.getValue()
                              << "): compile it without --add-kv-cache";
    std::optional<BlockArgument> ids = argumentNamed(fn, "input_ids");
    if (!ids)
      return fn.emitError("cannot add a KV cache: the model has no input_ids input");
    if (auto type = cast<RankedTensorType>(ids->getType());
        type.getRank() != 2 || !type.isDynamicDim(1))
      return fn.emitError() << "cannot add a KV cache: input_ids is " << type
                            << ", not [batch, sequence] with a dynamic sequence; a step with a "
                               "cache takes the new tokens only. Export input_ids with a "
                               "dynamic sequence axis";

    SmallVector<AttentionOp> layers =
        llvm::map_to_vector(selfAttentionLayers(fn->getParentOfType<ModuleOp>()),
                            [](Operation *op) { return cast<AttentionOp>(op); });
    if (layers.empty())
      return fn.emitError("cannot add a KV cache: genc recognised no attention layer in the "
                          "model (genc-raise-attention found no pattern); export it with a "
                          "KV cache");
    DenseMap<Value, bool> dataDependence;
    if (failed(dropExportedPresents(fn, layers, dataDependence)))
      return failure();
    std::optional<BlockArgument> attentionMask = argumentNamed(fn, "attention_mask");
    if (attentionMask && sameDimName(fn, *attentionMask, *ids))
      return fn.emitError()
             << "cannot add a KV cache: attention_mask and input_ids name their second dim alike, "
                "so genc took them for one length; with a cache the mask is longer. Give the "
                "mask's dim its own name (as exports with a cache do: total_sequence_length)";
    DenseSet<Value> read;
    llvm::MapVector<Value, LengthTable> lengthTables;
    DenseSet<Operation *> tableSums; // a table plus a mask of the keys
    for (auto [i, layer] : llvm::enumerate(layers)) {
      if (failed(checkLayer(layer, i, *ids, attentionMask, lengthTables, tableSums)))
        return failure();
      if (!read.insert(layer.getKey()).second || !read.insert(layer.getValue()).second)
        return layer.emitError() << "cannot add a KV cache: attention layer " << i << nodeOf(layer)
                                 << " shares its keys or values with another layer";
    }
    // Only the layers read the tables (some through a sum with a mask of
    // the keys): a cache computes their new rows alone.
    std::function<LogicalResult(Value)> readByLayersOnly = [&](Value mask) -> LogicalResult {
      for (OpOperand &use : mask.getUses()) {
        Operation *user = use.getOwner();
        if (isa<tensor::DimOp>(user) ||
            (isAttentionMask(use) && llvm::is_contained(layers, user)) ||
            (tableSums.contains(user) && succeeded(readByLayersOnly(user->getResult(0)))))
          continue;
        return user->emitError()
               << "cannot add a KV cache: " << describe(user)
               << " reads an attention mask built for the whole sequence, of which a cache "
                  "computes only the new tokens' rows; export the model with a KV cache";
      }
      return success();
    };
    for (auto &[mask, table] : lengthTables)
      if (failed(readByLayersOnly(mask)))
        return failure();
    MaskFlow maskFlow;
    if (attentionMask) {
      maskFlow.mask = *attentionMask;
      maskFlow.ids = *ids;
      if (failed(maskFlow.analyse()))
        return failure();
    }
    if (failed(checkPositionwise(fn, layers, *ids, maskFlow, dataDependence)))
      return failure();
    SmallVector<RangeOp> positions;
    WalkResult walk = fn.walk([&](RangeOp range) {
      if (cast<RankedTensorType>(range.getType()).hasStaticShape())
        return WalkResult::advance();
      if (isConstantInt(range.getStart(), 0) && isConstantInt(range.getDelta(), 1) &&
          isSequenceLength(range.getLimit(), *ids)) {
        positions.push_back(range);
        return WalkResult::advance();
      }
      // One per key, as the mask (MPT's ALiBi distances): with a cache the
      // mask covers past and new keys, and so does the Range.
      if (attentionMask && provablyEqualDims(range.getResult(), 0, *attentionMask, 1))
        return WalkResult::advance();
      Type element = cast<RankedTensorType>(range.getType()).getElementType();
      range.emitError() << "cannot add a KV cache: the Range" << nodeOf(range)
                        << (element.isInteger(64)     ? " is not 0 .. input_ids' length"
                            : isa<FloatType>(element) ? " counts in floats"
                                                      : " counts in another integer type")
                        << "; genc counts from the cached length only Ranges of 0 .. "
                           "input_ids' length in i64. Export the model with a KV cache";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return failure();
    // Tables of rows per position cut to the sequence (NeoX's rotary
    // tables) must keep the past's rows.
    SmallVector<SliceOp> tables;
    walk = fn.walk([&](SliceOp slice) {
      if (!isSequenceLength(slice.getEnds(), *ids) ||
          dependsOnData(slice.getInput(), dataDependence))
        return WalkResult::advance();
      if (isConstantInt(slice.getStarts(), 0) && isConstantInt(slice.getSteps(), 1) &&
          onlyGatheredByData(slice)) {
        tables.push_back(slice);
        return WalkResult::advance();
      }
      slice.emitError() << "cannot add a KV cache: the Slice" << nodeOf(slice)
                        << " cuts a table to input_ids' length, and genc cannot tell which "
                           "rows a cached step needs; export the model with a KV cache";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return failure();

    // One past and one present per layer, keys then values.
    Location loc = fn.getLoc();
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    StringAttr batch = StringAttr::get(ctx, "batch");
    if (auto names = fn.getArgAttrOfType<ArrayAttr>(ids->getArgNumber(), "genc.dim_names"))
      batch = dyn_cast<StringAttr>(names[0]) ? cast<StringAttr>(names[0]) : batch;
    ArrayAttr dimNames =
        ArrayAttr::get(ctx, {batch, StringAttr::get(ctx, ""), StringAttr::get(ctx, "past_sequence"),
                             StringAttr::get(ctx, "")});
    Value firstPast;
    for (auto [i, layer] : llvm::enumerate(layers)) {
      for (auto [operand, kind] :
           {std::pair{&layer.getKeyMutable(), "key"}, {&layer.getValueMutable(), "value"}}) {
        Value rows = operand->get();
        auto type = cast<RankedTensorType>(rows.getType());
        SmallVector<int64_t> shape(type.getShape());
        shape[kCacheSequenceAxis] = ShapedType::kDynamic;
        auto pastType = type.clone(shape);
        std::string suffix = std::to_string(i) + "." + kind;
        NamedAttribute attrs[] = {
            {StringAttr::get(ctx, "genc.name"), StringAttr::get(ctx, "past_key_values." + suffix)},
            {StringAttr::get(ctx, "genc.dim_names"), dimNames}};
        unsigned index = fn.getNumArguments();
        if (failed(fn.insertArgument(index, pastType, DictionaryAttr::get(ctx, attrs), loc)))
          return failure();
        Value past = fn.getArgument(index);
        firstPast = firstPast ? firstPast : past;

        OpBuilder b(layer);
        b.setInsertionPointAfterValue(rows);
        auto present = ConcatOp::create(b, layer.getLoc(), pastType, ValueRange{past, rows},
                                        kCacheSequenceAxis);
        // Every reader of the new rows (attention, its mask-length check)
        // now reads the whole sequence, past and new.
        rows.replaceAllUsesExcept(present, present);
        ret->insertOperands(ret.getNumOperands(), present.getResult());
        NamedAttribute name(StringAttr::get(ctx, "genc.name"),
                            StringAttr::get(ctx, "present." + suffix));
        if (failed(fn.insertResult(fn.getNumResults(), pastType, DictionaryAttr::get(ctx, name))))
          return failure();
      }
    }

    maskFlow.cutGathers();

    // P, the past's length.
    OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
    Value length = tensor::DimOp::create(b, loc, firstPast, kCacheSequenceAxis);
    Value length64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), length);
    // Tables of the sequence length (T5's relative-position bias) over the
    // T = P + S positions, the new tokens' rows only; built before the
    // Ranges below count from P. Their readers (the layers, shape queries)
    // read the new table.
    if (!lengthTables.empty()) {
      Value fresh = tensor::DimOp::create(b, loc, *ids, 1);
      Value total = arith::AddIOp::create(b, loc, length, fresh);
      for (auto &[mask, table] : lengthTables) {
        b.setInsertionPoint(mask.getDefiningOp());
        // Shape queries keep reading the table of S positions: their S
        // is the new tokens', as before.
        mask.replaceUsesWithIf(table.rebuild(b, length, total, fresh),
                               [](OpOperand &use) { return !isa<tensor::DimOp>(use.getOwner()); });
      }
    }
    // Positions P .. P + S - 1.
    for (RangeOp range : positions) {
      b.setInsertionPoint(range);
      Value start =
          tensor::FromElementsOp::create(b, loc, range.getStart().getType(), ValueRange{length64});
      range.getStartMutable().assign(start);
      range.getLimitMutable().assign(plusPastLength(b, loc, range.getLimit(), length64));
    }
    for (SliceOp slice : tables) {
      b.setInsertionPoint(slice);
      slice.getEndsMutable().assign(plusPastLength(b, loc, slice.getEnds(), length64));
    }
    return success();
  }

  /// Fails unless `layer` (number `index`) can read cached keys and values.
  /// A mask with a row per query that is a table of the sequence length
  /// (LengthTable) goes to `lengthTables`.
  LogicalResult checkLayer(AttentionOp layer, size_t index, BlockArgument ids,
                           std::optional<BlockArgument> attentionMask,
                           llvm::MapVector<Value, LengthTable> &lengthTables,
                           DenseSet<Operation *> &tableSums) {
    auto fail = [&](const Twine &why) {
      return layer.emitError() << "cannot add a KV cache: attention layer " << index
                               << nodeOf(layer) << " " << why
                               << "; export the model with a KV cache";
    };
    if (!layer.getCausal()) {
      // A mask with a row per query may still be causal, in a form genc did
      // not recognise: say so rather than call the model bidirectional.
      auto maskType = layer.getMask() ? cast<RankedTensorType>(layer.getMask().getType())
                                      : RankedTensorType();
      if (maskType && maskType.getRank() >= 2 && maskType.getDimSize(maskType.getRank() - 2) != 1)
        return fail("has a mask with a row per query in which genc found no causal triangle "
                    "(it may be bidirectional, or a band, window or causal table in a form "
                    "genc does not recognise), so its earlier positions may see later keys, "
                    "which a cache of the past cannot give them");
      return fail("is not causal: its earlier positions see later keys, which a cache of "
                  "the past cannot give them");
    }
    if (layer.getCausalFromStart())
      return fail("counts its causal diagonal from the first key (queries and keys of lengths "
                  "genc cannot prove equal), so new queries would not come after the cached keys");
    if (Value mask = layer.getMask()) {
      auto type = cast<RankedTensorType>(mask.getType());
      int64_t rank = type.getRank();
      bool perQuery = rank >= 2 && type.getDimSize(rank - 2) != 1;
      // A table of the length, alone or plus a mask of the keys (one row
      // over attention_mask's, as padding is).
      auto overKeys = [&](Value keys) {
        auto keysType = cast<RankedTensorType>(keys.getType());
        int64_t r = keysType.getRank();
        return r >= 2 && keysType.getDimSize(r - 2) == 1 &&
               (keysType.getDimSize(r - 1) == 1 ||
                (attentionMask && provablyEqualDims(keys, r - 1, *attentionMask, 1)));
      };
      if (auto sum = mask.getDefiningOp<AddOp>(); perQuery && sum) {
        for (auto [table, keys] :
             {std::pair(sum.getLhs(), sum.getRhs()), std::pair(sum.getRhs(), sum.getLhs())})
          if (overKeys(keys) && !overKeys(table)) {
            tableSums.insert(sum);
            mask = table;
            break;
          }
      }
      if (perQuery && !lengthTables.contains(mask)) {
        std::string why = "its rows and keys are not provably input_ids' positions";
        FailureOr<LengthTable> table = failure();
        auto tableType = cast<RankedTensorType>(mask.getType());
        int64_t tableRank = tableType.getRank();
        if (tableRank >= 2 && provablyEqualDims(mask, tableRank - 2, ids, 1) &&
            provablyEqualDims(mask, tableRank - 1, ids, 1))
          table = LengthTable::match(mask, ids, why);
        if (failed(table))
          return fail("has a mask with a row per query, built for the whole sequence from more "
                      "than its positions (" +
                      why + ")");
        lengthTables.insert({mask, *table});
      }
      // With a cache the keys are past and new: a mask must then cover both,
      // as attention_mask does (or a table of the length, rebuilt over both).
      if (!perQuery && rank >= 1 && type.getDimSize(rank - 1) != 1 &&
          !(attentionMask && provablyEqualDims(mask, rank - 1, *attentionMask, 1)))
        return fail("has a mask whose keys are not attention_mask's (one per position, past and "
                    "new), built from the new tokens alone");
    }
    for (Value rows : {layer.getKey(), layer.getValue()}) {
      auto type = cast<RankedTensorType>(rows.getType());
      if (type.getRank() != 4 || type.isDynamicDim(1) || type.isDynamicDim(3))
        return fail("reads keys or values that are not [batch, heads, sequence, head_size] with "
                    "static heads and head size");
      // Its own readers only: another reader would get past and new rows.
      for (OpOperand &use : rows.getUses())
        if (use.getOwner() != layer.getOperation() && !isa<tensor::DimOp>(use.getOwner()))
          return fail("reads keys or values that " + describe(use.getOwner()) + " reads too");
      auto concat = rows.getDefiningOp<ConcatOp>();
      if (isa<BlockArgument>(rows) || (concat && concat.getAxis() == kCacheSequenceAxis))
        return fail("reads keys or values that are an input or a concatenation along the "
                    "sequence (a cache genc does not recognise)");
    }
    if (layer.getKey() == layer.getValue())
      return fail("reads one tensor as both keys and values");
    return success();
  }
};

} // namespace
