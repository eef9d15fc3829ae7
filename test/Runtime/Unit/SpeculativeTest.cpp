//===- SpeculativeTest.cpp - draft/verify equals the target's own decoding -===//

#include "FakeLanguageModel.h"

#include "Error.h"

#include "generate/Generate.h"
#include "generate/Speculative.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace genc::generate;
using namespace genc::generate::testing;

namespace {

TEST(PromptLookup, ProposesWhatFollowedTheLatestMatch) {
  using L = std::vector<int64_t>;
  // (1,2) occurs at 0 and 3; the latest earlier match is at 3.
  L text{1, 2, 7, 1, 2, 8, 1, 2};
  EXPECT_EQ(promptLookup(text, 2, 3), (L{8, 1, 2}));
  EXPECT_EQ(promptLookup(text, 2, 1), (L{8}));
  // Never past the end of the text.
  EXPECT_EQ(promptLookup(L{1, 2, 3, 4, 1, 2, 3, 5, 1, 2}, 2, 10), (L{3, 5, 1, 2}));
  // No earlier (9,3): falls back to the unigram (3), seen at 2.
  EXPECT_EQ(promptLookup(L{1, 2, 3, 9, 3}, 2, 2), (L{9, 3}));
  // The longest n-gram wins over a later shorter match: (5,6,7) at 0,
  // although (7) alone last occurred at 5.
  EXPECT_EQ(promptLookup(L{5, 6, 7, 8, 9, 7, 5, 6, 7}, 3, 2), (L{8, 9}));
  EXPECT_EQ(promptLookup(L{5, 6, 7, 8, 9, 7, 5, 6, 7}, 1, 2), (L{5, 6}));
  EXPECT_EQ(promptLookup(L{1, 2, 3}, 2, 4), L{});
  EXPECT_EQ(promptLookup(L{4}, 2, 4), L{});
}

// vocab 6, EOS 0; the draft disagrees with the target after tokens 1 and 3.
std::vector<std::vector<float>> targetTable() {
  return {{0.0f, 0.5f, 0.2f, 0.1f, 0.3f, 0.4f},  {-1.0f, 0.2f, 1.5f, 0.3f, 0.9f, 0.1f},
          {-0.5f, 0.4f, 0.1f, 1.2f, 1.1f, 0.0f}, {0.2f, 1.3f, 0.2f, 0.1f, 0.6f, 1.0f},
          {0.9f, 0.3f, 0.8f, 0.2f, 0.0f, 0.7f},  {-0.2f, 1.1f, 0.6f, 0.9f, 0.4f, 0.2f}};
}
std::vector<std::vector<float>> lengthTerm() {
  std::vector<std::vector<float>> t(12, std::vector<float>(6, 0.0f));
  t[5][5] = 0.8f;
  t[8][0] = 1.0f;
  t[9][2] = 0.7f;
  return t;
}
LogitsFn target() { return bigram(targetTable(), lengthTerm()); }
LogitsFn disagreeingDraft() {
  auto table = targetTable();
  table[1][4] = 1.6f;
  table[3][5] = 1.4f;
  return bigram(table, {});
}

TEST(Speculative, GreedyEqualsTargetGreedy) {
  const std::vector<std::vector<int64_t>> prompts{{1}, {2, 3}, {5}, {4, 4, 1}};
  for (int variant = 0; variant < 2; ++variant)
    for (int64_t gamma : {1, 2, 3, 5}) {
      SCOPED_TRACE("gamma " + std::to_string(gamma) + ", variant " + std::to_string(variant));
      GenerationConfig c;
      c.max_new_tokens = 12;
      c.eos_token_ids = {0};
      c.num_assistant_tokens = gamma;
      if (variant == 1) { // processors that read the context
        c.repetition_penalty = 1.3;
        c.no_repeat_ngram_size = 2;
        c.min_new_tokens = 3;
      }
      FakeLanguageModel plainModel(6, target());
      auto greedy = generate(plainModel, nullptr, prompts, c);
      FakeLanguageModel targetModel(6, target()), draftModel(6, disagreeingDraft());
      auto spec = generate(targetModel, &draftModel, prompts, c);
      ASSERT_EQ(spec.sequences.size(), greedy.sequences.size());
      for (size_t i = 0; i < prompts.size(); ++i) {
        EXPECT_EQ(spec.sequences[i].tokens, greedy.sequences[i].tokens) << "prompt " << i;
        EXPECT_EQ(spec.sequences[i].finished, greedy.sequences[i].finished);
        EXPECT_NEAR(spec.sequences[i].score, greedy.sequences[i].score, 1e-5);
      }
      // The draft was right sometimes and wrong sometimes; rejections rolled back.
      EXPECT_GT(spec.stats.draft_tokens_accepted, 0);
      EXPECT_LT(spec.stats.draft_tokens_accepted, spec.stats.draft_tokens_proposed);
      EXPECT_GT(targetModel.rollbacks, 0);
      EXPECT_EQ(spec.stats.generated_tokens, greedy.stats.generated_tokens);
    }
}

/// A draft whose rollbacks of more than one token are refused, as a
/// session's sliding cache refuses those it no longer holds.
class ShortMemoryModel : public FakeLanguageModel {
public:
  using FakeLanguageModel::FakeLanguageModel;
  void rollback(int64_t count) override {
    if (count > 1)
      throw genc::runtime::RollbackRefused("rollback of " + std::to_string(count) + " tokens refused");
    FakeLanguageModel::rollback(count);
  }
};

TEST(Speculative, ADraftThatCannotRollBackStartsAgain) {
  GenerationConfig c;
  c.max_new_tokens = 12;
  c.num_assistant_tokens = 4;
  FakeLanguageModel plainModel(6, target());
  auto greedy = generate(plainModel, nullptr, {{2, 3}}, c);
  FakeLanguageModel targetModel(6, target());
  ShortMemoryModel draftModel(6, disagreeingDraft());
  auto spec = generate(targetModel, &draftModel, {{2, 3}}, c);
  EXPECT_EQ(spec.sequences[0].tokens, greedy.sequences[0].tokens);
  // Refused rollbacks restarted the draft from the kept tokens: what it
  // holds is a prefix of the prompt and the output.
  EXPECT_GT(draftModel.starts, 1);
  std::vector<int64_t> whole = {2, 3};
  whole.insert(whole.end(), spec.sequences[0].tokens.begin(), spec.sequences[0].tokens.end());
  const std::vector<int64_t> &held = draftModel.sequences[0];
  ASSERT_LE(held.size(), whole.size());
  EXPECT_TRUE(std::equal(held.begin(), held.end(), whole.begin()));
}

TEST(Speculative, AnAgreeingDraftIsAlwaysAccepted) {
  GenerationConfig c;
  c.max_new_tokens = 12;
  c.num_assistant_tokens = 3;
  FakeLanguageModel targetModel(6, target()), draftModel(6, target());
  std::vector<int64_t> streamed;
  auto spec = generate(targetModel, &draftModel, {{1}}, c,
                       [&](int64_t, int64_t t) { streamed.push_back(t); });
  FakeLanguageModel plainModel(6, target());
  EXPECT_EQ(spec.sequences[0].tokens, generate(plainModel, nullptr, {{1}}, c).sequences[0].tokens);
  EXPECT_EQ(streamed, spec.sequences[0].tokens);
  // Each pass verifies 3 draft tokens and adds one of its own: 12 tokens in
  // the prefill plus 3 passes.
  EXPECT_EQ(spec.stats.draft_tokens_proposed, 9);
  EXPECT_EQ(spec.stats.draft_tokens_accepted, 9);
  EXPECT_EQ(spec.stats.target_passes, 4);
  EXPECT_DOUBLE_EQ(spec.stats.acceptanceRate(), 1.0);
  EXPECT_DOUBLE_EQ(spec.stats.tokensPerTargetPass(), 3.0);
  EXPECT_EQ(targetModel.rollbacks, 0);
}

// A cycle 1 → 2 → 3 → 4 → 1 that, from length 12 on, goes 2 → 4 instead:
// prompt lookup is right until the text changes, then wrong.
LogitsFn cycle() {
  std::vector<std::vector<float>> table(6, std::vector<float>(6, 0.0f));
  table[1][2] = table[2][3] = table[3][4] = table[4][1] = table[5][1] = 3.0f;
  table[0][1] = 3.0f;
  std::vector<std::vector<float>> perLength(12, std::vector<float>(6, 0.0f));
  perLength.resize(40, {0, 0, 0, 0, 4.0f, 0});
  return bigram(table, perLength);
}

TEST(Speculative, PromptLookupGreedyEqualsGreedy) {
  GenerationConfig c;
  c.max_new_tokens = 16;
  c.prompt_lookup_num_tokens = 4;
  FakeLanguageModel targetModel(6, cycle());
  auto spec = generate(targetModel, nullptr, {{1, 2, 3, 4, 1, 2}}, c);
  FakeLanguageModel plainModel(6, cycle());
  c.prompt_lookup_num_tokens = 0;
  auto greedy = generate(plainModel, nullptr, {{1, 2, 3, 4, 1, 2}}, c);
  EXPECT_EQ(greedy.stats.target_passes, 16);
  EXPECT_EQ(spec.sequences[0].tokens, greedy.sequences[0].tokens);
  EXPECT_NEAR(spec.sequences[0].score, greedy.sequences[0].score, 1e-5);
  EXPECT_GT(spec.stats.draft_tokens_accepted, 0);
  EXPECT_LT(spec.stats.draft_tokens_accepted, spec.stats.draft_tokens_proposed);
  EXPECT_LT(spec.stats.target_passes, greedy.stats.target_passes);
  EXPECT_EQ(spec.stats.draft_passes, 0);
}

// --- Speculative sampling: the output distribution is the target's. ---

constexpr double kTemperature = 0.8;

LogitsFn smallTarget() {
  return bigram({{0.3f, -0.2f, 0.5f, 0.0f},
                 {0.1f, 0.6f, -0.4f, 0.2f},
                 {-0.3f, 0.2f, 0.4f, 0.7f},
                 {0.5f, 0.0f, 0.1f, -0.5f}},
                {{0, 0, 0, 0}, {0, 0, 0, 0}, {0.3f, 0, 0, -0.3f}, {0, 0.4f, 0, 0}});
}
LogitsFn smallDraft() {
  return bigram({{-0.5f, 0.4f, 0.2f, 0.3f},
                 {0.6f, -0.2f, 0.3f, 0.0f},
                 {0.4f, 0.1f, -0.5f, 0.2f},
                 {-0.2f, 0.6f, 0.3f, 0.1f}});
}

/// Probability that sampling with temperature T after `prompt` yields the
/// three tokens of `cell` (cell = 16·a + 4·b + c), from the model alone.
double sequenceProbability(const LogitsFn &fn, std::vector<int64_t> sequence, int cell,
                           double temperature) {
  double p = 1.0;
  for (int token : {cell / 16, (cell / 4) % 4, cell % 4}) {
    std::vector<float> l = fn(sequence);
    for (float &x : l)
      x = static_cast<float>(x / temperature);
    p *= std::exp(referenceLogSoftmax(l)[token]);
    sequence.push_back(token);
  }
  return p;
}

/// Chi-square over the 64 cells, pooling those expecting fewer than 5
/// draws into one; returns (statistic, degrees of freedom).
std::pair<double, int> chiSquare(const std::vector<int64_t> &counts,
                                 const std::vector<double> &probs, int64_t n) {
  double chi2 = 0.0, pooledExpected = 0.0;
  int64_t pooledObserved = 0;
  int cells = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    double expected = probs[i] * n;
    if (expected < 5.0) {
      pooledExpected += expected;
      pooledObserved += counts[i];
      continue;
    }
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    ++cells;
  }
  if (pooledExpected > 0.0) {
    chi2 += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
    ++cells;
  }
  return {chi2, cells - 1};
}

