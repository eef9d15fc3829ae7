//===- int4-layout-trial.cpp - other nibble layouts for the decode tile ---===//
//
// A trial, not the runtime's kernel: a one-row int4 decode product (A
// [1, 768] as int16 pairs, B 768 x 49152 in panels of 32 columns, groups
// of 32 with f16 scales, four accumulator chains as the runtime's tile
// has) in three layouts of the nibbles, timed alternately on one thread:
//
// - current: a panel row of 16 bytes per k (byte j: column j in its low
//   nibble, column j + 16 in its high one); a pair of k is two 16-byte
//   loads widened to 32-bit lanes (vpmovzxbd), the second shifted into
//   the upper halves;
// - interleaved pairs: the two rows of a pair interleaved byte by byte,
//   one 32-byte load widened to 16-bit lanes (vpmovzxbw);
// - 8-k blocks: per 8 k, two 64-byte vectors whose 32-bit lanes hold one
//   column's 8 nibbles, split by masks and shifts alone (no shuffle).
//
// The weights are a constant byte, so the sums are not checked: this
// times the instruction mix, not a kernel. docs/results.md ("Symmetric
// int4: the scales alone") quotes it. Build and run:
//
//   clang++ -O2 -std=c++17 bench/int4-layout-trial.cpp -o /tmp/int4-layout-trial
//   /tmp/int4-layout-trial
//
//===----------------------------------------------------------------------===//

#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr int kK = 768, kN = 49152, kPanels = kN / 32, kGroup = 32, kGroups = kK / kGroup;

__attribute__((target("avx512f,avx512bw"), always_inline)) inline __m512i
dotPairs(__m512i acc, __m512i a, __m512i b) {
  asm("vpdpwssd {%2, %1, %0|%0, %1, %2}" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}

/// A's pair of int16 at k, broadcast to every 32-bit lane.
__attribute__((target("avx512f"), always_inline)) inline __m512i pairOfA(const int16_t *a, int k) {
  int32_t pair;
  std::memcpy(&pair, a + k, sizeof pair);
  return _mm512_set1_epi32(pair);
}

/// Sums the four chains of each half panel, scales them by the group's f16
/// scales and adds them to out[0..1].
__attribute__((target("avx512f,avx512bw,f16c"), always_inline)) inline void
scaleGroup(__m512i (&acc)[4][2], const uint16_t *scales, __m512 (&out)[2]) {
  for (int h = 0; h < 2; ++h) {
    __m512i sum = _mm512_add_epi32(_mm512_add_epi32(acc[0][h], acc[1][h]),
                                   _mm512_add_epi32(acc[2][h], acc[3][h]));
    __m512 scale =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(scales + 16 * h)));
    out[h] = _mm512_add_ps(out[h], _mm512_mul_ps(_mm512_cvtepi32_ps(sum), scale));
  }
}

/// The product with `addEightK(acc, panelBytes, k)` adding k .. k + 7 of
/// a panel into the four chains (pair c into chain c).
template <typename AddEightK>
__attribute__((target("avx512f,avx512bw,f16c"))) void
product(const uint8_t *b, const uint16_t *scales, float *c, AddEightK addEightK) {
  for (int p = 0; p < kPanels; ++p) {
    const uint8_t *panel = b + static_cast<size_t>(p) * kK * 16;
    __m512 out[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int g = 0; g < kGroups; ++g) {
      __m512i acc[4][2];
      for (auto &chain : acc)
        chain[0] = chain[1] = _mm512_setzero_si512();
      for (int k = g * kGroup; k < (g + 1) * kGroup; k += 8)
        addEightK(acc, panel, k);
      scaleGroup(acc, scales + (static_cast<size_t>(p) * kGroups + g) * 32, out);
    }
    _mm512_storeu_ps(c + p * 32, out[0]);
    _mm512_storeu_ps(c + p * 32 + 16, out[1]);
  }
}

