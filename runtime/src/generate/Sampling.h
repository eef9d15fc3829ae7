//===- Sampling.h - seeded draws and next-token distributions ---*- C++ -*-===//
//
// The RNG is PCG32 (PCG-XSH-RR 64/32, O'Neill's reference seeding), with
// uniform doubles made from 53 of its bits: the same seed gives the same
// draws on every platform and with any thread count, which the standard
// library's distributions do not promise. Draws are inverse-CDF.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_SAMPLING_H
#define GENC_RUNTIME_GENERATE_SAMPLING_H

#include "generate/Generate.h"
#include "generate/LogitsProcessors.h"

#include <cstdint>
#include <span>
#include <vector>

namespace genc::generate {

class Rng {
public:
  /// pcg32_srandom_r(seed, stream): different streams are independent
  /// sequences for the same seed (one per row).
  explicit Rng(uint64_t seed, uint64_t stream = 0);
  uint32_t next32();
  /// Uniform in [0, 1): 53 random bits scaled by 2^-53.
  double uniform();

private:
  uint64_t state_ = 0, increment_ = 0;
};

/// Index of the largest score; the lowest index among equals.
int64_t argmax(std::span<const float> scores);
/// exp(s - max) normalized, in double; -inf becomes 0. Throws Error when
/// every score is -inf (every token suppressed).
std::vector<double> softmax(std::span<const float> scores);
/// log(softmax(scores)) written to `out`.
void logSoftmax(std::span<const float> scores, std::span<float> out);
/// log(softmax(scores))[token], without the rest of the vector.
double logProbability(std::span<const float> scores, int64_t token);
/// Inverse-CDF draw: the first index whose cumulative weight exceeds
/// u · (total weight). `weights` need not sum to 1; zero weights are never
/// drawn.
int64_t drawIndex(std::span<const double> weights, double u);

/// How one token is chosen from a model's logits: processors, then (when
/// sampling) warpers, then argmax or a draw. Greedy, sampling and
/// speculative decoding share it so they choose alike.
class TokenPolicy {
public:
  explicit TokenPolicy(const GenerationConfig &config);
  bool sampling() const { return sampling_; }
  /// Rewrites raw logits into the scores the token is chosen from.
  void process(std::span<float> scores, const Context &context) const;
  /// The distribution choose() draws from: softmax(scores) when sampling,
  /// one-hot at argmax(scores) when greedy.
  std::vector<double> distribution(std::span<const float> scores) const;
  /// argmax(scores) when greedy; a draw from softmax(scores) when sampling.
  int64_t choose(std::span<const float> scores, Rng &rng) const;

private:
  ProcessorChain processors_, warpers_;
  bool sampling_;
};

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_SAMPLING_H
