//===- CompileCommand.cpp - `genc compile` ---------------------------------===//

#include "AttentionSearch.h"
#include "Calibration.h"
#include "CompileReport.h"
#include "Commands.h"
#include "Help.h"
#include "Progress.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Import/OnnxImporter.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Target/CPU/CPUTarget.h"
#include "genc/Transforms/AttentionRewrites.h"
#include "genc/Transforms/Passes.h"
#include "genc/kernels.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <csignal>

using namespace mlir;
namespace cl = llvm::cl;

using ::genc::driver::Emit;

namespace {

/// Where the runtime's archives are: $GENC_LIB_DIR; else, for an installed
/// genc (PREFIX/bin/genc with PREFIX/LIBDIR/genc beside it), that folder;
/// else the build tree genc was built in.
std::string runtimeLibDir() {
  if (const char *env = std::getenv("GENC_LIB_DIR"))
    return env;
  static int anchor;
  std::string self = llvm::sys::fs::getMainExecutable("genc", &anchor);
  SmallString<256> installed(llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(installed, GENC_INSTALL_LIBDIR, "genc");
  if (llvm::sys::fs::is_directory(installed))
    return std::string(installed);
  return GENC_LIB_DIR;
}

/// Links `object` with the runtime's archives into a shared library (the
/// kernels, runtime/include/genc/kernels.h) or an executable (the kernels,
/// the runtime and the main() of runtime/src/exe/Main.cpp), with the
/// system's clang driver (the one LLVM 22 ships): code generation itself is
/// in-process.
bool link(Emit emit, StringRef object, StringRef output, std::string &error) {
  std::string linker = GENC_DEFAULT_LINKER;
  if (const char *env = std::getenv("GENC_LINKER"))
    linker = env;
  std::string libDir = runtimeLibDir();
  SmallVector<std::string> archives = {"libgenc_kernels.a"};
  if (emit == Emit::Executable)
    archives = {"libgenc_exe_main.a",  "libgenc_generator.a",      "libgenc_generate.a",
                "libgenc_tokenizer.a", "libgenc_runtime_static.a", "libgenc_kernels.a"};
  for (std::string &archive : archives) {
    archive = (libDir + "/" + archive);
    if (!llvm::sys::fs::exists(archive)) {
      error = "the runtime library '" + archive + "' is missing; build genc's runtime targets, "
              "reinstall genc, or point GENC_LIB_DIR at the folder that holds them";
      return false;
    }
  }
  SmallVector<StringRef> args = {linker, "-o", output, object};
  // An artifact calls its own code and kernels, even when loaded into a
  // program that exports symbols of the same names (a generator program
  // loading its draft model).
  if (emit == Emit::SharedLibrary)
    args.insert(args.begin() + 1, {"-shared", "-Wl,-Bsymbolic"});
  args.append(archives.begin(), archives.end());
  // An executable finds its own genc_main through dlsym: export it.
  if (emit == Emit::Executable)
    args.append({"-rdynamic", "-lstdc++", "-ldl", "-lpthread"});
  args.push_back("-lm");
  // A sanitized genc's kernels call the sanitizer runtime: an executable
  // links it, a library finds it in the program that loads it.
  if (StringRef(GENC_SANITIZE_LINK).size())
    args.push_back(GENC_SANITIZE_LINK);
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &error);
  if (rc != 0 && error.empty())
    error = "the linker (" + linker + ") failed with status " + std::to_string(rc);
  return rc == 0;
}
} // namespace