/// The chi-square quantile at 1 − 0.001 (Wilson–Hilferty; z = 3.0902).
double critical(int df) {
  double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + 3.0902 * std::sqrt(a), 3);
}

struct Draws {
  std::vector<int64_t> counts = std::vector<int64_t>(64, 0);
  GenerationStats stats;
};

/// Generates 3 tokens for seeds 0 .. n-1 and counts the outcomes.
Draws draw(const GenerationConfig &base, const std::vector<int64_t> &prompt, bool withDraft,
           int64_t n) {
  Draws d;
  for (int64_t seed = 0; seed < n; ++seed) {
    GenerationConfig c = base;
    c.seed = static_cast<uint64_t>(seed);
    FakeLanguageModel targetModel(4, smallTarget()), draftModel(4, smallDraft());
    auto r = generate(targetModel, withDraft ? &draftModel : nullptr, {prompt}, c);
    const auto &t = r.sequences[0].tokens;
    d.counts[16 * t[0] + 4 * t[1] + t[2]]++;
    d.stats.draft_tokens_proposed += r.stats.draft_tokens_proposed;
    d.stats.draft_tokens_accepted += r.stats.draft_tokens_accepted;
  }
  return d;
}

GenerationConfig samplingConfig() {
  GenerationConfig c;
  c.do_sample = true;
  c.temperature = kTemperature;
  c.max_new_tokens = 3;
  return c;
}

