//===- Speculative.cpp - draft, verify, roll back -------------------------===//

#include "generate/Speculative.h"

#include "generate/Sampling.h"

#include <algorithm>
#include <memory>

namespace genc::generate {

std::vector<int64_t> promptLookup(std::span<const int64_t> tokens, int64_t maxNgram,
                                  int64_t count) {
  auto length = static_cast<int64_t>(tokens.size());
  for (int64_t n = std::min(maxNgram, length - 1); n >= 1; --n) {
    auto suffix = tokens.subspan(length - n);
    // Latest first; the suffix itself (start = length - n) does not count.
    for (int64_t start = length - n - 1; start >= 0; --start)
      if (std::equal(suffix.begin(), suffix.end(), tokens.begin() + start)) {
        int64_t from = start + n, to = std::min(from + count, length);
        return {tokens.begin() + from, tokens.begin() + to};
      }
  }
  return {};
}

namespace {

/// A model that consumes a growing sequence lazily: predict() feeds it only
/// the tokens it has not seen, and truncate() rolls back what was not kept.
/// It remembers the last position's logits, so a model that has seen the
/// whole sequence (right after start) can still answer without a pass.
class ModelCursor {
public:
  ModelCursor(LanguageModel &model, int64_t &passes)
      : model_(model), passes_(passes), vocab_(model.vocabSize()) {}

  void start(const std::vector<int64_t> &prompt) {
    model_.start({prompt});
    ++passes_;
    held_ = prompt;
    std::span<const float> logits = checkedLogits(model_);
    last_.assign(logits.end() - vocab_, logits.end());
    lastValid_ = true;
  }

  /// (extra.size() + 1) × vocab logits: row j predicts extra[j] after
  /// `sequence` + extra[0, j); the last row predicts the token after all.
  std::vector<float> predict(std::span<const int64_t> sequence, std::span<const int64_t> extra) {
    auto seen = static_cast<size_t>(model_.length(0));
    if (seen > sequence.size())
      throw runtime::Error("speculative decoding: the model holds more tokens than the sequence");
    std::vector<int64_t> feed(sequence.begin() + seen, sequence.end());
    feed.insert(feed.end(), extra.begin(), extra.end());
    std::vector<float> rows;
    if (seen == sequence.size()) {
      // The prediction after the sequence is the one remembered.
      if (!lastValid_)
        throw runtime::Error("speculative decoding: no logits for the sequence's last position");
      rows = last_;
    }
    if (!feed.empty()) {
      model_.append(feed, static_cast<int64_t>(feed.size()));
      ++passes_;
      held_.assign(sequence.begin(), sequence.end());
      held_.insert(held_.end(), extra.begin(), extra.end());
      std::span<const float> logits = checkedLogits(model_);
      // Positions before the sequence's last token predict known tokens.
      size_t skip = seen == sequence.size() ? 0 : sequence.size() - seen - 1;
      rows.insert(rows.end(), logits.begin() + skip * vocab_, logits.end());
      last_.assign(logits.end() - vocab_, logits.end());
      lastValid_ = true;
    }
    return rows;
  }

