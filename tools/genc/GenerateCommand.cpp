//===- GenerateCommand.cpp - `genc generate` -------------------------------===//
//
// Loads (or compiles, with the KV cache in a session) a decoder and runs a
// decoding strategy over it: options are Hugging Face generate()'s, in kebab
// case. Text streams to stdout as tokens become final; statistics go to
// stderr, or everything to stdout as one JSON object.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "generate/Generate.h"
#include "session/Session.h"
#include "tokenizer/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <memory>

namespace cl = llvm::cl;
using genc::generate::GenerationConfig;

namespace {

struct ModelDeleter {
  void operator()(genc_model *m) const { genc_model_free(m); }
};
using ModelPtr = std::unique_ptr<genc_model, ModelDeleter>;

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// "1,773,5" → ids; throws on anything else.
std::vector<int64_t> parseIds(llvm::StringRef text) {
  std::vector<int64_t> ids;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id) || id < 0)
      throw genc::runtime::Error("--prompt-ids '" + text.str() +
                                 "' is not a comma-separated list of token ids");
    ids.push_back(id);
  }
  if (ids.empty())
    throw genc::runtime::Error("--prompt-ids is empty");
  return ids;
}

/// A loaded model and its session; .onnx models compile first, with the KV
/// cache in the session when the export has one.
struct LoadedModel {
  ModelPtr model;
  std::unique_ptr<genc::runtime::Session> session;

  static std::optional<LoadedModel> open(llvm::StringRef path, int64_t context, int64_t rows,
                                         unsigned threads) {
    ::genc::driver::GraphOptions graph;
    graph.forSession = true;
    graph.requireKVCache = false;
    std::optional<std::string> artifact = ::genc::driver::compiledArtifact(path, graph);
    if (!artifact)
      return std::nullopt;
    genc_model *raw = nullptr;
    if (genc_model_load(artifact->c_str(), &raw) != GENC_OK) {
      llvm::errs() << "error: " << genc_status_message() << "\n";
      return std::nullopt;
    }
    LoadedModel loaded{ModelPtr(raw), nullptr};
    loaded.session = std::make_unique<genc::runtime::Session>(
        *raw, genc::runtime::SessionOptions{context, rows, threads});
    if (!loaded.session->cached())
      llvm::errs() << "note: " << path
                   << " has no KV cache: every step reruns the whole sequence (slow); export it "
                      "with a cache for fast generation\n";
    return loaded;
  }
};

} // namespace

