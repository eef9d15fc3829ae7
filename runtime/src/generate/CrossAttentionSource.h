//===- CrossAttentionSource.h - what the coverage penalty reads --*- C++ -*-===//
//
// GNMT's coverage penalty needs, for every target step, how much attention
// each source position received. An encoder-decoder model's session may
// implement this next to LanguageModel; generate() finds it with
// dynamic_cast, so LanguageModel itself stays as it is.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_GENERATE_CROSSATTENTIONSOURCE_H
#define GENC_RUNTIME_GENERATE_CROSSATTENTIONSOURCE_H

#include <cstdint>
#include <span>

namespace genc::generate {

class CrossAttentionSource {
public:
  virtual ~CrossAttentionSource() = default;

  /// Positions of the encoded source; 0 when the model reports no
  /// cross-attention.
  virtual int64_t sourceLength() const = 0;
  /// [rows, sourceLength()]: the cross-attention probabilities of each row's
  /// last position of the latest start() or append() (the position whose
  /// logits predict the next token), combined over heads and layers as the
  /// model sees fit; each row sums to 1. Follows the LanguageModel's rows.
  virtual std::span<const float> crossAttention() const = 0;
};

} // namespace genc::generate

#endif // GENC_RUNTIME_GENERATE_CROSSATTENTIONSOURCE_H
