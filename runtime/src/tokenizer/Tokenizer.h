//===- Tokenizer.h - text to token ids and back -----------------*- C++ -*-===//
//
// SentencePiece models (.model, SentencePiece.cpp) and Hugging Face
// tokenizer.json files with a byte-level BPE model, GPT-2 style
// (ByteLevelBPE.cpp). Failures throw genc::runtime::Error.
//
// BOS and EOS: a SentencePiece model's <s> and </s> control pieces. In a
// tokenizer.json, EOS is the first special added token named
// <|endoftext|>, </s>, <|end_of_text|> or <eos>. BOS is, with a
// TemplateProcessing post-processor, the special token its template puts
// before the text (none if none); with RobertaProcessing, its cls token;
// with a ByteLevel post-processor or none, no BOS: Hugging Face adds
// nothing to the text then (GPT-2's <|endoftext|> is its EOS only).
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_TOKENIZER_TOKENIZER_H
#define GENC_RUNTIME_TOKENIZER_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace genc::tokenizer {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  /// Loads a tokenizer file; the kind is read from its contents (JSON starts
  /// with '{').
  static std::unique_ptr<Tokenizer> load(const std::string &path);

  /// The text's ids, without BOS or EOS.
  virtual std::vector<int64_t> encode(const std::string &text) const = 0;
  /// The text of `ids`; ids outside the vocabulary (a model's logits may be
  /// padded past it) are skipped.
  virtual std::string decode(std::span<const int64_t> ids) const = 0;
  virtual int64_t vocabSize() const = 0;
  /// -1 when the tokenizer has none.
  virtual int64_t bosId() const = 0;
  virtual int64_t eosId() const = 0;
};

} // namespace genc::tokenizer

#endif // GENC_RUNTIME_TOKENIZER_TOKENIZER_H
