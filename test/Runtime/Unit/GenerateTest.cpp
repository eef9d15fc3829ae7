//===- GenerateTest.cpp - option checks and the choice of strategy --------===//

#include "FakeLanguageModel.h"

#include "generate/Generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

using namespace genc::generate;
using namespace genc::generate::testing;

namespace {

/// The Error message `f` throws ("" if it does not throw one).
std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const genc::runtime::Error &e) {
    return e.what();
  }
  return "";
}

std::string invalidBecause(const std::function<void(GenerationConfig &)> &edit) {
  GenerationConfig c;
  edit(c);
  return errorOf([&] { c.validate(); });
}

TEST(GenerationConfig, DefaultsAreValid) { EXPECT_EQ(invalidBecause([](auto &) {}), ""); }

TEST(GenerationConfig, EachInvalidOptionIsNamed) {
  struct Case {
    std::function<void(GenerationConfig &)> edit;
    std::string named;
  };
  std::vector<Case> cases{
      {[](auto &c) { c.num_beams = 6, c.num_beam_groups = 4; }, "num_beam_groups"},
      {[](auto &c) { c.num_beams = 2, c.num_return_sequences = 3; }, "num_return_sequences"},
      {[](auto &c) { c.num_assistant_tokens = 0; }, "num_assistant_tokens"},
      {[](auto &c) { c.top_p = 0.0; }, "top_p"},
      {[](auto &c) { c.top_p = 1.5; }, "top_p"},
      {[](auto &c) { c.do_sample = true, c.temperature = 0.0; }, "temperature"},
      {[](auto &c) { c.do_sample = true, c.temperature = -1.0; }, "temperature"},
      {[](auto &c) { c.max_new_tokens = 0; }, "max_new_tokens"},
      {[](auto &c) { c.min_new_tokens = -1; }, "min_new_tokens"},
      {[](auto &c) { c.top_k = -1; }, "top_k"},
      {[](auto &c) { c.min_p = 1.5; }, "min_p"},
      {[](auto &c) { c.min_tokens_to_keep = 0; }, "min_tokens_to_keep"},
      {[](auto &c) { c.repetition_penalty = 0.0; }, "repetition_penalty"},
      {[](auto &c) { c.no_repeat_ngram_size = -2; }, "no_repeat_ngram_size"},
      {[](auto &c) { c.num_beams = 0; }, "num_beams"},
      {[](auto &c) { c.diversity_penalty = -1.0; }, "diversity_penalty"},
      {[](auto &c) { c.num_beams = 2, c.coverage_penalty = -0.5; }, "coverage_penalty"},
      {[](auto &c) { c.coverage_penalty = 0.5; }, "coverage_penalty"},
      {[](auto &c) { c.num_return_sequences = 2; }, "num_return_sequences"},
      {[](auto &c) { c.do_sample = true, c.num_beams = 2; }, "num_beams"},
      {[](auto &c) { c.prompt_lookup_num_tokens = -1; }, "prompt_lookup_num_tokens"},
      {[](auto &c) { c.max_matching_ngram_size = 0; }, "max_matching_ngram_size"},
      {[](auto &c) { c.eos_token_ids = {2, -1}; }, "eos_token_ids"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string message = invalidBecause(cases[i].edit);
    EXPECT_NE(message.find(cases[i].named), std::string::npos)
        << "case " << i << ": '" << message << "'";
  }
}

TEST(GenerationConfig, TemperatureOnlyMattersWhenSampling) {
  EXPECT_EQ(invalidBecause([](auto &c) { c.temperature = 0.0; }), "");
}

TEST(GenerationConfig, ParsesEarlyStopping) {
  EXPECT_EQ(parseEarlyStopping("true"), EarlyStopping::WhenFull);
  EXPECT_EQ(parseEarlyStopping("false"), EarlyStopping::Heuristic);
  EXPECT_EQ(parseEarlyStopping("never"), EarlyStopping::Never);
  EXPECT_NE(errorOf([] { parseEarlyStopping("sometimes"); }).find("early_stopping"),
            std::string::npos);
}

LogitsFn model() {
  return bigram({{1, 0, 0, 0}, {0, 0, 2, 1}, {0, 1, 0, 2}, {2, 1, 0, 0}});
}

TEST(Generate, RejectsBadPromptsAndModelMismatches) {
  FakeLanguageModel target(4, model()), smallDraft(3, model());
  GenerationConfig c;
  EXPECT_NE(errorOf([&] { generate(target, nullptr, {}, c); }).find("prompt"), std::string::npos);
  EXPECT_NE(errorOf([&] { generate(target, nullptr, {{}}, c); }).find("prompt"), std::string::npos);
  EXPECT_NE(errorOf([&] { generate(target, nullptr, {{7}}, c); }).find("vocabulary"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { generate(target, &smallDraft, {{1}}, c); }).find("draft"),
            std::string::npos);
  c.eos_token_ids = {4};
  EXPECT_NE(errorOf([&] { generate(target, nullptr, {{1}}, c); }).find("eos_token_ids"),
            std::string::npos);
  c.eos_token_ids = {0};
  c.prompt_lookup_num_tokens = 2;
  FakeLanguageModel draft(4, model());
  EXPECT_NE(errorOf([&] { generate(target, &draft, {{1}}, c); }).find("prompt_lookup_num_tokens"),
            std::string::npos);
}

TEST(Generate, PicksTheStrategyFromTheOptions) {
  GenerationConfig c;
  c.max_new_tokens = 4;
  {
    FakeLanguageModel target(4, model());
    generate(target, nullptr, {{1}, {2}}, c); // greedy: one batch, no reorder
    EXPECT_EQ(target.starts, 1);
    EXPECT_EQ(target.reorders, 0);
    EXPECT_EQ(target.rowsPerAppend.front(), 2);
  }
  {
    FakeLanguageModel target(4, model());
    c.num_beams = 3;
    generate(target, nullptr, {{1}}, c); // beam search: the prompt row becomes 3
    EXPECT_EQ(target.rowsPerAppend.front(), 3);
    c.num_beams = 1;
  }
  {
    FakeLanguageModel target(4, model()), draft(4, model());
    auto r = generate(target, &draft, {{1}, {2}}, c); // speculative: prompts in turn
    EXPECT_EQ(target.starts, 2);
    EXPECT_EQ(draft.starts, 2);
    EXPECT_GT(r.stats.draft_tokens_proposed, 0);
  }
}

/// Every strategy refuses logits that hold NaN or +inf, naming where. The
/// model turns bad once a sequence holds 3 tokens; token 3 is -inf
/// throughout, a dropped token and no fault.
TEST(Generate, RefusesLogitsThatHoldNaNOrInfinity) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto turnsBad = [bad](const std::vector<int64_t> &sequence) {
      std::vector<float> logits = {0.5f, 1.0f, 0.0f, -std::numeric_limits<float>::infinity()};
      if (sequence.size() >= 3)
        logits[2] = bad;
      return logits;
    };
    const std::string name = std::isnan(bad) ? "NaN" : "+inf";
    auto refusal = [&](const std::string &strategy, GenerationConfig c, bool withDraft,
                       const std::vector<std::vector<int64_t>> &prompts) {
      SCOPED_TRACE(strategy + ", " + name);
      c.max_new_tokens = 5;
      FakeLanguageModel target(4, turnsBad), draft(4, model());
      std::string message =
          errorOf([&] { generate(target, withDraft ? &draft : nullptr, prompts, c); });
      EXPECT_NE(message.find("logits hold " + name + " for token 2"), std::string::npos) << message;
      return message;
    };
    const std::string afterThree = "after the first 3 tokens of row ";
    GenerationConfig c;
    EXPECT_NE(refusal("greedy", c, false, {{1}}).find(afterThree + "0"), std::string::npos);
    // The second prompt's row turns bad first, at the prompt.
    EXPECT_NE(refusal("greedy, two rows", c, false, {{1}, {1, 1, 1}}).find(afterThree + "1"),
              std::string::npos);
    c.do_sample = true;
    c.top_k = 0;
    EXPECT_NE(refusal("sampling", c, false, {{1}}).find(afterThree + "0"), std::string::npos);
    c = GenerationConfig();
    c.num_beams = 2;
    refusal("beam search", c, false, {{1}});
    c = GenerationConfig();
    // The target verifies the draft's tokens in one call: the bad score is
    // at a later position of it.
    EXPECT_NE(refusal("speculative", c, true, {{1}}).find(afterThree + "0"), std::string::npos);
  }
}

} // namespace
