//===- ByteLevelBPE.cpp - Hugging Face tokenizer.json, byte-level BPE -----===//
//
// Reads the GPT-2 style subset of Hugging Face's tokenizer.json and encodes
// and decodes as the tokenizers library does:
//   - model BPE (vocab, merges as "a b" strings or [a, b] pairs), with every
//     one of the 256 byte symbols in the vocabulary;
//   - pre_tokenizer ByteLevel: add_prefix_space, use_regex with GPT-2's
//     split pattern, hand-written below over code points;
//   - decoder ByteLevel; no normalizer;
//   - added_tokens matched verbatim in the text before pre-tokenization,
//     leftmost-longest, those with "normalized": false first;
//   - post_processor null, ByteLevel, TemplateProcessing or
//     RobertaProcessing, read only for the BOS token.
// Anything else (other models, normalizers, pre-tokenizers or decoders;
// dropout, ignore_merges, byte_fallback, subword prefixes or suffixes;
// lstrip/rstrip/single_word added tokens; truncation, padding; unknown
// fields) is an error naming the file and the field, never a silently
// different tokenization. Malformed UTF-8 in the text becomes U+FFFD
// first, as decoding bytes lossily (Rust's from_utf8_lossy) does.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/ByteLevelBPE.h"
#include "tokenizer/Utf8.h"
#include "Error.h"
#include "tokenizer/Json.h"
#include "tokenizer/UnicodeClasses.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <mutex>
#include <queue>
#include <unordered_map>

using genc::runtime::Error;

namespace genc::tokenizer {
namespace {

using json::Array;
using json::Value;

//===----------------------------------------------------------------------===//
// UTF-8
//===----------------------------------------------------------------------===//

/// U+FFFD REPLACEMENT CHARACTER.
constexpr uint32_t kReplacement = 0xfffd;

struct Utf8Char {
  uint32_t code; // kReplacement when malformed
  size_t length; // bytes taken: the maximal ill-formed subpart when malformed
  bool valid;
};

/// The character at s[pos] (pos < s.size()). A malformed sequence is
/// replaced per maximal subpart (Unicode 3.9, WHATWG, Rust's
/// from_utf8_lossy, JavaScript's TextDecoder): the longest prefix of a
/// well-formed sequence, or one byte.
Utf8Char nextChar(std::string_view s, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[pos + i]); };
  const size_t left = s.size() - pos;
  uint8_t lead = byte(0);
  if (lead < 0x80)
    return {lead, 1, true};
  size_t length;
  uint8_t low = 0x80, high = 0xbf; // the second byte's range (RFC 3629)
  uint32_t code;
  if (lead >= 0xc2 && lead <= 0xdf)
    length = 2, code = lead & 0x1f;
  else if (lead >= 0xe0 && lead <= 0xef)
    length = 3, code = lead & 0x0f, low = lead == 0xe0 ? 0xa0 : 0x80,
    high = lead == 0xed ? 0x9f : 0xbf;
  else if (lead >= 0xf0 && lead <= 0xf4)
    length = 4, code = lead & 0x07, low = lead == 0xf0 ? 0x90 : 0x80,
    high = lead == 0xf4 ? 0x8f : 0xbf;
  else
    return {kReplacement, 1, false};
  size_t i = 1;
  for (; i < length && i < left; ++i) {
    uint8_t b = byte(i);
    if (i == 1 ? (b < low || b > high) : (b & 0xc0) != 0x80)
      break;
    code = (code << 6) | (b & 0x3f);
  }
  if (i < length)
    return {kReplacement, i, false};
  return {code, length, true};
}

/// `bytes` with each malformed sequence replaced by U+FFFD.
std::string toValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    Utf8Char c = nextChar(bytes, pos);
    if (c.valid)
      out.append(bytes.substr(pos, c.length));
    else
      appendUtf8(out, kReplacement);
    pos += c.length;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// GPT-2's byte-to-unicode map
//===----------------------------------------------------------------------===//

