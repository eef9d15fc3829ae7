//===- WeightsFile.cpp - the weights file's header and digests ------------===//

#include "genc/Target/CPU/WeightsFile.h"

#include "genc/Target/CPU/Passes.h"
#include "genc/weights_file.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <vector>

using namespace mlir;

namespace {
/// The payload as the pieces the table places, zeros between them.
struct Piece {
  uint64_t offset;
  ArrayRef<char> bytes;
};

/// Copies payload bytes [offset, offset + out.size()) into `out`.
void readPayload(ArrayRef<Piece> pieces, uint64_t offset, MutableArrayRef<char> out) {
  std::fill(out.begin(), out.end(), 0);
  uint64_t end = offset + out.size();
  for (const Piece &piece : pieces) {
    uint64_t pieceEnd = piece.offset + piece.bytes.size();
    if (pieceEnd <= offset || piece.offset >= end)
      continue;
    uint64_t from = std::max(offset, piece.offset), to = std::min(end, pieceEnd);
    std::copy(piece.bytes.begin() + (from - piece.offset), piece.bytes.begin() + (to - piece.offset),
              out.begin() + (from - offset));
  }
}
} // namespace

static FailureOr<genc::WeightsDigest> computeDigest(ModuleOp module, std::string &error);

/// Where digestWeights keeps a module's digest: [size, sample, payload].
static constexpr StringLiteral kDigestAttr = "genc.weights_digest";

FailureOr<genc::WeightsDigest> genc::digestWeights(ModuleOp module, std::string &error) {
  // Hashing every byte again for the weights file would double the cost
  // for gigabytes of weights.
  if (auto kept = module->getAttrOfType<DenseI64ArrayAttr>(kDigestAttr);
      kept && kept.size() == 3)
    return WeightsDigest{static_cast<uint64_t>(kept[0]), static_cast<uint64_t>(kept[1]),
                         static_cast<uint64_t>(kept[2])};
  FailureOr<WeightsDigest> digest = computeDigest(module, error);
  if (succeeded(digest))
    module->setAttr(kDigestAttr,
                    DenseI64ArrayAttr::get(module.getContext(),
                                           {static_cast<int64_t>(digest->payloadSize),
                                            static_cast<int64_t>(digest->sampleHash),
                                            static_cast<int64_t>(digest->payloadHash)}));
  return digest;
}

/// digestWeights, computed.
static FailureOr<genc::WeightsDigest> computeDigest(ModuleOp module, std::string &error) {
  using genc::WeightsDigest;
  using genc::getConstantBytes;
  auto table = module->getAttrOfType<ArrayAttr>("genc.weights");
  auto size = module->getAttrOfType<IntegerAttr>("genc.weights_size");
  WeightsDigest digest;
  digest.payloadSize = size ? size.getInt() : 0;
  std::vector<Piece> pieces;
  for (Attribute entry : table ? table.getValue() : ArrayRef<Attribute>()) {
    auto dict = cast<DictionaryAttr>(entry);
    auto value = cast<ElementsAttr>(dict.get("value"));
    FailureOr<ArrayRef<char>> data = getConstantBytes(value);
    if (failed(data)) {
      error = "weight '" +
              cast<DenseResourceElementsAttr>(value).getRawHandle().getKey().str() +
              "' has no data";
      return failure();
    }
    pieces.push_back({static_cast<uint64_t>(cast<IntegerAttr>(dict.get("offset")).getInt()), *data});
  }
  llvm::sort(pieces, [](const Piece &a, const Piece &b) { return a.offset < b.offset; });

  // The full hash streams the pieces and the zeros between them.
  static const char kZeros[4096] = {};
  genc_hash64_state full;
  genc_hash64_init(&full);
  auto zeros = [&](uint64_t count) {
    for (; count; count -= std::min<uint64_t>(count, sizeof kZeros))
      genc_hash64_update(&full, kZeros, std::min<uint64_t>(count, sizeof kZeros));
  };
  uint64_t at = 0;
  for (const Piece &piece : pieces) {
    zeros(piece.offset - at);
    genc_hash64_update(&full, piece.bytes.data(), piece.bytes.size());
    at = piece.offset + piece.bytes.size();
  }
  zeros(digest.payloadSize - at);
  digest.payloadHash = genc_hash64_digest(&full);

  // The sample hash reads its blocks as genc_weights_sample_hash does.
  genc_hash64_state sample;
  genc_hash64_init(&sample);
  genc_hash64_update(&sample, &digest.payloadSize, sizeof digest.payloadSize);
  std::vector<char> block(GENC_WEIGHTS_SAMPLE_BLOCK_SIZE);
  for (uint64_t k = 0, count = genc_weights_sample_count(digest.payloadSize); k < count; ++k) {
    uint64_t offset = genc_weights_sample_offset(digest.payloadSize, k);
    uint64_t length = std::min<uint64_t>(digest.payloadSize - offset, block.size());
    readPayload(pieces, offset, MutableArrayRef<char>(block.data(), length));
    genc_hash64_update(&sample, block.data(), length);
  }
  digest.sampleHash = genc_hash64_digest(&sample);
  return digest;
}

std::string genc::describeWeights(const WeightsDigest &digest) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "genc-version " << GENC_VERSION << "\n"
     << "weights " << digest.payloadSize << " " << GENC_WEIGHTS_LAYOUT_VERSION << " "
     << llvm::format_hex_no_prefix(digest.sampleHash, 16) << " "
     << llvm::format_hex_no_prefix(digest.payloadHash, 16) << "\n";
  return text;
}

void genc::writeWeightsHeader(const WeightsDigest &digest, llvm::raw_ostream &os) {
  static_assert(sizeof(genc_weights_header) <= GENC_WEIGHTS_HEADER_SIZE);
  char bytes[GENC_WEIGHTS_HEADER_SIZE] = {};
  genc_weights_header header;
  std::memset(&header, 0, sizeof header);
  std::memcpy(header.magic, GENC_WEIGHTS_MAGIC, sizeof header.magic);
  header.layout_version = GENC_WEIGHTS_LAYOUT_VERSION;
  header.header_size = GENC_WEIGHTS_HEADER_SIZE;
  std::strncpy(header.genc_version, GENC_VERSION, sizeof header.genc_version - 1);
  header.payload_size = digest.payloadSize;
  header.sample_hash = digest.sampleHash;
  header.payload_hash = digest.payloadHash;
  header.header_hash = genc_hash64(&header, offsetof(genc_weights_header, header_hash));
  std::memcpy(bytes, &header, sizeof header);
  os.write(bytes, sizeof bytes);
}