int ::genc::driver::runCompile(int argc, char **argv) {
  cl::OptionCategory &io = inputOutputCategory(), &codegen = codeGenerationCategory();
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.onnxtext>"),
                             cl::Required, cl::cat(io));
  cl::opt<std::string> output("o", cl::desc("Output file (weights go to <output>.weights)"),
                              cl::value_desc("file"), cl::Required, cl::cat(io));
  cl::opt<Emit, false, NamedValues<Emit>> emit(
      "emit", cl::desc("What to write"), cl::init(Emit::SharedLibrary),
      cl::values(clEnumValN(Emit::SharedLibrary, "so", "a shared library with a C ABI (default)"),
                 clEnumValN(Emit::Executable, "exe",
                            "a program: OUT --input NAME=FILE.npy ... --output-dir DIR"),
                 clEnumValN(Emit::Object, "obj", "an object file"),
                 clEnumValN(Emit::LLVMIR, "llvm", "LLVM IR, optimised"),
                 clEnumValN(Emit::MLIR, "mlir", "the LLVM-dialect MLIR module")),
      cl::cat(io));
  cl::opt<std::string> encoder(
      "encoder",
      cl::desc("The encoder of an encoder-decoder whose decoder is the model: the artifact "
               "encodes a source once per session (implies --kv-cache=session)"),
      cl::value_desc("encoder.onnx"), cl::cat(io));
  cl::opt<unsigned> optLevel("O", cl::desc("Optimisation level 0-3 (default 2)"), cl::Prefix,
                             cl::init(2), cl::cat(codegen));
  cl::opt<std::string> mcpu("mcpu", cl::desc("Target CPU (default: this machine's)"),
                            cl::init("host"), cl::cat(codegen));
  enum class KVCache { IO, Session };
  cl::opt<KVCache, false, NamedValues<KVCache>> kvCache(
      "kv-cache", cl::desc("Where a cached decoder keeps its KV cache"), cl::init(KVCache::IO),
      cl::values(
          clEnumValN(KVCache::IO, "io", "in the model's inputs and outputs, as exported (default)"),
          clEnumValN(KVCache::Session, "session",
                     "in a runtime session's buffers, written in place; logits only "
                     "for the positions the session asks for (genc generate, the "
                     "session API)")),
      cl::cat(codegen));
  cl::opt<bool> addKVCache(
      "add-kv-cache",
      cl::desc("Give a decoder exported without a KV cache one (exact; an error naming the "
               "ONNX node where genc cannot show it to be): past_key_values.* inputs and "
               "present.* outputs, or with --kv-cache=session the session's buffers"),
      cl::cat(codegen));
  cl::opt<bool> attentionLoops(
      "attention-loops",
      cl::desc("Lower f32 attention to loops that materialise the scores instead of the fused "
               "kernel (to compare the two)"),
      cl::cat(codegen));
  cl::opt<std::string> weights(
      "weights",
      cl::desc("How matmul weights are stored: f32 (default); int8 (a scale per output "
               "channel, activations rounded to 16-bit integers per row); bf16 (activations "
               "rounded to bf16 too); int4[:GROUP][:asym][:calibrated] (a scale per GROUP = 32 "
               "(default), 64 or 128 weights, symmetric; with asym, an offset too; with "
               ":calibrated, rounded GPTQ's way on --calibration-ids). All but f32 are "
               "approximate: docs/results.md states their perplexity cost"),
      cl::value_desc("format"), cl::init("f32"), cl::cat(codegen));
  cl::OptionCategory &rewrites = attentionRewritesCategory();
  AttentionRewritesOption attention(rewrites);
  cl::opt<std::string> reportPath(
      "report",
      cl::desc("Write what the model costs per layer (FLOPs and bytes per decode step and "
               "prefill token, KV cache, what --attention saves), the passes that changed it "
               "and, with --profile-input, time per op family: an HTML page with a roofline "
               "when FILE ends in .html, else JSON"),
      cl::value_desc("file.html|file.json"), cl::cat(io));
  cl::opt<int64_t> reportContext("report-context",
                                 cl::desc("The context length the report costs a decode step "
                                          "(and a prefill) at (default 4096, or the positions "
                                          "the model embeds if fewer)"),
                                 cl::init(4096), cl::cat(io));
  cl::opt<std::string> maxPplIncrease(
      "max-ppl-increase",
      cl::desc("Choose the attention rewrites: the most aggressive per-layer windows, BigBird "
               "blocks or linear attention (elu+1 or FAVOR+; and, with --calibration-ids, "
               "calibrated GQA) whose "
               "perplexity on --eval-ids stays within P percent of the model's"),
      cl::value_desc("P"), cl::cat(rewrites));
  cl::opt<std::string> evalIds(
      "eval-ids",
      cl::desc("Token ids (whitespace-separated) --max-ppl-increase measures perplexity on; "
               "with --report, the report's perplexity and top-1 agreement of the rewrites "
               "against the model without them, measured on these"),
      cl::value_desc("file"), cl::cat(rewrites));
  cl::opt<int64_t> evalContext("eval-context",
                               cl::desc("Perplexity windows of --eval-ids, and the context "
                                        "--max-ppl-increase counts costs at (default 1024)"),
                               cl::init(1024), cl::cat(rewrites));
  cl::list<std::string> profileInputs(
      "profile-input",
      cl::desc("Run the compiled model on these inputs (NAME=FILE.npy|.pb, comma-separated; "
               "repeat the option for several runs) and put its time per op family in the "
               "report; the artifact is built with a timing call per change of op family"),
      cl::value_desc("NAME=FILE,..."), cl::cat(io));
  registerCompileDebugOptions();
  Progress::registerQuietOption();
  hideOtherOptions();
  parseCommandLine(argc, argv, "genc compile: ONNX model → native code\n");
  if (!attention.valid())
    return 1;
  if (reportContext < 1) {
    llvm::errs() << "error: --report-context must be at least 1\n";
    return 1;
  }
  ::genc::driver::AttentionSearchOptions search;
  if (!maxPplIncrease.empty()) {
    llvm::StringRef budget = llvm::StringRef(maxPplIncrease).trim();
    budget.consume_back("%");
    if (budget.getAsDouble(search.maxIncreasePercent) || search.maxIncreasePercent <= 0) {
      llvm::errs() << "error: --max-ppl-increase takes a positive percentage, as 5 or 5%\n";
      return 1;
    }
    if (!attention.spec.empty() || evalIds.empty() || evalContext < 32) {
      llvm::errs() << "error: --max-ppl-increase chooses the rewrites itself: give --eval-ids "
                      "FILE (and --eval-context of at least 32), not --attention\n";
      return 1;
    }
  }
  if (!evalIds.empty() && maxPplIncrease.empty() &&
      (reportPath.empty() || attention.spec.empty() || evalContext < 32)) {
    llvm::errs() << "error: --eval-ids is read by --max-ppl-increase, or by --report to measure "
                    "what --attention costs: give --report FILE and --attention SPEC (and "
                    "--eval-context of at least 32)\n";
    return 1;
  }
  if (!evalIds.empty() && !encoder.empty()) {
    llvm::errs() << "error: --eval-ids scores a decoder-only model's text; an encoder-decoder's "
                    "(--encoder) is not scored: leave --eval-ids out\n";
    return 1;
  }
  search.evalIds = evalIds;
  search.context = evalContext;
  search.contextGiven = evalContext.getNumOccurrences() > 0;
  if (output == "-" && emit != Emit::MLIR) {
    llvm::errs() << "error: -o - (standard output) takes only --emit=mlir; the other outputs "
                    "come with a weights file beside them: name the file to write\n";
    return 1;
  }
  if (StringRef folder = llvm::sys::path::parent_path(output);
      output != "-" && !folder.empty() && !llvm::sys::fs::is_directory(folder)) {
    llvm::errs() << "error: -o " << output << ": there is no folder '" << folder
                 << "'; make it first\n";
    return 1;
  }
  if (llvm::sys::fs::is_directory(output)) {
    llvm::errs() << "error: -o " << output
                 << " is a directory; name the file to write (its weights go beside it, in "
                    "FILE.weights)\n";
    return 1;
  }
  if (!profileInputs.empty() && (reportPath.empty() || emit != Emit::SharedLibrary)) {
    llvm::errs() << "error: --profile-input times a shared library for the report: give "
                    "--report FILE.html (or .json) and keep --emit=so\n";
    return 1;
  }
  if (!profileInputs.empty() && (kvCache == KVCache::Session || !encoder.empty())) {
    llvm::errs() << "error: --profile-input runs the model on tensors, and --kv-cache=session "
                    "(or --encoder) compiles it for sessions: profile it with --kv-cache=io\n";
    return 1;
  }
  if (optLevel > 3) {
    llvm::errs() << "error: -O" << optLevel << " is not a level; use -O0 to -O3\n";
    return 1;
  }

  mlir::genc::CPUTargetOptions options;
  options.optLevel = optLevel;
  options.cpu = mcpu;
  options.fusedAttention = !attentionLoops;
  options.profileOpFamilies = !profileInputs.empty();
  std::string weightsError;
  FailureOr<mlir::genc::WeightFormat> weightFormat =
      mlir::genc::parseWeightFormat(weights, weightsError);
  if (failed(weightFormat)) {
    llvm::errs() << "error: --weights=" << weights << ": " << weightsError << "\n";
    return 1;
  }
  options.weights = *weightFormat;
  // Ids nothing reads would let a user believe something was calibrated.
  llvm::StringRef spec = attention.spec;
  if (!attention.calibrationIds.empty() && !options.weights.calibrated && maxPplIncrease.empty() &&
      !spec.contains(":grouped") && !spec.contains(":calibrated")) {
    llvm::errs() << "error: --calibration-ids is read by --weights=int4:...:calibrated, "
                    "--attention=gqa:G:grouped or gqa:G:calibrated, and --max-ppl-increase; "
                    "none is given, so nothing would be calibrated: add one or leave the ids "
                    "out\n";
    return 1;
  }
  ::genc::driver::GraphOptions graph;
  graph.forSession = kvCache == KVCache::Session;
  graph.addKVCache = addKVCache ? ::genc::driver::GraphOptions::AddKVCache::Yes
                                : ::genc::driver::GraphOptions::AddKVCache::No;
  graph.encoder = encoder;
  graph.attentionRewrites = attention.spec;
  graph.calibrationIds = attention.calibrationIds;
  ::genc::driver::CompileReport report;
  report.path = reportPath;
  report.model = input;
  report.rewrites = attention.spec;
  report.context = reportContext;
  report.contextGiven = reportContext.getNumOccurrences() > 0;
  report.evalIdsGiven = !evalIds.empty();
  if (!reportPath.empty())
    graph.report = &report;
  if (!maxPplIncrease.empty() || !evalIds.empty())
    graph.search = &search;
  if (!encoder.empty()) {
    if (kvCache.getNumOccurrences() && !graph.forSession) {
      llvm::errs() << "error: --encoder compiles an encoder-decoder for runtime sessions; "
                      "drop --kv-cache=io\n";
      return 1;
    }
    graph.forSession = true;
    graph.requireKVCache = false;
  }
  if (int status = compileModel(input, output, emit, options, graph))
    return status;
  if (reportPath.empty())
    return 0;
  ::genc::driver::applyWeightFormat(report.matmuls, options.weights);
  if (!profileInputs.empty() && !::genc::driver::profileArtifact(output, profileInputs, report))
    return 1;
  // As many threads as the runtime's default: every CPU this process may use.
  report.machine = ::genc::driver::measureMachinePeak(
      llvm::hardware_concurrency().compute_thread_count());
  return ::genc::driver::writeCompileReport(report) ? 0 : 1;
}