/// Bytes that are printable Latin-1 characters stand for themselves; the
/// others (controls, space, 0x7f-0xa0, 0xad) for U+0100 onwards, in byte
/// order, so that every byte is a visible character in the vocabulary.
struct ByteAlphabet {
  std::array<uint32_t, 256> codeOfByte{};
  /// Indexed by code point below kCodeLimit: the byte, or -1.
  static constexpr uint32_t kCodeLimit = 0x100 + 68;
  std::array<int16_t, kCodeLimit> byteOfCode{};

  ByteAlphabet() {
    byteOfCode.fill(-1);
    uint32_t next = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      codeOfByte[b] = printable ? b : next++;
      byteOfCode[codeOfByte[b]] = static_cast<int16_t>(b);
    }
  }
  int byteOf(uint32_t code) const { return code < kCodeLimit ? byteOfCode[code] : -1; }
};

const ByteAlphabet &byteAlphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

/// The bytes a token decodes to, as the reference's ByteLevel decoder
/// gives them: a token whose characters all stand for bytes is those
/// bytes; any other (an added token such as "<|im start|>" with a space)
/// is its own UTF-8.
std::string bytesOfToken(std::string_view token) {
  const ByteAlphabet &alphabet = byteAlphabet();
  std::string bytes;
  for (size_t pos = 0; pos < token.size();) {
    Utf8Char c = nextChar(token, pos);
    int byte = alphabet.byteOf(c.code);
    if (byte < 0)
      return std::string(token);
    bytes += static_cast<char>(byte);
    pos += c.length;
  }
  return bytes;
}

//===----------------------------------------------------------------------===//
// GPT-2's split pattern
//===----------------------------------------------------------------------===//

/// Calls `emit` with the pieces of `text` (valid UTF-8) that the regex
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// finds, scanning as a backtracking engine does: at each position the
/// first alternative that matches, each quantifier greedy. Every code
/// point is a letter, a number, white space or other, so the matches cover
/// the text.
template <typename Emit> void splitLikeGpt2(std::string_view text, Emit emit) {
  std::vector<uint32_t> codes;
  std::vector<CharClass> classes;
  std::vector<size_t> offsets; // byte offset of each code point, then the end
  for (size_t pos = 0; pos < text.size();) {
    Utf8Char c = nextChar(text, pos);
    codes.push_back(c.code);
    classes.push_back(classifyCodePoint(c.code));
    offsets.push_back(pos);
    pos += c.length;
  }
  offsets.push_back(text.size());
  const size_t n = codes.size();
  auto runOf = [&](size_t from, CharClass kind) {
    while (from < n && classes[from] == kind)
      ++from;
    return from;
  };
  auto matchAt = [&](size_t i) -> size_t {
    auto code = [&](size_t k) { return k < n ? codes[k] : 0; };
    if (code(i) == '\'') {
      uint32_t a = code(i + 1), b = code(i + 2);
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return i + 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return i + 3;
    }
    // ` ?X+` for letters, numbers and other: the optional space is U+0020.
    size_t start = codes[i] == ' ' && i + 1 < n ? i + 1 : i;
    if (classes[start] != CharClass::Space)
      return runOf(start, classes[start]);
    // White space: \s+(?!\S) backs off one so that a run before a word
    // leaves its last space to that word (" ?\p{L}+"); a lone one before
    // a non-space falls to \s+.
    size_t end = runOf(i, CharClass::Space);
    if (end == n || end - i == 1)
      return end;
    return end - 1;
  };
  for (size_t i = 0; i < n;) {
    size_t end = matchAt(i);
    emit(text.substr(offsets[i], offsets[end] - offsets[i]));
    i = end;
  }
}

//===----------------------------------------------------------------------===//
// Reading the file
//===----------------------------------------------------------------------===//

/// Field access with errors that name the file and the field.
class Reader {
public:
  explicit Reader(std::string source) : source(std::move(source)) {}

  [[noreturn]] void fail(const std::string &what) const { throw Error(source + ": " + what); }

  void expectKind(const Value &value, Value::Kind kind, const std::string &field) const {
    if (value.kind() != kind)
      fail(field + " is " + json::kindName(value.kind()) + ", expected " + json::kindName(kind));
  }

