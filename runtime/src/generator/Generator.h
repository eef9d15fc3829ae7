//===- Generator.h - the generation command line, shared ----------*- C++ -*-===//
//
// `genc generate` and the programs `genc compile --emit=exe` makes of a
// decoder take the same options (Hugging Face generate()'s, in kebab case)
// and print the same output; this is that command line, with no MLIR or
// LLVM dependency. Each caller supplies how a model path becomes a session.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATOR_GENERATOR_H
#define GENC_RUNTIME_GENERATOR_GENERATOR_H

#include "generate/Generate.h"
#include "session/Session.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace genc::generator {

struct GeneratorOptions {
  std::vector<std::string> promptTexts;      ///< --prompt, repeatable
  std::vector<std::vector<int64_t>> promptIds; ///< --prompt-ids, repeatable
  std::string sourceText;                    ///< --source (encoder-decoders)
  std::vector<int64_t> sourceIds;            ///< --source-ids (encoder-decoders)
  std::string encoder;                       ///< --encoder (genc generate of an ONNX decoder)
  std::string tokenizer;                     ///< --tokenizer
  std::string draft;                         ///< --draft
  bool json = false;                         ///< --output-format json
  int64_t maxContext = 0;                    ///< --max-context (0: what the prompts need)
  unsigned threads = 0;                      ///< --threads (0: every CPU allowed)
  int64_t tokensPerCall = 512;               ///< --tokens-per-call (0: a prompt at once)
  int64_t bosTokenId = -1;                   ///< --bos-token-id (-1: the tokenizer's)
  bool eosGiven = false;                     ///< --eos-token-id given
  bool maxNewTokensGiven = false;            ///< --max-new-tokens given
  bool help = false;                         ///< --help
  generate::GenerationConfig config;
};

/// Parses argv[first..argc): options, and the positional arguments into
/// `positional`. Throws runtime::Error naming a bad or unknown option.
GeneratorOptions parseGeneratorOptions(int argc, char **argv, int first,
                                       std::vector<std::string> &positional);

/// The options, one per line, for --help; for a compiled generator program
/// (`genc compile --emit=exe`), whose encoder is compiled in and whose
/// draft must be compiled too, without --encoder.
std::string generatorOptionsHelp(bool compiledProgram = false);

/// A session, and the model it runs (kept alive with it).
struct LoadedSession {
  std::shared_ptr<genc_model> model;
  std::unique_ptr<runtime::Session> session;
};
/// Loads the compiled artifact at `path` and opens a session over it.
/// Throws runtime::Error naming what failed.
LoadedSession loadSession(const std::string &path, const runtime::SessionOptions &options);

/// Opens the model at `path` ("" for the program's own model) as a session;
/// throws runtime::Error, or returns no session after reporting an error
/// itself (a compiler diagnostic).
using SessionOpener =
    std::function<LoadedSession(const std::string &path, const runtime::SessionOptions &options)>;

/// Tokenizes the prompts, sizes and opens the sessions, generates, and
/// prints: text (streamed when there is one sequence) or JSON on stdout,
/// statistics on stderr. Returns the exit status; errors are printed.
int runGenerator(const GeneratorOptions &options, const std::string &model,
                 const SessionOpener &open);

} // namespace genc::generator

#endif // GENC_RUNTIME_GENERATOR_GENERATOR_H
