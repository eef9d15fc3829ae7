//===- CompileReport.h - what a compiled model costs, and where ---*- C++ -*-===//
//
// `genc compile --report FILE.json|FILE.html`: per layer, the FLOPs and
// bytes of its matmuls and attention per decode step and per prefill
// token, before and after `--attention`; the KV cache per position; the
// passes that changed the model; and, with `--profile-input`, the time the
// compiled model spent in each op family, placed on a roofline of this
// machine's measured peak FLOP/s and memory bandwidth. Quality is measured
// by running the model (`genc perplexity --agreement-with`).
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_COMPILEREPORT_H
#define GENC_TOOLS_GENC_COMPILEREPORT_H

#include "AttentionSearch.h"

#include "genc/Target/CPU/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace genc::driver {

/// One self-attention layer's shape and visibility.
struct AttentionLayer {
  int64_t queryHeads = 0, kvHeads = 0, headSize = 0, valueSize = 0;
  int64_t elementBytes = 4;
  int64_t window = -1, sinks = 0, globalTokens = 0;
  /// Its scores are soft-capped (Gemma 2).
  bool softcapped = false;
  /// BigBird blocks (0: none) and random blocks per query block.
  int64_t block = 0, randomBlocks = 0;
  /// Linear attention's feature map ("" softmax, "elu", "performer") and
  /// FAVOR+'s random features.
  std::string featureMap;
  int64_t randomFeatures = 0;
  /// A causal linear or LSH layer of a session artifact: the session keeps
  /// its state between steps (genc-record-signature), so a decode step
  /// reads a linear layer's sums instead of the cache, and an LSH layer
  /// hashes only the new key.
  bool sessionState = false;
  /// Reformer's LSH (buckets 0: none).
  int64_t lshBuckets = 0, lshHashes = 1, lshChunk = 64;
  /// Its cache slides (genc-roll-window-caches), holding
  /// GENC_SLIDING_CACHE_POSITIONS positions at most (a linear layer's:
  /// GENC_SUMS_CACHE_POSITIONS).
  bool slidingCache = false;
};

/// The self-attention layers of @main (genc-rewrite-attention's numbering).
std::vector<AttentionLayer> describeAttentionLayers(mlir::ModuleOp module);

/// KV-cache bytes a decode step of `layer` reads at `context` positions.
int64_t decodeCacheBytesRead(const AttentionLayer &layer, int64_t context);

/// What turns `before` into `after`, in --attention's words (items joined
/// by ",", such as "window:64,gqa:2"; "none" for nothing).
std::string describeChange(const AttentionLayer &before, const AttentionLayer &after);

/// The matmuls with a weight operand that one group of the model holds.
struct MatmulGroup {
  int64_t count = 0;
  int64_t flopsPerToken = 0;
  int64_t weightBytes = 0;
  /// Inputs and outputs per token: what a decode step reads and writes
  /// besides the weights.
  int64_t activationBytesPerToken = 0;
  /// Element types, "f32" or "f32 x bf16 -> f32" when they differ.
  std::vector<std::string> precisions;
  /// The 2-D f32 constant weights among them (what --weights converts), as
  /// [K, N].
  std::vector<std::pair<int64_t, int64_t>> f32Weights;
};

/// @main's weight matmuls by layer: each one feeding a self-attention's
/// queries, keys or values belongs to that layer; the others to the layer
/// whose attention precedes them, except those after the last layer that
/// reach an output without another matmul (the LM head).
struct MatmulLayers {
  std::vector<MatmulGroup> layers;
  MatmulGroup beforeLayers, head;
};
MatmulLayers describeMatmuls(mlir::ModuleOp module, size_t numLayers);

/// Whether `--weights` stores `matmul`'s weight in its format: a 2-D f32
/// constant (maybe transposed) that the model did not quantise on a grid of
/// its own (what genc-pack-matmul-weights packs).
bool convertedByWeightFormat(mlir::Operation *matmul);

/// The grid `matmul`'s weight was quantised on in the model (MatMulNBits,
/// DequantizeLinear), spelt as --weights spells its format ("int8",
/// "int4:32", "int4:64:asym"); none for other weights.
std::optional<std::string> modelWeightGrid(mlir::Operation *matmul);

