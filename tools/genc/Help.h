//===- Help.h - option categories and --help for genc's commands -*- C++ -*-===//
//
// genc links LLVM and MLIR, whose libraries register hundreds of options
// of their own. Each command puts its options in these categories and
// hides the rest from --help (--help-hidden still lists them), so that
// `genc <command> --help` shows what the command itself takes.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_HELP_H
#define GENC_TOOLS_GENC_HELP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

namespace genc::driver {

/// Files read and written, and what is printed.
llvm::cl::OptionCategory &inputOutputCategory();
/// How the model becomes code (optimisation, target CPU, KV cache).
llvm::cl::OptionCategory &codeGenerationCategory();
/// Approximate attention rewrites and what they are fitted and chosen on.
llvm::cl::OptionCategory &attentionRewritesCategory();
/// How a compiled model runs (threads, repetitions).
llvm::cl::OptionCategory &executionCategory();
/// How text is scored (`genc perplexity`'s windows).
llvm::cl::OptionCategory &scoringCategory();
/// Progress, IR dumps and timings.
llvm::cl::OptionCategory &diagnosticsCategory();

/// Moves the already registered options `names` (MLIR's, say) into
/// `category`, so that --help shows them there.
void addToCategory(llvm::ArrayRef<llvm::StringRef> names, llvm::cl::OptionCategory &category);

/// Hides from --help every registered option outside genc's categories
/// (and LLVM's generic --help/--version), as cl::HideUnrelatedOptions
/// does, but only from --help: --help-hidden still lists them all.
void hideOtherOptions();

/// cl::ParseCommandLineOptions for a command, but a misspelt option is
/// only ever suggested one of genc's: LLVM suggests the nearest option it
/// knows, hidden ones included (`--mcpu` to `genc run` suggested "--mv60",
/// a Hexagon option). Exits with status 1 on a bad command line.
void parseCommandLine(int argc, const char *const *argv, llvm::StringRef overview);

} // namespace genc::driver

#endif // GENC_TOOLS_GENC_HELP_H
