//===- Commands.h - the subcommands of the genc driver ----------*- C++ -*-===//

#ifndef GENC_TOOLS_GENC_COMMANDS_H
#define GENC_TOOLS_GENC_COMMANDS_H

#include "genc/Target/CPU/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace mlir {
class PassManager;
} // namespace mlir

namespace genc::driver {
/// An option of named values (cl::values, `--name=value` with every value
/// named; not for options whose values are flags of their own) whose error
/// lists the names: LLVM's own says only "Cannot find option named 'X'!".
template <typename T> struct NamedValues : llvm::cl::parser<T> {
  using llvm::cl::parser<T>::parser;
  bool parse(llvm::cl::Option &option, llvm::StringRef name, llvm::StringRef arg, T &value) {
    std::string names;
    for (unsigned i = 0; i < this->getNumOptions(); ++i) {
      if (this->getOption(i) == arg) {
        value = this->Values[i].V.getValue();
        return false;
      }
      names += (i ? ", " : "") + std::string(this->getOption(i));
    }
    return option.error("'" + arg + "' is not one of its values: " + names);
  }
};

/// `genc import MODEL [-o OUT] [--no-cleanup]`. argv[0] is "genc import".
int runImport(int argc, char **argv);
/// `genc compile MODEL -o OUT [--emit=...] [-O0..3] [--mcpu=...]`.
int runCompile(int argc, char **argv);

/// `genc run MODEL --input NAME=FILE ... --output-dir DIR`.
int runRun(int argc, char **argv);

enum class Emit { SharedLibrary, Executable, Object, LLVMIR, MLIR };

/// The MLIR options that compileModel's pass managers honour (IR printing:
/// --mlir-print-ir-after=PASS, ...). Register before parsing the command line.
void registerCompileDebugOptions();

/// Graph transforms applied after cleanup, before lowering.
struct CompileReport;
struct AttentionSearchOptions;

struct GraphOptions {
  /// The artifact a runtime session drives (`genc compile
  /// --kv-cache=session`): its KV cache in the session's buffers
  /// (genc-kv-cache-in-place), its logits for the positions the session
  /// asks for (genc-logits-for-requested-positions).
  bool forSession = false;
  /// With forSession: a model without a KV cache is an error (else it
  /// compiles without one, and a session reruns it on the whole sequence).
  bool requireKVCache = true;
  /// Whether a model exported without a KV cache gets one
  /// (genc-add-kv-cache): it then compiles as if exported with one.
  enum class AddKVCache {
    No,
    Yes,          ///< `genc compile --add-kv-cache`: a model with a cache is an error
    WhereMissing, ///< `genc generate --add-kv-cache`: the target and its draft, if needed
  };
  AddKVCache addKVCache = AddKVCache::No;
  /// An encoder-decoder's encoder (the model compiled is its decoder): the
  /// artifact gets an `encoder` entry point that encodes a source and
  /// computes what every decoder step needs from it once
  /// (genc-split-source-computation). Needs forSession.
  std::string encoder;
  /// `--attention=SPEC`: rewrites of the raised attention layers
  /// (genc-rewrite-attention); empty for none.
  std::string attentionRewrites;
  /// Whitespace-separated token ids that `gqa:G:calibrated` fits each
  /// group's shared heads on and `--weights=int4:calibrated` its rounding
  /// (Calibration.h); empty for none.
  std::string calibrationIds;
  /// The weight matmuls' inputs as extra outputs (genc-expose-matmul-inputs):
  /// the model calibrateMatmulWeights runs.
  bool exposeMatmulInputs = false;
  /// `genc compile --report`: filled in as the model compiles (the layers'
  /// costs before and after the rewrites, the passes that ran); null for
  /// none. Not owned.
  CompileReport *report = nullptr;
  /// `genc compile --eval-ids`: with --max-ppl-increase, choose
  /// attentionRewrites by measuring candidates; with --report, measure what
  /// they cost in quality (AttentionSearch.h); null for none. Not owned.
  const AttentionSearchOptions *search = nullptr;
};

/// Whether `--attention=spec` parses; prints why not. `given` says the
/// option was on the command line: then an empty spec is an error, not
/// dense attention.
bool checkAttentionRewrites(llvm::StringRef spec, bool given);

/// `--attention=SPEC` and `--calibration-ids FILE`, for the commands that
/// compile a model.
struct AttentionRewritesOption {
  llvm::cl::opt<std::string> spec;
  llvm::cl::opt<std::string> calibrationIds;
  explicit AttentionRewritesOption(llvm::cl::OptionCategory &category);
  bool valid() const { return checkAttentionRewrites(spec, spec.getNumOccurrences() > 0); }
};

/// Compiles `input` to `output` (and `output`.weights); 0 on success.
int compileModel(llvm::StringRef input, llvm::StringRef output, Emit emit,
                 const mlir::genc::CPUTargetOptions &options, const GraphOptions &graph = {});

/// The artifact to load for MODEL: MODEL itself when it is one; for an
/// .onnx or .onnxtext model a shared library compiled with `graph`, kept in
/// genc's compile cache ($GENC_CACHE_DIR, else ~/.cache/genc) and reused
/// while the model, the options and this genc are unchanged. Prints the
/// error and returns nothing when compiling fails.
std::optional<std::string> compiledArtifact(llvm::StringRef model, const GraphOptions &graph);

/// `genc generate MODEL --prompt TEXT ...`.
int runGenerate(int argc, char **argv);
/// `genc perplexity MODEL (--text FILE --tokenizer FILE | --ids FILE)`.
int runPerplexity(int argc, char **argv);
/// `genc inspect ARTIFACT`: what a compiled artifact is, without running it.
int runInspect(int argc, char **argv);

/// Runs the cleanup pipeline on an imported model (what `genc import`
/// prints and `genc compile` lowers), recording its passes in `report`
/// when there is one.
mlir::LogicalResult cleanUp(mlir::ModuleOp module, CompileReport *report = nullptr);

/// Prints diagnostics as `error: <message>`: their text names the file and
/// the node already.
void installPlainDiagnostics(mlir::MLIRContext &context);

/// Makes a pass of `pm` that fails without an error say so, naming the pass
/// (a failure the user would otherwise see as a bare exit status). Needs
/// installPlainDiagnostics on the context.
void reportSilentPassFailures(mlir::PassManager &pm);
} // namespace genc::driver

#endif