  /// Refuses members other than `known`: a field genc does not read could
  /// change the tokenization.
  void onlyKnownFields(const Value &object, const std::string &field,
                       std::initializer_list<std::string_view> known) const {
    for (const auto &member : object.asObject())
      if (std::find(known.begin(), known.end(), member.first) == known.end())
        fail("unsupported field " + (field.empty() ? "" : field + ".") + member.first);
  }

  bool optionalBool(const Value &object, std::string_view key, const std::string &field,
                    bool defaultValue) const {
    const Value *value = object.find(key);
    if (!value || value->isNull())
      return defaultValue;
    expectKind(*value, Value::Kind::Bool, field + "." + std::string(key));
    return value->asBool();
  }

  /// Ids index tables the tokenizer allocates: a hostile file must not
  /// make it allocate gigabytes (the largest real vocabularies hold a few
  /// hundred thousand tokens).
  static constexpr int32_t kMaxTokenId = 1 << 24;

  int32_t tokenId(const Value &value, const std::string &field) const {
    expectKind(value, Value::Kind::Number, field);
    double id = value.asNumber();
    if (id < 0 || id >= kMaxTokenId || std::floor(id) != id)
      fail(field + " is " + std::to_string(id) + ", not a token id (0 to " +
           std::to_string(kMaxTokenId - 1) + ")");
    return static_cast<int32_t>(id);
  }

  /// The string "type" of a component object.
  std::string typeOf(const Value &component, const std::string &field) const {
    expectKind(component, Value::Kind::Object, field);
    const Value *type = component.find("type");
    if (!type)
      fail(field + " has no \"type\"");
    expectKind(*type, Value::Kind::String, field + ".type");
    return type->asString();
  }

  std::string source;
};

class ByteLevelBpeTokenizer final : public Tokenizer {
public:
  ByteLevelBpeTokenizer(const Value &root, const std::string &source);

  std::vector<int64_t> encode(const std::string &text) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  int64_t vocabSize() const override { return static_cast<int64_t>(bytesOfId.size()); }
  int64_t bosId() const override { return bos; }
  int64_t eosId() const override { return eos; }

private:
  struct AddedToken {
    std::string content;
    int32_t id;
  };
  struct Merge {
    uint32_t rank;
    int32_t result;
  };
  /// A piece of text and the added token it is, or -1.
  struct Segment {
    std::string_view text;
    int32_t addedId;
  };

  void readModel(const Value &model, const Reader &reader);
  void readAddedTokens(const Value &tokens, const Reader &reader);
  void readPreTokenizer(const Value &preTokenizer, const Reader &reader);
  void readDecoder(const Value &decoder, const Reader &reader);
  void chooseBosAndEos(const Value *postProcessor, const Reader &reader);

  /// Splits the text segments of `segments` at `tokens`' occurrences.
  static std::vector<Segment> splitAtAddedTokens(const std::vector<Segment> &segments,
                                                 const std::vector<AddedToken> &tokens);
  void encodeSection(std::string_view section, std::vector<int64_t> &ids) const;
  void encodeWord(std::string_view word, std::vector<int64_t> &ids) const;
  std::vector<int32_t> mergeWord(std::string_view word) const;

  std::unordered_map<std::string, int32_t> vocab; // byte-level symbols -> id
  std::array<int32_t, 256> idOfByte{};
  std::unordered_map<uint64_t, Merge> merges; // (left id << 32 | right id)
  // Added tokens matched before and after normalization; genc has no
  // normalizer, but the order decides overlaps, as in the reference.
  std::vector<AddedToken> unnormalizedTokens, normalizedTokens;
  std::unordered_map<std::string, int32_t> addedIds; // special, by content
  /// Each id's bytes when decoded; ids with no token are empty.
  std::vector<std::string> bytesOfId;
  std::vector<bool> idExists;
  bool addPrefixSpace = false;
  bool useRegex = true;
  int64_t bos = -1, eos = -1;

