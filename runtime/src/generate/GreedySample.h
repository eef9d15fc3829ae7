//===- GreedySample.h - greedy decoding and sampling, many rows -*- C++ -*-===//
//
// One token per row per step: the processors (and, when sampling, the
// warpers) rewrite the row's logits, then greedy takes the argmax and
// sampling draws from the softmax. Every prompt is a row of one batch; a
// row that emits an EOS id or reaches max_new_tokens is dropped from the
// model with reorder(), so finished rows cost nothing and need no padding.
// Each row draws from its own RNG stream (seed, row), so a row's samples do
// not depend on when the other rows finish.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_GREEDYSAMPLE_H
#define GENC_RUNTIME_GENERATE_GREEDYSAMPLE_H

#include "generate/Generate.h"

namespace genc::generate {

/// Greedy when !config.do_sample, else sampling. With sampling and
/// num_return_sequences = n, prompt p is sampled n times (rows p·n ... p·n+n-1).
GenerationResult greedyOrSample(LanguageModel &model,
                                const std::vector<std::vector<int64_t>> &prompts,
                                const GenerationConfig &config, const TokenCallback &onToken);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_GREEDYSAMPLE_H
