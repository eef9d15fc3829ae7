//===- LogitsProcessors.h - the chain that shapes next-token scores -*- C++ -*-===//
//
// Small processors, each rewriting one row's next-token scores in place,
// chained in Hugging Face's order. "Processors" (diversity, repetition
// penalty, no-repeat n-gram, min_new_tokens) apply to every strategy;
// "warpers" (temperature, top-k, top-p, min-p) only reshape a distribution
// that is sampled from. A token a processor drops gets -inf.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_LOGITSPROCESSORS_H
#define GENC_RUNTIME_GENERATE_LOGITSPROCESSORS_H

#include "generate/Generate.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace genc::generate {

/// What a processor may look at besides the scores.
struct Context {
  /// The row's whole sequence, prompt included.
  std::span<const int64_t> tokens = {};
  /// Tokens generated so far (the tail of `tokens` after the prompt).
  int64_t generated = 0;
  /// Diverse beam search: the tokens the earlier groups chose at this step.
  std::span<const int64_t> earlierGroupTokens = {};
};

class LogitsProcessor {
public:
  virtual ~LogitsProcessor() = default;
  virtual void apply(std::span<float> scores, const Context &context) const = 0;
};

/// Diverse beam search (Vijayakumar et al.): each time an earlier group chose
/// a token at this step, the token's score drops by `penalty` (Hamming
/// diversity).
class HammingDiversity : public LogitsProcessor {
public:
  explicit HammingDiversity(double penalty) : penalty_(penalty) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  double penalty_;
};

/// Every id already in the sequence (prompt included), once: s<0 ? s·p : s/p,
/// so p > 1 always makes a repeat less likely.
class RepetitionPenalty : public LogitsProcessor {
public:
  explicit RepetitionPenalty(double penalty) : penalty_(penalty) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  double penalty_;
};

/// Bans every token that would complete an n-gram already in the sequence.
class NoRepeatNGram : public LogitsProcessor {
public:
  explicit NoRepeatNGram(int64_t size) : size_(size) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  int64_t size_;
};

/// Bans the EOS ids while fewer than `minNewTokens` tokens are generated.
class MinNewTokens : public LogitsProcessor {
public:
  MinNewTokens(int64_t minNewTokens, std::vector<int64_t> eosTokenIds)
      : minNewTokens_(minNewTokens), eos_(std::move(eosTokenIds)) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  int64_t minNewTokens_;
  std::vector<int64_t> eos_;
};

/// s / T.
class Temperature : public LogitsProcessor {
public:
  explicit Temperature(double temperature) : temperature_(temperature) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  double temperature_;
};

/// Keeps the scores ≥ the k-th largest (ties with it are kept), with
/// k raised to min_tokens_to_keep.
class TopK : public LogitsProcessor {
public:
  TopK(int64_t k, int64_t minTokensToKeep) : k_(k), minKeep_(minTokensToKeep) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  int64_t k_, minKeep_;
};

/// Nucleus: sorted ascending, the tokens whose cumulative probability is
/// ≤ 1 − p are dropped; the min_tokens_to_keep most likely always stay.
class TopP : public LogitsProcessor {
public:
  TopP(double p, int64_t minTokensToKeep) : p_(p), minKeep_(minTokensToKeep) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  double p_;
  int64_t minKeep_;
};

/// Drops the tokens with probability < min_p · (the largest probability);
/// the min_tokens_to_keep most likely always stay.
class MinP : public LogitsProcessor {
public:
  MinP(double minP, int64_t minTokensToKeep) : minP_(minP), minKeep_(minTokensToKeep) {}
  void apply(std::span<float> scores, const Context &context) const override;

private:
  double minP_;
  int64_t minKeep_;
};

/// Processors applied one after the other.
class ProcessorChain {
public:
  void add(std::unique_ptr<LogitsProcessor> processor) { chain_.push_back(std::move(processor)); }
  void apply(std::span<float> scores, const Context &context) const {
    for (const auto &processor : chain_)
      processor->apply(scores, context);
  }
  size_t size() const { return chain_.size(); }

private:
  std::vector<std::unique_ptr<LogitsProcessor>> chain_;
};

/// The processors `config` turns on, in HF's order: diversity (beam groups
/// only), repetition penalty, no-repeat n-gram, min_new_tokens.
ProcessorChain makeProcessors(const GenerationConfig &config);
/// The warpers `config` turns on, in HF's order: temperature, top-k, top-p,
/// min-p. Only for sampling.
ProcessorChain makeWarpers(const GenerationConfig &config);

/// The tokens not dropped (score above -inf), most likely first, equal
/// scores in index order: the order top-p and min-p walk. (NaN scores have
/// no defined place.)
std::vector<int64_t> keptByScoreDescending(std::span<const float> scores);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_LOGITSPROCESSORS_H