// 20000 seeded runs (seeds 0..19999, fixed, so the test is deterministic) of
// speculative sampling with γ = 2: the 64 possible outputs must follow the
// target's tempered distribution (chi-square, significance 0.001), and must
// not follow the draft's (the same statistic against the draft's
// distribution rejects, showing the test has the power to fail).
TEST(SpeculativeSampling, OutputFollowsTheTargetDistribution) {
  const int64_t n = 20000;
  GenerationConfig c = samplingConfig();
  c.num_assistant_tokens = 2;
  Draws d = draw(c, {1}, true, n);
  // Both the accept and the reject-and-resample paths ran often.
  EXPECT_GT(d.stats.acceptanceRate(), 0.2);
  EXPECT_LT(d.stats.acceptanceRate(), 0.9);

  std::vector<double> p(64), q(64);
  for (int cell = 0; cell < 64; ++cell) {
    p[cell] = sequenceProbability(smallTarget(), {1}, cell, kTemperature);
    q[cell] = sequenceProbability(smallDraft(), {1}, cell, kTemperature);
  }
  auto [chi2, df] = chiSquare(d.counts, p, n);
  EXPECT_LT(chi2, critical(df)) << "df " << df;
  auto [againstDraft, dfDraft] = chiSquare(d.counts, q, n);
  EXPECT_GT(againstDraft, critical(dfDraft));
}

