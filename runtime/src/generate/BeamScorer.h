//===- BeamScorer.h - how beam search ranks finished hypotheses -*- C++ -*-===//
//
// Beam search keeps running beams by their summed log-probability and asks
// a scorer how to rank the hypotheses that finish. Every score formula of
// beam search lives in BeamScorer.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_BEAMSCORER_H
#define GENC_RUNTIME_GENERATE_BEAMSCORER_H

#include "generate/Generate.h"

#include <cstdint>
#include <memory>
#include <span>

namespace genc::generate {

class BeamScorer {
public:
  virtual ~BeamScorer() = default;

  /// The log-probability `sumLogProbs` of `length` generated tokens (EOS
  /// included when it ended them) normalized for length.
  virtual double lengthNormalized(double sumLogProbs, int64_t length) const = 0;
  /// Whether coverageTerm() reads the coverage (then the model must expose
  /// its cross-attention).
  virtual bool needsCoverage() const { return false; }
  /// A term from the coverage: per source position, the attention it
  /// received summed over the hypothesis's steps. Must be ≤ 0, so 0 bounds it.
  virtual double coverageTerm(std::span<const double> coverage) const { return 0.0; }

  /// A finished hypothesis's score (HF's sequences_scores).
  double score(double sumLogProbs, int64_t length, std::span<const double> coverage) const {
    return lengthNormalized(sumLogProbs, length) + coverageTerm(coverage);
  }
  /// The best score beam search still expects from running beams whose
  /// best summed log-probability is `bestSumLogProbs` after `length` tokens,
  /// when it may grow to `maxLength` tokens (see EarlyStopping).
  double bestReachable(double bestSumLogProbs, int64_t length, int64_t maxLength,
                       EarlyStopping mode) const;
};

/// HF's: sum / length^length_penalty.
class LengthPenaltyScorer : public BeamScorer {
public:
  explicit LengthPenaltyScorer(double lengthPenalty) : alpha_(lengthPenalty) {}
  double lengthNormalized(double sumLogProbs, int64_t length) const override;

private:
  double alpha_;
};

/// GNMT's (Wu et al. 2016): log P / lp + cp with lp = (5 + |Y|)^α / 6^α and
/// cp = β · Σ_i log(min(Σ_j a_ij, 1)).
class GnmtScorer : public BeamScorer {
public:
  GnmtScorer(double alpha, double beta) : alpha_(alpha), beta_(beta) {}
  double lengthNormalized(double sumLogProbs, int64_t length) const override;
  bool needsCoverage() const override { return beta_ != 0.0; }
  double coverageTerm(std::span<const double> coverage) const override;

private:
  double alpha_, beta_;
};

/// GnmtScorer(length_penalty, coverage_penalty) when coverage_penalty > 0,
/// else LengthPenaltyScorer(length_penalty).
std::unique_ptr<BeamScorer> makeBeamScorer(const GenerationConfig &config);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_BEAMSCORER_H
