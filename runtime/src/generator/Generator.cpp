//===- Generator.cpp - options, prompts, streaming and reports -------------===//

#include "generator/Generator.h"

#include "ThreadPool.h"
#include "tokenizer/Tokenizer.h"

#include <chrono>
#include <cmath>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using genc::runtime::Error;
using genc::generate::GenerationConfig;

namespace genc::generator {
namespace {

int64_t parseInt(const std::string &name, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno)
    throw Error("--" + name + " takes an integer, not '" + text + "'");
  return v;
}

double parseReal(const std::string &name, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || errno)
    throw Error("--" + name + " takes a number, not '" + text + "'");
  return v;
}

std::vector<int64_t> parseIds(const std::string &name, const std::string &text) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    char *end = nullptr;
    long long id = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end || id < 0)
      throw Error("--" + name + " '" + text + "' is not a comma-separated list of token ids");
    ids.push_back(id);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return ids;
}

/// The headings --help groups the options under, in this order; `genc
/// generate` adds its own (Diagnostics) after them.
constexpr const char *kInputOutput = "Input/output";
constexpr const char *kDecoding = "Decoding";
constexpr const char *kExecution = "Execution";
constexpr const char *kCategories[] = {kInputOutput, kDecoding, kExecution};

/// One option: its --help heading, its name, what its value looks like
/// ("" for a flag), help, and what it sets.
struct Option {
  const char *category;
  const char *name;
  const char *value;
  const char *help;
  void (*set)(GeneratorOptions &, const std::string &name, const std::string &value);
};

#define CONFIG_INT(field)                                                                         \
  [](GeneratorOptions &o, const std::string &n, const std::string &v) {                           \
    o.config.field = parseInt(n, v);                                                              \
  }
#define CONFIG_REAL(field)                                                                        \
  [](GeneratorOptions &o, const std::string &n, const std::string &v) {                           \
    o.config.field = parseReal(n, v);                                                             \
  }

