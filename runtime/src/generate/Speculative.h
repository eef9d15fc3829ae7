//===- Speculative.h - draft, then verify with one target pass -*- C++ -*-===//
//
// Speculative decoding (Leviathan et al. 2023): a cheap drafter proposes up
// to γ tokens, the target model scores them all in one append(), and the
// longest acceptable prefix is kept plus one token from the target. Two
// drafters: a draft LanguageModel (γ = num_assistant_tokens) and prompt
// lookup (γ = prompt_lookup_num_tokens), which copies what followed an
// earlier occurrence of the sequence's last n-gram.
//
// Verification is exact speculative sampling over the *processed*
// distributions (processors, and warpers when sampling): draft token x,
// drawn from q, is accepted with probability min(1, p(x)/q(x)); at the
// first rejection the target's token is drawn from norm(max(0, p − q)); when
// all are accepted one more comes from p. Greedy decoding is the same
// procedure with p one-hot at the target's argmax: a draft token is accepted
// iff it is the argmax, and the correction is the argmax, so the output is
// exactly the target's greedy output. Prompt lookup's q is one-hot at the
// proposed token. After a rejection both models roll back what they
// consumed beyond the accepted prefix.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_SPECULATIVE_H
#define GENC_RUNTIME_GENERATE_SPECULATIVE_H

#include "generate/Generate.h"

#include <span>

namespace genc::generate {

/// Prompt lookup: for n = min(maxNgram, |tokens| − 1) down to 1, finds the
/// most recent earlier occurrence of the last n tokens and returns up to
/// `count` tokens that followed it; empty when nothing matches.
std::vector<int64_t> promptLookup(std::span<const int64_t> tokens, int64_t maxNgram, int64_t count);

/// Runs the prompts one after another, each as a batch of one row. `draft`
/// null: drafts by prompt lookup.
GenerationResult speculativeDecode(LanguageModel &target, LanguageModel *draft,
                                   const std::vector<std::vector<int64_t>> &prompts,
                                   const GenerationConfig &config, const TokenCallback &onToken);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_SPECULATIVE_H
