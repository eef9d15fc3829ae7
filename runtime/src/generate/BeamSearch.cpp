//===- BeamSearch.cpp - (diverse) beam search over the model's rows -------===//

#include "generate/BeamSearch.h"

#include "generate/LogitsProcessors.h"
#include "generate/Sampling.h"

#include <algorithm>

namespace genc::generate {

namespace {

/// The score HF gives beams 1.. before the first step: the num_beams copies
/// of the prompt would otherwise all continue the same way.
constexpr double kNotYetAlive = -1.0e9;

struct Beam {
  std::vector<int64_t> tokens; ///< generated so far
  double sum = 0.0;            ///< summed processed log-probs
  std::vector<double> coverage; ///< attention received per source position
};

struct Hypothesis {
  std::vector<int64_t> tokens;
  double score;
  bool finished; ///< ended by EOS (not by max_new_tokens)
  int64_t order; ///< when it was added: ties rank the earlier first
};

bool ranksAbove(const Hypothesis &a, const Hypothesis &b) {
  return a.score > b.score || (a.score == b.score && a.order < b.order);
}

/// The best `capacity` finished hypotheses of one group.
class Hypotheses {
public:
  explicit Hypotheses(size_t capacity) : capacity_(capacity) {}
  void add(Hypothesis hypothesis) {
    list_.push_back(std::move(hypothesis));
    if (list_.size() > capacity_)
      list_.erase(std::min_element(list_.begin(), list_.end(),
                                   [](const Hypothesis &a, const Hypothesis &b) {
                                     return ranksAbove(b, a);
                                   }));
  }
  bool full() const { return list_.size() >= capacity_; }
  double worst() const {
    double worst = list_.front().score;
    for (const Hypothesis &h : list_)
      worst = std::min(worst, h.score);
    return worst;
  }
  const std::vector<Hypothesis> &all() const { return list_; }

private:
  size_t capacity_;
  std::vector<Hypothesis> list_;
};

struct Group {
  std::vector<Beam> beams;
  Hypotheses finished;
  bool done = false;
};

/// A continuation: beam `beam` of its group followed by `token`.
struct Candidate {
  double sum;
  int64_t beam;
  int64_t token;
};

/// Beam search of one prompt.
class PromptSearch {
public:
  PromptSearch(LanguageModel &model, const std::vector<int64_t> &prompt,
               const GenerationConfig &config, const BeamScorer &scorer,
               const CrossAttentionSource *attention, GenerationStats &stats)
      : model_(model), prompt_(prompt), config_(config), scorer_(scorer),
        attention_(scorer.needsCoverage() ? attention : nullptr), stats_(stats),
        processors_(makeProcessors(config)), vocab_(model.vocabSize()),
        groupSize_(config.num_beams / config.num_beam_groups), isEos_(vocab_, false) {
    for (int64_t eos : config.eos_token_ids)
      isEos_[eos] = true;
    numEos_ = std::count(isEos_.begin(), isEos_.end(), true);
  }

  /// Every group's hypotheses, best first.
  std::vector<Hypothesis> run();

private:
  std::vector<Candidate> rankCandidates(const Group &group, std::span<const float> logits,
                                        int64_t generated, std::span<const int64_t> earlier);
  std::vector<int64_t> advance(Group &group, const std::vector<Candidate> &ranked,
                               int64_t length, int64_t firstRow);
  void addHypothesis(Group &group, std::vector<int64_t> tokens, double sum, int64_t length,
                     const std::vector<double> &coverage, bool finished);
  /// Adds the attention of the model's row `row` to `coverage`.
  void addAttention(std::vector<double> &coverage, int64_t row) const;
  /// Adds each row's attention to the coverage of the beam it holds.
  void accumulateCoverage(std::vector<Group> &groups) const;