  // Words repeat: their merged ids are kept (up to a bound).
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
  static constexpr size_t kCacheLimit = 1 << 16;
  static constexpr size_t kLongestCachedWord = 64;
};

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(const Value &root, const std::string &path) {
  Reader reader("tokenizer.json '" + path + "'");
  reader.expectKind(root, Value::Kind::Object, "the top level");
  reader.onlyKnownFields(root, "",
                         {"version", "truncation", "padding", "added_tokens", "normalizer",
                          "pre_tokenizer", "post_processor", "decoder", "model"});
  for (const char *field : {"truncation", "padding", "normalizer"}) {
    const Value *value = root.find(field);
    if (value && !value->isNull()) {
      std::string what = std::string("unsupported ") + field;
      if (value->isObject() && value->find("type") && value->find("type")->isString())
        what += " \"" + value->find("type")->asString() + "\"";
      reader.fail(what + " (genc reads tokenizer.json files with \"" + field + "\": null)");
    }
  }
  const Value *model = root.find("model");
  if (!model)
    reader.fail("no \"model\"");
  readModel(*model, reader);
  const Value *preTokenizer = root.find("pre_tokenizer");
  if (!preTokenizer || preTokenizer->isNull())
    reader.fail("no pre_tokenizer (genc reads byte-level BPE: pre_tokenizer ByteLevel)");
  readPreTokenizer(*preTokenizer, reader);
  const Value *decoder = root.find("decoder");
  if (!decoder || decoder->isNull())
    reader.fail("no decoder (genc reads byte-level BPE: decoder ByteLevel)");
  readDecoder(*decoder, reader);
  if (const Value *added = root.find("added_tokens"); added && !added->isNull())
    readAddedTokens(*added, reader);
  chooseBosAndEos(root.find("post_processor"), reader);
}

