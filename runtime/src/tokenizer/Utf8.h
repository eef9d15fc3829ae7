//===- Utf8.h - code points to UTF-8 bytes ----------------------*- C++ -*-===//

#ifndef GENC_RUNTIME_TOKENIZER_UTF8_H
#define GENC_RUNTIME_TOKENIZER_UTF8_H

#include <cstdint>
#include <string>

namespace genc::tokenizer {

/// Appends code point `c` (at most U+10FFFF) to `out` as UTF-8.
inline void appendUtf8(std::string &out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

} // namespace genc::tokenizer

#endif // GENC_RUNTIME_TOKENIZER_UTF8_H
