//===- GencOps.h - the genc dialect and its ops -----------------*- C++ -*-===//

#ifndef GENC_DIALECT_GENCOPS_H
#define GENC_DIALECT_GENCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <array>
#include <optional>

namespace mlir::genc {
class SliceOp;

/// Marks the ops that map elements one to one, broadcasting their operands
/// (Genc_ElementwiseBroadcast in GencBase.td).
template <typename ConcreteType>
class ElementwiseBroadcast : public OpTrait::TraitBase<ConcreteType, ElementwiseBroadcast> {};

/// True when the types could describe the same tensors: same element type
/// and rank, and no dim static in both with different sizes. Inference may
/// be less or more static than a result type (before and after folding).
bool areCompatibleTensorTypes(TypeRange a, TypeRange b);

/// The entries of a 1-D i64 shape tensor as far as they are known: constant
/// entries as values, entries computed at run time as ShapedType::kDynamic.
/// Fails when even the number of entries is unknown.
FailureOr<SmallVector<int64_t>> getKnownShapeEntries(Value shapeTensor);

/// The dims [start, end) that ONNX Shape(start, end) returns of a rank-`rank`
/// input: negative bounds count from the end, both are clamped to [0, rank]
/// and end is at least start.
std::pair<int64_t, int64_t> shapeBounds(int64_t rank, int64_t start, std::optional<int64_t> end);

/// The rank of a ranked tensor value.
inline int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

/// A dim of a tensor value.
struct DimSource {
  Value value;
  int64_t dim;
  bool operator==(const DimSource &o) const { return value == o.value && dim == o.dim; }
};

/// The earliest (value, dim) whose size provably equals dim `d` of `v`,
/// following ops that pass the dim through (elementwise, transpose,
/// matmul, gather, ...) and, at function arguments, dims that share a
/// dim_param name. Returns {v, d} itself when nothing is known.
DimSource traceDim(Value v, int64_t d);

/// The integer a one-element constant holds: an integer, or a float with an
/// integral value (a float Range's bounds and step), exact up to 2^53.
std::optional<int64_t> integralConstant(Value v);

/// The value a one-element floating-point constant holds.
std::optional<double> floatConstant(Value v);

/// Whether `v` is a constant of one element (a scalar operand that
/// broadcasts).
bool isOneElementConstant(Value v);

/// `op` again, on `operands`, its result types inferred (null when they
/// cannot be), at the builder's insertion point.
Operation *createOnOperands(OpBuilder &b, Operation *op, ValueRange operands);

/// The value every element of `v` holds, when it is a one-element constant
/// or a ConstantOfShape (of floats, integers or booleans).
std::optional<double> splatValue(Value v);

/// The most positions the function `fn` can embed: the smallest constant
/// table it gathers by position (an embedding of positions, rotary
/// tables), less how far the positions run ahead (OPT's count from 1,
/// RoBERTa's from 2); with the op that gathers from it. None when it
/// gathers no table by position.
std::optional<std::pair<int64_t, Operation *>> positionLimit(Operation *fn);

/// What keeps a row of `fn` shifted by left padding (and masked) from
/// computing what it computes alone, for a model without position_ids; null
/// when nothing does. That is the first op that reads a position other
/// than by counting the attention mask: a Range of run-time length
/// (arange's positions), a cumulative sum of anything but the mask (or of
/// ones spread over the sequence), a gather from a table computed from
/// constants by indices that are neither constant, token ids nor the
/// mask's counts, or rotary embedding at such positions, a slice of such a
/// table cut at run time (`table[:seq_len]`), attention that singles out
/// positions by their index (attendsByKeyIndex), or attention that does
/// not hide the padding: a layer without a mask computed from
/// attention_mask, a softmax left unraised; or `fn` itself when it has no
/// attention. Causal, windowed, linear and LSH attention, OPT's positions
/// (the mask's cumulative sum) and BLOOM's ALiBi keep nothing from it.
Operation *leftPaddingBlocker(Operation *fn);

/// What of `op` singles out keys by their index in the row, so that left
/// padding would move it onto the padding, named as `--attention` names
/// it: "sinks", "global" (tokens) or "bigbird" (blocks); empty when nothing
/// does (causal masks and windows count positions relative to the query,
/// which padding does not move).
class AttentionOp;
StringRef attendsByKeyIndex(AttentionOp op);

/// Whether dim `da` of `a` provably equals dim `db` of `b` at run time:
/// both static and equal, traced to one source, or concatenations along
/// those dims of inputs whose dims are provably equal pairwise.
bool provablyEqualDims(Value a, int64_t da, Value b, int64_t db);

/// Whether two index values are provably equal: one value, equal
/// constants, tensor.dim of provably equal dims, or the same add/sub of
/// provably equal indices.
bool provablyEqualIndices(Value a, Value b);

/// Whether `index` holds dim `d` of `v` at run time (a tensor.dim of an
/// equal dim, or the size a slice gave that dim).
bool indexIsDim(Value index, Value v, int64_t d);

/// The index that entry `position` of a shape tensor holds, when it is
/// tensor.from_elements of index casts; null otherwise.
Value shapeEntryIndex(Value shape, int64_t position = 0);

/// Whether dim `d` of `result`, an Expand's or Reshape's shaped by `shape`,
/// provably equals dim `xd` of `x`: traced, or its shape entry (aligned to
/// the result's last dim, as Expand's are) an index equal to that dim.
bool keepsDim(Value result, Value shape, int64_t d, Value x, int64_t xd);

/// The tensor dim that entry `entry` of a shape tensor holds, when the
/// shape is a tensor.from_elements whose entry is index_cast(tensor.dim).
std::optional<DimSource> getShapeEntryDim(Value shape, int64_t entry);

/// The tensor dim that an Expand (of `input` to `shape`) takes as its
/// result's dim at shape entry `entry`, the input's dynamic dim there
/// checked equal to it at run time. None where the entry is not a tensor's
/// dim, or is the dim of a slice of at most one element opposite a dynamic
/// input dim (torch's index_add_ has one): it may be a 1 that broadcasts,
/// and the lowering chooses the result's dim at run time.
std::optional<DimSource> expandEntryDim(Value input, Value shape, int64_t entry);

/// For a Slice `x[..., n - k:]` along dim `d` (n = x's dim d, one step,
/// the end past any dim): k, a tensor.dim the tracing takes as the
/// result's dim; null otherwise. The result holds k only for k <= n (ONNX
/// clamps the start): the lowering checks at run time that it is k.
Value keptTailLength(SliceOp sl, int64_t d);

/// A tensor that counts positions along one axis: each entry is its index
/// on that axis plus `offset`, whatever its other indices (an arange,
/// unsqueezed, broadcast or tiled).
struct Positions {
  /// The axis, counted from the last (1).
  int64_t fromEnd;
  int64_t offset;
  /// How many positions it counts (an index), null when not known.
  Value length;
  /// An index added to every entry, known at run time only (the past's
  /// length in `arange(past, past + n)`); null for none.
  Value base = {};
};

/// `v` as positions: an integer Range(c, n, 1) or Range(a, a + n, 1) (a an
/// index: the base) of 32 bits or more, through
/// integer casts, constant offsets (at most 2^16), Unsqueeze, Expand that
/// provably keeps the axis, and Reshape that only inserts or drops unit
/// dims. None otherwise.
std::optional<Positions> matchPositions(Value v, int depth = 0);

/// The argument of function `fn` whose `genc.name` (the ONNX input it
/// came from, or a name genc gave it) is `name`, if any.
std::optional<BlockArgument> argumentNamed(Operation *fn, StringRef name);

/// Whether the index holds a length, never negative: a tensor.dim, or a
/// session's past length (its `genc.past_length` argument, read and cast).
bool holdsLength(Value index);

/// Whether the index cannot be negative: a length (holdsLength), a
/// constant in [0, 2^32), or sums, products and choices of such (lengths
/// are buffer sizes, far from 2^63: such sums and products do not wrap).
bool isKnownNonNegative(Value index);

/// Formats a shape the way diagnostics print it: [2,?,768].
std::string formatShape(ArrayRef<int64_t> shape);

/// Makes the call fail with `message` (genc.index_out_of_bounds: {index}
/// for `actual`, {bound} for `expected`) unless `actual` equals `expected`
/// at run time; both index or both i64.
void checkEqualAtRunTime(OpBuilder &b, Location loc, Value actual, Value expected,
                         StringRef message);
/// Makes the call fail with `message` ({index} for `index`, {bound} for
/// `bound`) when the i1 `failed` is true at run time.
void failAtRunTimeIf(OpBuilder &b, Location loc, Value failed, Value index, Value bound,
                     StringRef message);
} // namespace mlir::genc

#include "genc/Dialect/GencDialect.h.inc"

#define GET_OP_CLASSES
#include "genc/Dialect/GencOps.h.inc"

#endif // GENC_DIALECT_GENCOPS_H
