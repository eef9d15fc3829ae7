//===- WeightsFile.h - the weights file's header and digests ----*- C++ -*-===//
//
// OUT.weights is a header (runtime/include/genc/weights_file.h) and the
// payload genc-externalize-weights laid out. The artifact's signature
// repeats the header's facts, so that the runtime refuses a weights file
// that is not the artifact's own.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TARGET_CPU_WEIGHTSFILE_H
#define GENC_TARGET_CPU_WEIGHTSFILE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::genc {

/// What identifies a module's weights payload.
struct WeightsDigest {
  uint64_t payloadSize = 0;
  uint64_t sampleHash = 0;  ///< of the sampled 4 KiB blocks
  uint64_t payloadHash = 0; ///< of every byte
};

/// The digest of the payload `module`'s `genc.weights` table describes
/// (every byte is hashed, without laying the payload out in memory). The
/// first call keeps it on the module (`genc.weights_digest`); later calls
/// read it back instead of hashing the weights again.
FailureOr<WeightsDigest> digestWeights(ModuleOp module, std::string &error);

/// The signature lines that bind an artifact to its weights file:
///   genc-version <version of the compiler>
///   weights <payload bytes> <layout version> <sample hash> <payload hash>
/// (hashes as 16 hex digits).
std::string describeWeights(const WeightsDigest &digest);

/// Writes the header for `digest` (GENC_WEIGHTS_HEADER_SIZE bytes).
void writeWeightsHeader(const WeightsDigest &digest, llvm::raw_ostream &os);

} // namespace mlir::genc

#endif // GENC_TARGET_CPU_WEIGHTSFILE_H
