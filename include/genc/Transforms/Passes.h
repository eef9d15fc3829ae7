//===- Passes.h - genc graph passes -----------------------------*- C++ -*-===//

#ifndef GENC_TRANSFORMS_PASSES_H
#define GENC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::genc {

/// Marks a @main argument that genc-kv-cache-in-place made a KV-cache
/// buffer: the caller owns it and compiled code writes it in place.
constexpr StringLiteral kKVCacheAttr = "genc.kv_cache";

/// The sequence axis of keys and values [batch, heads, sequence,
/// head_size], and of the KV-cache buffers that hold them.
constexpr int64_t kCacheSequenceAxis = 2;

/// Marks a KV-cache argument that genc-roll-window-caches made a sliding
/// window: {shift = the argument saying how far it slid, window, sinks}.
constexpr StringLiteral kWindowCacheAttr = "genc.window_cache";

/// Marks a module compiled for a runtime session (`--kv-cache=session`):
/// its artifact says so, and generator programs generate with it.
constexpr StringLiteral kSessionAttr = "genc.session";

/// Marks a decoder argument computed from the source (an encoder's output,
/// its mask): genc-split-source-computation computes what depends on it
/// once per source.
constexpr StringLiteral kSourceAttr = "genc.source";

/// A matmul by a constant weight [K, N] (genc.matmul by a 2-D constant or
/// its transpose, genc.gemm by a constant B without transA) in a
/// function's own block, and the name under which genc-expose-matmul-inputs
/// returns the activations it reads.
struct WeightMatmul {
  Operation *op;
  /// A, [..., K].
  Value input;
  /// "matmul_input:" and the ONNX node of the first weight matmul that
  /// reads `input` (matmuls reading one input share it: Q, K and V
  /// projections), "#" appended until it differs from the names before.
  std::string inputName;
};

/// `fn`'s weight matmuls in program order.
SmallVector<WeightMatmul> findWeightMatmuls(func::FuncOp fn);

class AttentionOp;
/// The floats per row of the sums a session keeps for linear attention
/// `op` (kernels.h), when its sizes are static and within what a runtime
/// allocates (genc-record-signature then gives it a state slot, and
/// genc-roll-window-caches lets its cache slide).
std::optional<int64_t> keptLinearSumsFloats(AttentionOp op);

/// The genc.window_cache attribute of the cache `op` reads its keys from,
/// if genc-roll-window-caches let that cache slide.
DictionaryAttr slidingCacheOf(AttentionOp op);

/// A merged decoder's `use_cache_branch` argument (Optimum's: a boolean
/// [1] choosing, in an If, the graph with a cache over the first step's).
std::optional<BlockArgument> useCacheBranchArgument(func::FuncOp fn);

#define GEN_PASS_DECL
#include "genc/Transforms/Passes.h.inc"

/// Graph cleanup after import: shape folding, type refinement,
/// canonicalisation, CSE and dead-code removal, to a fixed point.
void buildCleanupPipeline(OpPassManager &pm);

#define GEN_PASS_REGISTRATION
#include "genc/Transforms/Passes.h.inc"

/// Registers every genc pass and the `genc-cleanup` pipeline.
void registerAllGencPasses();

} // namespace mlir::genc

#endif // GENC_TRANSFORMS_PASSES_H