::genc::driver::AttentionRewritesOption::AttentionRewritesOption(cl::OptionCategory &category)
    : spec("attention",
           cl::desc("Rewrite attention layers (approximate unless the model was trained that "
                    "way): window:W, sinks:S, global:N, gqa:G[:mean|:grouped|:calibrated], "
                    "bigbird:B[:R[:G]], lsh:B[:H[:C]], linear, performer:M, comma-separated, "
                    "each optionally @layers=L-M+N (docs/cli.md)"),
           cl::value_desc("spec"), cl::cat(category)),
      calibrationIds("calibration-ids",
                     cl::desc("Token ids (whitespace-separated) on which gqa:G:grouped "
                              "chooses its groups and gqa:G:calibrated fits its shared "
                              "key/value heads"),
                     cl::value_desc("file"), cl::cat(category)) {}

bool ::genc::driver::checkAttentionRewrites(StringRef spec, bool given) {
  if (spec.empty() && given) {
    llvm::errs() << "error: --attention needs a rewrite (for example window:256, docs/cli.md); "
                    "leave the option out to keep attention dense\n";
    return false;
  }
  std::string error;
  if (spec.empty() || mlir::genc::parseAttentionRewrites(spec, error))
    return true;
  llvm::errs() << "error: " << error << "\n";
  return false;
}

void ::genc::driver::registerCompileDebugOptions() {
  mlir::genc::registerCPUTargetPasses(); // so that --mlir-print-ir-after can name them
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  // The ones worth knowing about when debugging the lowering; the others
  // stay in --help-hidden.
  addToCategory({"mlir-print-ir-after", "mlir-print-ir-after-all", "mlir-print-ir-before",
                 "mlir-print-ir-before-all", "mlir-elide-elementsattrs-if-larger",
                 "mlir-elide-resource-strings-if-larger"},
                diagnosticsCategory());
}

/// Turns LLVM's tail merging off unless the command line set it (LLVM's
/// hidden --enable-tail-merge). A model's entry function has a couple of
/// thousand blocks of much the same code (a branch per parallel loop, a
/// test per allocation), whose tails the branch folder compares: for a
/// 12-layer model, 40-50% of code generation's time, for a step's time
/// within this machine's drift (docs/results.md).
static void keepTailsApart() {
  auto &registered = cl::getRegisteredOptions();
  auto option = registered.find("enable-tail-merge");
  if (option != registered.end() && option->second->getNumOccurrences() == 0)
    option->second->addOccurrence(0, "enable-tail-merge", "false");
}

/// Whether @main takes a KV cache (past_key_values.* inputs).
static bool takesKVCache(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  for (unsigned i = 0; main && i < main.getNumArguments(); ++i)
    if (auto name = main.getArgAttrOfType<StringAttr>(i, "genc.name");
        name && name.getValue().starts_with("past_key_values."))
      return true;
  return false;
}

/// Whether genc-add-kv-cache runs on `module` (which it refuses when the
/// model has a cache and --add-kv-cache was asked for, not merely allowed).
static bool addsKVCache(ModuleOp module, const ::genc::driver::GraphOptions &graph) {
  using AddKVCache = ::genc::driver::GraphOptions::AddKVCache;
  return graph.addKVCache == AddKVCache::Yes ||
         (graph.addKVCache == AddKVCache::WhereMissing && !takesKVCache(module));
}

/// Exports without a cache may name attention_mask's second dim as
/// input_ids' (both are the sequence then), and cleanup would take the two
/// for one length; with the cache genc-add-kv-cache adds, the mask covers
/// the past too. Renamed before cleanup, as exports with a cache name it.
static void separateMaskLength(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return;
  auto dimNamesOf = [&](StringRef name) -> std::pair<int, ArrayAttr> {
    std::optional<BlockArgument> arg = mlir::genc::argumentNamed(main, name);
    if (!arg)
      return {-1, ArrayAttr()};
    unsigned i = arg->getArgNumber();
    return {int(i), main.getArgAttrOfType<ArrayAttr>(i, "genc.dim_names")};
  };
  auto [ids, idsNames] = dimNamesOf("input_ids");
  auto [mask, maskNames] = dimNamesOf("attention_mask");
  if (ids < 0 || mask < 0 || !idsNames || !maskNames || idsNames.size() < 2 ||
      maskNames.size() < 2 || idsNames[1] != maskNames[1])
    return;
  SmallVector<Attribute> renamed(maskNames.getValue());
  renamed[1] = StringAttr::get(module.getContext(), "total_sequence_length");
  main.setArgAttr(mask, "genc.dim_names", ArrayAttr::get(module.getContext(), renamed));
}

