//===- UnicodeClasses.h - the code point classes GPT-2's split uses -*- C++ -*-===//
//
// Letters (\p{L}), numbers (\p{N}) and white space (\s, Unicode's
// White_Space property, as Oniguruma reads it in Hugging Face tokenizers)
// for byte-level BPE pre-tokenization. The table is generated
// (UnicodeClasses.cpp, by make_unicode_classes.py).
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_TOKENIZER_UNICODECLASSES_H
#define GENC_RUNTIME_TOKENIZER_UNICODECLASSES_H

#include <cstdint>

namespace genc::tokenizer {

enum class CharClass : uint8_t { Other, Letter, Number, Space };

/// The class of code point `c` (Other for unassigned ones and above U+10FFFF).
CharClass classifyCodePoint(uint32_t c);

} // namespace genc::tokenizer

#endif // GENC_RUNTIME_TOKENIZER_UNICODECLASSES_H
