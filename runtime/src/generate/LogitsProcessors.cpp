//===- LogitsProcessors.cpp - one small rewrite of the scores each ---------===//

#include "generate/LogitsProcessors.h"

#include "generate/Sampling.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

namespace genc::generate {

namespace {
constexpr float kDropped = -std::numeric_limits<float>::infinity();

bool inVocab(int64_t token, std::span<float> scores) {
  return token >= 0 && token < static_cast<int64_t>(scores.size());
}

/// The k-th largest score, 1 ≤ k ≤ scores.size(), ties counted: a min-heap
/// of the k largest seen so far, which most of a vocabulary passes after
/// one comparison (nth_element rearranged a copy of every score).
float kthLargest(std::span<const float> scores, int64_t k) {
  std::vector<float> heap(scores.begin(), scores.begin() + k);
  std::make_heap(heap.begin(), heap.end(), std::greater<float>());
  for (size_t i = static_cast<size_t>(k); i < scores.size(); ++i)
    if (scores[i] > heap.front()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<float>());
      heap.back() = scores[i];
      std::push_heap(heap.begin(), heap.end(), std::greater<float>());
    }
  return heap.front();
}

/// A score's bits as a key whose unsigned order is the scores' from the
/// largest down; -0 as +0, so that they tie as they compare.
uint32_t descendingKey(float score) {
  if (score == 0.0f)
    score = 0.0f;
  uint32_t bits;
  std::memcpy(&bits, &score, sizeof bits);
  const uint32_t ascending = bits & 0x80000000u ? ~bits : bits | 0x80000000u;
  return ~ascending;
}

/// Sorts `order` (ascending token indices) by their scores' descendingKey,
/// equal keys in index order: each token as its key above its index in 64
/// bits, then a least-significant-digit radix sort of the keys, 11 bits a
/// pass, which keeps the index order of equal keys. Its buffers are kept
/// for the thread's next call: buffers of a vocabulary's size freed and
/// taken again every token cost more in page faults than the sort itself.
void radixSortDescending(std::vector<int64_t> &order, std::span<const float> scores) {
  constexpr int kDigitBits = 11;
  constexpr uint64_t kDigitMask = (uint64_t(1) << kDigitBits) - 1;
  thread_local std::vector<uint64_t> items, sorted;
  items.resize(order.size());
  sorted.resize(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    items[i] = uint64_t(descendingKey(scores[order[i]])) << 32 | uint64_t(order[i]);
  for (int shift = 32; shift < 64; shift += kDigitBits) {
    std::array<size_t, kDigitMask + 2> start{};
    for (uint64_t item : items)
      ++start[((item >> shift) & kDigitMask) + 1];
    for (size_t digit = 0; digit <= kDigitMask; ++digit)
      start[digit + 1] += start[digit];
    for (uint64_t item : items)
      sorted[start[(item >> shift) & kDigitMask]++] = item;
    items.swap(sorted);
  }
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = static_cast<int64_t>(items[i] & 0xFFFFFFFFu);
}

} // namespace

std::vector<int64_t> keptByScoreDescending(std::span<const float> scores) {
  std::vector<int64_t> order;
  for (size_t i = 0; i < scores.size(); ++i)
    if (scores[i] != kDropped)
      order.push_back(static_cast<int64_t>(i));
  // After top-k few tokens are left, which a comparison sort orders
  // fastest; a whole vocabulary (top-p alone) takes three linear passes
  // where std::sort took 3-4 ms on GPT-2's 50,257 scores.
  constexpr size_t kRadixFrom = 1024;
  if (order.size() >= kRadixFrom && scores.size() <= UINT32_MAX) {
    radixSortDescending(order, scores);
    return order;
  }
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  });
  return order;
}

void HammingDiversity::apply(std::span<float> scores, const Context &context) const {
  for (int64_t token : context.earlierGroupTokens)
    if (inVocab(token, scores))
      scores[token] -= static_cast<float>(penalty_);
}

