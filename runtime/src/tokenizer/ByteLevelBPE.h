//===- ByteLevelBPE.h - Hugging Face tokenizer.json, byte-level BPE -*- C++ -*-===//
//
// The GPT-2 style tokenizer.json subset genc reads (see ByteLevelBPE.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_TOKENIZER_BYTELEVELBPE_H
#define GENC_RUNTIME_TOKENIZER_BYTELEVELBPE_H

#include "tokenizer/Tokenizer.h"

#include <string_view>

namespace genc::tokenizer {

/// A tokenizer from the contents of the tokenizer.json at `path` (named in
/// errors). Throws genc::runtime::Error for malformed JSON and for anything
/// genc does not implement.
std::unique_ptr<Tokenizer> loadByteLevelBpe(std::string_view json, const std::string &path);

} // namespace genc::tokenizer

#endif // GENC_RUNTIME_TOKENIZER_BYTELEVELBPE_H