/// Records `pm`'s passes in the report `graph` asks for, if any, and makes
/// a pass that fails silently say so.
static void instrument(PassManager &pm, const ::genc::driver::GraphOptions &graph) {
  ::genc::driver::reportSilentPassFailures(pm);
  if (graph.report)
    ::genc::driver::recordPasses(pm, *graph.report);
}

/// The graph transforms `graph` asks for, on the cleaned-up module.
static LogicalResult applyGraphOptions(ModuleOp module, StringRef input,
                                       const ::genc::driver::GraphOptions &graph) {
  PassManager pm(module.getContext());
  instrument(pm, graph);
  if (addsKVCache(module, graph)) {
    // The layers whose keys and values the cache keeps are genc.attention ops.
    pm.addNestedPass<func::FuncOp>(mlir::genc::createRaiseAttention());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(mlir::genc::createAddKVCache());
    pm.addPass(createCanonicalizerPass());
  }
  if (!graph.forSession)
    return pm.run(module);
  pm.addNestedPass<func::FuncOp>(mlir::genc::createCrossAttentionFromFirstStep());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createSelectCacheBranch());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createKVCacheInPlace());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createLogitsForRequestedPositions());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(module)))
    return failure();
  module->setAttr(mlir::genc::kSessionAttr, UnitAttr::get(module.getContext()));
  auto main = module.lookupSymbol<func::FuncOp>("main");
  for (unsigned i = 0; main && i < main.getNumArguments(); ++i)
    if (main.getArgAttr(i, mlir::genc::kKVCacheAttr))
      return success();
  if (!graph.requireKVCache)
    return success();
  // Named as a cache but not concatenated as one (a fused key_value, say).
  for (unsigned i = 0; main && i < main.getNumArguments(); ++i)
    if (auto name = main.getArgAttrOfType<StringAttr>(i, "genc.name");
        name && name.getValue().starts_with("past_key_values.")) {
      llvm::errs() << "error: " << input << ": --kv-cache=session: input " << name.getValue()
                   << " is named as a KV cache, but genc did not recognise it as one: a session "
                      "keeps keys and values [batch, heads, sequence, head_size] of separate "
                      "inputs past_key_values.{i}.key and .value whose present.{i} outputs "
                      "concatenate the new ones along the sequence (a fused key_value cache is "
                      "not one). Export the model with that cache, or compile it without "
                      "--kv-cache\n";
      return failure();
    }
  llvm::errs() << "error: " << input
               << ": --kv-cache=session needs a model exported with a KV cache (inputs "
                  "past_key_values.* whose present.* outputs concatenate new keys and "
                  "values along the sequence axis); this one has none. Give --add-kv-cache to let "
                  "genc add one, compile it without --kv-cache, or export it with use_cache=True\n";
  return failure();
}

/// Replaces the exporter's spelling of attention, rotary embedding,
/// normalisations and activations by genc ops (exact), after the graph options and the
/// encoder, which look for attention's softmax.
static LogicalResult raiseKnownPatterns(ModuleOp module,
                                        const ::genc::driver::GraphOptions &graph) {
  PassManager pm(module.getContext());
  instrument(pm, graph);
  pm.addNestedPass<func::FuncOp>(mlir::genc::createRaiseAttention());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createRaiseRotary());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createRaiseNorms());
  pm.addNestedPass<func::FuncOp>(mlir::genc::createRaiseActivations());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

/// Applies `--attention` (approximate) and records the layers' costs
/// before and after in the report asked for.
static LogicalResult rewriteAttention(ModuleOp module,
                                      const ::genc::driver::GraphOptions &graph) {
  using namespace ::genc::driver;
  std::vector<AttentionLayer> before = describeAttentionLayers(module);
  // Grouped before the rewrite, whose own small matmuls (calibrated GQA's
  // maps) would hide the projections from the attention they feed.
  MatmulLayers matmuls;
  if (graph.report)
    matmuls = describeMatmuls(module, before.size());
  if (!graph.attentionRewrites.empty()) {
    PassManager pm(module.getContext());
    instrument(pm, graph);
    pm.addPass(mlir::genc::createRewriteAttention({graph.attentionRewrites}));
    pm.addPass(createCanonicalizerPass());
    if (failed(pm.run(module)))
      return failure();
  }
  if (CompileReport *report = graph.report) {
    // Costs at a context the model cannot reach describe no run of it: the
    // default stays within reach, and a context given past it is flagged.
    auto main = module.lookupSymbol<func::FuncOp>("main");
    auto limit = main ? mlir::genc::positionLimit(main) : std::nullopt;
    if (limit && !report->contextGiven)
      report->context = std::min(report->context, limit->first);
    if (limit && report->context > limit->first) {
      std::string node = mlir::genc::modelLocationOf(limit->second->getLoc()).node;
      llvm::errs() << "note: --report-context " << report->context << ": the model embeds "
                   << limit->first << " positions"
                   << (node.empty() ? "" : " (node '" + node + "' reads them from a table)")
                   << ", so the report's costs are for a context it cannot reach\n";
    }
    report->before = std::move(before);
    report->after = describeAttentionLayers(module);
    report->matmuls = std::move(matmuls);
  }
  return success();
}

/// Lets the session keep only the window of windowed layers' caches: the
/// export's windows and `--attention`'s.
static LogicalResult rollWindowCaches(ModuleOp module, const ::genc::driver::GraphOptions &graph) {
  PassManager pm(module.getContext());
  instrument(pm, graph);
  pm.addNestedPass<func::FuncOp>(mlir::genc::createRollWindowCaches());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(module)))
    return failure();
  // The caches held are those that slid.
  if (graph.report)
    graph.report->after = ::genc::driver::describeAttentionLayers(module);
  return success();
}

/// Decoder inputs that come from the encoder, and where: Optimum's names.
static constexpr std::pair<StringRef, StringRef> kSourceInputs[] = {
    {"encoder_hidden_states", "the encoder's output"},
    {"encoder_attention_mask", "the encoder's input attention_mask"},
};