void RepetitionPenalty::apply(std::span<float> scores, const Context &context) const {
  std::vector<bool> seen(scores.size(), false);
  for (int64_t token : context.tokens) {
    if (!inVocab(token, scores) || seen[token])
      continue;
    seen[token] = true;
    float &s = scores[token];
    // Dividing a negative score would raise it: multiply instead.
    s = static_cast<float>(s < 0 ? s * penalty_ : s / penalty_);
  }
}

void NoRepeatNGram::apply(std::span<float> scores, const Context &context) const {
  auto tokens = context.tokens;
  int64_t length = static_cast<int64_t>(tokens.size());
  if (length + 1 < size_)
    return;
  // The n-1 tokens the next token would complete an n-gram with.
  auto prefix = tokens.subspan(length - (size_ - 1));
  for (int64_t start = 0; start + size_ <= length; ++start)
    if (std::equal(prefix.begin(), prefix.end(), tokens.begin() + start)) {
      int64_t banned = tokens[start + size_ - 1];
      if (inVocab(banned, scores))
        scores[banned] = kDropped;
    }
}

void MinNewTokens::apply(std::span<float> scores, const Context &context) const {
  if (context.generated >= minNewTokens_)
    return;
  for (int64_t eos : eos_)
    if (inVocab(eos, scores))
      scores[eos] = kDropped;
}

void Temperature::apply(std::span<float> scores, const Context &) const {
  for (float &s : scores)
    s = static_cast<float>(s / temperature_);
}

void TopK::apply(std::span<float> scores, const Context &) const {
  int64_t k = std::min<int64_t>(std::max(k_, minKeep_), scores.size());
  if (k <= 0 || k == static_cast<int64_t>(scores.size()))
    return;
  float kth = kthLargest(scores, k);
  for (float &s : scores)
    if (s < kth)
      s = kDropped;
}

void TopP::apply(std::span<float> scores, const Context &) const {
  std::vector<double> probs = softmax(scores);
  std::vector<int64_t> ascending = keptByScoreDescending(scores);
  std::reverse(ascending.begin(), ascending.end());
  int64_t n = static_cast<int64_t>(ascending.size());
  // Walk up from the least likely; the last min_tokens_to_keep always stay.
  // (Dropped tokens would come first and add exact zeros to the sum.)
  double cumulative = 0.0;
  for (int64_t i = 0; i < n - minKeep_; ++i) {
    cumulative += probs[ascending[i]];
    if (cumulative > 1.0 - p_)
      break;
    scores[ascending[i]] = kDropped;
  }
}

void MinP::apply(std::span<float> scores, const Context &) const {
  std::vector<double> probs = softmax(scores);
  double threshold = minP_ * *std::max_element(probs.begin(), probs.end());
  std::vector<int64_t> descending = keptByScoreDescending(scores);
  for (size_t rank = minKeep_; rank < descending.size(); ++rank)
    if (probs[descending[rank]] < threshold)
      scores[descending[rank]] = kDropped;
}

ProcessorChain makeProcessors(const GenerationConfig &config) {
  ProcessorChain chain;
  if (config.num_beam_groups > 1 && config.diversity_penalty > 0.0)
    chain.add(std::make_unique<HammingDiversity>(config.diversity_penalty));
  if (config.repetition_penalty != 1.0)
    chain.add(std::make_unique<RepetitionPenalty>(config.repetition_penalty));
  if (config.no_repeat_ngram_size > 0)
    chain.add(std::make_unique<NoRepeatNGram>(config.no_repeat_ngram_size));
  if (config.min_new_tokens > 0 && !config.eos_token_ids.empty())
    chain.add(std::make_unique<MinNewTokens>(config.min_new_tokens, config.eos_token_ids));
  return chain;
}

ProcessorChain makeWarpers(const GenerationConfig &config) {
  ProcessorChain chain;
  if (config.temperature != 1.0)
    chain.add(std::make_unique<Temperature>(config.temperature));
  if (config.top_k > 0)
    chain.add(std::make_unique<TopK>(config.top_k, config.min_tokens_to_keep));
  if (config.top_p < 1.0)
    chain.add(std::make_unique<TopP>(config.top_p, config.min_tokens_to_keep));
  if (config.min_p > 0.0)
    chain.add(std::make_unique<MinP>(config.min_p, config.min_tokens_to_keep));
  return chain;
}

} // namespace genc::generate