const Option kOptions[] = {
    {kInputOutput, "prompt", "TEXT", "a prompt, tokenized with --tokenizer (repeat for a batch)",
     [](GeneratorOptions &o, const std::string &, const std::string &v) {
       o.promptTexts.push_back(v);
     }},
    {kInputOutput, "prompt-ids", "IDS", "a prompt as token ids, e.g. 1,773,5 (repeat for a batch)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.promptIds.push_back(parseIds(n, v));
     }},
    {kInputOutput, "source", "TEXT",
     "an encoder-decoder's source, tokenized with --tokenizer as it is",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       if (!o.sourceText.empty())
         throw Error("--" + n + " given twice: a run encodes one source (run once per source)");
       o.sourceText = v;
     }},
    {kInputOutput, "source-ids", "IDS", "an encoder-decoder's source as token ids",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       if (!o.sourceIds.empty())
         throw Error("--" + n + " given twice: a run encodes one source (run once per source)");
       o.sourceIds = parseIds(n, v);
     }},
    {kInputOutput, "encoder", "MODEL",
     "the encoder of an encoder-decoder whose decoder is the model (ONNX)",
     [](GeneratorOptions &o, const std::string &, const std::string &v) { o.encoder = v; }},
    {kInputOutput, "tokenizer", "FILE", "SentencePiece .model or Hugging Face tokenizer.json",
     [](GeneratorOptions &o, const std::string &, const std::string &v) { o.tokenizer = v; }},
    {kInputOutput, "output-format", "text|json", "streamed text (default) or one JSON object",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       if (v != "text" && v != "json")
         throw Error("--" + n + " is text or json, not '" + v + "'");
       o.json = v == "json";
     }},
    {kExecution, "max-context", "N",
     "positions a sequence may use (default: prompt + max-new-tokens - 1: the last token is "
     "not fed back)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.maxContext = parseInt(n, v);
     }},
    {kExecution, "tokens-per-call", "N",
     "a cached model's prompt runs in pieces of N tokens (512; 0: at once)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.tokensPerCall = parseInt(n, v);
       if (o.tokensPerCall < 0)
         throw Error("--" + n + " must not be negative");
     }},
    {kExecution, "threads", "T", "threads, this one included (default 0: every CPU allowed)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       int64_t t = parseInt(n, v);
       if (t < 0)
         throw Error("--threads must not be negative");
       o.threads = static_cast<unsigned>(t);
     }},
    {kDecoding, "max-new-tokens", "N",
     "tokens to generate at most (20; fewer if the model embeds fewer positions)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.config.max_new_tokens = parseInt(n, v);
       o.maxNewTokensGiven = true;
     }},
    {kDecoding, "min-new-tokens", "N", "EOS is suppressed before this many (0)",
     CONFIG_INT(min_new_tokens)},
    {kDecoding, "do-sample", "", "sample instead of greedy decoding",
     [](GeneratorOptions &o, const std::string &, const std::string &) {
       o.config.do_sample = true;
     }},
    {kDecoding, "temperature", "T", "sampling temperature (1)", CONFIG_REAL(temperature)},
    {kDecoding, "top-k", "K", "keep the K most likely tokens when sampling (50; 0: off)",
     CONFIG_INT(top_k)},
    {kDecoding, "top-p", "P", "nucleus sampling (1: off)", CONFIG_REAL(top_p)},
    {kDecoding, "min-p", "P", "drop tokens below P x the most likely (0: off)", CONFIG_REAL(min_p)},
    {kDecoding, "repetition-penalty", "R", "penalise tokens already present (1: off)",
     CONFIG_REAL(repetition_penalty)},
    {kDecoding, "no-repeat-ngram-size", "N", "never repeat an n-gram (0: off)",
     CONFIG_INT(no_repeat_ngram_size)},
    {kDecoding, "num-beams", "N", "beam search with N beams (1: off)", CONFIG_INT(num_beams)},
    {kDecoding, "num-beam-groups", "G", "diverse beam search in G groups (1)",
     CONFIG_INT(num_beam_groups)},
    {kDecoding, "diversity-penalty", "D", "Hamming diversity penalty between groups (0)",
     CONFIG_REAL(diversity_penalty)},
    {kDecoding, "length-penalty", "A", "beam score = log-prob / length^A (1)",
     CONFIG_REAL(length_penalty)},
    {kDecoding, "early-stopping", "true|false|never", "when beam search stops (false)",
     [](GeneratorOptions &o, const std::string &, const std::string &v) {
       o.config.early_stopping = generate::parseEarlyStopping(v);
     }},
    {kDecoding, "num-return-sequences", "N", "sequences per prompt (1)",
     CONFIG_INT(num_return_sequences)},
    {kDecoding, "coverage-penalty", "B", "GNMT coverage penalty (encoder-decoders; 0: off)",
     CONFIG_REAL(coverage_penalty)},
    {kDecoding, "draft", "MODEL", "draft model for speculative decoding",
     [](GeneratorOptions &o, const std::string &, const std::string &v) { o.draft = v; }},
    {kDecoding, "num-assistant-tokens", "N", "tokens the draft proposes per target pass (5)",
     CONFIG_INT(num_assistant_tokens)},
    {kDecoding, "prompt-lookup-num-tokens", "N",
     "speculate from the prompt, N tokens a pass (0: off)", CONFIG_INT(prompt_lookup_num_tokens)},
    {kDecoding, "eos-token-id", "IDS", "ids that end a sequence (default: the tokenizer's EOS)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.config.eos_token_ids = parseIds(n, v);
       o.eosGiven = true;
     }},
    {kDecoding, "pad-token-id", "ID", "padding id (-1: none)", CONFIG_INT(pad_token_id)},
    {kDecoding, "bos-token-id", "ID", "starts each text prompt (default: the tokenizer's BOS)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.bosTokenId = parseInt(n, v);
     }},
    {kDecoding, "seed", "S", "seed of the sampler (0)",
     [](GeneratorOptions &o, const std::string &n, const std::string &v) {
       o.config.seed = static_cast<uint64_t>(parseInt(n, v));
     }},
};