  LanguageModel &model_;
  const std::vector<int64_t> &prompt_;
  const GenerationConfig &config_;
  const BeamScorer &scorer_;
  const CrossAttentionSource *attention_;
  GenerationStats &stats_;
  ProcessorChain processors_;
  int64_t vocab_, groupSize_, numEos_ = 0, added_ = 0;
  std::vector<bool> isEos_;
};

std::vector<Hypothesis> PromptSearch::run() {
  model_.start({prompt_});
  ++stats_.target_passes;
  std::vector<Group> groups;
  for (int64_t g = 0; g < config_.num_beam_groups; ++g) {
    Group group{std::vector<Beam>(groupSize_), Hypotheses(groupSize_)};
    for (int64_t b = 1; b < groupSize_; ++b)
      group.beams[b].sum = kNotYetAlive;
    groups.push_back(std::move(group));
  }
  // The prompt's row becomes every beam's.
  std::vector<double> promptCoverage;
  if (attention_)
    addAttention(promptCoverage, 0);
  for (Group &group : groups)
    for (Beam &beam : group.beams)
      beam.coverage = promptCoverage;
  // The first step reads the prompt's logits for every beam: logits() is
  // only promised after start() and append(), not after reorder().
  std::span<const float> promptLogits = checkedLogits(model_);
  std::vector<float> expanded;
  for (int64_t b = 0; b < config_.num_beams; ++b)
    expanded.insert(expanded.end(), promptLogits.end() - vocab_, promptLogits.end());
  model_.reorder(std::vector<int64_t>(config_.num_beams, 0));

  for (int64_t generated = 0;; ++generated) {
    std::span<const float> logits =
        generated == 0 ? std::span<const float>(expanded) : checkedLogits(model_);
    std::vector<int64_t> chosenThisStep, sources, next;
    int64_t row = 0;
    for (Group &group : groups) {
      if (group.done)
        continue;
      auto ranked = rankCandidates(group, logits.subspan(row * vocab_, groupSize_ * vocab_),
                                   generated, chosenThisStep);
      std::vector<int64_t> parents = advance(group, ranked, generated + 1, row);
      row += groupSize_;
      for (size_t b = 0; b < group.beams.size(); ++b) {
        chosenThisStep.push_back(group.beams[b].tokens.back());
        if (!group.done) {
          sources.push_back(parents[b]);
          next.push_back(group.beams[b].tokens.back());
        }
      }
    }
    if (sources.empty())
      break; // every group is done
    // Rows follow the beams: finished groups' rows are dropped.
    model_.reorder(sources);
    model_.append(next, 1);
    ++stats_.target_passes;
    accumulateCoverage(groups);
  }

  std::vector<Hypothesis> all;
  for (const Group &group : groups)
    all.insert(all.end(), group.finished.all().begin(), group.finished.all().end());
  std::sort(all.begin(), all.end(), ranksAbove);
  return all;
}

std::vector<Candidate> PromptSearch::rankCandidates(const Group &group,
                                                    std::span<const float> logits,
                                                    int64_t generated,
                                                    std::span<const int64_t> earlier) {
  std::vector<Candidate> candidates;
  candidates.reserve(groupSize_ * vocab_);
  std::vector<float> logProbs(vocab_);
  std::vector<int64_t> sequence;
  for (int64_t b = 0; b < groupSize_; ++b) {
    const Beam &beam = group.beams[b];
    // HF processes log-probs (not logits) in beam search.
    logSoftmax(logits.subspan(b * vocab_, vocab_), logProbs);
    sequence.assign(prompt_.begin(), prompt_.end());
    sequence.insert(sequence.end(), beam.tokens.begin(), beam.tokens.end());
    processors_.apply(logProbs, Context{sequence, generated, earlier});
    for (int64_t v = 0; v < vocab_; ++v)
      candidates.push_back({beam.sum + logProbs[v], b, v});
  }
  // Enough candidates that num_beams of them do not end in EOS even if
  // every beam's EOS ids rank first (HF keeps max(2, 1 + #eos) · num_beams).
  size_t keep = std::min<size_t>(candidates.size(), std::max<int64_t>(2, 1 + numEos_) * groupSize_);
  auto better = [](const Candidate &a, const Candidate &b) {
    if (a.sum != b.sum)
      return a.sum > b.sum;
    return a.beam != b.beam ? a.beam < b.beam : a.token < b.token;
  };
  std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), better);
  candidates.resize(keep);
  return candidates;
}

