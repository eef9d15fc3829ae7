//===- PerplexityCommand.cpp - `genc perplexity` ---------------------------===//
//
// Strided sliding-window perplexity, as Hugging Face computes it
// (Scoring.h), optionally with top-1 agreement against another model.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Inputs.h"
#include "Help.h"
#include "Progress.h"
#include "Scoring.h"

#include "generator/Generator.h"
#include "tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace cl = llvm::cl;
using genc::runtime::Error;

namespace {

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    throw Error("cannot read '" + path + "': " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

/// Each non-empty line is a document: [BOS] + its pieces + [EOS].
std::vector<int64_t> tokenizeDocuments(const std::string &text,
                                       const genc::tokenizer::Tokenizer &tokenizer) {
  std::vector<int64_t> ids;
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (line.trim().empty())
      continue;
    if (tokenizer.bosId() >= 0)
      ids.push_back(tokenizer.bosId());
    std::vector<int64_t> pieces = tokenizer.encode(line.str());
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    if (tokenizer.eosId() >= 0)
      ids.push_back(tokenizer.eosId());
  }
  return ids;
}

} // namespace

int genc::driver::runPerplexity(int argc, char **argv) {
  if (auto *other = cl::getRegisteredOptions().lookup("threads"))
    other->removeArgument();
  cl::OptionCategory &io = inputOutputCategory(), &scoring = scoringCategory();
  cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx | artifact.so>"),
                                 cl::Required, cl::cat(io));
  cl::opt<std::string> tokenizerPath(
      "tokenizer", cl::desc("SentencePiece .model or tokenizer.json, with --text"),
      cl::value_desc("file"), cl::cat(io));
  cl::opt<std::string> textPath("text", cl::desc("Text; each non-empty line is a document"),
                                cl::value_desc("file"), cl::cat(io));
  cl::opt<std::string> idsPath("ids", cl::desc("Whitespace-separated token ids"),
                               cl::value_desc("file"), cl::cat(io));
  cl::opt<std::string> referencePath(
      "agreement-with",
      cl::desc("Also score with this model (without --attention) and report how often the two "
               "models' most likely next tokens agree"),
      cl::value_desc("model.onnx | artifact.so"), cl::cat(scoring));
  cl::opt<int64_t> context(
      "context",
      cl::desc("Window length in tokens (default: 256, or the positions the model "
               "embeds if fewer)"),
      cl::init(256), cl::cat(scoring));
  cl::opt<int64_t> stride("stride", cl::desc("Window stride (default: the context)"),
                          cl::init(0), cl::cat(scoring));
  enum class Format { Text, Json };
  cl::opt<Format, false, NamedValues<Format>> format(
      "output-format", cl::desc("What stdout gets"), cl::init(Format::Text),
      cl::values(clEnumValN(Format::Text, "text", "a line of figures"),
                 clEnumValN(Format::Json, "json", "one JSON object")),
      cl::cat(io));
  cl::opt<unsigned> threads("threads", cl::desc("Threads (default 0: every CPU allowed)"),
                            cl::init(0), cl::cat(executionCategory()));
  AttentionRewritesOption attention(attentionRewritesCategory());
  registerCompileDebugOptions(); // a .onnx model compiles first
  Progress::registerQuietOption();
  hideOtherOptions();
  parseCommandLine(argc, argv, "genc perplexity: score text with a model\n");
  if (!attention.valid())
    return 1;

  try {
    if (textPath.empty() == idsPath.empty())
      throw Error("give the text either as --text FILE (with --tokenizer) or as --ids FILE");
    // 0 stands for "the context" only as the default: given, it is an error.
    if (context < 2 || stride < 0 || (stride == 0 && stride.getNumOccurrences()) ||
        stride > context)
      throw Error("--context must be at least 2 and --stride between 1 and the context");
    std::vector<int64_t> tokens;
    if (!textPath.empty()) {
      if (tokenizerPath.empty())
        throw Error("--text needs --tokenizer");
      tokens = tokenizeDocuments(readFile(textPath),
                                 *genc::tokenizer::Tokenizer::load(tokenizerPath));
    } else {
      std::string error;
      std::optional<std::vector<int64_t>> ids = readTokenIds(idsPath, error);
      if (!ids)
        throw Error(error);
      tokens = std::move(*ids);
    }
    const int64_t n = static_cast<int64_t>(tokens.size());
    if (n < 2)
      throw Error("perplexity needs at least two tokens; the input has " + std::to_string(n));

    // The full-logits entry point: the model as exported, cache or not.
    GraphOptions graph;
    graph.forSession = true;
    graph.requireKVCache = false;
    graph.attentionRewrites = attention.spec;
    graph.calibrationIds = attention.calibrationIds;
    std::optional<std::string> artifact = compiledArtifact(modelPath, graph);
    if (!artifact)
      return 1;
    // Windows no longer than the positions the models embed: the default
    // shrinks to fit, a --context given that does not fit is refused.
    int64_t window = context;
    auto load = [&](const std::string &compiled, const std::string &path) {
      try {
        return genc::generator::loadSession(compiled, {window, 1, threads});
      } catch (const genc::runtime::TooManyPositions &e) {
        if (context.getNumOccurrences() || e.limit < 2)
          throw Error("--context " + std::to_string(window) + ": " + e.embeds(path) +
                      "; lower --context to " + std::to_string(e.limit) + " or less");
        if (stride > e.limit)
          throw Error("--stride " + std::to_string(stride) + ": windows are " +
                      std::to_string(e.limit) + " tokens, as " + e.embeds(path) +
                      "; give a stride of at most that");
        window = e.limit;
        Progress::get().breakLine();
        llvm::errs() << "note: " << e.embeds(path) << ": windows of " << window << " tokens\n";
        return genc::generator::loadSession(compiled, {window, 1, threads});
      }
    };
    genc::generator::LoadedSession loaded = load(*artifact, modelPath);
    genc::runtime::Session &session = *loaded.session;
    // The model to agree with: as exported, without the rewrites.
    genc::generator::LoadedSession reference;
    if (!referencePath.empty()) {
      GraphOptions plain;
      plain.forSession = true;
      plain.requireKVCache = false;
      std::optional<std::string> referenceArtifact = compiledArtifact(referencePath, plain);
      if (!referenceArtifact)
        return 1;
      reference = load(*referenceArtifact, referencePath);
      if (reference.session->vocabSize() != session.vocabSize())
        throw Error("--agreement-with: " + referencePath + " has a vocabulary of " +
                    std::to_string(reference.session->vocabSize()) + " tokens and " +
                    modelPath + " one of " + std::to_string(session.vocabSize()));
    }

    Progress &progress = Progress::get();
    PerplexityScore score = scorePerplexity(session, reference.session.get(), tokens, window,
                                            stride, [&](int64_t done, int64_t windows) {
                                              progress.reportCount("scored windows", done, windows);
                                            });
    double nll = score.nll, perplexity = score.perplexity(), agreement = score.agreement();
    int64_t scored = score.scored;
    if (format == Format::Json) {
      llvm::json::Object result{{"tokens", n},
                                {"scored_tokens", scored},
                                {"nll_sum", nll},
                                {"perplexity", perplexity},
                                {"context", window}};
      if (reference.session)
        result["top1_agreement"] = agreement;
      llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(result))) << "\n";
    } else {
      llvm::outs() << llvm::format("tokens %lld, scored %lld, NLL sum %.6f, perplexity %.6f",
                                   (long long)n, (long long)scored, nll, perplexity);
      if (reference.session)
        llvm::outs() << llvm::format(", top-1 agreement %.4f", agreement);
      llvm::outs() << "\n";
    }
    return 0;
  } catch (const std::exception &e) {
    Progress::get().breakLine();
    llvm::errs() << "error: " << e.what() << "\n";
    return 1;
  }
}
