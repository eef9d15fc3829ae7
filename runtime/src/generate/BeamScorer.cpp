//===- BeamScorer.cpp - the score formulas of beam search -----------------===//

#include "generate/BeamScorer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace genc::generate {

double BeamScorer::bestReachable(double bestSumLogProbs, int64_t length, int64_t maxLength,
                                 EarlyStopping mode) const {
  switch (mode) {
  case EarlyStopping::WhenFull:
    // Nothing is waited for once num_beams hypotheses are done.
    return -std::numeric_limits<double>::infinity();
  case EarlyStopping::Heuristic:
    // HF's heuristic: as if the best running beam finished now.
    return lengthNormalized(bestSumLogProbs, length);
  case EarlyStopping::Never:
    // Log-probabilities only decrease as a beam grows, and both length
    // normalizations are monotone in the length, so the best reachable
    // score lies at one end of [length, maxLength]: at maxLength when longer
    // hypotheses are favoured (α > 0), at length otherwise.
    return std::max(lengthNormalized(bestSumLogProbs, length),
                    lengthNormalized(bestSumLogProbs, maxLength));
  }
  return 0.0;
}

double LengthPenaltyScorer::lengthNormalized(double sumLogProbs, int64_t length) const {
  return sumLogProbs / std::pow(static_cast<double>(length), alpha_);
}

double GnmtScorer::lengthNormalized(double sumLogProbs, int64_t length) const {
  double lp = std::pow(5.0 + static_cast<double>(length), alpha_) / std::pow(6.0, alpha_);
  return sumLogProbs / lp;
}

double GnmtScorer::coverageTerm(std::span<const double> coverage) const {
  if (beta_ == 0.0)
    return 0.0;
  double sum = 0.0;
  for (double c : coverage)
    sum += std::log(std::min(c, 1.0));
  return beta_ * sum;
}

std::unique_ptr<BeamScorer> makeBeamScorer(const GenerationConfig &config) {
  if (config.coverage_penalty > 0.0)
    return std::make_unique<GnmtScorer>(config.length_penalty, config.coverage_penalty);
  return std::make_unique<LengthPenaltyScorer>(config.length_penalty);
}

} // namespace genc::generate
