//===- BeamSearchTest.cpp - beam search against brute force and by hand ---===//

#include "FakeLanguageModel.h"

#include "generate/BeamScorer.h"
#include "generate/Generate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace genc::generate;
using namespace genc::generate::testing;

namespace {

struct Ranked {
  std::vector<int64_t> tokens;
  double score;
};

/// Every sequence a search could finish with: ended by EOS within maxNew
/// tokens, or maxNew tokens without EOS; ranked by sum / length^alpha with
/// the EOS counted in the length. Independent of the library's search.
std::vector<Ranked> bruteForce(const LogitsFn &fn, const std::vector<int64_t> &prompt,
                               int64_t vocab, int64_t eos, int64_t maxNew, double alpha) {
  std::vector<Ranked> all;
  std::function<void(std::vector<int64_t> &, std::vector<int64_t> &, double)> walk =
      [&](std::vector<int64_t> &sequence, std::vector<int64_t> &generated, double sum) {
        if (static_cast<int64_t>(generated.size()) == maxNew) {
          all.push_back({generated, sum / std::pow(generated.size(), alpha)});
          return;
        }
        std::vector<double> lp = referenceLogSoftmax(fn(sequence));
        for (int64_t v = 0; v < vocab; ++v) {
          generated.push_back(v);
          if (v == eos) {
            all.push_back({generated, (sum + lp[v]) / std::pow(generated.size(), alpha)});
          } else {
            sequence.push_back(v);
            walk(sequence, generated, sum + lp[v]);
            sequence.pop_back();
          }
          generated.pop_back();
        }
      };
  std::vector<int64_t> sequence = prompt, generated;
  walk(sequence, generated, 0.0);
  std::sort(all.begin(), all.end(),
            [](const Ranked &a, const Ranked &b) { return a.score > b.score; });
  return all;
}

void expectTop(const GenerationResult &result, const std::vector<Ranked> &expected, size_t n) {
  ASSERT_EQ(result.sequences.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(result.sequences[i].tokens, expected[i].tokens) << "rank " << i;
    EXPECT_NEAR(result.sequences[i].score, expected[i].score, 1e-5) << "rank " << i;
    EXPECT_EQ(result.sequences[i].finished, expected[i].tokens.back() == 0) << "rank " << i;
  }
}

// vocab 3 with EOS 0; irregular values so no two sequences tie.
LogitsFn irregular() {
  return bigram({{0.1f, 0.2f, 0.3f}, {-0.3f, 0.9f, 0.4f}, {0.5f, 0.1f, 0.8f}},
                {{0, 0, 0}, {0, 0, 0}, {0.2f, -0.4f, 0.3f}, {-0.6f, 0.5f, 0.1f}});
}

// With 12 beams no continuation of a 3-token search over 3 tokens is ever
// pruned, and "never" stops only when nothing can improve: the search must
// return exactly the brute force's best, for any sign of the length penalty.
TEST(BeamSearch, WideBeamsMatchBruteForce) {
  for (double alpha : {2.0, 1.0, 0.5, 0.0, -1.0, -2.0}) {
    SCOPED_TRACE("length_penalty " + std::to_string(alpha));
    FakeLanguageModel model(3, irregular());
    GenerationConfig c;
    c.num_beams = 12;
    c.num_return_sequences = 4;
    c.max_new_tokens = 3;
    c.eos_token_ids = {0};
    c.length_penalty = alpha;
    c.early_stopping = EarlyStopping::Never;
    auto result = generate(model, nullptr, {{1}}, c);
    expectTop(result, bruteForce(irregular(), {1}, 3, 0, 3, alpha), 4);
    // Beams are rows: the prompt row was expanded to 12.
    EXPECT_EQ(model.rowsPerAppend.front(), 12);
  }
}

// Hand-checked table (probabilities by generated prefix, prompt {1}):
//   []    -> EOS .5, 1 .3,  2 .2
//   [1]   -> EOS .8, 1 .12, 2 .08
//   [2]   -> EOS .04, 1 .9, 2 .06
//   [2,1] -> EOS .9, 1 .07, 2 .03
// With 2 beams: step 1 finishes [EOS] (sum ln .5); step 2 finishes [1,EOS]
// (ln .3 + ln .8) and keeps beams [2,1] (ln .2 + ln .9) and [1,1]. Two
// hypotheses are done. At α = 1: true stops; false compares the best beam
// at its current length, (ln .2 + ln .9)/2 = -0.857, with the worst
// hypothesis, -0.714, and stops; "never" bounds it by dividing by the
// longest length, -0.572, continues, and finds [2,1,EOS] at -0.607, the
// brute force's best.
LogitsFn stoppingTable() {
  return prefixTable(1,
                     {{{}, {0.5, 0.3, 0.2}},
                      {{1}, {0.8, 0.12, 0.08}},
                      {{2}, {0.04, 0.9, 0.06}},
                      {{2, 1}, {0.9, 0.07, 0.03}}},
                     {0.5, 0.3, 0.2});
}

GenerationResult searchStoppingTable(double alpha, EarlyStopping mode) {
  FakeLanguageModel model(3, stoppingTable());
  GenerationConfig c;
  c.num_beams = 2;
  c.num_return_sequences = 2;
  c.max_new_tokens = 3;
  c.eos_token_ids = {0};
  c.length_penalty = alpha;
  c.early_stopping = mode;
  return generate(model, nullptr, {{1}}, c);
}

TEST(BeamSearch, EarlyStoppingModesDifferWhenLongerIsFavoured) {
  for (EarlyStopping mode : {EarlyStopping::WhenFull, EarlyStopping::Heuristic}) {
    auto result = searchStoppingTable(1.0, mode);
    ASSERT_EQ(result.sequences.size(), 2u);
    EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{0}));
    EXPECT_NEAR(result.sequences[0].score, std::log(0.5), 1e-5);
    EXPECT_EQ(result.sequences[1].tokens, (std::vector<int64_t>{1, 0}));
    EXPECT_NEAR(result.sequences[1].score, (std::log(0.3) + std::log(0.8)) / 2, 1e-5);
    EXPECT_EQ(result.stats.target_passes, 2); // start and one append
  }
  auto never = searchStoppingTable(1.0, EarlyStopping::Never);
  EXPECT_EQ(never.sequences[0].tokens, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_NEAR(never.sequences[0].score, (std::log(0.2) + 2 * std::log(0.9)) / 3, 1e-5);
  expectTop(never, bruteForce(stoppingTable(), {1}, 3, 0, 3, 1.0), 2);
  EXPECT_EQ(never.stats.target_passes, 3);
}

