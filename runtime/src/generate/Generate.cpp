//===- Generate.cpp - option checks and the choice of strategy ------------===//

#include "generate/Generate.h"

#include "generate/BeamSearch.h"
#include "generate/GreedySample.h"
#include "generate/Speculative.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace genc::generate {

namespace {
[[noreturn]] void invalid(const std::string &sentence) { throw runtime::Error(sentence); }

std::string str(double value) {
  std::string s = std::to_string(value);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.')
    s.pop_back();
  return s;
}
} // namespace

EarlyStopping parseEarlyStopping(std::string_view text) {
  if (text == "true")
    return EarlyStopping::WhenFull;
  if (text == "false")
    return EarlyStopping::Heuristic;
  if (text == "never")
    return EarlyStopping::Never;
  invalid("early_stopping must be true, false or never, not '" + std::string(text) + "'");
}

bool GenerationConfig::isEos(int64_t token) const {
  return std::find(eos_token_ids.begin(), eos_token_ids.end(), token) != eos_token_ids.end();
}

void GenerationConfig::validate() const {
  if (max_new_tokens < 1)
    invalid("max_new_tokens must be at least 1, not " + std::to_string(max_new_tokens));
  if (min_new_tokens < 0)
    invalid("min_new_tokens must not be negative");
  if (do_sample && !(temperature > 0.0 && std::isfinite(temperature)))
    invalid("temperature must be a positive number when sampling, not " + str(temperature) +
            " (for greedy decoding, do not sample)");
  if (top_k < 0)
    invalid("top_k must not be negative (0 turns it off)");
  if (!(top_p > 0.0 && top_p <= 1.0))
    invalid("top_p must be in (0, 1], not " + str(top_p));
  if (!(min_p >= 0.0 && min_p <= 1.0))
    invalid("min_p must be in [0, 1], not " + str(min_p));
  if (min_tokens_to_keep < 1)
    invalid("min_tokens_to_keep must be at least 1");
  if (!(repetition_penalty > 0.0 && std::isfinite(repetition_penalty)))
    invalid("repetition_penalty must be a positive number, not " + str(repetition_penalty));
  if (no_repeat_ngram_size < 0)
    invalid("no_repeat_ngram_size must not be negative (0 turns it off)");
  if (num_beams < 1)
    invalid("num_beams must be at least 1");
  if (num_beam_groups < 1 || num_beam_groups > num_beams || num_beams % num_beam_groups != 0)
    invalid("num_beams (" + std::to_string(num_beams) + ") must be divisible by num_beam_groups (" +
            std::to_string(num_beam_groups) + ")");
  if (!(diversity_penalty >= 0.0 && std::isfinite(diversity_penalty)))
    invalid("diversity_penalty must not be negative");
  if (!std::isfinite(length_penalty))
    invalid("length_penalty must be a finite number");
  if (!(coverage_penalty >= 0.0 && std::isfinite(coverage_penalty)))
    invalid("coverage_penalty must not be negative");
  if (coverage_penalty > 0.0 && num_beams == 1)
    invalid("coverage_penalty scores beam hypotheses: it needs num_beams > 1");
  if (num_return_sequences < 1)
    invalid("num_return_sequences must be at least 1");
  if (num_beams > 1 && num_return_sequences > num_beams)
    invalid("num_return_sequences (" + std::to_string(num_return_sequences) +
            ") must not exceed num_beams (" + std::to_string(num_beams) + ")");
  if (num_beams == 1 && !do_sample && num_return_sequences > 1)
    invalid("num_return_sequences > 1 needs beam search or sampling: greedy decoding would "
            "return the same sequence each time");
  if (do_sample && num_beams > 1)
    invalid("do_sample with num_beams > 1 (beam sampling) is not supported");
  if (num_assistant_tokens < 1)
    invalid("num_assistant_tokens must be at least 1, not " + std::to_string(num_assistant_tokens));
  if (prompt_lookup_num_tokens < 0)
    invalid("prompt_lookup_num_tokens must not be negative (0 turns prompt lookup off)");
  if (max_matching_ngram_size < 1)
    invalid("max_matching_ngram_size must be at least 1");
  if (prompt_lookup_num_tokens > 0 && (num_beams > 1 || num_return_sequences > 1))
    invalid("prompt_lookup_num_tokens needs num_beams = 1 and num_return_sequences = 1");
  for (int64_t eos : eos_token_ids)
    if (eos < 0)
      invalid("eos_token_ids must not be negative, found " + std::to_string(eos));
  if (pad_token_id < -1)
    invalid("pad_token_id must be a token id or -1 (none)");
}