__attribute__((target("avx512f,avx512bw,f16c"))) void current(const int16_t *a, const uint8_t *b,
                                                              const uint16_t *s, float *c) {
  const __m512i low4 = _mm512_set1_epi16(15);
  product(
      b, s, c,
      [&](__m512i(&acc)[4][2], const uint8_t *panel,
          int k) __attribute__((target("avx512f,avx512bw"), always_inline)) {
        for (int chain = 0; chain < 4; ++chain) {
          const uint8_t *row = panel + (k + 2 * chain) * 16;
          __m512i even =
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row)));
          __m512i odd =
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 16)));
          __m512i both = _mm512_or_si512(even, _mm512_slli_epi32(odd, 16));
          __m512i ar = pairOfA(a, k + 2 * chain);
          acc[chain][0] = dotPairs(acc[chain][0], ar, _mm512_and_si512(both, low4));
          acc[chain][1] = dotPairs(acc[chain][1], ar, _mm512_srli_epi16(both, 4));
        }
      });
}

__attribute__((target("avx512f,avx512bw,f16c"))) void
interleavedPairs(const int16_t *a, const uint8_t *b, const uint16_t *s, float *c) {
  const __m512i low4 = _mm512_set1_epi16(15);
  product(
      b, s, c,
      [&](__m512i(&acc)[4][2], const uint8_t *panel, int k)
          __attribute__((target("avx512f,avx512bw"), always_inline)) {
            for (int chain = 0; chain < 4; ++chain) {
              const uint8_t *pair = panel + (k + 2 * chain) * 16;
              __m512i w =
                  _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(pair)));
              __m512i ar = pairOfA(a, k + 2 * chain);
              acc[chain][0] = dotPairs(acc[chain][0], ar, _mm512_and_si512(w, low4));
              acc[chain][1] = dotPairs(acc[chain][1], ar, _mm512_srli_epi16(w, 4));
            }
          });
}

__attribute__((target("avx512f,avx512bw,f16c"))) void
eightKBlocks(const int16_t *a, const uint8_t *b, const uint16_t *s, float *c) {
  const __m512i nibblePair = _mm512_set1_epi32(0x000F000F);
  product(
      b, s, c,
      [&](__m512i(&acc)[4][2], const uint8_t *panel, int k)
          __attribute__((target("avx512f,avx512bw"), always_inline)) {
            for (int h = 0; h < 2; ++h) {
              __m512i w = _mm512_loadu_si512(panel + k * 16 + 64 * h);
              __m512i pairs[4] = {_mm512_and_si512(w, nibblePair),
                                  _mm512_and_si512(_mm512_srli_epi32(w, 4), nibblePair),
                                  _mm512_and_si512(_mm512_srli_epi32(w, 8), nibblePair),
                                  _mm512_and_si512(_mm512_srli_epi32(w, 12), nibblePair)};
              for (int chain = 0; chain < 4; ++chain)
                acc[chain][h] = dotPairs(acc[chain][h], pairOfA(a, k + 2 * chain), pairs[chain]);
            }
          });
}

} // namespace

int main() {
  std::vector<int16_t> a(kK, 3);
  std::vector<uint8_t> b(static_cast<size_t>(kPanels) * kK * 16, 0x35);
  std::vector<uint16_t> scales(static_cast<size_t>(kPanels) * kGroups * 32, 0x211F); // 0.01
  std::vector<float> c(kN);
  using Product = void (*)(const int16_t *, const uint8_t *, const uint16_t *, float *);
  auto time = [&](Product product, const char *name) {
    product(a.data(), b.data(), scales.data(), c.data()); // warm-up
    double best = 1e9;
    for (int round = 0; round < 5; ++round) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < 20; ++i)
        product(a.data(), b.data(), scales.data(), c.data());
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 20;
      best = seconds < best ? seconds : best;
    }
    double bytes = static_cast<double>(b.size()) + 2.0 * scales.size();
    std::printf("%s: %.3f ms (%.1f GB/s)\n", name, best * 1e3, bytes / best / 1e9);
  };
  for (int round = 0; round < 2; ++round) {
    time(current, "current layout");
    time(interleavedPairs, "interleaved pairs");
    time(eightKBlocks, "8-k blocks");
  }
}
