//===- ImportCommand.cpp - `genc import` -----------------------------------===//

#include "Commands.h"
#include "CompileReport.h"
#include "Help.h"
#include "Progress.h"

#include "genc/Import/OnnxImporter.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

/// Prints the module's ops but not its resource section: MLIR's elision
/// still hex-encodes every blob before dropping it (seconds and twice the
/// weight bytes for a GPT-2-sized model). Ops keep their dense_resource
/// references, so the output shows where each weight is used.
static void printWithoutWeights(ModuleOp module, llvm::raw_ostream &os) {
  AsmState state(module);
  os << "module {\n";
  for (Operation &op : module.getBody()->getOperations()) {
    op.print(os, state);
    os << "\n";
  }
  os << "}\n";
}

int ::genc::driver::runImport(int argc, char **argv) {
  cl::OptionCategory &io = ::genc::driver::inputOutputCategory();
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.onnxtext>"),
                             cl::Required, cl::cat(io));
  cl::opt<std::string> output("o", cl::desc("Write the IR here (default: stdout)"),
                              cl::value_desc("file"), cl::init("-"), cl::cat(io));
  cl::opt<bool> noCleanup("no-cleanup",
                          cl::desc("Print the raw import, before graph cleanup"), cl::cat(io));
  cl::opt<bool> printWeights("print-weights",
                             cl::desc("Print weight resources in full (large!)"), cl::cat(io));
  cl::extrahelp notes("\nWeights are elided from the printed IR unless --print-weights "
                      "is given.\n");
  registerMLIRContextCLOptions();
  // The cleanup passes, so that --mlir-print-ir-after=PASS can name them;
  // with no pass registered, --help pads that option's line to 4 GB.
  mlir::genc::registerAllGencPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  // The ones worth knowing about; the others stay in --help-hidden.
  ::genc::driver::addToCategory({"mlir-print-ir-after", "mlir-print-ir-after-all",
                                 "mlir-print-ir-before", "mlir-print-ir-before-all",
                                 "mlir-timing"},
                                ::genc::driver::diagnosticsCategory());
  ::genc::driver::hideOtherOptions();
  parseCommandLine(argc, argv, "genc import: ONNX model → genc dialect\n");

  MLIRContext context;
  ::genc::driver::installPlainDiagnostics(context);

  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope root = timing.getRootScope();

  TimingScope importTiming = root.nest("Import");
  auto module = mlir::genc::importOnnxModel(input, context);
  importTiming.stop();
  if (failed(module))
    return 1;

  if (!noCleanup) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    TimingScope cleanupTiming = root.nest("Cleanup");
    pm.enableTiming(cleanupTiming);
    mlir::genc::buildCleanupPipeline(pm);
    if (failed(pm.run(**module)))
      return 1;
  }

  std::string error;
  auto out = openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  TimingScope printTiming = root.nest("Print");
  if (printWeights)
    (*module)->print(out->os());
  else
    printWithoutWeights(**module, out->os());
  out->keep();
  return 0;
}

namespace genc::driver {

/// Errors the plain handler has printed, for reportSilentPassFailures.
static std::atomic<unsigned> errorsPrinted{0};

void installPlainDiagnostics(MLIRContext &context) {
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errorsPrinted;
    Progress::get().breakLine(); // not after a progress line drawn in place
    // Importer messages name the file and node already; a later pass's do
    // not, and its op's location still knows them.
    std::string text = diag.str();
    mlir::genc::ModelLocation where = mlir::genc::modelLocationOf(diag.getLocation());
    std::string context;
    if (!where.node.empty() && text.find(where.node) == std::string::npos)
      context = "ONNX node '" + where.node + "'";
    if (!where.file.empty() && text.find(where.file) == std::string::npos)
      context += (context.empty() ? "" : " of ") + where.file;
    if (!context.empty())
      text += " (" + context + ")";
    llvm::errs() << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: " : "note: ")
                 << text << "\n";
    // The op dump MLIR attaches is compiler internals, not the user's model.
    for (const Diagnostic &note : diag.getNotes())
      if (!StringRef(note.str()).starts_with("see current operation"))
        llvm::errs() << "note: " << note.str() << "\n";
    return success();
  });
}

namespace {
/// Judged at the module's passes, which run one after another on one
/// thread: a pass nested in them (a function pass) may run on worker
/// threads, whose diagnostics MLIR holds back until all have finished, so
/// its own failure cannot tell whether it said why. It leaves its name for
/// the module's pass to report.
struct SilentFailureReporter : PassInstrumentation {
  std::vector<unsigned> started; // errors printed when each module pass began
  std::mutex mutex;
  std::string nestedFailure; // the first nested pass that failed, if any

  void runBeforePass(Pass *, Operation *op) override {
    if (isa<ModuleOp>(op))
      started.push_back(errorsPrinted);
  }
  void runAfterPass(Pass *, Operation *op) override {
    if (isa<ModuleOp>(op))
      started.pop_back();
  }
  void runAfterPassFailed(Pass *pass, Operation *op) override {
    if (!isa<ModuleOp>(op)) {
      std::lock_guard<std::mutex> lock(mutex);
      if (nestedFailure.empty())
        nestedFailure = pass->getArgument().str();
      return;
    }
    unsigned atStart = started.back();
    started.pop_back();
    std::string name;
    {
      std::lock_guard<std::mutex> lock(mutex);
      name = nestedFailure.empty() ? pass->getArgument().str() : nestedFailure;
      nestedFailure.clear();
    }
    if (errorsPrinted == atStart)
      op->emitError() << "internal error: the compiler's pass '" << name
                      << "' failed without saying why; please report it with the model";
  }
};
} // namespace

void reportSilentPassFailures(PassManager &pm) {
  pm.addInstrumentation(std::make_unique<SilentFailureReporter>());
}

LogicalResult cleanUp(ModuleOp module, CompileReport *report) {
  PassManager pm(module.getContext());
  reportSilentPassFailures(pm);
  if (report)
    recordPasses(pm, *report);
  mlir::genc::buildCleanupPipeline(pm);
  return pm.run(module);
}

} // namespace genc::driver
