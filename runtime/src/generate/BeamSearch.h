//===- BeamSearch.h - beam search and diverse (group) beam search -*- C++ -*-===//
//
// Hugging Face's beam search: beams are the model's rows; each step takes
// the log-softmax of every beam's logits, applies the logits processors,
// adds the beam's score, and keeps the best num_beams continuations that do
// not end in EOS as the next beams. Candidates that end in EOS and rank
// among the best num_beams finish as hypotheses, scored by a BeamScorer.
//
// With num_beam_groups G > 1 (Vijayakumar et al.'s diverse beam search) the
// beams form G groups of num_beams/G, each an ordinary beam search with its
// own hypotheses; at each step group g's log-probs are lowered by
// diversity_penalty for every time a group < g chose the token at this step.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_BEAMSEARCH_H
#define GENC_RUNTIME_GENERATE_BEAMSEARCH_H

#include "generate/BeamScorer.h"
#include "generate/CrossAttentionSource.h"
#include "generate/Generate.h"

namespace genc::generate {

/// Searches the prompts one after another. `attention` must be given when
/// scorer.needsCoverage(); it is read after every start() and append().
GenerationResult beamSearch(LanguageModel &model, const std::vector<std::vector<int64_t>> &prompts,
                            const GenerationConfig &config, const BeamScorer &scorer,
                            const CrossAttentionSource *attention, const TokenCallback &onToken);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_BEAMSEARCH_H