/// What feeds the decoder's source input `name` in the encoder: its output
/// `last_hidden_state` (or its only output), or its input `attention_mask`.
static FailureOr<Value> sourceValue(StringRef name, func::FuncOp encoder, ValueRange arguments,
                                    ValueRange results, StringRef encoderPath) {
  auto find = [](ArrayRef<DictionaryAttr> attrs, StringRef wanted) -> std::optional<unsigned> {
    for (auto [i, dict] : llvm::enumerate(attrs))
      if (auto n = dict ? dict.getAs<StringAttr>("genc.name") : StringAttr(); n && n == wanted)
        return i;
    return std::nullopt;
  };
  SmallVector<DictionaryAttr> argAttrs, resultAttrs;
  encoder.getAllArgAttrs(argAttrs);
  encoder.getAllResultAttrs(resultAttrs);
  if (name == "encoder_hidden_states") {
    if (auto i = find(resultAttrs, "last_hidden_state"))
      return results[*i];
    if (results.size() == 1)
      return results.front();
    return emitError(encoder.getLoc()) << encoderPath << ": the encoder has " << results.size()
                               << " outputs and none is named last_hidden_state: which one "
                                  "feeds the decoder's encoder_hidden_states?";
  }
  if (auto i = find(argAttrs, "attention_mask"))
    return arguments[*i];
  return emitError(encoder.getLoc()) << encoderPath << ": the decoder takes " << name
                             << " but the encoder has no input attention_mask to feed it";
}

/// Marks the decoder step's inputs that come from the encoder (genc.source);
/// whether encoder_hidden_states is one.
static bool markSourceInputs(ModuleOp decoder) {
  auto step = decoder.lookupSymbol<func::FuncOp>("main");
  bool hasHiddenStates = false;
  for (unsigned i = 0; step && i < step.getNumArguments(); ++i) {
    auto name = step.getArgAttrOfType<StringAttr>(i, "genc.name");
    if (!name || !llvm::is_contained(llvm::make_first_range(kSourceInputs), name.getValue()))
      continue;
    step.setArgAttr(i, mlir::genc::kSourceAttr, UnitAttr::get(decoder.getContext()));
    hasHiddenStates |= name.getValue() == "encoder_hidden_states";
  }
  return hasHiddenStates;
}

/// Makes `encoder`'s @main the entry point @encoder of `decoder`'s module:
/// it encodes the source and computes what the decoder step (@main) needs
/// from it, which genc-split-source-computation moved out of the step.
static LogicalResult attachEncoder(ModuleOp decoder, ModuleOp encoder, StringRef decoderPath,
                                   const ::genc::driver::GraphOptions &graph) {
  StringRef encoderPath = graph.encoder;
  auto step = decoder.lookupSymbol<func::FuncOp>("main");
  auto encode = encoder.lookupSymbol<func::FuncOp>("main");
  if (!markSourceInputs(decoder))
    return emitError(step.getLoc())
           << decoderPath
           << ": --encoder needs a decoder with an input "
              "encoder_hidden_states (the encoder's output); this one has none. "
              "Optimum's decoder_with_past_model.onnx takes the cross-attention's "
              "keys and values instead (past_key_values.*.encoder.*), which only "
              "its first step computes: compile decoder_model_merged.onnx, which "
              "has both steps";
  // The coverage penalty reads the cross-attention: returned as the export
  // does, or found.
  PassManager pm(decoder.getContext());
  instrument(pm, graph);
  pm.addNestedPass<func::FuncOp>(mlir::genc::createExposeCrossAttention());
  pm.addPass(mlir::genc::createSplitSourceComputation());
  if (failed(pm.run(decoder)))
    return failure();
  auto source = decoder.lookupSymbol<func::FuncOp>("main_source");

  // @encoder: the encoder's body, then the source function's, cloned.
  OpBuilder b = OpBuilder::atBlockEnd(decoder.getBody());
  auto entry = func::FuncOp::create(
      b, encode.getLoc(), "encoder",
      b.getFunctionType(encode.getArgumentTypes(), source.getResultTypes()));
  SmallVector<DictionaryAttr> argAttrs, resultAttrs;
  encode.getAllArgAttrs(argAttrs);
  entry.setAllArgAttrs(argAttrs);
  source.getAllResultAttrs(resultAttrs);
  entry.setAllResultAttrs(resultAttrs);
  Block *body = entry.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping map;
  map.map(encode.getArguments(), body->getArguments());
  for (Operation &op : encode.getBody().front().without_terminator())
    b.clone(op, map);
  SmallVector<Value> encoded;
  for (Value v : encode.getBody().front().getTerminator()->getOperands())
    encoded.push_back(map.lookup(v));
  for (auto [i, arg] : llvm::enumerate(source.getArguments())) {
    auto name = source.getArgAttrOfType<StringAttr>(i, "genc.name");
    FailureOr<Value> value =
        sourceValue(name.getValue(), encode, body->getArguments(), encoded, encoderPath);
    if (failed(value))
      return failure();
    if (value->getType() != arg.getType()) {
      if (!tensor::CastOp::areCastCompatible(value->getType(), arg.getType()))
        return emitError(encode.getLoc()) << encoderPath << ": the encoder's " << name.getValue()
                                  << " is " << value->getType() << " but the decoder takes "
                                  << arg.getType();
      *value = tensor::CastOp::create(b, entry.getLoc(), arg.getType(), *value);
    }
    map.map(arg, *value);
  }
  for (Operation &op : source.getBody().front().without_terminator())
    b.clone(op, map);
  SmallVector<Value> results;
  for (Value v : source.getBody().front().getTerminator()->getOperands())
    results.push_back(map.lookup(v));
  func::ReturnOp::create(b, entry.getLoc(), results);
  source.erase();
  return success();
}

