//===- GreedySample.cpp - one token per row per step ----------------------===//

#include "generate/GreedySample.h"

#include "generate/Sampling.h"

namespace genc::generate {

GenerationResult greedyOrSample(LanguageModel &model,
                                const std::vector<std::vector<int64_t>> &prompts,
                                const GenerationConfig &config, const TokenCallback &onToken) {
  const int64_t vocab = model.vocabSize();
  const TokenPolicy policy(config);
  GenerationResult result;

  // Row r continues prompt r / n (n copies of each prompt when sampling n
  // sequences); sequences[r] is its output, `texts[r]` its whole sequence.
  const int64_t copies = config.num_return_sequences;
  std::vector<std::vector<int64_t>> texts;
  std::vector<Rng> rngs;
  for (size_t p = 0; p < prompts.size(); ++p) {
    result.stats.prompt_tokens += static_cast<int64_t>(prompts[p].size());
    for (int64_t c = 0; c < copies; ++c) {
      auto row = static_cast<int64_t>(texts.size());
      texts.push_back(prompts[p]);
      rngs.emplace_back(config.seed, static_cast<uint64_t>(row));
      result.sequences.push_back({static_cast<int64_t>(p), {}, 0.0, false});
    }
  }
  model.start(texts);
  ++result.stats.target_passes;

  // active[i]: the sequence the model's row i holds.
  std::vector<int64_t> active(texts.size());
  for (size_t i = 0; i < active.size(); ++i)
    active[i] = static_cast<int64_t>(i);
  std::vector<float> scores(vocab);
  for (int64_t generated = 0;; ++generated) {
    std::span<const float> logits = checkedLogits(model);
    std::vector<int64_t> keep, next;
    for (size_t i = 0; i < active.size(); ++i) {
      int64_t s = active[i];
      GeneratedSequence &out = result.sequences[s];
      scores.assign(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab);
      policy.process(scores, Context{texts[s], generated});
      int64_t token = policy.choose(scores, rngs[s]);
      out.score += logProbability(scores, token);
      out.tokens.push_back(token);
      texts[s].push_back(token);
      if (onToken)
        onToken(s, token);
      out.finished = config.isEos(token);
      if (!out.finished && generated + 1 < config.max_new_tokens) {
        keep.push_back(static_cast<int64_t>(i));
        next.push_back(token);
      }
    }
    if (keep.empty())
      break;
    if (keep.size() != active.size()) {
      model.reorder(keep);
      std::vector<int64_t> survivors;
      for (int64_t i : keep)
        survivors.push_back(active[i]);
      active = std::move(survivors);
    }
    model.append(next, 1);
    ++result.stats.target_passes;
  }
  for (const GeneratedSequence &s : result.sequences)
    result.stats.generated_tokens += static_cast<int64_t>(s.tokens.size());
  return result;
}

} // namespace genc::generate