void ByteLevelBpeTokenizer::readModel(const Value &model, const Reader &reader) {
  reader.expectKind(model, Value::Kind::Object, "model");
  // Older files have no "type"; their BPE models have vocab and merges.
  if (model.find("type")) {
    std::string type = reader.typeOf(model, "model");
    if (type != "BPE")
      reader.fail("unsupported model.type \"" + type + "\" (genc reads byte-level BPE)");
  } else if (!model.find("merges")) {
    reader.fail("unsupported model: no \"type\" and no \"merges\" (genc reads byte-level BPE)");
  }
  reader.onlyKnownFields(model, "model",
                         {"type", "dropout", "unk_token", "continuing_subword_prefix",
                          "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges",
                          "vocab", "merges"});
  if (const Value *dropout = model.find("dropout"); dropout && !dropout->isNull())
    reader.fail("unsupported model.dropout (BPE dropout samples; genc encodes deterministically)");
  for (const char *field : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const Value *value = model.find(field);
    if (value && !value->isNull() && !(value->isString() && value->asString().empty()))
      reader.fail(std::string("unsupported model.") + field + " (genc reads byte-level BPE)");
  }
  for (const char *field : {"byte_fallback", "ignore_merges"})
    if (reader.optionalBool(model, field, "model", false))
      reader.fail(std::string("unsupported model.") + field + ": true");
  // unk_token and fuse_unk never apply: every byte has a symbol (checked
  // below), so no character is unknown.
  if (const Value *unk = model.find("unk_token"); unk && !unk->isNull())
    reader.expectKind(*unk, Value::Kind::String, "model.unk_token");
  reader.optionalBool(model, "fuse_unk", "model", false);

  const Value *vocabValue = model.find("vocab");
  if (!vocabValue)
    reader.fail("no model.vocab");
  reader.expectKind(*vocabValue, Value::Kind::Object, "model.vocab");
  int32_t largestId = -1;
  std::unordered_map<int32_t, const std::string *> tokenOfId;
  for (const auto &[token, idValue] : vocabValue->asObject()) {
    int32_t id = reader.tokenId(idValue, "model.vocab[\"" + token + "\"]");
    if (!tokenOfId.emplace(id, &token).second)
      reader.fail("model.vocab gives id " + std::to_string(id) + " to both \"" + *tokenOfId[id] +
                  "\" and \"" + token + "\"");
    vocab.emplace(token, id);
    largestId = std::max(largestId, id);
  }
  bytesOfId.assign(size_t(largestId) + 1, std::string());
  idExists.assign(size_t(largestId) + 1, false);
  for (const auto &[token, id] : vocab) {
    bytesOfId[id] = bytesOfToken(token);
    idExists[id] = true;
  }
  const ByteAlphabet &alphabet = byteAlphabet();
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    appendUtf8(symbol, alphabet.codeOfByte[b]);
    auto found = vocab.find(symbol);
    if (found == vocab.end())
      reader.fail("model.vocab has no symbol for byte " + std::to_string(b) + " (\"" + symbol +
                  "\"); genc reads byte-level BPE, whose vocabulary has all 256");
    idOfByte[b] = found->second;
  }

  const Value *mergesValue = model.find("merges");
  if (!mergesValue)
    reader.fail("no model.merges");
  reader.expectKind(*mergesValue, Value::Kind::Array, "model.merges");
  const Array &list = mergesValue->asArray();
  for (size_t rank = 0; rank < list.size(); ++rank) {
    const Value &merge = list[rank];
    std::string field = "model.merges[" + std::to_string(rank) + "]";
    std::string left, right;
    if (merge.isString()) {
      // "a b": byte-level symbols never contain a space.
      const std::string &text = merge.asString();
      size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
        reader.fail(field + " \"" + text + "\" is not two symbols separated by one space");
      left = text.substr(0, space), right = text.substr(space + 1);
    } else if (merge.isArray() && merge.asArray().size() == 2 && merge.asArray()[0].isString() &&
               merge.asArray()[1].isString()) {
      left = merge.asArray()[0].asString(), right = merge.asArray()[1].asString();
    } else {
      reader.fail(field + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto idOf = [&](const std::string &symbol) {
      auto found = vocab.find(symbol);
      if (found == vocab.end())
        reader.fail(field + ": \"" + symbol + "\" is not in model.vocab");
      return found->second;
    };
    int32_t leftId = idOf(left), rightId = idOf(right), result = idOf(left + right);
    // A repeated pair takes its last rank, as the reference's map does.
    merges.insert_or_assign((uint64_t(leftId) << 32) | uint32_t(rightId),
                            Merge{static_cast<uint32_t>(rank), result});
  }
}

void ByteLevelBpeTokenizer::readPreTokenizer(const Value &preTokenizer, const Reader &reader) {
  std::string type = reader.typeOf(preTokenizer, "pre_tokenizer");
  if (type != "ByteLevel")
    reader.fail("unsupported pre_tokenizer \"" + type + "\" (genc reads ByteLevel)");
  reader.onlyKnownFields(preTokenizer, "pre_tokenizer",
                         {"type", "add_prefix_space", "trim_offsets", "use_regex"});
  // trim_offsets changes offsets only, which genc does not report.
  addPrefixSpace = reader.optionalBool(preTokenizer, "add_prefix_space", "pre_tokenizer", true);
  useRegex = reader.optionalBool(preTokenizer, "use_regex", "pre_tokenizer", true);
  reader.optionalBool(preTokenizer, "trim_offsets", "pre_tokenizer", true);
}

void ByteLevelBpeTokenizer::readDecoder(const Value &decoder, const Reader &reader) {
  std::string type = reader.typeOf(decoder, "decoder");
  if (type != "ByteLevel")
    reader.fail("unsupported decoder \"" + type + "\" (genc reads ByteLevel)");
  // The ByteLevel decoder ignores these: they are the pre-tokenizer's.
  reader.onlyKnownFields(decoder, "decoder",
                         {"type", "add_prefix_space", "trim_offsets", "use_regex"});
}

void ByteLevelBpeTokenizer::readAddedTokens(const Value &tokens, const Reader &reader) {
  reader.expectKind(tokens, Value::Kind::Array, "added_tokens");
  const Array &list = tokens.asArray();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    const Value &token = list[i];
    reader.expectKind(token, Value::Kind::Object, field);
    reader.onlyKnownFields(
        token, field,
        {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"});
    const Value *id = token.find("id"), *content = token.find("content");
    if (!id || !content)
      reader.fail(field + " needs \"id\" and \"content\"");
    reader.expectKind(*content, Value::Kind::String, field + ".content");
    AddedToken added{content->asString(), reader.tokenId(*id, field + ".id")};
    for (const char *option : {"single_word", "lstrip", "rstrip"})
      if (reader.optionalBool(token, option, field, false))
        reader.fail("unsupported " + field + "." + option + ": true");
    bool special = reader.optionalBool(token, "special", field, false);
    bool normalized = reader.optionalBool(token, "normalized", field, !special);
    if (added.content.empty())
      reader.fail(field + ".content is empty");
    if (added.id >= static_cast<int32_t>(bytesOfId.size())) {
      bytesOfId.resize(size_t(added.id) + 1);
      idExists.resize(size_t(added.id) + 1, false);
    }
    // An added token's content wins over a vocabulary entry with its id.
    bytesOfId[added.id] = bytesOfToken(added.content);
    idExists[added.id] = true;
    if (special)
      addedIds.emplace(added.content, added.id);
    (normalized ? normalizedTokens : unnormalizedTokens).push_back(std::move(added));
  }
  // Longest first: at one position the longest token matches.
  for (auto *list : {&normalizedTokens, &unnormalizedTokens})
    std::sort(list->begin(), list->end(), [](const AddedToken &a, const AddedToken &b) {
      return a.content.size() != b.content.size() ? a.content.size() > b.content.size()
                                                  : a.id < b.id;
    });
}

void ByteLevelBpeTokenizer::chooseBosAndEos(const Value *postProcessor, const Reader &reader) {
  auto specialNamed = [&](std::initializer_list<const char *> names) -> int64_t {
    for (const char *name : names)
      if (auto found = addedIds.find(name); found != addedIds.end())
        return found->second;
    return -1;
  };
  eos = specialNamed({"<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"});
  std::string type = postProcessor && !postProcessor->isNull()
                         ? reader.typeOf(*postProcessor, "post_processor")
                         : "";
  if (type.empty() || type == "ByteLevel") {
    // Hugging Face adds nothing to the text (GPT-2's prompts start without
    // <|endoftext|>), and neither does genc: no BOS.
    bos = -1;
  } else if (type == "TemplateProcessing") {
    // The special token the template puts before the text, if any.
    const Value *single = postProcessor->find("single");
    const Value *tokens = postProcessor->find("special_tokens");
    if (!single || !single->isArray() || !tokens || !tokens->isObject())
      reader.fail("post_processor TemplateProcessing needs \"single\" and \"special_tokens\"");
    const Array &items = single->asArray();
    if (!items.empty() && items.front().find("SpecialToken")) {
      const Value *name = items.front().find("SpecialToken")->find("id");
      const Value *entry = name && name->isString() ? tokens->find(name->asString()) : nullptr;
      const Value *ids = entry ? entry->find("ids") : nullptr;
      if (!ids || !ids->isArray() || ids->asArray().size() != 1)
        reader.fail("post_processor.single starts with a special token that is not one id");
      bos = reader.tokenId(ids->asArray()[0], "post_processor.special_tokens ids");
    }
  } else if (type == "RobertaProcessing") {
    const Value *cls = postProcessor->find("cls");
    if (!cls || !cls->isArray() || cls->asArray().size() != 2)
      reader.fail("post_processor RobertaProcessing needs \"cls\": [token, id]");
    bos = reader.tokenId(cls->asArray()[1], "post_processor.cls");
  } else {
    reader.fail("unsupported post_processor \"" + type +
                "\" (genc reads ByteLevel, TemplateProcessing, RobertaProcessing or null)");
  }
}

//===----------------------------------------------------------------------===//
// Encoding and decoding
//===----------------------------------------------------------------------===//

std::vector<ByteLevelBpeTokenizer::Segment>
ByteLevelBpeTokenizer::splitAtAddedTokens(const std::vector<Segment> &segments,
                                          const std::vector<AddedToken> &tokens) {
  if (tokens.empty())
    return segments;
  std::vector<Segment> out;
  for (const Segment &segment : segments) {
    if (segment.addedId >= 0) {
      out.push_back(segment);
      continue;
    }
    std::string_view text = segment.text;
    size_t plainStart = 0;
    for (size_t pos = 0; pos < text.size();) {
      const AddedToken *match = nullptr;
      for (const AddedToken &token : tokens)
        if (text.compare(pos, token.content.size(), token.content) == 0) {
          match = &token;
          break;
        }
      if (!match) {
        ++pos; // tokens are valid UTF-8, so never match inside a character
        continue;
      }
      if (pos > plainStart)
        out.push_back({text.substr(plainStart, pos - plainStart), -1});
      out.push_back({text.substr(pos, match->content.size()), match->id});
      pos += match->content.size();
      plainStart = pos;
    }
    if (plainStart < text.size())
      out.push_back({text.substr(plainStart), -1});
  }
  return out;
}

std::vector<int64_t> ByteLevelBpeTokenizer::encode(const std::string &input) const {
  const std::string text = toValidUtf8(input);
  std::vector<Segment> segments{{text, -1}};
  segments = splitAtAddedTokens(segments, unnormalizedTokens);
  segments = splitAtAddedTokens(segments, normalizedTokens);
  std::vector<int64_t> ids;
  for (const Segment &segment : segments) {
    if (segment.addedId >= 0)
      ids.push_back(segment.addedId);
    else
      encodeSection(segment.text, ids);
  }
  return ids;
}

void ByteLevelBpeTokenizer::encodeSection(std::string_view section,
                                          std::vector<int64_t> &ids) const {
  if (section.empty())
    return;
  // Each piece between added tokens gets the prefix space, as in the
  // reference.
  std::string prefixed;
  if (addPrefixSpace && section.front() != ' ') {
    prefixed = " " + std::string(section);
    section = prefixed;
  }
  if (!useRegex)
    return encodeWord(section, ids);
  splitLikeGpt2(section, [&](std::string_view word) { encodeWord(word, ids); });
}

void ByteLevelBpeTokenizer::encodeWord(std::string_view word, std::vector<int64_t> &ids) const {
  const bool cacheable = word.size() <= kLongestCachedWord;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (auto found = cache.find(std::string(word)); found != cache.end()) {
      ids.insert(ids.end(), found->second.begin(), found->second.end());
      return;
    }
  }
  std::vector<int32_t> merged = mergeWord(word);
  ids.insert(ids.end(), merged.begin(), merged.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    if (cache.size() >= kCacheLimit)
      cache.clear();
    cache.emplace(std::string(word), std::move(merged));
  }
}

std::vector<int32_t> ByteLevelBpeTokenizer::mergeWord(std::string_view word) const {
  // The word's bytes as a linked list of symbols; the lowest-ranked
  // adjacent pair merges first, the leftmost among equal ranks (a heap of
  // candidate pairs, stale ones skipped), as the reference does.
  struct Symbol {
    int32_t id;
    int32_t prev, next; // -1 at the ends
    bool alive;
  };
  const int32_t n = static_cast<int32_t>(word.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i)
    symbols[i] = {idOfByte[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1, true};
  struct Candidate {
    uint32_t rank;
    int32_t left, right;     // symbol positions
    int32_t leftId, rightId; // their ids when queued
    bool operator>(const Candidate &other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int32_t left) {
    if (left < 0 || symbols[left].next < 0)
      return;
    int32_t right = symbols[left].next;
    auto found = merges.find((uint64_t(symbols[left].id) << 32) | uint32_t(symbols[right].id));
    if (found != merges.end())
      queue.push({found->second.rank, left, right, symbols[left].id, symbols[right].id});
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.left];
    if (!left.alive || left.next != top.right || left.id != top.leftId ||
        symbols[top.right].id != top.rightId)
      continue;
    Symbol &right = symbols[top.right];
    left.id = merges.at((uint64_t(top.leftId) << 32) | uint32_t(top.rightId)).result;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].prev = top.left;
    right.alive = false;
    consider(left.prev);
    consider(top.left);
  }
  std::vector<int32_t> ids;
  for (int32_t i = n ? 0 : -1; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
  return ids;
}

std::string ByteLevelBpeTokenizer::decode(std::span<const int64_t> ids) const {
  std::string bytes;
  for (int64_t id : ids)
    if (id >= 0 && id < static_cast<int64_t>(bytesOfId.size()) && idExists[id])
      bytes += bytesOfId[id];
  return toValidUtf8(bytes);
}

} // namespace

std::unique_ptr<Tokenizer> loadByteLevelBpe(std::string_view json, const std::string &path) {
  Value root = json::parse(json, "tokenizer.json '" + path + "'");
  return std::make_unique<ByteLevelBpeTokenizer>(root, path);
}

} // namespace genc::tokenizer
