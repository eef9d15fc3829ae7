//===- Json.cpp - a small, strict JSON reader -----------------------------===//
//
// A recursive-descent parser over the bytes, as RFC 8259 gives the grammar.
// Strings must be valid UTF-8 (the RFC's text is Unicode); \u escapes give
// code points, a surrogate pair giving one.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/Json.h"
#include "tokenizer/Utf8.h"

#include "Error.h"

#include <charconv>
#include <unordered_set>

using genc::runtime::Error;

namespace genc::tokenizer::json {

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::number(double n) {
  Value v;
  v.kind_ = Kind::Number;
  v.number_ = n;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}

Value Value::array(Array items) {
  Value v;
  v.kind_ = Kind::Array;
  v.array_ = std::make_shared<const Array>(std::move(items));
  return v;
}

Value Value::object(Object members) {
  Value v;
  v.kind_ = Kind::Object;
  v.object_ = std::make_shared<const Object>(std::move(members));
  return v;
}

const Value *Value::find(std::string_view key) const {
  if (kind_ != Kind::Object)
    return nullptr;
  for (const auto &[name, value] : *object_)
    if (name == key)
      return &value;
  return nullptr;
}

const char *kindName(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Null:
    return "null";
  case Value::Kind::Bool:
    return "a boolean";
  case Value::Kind::Number:
    return "a number";
  case Value::Kind::String:
    return "a string";
  case Value::Kind::Array:
    return "an array";
  case Value::Kind::Object:
    return "an object";
  }
  return "?";
}

namespace {

/// Deep enough for any tokenizer.json; shallow enough not to overflow the
/// stack on hostile input.
constexpr int kMaxDepth = 256;

/// The length of the well-formed UTF-8 character at the start of `s`, or 0.
size_t validUtf8Length(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t lead = byte(0);
  if (lead < 0x80)
    return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xbf; // the second byte's range (RFC 3629)
  if (lead >= 0xc2 && lead <= 0xdf)
    length = 2;
  else if (lead >= 0xe0 && lead <= 0xef)
    length = 3, low = lead == 0xe0 ? 0xa0 : 0x80, high = lead == 0xed ? 0x9f : 0xbf;
  else if (lead >= 0xf0 && lead <= 0xf4)
    length = 4, low = lead == 0xf0 ? 0x90 : 0x80, high = lead == 0xf4 ? 0x8f : 0xbf;
  else
    return 0;
  if (s.size() < length || byte(1) < low || byte(1) > high)
    return 0;
  for (size_t i = 2; i < length; ++i)
    if ((byte(i) & 0xc0) != 0x80)
      return 0;
  return length;
}

class Parser {
public:
  Parser(std::string_view text, const std::string &source) : text(text), source(source) {}

  Value parseDocument() {
    skipSpace();
    Value value = parseValue(0);
    skipSpace();
    if (pos != text.size())
      fail("unexpected text after the JSON value");
    return value;
  }

private:
  [[noreturn]] void fail(const std::string &what) const { failAt(what, pos); }
  [[noreturn]] void failAt(const std::string &what, size_t offset) const {
    throw Error(source + ": " + what + " at byte " + std::to_string(offset));
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return text[pos]; }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos;
  }

  void expect(char c) {
    if (atEnd())
      fail(std::string("unexpected end of the file, expected '") + c + "'");
    if (peek() != c)
      fail(std::string("expected '") + c + "'");
    ++pos;
  }

