//===- PerplexityCommand.cpp - `genc perplexity` ---------------------------===//
//
// Strided sliding-window perplexity, as Hugging Face computes it: windows
// of --context tokens start at 0, S, 2S, ... until one reaches the last
// token; the first window scores every token after its first, each later
// window only the tokens no earlier window scored. Token t is scored with
// the logits at position t − 1 of its window.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Inputs.h"
#include "Help.h"
#include "Progress.h"

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

/// −log p(target) under softmax(logits), in double.
double negativeLogLikelihood(std::span<const float> logits, int64_t target) {
  double max = *std::max_element(logits.begin(), logits.end()), sum = 0;
  for (float l : logits)
    sum += std::exp(double(l) - max);
  return max + std::log(sum) - double(logits[target]);
}

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
  cl::opt<int64_t> context("context", cl::desc("Window length in tokens"), cl::init(256),
                           cl::cat(scoring));
  cl::opt<int64_t> stride("stride", cl::desc("Window stride (default: the context)"),
                          cl::init(0), cl::cat(scoring));
  enum class Format { Text, Json };
  cl::opt<Format> format("output-format", cl::desc("What stdout gets"), cl::init(Format::Text),
                         cl::values(clEnumValN(Format::Text, "text", "a line of figures"),
                                    clEnumValN(Format::Json, "json", "one JSON object")),
                         cl::cat(io));
  cl::opt<unsigned> threads("threads", cl::desc("Threads (default 0: every CPU allowed)"),
                            cl::init(0), cl::cat(executionCategory()));
  AttentionRewritesOption attention(codeGenerationCategory());
  registerCompileDebugOptions(); // a .onnx model compiles first
  Progress::registerQuietOption();
  hideOtherOptions();
  cl::ParseCommandLineOptions(argc, argv, "genc perplexity: score text with a model\n");
  if (!attention.valid())
    return 1;

  try {
    if (textPath.empty() == idsPath.empty())
      throw Error("give the text either as --text FILE (with --tokenizer) or as --ids FILE");
    if (context < 2 || stride < 0 || stride > context)
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
    genc::generator::LoadedSession loaded =
        genc::generator::loadSession(*artifact, {context, 1, threads});
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
      reference = genc::generator::loadSession(*referenceArtifact, {context, 1, threads});
      if (reference.session->vocabSize() != session.vocabSize())
        throw Error("--agreement-with: " + referencePath + " has a vocabulary of " +
                    std::to_string(reference.session->vocabSize()) + " tokens and " +
                    modelPath + " one of " + std::to_string(session.vocabSize()));
    }

    const int64_t step = stride ? int64_t(stride) : int64_t(context);
    // Windows start at 0, step, 2 step, ... until one reaches the last token.
    const int64_t windows = n <= context ? 1 : 1 + (n - context + step - 1) / step;
    Progress &progress = Progress::get();
    int64_t windowsDone = 0;
    progress.reportCount("scored windows", 0, windows);
    double nll = 0;
    int64_t scored = 0, scoredEnd = 1; // tokens before scoredEnd are scored or the first
    int64_t agreed = 0;                // positions whose most likely tokens agree
    for (int64_t begin = 0;; begin += step) {
      int64_t end = std::min(begin + int64_t(context), n);
      std::vector<int64_t> window(tokens.begin() + begin, tokens.begin() + end);
      std::vector<float> logits = session.scoreAll(window);
      std::vector<float> referenceLogits;
      if (reference.session)
        referenceLogits = reference.session->scoreAll(window);
      const int64_t vocab = session.vocabSize();
      auto mostLikely = [&](const std::vector<float> &all, int64_t position) {
        const float *row = all.data() + position * vocab;
        return std::max_element(row, row + vocab) - row;
      };
      for (int64_t t = std::max(scoredEnd, begin + 1); t < end; ++t) {
        if (tokens[t] >= vocab)
          throw Error("token id " + std::to_string(tokens[t]) + " is outside the model's "
                      "vocabulary of " + std::to_string(vocab));
        nll += negativeLogLikelihood({logits.data() + (t - 1 - begin) * vocab, size_t(vocab)},
                                     tokens[t]);
        if (reference.session)
          agreed += mostLikely(logits, t - 1 - begin) == mostLikely(referenceLogits, t - 1 - begin);
        ++scored;
      }
      scoredEnd = end;
      progress.reportCount("scored windows", ++windowsDone, windows);
      if (end == n)
        break;
    }
    double perplexity = std::exp(nll / scored);
    double agreement = double(agreed) / double(scored);
    if (format == Format::Json) {
      llvm::json::Object result{{"tokens", n},
                                {"scored_tokens", scored},
                                {"nll_sum", nll},
                                {"perplexity", perplexity}};
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
