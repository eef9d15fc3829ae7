//===- LanguageModel.h - what a decoding strategy asks of a model -*- C++ -*-===//
//
// A batch of token sequences ("rows": prompts, beams) that grow together,
// and the next-token logits for the positions just appended. A runtime
// session implements it over a compiled model with its KV cache; unit tests
// implement it over small tables. Failures throw genc::runtime::Error.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_LANGUAGEMODEL_H
#define GENC_RUNTIME_GENERATE_LANGUAGEMODEL_H

#include "Error.h"

#include <cstdint>
#include <span>
#include <vector>

namespace genc::generate {

class LanguageModel {
public:
  virtual ~LanguageModel() = default;

  virtual int64_t vocabSize() const = 0;
  /// Rows held now.
  virtual int64_t rows() const = 0;
  /// Tokens in each row's sequence (prompt included); rows of a batch of
  /// prompts with different lengths count their own tokens.
  virtual int64_t length(int64_t row) const = 0;

  /// Forgets every row and starts one row per prompt (lengths may differ).
  /// Afterwards logits() is [rows, 1, vocab]: the last prompt position's.
  virtual void start(const std::vector<std::vector<int64_t>> &prompts) = 0;
  /// Appends `count` tokens to every row (`tokens` is rows × count, row by
  /// row). Afterwards logits() is [rows, count, vocab]: one distribution
  /// per appended position (position t predicts the token after t).
  virtual void append(std::span<const int64_t> tokens, int64_t count) = 0;
  /// The logits of the last start() or append().
  virtual std::span<const float> logits() const = 0;

  /// Row r continues the sequence that row `sources[r]` holds; the number
  /// of rows becomes sources.size() (1 → num_beams to expand a prompt into
  /// beams, fewer to drop finished rows).
  virtual void reorder(std::span<const int64_t> sources) = 0;
  /// Forgets the last `count` tokens of every row (speculative rollback).
  virtual void rollback(int64_t count) = 0;
};

/// model.logits(), which the decoding strategies read through this: no
/// token can be chosen from a NaN or +inf score (a model whose arithmetic
/// overflowed, or NaN weights), so it throws runtime::Error naming the
/// token, the row and how many of the row's tokens came before; -inf is a
/// dropped token and passes.
std::span<const float> checkedLogits(const LanguageModel &model);

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_LANGUAGEMODEL_H