// With α ≤ 0 a longer hypothesis cannot score better than its prefix's sum
// at the current length, so false and "never" both stop after step 2, and
// stopping there is exact.
TEST(BeamSearch, EarlyStoppingModesAgreeWhenShorterIsFavoured) {
  for (double alpha : {0.0, -1.0})
    for (EarlyStopping mode :
         {EarlyStopping::WhenFull, EarlyStopping::Heuristic, EarlyStopping::Never}) {
      auto result = searchStoppingTable(alpha, mode);
      expectTop(result, bruteForce(stoppingTable(), {1}, 3, 0, 3, alpha), 2);
      EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{0}));
      EXPECT_EQ(result.stats.target_passes, 2);
    }
}

// The hypotheses fill up at the last step: [EOS] (ln .5) and then [1,EOS]
// ((ln .25 + ln .8) / 2 = -0.805), while the running beam [2,1] would score
// (ln .25 + ln .99) / 2 = -0.698. With early_stopping true the group is done,
// and as in Hugging Face's finalize, its running beams are not added.
TEST(BeamSearch, AGroupDoneAtTheLastStepKeepsItsHypotheses) {
  FakeLanguageModel model(3, prefixTable(1,
                                         {{{}, {0.5, 0.25, 0.25}},
                                          {{1}, {0.8, 0.12, 0.08}},
                                          {{2}, {0.005, 0.99, 0.005}}},
                                         {0.5, 0.25, 0.25}));
  GenerationConfig c;
  c.num_beams = 2;
  c.num_return_sequences = 2;
  c.max_new_tokens = 2;
  c.eos_token_ids = {0};
  c.early_stopping = EarlyStopping::WhenFull;
  auto result = generate(model, nullptr, {{1}}, c);
  ASSERT_EQ(result.sequences.size(), 2u);
  EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{0}));
  EXPECT_EQ(result.sequences[1].tokens, (std::vector<int64_t>{1, 0}));
  EXPECT_NEAR(result.sequences[1].score, (std::log(0.25) + std::log(0.8)) / 2, 1e-5);
}

