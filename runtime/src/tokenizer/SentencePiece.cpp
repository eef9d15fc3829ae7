//===- SentencePiece.cpp - SentencePiece models, read and run by genc -----===//
//
// Reads a SentencePiece .model (a serialized ModelProto, see
// sentencepiece_model.proto) with ProtoReader and encodes and decodes text
// as the reference library does, without linking it: libsentencepiece
// carries its own protobuf-lite, whose exported symbols interpose on the
// libprotobuf that genc's ONNX import uses.
//
// Supported: UNIGRAM, BPE, WORD and CHAR models; any normalization rule
// compiled into the model's precompiled_charsmap (nmt_nfkc, nfkc, nfkc_cf,
// nmt_nfkc_cf, custom TSV rules) or none (identity); whitespace handling
// (remove_extra_whitespaces, add_dummy_prefix, escape_whitespaces,
// treat_whitespace_as_suffix); user-defined pieces; unused pieces; byte
// fallback; a denormalizer applied after decoding. Encoding gives the ids
// the reference's Encode gives (without bos/eos, no sampling); decoding
// gives the reference's Decode.
//
//===----------------------------------------------------------------------===//

#include "Error.h"
#include "tokenizer/ByteLevelBPE.h"
#include "tokenizer/ProtoReader.h"
#include "tokenizer/Tokenizer.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <queue>
#include <sstream>
#include <unordered_map>

using genc::runtime::Error;

