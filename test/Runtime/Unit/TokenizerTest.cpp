//===- TokenizerTest.cpp - protobuf reader and SentencePiece models -------===//
//
// The wire-format reader on hand-made bytes, and tiny SentencePiece models
// built here (BPE, UNIGRAM, CHAR; identity normalization and a hand-made
// precompiled_charsmap). Agreement with the reference library on trained
// models is test/Runtime/tokenizer-agreement.test.
//
//===----------------------------------------------------------------------===//

#include "Error.h"
#include "tokenizer/ProtoReader.h"
#include "tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

using genc::runtime::Error;
using genc::tokenizer::ProtoReader;
using genc::tokenizer::Tokenizer;

namespace {

//===----------------------------------------------------------------------===//
// Writing protobuf by hand
//===----------------------------------------------------------------------===//

struct Proto {
  std::string bytes;
  Proto &varint(uint64_t value) {
    do {
      uint8_t byte = value & 0x7f;
      value >>= 7;
      bytes += char(value ? byte | 0x80 : byte);
    } while (value);
    return *this;
  }
  Proto &tag(uint32_t field, int wireType) { return varint(uint64_t(field) << 3 | wireType); }
  Proto &integer(uint32_t field, int64_t value) { return tag(field, 0).varint(uint64_t(value)); }
  Proto &string(uint32_t field, std::string_view value) {
    tag(field, 2).varint(value.size());
    bytes += value;
    return *this;
  }
  Proto &message(uint32_t field, const Proto &value) { return string(field, value.bytes); }
  Proto &fixed32(uint32_t field, uint32_t value) {
    tag(field, 5);
    for (int i = 0; i < 4; ++i)
      bytes += char(value >> (8 * i));
    return *this;
  }
  Proto &real(uint32_t field, float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    return fixed32(field, bits);
  }
};

enum { NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6 };
enum { UNIGRAM = 1, BPE = 2, CHAR = 4 };

struct ModelBuilder {
  Proto pieces;
  int count = 0;
  Proto trainer;
  Proto normalizer;

  explicit ModelBuilder(int type, bool byteFallback = false) {
    trainer.integer(3, type);
    if (byteFallback)
      trainer.integer(35, 1);
    normalizer.string(1, "identity");
    add("<unk>", 0, UNKNOWN);
    add("<s>", 0, CONTROL);
    add("</s>", 0, CONTROL);
    if (byteFallback) {
      for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        add(name, 0, BYTE);
      }
    }
  }
  int add(std::string_view piece, float score, int type = NORMAL) {
    Proto p;
    p.string(1, piece).real(2, score);
    if (type != NORMAL)
      p.integer(3, type);
    pieces.message(1, p);
    return count++;
  }
  std::string bytes() const {
    Proto model = pieces;
    model.message(2, trainer).message(3, normalizer);
    return model.bytes;
  }
};