/// How the artifact was compiled, as `key value` lines (mlir::genc::
/// kBuildInfoAttr; the target adds the CPU): for `genc inspect`, which
/// cannot tell them from the code. Each matmul's operand and result types
/// are read from the graph before lowering, where they are still the
/// model's.
static std::string describeBuild(ModuleOp module, StringRef input, Emit emit,
                                 const mlir::genc::CPUTargetOptions &options,
                                 const ::genc::driver::GraphOptions &graph) {
  static constexpr StringRef kEmitNames[] = {"so", "exe", "obj", "llvm", "mlir"};
  std::string text = "genc-build-info 1\n";
  llvm::raw_string_ostream os(text);
  os << "version " << GENC_VERSION << "\n"
     << "model " << llvm::sys::path::filename(input) << "\n";
  if (!graph.encoder.empty())
    os << "encoder " << llvm::sys::path::filename(graph.encoder) << "\n";
  os << "emit " << kEmitNames[static_cast<int>(emit)] << "\n"
     << "opt " << options.optLevel << "\n"
     << "mcpu " << options.cpu << "\n"
     << "attention " << (options.fusedAttention ? "fused" : "loops") << "\n"
     << "kv-cache " << (graph.forSession ? "session" : "io") << "\n";
  if (graph.addKVCache != ::genc::driver::GraphOptions::AddKVCache::No)
    os << "add-kv-cache yes\n";
  os << "profile " << (options.profileOpFamilies ? "op-families" : "none") << "\n"
     << "weights "
     << options.weights.str()
     << "\n";
  module.walk([&](Operation *op) {
    StringRef kind = op->getName().getStringRef();
    if (kind != "genc.matmul" && kind != "genc.gemm")
      return;
    auto elementType = [](Value v) -> std::string {
      std::string type;
      llvm::raw_string_ostream ts(type);
      ts << getElementTypeOrSelf(v.getType());
      return type;
    };
    std::string name = mlir::genc::modelLocationOf(op->getLoc()).node;
    if (name.empty())
      name = "-";
    auto fn = op->getParentOfType<func::FuncOp>();
    // Constant f32 weights are stored in --weights's format, the
    // activations rounded to match (as the compile report states them).
    std::string lhs = elementType(op->getOperand(0)), rhs = elementType(op->getOperand(1));
    using Kind = mlir::genc::WeightFormat::Kind;
    if (std::optional<std::string> grid = ::genc::driver::modelWeightGrid(op)) {
      // Quantised in the model (MatMulNBits, DequantizeLinear): stored on its grid.
      lhs = "int16";
      rhs = *grid;
    } else if (::genc::driver::storesInt8Integers(op)) {
      // MatMulInteger's products: integer codes of both operands, exact.
      lhs = "int16";
      rhs = "int8:exact";
    } else if (options.weights.kind != Kind::F32 && ::genc::driver::convertedByWeightFormat(op)) {
      lhs = options.weights.kind == Kind::BF16 ? "bf16" : "int16";
      rhs = options.weights.kind == Kind::Int8PerChannel ? "int8" : options.weights.str();
    }
    // The name last: ONNX node names may hold spaces.
    os << "matmul " << (fn ? fn.getSymName() : StringRef("-")) << " " << lhs << " " << rhs << " "
       << elementType(op->getResult(0)) << " " << name << "\n";
  });
  os << "attention-rewrites "
     << (graph.attentionRewrites.empty() ? StringRef("none") : StringRef(graph.attentionRewrites))
     << "\n";
  return text;
}

/// Has `paths` removed when a signal ends the process. LLVM then handles
/// the terminating signals, also those that were ignored (SIGHUP under
/// `nohup`, SIGINT and SIGQUIT in a script's background job): those stay
/// ignored.
static void removeOnSignal(llvm::ArrayRef<std::string> paths) {
  constexpr int kSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
  bool ignored[std::size(kSignals)];
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    struct sigaction action;
    ignored[i] = sigaction(kSignals[i], nullptr, &action) == 0 && action.sa_handler == SIG_IGN;
  }
  for (const std::string &path : paths)
    llvm::sys::RemoveFileOnSignal(path);
  for (size_t i = 0; i < std::size(kSignals); ++i)
    if (ignored[i])
      signal(kSignals[i], SIG_IGN);
}

/// --weights converts 2-D f32 constant weights on the right of a matmul;
/// says which matmuls with other constant operands keep them as they are,
/// so that a format asked for is never silently not applied.
static void noteWeightsLeftAsTheyAre(ModuleOp module, const mlir::genc::WeightFormat &format) {
  int64_t converted = 0, ownGrid = 0;
  SmallVector<std::string> kept;
  module.walk([&](Operation *op) {
    StringRef kind = op->getName().getStringRef();
    if (kind != "genc.matmul" && kind != "genc.gemm")
      return;
    if (::genc::driver::convertedByWeightFormat(op)) {
      ++converted;
      return;
    }
    // The model's own int4 or int8 grid, stored as it is; MatMulInteger's
    // exact products, never rounded (int8 where its codes fit, else f32).
    if (::genc::driver::modelWeightGrid(op) || op->hasAttr(mlir::genc::kExactProductsAttrName)) {
      ++ownGrid;
      return;
    }
    if (llvm::any_of(op->getOperands().take_front(2),
                     [](Value v) { return matchPattern(v, mlir::m_Constant()); })) {
      std::string node = mlir::genc::modelLocationOf(op->getLoc()).node;
      kept.push_back(node.empty() ? kind.str() : "'" + node + "'");
    }
  });
  if (converted == 0 && kept.empty()) {
    llvm::errs() << "note: --weights=" << format.str()
                 << (ownGrid ? ": the model's weights are its own quantised ones (MatMulNBits, "
                               "DequantizeLinear, MatMulInteger), which keep their codes"
                             : ": the model has no matmul with constant weights")
                 << "; the artifact is as without it\n";
    return;
  }
  if (kept.empty())
    return;
  constexpr size_t kNamed = 3;
  std::string names = llvm::join(llvm::ArrayRef(kept).take_front(kNamed), ", ");
  if (kept.size() > kNamed)
    names += ", ...";
  llvm::errs() << "note: --weights=" << format.str() << " stores " << converted
               << " matmul weights in its format and leaves " << kept.size()
               << " as the model has them (" << names
               << "): it converts 2-D constant weights on the right of a MatMul or Gemm\n";
}