namespace genc::tokenizer {
namespace {

/// U+2581 LOWER ONE EIGHTH BLOCK, which stands for a space inside pieces.
constexpr std::string_view kSpaceSymbol = "\xe2\x96\x81";
/// U+FFFD REPLACEMENT CHARACTER, for malformed UTF-8.
constexpr std::string_view kReplacementChar = "\xef\xbf\xbd";
/// What an unknown piece decodes to unless the model says otherwise: " ⁇ ".
constexpr std::string_view kDefaultUnkSurface = " \xe2\x81\x87 ";
/// Score below the lowest piece's that a UNIGRAM unknown character gets.
constexpr float kUnkPenalty = 10.0f;

// ModelProto.SentencePiece.Type
enum PieceType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// TrainerSpec.ModelType
enum ModelType : int32_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

//===----------------------------------------------------------------------===//
// UTF-8, as SentencePiece reads it
//===----------------------------------------------------------------------===//

/// The length a lead byte announces (1 for a stray continuation byte); the
/// caller clips it to the bytes left.
size_t oneCharLen(char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[static_cast<uint8_t>(lead) >> 4];
}

bool isTrail(char byte) { return (static_cast<uint8_t>(byte) & 0xc0) == 0x80; }

bool isValidCodepoint(uint32_t c) { return c < 0xd800 || (c >= 0xe000 && c <= 0x10ffff); }

/// Decodes the first character of `s` (not empty): true and its length when
/// it is well-formed (shortest form, no surrogates, at most U+10FFFF); false
/// and 1 when it is not.
bool decodeUtf8(std::string_view s, size_t &length) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t lead = byte(0);
  length = 1;
  if (lead < 0x80)
    return true;
  if (s.size() >= 2 && (lead & 0xe0) == 0xc0) {
    uint32_t c = (uint32_t(lead & 0x1f) << 6) | (byte(1) & 0x3f);
    if (isTrail(s[1]) && c >= 0x80 && isValidCodepoint(c)) {
      length = 2;
      return true;
    }
  } else if (s.size() >= 3 && (lead & 0xf0) == 0xe0) {
    uint32_t c = (uint32_t(lead & 0x0f) << 12) | (uint32_t(byte(1) & 0x3f) << 6) | (byte(2) & 0x3f);
    if (isTrail(s[1]) && isTrail(s[2]) && c >= 0x800 && isValidCodepoint(c)) {
      length = 3;
      return true;
    }
  } else if (s.size() >= 4 && (lead & 0xf8) == 0xf0) {
    uint32_t c = (uint32_t(lead & 0x07) << 18) | (uint32_t(byte(1) & 0x3f) << 12) |
                 (uint32_t(byte(2) & 0x3f) << 6) | (byte(3) & 0x3f);
    if (isTrail(s[1]) && isTrail(s[2]) && isTrail(s[3]) && c >= 0x10000 && isValidCodepoint(c)) {
      length = 4;
      return true;
    }
  }
  return false;
}

/// "<0x41>" → 0x41; -1 for anything else (the reference accepts exactly
/// the 256 spellings printf("<0x%02X>") gives).
int pieceToByte(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
    return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  int high = hex(piece[3]), low = hex(piece[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

//===----------------------------------------------------------------------===//
// The model file
//===----------------------------------------------------------------------===//

struct NormalizerSpec {
  std::string name;
  std::string precompiledCharsmap;
  bool addDummyPrefix = true;
  bool removeExtraWhitespaces = true;
  bool escapeWhitespaces = true;
};

struct Piece {
  std::string text;
  float score = 0;
  int32_t type = kNormal;
};

/// The fields of ModelProto that encoding and decoding use; proto2 defaults
/// where a field is absent.
struct ModelFile {
  std::vector<Piece> pieces;
  int32_t modelType = kUnigram;
  bool byteFallback = false;
  bool treatWhitespaceAsSuffix = false;
  std::string unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>";
  std::optional<std::string> unkSurface;
  NormalizerSpec normalizer;
  std::optional<NormalizerSpec> denormalizer;
};

Piece readPiece(ProtoReader reader) {
  Piece piece;
  ProtoReader::Field field;
  while (reader.next(field)) {
    switch (field.number) {
    case 1:
      piece.text = reader.asBytes(field, "piece");
      break;
    case 2:
      piece.score = reader.asFloat(field, "score");
      break;
    case 3:
      piece.type = reader.asInt32(field, "type");
      if (piece.type < kNormal || piece.type > kByte)
        reader.fail("piece type " + std::to_string(piece.type) + " is not one of 1-6",
                    field.offset);
      break;
    default:
      break;
    }
  }
  return piece;
}

void readTrainerSpec(ProtoReader reader, ModelFile &model) {
  ProtoReader::Field field;
  // An empty *_piece means the default, as in the reference.
  auto pieceName = [&](std::string &out, const char *name) {
    std::string_view value = reader.asBytes(field, name);
    if (!value.empty())
      out = value;
  };
  while (reader.next(field)) {
    switch (field.number) {
    case 3:
      model.modelType = reader.asInt32(field, "model_type");
      break;
    case 24:
      model.treatWhitespaceAsSuffix = reader.asBool(field, "treat_whitespace_as_suffix");
      break;
    case 35:
      model.byteFallback = reader.asBool(field, "byte_fallback");
      break;
    case 44:
      model.unkSurface = std::string(reader.asBytes(field, "unk_surface"));
      break;
    case 45:
      pieceName(model.unkPiece, "unk_piece");
      break;
    case 46:
      pieceName(model.bosPiece, "bos_piece");
      break;
    case 47:
      pieceName(model.eosPiece, "eos_piece");
      break;
    case 48:
      pieceName(model.padPiece, "pad_piece");
      break;
    default: // vocab_size, unk_id, ...: training parameters, or implied by the pieces.
      break;
    }
  }
}

NormalizerSpec readNormalizerSpec(ProtoReader reader) {
  NormalizerSpec spec;
  ProtoReader::Field field;
  while (reader.next(field)) {
    switch (field.number) {
    case 1:
      spec.name = reader.asBytes(field, "name");
      break;
    case 2:
      spec.precompiledCharsmap = reader.asBytes(field, "precompiled_charsmap");
      break;
    case 3:
      spec.addDummyPrefix = reader.asBool(field, "add_dummy_prefix");
      break;
    case 4:
      spec.removeExtraWhitespaces = reader.asBool(field, "remove_extra_whitespaces");
      break;
    case 5:
      spec.escapeWhitespaces = reader.asBool(field, "escape_whitespaces");
      break;
    default: // normalization_rule_tsv: compiled into the charsmap already.
      break;
    }
  }
  return spec;
}

ModelFile readModelFile(std::string_view bytes, const std::string &source) {
  ModelFile model;
  ProtoReader reader(bytes, source, "ModelProto");
  ProtoReader::Field field;
  while (reader.next(field)) {
    switch (field.number) {
    case 1:
      model.pieces.push_back(readPiece(reader.nested(field, "ModelProto.pieces")));
      break;
    case 2:
      readTrainerSpec(reader.nested(field, "ModelProto.trainer_spec"), model);
      break;
    case 3:
      model.normalizer = readNormalizerSpec(reader.nested(field, "ModelProto.normalizer_spec"));
      break;
    case 5:
      model.denormalizer =
          readNormalizerSpec(reader.nested(field, "ModelProto.denormalizer_spec"));
      break;
    default: // self_test_data, extensions
      break;
    }
  }
  return model;
}

//===----------------------------------------------------------------------===//
// A byte trie over pieces
//===----------------------------------------------------------------------===//

class PieceTrie {
public:
  void insert(std::string_view key, int32_t value) {
    uint32_t node = 0;
    for (char c : key) {
      auto &children = nodes[node].children;
      uint8_t byte = static_cast<uint8_t>(c);
      auto it = std::lower_bound(children.begin(), children.end(), byte,
                                 [](const auto &child, uint8_t b) { return child.first < b; });
      if (it != children.end() && it->first == byte) {
        node = it->second;
      } else {
        uint32_t created = static_cast<uint32_t>(nodes.size());
        children.insert(it, {byte, created});
        nodes.emplace_back(); // invalidates `children`
        node = created;
      }
    }
    nodes[node].value = value;
  }

  bool empty() const { return nodes.size() == 1 && nodes[0].value < 0; }

  /// Calls f(length, value) for every key that is a prefix of `text`,
  /// shortest first.
  template <typename F> void forEachPrefix(std::string_view text, F &&f) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const auto &children = nodes[node].children;
      uint8_t byte = static_cast<uint8_t>(text[i]);
      auto it = std::lower_bound(children.begin(), children.end(), byte,
                                 [](const auto &child, uint8_t b) { return child.first < b; });
      if (it == children.end() || it->first != byte)
        return;
      node = it->second;
      if (nodes[node].value >= 0)
        f(i + 1, nodes[node].value);
    }
  }

  /// The length of the longest key that is a prefix of `text`; 0 if none.
  size_t longestPrefix(std::string_view text) const {
    size_t longest = 0;
    forEachPrefix(text, [&](size_t length, int32_t) { longest = length; });
    return longest;
  }

private:
  struct Node {
    std::vector<std::pair<uint8_t, uint32_t>> children; // sorted by byte
    int32_t value = -1;
  };
  std::vector<Node> nodes{1};
};

//===----------------------------------------------------------------------===//
// precompiled_charsmap: a darts-clone double array + NUL-terminated strings
//===----------------------------------------------------------------------===//
//
// Layout: <uint32 LE: trie size in bytes><trie: uint32 LE units><replacement
// strings, each ending in NUL>. A unit packs (darts-clone's DoubleArrayUnit):
// bits 0-7 the label, bit 8 "has a leaf", bit 9 scales the offset by 256,
// bits 10-31 the offset; a leaf unit holds its value in bits 0-30 (bit 31
// set, so no label matches it). From node p, byte b leads to
// q = p ^ offset(p) ^ b when label(q) == b; if q has a leaf, the unit at
// q ^ offset(q) holds the value: the offset of the replacement string.

class CharsMap {
public:
  CharsMap(std::string_view blob, std::string source) : source(std::move(source)) {
    if (blob.size() <= 4)
      corrupt("shorter than its header");
    uint32_t trieSize = 0;
    for (int i = 3; i >= 0; --i)
      trieSize = (trieSize << 8) | static_cast<uint8_t>(blob[i]);
    blob.remove_prefix(4);
    if (trieSize > blob.size())
      corrupt("its trie (" + std::to_string(trieSize) + " bytes) runs past the end");
    if (trieSize < 4)
      corrupt("its trie is empty");
    units.resize(trieSize / 4);
    for (size_t i = 0; i < units.size(); ++i) {
      uint32_t unit = 0;
      for (int b = 3; b >= 0; --b)
        unit = (unit << 8) | static_cast<uint8_t>(blob[4 * i + b]);
      units[i] = unit;
    }
    replacements = blob.substr(trieSize);
  }

  /// The longest rule whose source is a prefix of `text`: its length (0 if
  /// none) and, in `replacement`, what it normalizes to.
  size_t match(std::string_view text, std::string_view &replacement) const {
    size_t longest = 0;
    uint32_t value = 0;
    size_t node = offset(units[0]);
    for (size_t i = 0; i < text.size(); ++i) {
      uint8_t byte = static_cast<uint8_t>(text[i]);
      node ^= byte;
      if (node >= units.size())
        break;
      uint32_t unit = units[node];
      if (label(unit) != byte)
        break;
      node ^= offset(unit);
      if ((unit >> 8) & 1) {
        if (node >= units.size())
          corrupt("a leaf lies outside the trie");
        longest = i + 1;
        value = units[node] & 0x7fffffffu;
      }
    }
    if (longest == 0)
      return 0;
    if (value >= replacements.size())
      corrupt("a rule points past the replacement strings");
    size_t end = replacements.find('\0', value);
    if (end == std::string_view::npos)
      corrupt("a replacement string is not terminated");
    replacement = replacements.substr(value, end - value);
    return longest;
  }

private:
  static uint32_t label(uint32_t unit) { return unit & ((1u << 31) | 0xff); }
  static size_t offset(uint32_t unit) { return size_t(unit >> 10) << ((unit & (1u << 9)) >> 6); }
  [[noreturn]] void corrupt(const std::string &why) const {
    throw Error(source + ": the normalizer's precompiled_charsmap is corrupt: " + why);
  }

  std::vector<uint32_t> units;
  std::string_view replacements; // into the model's NormalizerSpec
  std::string source;
};

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

class Normalizer {
public:
  /// `spec` must outlive the normalizer; `userDefined` (may be null) holds
  /// pieces that pass through unnormalized.
  Normalizer(const NormalizerSpec &spec, bool treatWhitespaceAsSuffix,
             const PieceTrie *userDefined, const std::string &source)
      : spec(spec), treatWhitespaceAsSuffix(treatWhitespaceAsSuffix), userDefined(userDefined) {
    if (!spec.precompiledCharsmap.empty())
      charsmap.emplace(spec.precompiledCharsmap, source);
  }

  std::string normalize(std::string_view input) const {
    std::string out;
    if (input.empty())
      return out;
    if (spec.removeExtraWhitespaces) {
      while (!input.empty()) {
        auto [text, consumed] = normalizePrefix(input);
        if (text != " ")
          break;
        input.remove_prefix(consumed);
      }
      if (input.empty())
        return out;
    }
    out.reserve(input.size() * 3);
    auto addSpace = [&] { out += spec.escapeWhitespaces ? kSpaceSymbol : std::string_view(" "); };
    if (!treatWhitespaceAsSuffix && spec.addDummyPrefix)
      addSpace();

    bool previousIsSpace = spec.removeExtraWhitespaces;
    while (!input.empty()) {
      auto [text, consumed] = normalizePrefix(input);
      while (previousIsSpace && !text.empty() && text.front() == ' ')
        text.remove_prefix(1);
      if (!text.empty()) {
        for (char c : text) {
          if (spec.escapeWhitespaces && c == ' ')
            out += kSpaceSymbol;
          else
            out += c;
        }
        previousIsSpace = text.back() == ' ';
      }
      input.remove_prefix(consumed);
      if (!spec.removeExtraWhitespaces)
        previousIsSpace = false;
    }

    if (spec.removeExtraWhitespaces) {
      std::string_view space = spec.escapeWhitespaces ? kSpaceSymbol : std::string_view(" ");
      while (std::string_view(out).ends_with(space))
        out.resize(out.size() - space.size());
    }
    if (treatWhitespaceAsSuffix && spec.addDummyPrefix)
      addSpace();
    return out;
  }

private:
  /// What the first character(s) of `input` normalize to, and how many
  /// bytes that consumes: a user-defined piece as it is, else the longest
  /// charsmap rule, else one character (malformed UTF-8: U+FFFD for a byte).
  std::pair<std::string_view, size_t> normalizePrefix(std::string_view input) const {
    if (userDefined) {
      if (size_t length = userDefined->longestPrefix(input))
        return {input.substr(0, length), length};
    }
    if (charsmap) {
      std::string_view replacement;
      if (size_t length = charsmap->match(input, replacement))
        return {replacement, length};
    }
    size_t length;
    if (!decodeUtf8(input, length))
      return {kReplacementChar, 1};
    return {input.substr(0, length), length};
  }

  const NormalizerSpec &spec;
  bool treatWhitespaceAsSuffix;
  const PieceTrie *userDefined;
  std::optional<CharsMap> charsmap;
};

//===----------------------------------------------------------------------===//
// The tokenizer
//===----------------------------------------------------------------------===//

/// Pieces of the normalized text and their ids, before unknown pieces are
/// merged or spelled as bytes.
using Segments = std::vector<std::pair<std::string_view, int32_t>>;

class SentencePieceTokenizer final : public Tokenizer {
public:
  SentencePieceTokenizer(const std::string &bytes, const std::string &path)
      : source("SentencePiece model '" + path + "'"), model(readModelFile(bytes, source)) {
    validate();
    normalizer.emplace(model.normalizer, model.treatWhitespaceAsSuffix,
                       userDefined.empty() ? nullptr : &userDefined, source);
    if (model.denormalizer && !model.denormalizer->precompiledCharsmap.empty())
      denormalizer.emplace(*model.denormalizer, false, nullptr, source);
  }

  std::vector<int64_t> encode(const std::string &text) const override {
    std::string normalized = normalizer->normalize(text);
    if (normalized.empty())
      return {};
    Segments segments;
    switch (model.modelType) {
    case kUnigram:
      segments = encodeUnigram(normalized);
      break;
    case kBpe:
      segments = encodeBpe(normalized);
      break;
    case kWord:
      segments = encodeWord(normalized);
      break;
    case kChar:
      segments = encodeChar(normalized);
      break;
    }
    std::vector<int64_t> ids;
    ids.reserve(segments.size());
    bool previousIsUnknown = false;
    for (auto [piece, id] : segments) {
      bool unknown = type(id) == kUnknown;
      if (unknown && model.byteFallback) {
        for (char byte : piece)
          ids.push_back(byteIds[static_cast<uint8_t>(byte)]);
      } else if (!(unknown && previousIsUnknown)) {
        // A run of unknown pieces is one unknown token.
        ids.push_back(id);
      }
      previousIsUnknown = unknown;
    }
    return ids;
  }

  std::string decode(std::span<const int64_t> ids) const override {
    std::string text;
    std::string bytes; // a run of byte pieces, assembled into characters
    auto flushBytes = [&] {
      for (size_t offset = 0; offset < bytes.size();) {
        size_t length;
        if (decodeUtf8(std::string_view(bytes).substr(offset), length)) {
          text.append(bytes, offset, length);
        } else {
          text += kReplacementChar;
        }
        offset += length;
      }
      bytes.clear();
    };
    // The reference strips the space symbol that starts the first piece
    // that produces text (the dummy prefix); with remove_extra_whitespaces,
    // every piece's until one produces text.
    bool atStart = true, strippedPrefix = false;
    for (int64_t token : ids) {
      if (token < 0 || token >= int64_t(model.pieces.size()))
        continue; // beyond the vocabulary, e.g. a model's padded logits
      const std::string &piece = model.pieces[token].text;
      int32_t id = pieceToId(piece);
      int32_t kind = type(id);
      if (kind == kByte) {
        bytes += static_cast<char>(pieceToByte(piece));
        continue;
      }
      flushBytes();
      if (strippedPrefix || !text.empty())
        atStart = false;
      strippedPrefix = false;
      if (kind == kControl)
        continue;
      if (kind == kUnknown) {
        text += model.unkSurface ? std::string_view(*model.unkSurface) : kDefaultUnkSurface;
        continue;
      }
      std::string_view rest = piece;
      if (atStart && (model.normalizer.addDummyPrefix || model.normalizer.removeExtraWhitespaces) &&
          rest.starts_with(kSpaceSymbol)) {
        rest.remove_prefix(kSpaceSymbol.size());
        strippedPrefix = !model.normalizer.removeExtraWhitespaces;
      }
      for (size_t at; (at = rest.find(kSpaceSymbol)) != std::string_view::npos;) {
        text.append(rest.substr(0, at));
        text += ' ';
        rest.remove_prefix(at + kSpaceSymbol.size());
      }
      text.append(rest);
    }
    flushBytes();
    if (denormalizer)
      text = denormalizer->normalize(text);
    return text;
  }

  int64_t vocabSize() const override { return int64_t(model.pieces.size()); }
  int64_t bosId() const override { return controlId(model.bosPiece); }
  int64_t eosId() const override { return controlId(model.eosPiece); }

private:
  int32_t type(int32_t id) const { return model.pieces[id].type; }

  /// The reference's PieceToId: reserved pieces (unknown, control, byte)
  /// first, then the others; unknown text is the unk id.
  int32_t pieceToId(std::string_view piece) const {
    if (auto it = reserved.find(piece); it != reserved.end())
      return it->second;
    if (auto it = pieces.find(piece); it != pieces.end())
      return it->second;
    return unkId;
  }

  int64_t controlId(const std::string &piece) const {
    int32_t id = pieceToId(piece);
    return type(id) == kControl ? id : -1;
  }

  [[noreturn]] void invalid(const std::string &why) const { throw Error(source + ": " + why); }

  /// The checks the reference makes when it loads a model.
  void validate() {
    if (model.modelType < kUnigram || model.modelType > kChar)
      invalid("model_type " + std::to_string(model.modelType) +
              " is none of UNIGRAM (1), BPE (2), WORD (3), CHAR (4)");
    if (model.pieces.empty())
      invalid("the model has no pieces");
    if (model.pieces.size() > size_t(INT32_MAX))
      invalid("too many pieces");
    std::array<bool, 256> byteFound{};
    byteIds.fill(-1);
    for (size_t i = 0; i < model.pieces.size(); ++i) {
      const Piece &piece = model.pieces[i];
      int32_t id = int32_t(i);
      if (piece.text.empty())
        invalid("piece " + std::to_string(i) + " is empty");
      bool normal = piece.type == kNormal || piece.type == kUserDefined || piece.type == kUnused;
      if (!(normal ? pieces : reserved).emplace(piece.text, id).second)
        invalid("piece '" + piece.text + "' is defined twice");
      if (piece.type == kUserDefined)
        userDefined.insert(piece.text, id);
      if (piece.type == kUnknown) {
        if (unkId >= 0)
          invalid("more than one unknown piece");
        unkId = id;
      }
      if (piece.type == kByte) {
        if (!model.byteFallback)
          invalid("byte piece '" + piece.text + "' in a model without byte_fallback");
        int byte = pieceToByte(piece.text);
        if (byte < 0)
          invalid("byte piece '" + piece.text + "' is not of the form <0xXX>");
        byteFound[byte] = true;
        byteIds[byte] = id;
      }
      if (piece.type == kNormal) {
        minScore = std::min(minScore, piece.score);
        maxScore = std::max(maxScore, piece.score);
      }
      if (model.modelType == kUnigram && normal)
        vocabulary.insert(piece.text, id);
    }
    if (unkId < 0)
      invalid("the model has no unknown piece");
    if (model.byteFallback && std::count(byteFound.begin(), byteFound.end(), false) > 0)
      invalid("byte_fallback is set but the model lacks some of the 256 byte pieces");
    if (model.modelType == kUnigram && vocabulary.empty())
      invalid("the UNIGRAM model has no normal pieces");
  }

  /// One character, or the longest user-defined piece, at the start of `text`.
  size_t firstSymbol(std::string_view text, bool &userDefinedPiece) const {
    size_t length = userDefined.longestPrefix(text);
    userDefinedPiece = length > 0;
    return length ? length : std::min(oneCharLen(text.front()), text.size());
  }

  /// Viterbi over every vocabulary piece that occurs in the text, maximizing
  /// the sum of scores; a character no single-character piece covers is
  /// unknown, scored below every piece. The arithmetic (float sums, a
  /// double candidate compared to the float best, the first best kept on
  /// ties, user-defined pieces scored length × the highest score − 0.1)
  /// follows the reference's so that ties resolve the same way.
  Segments encodeUnigram(std::string_view text) const {
    struct Best {
      int32_t id = -1;
      float score = 0;
      int64_t start = -1;
    };
    const size_t size = text.size();
    const float unkScore = minScore - kUnkPenalty;
    std::vector<Best> best(size + 1);
    for (size_t start = 0; start < size;) {
      const float scoreHere = best[start].score;
      const size_t charLength = std::min(oneCharLen(text[start]), size - start);
      bool coversChar = false;
      vocabulary.forEachPrefix(text.substr(start), [&](size_t length, int32_t id) {
        int32_t kind = type(id);
        if (kind == kUnused)
          return;
        double score = kind == kUserDefined ? double(float(length) * maxScore) - 0.1
                                            : double(model.pieces[id].score);
        double candidate = score + double(scoreHere);
        Best &target = best[start + length];
        if (target.start == -1 || candidate > double(target.score)) {
          target.score = float(candidate);
          target.start = int64_t(start);
          target.id = id;
        }
        if (length == charLength)
          coversChar = true;
      });
      if (!coversChar) {
        Best &target = best[start + charLength];
        float candidate = unkScore + scoreHere;
        if (target.start == -1 || candidate > target.score) {
          target.score = candidate;
          target.start = int64_t(start);
          target.id = unkId;
        }
      }
      start += charLength;
    }
    Segments segments;
    for (size_t end = size; end > 0;) {
      const Best &node = best[end];
      if (node.start < 0 || size_t(node.start) >= end)
        invalid("internal error: no UNIGRAM path through the text");
      segments.emplace_back(text.substr(node.start, end - node.start), node.id);
      end = size_t(node.start);
    }
    std::reverse(segments.begin(), segments.end());
    return segments;
  }

  /// Starts from characters (user-defined pieces whole, never merged) and
  /// repeatedly merges the adjacent pair whose concatenation is a piece
  /// with the highest score, the leftmost on ties. A merge into an UNUSED
  /// piece is undone at the end: it is split back into what it merged.
  Segments encodeBpe(std::string_view text) const {
    struct Symbol {
      int32_t prev, next;
      bool frozen;
      size_t begin, size;
    };
    struct Pair {
      float score;
      int32_t left, right;
      size_t size;
    };
    auto lower = [](const Pair &a, const Pair &b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Pair, std::vector<Pair>, decltype(lower)> agenda(lower);
    std::vector<Symbol> symbols;
    std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unmerge;

    for (size_t at = 0; at < text.size();) {
      bool frozen;
      size_t length = firstSymbol(text.substr(at), frozen);
      int32_t index = int32_t(symbols.size());
      int32_t next = at + length < text.size() ? index + 1 : -1;
      symbols.push_back({index - 1, next, frozen, at, length});
      at += length;
    }
    auto piece = [&](const Symbol &s) { return text.substr(s.begin, s.size); };
    auto consider = [&](int32_t left, int32_t right) {
      if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen)
        return;
      std::string_view merged = text.substr(symbols[left].begin,
                                            symbols[left].size + symbols[right].size);
      auto it = pieces.find(merged);
      if (it == pieces.end())
        return;
      agenda.push({model.pieces[it->second].score, left, right, merged.size()});
      if (type(it->second) == kUnused)
        unmerge[merged] = {piece(symbols[left]), piece(symbols[right])};
    };
    for (size_t i = 1; i < symbols.size(); ++i)
      consider(int32_t(i - 1), int32_t(i));

    while (!agenda.empty()) {
      Pair top = agenda.top();
      agenda.pop();
      Symbol &left = symbols[top.left], &right = symbols[top.right];
      // Stale: one side was merged into something else since.
      if (left.size == 0 || right.size == 0 || left.size + right.size != top.size)
        continue;
      left.size += right.size;
      left.next = right.next;
      if (right.next >= 0)
        symbols[right.next].prev = top.left;
      right.size = 0;
      consider(left.prev, top.left);
      consider(top.left, left.next);
    }

    Segments segments;
    std::function<void(std::string_view)> emit = [&](std::string_view w) {
      int32_t id = pieceToId(w);
      if (type(id) == kUnused) {
        if (auto it = unmerge.find(w); it != unmerge.end()) {
          emit(it->second.first);
          emit(it->second.second);
          return;
        }
      }
      segments.emplace_back(w, id);
    };
    for (int32_t i = 0; i >= 0 && i < int32_t(symbols.size()); i = symbols[i].next)
      emit(piece(symbols[i]));
    return segments;
  }

  /// Words start at the start and at each space symbol.
  Segments encodeWord(std::string_view text) const {
    Segments segments;
    size_t wordBegin = 0;
    for (size_t at = 0; at < text.size();) {
      size_t length = std::min(oneCharLen(text[at]), text.size() - at);
      if (at > 0 && text.substr(at, length) == kSpaceSymbol) {
        std::string_view word = text.substr(wordBegin, at - wordBegin);
        segments.emplace_back(word, pieceToId(word));
        wordBegin = at;
      }
      at += length;
    }
    std::string_view word = text.substr(wordBegin);
    segments.emplace_back(word, pieceToId(word));
    return segments;
  }

  Segments encodeChar(std::string_view text) const {
    Segments segments;
    for (size_t at = 0; at < text.size();) {
      bool frozen;
      size_t length = firstSymbol(text.substr(at), frozen);
      std::string_view w = text.substr(at, length);
      segments.emplace_back(w, pieceToId(w));
      at += length;
    }
    return segments;
  }

  std::string source; // "SentencePiece model '<path>'", for errors
  ModelFile model;
  std::unordered_map<std::string_view, int32_t> pieces;   // normal, user-defined, unused
  std::unordered_map<std::string_view, int32_t> reserved; // unknown, control, byte
  PieceTrie userDefined;
  PieceTrie vocabulary; // UNIGRAM: normal, user-defined, unused
  std::array<int32_t, 256> byteIds{};
  int32_t unkId = -1;
  // The reference's starting values (FLT_MIN, not -FLT_MAX), kept for
  // user-defined pieces' scores.
  float minScore = FLT_MAX, maxScore = FLT_MIN;
  std::optional<Normalizer> normalizer, denormalizer;
};

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw Error("the tokenizer '" + path +
                "' is a directory; give its .model or tokenizer.json file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("cannot read the tokenizer '" + path + "'");
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad())
    throw Error("cannot read the tokenizer '" + path + "'");
  std::string bytes = std::move(contents).str();
  if (bytes.empty())
    throw Error("the tokenizer '" + path + "' is empty");
  // A Hugging Face tokenizer.json starts with '{'; a SentencePiece model is
  // a protobuf, whose first byte is a field tag (0x0a, not white space to
  // skip).
  if (bytes.front() == '{')
    return loadByteLevelBpe(bytes, path);
  return std::make_unique<SentencePieceTokenizer>(bytes, path);
}

} // namespace genc::tokenizer