#undef CONFIG_INT
#undef CONFIG_REAL

/// JSON text of a string.
std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// A JSON number; null where JSON has none (a -inf beam score).
std::string number(double v) {
  if (!std::isfinite(v))
    return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

using Clock = std::chrono::steady_clock;

/// `message` with each of GenerationConfig's field names that is an option
/// (num_beams) written as the option (--num-beams): what the user typed.
/// Options that are not generation settings (`source`, `draft`) read as
/// prose in messages and stay.
std::string inOptionNames(std::string message) {
  static const char *const kNotSettings[] = {"source", "draft", "prompt", "encoder", "tokenizer"};
  for (const Option &o : kOptions) {
    std::string field = o.name;
    if (std::find_if(std::begin(kNotSettings), std::end(kNotSettings),
                     [&](const char *name) { return field == name; }) != std::end(kNotSettings))
      continue;
    std::replace(field.begin(), field.end(), '-', '_');
    auto isWordChar = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    };
    for (size_t at = message.find(field); at != std::string::npos;
         at = message.find(field, at + 1)) {
      size_t end = at + field.size();
      if ((at > 0 && (isWordChar(message[at - 1]) || message[at - 1] == '-')) ||
          (end < message.size() && isWordChar(message[end])))
        continue;
      message.replace(at, field.size(), std::string("--") + o.name);
    }
  }
  return message;
}

/// `text` without the U+FFFD characters at its end.
std::string withoutTrailingReplacements(std::string text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  while (text.size() >= kReplacement.size() &&
         text.compare(text.size() - kReplacement.size(), kReplacement.size(), kReplacement) == 0)
    text.resize(text.size() - kReplacement.size());
  return text;
}

/// Prints what `text` adds to `printed` (when it extends it) and keeps it.
void printNew(std::string &printed, std::string text) {
  if (text.size() <= printed.size() || text.compare(0, printed.size(), printed) != 0)
    return;
  std::fputs(text.c_str() + printed.size(), stdout);
  printed = std::move(text);
}

} // namespace

LoadedSession loadSession(const std::string &path, const runtime::SessionOptions &options) {
  genc_model *raw = nullptr;
  if (genc_model_load(path.c_str(), &raw) != GENC_OK)
    throw Error(genc_status_message());
  std::shared_ptr<genc_model> model(raw, genc_model_free);
  return {model, std::make_unique<runtime::Session>(*model, options)};
}

GeneratorOptions parseGeneratorOptions(int argc, char **argv, int first,
                                       std::vector<std::string> &positional) {
  GeneratorOptions options;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inlineValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    const Option *option = nullptr;
    for (const Option &o : kOptions)
      if (name == o.name)
        option = &o;
    if (!option)
      throw Error("unknown option '--" + name + "' (--help lists the options)");
    if (*option->value && !inlineValue) {
      if (i + 1 >= argc)
        throw Error("--" + name + " needs a value (" + option->value + ")");
      value = argv[++i];
    } else if (!*option->value && inlineValue) {
      throw Error("--" + name + " takes no value");
    }
    try {
      option->set(options, name, value);
    } catch (const Error &e) {
      throw Error(inOptionNames(e.what()));
    }
  }
  return options;
}

std::string generatorOptionsHelp(bool compiledProgram) {
  std::string text;
  for (const char *category : kCategories) {
    text += std::string("\n") + category + ":\n\n";
    for (const Option &o : kOptions) {
      if (std::strcmp(o.category, category) || (compiledProgram && !std::strcmp(o.name, "encoder")))
        continue;
      std::string left =
          std::string("  --") + o.name + (*o.value ? std::string(" ") + o.value : "");
      left.resize(std::max<size_t>(left.size() + 2, 34), ' ');
      text += left + o.help +
              (compiledProgram && !std::strcmp(o.name, "draft") ? " (compiled: DRAFT.so)" : "") +
              "\n";
    }
  }
  return text;
}

