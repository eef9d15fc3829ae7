//===- Sampling.cpp - PCG32, softmax, inverse-CDF draws -------------------===//

#include "generate/Sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace genc::generate {

namespace {
constexpr uint64_t kPcgMultiplier = 6364136223846793005ULL;
} // namespace

Rng::Rng(uint64_t seed, uint64_t stream) {
  // pcg32_srandom_r: the stream selects the (odd) increment.
  increment_ = (stream << 1u) | 1u;
  next32();
  state_ += seed;
  next32();
}

uint32_t Rng::next32() {
  uint64_t old = state_;
  state_ = old * kPcgMultiplier + increment_;
  auto xorShifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  auto rotation = static_cast<uint32_t>(old >> 59u);
  return (xorShifted >> rotation) | (xorShifted << ((-rotation) & 31u));
}

double Rng::uniform() {
  uint64_t high = next32();
  uint64_t bits = ((high << 32) | next32()) >> 11; // 53 bits
  return static_cast<double>(bits) * 0x1.0p-53;
}

namespace {
/// The largest score (-inf when there is none but NaNs), by a plain loop
/// the compiler vectorises: std::max_element's index keeps it scalar, and
/// greedy steps scan a whole vocabulary.
float largest(std::span<const float> scores) {
  float top = -std::numeric_limits<float>::infinity();
  for (float s : scores)
    top = s > top ? s : top;
  return top;
}
} // namespace

int64_t argmax(std::span<const float> scores) {
  // The first index of the largest, as std::max_element finds it.
  auto first = std::find(scores.begin(), scores.end(), largest(scores));
  return first == scores.end() ? 0 : first - scores.begin();
}

namespace {
/// The largest score, which must be finite for anything to be chosen.
float requireChoice(std::span<const float> scores) {
  float top = largest(scores);
  if (top == -std::numeric_limits<float>::infinity())
    throw runtime::Error("every token's score is -inf: the logits processors left nothing "
                         "to choose from");
  return top;
}
} // namespace

std::vector<double> softmax(std::span<const float> scores) {
  float top = requireChoice(scores);
  std::vector<double> probs(scores.size());
  double total = 0.0;
  // A dropped score's exp is +0: without the call (top-k drops most of a
  // vocabulary), the same values.
  for (size_t i = 0; i < scores.size(); ++i)
    total += probs[i] = scores[i] == -std::numeric_limits<float>::infinity()
                            ? 0.0
                            : std::exp(static_cast<double>(scores[i]) - top);
  for (double &p : probs)
    p /= total;
  return probs;
}

namespace {
/// Below this, a float exp is +0: e^-104 is under half the smallest
/// subnormal. libm reaches that +0 through its underflow path, which sets
/// errno and costs many times a plain exp; a large vocabulary's scores
/// reach it by the ten thousand.
constexpr float kExpIsZeroBelow = -104.0f;

/// log Σ exp(scores). Each term is a float exp (within an ulp; a double
/// exp per token was a tenth of a small model's decoding step), the sum a
/// double; terms that are +0 are skipped, which leaves the sum's bits as
/// they were.
double logSumExp(std::span<const float> scores) {
  float top = largest(scores);
  double total = 0.0;
  for (float s : scores)
    if (s - top >= kExpIsZeroBelow)
      total += std::exp(s - top);
  return top + std::log(total);
}
} // namespace

void logSoftmax(std::span<const float> scores, std::span<float> out) {
  double logTotal = logSumExp(scores);
  for (size_t i = 0; i < scores.size(); ++i)
    out[i] = static_cast<float>(scores[i] - logTotal);
}

double logProbability(std::span<const float> scores, int64_t token) {
  return scores[token] - logSumExp(scores);
}

int64_t drawIndex(std::span<const double> weights, double u) {
  double total = 0.0;
  for (double w : weights)
    total += w;
  double target = u * total, cumulative = 0.0;
  int64_t lastPositive = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0)
      continue;
    cumulative += weights[i];
    lastPositive = static_cast<int64_t>(i);
    if (cumulative > target)
      return lastPositive;
  }
  // Rounding can leave the cumulative sum a hair below u · total.
  return lastPositive;
}

TokenPolicy::TokenPolicy(const GenerationConfig &config)
    : processors_(makeProcessors(config)), sampling_(config.do_sample) {
  if (sampling_)
    warpers_ = makeWarpers(config);
}

void TokenPolicy::process(std::span<float> scores, const Context &context) const {
  processors_.apply(scores, context);
  if (sampling_)
    warpers_.apply(scores, context);
}

std::vector<double> TokenPolicy::distribution(std::span<const float> scores) const {
  if (sampling_)
    return softmax(scores);
  requireChoice(scores);
  std::vector<double> oneHot(scores.size(), 0.0);
  oneHot[argmax(scores)] = 1.0;
  return oneHot;
}

int64_t TokenPolicy::choose(std::span<const float> scores, Rng &rng) const {
  if (!sampling_) {
    int64_t best = argmax(scores);
    if (scores[best] == -std::numeric_limits<float>::infinity())
      requireChoice(scores); // says why nothing can be chosen
    return best;
  }
  return drawIndex(softmax(scores), rng.uniform());
}

} // namespace genc::generate