double GenerationStats::acceptanceRate() const {
  return draft_tokens_proposed ? static_cast<double>(draft_tokens_accepted) / draft_tokens_proposed
                               : 0.0;
}

double GenerationStats::tokensPerTargetPass() const {
  return target_passes ? static_cast<double>(generated_tokens) / target_passes : 0.0;
}

std::span<const float> checkedLogits(const LanguageModel &model) {
  std::span<const float> logits = model.logits();
  auto unusable = [](float x) {
    return std::isnan(x) || x == std::numeric_limits<float>::infinity();
  };
  // One pass the compiler vectorises; the search only on failure.
  bool any = false;
  for (float x : logits)
    any |= unusable(x);
  if (!any)
    return logits;
  const auto at =
      static_cast<int64_t>(std::find_if(logits.begin(), logits.end(), unusable) - logits.begin());
  const int64_t vocab = model.vocabSize(), rows = std::max<int64_t>(model.rows(), 1);
  const int64_t positions =
      std::max<int64_t>(static_cast<int64_t>(logits.size()) / (rows * vocab), 1);
  const int64_t row = at / vocab / positions, position = at / vocab % positions;
  // Position p of a call of `positions` predicts the token after the
  // row's first length - positions + p + 1 tokens.
  const int64_t after = model.length(row) - positions + position + 1;
  throw runtime::Error(std::string("the model's logits hold ") +
                       (std::isnan(logits[at]) ? "NaN" : "+inf") + " for token " +
                       std::to_string(at % vocab) + " after the first " + std::to_string(after) +
                       " tokens of row " + std::to_string(row) +
                       ": its arithmetic overflowed or its weights hold NaN, and no token can be "
                       "chosen from them. Check the model's outputs on the same tokens with "
                       "`genc run`");
}

GenerationResult generate(LanguageModel &target, LanguageModel *draft,
                          const std::vector<std::vector<int64_t>> &prompts,
                          const GenerationConfig &config, const TokenCallback &onToken) {
  config.validate();
  const int64_t vocab = target.vocabSize();
  if (prompts.empty())
    invalid("generate needs at least one prompt");
  for (const auto &prompt : prompts) {
    if (prompt.empty())
      invalid("every prompt needs at least one token");
    for (int64_t token : prompt)
      if (token < 0 || token >= vocab)
        invalid("prompt token " + std::to_string(token) + " is outside the vocabulary (size " +
                std::to_string(vocab) + ")");
  }
  for (int64_t eos : config.eos_token_ids)
    if (eos >= vocab)
      invalid("eos_token_ids: " + std::to_string(eos) + " is outside the vocabulary (size " +
              std::to_string(vocab) + ")");
  if (config.pad_token_id >= vocab)
    invalid("pad_token_id is outside the vocabulary");

  if (draft || config.prompt_lookup_num_tokens > 0) {
    if (draft && config.prompt_lookup_num_tokens > 0)
      invalid("prompt_lookup_num_tokens drafts without a draft model: give one or the other");
    if (config.num_beams > 1 || config.num_return_sequences > 1)
      invalid("speculative decoding needs num_beams = 1 and num_return_sequences = 1");
    if (draft && draft->vocabSize() != vocab)
      invalid("the draft model's vocabulary (" + std::to_string(draft->vocabSize()) +
              ") differs from the target's (" + std::to_string(vocab) + ")");
    return speculativeDecode(target, draft, prompts, config, onToken);
  }
  if (config.num_beams > 1) {
    std::vector<int64_t> eos = config.eos_token_ids;
    std::sort(eos.begin(), eos.end());
    if (std::unique(eos.begin(), eos.end()) - eos.begin() >= vocab)
      invalid("beam search needs a token that is not an EOS id");
    auto scorer = makeBeamScorer(config);
    // A model that can report cross-attention implements CrossAttentionSource
    // too, with a source of at least one position.
    auto *attention = dynamic_cast<const CrossAttentionSource *>(&target);
    if (attention && attention->sourceLength() == 0)
      attention = nullptr;
    return beamSearch(target, prompts, config, *scorer, attention, onToken);
  }
  return greedyOrSample(target, prompts, config, onToken);
}

} // namespace genc::generate
