//===- LogitsProcessorsTest.cpp - each processor on fixed scores ----------===//

#include "generate/LogitsProcessors.h"
#include "generate/Sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace genc::generate;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> run(const LogitsProcessor &p, std::vector<float> scores,
                       std::vector<int64_t> tokens = {}, int64_t generated = 0,
                       std::vector<int64_t> earlier = {}) {
  p.apply(scores, Context{tokens, generated, earlier});
  return scores;
}

std::vector<float> logs(std::vector<double> probs) {
  std::vector<float> l;
  for (double p : probs)
    l.push_back(static_cast<float>(std::log(p)));
  return l;
}

/// Which tokens survived (score above -inf).
std::vector<bool> kept(const std::vector<float> &scores) {
  std::vector<bool> k;
  for (float s : scores)
    k.push_back(s != -kInf);
  return k;
}

TEST(RepetitionPenalty, DividesPositiveMultipliesNegativeOncePerId) {
  // Token 1 occurs twice in the sequence but is penalized once; the prompt counts.
  auto out = run(RepetitionPenalty(2.0), {2.0f, -1.0f, 0.5f, 3.0f}, {0, 1, 1});
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f}));
}

TEST(RepetitionPenalty, BelowOneRewardsRepeats) {
  auto out = run(RepetitionPenalty(0.5), {4.0f, -1.0f, 0.5f}, {0, 1});
  EXPECT_EQ(out, (std::vector<float>{8.0f, -0.5f, 0.5f}));
}

TEST(NoRepeatNGram, BansTokensThatCompleteASeenBigram) {
  std::vector<float> zeros(5, 0.0f);
  // Last token 1; bigrams starting with 1 seen: (1,2) and (1,3).
  auto out = run(NoRepeatNGram(2), zeros, {1, 2, 1, 3, 1});
  EXPECT_EQ(kept(out), (std::vector<bool>{true, true, false, false, true}));
}

TEST(NoRepeatNGram, TrigramsAndShortSequences) {
  std::vector<float> zeros(5, 0.0f);
  // Last two tokens (1,2); trigram (1,2,3) seen; (2,3,1) does not start with (1,2).
  EXPECT_EQ(kept(run(NoRepeatNGram(3), zeros, {1, 2, 3, 1, 2})),
            (std::vector<bool>{true, true, true, false, true}));
  // Fewer tokens than an n-gram needs: nothing is banned.
  EXPECT_EQ(kept(run(NoRepeatNGram(3), zeros, {1})), std::vector<bool>(5, true));
  // Size 1: every token already present is banned.
  EXPECT_EQ(kept(run(NoRepeatNGram(1), zeros, {4, 2})),
            (std::vector<bool>{true, true, false, true, false}));
}

