//===- Generate.h - generation options, results and the one entry -*- C++ -*-===//
//
// What `genc generate` and the C API call: a GenerationConfig with Hugging
// Face generate()'s option names, and generate(), which picks the decoding
// strategy the options describe (greedy, sampling, beam search, diverse beam
// search, speculative decoding with a draft model or by prompt lookup) and
// runs it over a LanguageModel. docs/generation.md describes each strategy.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_GENERATE_H
#define GENC_RUNTIME_GENERATE_GENERATE_H

#include "generate/LanguageModel.h"

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace genc::generate {

/// When beam search stops (HF's early_stopping: true / false / "never").
enum class EarlyStopping {
  /// false: stop once num_beams hypotheses are done and the best running beam,
  /// scored at the current length, cannot beat the worst of them (a heuristic).
  Heuristic,
  /// true: stop as soon as num_beams hypotheses are done.
  WhenFull,
  /// "never": stop only when no running beam can beat the worst finished
  /// hypothesis at any length it could still reach (canonical beam search).
  Never,
};

/// "true", "false" or "never" (the spellings HF accepts); throws Error otherwise.
EarlyStopping parseEarlyStopping(std::string_view text);

/// Decoding options. Names and defaults follow Hugging Face's
/// GenerationConfig; a value that turns an option off is noted.
struct GenerationConfig {
  int64_t max_new_tokens = 20;
  /// EOS ids are suppressed until this many tokens are generated (0: off).
  int64_t min_new_tokens = 0;

  bool do_sample = false;
  // Warpers: applied only when sampling.
  double temperature = 1.0;     ///< 1: off
  int64_t top_k = 50;           ///< 0: off
  double top_p = 1.0;           ///< 1: off
  double min_p = 0.0;           ///< 0: off
  int64_t min_tokens_to_keep = 1;

  // Processors: applied by every strategy.
  double repetition_penalty = 1.0; ///< 1: off
  int64_t no_repeat_ngram_size = 0; ///< 0: off

  // Beam search.
  int64_t num_beams = 1;
  int64_t num_beam_groups = 1;
  double diversity_penalty = 0.0;
  double length_penalty = 1.0;
  EarlyStopping early_stopping = EarlyStopping::Heuristic;
  int64_t num_return_sequences = 1;
  /// > 0 scores beam hypotheses as GNMT does (length_penalty is then GNMT's
  /// α, this its β); the model must also be a CrossAttentionSource.
  double coverage_penalty = 0.0;

  // Speculative decoding.
  /// Tokens the draft model proposes per target pass (γ).
  int64_t num_assistant_tokens = 5;
  /// > 0 drafts by prompt lookup (no draft model): tokens proposed per pass.
  int64_t prompt_lookup_num_tokens = 0;
  /// Longest n-gram prompt lookup matches (it tries n, n-1, ..., 1).
  int64_t max_matching_ngram_size = 2;

  /// Any of these ends a sequence (empty: sequences run to max_new_tokens).
  std::vector<int64_t> eos_token_ids;
  /// Not used by the library (finished rows are dropped, not padded); kept
  /// for callers that pad sequences into a rectangle. -1: none.
  int64_t pad_token_id = -1;
  uint64_t seed = 0;

  /// Throws genc::runtime::Error naming the first invalid option.
  void validate() const;
  bool isEos(int64_t token) const;
};

/// One generated sequence.
struct GeneratedSequence {
  /// Index of the prompt it continues.
  int64_t prompt = 0;
  /// Generated ids only (no prompt); the EOS id is included when one ended it.
  std::vector<int64_t> tokens;
  /// Beam search: HF's sequences_scores (the hypothesis score, length
  /// penalty included). Otherwise: the sum of the chosen tokens' log-probs
  /// under the distribution they were chosen from (processed logits; warped
  /// too when sampling).
  double score = 0.0;
  /// True when an EOS id ended it, false when max_new_tokens did.
  bool finished = false;
};

struct GenerationStats {
  int64_t prompt_tokens = 0;
  /// Tokens in the returned sequences.
  int64_t generated_tokens = 0;
  /// Calls to the target model's start() and append().
  int64_t target_passes = 0;
  /// Calls to the draft model's start() and append().
  int64_t draft_passes = 0;
  int64_t draft_tokens_proposed = 0;
  int64_t draft_tokens_accepted = 0;

  /// Accepted / proposed draft tokens (0 when none were proposed).
  double acceptanceRate() const;
  /// Generated tokens per target pass (0 before the first pass).
  double tokensPerTargetPass() const;
};

struct GenerationResult {
  /// Prompt by prompt; num_return_sequences per prompt, best first.
  std::vector<GeneratedSequence> sequences;
  GenerationStats stats;
};

/// Streams tokens as they become final: (index into result.sequences, id).
/// Greedy, sampling and speculative decoding call it as tokens are decided;
/// beam search, whose beams are not final until the search ends, calls it
/// for the returned sequences once the search of a prompt is over.
using TokenCallback = std::function<void(int64_t sequence, int64_t token)>;

/// Validates `config`, picks the strategy and runs it:
///  - draft != nullptr: speculative decoding with the draft model;
///  - prompt_lookup_num_tokens > 0: speculative decoding by prompt lookup;
///  - num_beams > 1: beam search (diverse when num_beam_groups > 1, GNMT
///    scoring when coverage_penalty > 0);
///  - otherwise greedy (do_sample false) or sampling.
/// Beam search and speculative decoding run the prompts one after another;
/// greedy and sampling run them together as rows of one batch. Throws
/// genc::runtime::Error for invalid options or prompts.
GenerationResult generate(LanguageModel &target, LanguageModel *draft,
                          const std::vector<std::vector<int64_t>> &prompts,
                          const GenerationConfig &config, const TokenCallback &onToken = {});

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_GENERATE_H