TEST(BeamSearch, StreamsTheReturnedSequencesAndRunsPromptsInTurn) {
  FakeLanguageModel model(3, irregular());
  GenerationConfig c;
  c.num_beams = 3;
  c.num_return_sequences = 2;
  c.max_new_tokens = 3;
  c.eos_token_ids = {0};
  std::vector<std::vector<int64_t>> streamed(4);
  auto result = generate(model, nullptr, {{1}, {2, 1}}, c,
                         [&](int64_t s, int64_t t) { streamed.at(s).push_back(t); });
  ASSERT_EQ(result.sequences.size(), 4u);
  EXPECT_EQ(model.starts, 2);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(result.sequences[i].prompt, i / 2);
    EXPECT_EQ(streamed[i], result.sequences[i].tokens);
  }
  EXPECT_GE(result.sequences[0].score, result.sequences[1].score);
  EXPECT_GE(result.sequences[2].score, result.sequences[3].score);
}

// Diverse beam search, 4 beams in 2 groups, diversity_penalty 10, α = 0,
// "never". Probabilities by generated prefix (EOS, 1, 2, 3):
//   []  -> .12 .5 .3 .08     [1] -> .9 .04 .03 .03     [2] -> .8 .1 .05 .05
//   anything else -> as [].
// Step 1: group 0 keeps [1], [2]; group 1 sees tokens 1 and 2 lowered by 10,
// so it finishes [EOS] and keeps [3] and (penalized) [1]. Step 2: group 0
// finishes [1,EOS] and [2,EOS]; its best beam [2,1] cannot beat them, so it
// is done and its rows are dropped. Group 1, token 1 lowered by 20 (group 0
// chose it twice), finishes [3,EOS] and keeps [3,2], [3,3]. Step 3 (the
// last, 2 rows): [3,2,1] replaces [3,EOS] among group 1's two.
LogitsFn diverseTable() {
  std::vector<double> d{0.12, 0.5, 0.3, 0.08};
  return prefixTable(1, {{{1}, {0.9, 0.04, 0.03, 0.03}}, {{2}, {0.8, 0.1, 0.05, 0.05}}}, d);
}

GenerationConfig diverseConfig(double penalty) {
  GenerationConfig c;
  c.num_beams = 4;
  c.num_beam_groups = 2;
  c.diversity_penalty = penalty;
  c.length_penalty = 0.0;
  c.early_stopping = EarlyStopping::Never;
  c.num_return_sequences = 4;
  c.max_new_tokens = 3;
  c.eos_token_ids = {0};
  return c;
}

TEST(DiverseBeamSearch, GroupsDivergeAndAFinishedGroupLeavesTheBatch) {
  FakeLanguageModel model(4, diverseTable());
  auto result = generate(model, nullptr, {{1}}, diverseConfig(10.0));
  using L = std::vector<int64_t>;
  std::vector<std::pair<L, double>> expected{
      {{1, 0}, std::log(0.5) + std::log(0.9)},
      {{2, 0}, std::log(0.3) + std::log(0.8)},
      {{0}, std::log(0.12)},
      {{3, 2, 1}, std::log(0.08) + std::log(0.3) + std::log(0.5)}};
  ASSERT_EQ(result.sequences.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(result.sequences[i].tokens, expected[i].first) << i;
    EXPECT_NEAR(result.sequences[i].score, expected[i].second, 1e-5) << i;
  }
  EXPECT_FALSE(result.sequences[3].finished);
  EXPECT_EQ(model.rowsPerAppend, (std::vector<int64_t>{4, 2}));
}

TEST(DiverseBeamSearch, WithoutPenaltyGroupsRepeatEachOther) {
  FakeLanguageModel model(4, diverseTable());
  auto result = generate(model, nullptr, {{1}}, diverseConfig(0.0));
  ASSERT_EQ(result.sequences.size(), 4u);
  EXPECT_EQ(result.sequences[0].tokens, result.sequences[1].tokens);
  EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{1, 0}));
}

