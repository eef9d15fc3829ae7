//===- AttentionReport.cpp - what attention rewrites save ------------------===//

#include "AttentionReport.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/AttentionRewrites.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace genc::driver;

std::vector<AttentionLayer> genc::driver::describeAttentionLayers(mlir::ModuleOp module) {
  std::vector<AttentionLayer> layers;
  for (mlir::Operation *op : mlir::genc::selfAttentionLayers(module)) {
    auto attention = llvm::cast<mlir::genc::AttentionOp>(op);
    auto shape = [](mlir::Value v) { return llvm::cast<mlir::RankedTensorType>(v.getType()); };
    auto key = shape(attention.getKey());
    AttentionLayer layer;
    layer.queryHeads = shape(attention.getQuery()).getDimSize(1);
    layer.kvHeads = key.getDimSize(1);
    layer.headSize = key.getDimSize(3);
    layer.valueSize = shape(attention.getValue()).getDimSize(3);
    layer.elementBytes = std::max<int64_t>(1, key.getElementTypeBitWidth() / 8);
    layer.window = attention.getWindow();
    layer.sinks = attention.getSinks();
    layer.globalTokens = attention.getGlobalTokens();
    layers.push_back(layer);
  }
  return layers;
}

namespace {

/// What one decode step of a layer costs at `context` positions.
struct StepCost {
  int64_t visibleKeys, flops, cacheBytesPerPosition, cacheBytesRead;
};

StepCost stepCost(const AttentionLayer &layer, int64_t context) {
  // The last query position sees the window (or everything) and the keys
  // before the sinks and global positions.
  int64_t visible = context;
  if (layer.window > 0 && layer.window < context) {
    int64_t prefix = std::max(layer.sinks, layer.globalTokens);
    visible = layer.window + std::min(prefix, context - layer.window);
  }
  int64_t perPosition = layer.kvHeads * (layer.headSize + layer.valueSize) * layer.elementBytes;
  return {visible, 2 * layer.queryHeads * (layer.headSize + layer.valueSize) * visible, perPosition,
          perPosition * visible};
}

/// What was rewritten, in --attention's words.
std::string describeChange(const AttentionLayer &before, const AttentionLayer &after) {
  std::string text;
  auto add = [&](const std::string &item) { text += (text.empty() ? "" : ",") + item; };
  if (after.window != before.window && after.window > 0)
    add("window:" + std::to_string(after.window));
  if (after.sinks != before.sinks)
    add("sinks:" + std::to_string(after.sinks));
  if (after.globalTokens != before.globalTokens)
    add("global:" + std::to_string(after.globalTokens));
  if (after.kvHeads != before.kvHeads)
    add("gqa:" + std::to_string(after.kvHeads));
  return text.empty() ? "none" : text;
}

llvm::json::Object costObject(const AttentionLayer &layer, const StepCost &cost) {
  return llvm::json::Object{
      {"kv_heads", layer.kvHeads},
      {"window", layer.window > 0 ? llvm::json::Value(layer.window) : llvm::json::Value(nullptr)},
      {"sinks", layer.sinks},
      {"global_tokens", layer.globalTokens},
      {"visible_keys", cost.visibleKeys},
      {"attention_flops_per_token", cost.flops},
      {"kv_cache_bytes_per_position", cost.cacheBytesPerPosition},
      {"kv_cache_bytes_read_per_token", cost.cacheBytesRead}};
}

std::string human(double x) {
  const char *units[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  while (x >= 1000 && unit < 4) {
    x /= 1000;
    ++unit;
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.3g%s", x, units[unit]);
  return text;
}

} // namespace

bool genc::driver::writeAttentionReport(llvm::StringRef path, llvm::StringRef model,
                                        llvm::StringRef rewrites, int64_t context,
                                        const std::vector<AttentionLayer> &before,
                                        const std::vector<AttentionLayer> &after) {
  llvm::json::Array layers;
  StepCost totalBefore{0, 0, 0, 0}, totalAfter{0, 0, 0, 0};
  llvm::errs() << "attention report at context " << context
               << " (per decode step; KV cache per position):\n";
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    StepCost was = stepCost(before[i], context), is = stepCost(after[i], context);
    for (auto [total, cost] : {std::pair{&totalBefore, was}, std::pair{&totalAfter, is}}) {
      total->flops += cost.flops;
      total->cacheBytesPerPosition += cost.cacheBytesPerPosition;
      total->cacheBytesRead += cost.cacheBytesRead;
    }
    std::string change = describeChange(before[i], after[i]);
    layers.push_back(llvm::json::Object{{"layer", static_cast<int64_t>(i)},
                                        {"rewrites", change},
                                        {"query_heads", before[i].queryHeads},
                                        {"head_size", before[i].headSize},
                                        {"before", costObject(before[i], was)},
                                        {"after", costObject(after[i], is)}});
    llvm::errs() << llvm::formatv("  layer {0,-3} {1,-28} FLOPs {2,6} -> {3,-6}  KV read {4,7} -> "
                                  "{5,-7}  KV cache {6} -> {7}\n",
                                  i, change, human(was.flops), human(is.flops),
                                  human(was.cacheBytesRead) + "B", human(is.cacheBytesRead) + "B",
                                  human(was.cacheBytesPerPosition) + "B",
                                  human(is.cacheBytesPerPosition) + "B");
  }
  auto totals = [](const StepCost &cost) {
    return llvm::json::Object{{"attention_flops_per_token", cost.flops},
                              {"kv_cache_bytes_per_position", cost.cacheBytesPerPosition},
                              {"kv_cache_bytes_read_per_token", cost.cacheBytesRead}};
  };
  llvm::errs() << llvm::formatv("  all layers: FLOPs x{0:F3}, KV read x{1:F3}, KV cache x{2:F3}\n",
                                double(totalAfter.flops) / std::max<int64_t>(1, totalBefore.flops),
                                double(totalAfter.cacheBytesRead) /
                                    std::max<int64_t>(1, totalBefore.cacheBytesRead),
                                double(totalAfter.cacheBytesPerPosition) /
                                    std::max<int64_t>(1, totalBefore.cacheBytesPerPosition));
  llvm::json::Object report{{"model", model},
                            {"attention", rewrites},
                            {"context", context},
                            {"layers", std::move(layers)},
                            {"before", totals(totalBefore)},
                            {"after", totals(totalAfter)},
                            {"quality", "measured by running the model: genc perplexity MODEL "
                                        "--attention=SPEC --agreement-with MODEL"}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "error: cannot write the report " << path << ": " << ec.message() << "\n";
    return false;
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  return true;
}
