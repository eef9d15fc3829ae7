//===- Json.h - a small, strict JSON reader ---------------------*- C++ -*-===//
//
// Reads RFC 8259 JSON into a tree of Values, for tokenizer.json files. The
// runtime does not link LLVM, whose JSON parser the compiler uses. Strict:
// no comments, no trailing commas, no leading zeros, no lone surrogates in
// \u escapes, no duplicate object keys, nothing after the top-level value.
// Errors are genc::runtime::Error, "<source>: <what> at byte N".
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_TOKENIZER_JSON_H
#define GENC_RUNTIME_TOKENIZER_JSON_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace genc::tokenizer::json {

class Value;
/// Members in file order; keys are unique.
using Object = std::vector<std::pair<std::string, Value>>;
using Array = std::vector<Value>;

class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Value() = default;
  static Value boolean(bool b);
  static Value number(double n);
  static Value string(std::string s);
  static Value array(Array items);
  static Value object(Object members);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  /// These assume the kind; callers check it first.
  bool asBool() const { return bool_; }
  double asNumber() const { return number_; }
  const std::string &asString() const { return string_; }
  const Array &asArray() const { return *array_; }
  const Object &asObject() const { return *object_; }

  /// An object's member, or nullptr (also when this is not an object).
  const Value *find(std::string_view key) const;

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  // Shared: Values are copied while the tree is built, never modified after.
  std::shared_ptr<const Array> array_;
  std::shared_ptr<const Object> object_;
};

/// "null", "true", "a number", ... for error messages.
const char *kindName(Value::Kind kind);

/// Parses `text`; `source` (e.g. "tokenizer.json 'x.json'") starts error messages.
Value parse(std::string_view text, const std::string &source);

} // namespace genc::tokenizer::json

#endif // GENC_RUNTIME_TOKENIZER_JSON_H