std::vector<int64_t> PromptSearch::advance(Group &group, const std::vector<Candidate> &ranked,
                                           int64_t length, int64_t firstRow) {
  std::vector<Beam> beams;
  std::vector<int64_t> parents;
  for (size_t rank = 0; rank < ranked.size() && static_cast<int64_t>(beams.size()) < groupSize_;
       ++rank) {
    const Candidate &c = ranked[rank];
    const Beam &parent = group.beams[c.beam];
    std::vector<int64_t> tokens = parent.tokens;
    tokens.push_back(c.token);
    if (isEos_[c.token]) {
      // Only an EOS among the best num_beams continuations finishes a
      // hypothesis; the others are no better than the beams kept.
      if (static_cast<int64_t>(rank) < groupSize_)
        addHypothesis(group, std::move(tokens), c.sum, length, parent.coverage, true);
      continue;
    }
    beams.push_back({std::move(tokens), c.sum, parent.coverage});
    parents.push_back(firstRow + c.beam);
  }
  if (static_cast<int64_t>(beams.size()) < groupSize_)
    throw runtime::Error("beam search found fewer continuations than num_beams that do not end "
                         "in an EOS id");
  group.beams = std::move(beams);

  if (group.finished.full()) {
    double best = scorer_.bestReachable(group.beams.front().sum, length, config_.max_new_tokens,
                                        config_.early_stopping);
    group.done = group.finished.worst() >= best;
  }
  if (length == config_.max_new_tokens) {
    // Out of length: the running beams of a group not yet done finish as
    // they are (Hugging Face's finalize skips groups that are done).
    if (!group.done)
      for (const Beam &beam : group.beams)
        addHypothesis(group, beam.tokens, beam.sum, length, beam.coverage, false);
    group.done = true;
  }
  return parents;
}

void PromptSearch::addHypothesis(Group &group, std::vector<int64_t> tokens, double sum,
                                 int64_t length, const std::vector<double> &coverage,
                                 bool finished) {
  group.finished.add({std::move(tokens), scorer_.score(sum, length, coverage), finished, added_++});
}

void PromptSearch::addAttention(std::vector<double> &coverage, int64_t row) const {
  int64_t sourceLength = attention_->sourceLength();
  auto weights = attention_->crossAttention().subspan(row * sourceLength, sourceLength);
  coverage.resize(sourceLength, 0.0);
  for (int64_t i = 0; i < sourceLength; ++i)
    coverage[i] += weights[i];
}

void PromptSearch::accumulateCoverage(std::vector<Group> &groups) const {
  if (!attention_)
    return;
  int64_t row = 0;
  for (Group &group : groups)
    if (!group.done)
      for (Beam &beam : group.beams)
        addAttention(beam.coverage, row++);
}

} // namespace

GenerationResult beamSearch(LanguageModel &model, const std::vector<std::vector<int64_t>> &prompts,
                            const GenerationConfig &config, const BeamScorer &scorer,
                            const CrossAttentionSource *attention, const TokenCallback &onToken) {
  if (scorer.needsCoverage() && !attention)
    throw runtime::Error("coverage_penalty needs an encoder-decoder whose decoder exposes its "
                         "cross-attention; a decoder-only model has none");
  GenerationResult result;
  for (size_t p = 0; p < prompts.size(); ++p) {
    result.stats.prompt_tokens += static_cast<int64_t>(prompts[p].size());
    PromptSearch search(model, prompts[p], config, scorer, attention, result.stats);
    std::vector<Hypothesis> best = search.run();
    for (int64_t k = 0; k < config.num_return_sequences && k < static_cast<int64_t>(best.size());
         ++k) {
      auto index = static_cast<int64_t>(result.sequences.size());
      Hypothesis &h = best[k];
      result.stats.generated_tokens += static_cast<int64_t>(h.tokens.size());
      if (onToken)
        for (int64_t token : h.tokens)
          onToken(index, token);
      result.sequences.push_back({static_cast<int64_t>(p), std::move(h.tokens), h.score, h.finished});
    }
  }
  return result;
}

} // namespace genc::generate
