//===- Scoring.h - strided sliding-window perplexity ------------*- C++ -*-===//
//
// Hugging Face's strided perplexity: windows of `context` tokens start at
// 0, S, 2S, ... until one reaches the last token; the first window scores
// every token after its first, each later window only the tokens no
// earlier window scored. Token t is scored with the logits at position
// t − 1 of its window. Shared by `genc perplexity` and the search of
// `genc compile --max-ppl-increase`.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_SCORING_H
#define GENC_TOOLS_GENC_SCORING_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace genc::runtime {
class Session;
} // namespace genc::runtime

namespace genc::driver {

struct PerplexityScore {
  double nll = 0;       ///< summed over the scored tokens
  int64_t scored = 0;   ///< tokens scored
  int64_t agreed = 0;   ///< of them, where the reference's most likely token agrees
  double perplexity() const { return std::exp(nll / double(scored)); }
  double agreement() const { return double(agreed) / double(scored); }
};

/// Scores `tokens` (at least two) with `session` (and `reference`, when
/// given, for agreement) in windows of `context` tokens `stride` apart
/// (0: the context). `progress(done, windows)` after each window. Throws
/// genc::runtime::Error for a token outside the vocabulary.
PerplexityScore scorePerplexity(runtime::Session &session, runtime::Session *reference,
                                const std::vector<int64_t> &tokens, int64_t context,
                                int64_t stride,
                                llvm::function_ref<void(int64_t, int64_t)> progress = {});

} // namespace genc::driver

#endif
