//===- Scoring.cpp - strided sliding-window perplexity ---------------------===//

#include "Scoring.h"

#include "Error.h"
#include "session/Session.h"

#include <algorithm>
#include <span>
#include <string>

namespace {

/// −log p(target) under softmax(logits), in double.
double negativeLogLikelihood(std::span<const float> logits, int64_t target) {
  double max = *std::max_element(logits.begin(), logits.end()), sum = 0;
  for (float l : logits)
    sum += std::exp(double(l) - max);
  return max + std::log(sum) - double(logits[target]);
}

} // namespace

genc::driver::PerplexityScore
genc::driver::scorePerplexity(runtime::Session &session, runtime::Session *reference,
                              const std::vector<int64_t> &tokens, int64_t context, int64_t stride,
                              llvm::function_ref<void(int64_t, int64_t)> progress) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t step = stride ? stride : context;
  // Windows start at 0, step, 2 step, ... until one reaches the last token.
  const int64_t windows = n <= context ? 1 : 1 + (n - context + step - 1) / step;
  const int64_t vocab = session.vocabSize();
  auto mostLikely = [&](const std::vector<float> &all, int64_t position) {
    const float *row = all.data() + position * vocab;
    return std::max_element(row, row + vocab) - row;
  };
  PerplexityScore score;
  int64_t scoredEnd = 1, done = 0; // tokens before scoredEnd are scored or the first
  if (progress)
    progress(0, windows);
  for (int64_t begin = 0;; begin += step) {
    int64_t end = std::min(begin + context, n);
    std::vector<int64_t> window(tokens.begin() + begin, tokens.begin() + end);
    std::vector<float> logits = session.scoreAll(window);
    std::vector<float> referenceLogits;
    if (reference)
      referenceLogits = reference->scoreAll(window);
    for (int64_t t = std::max(scoredEnd, begin + 1); t < end; ++t) {
      if (tokens[t] >= vocab)
        throw runtime::Error("token id " + std::to_string(tokens[t]) +
                             " is outside the model's vocabulary of " + std::to_string(vocab));
      score.nll +=
          negativeLogLikelihood({logits.data() + (t - 1 - begin) * vocab, size_t(vocab)}, tokens[t]);
      if (reference)
        score.agreed += mostLikely(logits, t - 1 - begin) == mostLikely(referenceLogits, t - 1 - begin);
      ++score.scored;
    }
    scoredEnd = end;
    if (progress)
      progress(++done, windows);
    if (end == n)
      break;
  }
  return score;
}
