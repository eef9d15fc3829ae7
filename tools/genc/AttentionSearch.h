//===- AttentionSearch.h - rewrites within a perplexity budget --*- C++ -*-===//
//
// `genc compile --max-ppl-increase P --eval-ids FILE`: the most aggressive
// per-layer attention rewrites whose perplexity on the evaluation text
// stays within P percent of the unrewritten model's. Candidates per layer:
// windows of half, a quarter, ... of the evaluation context (down to 16)
// and, with --calibration-ids, calibrated GQA with half, a quarter, ... of
// the KV heads. Aggressive means fewer KV-cache bytes read per decode step
// at the evaluation context.
//
// The search measures each candidate alone on one layer (every layer, every
// candidate), then grows a plan greedily — the move that saves the most
// bytes per predicted point of perplexity, predicting a plan's increase as
// the sum of its parts' — while the prediction fits the budget; then
// measures the plan, dropping its last moves until the measurement fits.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_ATTENTIONSEARCH_H
#define GENC_TOOLS_GENC_ATTENTIONSEARCH_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace genc::driver {

struct GraphOptions;

struct AttentionSearchOptions {
  double maxIncreasePercent = 0; ///< the budget, in percent of perplexity
  std::string evalIds;           ///< whitespace-separated token ids
  int64_t context = 1024;        ///< perplexity windows, and the cost's context
  bool contextGiven = false;     ///< --eval-context given (not the default)
};

/// What attention rewrites cost in quality: perplexity on held-out token
/// ids without and with them, and how often the rewritten model's most
/// likely next token is the model's.
struct RewriteQuality {
  std::string evalIds;
  int64_t tokens = 0, context = 0; ///< tokens scored, in windows of `context`
  double perplexityBefore = 0, perplexityAfter = 0, top1Agreement = 0;
};

/// Measures `quality` of `input` compiled with the rewrites `spec` against
/// it compiled without, on `options.evalIds` in windows of
/// `options.context`; false after an error (printed).
bool measureRewriteQuality(llvm::StringRef input, const GraphOptions &graph,
                           const std::string &spec, const AttentionSearchOptions &options,
                           RewriteQuality &quality);

/// The spec the search chooses for `input` (whose raised attention layers
/// `module` holds), "" when no rewrite fits; nullopt after an error (printed).
/// Prints what it measured and chose on stderr.
std::optional<std::string> searchAttentionRewrites(mlir::ModuleOp module, llvm::StringRef input,
                                                   const GraphOptions &graph,
                                                   const AttentionSearchOptions &options);

} // namespace genc::driver

#endif