int runGenerator(const GeneratorOptions &options, const std::string &model,
                 const SessionOpener &open) {
  try {
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    if (!options.tokenizer.empty())
      tokenizer = tokenizer::Tokenizer::load(options.tokenizer);
    if (!options.sourceText.empty() && !options.sourceIds.empty())
      throw Error("give the source either as --source TEXT or as --source-ids IDS");
    if (!options.sourceText.empty() && !tokenizer)
      throw Error("--source needs --tokenizer (or give token ids with --source-ids)");
    std::vector<int64_t> source =
        options.sourceText.empty() ? options.sourceIds : tokenizer->encode(options.sourceText);
    const bool hasSource = !options.sourceText.empty() || !options.sourceIds.empty();
    int64_t bos = options.bosTokenId >= 0 ? options.bosTokenId : tokenizer ? tokenizer->bosId() : -1;

    std::vector<std::vector<int64_t>> prompts = options.promptIds;
    // An encoder-decoder's decoder starts from its start token alone.
    if (hasSource && prompts.empty() && options.promptTexts.empty()) {
      if (bos < 0)
        throw Error("give the decoder's start token with --bos-token-id (or --prompt-ids)");
      prompts.push_back({bos});
    }
    if (prompts.empty() == options.promptTexts.empty())
      throw Error("give the prompts either as --prompt TEXT or as --prompt-ids IDS");
    if (!options.promptTexts.empty() && !tokenizer)
      throw Error("--prompt needs --tokenizer (or give token ids with --prompt-ids)");
    for (const std::string &text : options.promptTexts) {
      std::vector<int64_t> ids = tokenizer->encode(text);
      if (bos >= 0)
        ids.insert(ids.begin(), bos);
      prompts.push_back(std::move(ids));
    }
    GenerationConfig config = options.config;
    if (!options.eosGiven && tokenizer && tokenizer->eosId() >= 0)
      config.eos_token_ids = {tokenizer->eosId()};
    try {
      config.validate();
    } catch (const Error &e) {
      throw Error(inOptionNames(e.what()));
    }

    int64_t longest = 0;
    for (const auto &p : prompts)
      longest = std::max<int64_t>(longest, p.size());
    if (config.max_new_tokens > (int64_t(1) << 32))
      throw Error("--max-new-tokens " + std::to_string(config.max_new_tokens) + " is too large");
    // The model is fed every token but the last one generated.
    int64_t context =
        options.maxContext > 0 ? options.maxContext : longest + config.max_new_tokens - 1;
    // The default --max-new-tokens shrinks to what --max-context holds.
    if (longest + config.max_new_tokens - 1 > context && !options.maxNewTokensGiven &&
        longest <= context) {
      config.max_new_tokens = context - longest + 1;
      std::fprintf(stderr, "note: --max-context %lld: at most %lld new tokens\n",
                   static_cast<long long>(context), static_cast<long long>(config.max_new_tokens));
    }
    if (longest + config.max_new_tokens - 1 > context)
      throw Error(
          "a prompt of " + std::to_string(longest) + " tokens plus " +
          std::to_string(config.max_new_tokens) + " new tokens needs " +
          std::to_string(longest + config.max_new_tokens - 1) +
          " positions (the last token is not fed back) and does not fit --max-context " +
          std::to_string(context) + ": " +
          (longest <= context
               ? "lower --max-new-tokens to " + std::to_string(context - longest + 1) + " or less"
               : "shorten the prompt to " + std::to_string(context) + " tokens or fewer") +
          ", or raise --max-context");
    // Greedy and sampling decode every prompt's return sequences as one
    // batch; beams and speculative decoding one prompt at a time.
    const int64_t rows = config.num_beams > 1
                             ? config.num_beams
                             : static_cast<int64_t>(prompts.size()) * config.num_return_sequences;
    // The target and the draft take turns: one pool serves both.
    auto pool = std::make_shared<runtime::ThreadPool>(
        options.threads ? options.threads : runtime::ThreadPool::availableThreads());
    // A model embeds only so many positions, which the run's tokens but the
    // last (never fed back) must fit: a run that cannot is refused before it
    // starts, in the options' terms; the default --max-new-tokens shrinks.
    auto openSized = [&](const std::string &path, runtime::SessionOptions sessionOptions) {
      try {
        return open(path, sessionOptions);
      } catch (const runtime::TooManyPositions &e) {
        const std::string what = e.embeds(path.empty() ? "the model" : path);
        if (options.maxContext > 0)
          throw Error("--max-context " + std::to_string(context) + ": " + what +
                      "; lower --max-context to " + std::to_string(e.limit) + " or less");
        const int64_t needed = longest + config.max_new_tokens - 1;
        if (needed > e.limit && (options.maxNewTokensGiven || longest > e.limit))
          throw Error("a prompt of " + std::to_string(longest) + " tokens plus " +
                      std::to_string(config.max_new_tokens) + " new tokens needs " +
                      std::to_string(needed) + " positions, but " + what + ": " +
                      (longest <= e.limit ? "lower --max-new-tokens to " +
                                                std::to_string(e.limit - longest + 1) + " or less"
                                          : "shorten the prompt to " + std::to_string(e.limit) +
                                                " tokens or fewer"));
        if (needed > e.limit) {
          config.max_new_tokens = e.limit - longest + 1;
          std::fprintf(stderr, "note: %s: at most %lld new tokens\n", what.c_str(),
                       static_cast<long long>(config.max_new_tokens));
        }
        context = sessionOptions.maxContext = e.limit;
        return open(path, sessionOptions);
      }
    };
    LoadedSession target =
        openSized(model, {context, rows, options.threads, pool, options.tokensPerCall});
    if (!target.session)
      return 1;
    if (target.session->needsSource() != hasSource)
      throw Error(hasSource
                      ? std::string(options.sourceText.empty() ? "--source-ids" : "--source") +
                            ": the model has no encoder (compile an encoder-decoder "
                            "with its --encoder)"
                      : "the model is an encoder-decoder: give its source with "
                        "--source-ids or --source");
    if (hasSource && !options.draft.empty())
      throw Error("speculative decoding with a draft model is for decoder-only models");
    if (hasSource)
      target.session->encode(source);
    LoadedSession draft;
    if (!options.draft.empty() && !(draft = openSized(options.draft, {context, 1, options.threads,
                                                                      pool, options.tokensPerCall}))
                                       .session)
      return 1;
    // Optimum's decoder_model.onnx returns present.* already: genc cannot
    // add a cache to it, only to a decoder that returns logits alone.
    const char *withCache = hasSource ? "export its decoder with a cache (Optimum's "
                                        "decoder_model_merged.onnx), or let genc try to add "
                                        "one (--add-kv-cache)"
                                      : "export it with a cache, or let genc add one "
                                        "(--add-kv-cache)";
    for (const LoadedSession *s : {&target, &draft})
      if (s->session && !s->session->cached())
        std::fprintf(stderr,
                     "note: %s has no KV cache: every step reruns the whole sequence (slow); "
                     "%s, for fast generation\n",
                     s == &target ? (model.empty() ? "the model" : model.c_str())
                                  : options.draft.c_str(),
                     withCache);

    // One sequence streams as its tokens become final.
    const bool stream = !options.json && prompts.size() == 1 && config.num_return_sequences == 1;
    std::vector<int64_t> streamed;
    std::string printed;
    Clock::time_point start = Clock::now();
    auto onToken = [&](int64_t, int64_t token) {
      if (!stream)
        return;
      streamed.push_back(token);
      if (!tokenizer) {
        std::printf(streamed.size() > 1 ? " %" PRId64 : "%" PRId64, token);
      } else {
        // Decoding the whole sequence again keeps the pieces' leading
        // spaces right; a character whose bytes are still arriving (byte
        // fallback) decodes to U+FFFD for now, so those wait.
        std::string text = tokenizer->decode(streamed);
        printNew(printed, withoutTrailingReplacements(text));
      }
      std::fflush(stdout);
    };
    generate::GenerationResult result =
        generate::generate(*target.session, draft.session.get(), prompts, config, onToken);

    auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    // Prefill: the target's start() calls (one per prompt for beams and
    // speculation); decoding: everything else, draft included.
    const double totalMs = ms(Clock::now() - start);
    const double prefillMs = target.session->prefillMillis();
    const generate::GenerationStats &stats = result.stats;
    const double decodeMs = totalMs - prefillMs;
    const double decodeRate = decodeMs > 0 ? stats.generated_tokens / (decodeMs / 1000) : 0;
    auto textOf = [&](const std::vector<int64_t> &ids) {
      return tokenizer ? tokenizer->decode(ids) : std::string();
    };

    if (options.json) {
      std::string out = "{\"sequences\": [";
      for (size_t k = 0; k < result.sequences.size(); ++k) {
        const generate::GeneratedSequence &s = result.sequences[k];
        out += k ? ", " : "";
        out += "{\"prompt\": " + std::to_string(s.prompt) + ", \"tokens\": [";
        for (size_t t = 0; t < s.tokens.size(); ++t)
          out += (t ? ", " : "") + std::to_string(s.tokens[t]);
        out += "], \"score\": " + number(s.score);
        if (tokenizer)
          out += ", \"text\": " + quoted(textOf(s.tokens));
        out += "}";
      }
      out += "], \"stats\": {\"prompt_tokens\": " + std::to_string(stats.prompt_tokens) +
             ", \"generated_tokens\": " + std::to_string(stats.generated_tokens) +
             ", \"target_passes\": " + std::to_string(stats.target_passes) +
             ", \"draft_tokens_proposed\": " + std::to_string(stats.draft_tokens_proposed) +
             ", \"draft_tokens_accepted\": " + std::to_string(stats.draft_tokens_accepted) +
             ", \"prefill_ms\": " + number(prefillMs) +
             ", \"decode_tokens_per_s\": " + number(decodeRate) + "}}\n";
      std::fputs(out.c_str(), stdout);
      return 0;
    }
    if (stream) {
      if (tokenizer)
        printNew(printed, tokenizer->decode(streamed));
      std::fputs("\n", stdout);
    } else {
      for (const generate::GeneratedSequence &s : result.sequences) {
        std::printf("[%" PRId64 "] ", s.prompt);
        if (tokenizer)
          std::fputs(textOf(s.tokens).c_str(), stdout);
        else
          for (size_t t = 0; t < s.tokens.size(); ++t)
            std::printf(t ? " %" PRId64 : "%" PRId64, s.tokens[t]);
        std::printf("  (score %.4f)\n", s.score);
      }
    }
    std::fflush(stdout);
    std::fprintf(stderr,
                 "%" PRId64 " prompt tokens, %" PRId64 " generated in %.0f ms: prefill %.1f ms, "
                 "%.1f tokens/s after it, %" PRId64 " target passes",
                 stats.prompt_tokens, stats.generated_tokens, totalMs, prefillMs, decodeRate,
                 stats.target_passes);
    if (stats.draft_tokens_proposed)
      std::fprintf(stderr,
                   "; draft: %" PRId64 " proposed, %" PRId64 " accepted (%.0f%%), %.2f tokens "
                   "per target pass",
                   stats.draft_tokens_proposed, stats.draft_tokens_accepted,
                   100 * stats.acceptanceRate(), stats.tokensPerTargetPass());
    std::fputs("\n", stderr);
    return 0;
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

} // namespace genc::generator
