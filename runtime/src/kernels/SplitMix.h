//===- SplitMix.h - the kernels' seeded random numbers ----------*- C++ -*-===//
//
// splitmix64 (Steele, Lea and Flood): integer arithmetic only, so a seed
// gives the same numbers on every platform, and prefill and decode steps
// (or two runs) draw the same BigBird blocks and LSH rotations.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_KERNELS_SPLITMIX_H
#define GENC_KERNELS_SPLITMIX_H

#include <cstdint>

namespace genc::kernels {

constexpr uint64_t kSplitMixIncrement = 0x9E3779B97F4A7C15ull;

/// A well-mixed hash of x: neighbouring inputs give unrelated outputs.
inline uint64_t splitMix64(uint64_t x) {
  x += kSplitMixIncrement;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// The generator's next number from `state`, which it advances.
inline uint64_t nextSplitMix64(uint64_t &state) {
  uint64_t x = splitMix64(state);
  state += kSplitMixIncrement;
  return x;
}

} // namespace genc::kernels

#endif // GENC_KERNELS_SPLITMIX_H
