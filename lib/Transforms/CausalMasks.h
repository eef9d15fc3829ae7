//===- CausalMasks.h - the causal triangle in exporters' masks --*- C++ -*-===//
//
// Exporters build the causal mask in many ways: a sliced lower-triangular
// constant (GPT-2), Trilu of a table of ones (Hugging Face's LLaMA family),
// Triu of a table of -inf (Meta's LLaMA), or positions compared, arange
// against arange as a column (transformers' older decoders: T5, BART, OPT;
// since 4.41, against cache_position, arange from the past's length), as a
// boolean condition, an additive table or 0/1 arithmetic. These
// matchers find the triangle in such a mask, so that raising can replace it
// by genc.attention's `causal` and keep only the rest of the mask.
//
// Tables are read past the Unsqueezes and Expands that give them leading
// dims. An Expand may broadcast the rows or the batch too, so callers must
// have checked that the whole mask keeps the scores' batch and query dims.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_LIB_TRANSFORMS_CAUSALMASKS_H
#define GENC_LIB_TRANSFORMS_CAUSALMASKS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <functional>
#include <optional>

namespace mlir::genc {

/// Fills at or below this are "minus infinity" for a softmax: s + F == F.
constexpr double kMaskFillLimit = -1e30;

/// A causal table: row i (of the Sq queries) keeps key j iff j <= i + P,
/// with P = `past` + `columns` - Sq (or `diagonal`, or 0: below), which is
/// genc.attention's `causal` when the table covers every key
/// (checkTableWidth).
struct CausalTable {
  /// The op that builds it, named in run-time errors.
  Operation *op = nullptr;
  /// The keys the table covers (an index), and those prepended to it as
  /// visible (an index or i64, or null for none).
  Value columns, past;
  /// [Sq, Sq] with no past: `causal` only where the keys are provably as
  /// many as the queries. With a cache, such a table of one query row
  /// broadcasts over the keys and shows them all, and the width check
  /// would refuse it.
  bool square = false;
  /// A table of positions compared with the queries' from a run-time index
  /// (transformers' `arange(T) > cache_position`, cache_position =
  /// arange(P, P + Sq)) keeps j <= i + `diagonal` instead: `causal` where
  /// that index is the keys before the queries, which checkTableWidth
  /// checks too. Null for the other tables.
  Value diagonal;
  /// Row i keeps j <= i over columns not provably the rows (positions
  /// compared, the keys' counted over the attention mask): `causal` where
  /// the keys are provably the queries, `causal_from_start` elsewhere.
  bool diagonalAtZero = false;

  /// Row i keeps j <= i with no past: a square table or one whose diagonal
  /// is at 0.
  bool diagonalIsZero() const { return square || diagonalAtZero; }
};

/// The causal table a mask holds, a sliding window's width when one is
/// And-ed with it or filled into it (0 for none), and the rest of the
/// condition (null when nothing is left).
struct CausalSplit {
  CausalTable table;
  int64_t window = 0;
  Value rest;
};

/// A condition of the keys to keep: the causal table alone, or And-ed with
/// a window, with the rest of the condition.
std::optional<CausalSplit> splitCausal(Value condition, Value query);

/// A condition of the keys to hide, as masked_fill takes it: the keys after
/// the causal limit, alone or Or-ed with the rest of what to hide.
std::optional<CausalSplit> splitHiddenCausal(Value condition, Value query);

/// Builds what is left of a mask without its causal table.
using MaskBuilder = std::function<Value(OpBuilder &, Location)>;

/// An additive mask (0 where a key is kept, F <= kMaskFillLimit elsewhere)
/// that holds a causal table: the split (its `rest` unused), and how to
/// build the mask without it (empty when nothing is left). Nothing is
/// built until the caller takes the split.
struct AdditiveSplit {
  CausalSplit causal;
  MaskBuilder rest;
};
std::optional<AdditiveSplit> splitAdditiveCausal(Value mask, Value query);

/// The mask that `mask` slices to the keys along its last axis (`m[..., :n]`,
/// n the keys' count, as transformers' layers cut the model's mask), null
/// when it is no such slice. Splitting the whole instead is exact where the
/// whole is as wide as its causal table: the table's width check then makes
/// the slice keep every column.
Value slicedToKeys(Value mask, Value key);

/// GPT-2's causal condition: rows [Skv - Sq, Skv) and columns [0, Skv) of a
/// lower-triangular boolean constant (or of 0/1 bytes, the slice cast to
/// booleans, as older exports have it).
bool isSlicedCausalTable(Value condition, Value query, Value key);

/// Whether `table` provably covers every key of `key` ([B, H, Skv, D]): its
/// columns are Skv, or, after a past prepended, the new keys of a cache's
/// past ++ new.
bool tableCoversKeys(const CausalTable &table, Value key);

/// Makes the call fail at run time unless `table` covers every key (and a
/// diagonal is as many keys as come before the queries).
void checkTableWidth(OpBuilder &b, Location loc, const CausalTable &table, Value query, Value key);

} // namespace mlir::genc

#endif // GENC_LIB_TRANSFORMS_CAUSALMASKS_H