std::string writeFile(const std::string &name, const std::string &bytes) {
  std::string path = ::testing::TempDir() + "/genc-tokenizer-test-" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::unique_ptr<Tokenizer> load(const std::string &name, const ModelBuilder &builder) {
  return Tokenizer::load(writeFile(name, builder.bytes()));
}

std::vector<int64_t> ids(std::initializer_list<int64_t> list) { return list; }

/// The message of the Error `f` throws ("" if none).
template <typename F> std::string errorOf(F &&f) {
  try {
    f();
  } catch (const Error &error) {
    return error.what();
  }
  return "";
}

const std::string kSpace = "\xe2\x96\x81"; // ▁

//===----------------------------------------------------------------------===//
// ProtoReader
//===----------------------------------------------------------------------===//

TEST(ProtoReader, ReadsFieldsAndSkipsUnknownOnes) {
  Proto inner;
  inner.string(1, "piece").real(2, -1.5f);
  Proto outer;
  outer.integer(7, 300)
      .tag(9, 1) // fixed64
      .bytes.append("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  outer.tag(10, 3).integer(1, 5).string(2, "in a group").tag(10, 4); // a group
  outer.message(1, inner).integer(3, -2);

  ProtoReader reader(outer.bytes, "test.bin", "Outer");
  ProtoReader::Field field;
  std::vector<uint32_t> numbers;
  while (reader.next(field)) {
    numbers.push_back(field.number);
    if (field.number == 7)
      EXPECT_EQ(reader.asUInt64(field, "seven"), 300u);
    if (field.number == 9)
      EXPECT_EQ(field.scalar, 0x0807060504030201ull);
    if (field.number == 3)
      EXPECT_EQ(reader.asInt32(field, "three"), -2);
    if (field.number == 1) {
      ProtoReader nested = reader.nested(field, "Inner");
      ProtoReader::Field f;
      ASSERT_TRUE(nested.next(f));
      EXPECT_EQ(nested.asBytes(f, "piece"), "piece");
      ASSERT_TRUE(nested.next(f));
      EXPECT_EQ(nested.asFloat(f, "score"), -1.5f);
      EXPECT_FALSE(nested.next(f));
    }
  }
  EXPECT_EQ(numbers, (std::vector<uint32_t>{7, 9, 1, 3})); // the group is skipped
}

TEST(ProtoReader, TruncatedVarint) {
  std::string bytes = "\x08\x80\x80"; // field 1, varint whose bytes all continue
  ProtoReader reader(bytes, "m.model", "ModelProto");
  ProtoReader::Field field;
  std::string message = errorOf([&] { reader.next(field); });
  EXPECT_NE(message.find("m.model"), std::string::npos) << message;
  EXPECT_NE(message.find("truncated varint"), std::string::npos) << message;
  EXPECT_NE(message.find("byte 1"), std::string::npos) << message;
}

TEST(ProtoReader, LengthPastTheEnd) {
  std::string bytes = "\x0a\x05" "abc"; // field 1, 5 bytes, 3 present
  ProtoReader reader(bytes, "m.model", "ModelProto");
  ProtoReader::Field field;
  std::string message = errorOf([&] { reader.next(field); });
  EXPECT_NE(message.find("m.model"), std::string::npos) << message;
  EXPECT_NE(message.find("runs past the end"), std::string::npos) << message;
}

TEST(ProtoReader, HugeLengthDoesNotWrap) {
  Proto p;
  p.tag(1, 2).varint(~uint64_t(0) - 1);
  p.bytes += "xy";
  ProtoReader reader(p.bytes, "m.model", "ModelProto");
  ProtoReader::Field field;
  EXPECT_NE(errorOf([&] { reader.next(field); }).find("runs past the end"), std::string::npos);
}

TEST(ProtoReader, MalformedInput) {
  auto failsWith = [](std::string bytes, const char *what) {
    ProtoReader reader(bytes, "m.model", "ModelProto");
    ProtoReader::Field field;
    std::string message = errorOf([&] {
      while (reader.next(field)) {
      }
    });
    EXPECT_NE(message.find(what), std::string::npos) << "got: '" << message << "'";
  };
  failsWith(std::string("\x08") + std::string(10, '\xff') + "\x01", "longer than 64 bits");
  failsWith(std::string("\x00\x01", 2), "invalid field number 0");
  failsWith("\x0e", "invalid wire type 6");
  failsWith("\x0d\x01\x02", "truncated fixed32");
  failsWith("\x09\x01\x02\x03", "truncated fixed64");
  failsWith("\x0b\x10\x01", "not closed");       // group 1 never ends
  failsWith("\x0b\x14", "closed by field 2");     // group 1 ended by 2
  failsWith("\x0c", "without a start");          // a stray end of group
  failsWith(std::string(200, '\x0b'), "nested too deeply");
}

TEST(ProtoReader, WrongWireTypeIsAnError) {
  Proto p;
  p.integer(2, 1); // a varint where a float belongs
  ProtoReader reader(p.bytes, "m.model", "Piece");
  ProtoReader::Field field;
  ASSERT_TRUE(reader.next(field));
  std::string message = errorOf([&] { reader.asFloat(field, "score"); });
  EXPECT_NE(message.find("field 2 (score) has wire type varint, expected fixed32"),
            std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// BPE
//===----------------------------------------------------------------------===//

/// "▁he" "llo" and friends; merges by score, highest first.
ModelBuilder helloBpe(bool byteFallback = false) {
  ModelBuilder m(BPE, byteFallback);
  m.add("ll", -1);
  m.add(kSpace + "h", -2);
  m.add(kSpace + "he", -3);
  m.add("llo", -4);
  m.add("ab", -5);
  m.add("bc", -5);
  for (const char *c : {"\xe2\x96\x81", "h", "e", "l", "o", "a", "b", "c", "w", "r", "d"})
    m.add(c, -10);
  return m;
}

TEST(SentencePieceBpe, MergesHighestScoreFirst) {
  ModelBuilder m = helloBpe();
  auto tok = load("bpe.model", m);
  // ▁ h e l l o: ll, then ▁h, then ▁he, then llo.
  EXPECT_EQ(tok->encode("hello"), ids({5, 6}));
  EXPECT_EQ(tok->decode(ids({5, 6})), "hello");
  EXPECT_EQ(tok->vocabSize(), m.count);
  EXPECT_EQ(tok->bosId(), 1);
  EXPECT_EQ(tok->eosId(), 2);
}

TEST(SentencePieceBpe, TiesGoToTheLeftmostPair) {
  auto tok = load("bpe.model", helloBpe());
  // ▁ a b c: "ab" and "bc" score the same; "ab" is further left.
  EXPECT_EQ(tok->encode("abc"), ids({9, 7, 16}));
}

TEST(SentencePieceBpe, WhitespaceIsNormalized) {
  auto tok = load("bpe.model", helloBpe());
  std::vector<int64_t> expected = tok->encode("hello world");
  EXPECT_EQ(tok->encode("   hello    world  "), expected);
  EXPECT_EQ(tok->decode(expected), "hello world");
  EXPECT_TRUE(tok->encode("    ").empty());
  EXPECT_TRUE(tok->encode("").empty());
}

TEST(SentencePieceBpe, UnknownCharactersWithoutByteFallback) {
  auto tok = load("bpe.model", helloBpe());
  // z and é are not pieces: a run of unknown characters is one <unk>.
  EXPECT_EQ(tok->encode("hzz\xc3\xa9"), ids({4, 0}));
  EXPECT_EQ(tok->decode(ids({4, 0})), "h \xe2\x81\x87 ");
  // Control pieces decode to nothing; ids outside the vocabulary are skipped.
  EXPECT_EQ(tok->decode(ids({1, 5, 6, 2, 100000, -1})), "hello");
}

TEST(SentencePieceBpe, ByteFallback) {
  ModelBuilder m = helloBpe(true);
  auto tok = load("bpe-bytes.model", m);
  int64_t hello = 5 + 256, lo = 6 + 256, space = 9 + 256;
  // é is C3 A9: two byte pieces (<0xXX> is id 3 + byte).
  EXPECT_EQ(tok->encode("hello \xc3\xa9"), ids({hello, lo, space, 3 + 0xc3, 3 + 0xa9}));
  EXPECT_EQ(tok->decode(ids({hello, lo, space, 3 + 0xc3, 3 + 0xa9})), "hello \xc3\xa9");
  // A byte sequence that is not UTF-8 decodes to U+FFFD per bad byte; text
  // before "▁he" means its space is not the dummy prefix.
  EXPECT_EQ(tok->decode(ids({3 + 0xc3, hello, 3 + 0xff, 3 + 'A'})),
            "\xef\xbf\xbd" " he\xef\xbf\xbd" "A");
  // Malformed UTF-8 in the input is U+FFFD, which is unknown: its bytes.
  EXPECT_EQ(tok->encode("\xff"), ids({space, 3 + 0xef, 3 + 0xbf, 3 + 0xbd}));
}

TEST(SentencePieceBpe, UserDefinedPiecesAreNeverSplitOrMerged) {
  ModelBuilder m = helloBpe();
  int user = m.add("ell", 0, USER_DEFINED);
  auto tok = load("bpe-user.model", m);
  // "ell" is taken whole before merges; "▁h" and "o" are what is left.
  EXPECT_EQ(tok->encode("hello"), ids({4, user, 13}));
  EXPECT_EQ(tok->decode(ids({4, user, 13})), "hello");
}

TEST(SentencePieceBpe, UnusedPiecesAreSplitBack) {
  ModelBuilder m = helloBpe();
  m.add("he", -0.5f, UNUSED); // merged first, then split back into h e
  auto tok = load("bpe-unused.model", m);
  // ▁ o h e → ▁ o he, and nothing merges with "he", which is unused: h e.
  EXPECT_EQ(tok->encode("ohe"), ids({9, 13, 10, 11}));
  // Merged on into a normal piece, it stays: ▁ he l l o → ... → ▁he llo.
  EXPECT_EQ(tok->encode("hello"), ids({5, 6}));
}

//===----------------------------------------------------------------------===//
// UNIGRAM
//===----------------------------------------------------------------------===//

TEST(SentencePieceUnigram, ViterbiMaximizesTheSumOfScores) {
  ModelBuilder m(UNIGRAM);
  int space = m.add(kSpace, -1);
  int a = m.add("a", -1), b = m.add("b", -1), c = m.add("c", -1);
  int ab = m.add("ab", -1.5f);
  m.add("bc", -2.5f);
  m.add("abc", -4);
  int spaceAbc = m.add(kSpace + "abc", -3.6f);
  auto tok = load("unigram.model", m);
  // ▁abc: ▁ ab c = -3.5 beats ▁abc = -3.6, ▁ a bc = -4.5, ▁ abc = -5.
  EXPECT_EQ(tok->encode("abc"), ids({space, ab, c}));
  EXPECT_EQ(tok->encode("ab ba"), ids({space, ab, space, b, a}));
  EXPECT_EQ(tok->decode(ids({space, ab, c})), "abc");
  EXPECT_EQ(tok->decode(ids({spaceAbc, spaceAbc})), "abc abc");
  // x is unknown; two in a row are one <unk>.
  EXPECT_EQ(tok->encode("axxb"), ids({space, a, 0, b}));
}

TEST(SentencePieceUnigram, UnknownCharactersAsBytes) {
  ModelBuilder m(UNIGRAM, true);
  int space = m.add(kSpace, -1);
  int a = m.add("a", -1);
  auto tok = load("unigram-bytes.model", m);
  EXPECT_EQ(tok->encode("a\xc3\xa9"), ids({space, a, 3 + 0xc3, 3 + 0xa9}));
  EXPECT_EQ(tok->decode(tok->encode("a\xc3\xa9 a")), "a\xc3\xa9 a");
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

TEST(SentencePieceNormalizer, WhitespaceOptions) {
  ModelBuilder m(CHAR);
  int space = m.add(kSpace, -1), a = m.add("a", -1);
  m.normalizer.integer(3, 0).integer(4, 0); // no dummy prefix, keep extra spaces
  auto tok = load("char-spaces.model", m);
  EXPECT_EQ(tok->encode(" a  a "), ids({space, a, space, space, a, space}));
  EXPECT_EQ(tok->decode(ids({space, a, space, space, a, space})), " a  a ");
}

/// A charsmap with two rules, "A" → "a" and "AB" → "x", laid out as
/// darts-clone lays out a double array.
std::string handMadeCharsmap() {
  std::vector<uint32_t> units(66);
  auto unit = [](uint32_t offset, bool leaf, uint8_t label) {
    return (offset << 10) | (leaf ? 1u << 8 : 0) | label;
  };
  units[0] = unit(1, false, 0);          // root: children at 1 ^ byte
  units[1 ^ 'A'] = unit(1, true, 'A');   // "A": leaf at 64 ^ 1 = 65, children at 65 ^ byte
  units[65] = 0x80000000u | 0;           // value: "a" at offset 0
  units[65 ^ 'B'] = unit(4, true, 'B');  // "AB": leaf at 3 ^ 4 = 7
  units[7] = 0x80000000u | 2;            // value: "x" at offset 2
  std::string blob;
  uint32_t size = units.size() * 4;
  for (int i = 0; i < 4; ++i)
    blob += char(size >> (8 * i));
  for (uint32_t u : units)
    for (int i = 0; i < 4; ++i)
      blob += char(u >> (8 * i));
  blob += std::string("a\0x\0", 4);
  return blob;
}

TEST(SentencePieceNormalizer, PrecompiledCharsmapLongestRuleWins) {
  ModelBuilder m(CHAR);
  int space = m.add(kSpace, -1), a = m.add("a", -1), x = m.add("x", -1), b = m.add("B", -1);
  m.normalizer = Proto();
  m.normalizer.string(1, "hand-made").string(2, handMadeCharsmap());
  auto tok = load("char-charsmap.model", m);
  EXPECT_EQ(tok->encode("AB A BA"), ids({space, x, space, a, space, b, a}));
}

TEST(SentencePieceNormalizer, CorruptCharsmapIsAnError) {
  ModelBuilder m(CHAR);
  m.add(kSpace, -1);
  std::string blob = handMadeCharsmap();
  blob.resize(blob.size() - 1); // the last string loses its NUL
  m.normalizer = Proto();
  m.normalizer.string(2, blob);
  auto tok = load("char-bad-charsmap.model", m);
  std::string message = errorOf([&] { tok->encode("AB"); });
  EXPECT_NE(message.find("char-bad-charsmap.model"), std::string::npos) << message;
  EXPECT_NE(message.find("precompiled_charsmap is corrupt"), std::string::npos) << message;
  m.normalizer = Proto();
  m.normalizer.string(2, std::string("\xff\xff\x00\x00" "abcd", 8));
  EXPECT_NE(errorOf([&] { load("char-bad-charsmap2.model", m); }).find("runs past the end"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Bad files
//===----------------------------------------------------------------------===//

TEST(SentencePieceModel, InvalidModelsAreRefused) {
  auto refused = [](const std::string &bytes, const char *what) {
    std::string message = errorOf([&] { Tokenizer::load(writeFile("bad.model", bytes)); });
    EXPECT_NE(message.find("bad.model"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << "got: '" << message << "'";
  };
  ModelBuilder noUnk(BPE);
  noUnk.pieces = Proto();
  noUnk.add("a", 0);
  refused(noUnk.bytes(), "no unknown piece");

  ModelBuilder bytesWithoutFallback(BPE);
  bytesWithoutFallback.add("<0x41>", 0, BYTE);
  refused(bytesWithoutFallback.bytes(), "without byte_fallback");

  ModelBuilder missingBytes(BPE);
  missingBytes.trainer.integer(35, 1);
  missingBytes.add("<0x41>", 0, BYTE);
  refused(missingBytes.bytes(), "lacks some of the 256 byte pieces");

  ModelBuilder twice(BPE);
  twice.add("a", 0);
  twice.add("a", 0);
  refused(twice.bytes(), "defined twice");

  ModelBuilder badType(7);
  refused(badType.bytes(), "model_type 7");

  std::string truncated = helloBpe().bytes();
  truncated.resize(truncated.size() - 3);
  refused(truncated, "runs past the end");

  EXPECT_NE(errorOf([] { Tokenizer::load("/nonexistent/tokenizer.model"); }).find("cannot read"),
            std::string::npos);
  EXPECT_NE(errorOf([] { Tokenizer::load(writeFile("json.model", "{\"model\": {}}")); })
                .find("tokenizer.json"),
            std::string::npos);
}

TEST(SentencePieceModel, DamagedFilesThrowAndNeverCrash) {
  // Every truncation and many random byte flips of a valid model either
  // load (and then encode and decode) or throw Error.
  std::string good = helloBpe(true).bytes();
  std::mt19937 rng(7);
  int loaded = 0, refused = 0;
  auto attempt = [&](const std::string &bytes) {
    try {
      auto tok = Tokenizer::load(writeFile("damaged.model", bytes));
      std::vector<int64_t> out = tok->encode("hello, w\xc3\xb6rld \xff abc");
      tok->decode(out);
      ++loaded;
    } catch (const Error &) {
      ++refused;
    }
  };
  for (size_t length = 0; length < good.size(); length += 7)
    attempt(good.substr(0, length));
  for (int i = 0; i < 300; ++i) {
    std::string bytes = good;
    for (int flips = 1 + rng() % 4; flips > 0; --flips)
      bytes[rng() % bytes.size()] = char(rng());
    attempt(bytes);
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);
}

} // namespace
