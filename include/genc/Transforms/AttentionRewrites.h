//===- AttentionRewrites.h - the `--attention=` rewrite list ----*- C++ -*-===//
//
// What `genc compile --attention=SPEC` asks genc-rewrite-attention to do:
//
//   SPEC    := ITEM (',' ITEM)*
//   ITEM    := REWRITE ('@layers=' RANGES)?
//   REWRITE := 'window:' W | 'sinks:' S | 'global:' N
//            | 'bigbird:' B (':' R (':' G)?)? | 'linear' | 'performer:' M
//            | 'lsh:' BUCKETS (':' HASHES (':' CHUNK)?)?
//            | 'gqa:' G (':mean' | ':grouped' | ':calibrated')?
//   RANGES  := RANGE ('+' RANGE)*        RANGE := L | L '-' L (inclusive)
//
// An item without `@layers=` applies to every layer. Parsing checks the
// text alone; what needs the model (layer counts, head counts) is checked
// by the pass.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TRANSFORMS_ATTENTIONREWRITES_H
#define GENC_TRANSFORMS_ATTENTIONREWRITES_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
class Operation;
} // namespace mlir

namespace mlir::genc {

struct AttentionRewrite {
  enum class Kind {
    Window,      ///< sliding window of `size` keys (exact for a windowed model)
    Sinks,       ///< the first `size` keys stay visible past the window
    Global,      ///< the first `size` positions see and are seen by all
    BigBird,     ///< blocks of `size`: global, neighbouring and random ones
    Linear,      ///< linear attention, φ = elu + 1
    Performer,   ///< linear attention, FAVOR+ with `size` random features
    LSH,         ///< Reformer's LSH attention over `size` buckets
    GroupedQuery ///< `size` KV heads, each from a group of adjacent ones
  };
  /// How a GroupedQuery rewrite makes a group's shared K/V head.
  enum class GroupMethod {
    Mean,       ///< the mean of a group of adjacent heads
    Grouped,    ///< the mean of a group chosen on calibration text
    Calibrated  ///< fitted on calibration text (kCalibrationAttrName)
  };
  Kind kind;
  int64_t size;
  GroupMethod method = GroupMethod::Mean;
  /// BigBird: random blocks per query block, and global blocks.
  int64_t randomBlocks = 3, globalBlocks = 2;
  /// LSH: hashing rounds and chunk size.
  int64_t hashes = 2, chunk = 64;
  /// Inclusive [first, last] layer ranges; empty: every layer.
  llvm::SmallVector<std::pair<int64_t, int64_t>, 2> layers;
  /// The item as written, for messages.
  std::string text;

  bool appliesTo(int64_t layer) const;
};

/// The module attribute through which `gqa:G:calibrated` receives what
/// calibration fitted: an array with one entry per self-attention layer,
/// a unit attribute for a layer not calibrated, else a dictionary of
///   key_maps    [G, R, D, D]  member r of group g contributes k_r · M[g, r]
///                             to the shared key; query heads reading
///                             member r are multiplied by the same M[g, r]
///   value_maps  [G, R, Dv, Dv] likewise for values; outputs of query heads
///                             reading member r are multiplied by its
///                             transpose
///   value_means [G, R, Dv]    the members' mean values, subtracted before
///                             and added back after
/// for G groups of R adjacent KV heads; for `gqa:G:grouped`, a dictionary
/// of
///   groups      [G, R] (i64)  the KV heads each group averages: a
///                             partition of the heads, chosen on
///                             calibration text
/// genc-rewrite-attention removes the attribute.
constexpr llvm::StringLiteral kCalibrationAttrName = "genc.attention_calibration";

/// Parses SPEC; on a malformed one returns nothing and sets `error` to a
/// sentence naming the item.
std::optional<llvm::SmallVector<AttentionRewrite>> parseAttentionRewrites(llvm::StringRef spec,
                                                                          std::string &error);

/// The layers that rewrites number: the genc.attention ops of `module`'s
/// @main whose keys do not come from an encoder, in program order.
llvm::SmallVector<Operation *> selfAttentionLayers(Operation *module);

} // namespace mlir::genc

#endif