  void expectWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      fail("invalid literal, expected '" + std::string(word) + "'");
    pos += word.size();
  }

  Value parseValue(int depth) {
    if (depth > kMaxDepth)
      fail("values nested deeper than " + std::to_string(kMaxDepth));
    if (atEnd())
      fail("unexpected end of the file, expected a value");
    switch (peek()) {
    case '{':
      return parseObject(depth);
    case '[':
      return parseArray(depth);
    case '"':
      return Value::string(parseString());
    case 't':
      expectWord("true");
      return Value::boolean(true);
    case 'f':
      expectWord("false");
      return Value::boolean(false);
    case 'n':
      expectWord("null");
      return Value();
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber();
      fail("expected a value");
    }
  }

  Value parseObject(int depth) {
    size_t start = pos;
    expect('{');
    Object members;
    skipSpace();
    if (!atEnd() && peek() == '}') {
      ++pos;
      return Value::object(std::move(members));
    }
    while (true) {
      skipSpace();
      if (atEnd() || peek() != '"')
        atEnd() ? fail("unexpected end of the file, expected a key") : fail("expected a key");
      std::string key = parseString();
      skipSpace();
      expect(':');
      skipSpace();
      Value value = parseValue(depth + 1);
      members.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (!atEnd() && peek() == ',') {
        ++pos;
        continue;
      }
      expect('}');
      break;
    }
    std::unordered_set<std::string_view> keys;
    for (const auto &member : members)
      if (!keys.insert(member.first).second)
        failAt("duplicate key \"" + member.first + "\" in the object", start);
    return Value::object(std::move(members));
  }

  Value parseArray(int depth) {
    expect('[');
    Array items;
    skipSpace();
    if (!atEnd() && peek() == ']') {
      ++pos;
      return Value::array(std::move(items));
    }
    while (true) {
      skipSpace();
      items.push_back(parseValue(depth + 1));
      skipSpace();
      if (!atEnd() && peek() == ',') {
        ++pos;
        continue;
      }
      expect(']');
      break;
    }
    return Value::array(std::move(items));
  }

  uint32_t parseHex4() {
    if (text.size() - pos < 4)
      fail("unexpected end of the file in a \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      char c = peek();
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0)
        fail("invalid hex digit in a \\u escape");
      value = value * 16 + digit;
    }
    return value;
  }

  std::string parseString() {
    expect('"');
    std::string out;
    while (true) {
      if (atEnd())
        fail("unexpected end of the file in a string");
      char c = peek();
      if (c == '"') {
        ++pos;
        return out;
      }
      if (static_cast<uint8_t>(c) < 0x20)
        fail("control character in a string (escape it)");
      if (c != '\\') {
        size_t length = validUtf8Length(text.substr(pos));
        if (!length)
          fail("invalid UTF-8 in a string");
        out.append(text.substr(pos, length));
        pos += length;
        continue;
      }
      size_t escape = pos++;
      if (atEnd())
        fail("unexpected end of the file in a string");
      switch (text[pos++]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code = parseHex4();
        if (code >= 0xdc00 && code <= 0xdfff)
          failAt("lone low surrogate in a \\u escape", escape);
        if (code >= 0xd800 && code <= 0xdbff) {
          if (text.substr(pos, 2) != "\\u")
            failAt("lone high surrogate in a \\u escape", escape);
          pos += 2;
          uint32_t low = parseHex4();
          if (low < 0xdc00 || low > 0xdfff)
            failAt("high surrogate not followed by a low one in a \\u escape", escape);
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        failAt("invalid escape in a string", escape);
      }
    }
  }

  Value parseNumber() {
    size_t start = pos;
    auto digits = [&] {
      size_t first = pos;
      while (!atEnd() && peek() >= '0' && peek() <= '9')
        ++pos;
      return pos - first;
    };
    if (peek() == '-')
      ++pos;
    if (!atEnd() && peek() == '0')
      ++pos; // no leading zeros: "01" leaves "1" as text after the number
    else if (!digits())
      fail("invalid number");
    if (!atEnd() && peek() == '.') {
      ++pos;
      if (!digits())
        fail("invalid number: no digits after '.'");
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      ++pos;
      if (!atEnd() && (peek() == '+' || peek() == '-'))
        ++pos;
      if (!digits())
        fail("invalid number: no digits in the exponent");
    }
    double value = 0;
    auto [end, error] = std::from_chars(text.data() + start, text.data() + pos, value);
    if (error != std::errc() || end != text.data() + pos)
      failAt("number out of range", start);
    return Value::number(value);
  }

  std::string_view text;
  const std::string &source;
  size_t pos = 0;
};

} // namespace

Value parse(std::string_view text, const std::string &source) {
  return Parser(text, source).parseDocument();
}

} // namespace genc::tokenizer::json