/// Whether `matmul` is a matmul of integers (MatMulInteger's exact
/// products) whose weights int8 holds: the CPU target stores them as int8
/// codes and runs the integer kernel, exactly, whatever `--weights` says.
bool storesInt8Integers(mlir::Operation *matmul);

/// Restates the f32 weights' bytes and precision as `--weights=format`
/// stores them in 32-column panels (int8: a byte per weight and an f32
/// scale per column; bf16: two bytes, activations rounded to bf16; int4:
/// half a byte and an f16 scale per group and column, and an f16 offset
/// unless symmetric).
void applyWeightFormat(MatmulLayers &matmuls, const mlir::genc::WeightFormat &format);

/// One run of the compiled model with `--profile-input` inputs.
struct ProfileRun {
  std::string label;
  int64_t batch = 1, tokens = 0, past = 0;
  int64_t repeats = 0;
  unsigned threads = 0;
  /// Per run: wall time and time per op family (genc/kernels.h).
  double wallSeconds = 0;
  std::vector<double> familySeconds;
};

/// What this machine does at best, measured: FMA throughput on every
/// thread, and the read bandwidth of a buffer far larger than the caches.
struct MachinePeak {
  double flopsPerSecond = 0, bytesPerSecond = 0;
  /// AMX's bf16 dot products (tdpbf16ps) on every thread; 0 where the CPU
  /// lacks them or Linux refuses their state.
  double amxBF16FlopsPerSecond = 0;
  unsigned threads = 0;
  std::string vectorISA;
};
MachinePeak measureMachinePeak(unsigned threads);

/// A pass and what it did over a compile: whether any run changed the
/// IR, how many runs, how long in all.
struct PassRecord {
  std::string name;
  bool changed = false;
  int64_t runs = 0;
  double seconds = 0;
};

struct CompileReport {
  std::string path, model, rewrites;
  /// The context the costs are at: --report-context, else 4096 or the
  /// positions the model embeds, if fewer.
  int64_t context = 4096;
  bool contextGiven = false;
  std::vector<AttentionLayer> before, after;
  MatmulLayers matmuls;
  std::vector<PassRecord> passes;
  std::vector<ProfileRun> profile;
  std::optional<MachinePeak> machine;
  /// The rewrites' cost in quality, where --eval-ids was given and there
  /// were rewrites to measure.
  std::optional<RewriteQuality> quality;
  bool evalIdsGiven = false;
};

/// Runs the compiled `artifact` on each group of `--profile-input` specs
/// (NAME=FILE,...): one warm-up, then timed runs whose mean time per op
/// family goes to `report.profile`. False, with the error printed, when
/// the artifact or an input cannot be used.
bool profileArtifact(llvm::StringRef artifact, llvm::ArrayRef<std::string> specs,
                     CompileReport &report);

/// Adds to `pm` an instrumentation that records into `report.passes`.
void recordPasses(mlir::PassManager &pm, CompileReport &report);

/// Writes the report to `report.path` (HTML when it ends in .html, else
/// JSON) and a summary of the attention rewrites to stderr (asked-for
/// output, not progress: --quiet keeps it); false (with the error printed)
/// when the file cannot be written.
bool writeCompileReport(const CompileReport &report);

/// The HTML page: tables and inline SVG plots, nothing fetched.
void writeReportHTML(llvm::raw_ostream &os, const CompileReport &report);

/// Per layer, what a decode step and a prefill token cost (shared by the
/// JSON and HTML writers).
struct LayerCost {
  std::string name;
  double matmulFlopsDecode = 0, matmulBytesDecode = 0;
  double matmulFlopsPrefill = 0, matmulBytesPrefill = 0; // per prefill token
  double attentionFlopsDecode = 0, attentionBytesDecode = 0;
  double attentionFlopsPrefill = 0, attentionBytesPrefill = 0;
  int64_t kvBytesPerPosition = 0;
  bool hasAttention = false;
};
std::vector<LayerCost> layerCosts(const CompileReport &report);

/// What one profile run's matmuls and attention compute and move, from
/// the layers' shapes and the run's batch, tokens and past length.
struct RunWork {
  double matmulFlops = 0, matmulBytes = 0, attentionFlops = 0, attentionBytes = 0;
};
RunWork profileRunWork(const CompileReport &report, const ProfileRun &run);

/// "1.5G", "320K": three significant digits and an SI prefix.
std::string humanNumber(double x);

} // namespace genc::driver

#endif