int genc::driver::runGenerate(int argc, char **argv) {
  if (auto *other = cl::getRegisteredOptions().lookup("threads"))
    other->removeArgument();
  cl::OptionCategory io("Input and output");
  cl::OptionCategory decoding("Decoding (Hugging Face generate() options)");
  cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx | artifact.so>"),
                                 cl::Required, cl::cat(io));
  cl::opt<std::string> tokenizerPath("tokenizer", cl::desc("SentencePiece model (.model)"),
                                     cl::value_desc("file"), cl::cat(io));
  cl::list<std::string> promptTexts("prompt", cl::desc("A prompt (repeat for a batch)"),
                                    cl::value_desc("text"), cl::cat(io));
  cl::list<std::string> promptIds("prompt-ids",
                                  cl::desc("A prompt as token ids, e.g. 1,773,5 (repeatable)"),
                                  cl::value_desc("ids"), cl::cat(io));
  enum class Format { Text, Json };
  cl::opt<Format> format("output-format", cl::desc("What stdout gets"), cl::init(Format::Text),
                         cl::values(clEnumValN(Format::Text, "text", "the generated text, streamed"),
                                    clEnumValN(Format::Json, "json", "one JSON object")),
                         cl::cat(io));
  cl::opt<int64_t> maxContext("max-context",
                              cl::desc("Tokens a sequence may hold, prompt included (default "
                                       "prompt + max-new-tokens + draft lookahead)"),
                              cl::init(0), cl::cat(io));
  cl::opt<unsigned> threads("threads", cl::desc("Threads (default 0: every CPU allowed)"),
                            cl::init(0), cl::cat(io));
  cl::opt<std::string> draftPath("draft", cl::desc("Draft model for speculative decoding"),
                                 cl::value_desc("model"), cl::cat(decoding));

  GenerationConfig defaults;
  cl::opt<int64_t> maxNewTokens("max-new-tokens", cl::init(defaults.max_new_tokens), cl::cat(decoding));
  cl::opt<int64_t> minNewTokens("min-new-tokens", cl::init(defaults.min_new_tokens), cl::cat(decoding));
  cl::opt<bool> doSample("do-sample", cl::desc("Sample instead of greedy"), cl::cat(decoding));
  cl::opt<double> temperature("temperature", cl::init(defaults.temperature), cl::cat(decoding));
  cl::opt<int64_t> topK("top-k", cl::init(defaults.top_k), cl::cat(decoding));
  cl::opt<double> topP("top-p", cl::init(defaults.top_p), cl::cat(decoding));
  cl::opt<double> minP("min-p", cl::init(defaults.min_p), cl::cat(decoding));
  cl::opt<double> repetitionPenalty("repetition-penalty", cl::init(defaults.repetition_penalty),
                                    cl::cat(decoding));
  cl::opt<int64_t> noRepeatNgram("no-repeat-ngram-size", cl::init(defaults.no_repeat_ngram_size),
                                 cl::cat(decoding));
  cl::opt<int64_t> numBeams("num-beams", cl::init(defaults.num_beams), cl::cat(decoding));
  cl::opt<int64_t> numBeamGroups("num-beam-groups", cl::init(defaults.num_beam_groups),
                                 cl::cat(decoding));
  cl::opt<double> diversityPenalty("diversity-penalty", cl::init(defaults.diversity_penalty),
                                   cl::cat(decoding));
  cl::opt<double> lengthPenalty("length-penalty", cl::init(defaults.length_penalty),
                                cl::cat(decoding));
  cl::opt<std::string> earlyStopping("early-stopping", cl::desc("true, false or never"),
                                     cl::init("false"), cl::cat(decoding));
  cl::opt<int64_t> numReturn("num-return-sequences", cl::init(defaults.num_return_sequences),
                             cl::cat(decoding));
  cl::opt<double> coveragePenalty("coverage-penalty",
                                  cl::desc("GNMT coverage penalty β (encoder-decoders)"),
                                  cl::init(0), cl::cat(decoding));
  cl::opt<int64_t> numAssistant("num-assistant-tokens", cl::init(defaults.num_assistant_tokens),
                                cl::cat(decoding));
  cl::opt<int64_t> promptLookup("prompt-lookup-num-tokens", cl::init(0), cl::cat(decoding));
  cl::list<int64_t> eosIds("eos-token-id", cl::desc("Ends a sequence (default: the tokenizer's)"),
                           cl::CommaSeparated, cl::cat(decoding));
  cl::opt<int64_t> padId("pad-token-id", cl::init(-1), cl::cat(decoding));
  cl::opt<int64_t> bosId("bos-token-id",
                         cl::desc("Starts each text prompt (default: the tokenizer's)"),
                         cl::init(-1), cl::cat(decoding));
  cl::opt<uint64_t> seed("seed", cl::init(0), cl::cat(decoding));
  registerCompileDebugOptions(); // a .onnx model compiles first
  cl::HideUnrelatedOptions({&io, &decoding, &cl::getGeneralCategory()});
  cl::ParseCommandLineOptions(argc, argv, "genc generate: decode text with a compiled model\n");

  try {
    std::unique_ptr<genc::tokenizer::Tokenizer> tokenizer;
    if (!tokenizerPath.empty())
      tokenizer = genc::tokenizer::Tokenizer::load(tokenizerPath);
    if (promptTexts.empty() == promptIds.empty())
      throw genc::runtime::Error("give the prompts either as --prompt TEXT or as --prompt-ids IDS");
    if (!promptTexts.empty() && !tokenizer)
      throw genc::runtime::Error("--prompt needs --tokenizer (or give token ids with --prompt-ids)");

    std::vector<std::vector<int64_t>> prompts;
    int64_t bos = bosId >= 0 ? int64_t(bosId) : tokenizer ? tokenizer->bosId() : -1;
    for (const std::string &text : promptTexts) {
      std::vector<int64_t> ids = tokenizer->encode(text);
      if (bos >= 0)
        ids.insert(ids.begin(), bos);
      prompts.push_back(std::move(ids));
    }
    for (const std::string &ids : promptIds)
      prompts.push_back(parseIds(ids));

    GenerationConfig config;
    config.max_new_tokens = maxNewTokens;
    config.min_new_tokens = minNewTokens;
    config.do_sample = doSample;
    config.temperature = temperature;
    config.top_k = topK;
    config.top_p = topP;
    config.min_p = minP;
    config.repetition_penalty = repetitionPenalty;
    config.no_repeat_ngram_size = noRepeatNgram;
    config.num_beams = numBeams;
    config.num_beam_groups = numBeamGroups;
    config.diversity_penalty = diversityPenalty;
    config.length_penalty = lengthPenalty;
    config.early_stopping = genc::generate::parseEarlyStopping(earlyStopping);
    config.num_return_sequences = numReturn;
    config.coverage_penalty = coveragePenalty;
    config.num_assistant_tokens = numAssistant;
    config.prompt_lookup_num_tokens = promptLookup;
    config.eos_token_ids.assign(eosIds.begin(), eosIds.end());
    if (eosIds.empty() && tokenizer && tokenizer->eosId() >= 0)
      config.eos_token_ids = {tokenizer->eosId()};
    config.pad_token_id = padId;
    config.seed = seed;
    config.validate();

    int64_t longest = 0;
    for (const auto &p : prompts)
      longest = std::max<int64_t>(longest, p.size());
    int64_t lookahead = std::max<int64_t>(numAssistant, promptLookup) + 1;
    int64_t context = maxContext > 0 ? int64_t(maxContext) : longest + maxNewTokens + lookahead;
    if (longest + maxNewTokens > context)
      throw genc::runtime::Error("a prompt of " + std::to_string(longest) + " tokens plus " +
                                 std::to_string(maxNewTokens) +
                                 " new tokens does not fit --max-context " +
                                 std::to_string(context));
    // Greedy and sampling decode all prompts as one batch; beams run one
    // prompt at a time.
    int64_t rows = numBeams > 1 ? int64_t(numBeams) : int64_t(prompts.size());
    auto target = LoadedModel::open(modelPath, context + lookahead, rows, threads);
    if (!target)
      return 1;
    std::optional<LoadedModel> draft;
    if (!draftPath.empty() && !(draft = LoadedModel::open(draftPath, context + lookahead, 1, threads)))
      return 1;

    // Streams the text of a single sequence as its tokens become final.
    bool stream = format == Format::Text && prompts.size() == 1 && numReturn == 1;
    std::vector<int64_t> streamed;
    std::string printed;
    Clock::time_point start = Clock::now(), firstToken;
    bool haveFirst = false;
    auto onToken = [&](int64_t sequence, int64_t token) {
      if (!haveFirst) {
        firstToken = Clock::now();
        haveFirst = true;
      }
      if (!stream)
        return;
      streamed.push_back(token);
      if (!tokenizer) {
        llvm::outs() << (streamed.size() > 1 ? " " : "") << token;
      } else {
        std::string text = tokenizer->decode(streamed);
        if (llvm::StringRef(text).starts_with(printed)) {
          llvm::outs() << text.substr(printed.size());
          printed = text;
        }
      }
      llvm::outs().flush();
    };
    genc::generate::GenerationResult result = genc::generate::generate(
        *target->session, draft ? draft->session.get() : nullptr, prompts, config, onToken);
    double totalMs = msSince(start);
    double prefillMs = haveFirst ? std::chrono::duration<double, std::milli>(firstToken - start).count()
                                 : totalMs;
    const auto &stats = result.stats;
    double decodeMs = totalMs - prefillMs;
    double decodeRate = stats.generated_tokens > 1 && decodeMs > 0
                            ? (stats.generated_tokens - 1) / (decodeMs / 1000) : 0;
    auto textOf = [&](const std::vector<int64_t> &ids) {
      return tokenizer ? tokenizer->decode(ids) : std::string();
    };

    if (format == Format::Json) {
      llvm::json::Array sequences;
      for (const auto &s : result.sequences) {
        llvm::json::Object sequence{
            {"prompt", s.prompt}, {"tokens", llvm::json::Array(s.tokens)}, {"score", s.score}};
        if (tokenizer)
          sequence["text"] = textOf(s.tokens);
        sequences.push_back(std::move(sequence));
      }
      llvm::json::Object out{
          {"sequences", std::move(sequences)},
          {"stats", llvm::json::Object{{"prompt_tokens", stats.prompt_tokens},
                                       {"generated_tokens", stats.generated_tokens},
                                       {"target_passes", stats.target_passes},
                                       {"draft_tokens_proposed", stats.draft_tokens_proposed},
                                       {"draft_tokens_accepted", stats.draft_tokens_accepted},
                                       {"prefill_ms", prefillMs},
                                       {"decode_tokens_per_s", decodeRate}}}};
      llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(out))) << "\n";
      return 0;
    }
    if (stream) {
      llvm::outs() << "\n";
    } else {
      for (const auto &s : result.sequences) {
        llvm::outs() << "[" << s.prompt << "] ";
        if (tokenizer)
          llvm::outs() << textOf(s.tokens);
        else
          llvm::outs() << llvm::join(llvm::map_range(s.tokens, [](int64_t t) {
            return std::to_string(t);
          }), " ");
        llvm::outs() << llvm::format("  (score %.4f)\n", s.score);
      }
    }
    llvm::outs().flush();
    llvm::errs() << llvm::format("%lld prompt tokens, %lld generated in %.0f ms: prefill %.1f ms, "
                                 "%.1f tokens/s after it, %lld target passes",
                                 (long long)stats.prompt_tokens, (long long)stats.generated_tokens,
                                 totalMs, prefillMs, decodeRate, (long long)stats.target_passes);
    if (stats.draft_tokens_proposed)
      llvm::errs() << llvm::format("; draft: %lld proposed, %lld accepted (%.0f%%), %.2f tokens "
                                   "per target pass",
                                   (long long)stats.draft_tokens_proposed,
                                   (long long)stats.draft_tokens_accepted,
                                   100 * stats.acceptanceRate(), stats.tokensPerTargetPass());
    llvm::errs() << "\n";
    return 0;
  } catch (const genc::runtime::Error &e) {
    llvm::errs() << "error: " << e.what() << "\n";
    return 1;
  }
}