int ::genc::driver::compileModel(llvm::StringRef input, llvm::StringRef output, Emit emit,
                                 const mlir::genc::CPUTargetOptions &options,
                                 const GraphOptions &graph) {
  Progress &progress = Progress::get();
  progress.beginTask(("compiling " + input).str());
  DialectRegistry registry;
  mlir::genc::registerCPUTargetDialects(registry);
  MLIRContext context(registry);
  installPlainDiagnostics(context);
  progress.beginPhase("import");
  // A session owns the KV cache: GroupQueryAttention's past is then
  // exactly the past, the form its cache passes recognise.
  mlir::genc::ImportOptions importOptions;
  importOptions.gqaPastIsBuffer = !graph.forSession;
  auto module = mlir::genc::importOnnxModel(input, context, importOptions);
  FailureOr<OwningOpRef<ModuleOp>> encoder = failure();
  if (!graph.encoder.empty())
    encoder = mlir::genc::importOnnxModel(graph.encoder, context, importOptions);
  if (failed(module) || (!graph.encoder.empty() && failed(encoder)))
    return 1;
  if (graph.forSession && graph.encoder.empty()) {
    auto main = (*module)->lookupSymbol<func::FuncOp>("main");
    for (unsigned i = 0; main && i < main.getNumArguments(); ++i)
      if (auto name = main.getArgAttrOfType<StringAttr>(i, "genc.name");
          name && llvm::is_contained(llvm::make_first_range(kSourceInputs), name.getValue())) {
        llvm::errs() << "error: " << input << ": the model takes " << name.getValue()
                     << ": it is an encoder-decoder's decoder; compile it with its encoder "
                        "(--encoder ENCODER.onnx) for a session, or without --kv-cache=session\n";
        return 1;
      }
  }
  if (addsKVCache(**module, graph))
    separateMaskLength(**module);
  progress.beginPhase("cleanup");
  if (failed(cleanUp(**module, graph.report)) ||
      (!graph.encoder.empty() && failed(cleanUp(**encoder, graph.report))))
    return 1;
  progress.beginPhase("graph transforms");
  // Before genc-add-kv-cache, which keeps computing from the source.
  if (!graph.encoder.empty())
    markSourceInputs(**module);
  if (failed(applyGraphOptions(**module, input, graph)))
    return 1;
  if (!graph.encoder.empty() && failed(attachEncoder(**module, **encoder, input, graph)))
    return 1;
  if (failed(raiseKnownPatterns(**module, graph)))
    return 1;
  // --max-ppl-increase chooses the rewrites, compiling and scoring candidates.
  GraphOptions rewritten = graph;
  if (graph.search && graph.search->maxIncreasePercent > 0) {
    std::optional<std::string> spec =
        ::genc::driver::searchAttentionRewrites(**module, input, graph, *graph.search);
    if (!spec)
      return 1;
    rewritten.attentionRewrites = *spec;
    if (graph.report)
      graph.report->rewrites = *spec;
  }
  if (failed(::genc::driver::calibrateGroupedQuery(**module, input, rewritten)) ||
      failed(rewriteAttention(**module, rewritten)) ||
      (graph.forSession && failed(rollWindowCaches(**module, graph))))
    return 1;
  // The rewrites' cost in quality, for the report: the model compiled with
  // and without them, scored on --eval-ids.
  if (graph.report && graph.search && !rewritten.attentionRewrites.empty()) {
    progress.beginPhase("quality");
    ::genc::driver::RewriteQuality quality;
    if (!::genc::driver::measureRewriteQuality(input, graph, rewritten.attentionRewrites,
                                               *graph.search, quality))
      return 1;
    graph.report->quality = quality;
  }
  if (graph.exposeMatmulInputs) {
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(mlir::genc::createExposeMatmulInputs());
    if (failed(pm.run(**module)))
      return 1;
  }
  if (options.weights.calibrated) {
    progress.beginPhase("calibration");
    if (failed(::genc::driver::calibrateMatmulWeights(**module, input, rewritten)))
      return 1;
  }
  (**module)->setAttr(mlir::genc::kBuildInfoAttr,
                     StringAttr::get(&context, describeBuild(**module, input, emit, options,
                                                             rewritten)));
  if (options.weights.kind != mlir::genc::WeightFormat::Kind::F32)
    noteWeightsLeftAsTheyAre(**module, options.weights);
  progress.beginPhase("lowering");
  mlir::genc::CPUTarget target(options);
  {
    PassManager pm(&context);
    instrument(pm, graph);
    // The command line's pass-manager options (IR printing, ...).
    if (failed(applyPassManagerCLOptions(pm))) {
      llvm::errs() << "error: internal error: the pass manager's options are not registered\n";
      return 1;
    }
    target.buildPipeline(pm);
    if (failed(pm.run(**module)))
      return 1;
  }

  std::string error;
  // Writes a text form of the result to `output`; 0 on success.
  auto writeText = [&](llvm::function_ref<LogicalResult(llvm::raw_pwrite_stream &)> print) {
    auto out = openOutputFile(output, &error);
    if (!out) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    if (failed(print(out->os()))) {
      progress.breakLine();
      llvm::errs() << "error: " << input << ": " << error << "\n";
      return 1;
    }
    out->keep();
    progress.endTask(("wrote " + output).str());
    return 0;
  };
  if (emit == Emit::MLIR)
    return writeText([&](llvm::raw_pwrite_stream &os) {
      (*module)->print(os);
      return success();
    });

  // The weights and the code are written under names of this process's,
  // then renamed over OUT.weights and OUT, weights first: a program running
  // the previous artifact keeps the files it mapped (rewritten in place,
  // its weights would change under it, or vanish: SIGBUS), two compiles to
  // one name do not mix their files, and a failed compile (an interrupted
  // one too) leaves the previous artifact as it was. (Should the second
  // rename fail, OUT.weights is new and OUT old: the runtime refuses the
  // pair by its hashes.)
  // An OUT that is a symbolic link stays one: the files go where it points.
  SmallString<256> destination(output);
  if (llvm::sys::fs::is_symlink_file(output))
    if (llvm::sys::fs::real_path(output, destination))
      destination = output; // dangling: the link is replaced
  const std::string staging =
      (destination + "." + std::to_string(llvm::sys::Process::getProcessId()) + ".tmp").str();
  const std::string weights = (destination + ".weights").str(),
                    stagedWeights = staging + ".weights";
  const std::string stagedFiles[] = {staging, stagedWeights, staging + ".o"};
  removeOnSignal(stagedFiles);
  auto fail = [&](const Twine &message) {
    progress.breakLine();
    llvm::errs() << "error: " << message << "\n";
    for (const std::string &path : stagedFiles)
      llvm::sys::fs::remove(path);
    return 1;
  };
  auto putInPlace = [&](StringRef from, StringRef to) {
    if (std::error_code ec = llvm::sys::fs::rename(from, to))
      return fail("cannot write '" + to + "': " + ec.message());
    llvm::sys::DontRemoveFileOnSignal(from);
    return 0;
  };
  progress.beginPhase("weights");
  if (failed(target.writeWeights(
          **module, stagedWeights, error,
          [&](uint64_t written, uint64_t total) { progress.reportBytes(written, total); })))
    return fail(error);

  progress.beginPhase("LLVM code generation");
  if (emit == Emit::LLVMIR) {
    if (int status = writeText([&](llvm::raw_pwrite_stream &os) {
          return target.writeCode(**module, os, mlir::genc::CodeForm::TextualIR, error);
        })) {
      llvm::sys::fs::remove(stagedWeights);
      return status;
    }
    return putInPlace(stagedWeights, weights);
  }

  keepTailsApart();
  bool linked = emit == Emit::SharedLibrary || emit == Emit::Executable;
  const std::string object = linked ? staging + ".o" : staging;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(object, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail("cannot write '" + object + "': " + ec.message());
    if (failed(target.writeCode(**module, os, mlir::genc::CodeForm::Object, error)))
      return fail(input + ": " + error);
  }
  if (linked) {
    progress.beginPhase("link");
    bool ok = link(emit, object, staging, error);
    llvm::sys::fs::remove(object);
    if (!ok)
      return fail("linking '" + output + "': " + error);
  }
  if (int status = putInPlace(stagedWeights, weights))
    return status;
  if (int status = putInPlace(staging, destination))
    return status;
  // Loading OUT, a link, prefers weights beside it to those beside its target.
  SmallString<256> besideLink;
  if (destination != output && !llvm::sys::fs::real_path(output + ".weights", besideLink) &&
      besideLink != weights) {
    progress.breakLine();
    llvm::errs() << "note: " << output << ".weights lies beside the link " << output << ": loading "
                 << output << " reads it, not the new " << weights << "; remove it\n";
  }
  progress.endTask(("wrote " + output).str());
  return 0;
}

