//===- GreedySampleTest.cpp - RNG, greedy and sampling on a bigram fake ---===//

#include "FakeLanguageModel.h"

#include "generate/Generate.h"
#include "generate/Sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

using namespace genc::generate;
using namespace genc::generate::testing;

namespace {

TEST(Rng, MatchesThePcg32Reference) {
  // pcg32-demo's first outputs for pcg32_srandom_r(42, 54).
  Rng rng(42, 54);
  for (uint32_t expected : {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu,
                            0xcbed606eu})
    EXPECT_EQ(rng.next32(), expected);
}

TEST(Rng, UniformUses53Bits) {
  Rng rng(42, 54);
  double expected = static_cast<double>(((0xa15c02b7ULL << 32) | 0x7b47f409ULL) >> 11) * 0x1.0p-53;
  EXPECT_EQ(rng.uniform(), expected);
  for (int i = 0; i < 1000; ++i) {
    double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  EXPECT_NE(Rng(1, 0).next32(), Rng(1, 1).next32()); // streams differ
}

TEST(LogProbability, ScoresFarBelowTheTopLeaveTheSumAsItWas) {
  // A large vocabulary's scores, most of them so far below the top that
  // their exp is +0 or subnormal: the result must be the plain formula's,
  // bit for bit, every term's float exp summed in double.
  std::vector<float> scores(50257);
  for (size_t i = 0; i < scores.size(); ++i)
    scores[i] = -250.0f + 0.005f * static_cast<float>(i % 50000) + (i % 7 == 0 ? 40.0f : 0.0f);
  scores[1234] = 12.5f;
  float top = *std::max_element(scores.begin(), scores.end());
  double total = 0.0;
  for (float s : scores)
    total += std::exp(s - top);
  for (int64_t token : {int64_t(1234), int64_t(0), int64_t(49999)})
    EXPECT_EQ(logProbability(scores, token), scores[token] - (top + std::log(total)));
}

TEST(DrawIndex, InverseCdfSkipsZeroWeights) {
  std::vector<double> w{0.0, 0.5, 0.0, 0.5};
  EXPECT_EQ(drawIndex(w, 0.0), 1);
  EXPECT_EQ(drawIndex(w, 0.49), 1);
  EXPECT_EQ(drawIndex(w, 0.5), 3);
  EXPECT_EQ(drawIndex(w, 0.999999), 3);
  EXPECT_EQ(drawIndex(std::vector<double>{2.0, 6.0}, 0.3), 1); // unnormalized weights
}

// vocab 5, EOS 0. From length 4 on, token 4 gains 1.
LogitsFn greedyModel() {
  std::vector<std::vector<float>> perLength(4, std::vector<float>(5, 0.0f));
  perLength.resize(30, {0, 0, 0, 0, 1});
  return bigram({{0, 0, 0, 0, 0},
                 {0, 0, 2, 1, 0},
                 {0, 0, 0, 3, 1},
                 {0, 0, 2.5f, 0, 2},
                 {3, 0, 0, 0, 0}},
                perLength);
}

/// Sum of log-softmax of the fake's logits along `generated` after `prompt`.
double replayScore(const LogitsFn &fn, std::vector<int64_t> sequence,
                   const std::vector<int64_t> &generated) {
  double sum = 0.0;
  for (int64_t token : generated) {
    sum += referenceLogSoftmax(fn(sequence))[token];
    sequence.push_back(token);
  }
  return sum;
}

GenerationConfig greedyConfig() {
  GenerationConfig c;
  c.eos_token_ids = {0};
  c.max_new_tokens = 10;
  return c;
}

TEST(Greedy, FollowsTheArgmaxToEos) {
  FakeLanguageModel model(5, greedyModel());
  auto result = generate(model, nullptr, {{1}}, greedyConfig());
  ASSERT_EQ(result.sequences.size(), 1u);
  const auto &s = result.sequences[0];
  EXPECT_EQ(s.tokens, (std::vector<int64_t>{2, 3, 2, 3, 4, 0}));
  EXPECT_TRUE(s.finished);
  EXPECT_NEAR(s.score, replayScore(greedyModel(), {1}, s.tokens), 1e-5);
  EXPECT_EQ(result.stats.prompt_tokens, 1);
  EXPECT_EQ(result.stats.generated_tokens, 6);
  EXPECT_EQ(result.stats.target_passes, 6); // start + one append per token but the last
}

TEST(Greedy, RowsFinishAtDifferentStepsAndAreDropped) {
  FakeLanguageModel model(5, greedyModel());
  std::vector<std::pair<int64_t, int64_t>> streamed;
  auto result = generate(model, nullptr, {{1}, {4}, {2, 2}}, greedyConfig(),
                         [&](int64_t s, int64_t t) { streamed.push_back({s, t}); });
  ASSERT_EQ(result.sequences.size(), 3u);
  EXPECT_EQ(result.sequences[0].tokens, (std::vector<int64_t>{2, 3, 2, 3, 4, 0}));
  EXPECT_EQ(result.sequences[1].tokens, (std::vector<int64_t>{0}));
  EXPECT_EQ(result.sequences[2].tokens, (std::vector<int64_t>{3, 2, 3, 4, 0}));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(result.sequences[i].prompt, i);
  // Prompt 1 finishes at once, prompt 2 after five tokens: the batch shrinks.
  EXPECT_EQ(model.rowsPerAppend, (std::vector<int64_t>{2, 2, 2, 2, 1}));
  EXPECT_EQ(result.stats.target_passes, 6);
  EXPECT_EQ(result.stats.prompt_tokens, 4);
  EXPECT_EQ(result.stats.generated_tokens, 12);
  // Streamed step by step, in row order.
  ASSERT_EQ(streamed.size(), 12u);
  EXPECT_EQ(streamed[0], std::make_pair(int64_t{0}, int64_t{2}));
  EXPECT_EQ(streamed[1], std::make_pair(int64_t{1}, int64_t{0}));
  EXPECT_EQ(streamed[2], std::make_pair(int64_t{2}, int64_t{3}));
  std::vector<std::vector<int64_t>> perSequence(3);
  for (auto [s, t] : streamed)
    perSequence[s].push_back(t);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(perSequence[i], result.sequences[i].tokens);
}

TEST(Greedy, StopsAtMaxNewTokensOrAnyEos) {
  FakeLanguageModel model(5, greedyModel());
  auto c = greedyConfig();
  c.max_new_tokens = 3;
  auto cut = generate(model, nullptr, {{1}}, c).sequences[0];
  EXPECT_EQ(cut.tokens, (std::vector<int64_t>{2, 3, 2}));
  EXPECT_FALSE(cut.finished);

  c = greedyConfig();
  c.eos_token_ids = {0, 4};
  auto early = generate(model, nullptr, {{1}}, c).sequences[0];
  EXPECT_EQ(early.tokens, (std::vector<int64_t>{2, 3, 2, 3, 4}));
  EXPECT_TRUE(early.finished);

  c.eos_token_ids = {};
  auto none = generate(model, nullptr, {{4}}, c).sequences[0];
  EXPECT_EQ(none.tokens.size(), 10u);
  EXPECT_FALSE(none.finished);
}

TEST(Greedy, MinNewTokensHoldsEosBack) {
  FakeLanguageModel model(5, greedyModel());
  auto c = greedyConfig();
  c.min_new_tokens = 2;
  auto s = generate(model, nullptr, {{4}}, c).sequences[0];
  // EOS (the argmax after 4) is banned; the lowest of the tied rest wins.
  EXPECT_EQ(s.tokens, (std::vector<int64_t>{1, 2, 3, 4, 0}));
}

LogitsFn samplingModel() {
  return bigram({{0.0f, 1.0f, 0.5f, -0.5f, 2.0f},
                 {0.3f, 0.0f, 1.0f, 0.2f, -1.0f},
                 {1.0f, 0.5f, 0.0f, 0.5f, 0.0f},
                 {-0.5f, 0.2f, 0.4f, 0.0f, 1.0f},
                 {0.0f, 0.0f, 0.7f, 1.2f, 0.1f}});
}

GenerationConfig sampleConfig(uint64_t seed) {
  GenerationConfig c;
  c.do_sample = true;
  c.max_new_tokens = 8;
  c.seed = seed;
  return c;
}

TEST(Sample, SameSeedSameTokens) {
  FakeLanguageModel model(5, samplingModel());
  auto a = generate(model, nullptr, {{0}, {3}}, sampleConfig(7));
  auto b = generate(model, nullptr, {{0}, {3}}, sampleConfig(7));
  ASSERT_EQ(a.sequences.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(a.sequences[i].tokens, b.sequences[i].tokens);
    EXPECT_EQ(a.sequences[i].score, b.sequences[i].score);
  }
  std::set<std::vector<int64_t>> distinct;
  for (uint64_t seed = 0; seed < 10; ++seed)
    distinct.insert(generate(model, nullptr, {{0}}, sampleConfig(seed)).sequences[0].tokens);
  EXPECT_GT(distinct.size(), 5u);
}

TEST(Sample, ARowDrawsFromItsOwnStream) {
  // Row 0's draws do not depend on the other rows (or on when they finish).
  FakeLanguageModel model(5, samplingModel());
  auto c = sampleConfig(11);
  c.eos_token_ids = {0};
  auto alone = generate(model, nullptr, {{1}}, c).sequences[0];
  auto batched = generate(model, nullptr, {{1}, {2}, {4, 4}}, c).sequences[0];
  EXPECT_EQ(alone.tokens, batched.tokens);
  EXPECT_EQ(alone.score, batched.score);
}

TEST(Sample, NumReturnSequencesSamplesEachPromptNTimes) {
  FakeLanguageModel model(5, samplingModel());
  auto c = sampleConfig(3);
  c.num_return_sequences = 3;
  auto result = generate(model, nullptr, {{0}, {1}}, c);
  ASSERT_EQ(result.sequences.size(), 6u);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(result.sequences[i].prompt, i / 3);
  EXPECT_EQ(model.starts, 1);
  EXPECT_EQ(model.rowsPerAppend.front(), 6);
}

double chiSquare(const std::vector<int64_t> &observed, const std::vector<double> &probs,
                 int64_t n) {
  double chi2 = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    double expected = probs[i] * n;
    if (expected == 0.0)
      chi2 += observed[i] ? std::numeric_limits<double>::infinity() : 0.0;
    else
      chi2 += (observed[i] - expected) * (observed[i] - expected) / expected;
  }
  return chi2;
}

// The first sampled token over seeds 0..3999 follows softmax(logits / T)
// restricted to the top 4. Chi-square with 3 degrees of freedom at
// significance 0.001 rejects above 16.27; the seeds are fixed, so the
// outcome is too. The same draws against the unwarped softmax must fail.
TEST(Sample, FirstTokenFollowsTheWarpedDistribution) {
  FakeLanguageModel model(5, samplingModel());
  const int64_t n = 4000;
  std::vector<int64_t> counts(5, 0);
  for (int64_t seed = 0; seed < n; ++seed) {
    auto c = sampleConfig(seed);
    c.max_new_tokens = 1;
    c.temperature = 0.7;
    c.top_k = 4;
    counts[generate(model, nullptr, {{0}}, c).sequences[0].tokens[0]]++;
  }
  std::vector<double> logits{0.0, 1.0, 0.5, -0.5, 2.0}, warped(5), raw(5);
  double warpedSum = 0.0, rawSum = 0.0;
  for (int v = 0; v < 5; ++v) {
    warped[v] = v == 3 ? 0.0 : std::exp(logits[v] / 0.7); // token 3 is outside the top 4
    raw[v] = std::exp(logits[v]);
    warpedSum += warped[v];
    rawSum += raw[v];
  }
  for (int v = 0; v < 5; ++v) {
    warped[v] /= warpedSum;
    raw[v] /= rawSum;
  }
  EXPECT_EQ(counts[3], 0);
  EXPECT_LT(chiSquare(counts, warped, n), 16.27);
  EXPECT_GT(chiSquare(counts, raw, n), 16.27);
}

} // namespace
