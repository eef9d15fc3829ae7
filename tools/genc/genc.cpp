//===- genc.cpp - the genc driver: dispatches to a subcommand -------------===//

#include "Commands.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <string>

namespace {
struct Command {
  const char *name;
  const char *summary;
  int (*run)(int, char **);
};

const Command kCommands[] = {
    {"import", "import an ONNX model into the genc dialect and clean it up",
     genc::driver::runImport},
    {"compile", "compile an ONNX model to a shared library (or object, LLVM IR, MLIR)",
     genc::driver::runCompile},
    {"run", "run a model (.onnx compiles first, cached) on .npy inputs", genc::driver::runRun},
    {"generate", "generate text or token ids with a decoder (greedy, sampling, beams, "
                 "speculative)",
     genc::driver::runGenerate},
    {"perplexity", "score text: strided sliding-window perplexity", genc::driver::runPerplexity},
    {"inspect", "show what a compiled artifact is: flags, target, entry points, weights",
     genc::driver::runInspect},
};

void printUsage(llvm::raw_ostream &os) {
  os << "OVERVIEW: genc, an ahead-of-time compiler for generative ONNX models\n\n"
        "USAGE: genc <command> [options]\n\nCOMMANDS:\n";
  for (const Command &c : kCommands)
    os << llvm::formatv("  {0,-12}{1}\n", c.name, c.summary);
  os << "\nOPTIONS:\n  --help      this list\n  --version   genc's version\n"
        "\nRun 'genc <command> --help' for a command's options.\n";
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << "genc " << GENC_VERSION << "\n"; });
  if (argc < 2) {
    printUsage(llvm::errs());
    return 1;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    printUsage(llvm::outs());
    return 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    llvm::outs() << "genc " << GENC_VERSION << "\n";
    return 0;
  }
  for (const Command &c : kCommands) {
    if (std::strcmp(argv[1], c.name))
      continue;
    // The subcommand sees "genc <command>" as its program name.
    std::string program = std::string(argv[0]) + " " + c.name;
    argv[1] = program.data();
    return c.run(argc - 1, argv + 1);
  }
  llvm::errs() << "genc: unknown command '" << argv[1] << "'";
  // A typo of one command: the first of the nearest, within two edits.
  const Command *nearest = nullptr;
  unsigned best = 3;
  for (const Command &c : kCommands)
    if (unsigned distance = llvm::StringRef(c.name).edit_distance(argv[1]); distance < best)
      best = distance, nearest = &c;
  if (nearest)
    llvm::errs() << "; did you mean '" << nearest->name << "'?";
  llvm::errs() << "\n";
  printUsage(llvm::errs());
  return 1;
}