std::optional<std::string> (::genc::driver::compiledArtifact)(llvm::StringRef model,
                                                            const GraphOptions &graph) {
  if (!model.ends_with(".onnx") && !model.ends_with(".onnxtext")) {
    for (auto [given, option] : {std::pair(!graph.attentionRewrites.empty(), "--attention"),
                                 std::pair(!graph.encoder.empty(), "--encoder")})
      if (given) {
        llvm::errs() << "error: " << option << " applies as a model compiles, and " << model
                     << " is compiled already; give the .onnx model, or compile it with "
                        "genc compile "
                     << option << "\n";
        return std::nullopt;
      }
    return model.str();
  }
  auto buffer = llvm::MemoryBuffer::getFile(model);
  llvm::MD5 hash;
  hash.update(buffer ? (*buffer)->getBuffer() : model);
  // Run-time errors name the model's file as given: a copy elsewhere gets
  // its own artifact, whose errors name the copy.
  hash.update("path:" + model.str());
  hash.update(GENC_VERSION);
  hash.update(GENC_SIGNATURE_VERSION_LINE); // what the runtime beside this genc reads
  hash.update(graph.forSession ? "kv-cache=session" : "kv-cache=io");
  if (graph.addKVCache != GraphOptions::AddKVCache::No)
    hash.update("add-kv-cache");
  hash.update("attention=" + graph.attentionRewrites);
  if (graph.exposeMatmulInputs)
    hash.update("expose-matmul-inputs");
  if (!graph.calibrationIds.empty()) {
    auto ids = llvm::MemoryBuffer::getFile(graph.calibrationIds);
    hash.update("calibration=" + (ids ? (*ids)->getBuffer().str() : graph.calibrationIds));
  }
  // Weights in external data files: their size and time stand for their
  // bytes (hashing gigabytes per command would cost more than it saves).
  for (llvm::StringRef path : {model, llvm::StringRef(graph.encoder)})
    for (const std::string &file : mlir::genc::listExternalDataFiles(path)) {
      llvm::sys::fs::file_status status;
      hash.update(file);
      if (!llvm::sys::fs::status(file, status))
        hash.update(std::to_string(status.getSize()) + "@" +
                    std::to_string(status.getLastModificationTime().time_since_epoch().count()));
    }
  // Code for this machine's CPU: a cache shared with another CPU must not
  // hand it instructions it lacks.
  hash.update(llvm::sys::getHostCPUName());
  for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
    hash.update((enabled ? "+" : "-") + feature.str());
  if (!graph.encoder.empty()) {
    auto encoder = llvm::MemoryBuffer::getFile(graph.encoder);
    hash.update("encoder:");
    hash.update(encoder ? (*encoder)->getBuffer() : StringRef(graph.encoder));
  }
  static int anchor;
  llvm::sys::fs::file_status self;
  if (!llvm::sys::fs::status(llvm::sys::fs::getMainExecutable("genc", &anchor), self))
    hash.update(std::to_string(self.getSize()) + "@" +
                std::to_string(self.getLastModificationTime().time_since_epoch().count()));
  llvm::MD5::MD5Result digest;
  hash.final(digest);
  SmallString<256> dir;
  std::string chosenBy;
  if (const char *env = std::getenv("GENC_CACHE_DIR")) {
    dir = env;
    chosenBy = "GENC_CACHE_DIR";
  } else if (const char *xdg = std::getenv("XDG_CACHE_HOME")) {
    llvm::sys::path::append(dir, xdg, "genc");
    chosenBy = "$XDG_CACHE_HOME/genc";
  } else if (const char *home = std::getenv("HOME")) {
    llvm::sys::path::append(dir, home, ".cache", "genc");
    chosenBy = "$HOME/.cache/genc";
  } else {
    dir = "/tmp/genc-cache";
    chosenBy = "the default without HOME";
  }
  SmallString<256> artifactPath(dir);
  llvm::sys::path::append(artifactPath, digest.digest().str() + ".so");
  std::string artifact(artifactPath);
  // A cache that holds the model is read even where it cannot be written.
  if (llvm::sys::fs::exists(artifact) && llvm::sys::fs::exists(artifact + ".weights"))
    return artifact;
  std::error_code ec = llvm::sys::fs::create_directories(dir);
  if (!ec && llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    ec = std::make_error_code(std::errc::permission_denied);
  if (ec) {
    llvm::errs() << "error: " << model << " is compiled into genc's cache, the folder '" << dir
                 << "' (" << chosenBy << "), which cannot be written: " << ec.message()
                 << "; set GENC_CACHE_DIR to a folder you can write, or compile the model "
                    "yourself with genc compile and give the .so\n";
    return std::nullopt;
  }
  // compileModel writes under names of this process's and renames the
  // weights first: another genc looking at the cache sees both files whole
  // or none, two that compile one model at once write different files, and
  // a failed compile leaves nothing behind in the shared cache.
  if (compileModel(model, artifact, Emit::SharedLibrary, mlir::genc::CPUTargetOptions(), graph))
    return std::nullopt;
  return artifact;
}
