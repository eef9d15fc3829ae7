//===- AttentionReport.h - what attention rewrites save --------*- C++ -*-===//
//
// `genc compile --report FILE.json`: per self-attention layer, before and
// after the `--attention` rewrites, the attention FLOPs and KV-cache bytes
// that one decode step costs at a given context. Quality (perplexity, top-1
// agreement) is measured by running the model: `genc perplexity
// --agreement-with`.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_ATTENTIONREPORT_H
#define GENC_TOOLS_GENC_ATTENTIONREPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace genc::driver {

/// One self-attention layer's shape and visibility.
struct AttentionLayer {
  int64_t queryHeads = 0, kvHeads = 0, headSize = 0, valueSize = 0;
  int64_t elementBytes = 4;
  int64_t window = -1, sinks = 0, globalTokens = 0;
};

/// The self-attention layers of @main (genc-rewrite-attention's numbering).
std::vector<AttentionLayer> describeAttentionLayers(mlir::ModuleOp module);

/// Writes the JSON report to `path` and a summary to stderr; false (with
/// the error printed) when the file cannot be written.
bool writeAttentionReport(llvm::StringRef path, llvm::StringRef model, llvm::StringRef rewrites,
                          int64_t context, const std::vector<AttentionLayer> &before,
                          const std::vector<AttentionLayer> &after);

} // namespace genc::driver

#endif