TEST(BeamScorer, LengthPenaltyAndBounds) {
  LengthPenaltyScorer longer(1.0), shorter(-1.0);
  EXPECT_DOUBLE_EQ(longer.score(-3.0, 2, {}), -1.5);
  EXPECT_DOUBLE_EQ(shorter.score(-3.0, 2, {}), -6.0);
  EXPECT_DOUBLE_EQ(longer.bestReachable(-2.0, 2, 4, EarlyStopping::Heuristic), -1.0);
  EXPECT_DOUBLE_EQ(longer.bestReachable(-2.0, 2, 4, EarlyStopping::Never), -0.5);
  EXPECT_DOUBLE_EQ(shorter.bestReachable(-2.0, 2, 4, EarlyStopping::Never), -4.0);
  EXPECT_EQ(longer.bestReachable(-2.0, 2, 4, EarlyStopping::WhenFull),
            -std::numeric_limits<double>::infinity());
}

TEST(BeamScorer, GnmtLengthAndCoverage) {
  // lp = ((5 + 3) / 6)^1 = 4/3; cp = 0.2 · (ln 0.5 + ln 1 + ln 0.25).
  GnmtScorer gnmt(1.0, 0.2);
  std::vector<double> coverage{0.5, 1.2, 0.25};
  EXPECT_NEAR(gnmt.lengthNormalized(-2.0, 3), -1.5, 1e-12);
  EXPECT_NEAR(gnmt.coverageTerm(coverage), 0.2 * (std::log(0.5) + std::log(0.25)), 1e-12);
  EXPECT_NEAR(gnmt.score(-2.0, 3, coverage), -1.5 + 0.2 * std::log(0.125), 1e-12);
  // α = 0.5: lp = sqrt(8/6).
  EXPECT_NEAR(GnmtScorer(0.5, 0.0).lengthNormalized(-2.0, 3), -2.0 / std::sqrt(8.0 / 6.0), 1e-12);
  EXPECT_FALSE(GnmtScorer(0.5, 0.0).needsCoverage());
}

// Two beams, α = 0, β = 1. Probabilities (EOS, 1, 2): [] -> .1 .5 .4,
// [1] -> .9 .05 .05, [2] -> .8 .1 .1. Attention: after token 2 on source
// position 1 (.1, .9), otherwise on position 0 (.9, .1). [1,EOS] has the
// higher log-probability but covers the source (1.8, 0.2): cp = ln 0.2;
// [2,EOS] covers it (1.0, 1.0): cp = 0, and wins.
TEST(BeamSearch, CoveragePenaltyPrefersHypothesesThatCoverTheSource) {
  auto logits = prefixTable(1, {{{}, {0.1, 0.5, 0.4}}, {{1}, {0.9, 0.05, 0.05}},
                                {{2}, {0.8, 0.1, 0.1}}},
                            {0.4, 0.3, 0.3});
  auto attention = [](const std::vector<int64_t> &sequence) {
    return sequence.back() == 2 ? std::vector<float>{0.1f, 0.9f} : std::vector<float>{0.9f, 0.1f};
  };
  GenerationConfig c;
  c.num_beams = 2;
  c.num_return_sequences = 2;
  c.max_new_tokens = 2;
  c.eos_token_ids = {0};
  c.length_penalty = 0.0;
  c.coverage_penalty = 1.0;
  FakeEncoderDecoder model(3, logits, 2, attention);
  auto result = generate(model, nullptr, {{1}}, c);
  ASSERT_EQ(result.sequences.size(), 2u);
  EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{2, 0}));
  EXPECT_NEAR(result.sequences[0].score, std::log(0.4) + std::log(0.8), 1e-5);
  EXPECT_EQ(result.sequences[1].tokens, (std::vector<int64_t>{1, 0}));
  EXPECT_NEAR(result.sequences[1].score, std::log(0.5) + std::log(0.9) + std::log(0.2), 1e-5);

  c.coverage_penalty = 0.0;
  auto plain = generate(model, nullptr, {{1}}, c);
  EXPECT_EQ(plain.sequences[0].tokens, (std::vector<int64_t>{1, 0}));

  // A model without cross-attention cannot be scored for coverage.
  c.coverage_penalty = 1.0;
  FakeLanguageModel decoderOnly(3, logits);
  EXPECT_THROW(generate(decoderOnly, nullptr, {{1}}, c), genc::runtime::Error);
}

} // namespace