TEST(MinNewTokens, SuppressesEveryEosUntilEnoughTokens) {
  MinNewTokens p(2, {0, 3});
  std::vector<float> scores{1.0f, 2.0f, 3.0f, 4.0f};
  EXPECT_EQ(kept(run(p, scores, {5}, 0)), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(kept(run(p, scores, {5, 1}, 1)), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(run(p, scores, {5, 1, 2}, 2), scores);
}

TEST(Temperature, Divides) {
  EXPECT_EQ(run(Temperature(0.5), {1.0f, -2.0f}), (std::vector<float>{2.0f, -4.0f}));
}

TEST(TopK, KeepsTiesWithTheKthLargest) {
  std::vector<float> s{1.0f, 3.0f, 3.0f, 2.0f, 0.0f};
  EXPECT_EQ(kept(run(TopK(2, 1), s)), (std::vector<bool>{false, true, true, false, false}));
  // k = 1: the k-th largest is 3, which two tokens share.
  EXPECT_EQ(kept(run(TopK(1, 1), s)), (std::vector<bool>{false, true, true, false, false}));
  EXPECT_EQ(kept(run(TopK(3, 1), s)), (std::vector<bool>{false, true, true, true, false}));
  // min_tokens_to_keep raises k.
  EXPECT_EQ(kept(run(TopK(1, 4), s)), (std::vector<bool>{true, true, true, true, false}));
  EXPECT_EQ(run(TopK(2, 1), s)[1], 3.0f); // kept scores are untouched
}

TEST(TopK, KeepsWhatASortKeepsOnAVocabulary) {
  // A vocabulary's worth of scores with many ties, ascending runs and
  // descending ones: the kept set is every score at least the k-th of a
  // full descending sort.
  std::vector<float> s(50257);
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<float>((i * 7919) % 1000) * 0.25f - (i % 3 == 0 ? 100.0f : 0.0f);
  for (int64_t k : {1, 2, 50, 999, 50256}) {
    std::vector<float> sorted = s;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    std::vector<bool> expected(s.size());
    for (size_t i = 0; i < s.size(); ++i)
      expected[i] = s[i] >= sorted[k - 1];
    EXPECT_EQ(kept(run(TopK(k, 1), s)), expected) << "k = " << k;
  }
}

TEST(TopP, DropsTheTailWhoseMassIsAtMostOneMinusP) {
  auto s = logs({0.1, 0.2, 0.3, 0.4});
  // Ascending cumulative: 0.1, 0.3, 0.6, 1.0.
  EXPECT_EQ(kept(run(TopP(0.75, 1), s)), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(kept(run(TopP(0.5, 1), s)), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(kept(run(TopP(0.3, 1), s)), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(kept(run(TopP(1.0, 1), s)), std::vector<bool>(4, true));
}

TEST(TopP, MinTokensToKeep) {
  auto s = logs({0.1, 0.2, 0.3, 0.4});
  EXPECT_EQ(kept(run(TopP(0.3, 2), s)), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(kept(run(TopP(0.3, 3), s)), (std::vector<bool>{false, true, true, true}));
}

/// GPT-2's vocabulary of scores in 1,000 distinct values, about 50 tokens
/// each.
std::vector<float> vocabularyOfTies() {
  std::vector<float> s(50257);
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<float>((i * 7919) % 1000) * 0.01f;
  return s;
}

TEST(KeptByScoreDescending, OrdersAsAComparisonSortDoes) {
  // Large enough for the radix sort, and small: ties, negative scores, -0
  // and +0 (equal), infinities, subnormals; -inf is dropped.
  std::vector<float> mixed;
  const float values[] = {0.0f,    -0.0f,   1.5f,     -1.5f, kInf,  -kInf, 1e-40f,
                          -1e-40f, 3.4e38f, -3.4e38f, 2.0f,  -2.0f, 1e-30f};
  for (size_t i = 0; i < 5000; ++i)
    mixed.push_back(values[(i * 7) % std::size(values)] * (i % 5 == 0 ? 1.0f : 0.5f));
  for (const std::vector<float> &s :
       {vocabularyOfTies(), mixed, std::vector<float>(mixed.begin(), mixed.begin() + 100)}) {
    std::vector<int64_t> want;
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != -kInf)
        want.push_back(static_cast<int64_t>(i));
    std::sort(want.begin(), want.end(),
              [&](int64_t a, int64_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
    EXPECT_EQ(keptByScoreDescending(s), want) << s.size() << " scores";
  }
}

/// TopP as a full sort of the vocabulary, dropped tokens included, would
/// have it: ascending scores (equal ones by descending index), the mass
/// summed up from the least likely.
std::vector<float> topPBySortingAll(std::vector<float> s, double p, int64_t minKeep) {
  std::vector<double> probs = softmax(s);
  std::vector<int64_t> ascending(s.size());
  std::iota(ascending.begin(), ascending.end(), 0);
  std::sort(ascending.begin(), ascending.end(),
            [&](int64_t a, int64_t b) { return s[a] != s[b] ? s[a] < s[b] : a > b; });
  double cumulative = 0.0;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()) - minKeep; ++i) {
    cumulative += probs[ascending[i]];
    if (cumulative > 1.0 - p)
      break;
    s[ascending[i]] = -kInf;
  }
  return s;
}

TEST(TopP, SortsOnlyWhatTopKKeptAsAFullSortWould) {
  // A vocabulary with ties, after top-k: TopP sorts the kept tokens only,
  // with the same result as sorting all, including when min_tokens_to_keep
  // exceeds what top-k kept.
  std::vector<float> s = vocabularyOfTies();
  for (int64_t k : {50, 1000})
    for (double p : {0.05, 0.5, 0.9, 0.999})
      for (int64_t minKeep : {1, 20, 2000}) {
        std::vector<float> afterTopK = run(TopK(k, 1), s);
        EXPECT_EQ(run(TopP(p, minKeep), afterTopK), topPBySortingAll(afterTopK, p, minKeep))
            << "k = " << k << ", p = " << p << ", min_tokens_to_keep = " << minKeep;
      }
}

/// MinP as a full descending sort of the vocabulary would have it.
std::vector<float> minPBySortingAll(std::vector<float> s, double minP, int64_t minKeep) {
  std::vector<double> probs = softmax(s);
  double threshold = minP * *std::max_element(probs.begin(), probs.end());
  std::vector<int64_t> descending(s.size());
  std::iota(descending.begin(), descending.end(), 0);
  std::sort(descending.begin(), descending.end(),
            [&](int64_t a, int64_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
  for (size_t rank = minKeep; rank < descending.size(); ++rank)
    if (probs[descending[rank]] < threshold)
      s[descending[rank]] = -kInf;
  return s;
}

TEST(MinP, SortsOnlyWhatTopKKeptAsAFullSortWould) {
  std::vector<float> s = vocabularyOfTies();
  for (int64_t k : {50, 1000})
    for (double minP : {0.001, 0.5, 0.99})
      for (int64_t minKeep : {1, 20, 2000}) {
        std::vector<float> afterTopK = run(TopK(k, 1), s);
        EXPECT_EQ(run(MinP(minP, minKeep), afterTopK), minPBySortingAll(afterTopK, minP, minKeep))
            << "k = " << k << ", min_p = " << minP << ", min_tokens_to_keep = " << minKeep;
      }
}

TEST(MinP, DropsBelowAFractionOfTheTopProbability) {
  auto s = logs({0.5, 0.3, 0.15, 0.05});
  // Threshold 0.4 · 0.5 = 0.2.
  EXPECT_EQ(kept(run(MinP(0.4, 1), s)), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(kept(run(MinP(0.4, 3), s)), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(kept(run(MinP(0.05, 1), s)), std::vector<bool>(4, true));
}

TEST(HammingDiversity, SubtractsOncePerEarlierChoice) {
  auto out = run(HammingDiversity(0.5), {0.0f, 0.0f, 0.0f, 0.0f}, {}, 0, {2, 2, 0});
  EXPECT_EQ(out, (std::vector<float>{-0.5f, 0.0f, -1.0f, 0.0f}));
}

TEST(ProcessorChain, FollowsHuggingFaceOrder) {
  GenerationConfig c;
  c.num_beam_groups = 2;
  c.num_beams = 2;
  c.diversity_penalty = 1.0;
  c.repetition_penalty = 1.5;
  c.no_repeat_ngram_size = 2;
  c.min_new_tokens = 1;
  c.eos_token_ids = {0};
  EXPECT_EQ(makeProcessors(c).size(), 4u);
  c.temperature = 0.5;
  c.top_k = 3;
  c.top_p = 0.9;
  c.min_p = 0.1;
  EXPECT_EQ(makeWarpers(c).size(), 4u);
  // Off by default, except HF's top_k = 50.
  GenerationConfig defaults;
  EXPECT_EQ(makeProcessors(defaults).size(), 0u);
  EXPECT_EQ(makeWarpers(defaults).size(), 1u);
}

// Temperature sharpens before top-p cuts: with T = 0.25 the scores {0,1,2}
// become {0,4,8} (probabilities ~{0.0003, 0.018, 0.982}) and top-p 0.9 keeps
// token 2 alone; top-p before temperature would have kept tokens 1 and 2.
TEST(TokenPolicy, WarpersInOrderOnlyWhenSampling) {
  GenerationConfig c;
  c.temperature = 0.25;
  c.top_p = 0.9;
  c.top_k = 0;
  std::vector<float> s{0.0f, 1.0f, 2.0f};
  c.do_sample = true;
  auto sampled = s;
  TokenPolicy(c).process(sampled, Context{});
  EXPECT_EQ(kept(sampled), (std::vector<bool>{false, false, true}));
  EXPECT_FLOAT_EQ(sampled[2], 8.0f);
  // Greedy applies no warpers.
  c.do_sample = false;
  auto greedy = s;
  TokenPolicy(c).process(greedy, Context{});
  EXPECT_EQ(greedy, s);
}

TEST(TokenPolicy, NothingLeftIsAnError) {
  GenerationConfig c;
  c.no_repeat_ngram_size = 1;
  std::vector<float> s{0.0f, 1.0f};
  std::vector<int64_t> tokens{0, 1};
  for (bool sample : {false, true}) {
    c.do_sample = sample;
    TokenPolicy policy(c);
    auto scores = s;
    policy.process(scores, Context{tokens, 0});
    Rng rng(1);
    EXPECT_THROW(policy.choose(scores, rng), genc::runtime::Error);
  }
}

} // namespace
