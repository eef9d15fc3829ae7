//===- ProtoReader.h - protobuf wire format, read by hand -------*- C++ -*-===//
//
// Just enough of the protobuf wire format to read a SentencePiece .model
// without libprotobuf: varints, length-delimited fields (strings, bytes,
// nested messages), fixed32/fixed64 values, and skipping of fields the
// reader does not know (groups included). Every read is bounds-checked; a
// truncated or malformed message throws genc::runtime::Error naming the
// source (a file name) and the byte offset.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_TOKENIZER_PROTOREADER_H
#define GENC_RUNTIME_TOKENIZER_PROTOREADER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace genc::tokenizer {

class ProtoReader {
public:
  enum class WireType : uint8_t {
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
  };

  /// One field as read from the wire; which member holds the value depends
  /// on the wire type. Read values through the accessors, which check it.
  struct Field {
    uint32_t number = 0;
    WireType type = WireType::Varint;
    /// Offset of the field's tag from the start of the outermost message.
    size_t offset = 0;
    uint64_t scalar = 0;        // Varint, Fixed32, Fixed64
    std::string_view bytes;     // LengthDelimited
    size_t bytesOffset = 0;     // where `bytes` starts (outermost offsets)
  };

  /// `source` names the data in error messages (e.g. the file's path);
  /// `message` names the message type being read (e.g. "ModelProto").
  ProtoReader(std::string_view data, std::string source, std::string message);

  /// Reads the next field into `field`; false at the end of the message.
  /// Unknown fields are the caller's to ignore: it simply reads on. Groups
  /// (wire types 3 and 4) are skipped here, since no SentencePiece field is
  /// one.
  bool next(Field &field);

  /// A reader over a nested message held by a length-delimited field.
  ProtoReader nested(const Field &field, std::string message) const;

  uint64_t asUInt64(const Field &field, const char *name) const;
  /// int32 and enum fields: the low 32 bits of the varint (negative values
  /// are sign-extended to 10 bytes on the wire).
  int32_t asInt32(const Field &field, const char *name) const;
  bool asBool(const Field &field, const char *name) const;
  float asFloat(const Field &field, const char *name) const;
  std::string_view asBytes(const Field &field, const char *name) const;

  /// Throws genc::runtime::Error: "<source>: <what> (<message>, byte N)".
  [[noreturn]] void fail(const std::string &what, size_t offset) const;

private:
  ProtoReader(std::string_view data, size_t base, std::string source, std::string message);
  uint64_t readVarint();
  void skipGroup(uint32_t number, size_t offset);
  void expect(const Field &field, WireType type, const char *name) const;

  std::string_view data;
  size_t pos = 0;
  /// Offset of data[0] in the outermost message, for error messages.
  size_t base = 0;
  std::string source;
  std::string message;
};

} // namespace genc::tokenizer

#endif // GENC_RUNTIME_TOKENIZER_PROTOREADER_H
