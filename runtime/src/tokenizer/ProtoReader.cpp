//===- ProtoReader.cpp - protobuf wire format, read by hand ---------------===//

#include "tokenizer/ProtoReader.h"

#include "Error.h"

#include <cstring>
#include <vector>

using genc::runtime::Error;

namespace genc::tokenizer {

namespace {
const char *wireTypeName(ProtoReader::WireType type) {
  switch (type) {
  case ProtoReader::WireType::Varint:
    return "varint";
  case ProtoReader::WireType::Fixed64:
    return "fixed64";
  case ProtoReader::WireType::LengthDelimited:
    return "length-delimited";
  case ProtoReader::WireType::StartGroup:
    return "start-group";
  case ProtoReader::WireType::EndGroup:
    return "end-group";
  case ProtoReader::WireType::Fixed32:
    return "fixed32";
  }
  return "unknown";
}
} // namespace

ProtoReader::ProtoReader(std::string_view data, std::string source, std::string message)
    : ProtoReader(data, 0, std::move(source), std::move(message)) {}

ProtoReader::ProtoReader(std::string_view data, size_t base, std::string source,
                         std::string message)
    : data(data), base(base), source(std::move(source)), message(std::move(message)) {}

void ProtoReader::fail(const std::string &what, size_t offset) const {
  throw Error(source + ": " + what + " (" + message + ", byte " + std::to_string(offset) + ")");
}

uint64_t ProtoReader::readVarint() {
  size_t start = pos;
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= data.size())
      fail("truncated varint", base + start);
    uint8_t byte = static_cast<uint8_t>(data[pos++]);
    // The tenth byte holds bit 63 only.
    if (shift == 63 && byte > 1)
      fail("varint longer than 64 bits", base + start);
    value |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return value;
  }
  fail("varint longer than 64 bits", base + start);
}

void ProtoReader::skipGroup(uint32_t number, size_t offset) {
  // Groups may nest; skip iteratively, matching each end to its start.
  std::vector<uint32_t> open{number};
  constexpr size_t kMaxDepth = 100;
  while (!open.empty()) {
    if (pos >= data.size())
      fail("group " + std::to_string(open.back()) + " is not closed", base + offset);
    size_t tagOffset = pos;
    uint64_t tag = readVarint();
    uint64_t fieldNumber = tag >> 3;
    if (fieldNumber == 0 || fieldNumber > (1u << 29) - 1)
      fail("invalid field number " + std::to_string(fieldNumber), base + tagOffset);
    switch (tag & 7) {
    case 0:
      readVarint();
      break;
    case 1:
      if (data.size() - pos < 8)
        fail("truncated fixed64", base + tagOffset);
      pos += 8;
      break;
    case 2: {
      uint64_t length = readVarint();
      if (length > data.size() - pos)
        fail("length " + std::to_string(length) + " runs past the end", base + tagOffset);
      pos += length;
      break;
    }
    case 3:
      if (open.size() >= kMaxDepth)
        fail("groups nested too deeply", base + tagOffset);
      open.push_back(uint32_t(fieldNumber));
      break;
    case 4:
      if (open.back() != fieldNumber)
        fail("group " + std::to_string(open.back()) + " closed by field " +
                 std::to_string(fieldNumber),
             base + tagOffset);
      open.pop_back();
      break;
    case 5:
      if (data.size() - pos < 4)
        fail("truncated fixed32", base + tagOffset);
      pos += 4;
      break;
    default:
      fail("invalid wire type " + std::to_string(tag & 7), base + tagOffset);
    }
  }
}

bool ProtoReader::next(Field &field) {
  while (pos < data.size()) {
    size_t tagOffset = pos;
    uint64_t tag = readVarint();
    uint64_t number = tag >> 3;
    if (number == 0 || number > (1u << 29) - 1)
      fail("invalid field number " + std::to_string(number), base + tagOffset);
    field = Field();
    field.number = uint32_t(number);
    field.offset = base + tagOffset;
    switch (tag & 7) {
    case 0:
      field.type = WireType::Varint;
      field.scalar = readVarint();
      return true;
    case 1: {
      field.type = WireType::Fixed64;
      if (data.size() - pos < 8)
        fail("truncated fixed64 in field " + std::to_string(number), base + tagOffset);
      uint64_t value = 0;
      for (int i = 7; i >= 0; --i)
        value = (value << 8) | static_cast<uint8_t>(data[pos + i]);
      pos += 8;
      field.scalar = value;
      return true;
    }
    case 2: {
      field.type = WireType::LengthDelimited;
      uint64_t length = readVarint();
      if (length > data.size() - pos)
        fail("field " + std::to_string(number) + " has length " + std::to_string(length) +
                 ", which runs past the end (" + std::to_string(data.size() - pos) +
                 " bytes left)",
             base + tagOffset);
      field.bytes = data.substr(pos, length);
      field.bytesOffset = base + pos;
      pos += length;
      return true;
    }
    case 3:
      skipGroup(uint32_t(number), tagOffset);
      continue;
    case 4:
      fail("end of group " + std::to_string(number) + " without a start", base + tagOffset);
    case 5: {
      field.type = WireType::Fixed32;
      if (data.size() - pos < 4)
        fail("truncated fixed32 in field " + std::to_string(number), base + tagOffset);
      uint32_t value = 0;
      for (int i = 3; i >= 0; --i)
        value = (value << 8) | static_cast<uint8_t>(data[pos + i]);
      pos += 4;
      field.scalar = value;
      return true;
    }
    default:
      fail("invalid wire type " + std::to_string(tag & 7) + " in field " +
               std::to_string(number),
           base + tagOffset);
    }
  }
  return false;
}

ProtoReader ProtoReader::nested(const Field &field, std::string nestedMessage) const {
  expect(field, WireType::LengthDelimited, nestedMessage.c_str());
  return ProtoReader(field.bytes, field.bytesOffset, source, std::move(nestedMessage));
}

void ProtoReader::expect(const Field &field, WireType type, const char *name) const {
  if (field.type != type)
    fail(std::string("field ") + std::to_string(field.number) + " (" + name + ") has wire type " +
             wireTypeName(field.type) + ", expected " + wireTypeName(type),
         field.offset);
}

uint64_t ProtoReader::asUInt64(const Field &field, const char *name) const {
  expect(field, WireType::Varint, name);
  return field.scalar;
}

int32_t ProtoReader::asInt32(const Field &field, const char *name) const {
  expect(field, WireType::Varint, name);
  return static_cast<int32_t>(static_cast<uint32_t>(field.scalar));
}

bool ProtoReader::asBool(const Field &field, const char *name) const {
  expect(field, WireType::Varint, name);
  return field.scalar != 0;
}

float ProtoReader::asFloat(const Field &field, const char *name) const {
  expect(field, WireType::Fixed32, name);
  uint32_t bits = static_cast<uint32_t>(field.scalar);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::string_view ProtoReader::asBytes(const Field &field, const char *name) const {
  expect(field, WireType::LengthDelimited, name);
  return field.bytes;
}

} // namespace genc::tokenizer