// The same with prompt lookup as the drafter (one-hot proposals, accepted
// with probability p(x)); the untempered target distribution must be rejected.
TEST(SpeculativeSampling, PromptLookupKeepsTheTargetDistribution) {
  const int64_t n = 20000;
  GenerationConfig c = samplingConfig();
  c.prompt_lookup_num_tokens = 2;
  const std::vector<int64_t> prompt{1, 2, 3, 1, 2};
  Draws d = draw(c, prompt, false, n);
  EXPECT_GT(d.stats.draft_tokens_proposed, n / 2);
  EXPECT_GT(d.stats.draft_tokens_accepted, 0);
  EXPECT_LT(d.stats.draft_tokens_accepted, d.stats.draft_tokens_proposed);

  std::vector<double> p(64), untempered(64);
  for (int cell = 0; cell < 64; ++cell) {
    p[cell] = sequenceProbability(smallTarget(), prompt, cell, kTemperature);
    untempered[cell] = sequenceProbability(smallTarget(), prompt, cell, 1.0);
  }
  auto [chi2, df] = chiSquare(d.counts, p, n);
  EXPECT_LT(chi2, critical(df)) << "df " << df;
  auto [wrong, dfWrong] = chiSquare(d.counts, untempered, n);
  EXPECT_GT(wrong, critical(dfWrong));
}

} // namespace