  /// Forgets whatever the model consumed beyond the first `length` tokens.
  void truncate(int64_t length) {
    int64_t excess = model_.length(0) - length;
    if (excess <= 0)
      return;
    try {
      model_.rollback(excess);
      lastValid_ = false;
    } catch (const runtime::RollbackRefused &) {
      // A sliding cache (a windowed layer's) no longer holds what the
      // kept tokens' successor sees: start again from them.
      held_.resize(length);
      start(held_);
    }
  }

private:
  LanguageModel &model_;
  int64_t &passes_;
  int64_t vocab_;
  std::vector<float> last_;
  bool lastValid_ = false;
  /// The tokens the model holds.
  std::vector<int64_t> held_;
};

/// Draft tokens and the distributions q they were drawn from.
struct Proposal {
  std::vector<int64_t> tokens;
  std::vector<std::vector<double>> q;
};

std::vector<double> oneHot(int64_t size, int64_t token) {
  std::vector<double> q(size, 0.0);
  q[token] = 1.0;
  return q;
}

class Drafter {
public:
  virtual ~Drafter() = default;
  virtual void start(const std::vector<int64_t> &prompt) {}
  /// Up to `count` tokens to follow `sequence`, which holds `generated`
  /// generated tokens; stops after an EOS id.
  virtual Proposal propose(const std::vector<int64_t> &sequence, int64_t generated,
                           int64_t count, Rng &rng) = 0;
  /// Only the first `length` tokens of what was proposed on are kept.
  virtual void keep(int64_t length) {}
};

/// Proposes by running the draft model token by token with the target's
/// policy (processors and warpers), so q is the processed distribution.
class ModelDrafter : public Drafter {
public:
  ModelDrafter(LanguageModel &model, const TokenPolicy &policy, const GenerationConfig &config,
               GenerationStats &stats)
      : cursor_(model, stats.draft_passes), policy_(policy), config_(config) {}
  void start(const std::vector<int64_t> &prompt) override { cursor_.start(prompt); }
  Proposal propose(const std::vector<int64_t> &sequence, int64_t generated, int64_t count,
                   Rng &rng) override {
    Proposal proposal;
    std::vector<int64_t> extended = sequence;
    for (int64_t j = 0; j < count; ++j) {
      std::vector<float> scores = cursor_.predict(extended, {});
      policy_.process(scores, Context{extended, generated + j});
      int64_t token = policy_.choose(scores, rng);
      proposal.q.push_back(policy_.distribution(scores));
      proposal.tokens.push_back(token);
      extended.push_back(token);
      if (config_.isEos(token))
        break;
    }
    return proposal;
  }
  void keep(int64_t length) override { cursor_.truncate(length); }

private:
  ModelCursor cursor_;
  const TokenPolicy &policy_;
  const GenerationConfig &config_;
};

/// Proposes what followed the latest earlier occurrence of the last n-gram;
/// it is certain of its tokens, so q is one-hot.
class PromptLookupDrafter : public Drafter {
public:
  PromptLookupDrafter(const GenerationConfig &config, int64_t vocab)
      : config_(config), vocab_(vocab) {}
  Proposal propose(const std::vector<int64_t> &sequence, int64_t, int64_t count, Rng &) override {
    Proposal proposal;
    for (int64_t token : promptLookup(sequence, config_.max_matching_ngram_size, count)) {
      proposal.tokens.push_back(token);
      proposal.q.push_back(oneHot(vocab_, token));
      if (config_.isEos(token))
        break;
    }
    return proposal;
  }

private:
  const GenerationConfig &config_;
  int64_t vocab_;
};

/// Accepts draft token x with probability min(1, p(x) / q(x)).
bool accept(double p, double q, Rng &rng) {
  if (p >= q)
    return true;
  return p > 0.0 && rng.uniform() * q < p;
}

/// The target's token after a rejection: a draw from norm(max(0, p − q)).
int64_t correct(const std::vector<double> &p, const std::vector<double> &q, Rng &rng) {
  std::vector<double> residual(p.size());
  double total = 0.0;
  for (size_t v = 0; v < p.size(); ++v)
    total += residual[v] = std::max(0.0, p[v] - q[v]);
  // p = q exactly cannot reject; guard against rounding all the same.
  return drawIndex(total > 0.0 ? residual : p, rng.uniform());
}

} // namespace

GenerationResult speculativeDecode(LanguageModel &target, LanguageModel *draft,
                                   const std::vector<std::vector<int64_t>> &prompts,
                                   const GenerationConfig &config, const TokenCallback &onToken) {
  const int64_t vocab = target.vocabSize();
  const TokenPolicy policy(config);
  GenerationResult result;
  GenerationStats &stats = result.stats;
  ModelCursor verifier(target, stats.target_passes);
  std::unique_ptr<Drafter> drafter;
  if (draft)
    drafter = std::make_unique<ModelDrafter>(*draft, policy, config, stats);
  else
    drafter = std::make_unique<PromptLookupDrafter>(config, vocab);
  const int64_t gamma = draft ? config.num_assistant_tokens : config.prompt_lookup_num_tokens;

  for (size_t i = 0; i < prompts.size(); ++i) {
    stats.prompt_tokens += static_cast<int64_t>(prompts[i].size());
    auto index = static_cast<int64_t>(result.sequences.size());
    result.sequences.push_back({static_cast<int64_t>(i), {}, 0.0, false});
    GeneratedSequence &out = result.sequences.back();
    Rng rng(config.seed, i);
    verifier.start(prompts[i]);
    drafter->start(prompts[i]);
    std::vector<int64_t> sequence = prompts[i];

    while (!out.finished && static_cast<int64_t>(out.tokens.size()) < config.max_new_tokens) {
      auto generated = static_cast<int64_t>(out.tokens.size());
      // The target always adds one token of its own: leave room for it.
      int64_t count = std::min(gamma, config.max_new_tokens - generated - 1);
      Proposal proposal = drafter->propose(sequence, generated, count, rng);
      auto drafted = static_cast<int64_t>(proposal.tokens.size());
      stats.draft_tokens_proposed += drafted;
      std::vector<float> logits = verifier.predict(sequence, proposal.tokens);

      // Walk the proposal; position j's context is the sequence plus the
      // j draft tokens accepted before it.
      for (int64_t j = 0; j <= drafted; ++j) {
        std::span<float> scores(logits.data() + j * vocab, vocab);
        policy.process(scores, Context{sequence, generated + j});
        int64_t token;
        bool accepted = false;
        if (j == drafted) {
          // Every draft token was accepted: one more comes from p.
          token = policy.choose(scores, rng);
        } else {
          std::vector<double> p = policy.distribution(scores);
          int64_t x = proposal.tokens[j];
          accepted = accept(p[x], proposal.q[j][x], rng);
          token = accepted ? x : correct(p, proposal.q[j], rng);
          stats.draft_tokens_accepted += accepted;
        }
        out.score += logProbability(scores, token);
        out.tokens.push_back(token);
        sequence.push_back(token);
        if (onToken)
          onToken(index, token);
        out.finished = config.isEos(token);
        if (!accepted || out.finished)
          break;
      }
      // Both models keep the accepted draft tokens and forget the rejected
      // ones; the target's own last token is fed on the next pass.
      int64_t agreed = static_cast<int64_t>(sequence.size()) - 1;
      verifier.truncate(agreed);
      drafter->keep(agreed);
    }
    stats.generated_tokens += static_cast<int64_t>(out.tokens.size());
  }
  return result;
}

} // namespace genc::generate
