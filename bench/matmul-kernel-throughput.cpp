//===- matmul-kernel-throughput.cpp - one decode-shaped product per format ===//
//
// C[1, N] = A[1, K] · B with B in f32, int8 and bf16 panels, serially (no
// pool), N large enough that B does not fit the caches: the weights each
// kernel streams per second. Then the kernels with each instruction set
// they can use (AVX-512, AVX-512 without VBMI or VNNI, AVX2, scalar loops): f32,
// int8 and int4 (scales and offsets in f32 and in f16, and symmetric: f16
// scales alone) on that decode product and on a prefill-shaped one, bf16
// on the decode product; symmetric int4 on 1 to 8 rows with its two
// AVX512-VNNI tiles; and bf16 on the prefill product with each of its
// AVX-512 paths (AMX tiles, AVX512-BF16, pairs widened), and the AMX
// instruction alone. Built and run by bench/weight-formats.sh.
//
//===----------------------------------------------------------------------===//

#include "MemrefDescriptor.h"
#include "genc/kernels.h"
#include "kernels/Parallel.h"

#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {


/// tdpbf16ps alone, on tiles that never leave the registers: four
/// independent 16 × 16 sums, each 32 k deep, `steps` times. The ceiling of
/// the bf16 kernel's AMX path.
__attribute__((target("amx-tile,amx-bf16"))) void tileProducts(int64_t steps) {
  struct alignas(64) {
    uint8_t palette = 1, startRow = 0, reserved[14] = {};
    uint16_t bytesPerRow[16] = {64, 64, 64, 64, 64, 64, 64, 64};
    uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
  } config;
  _tile_loadconfig(&config);
  _tile_zero(0), _tile_zero(1), _tile_zero(2), _tile_zero(3);
  _tile_zero(4), _tile_zero(5), _tile_zero(6), _tile_zero(7);
  for (int64_t s = 0; s < steps; ++s) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_release();
}

template <typename F> double secondsPerCall(F &&call, int calls) {
  call(); // warm-up
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i)
    call();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls;
}

} // namespace

int main() {
  const int64_t k = 768, n = 3072 * 16, panels = n / 32, calls = 20;
  std::vector<float> a(k, 0.5f), c(n), f32(panels * k * 32, 0.01f), scales(n, 0.01f);
  std::vector<int8_t> int8(panels * k * 32, 3);
  std::vector<uint16_t> bf16(panels * k * 32, 0x3C23); // 0.01 in bf16
  // 4-bit weights in groups of 32, a scale and an offset each (two
  // arrays, as compiled code passes them), in f32 or f16.
  std::vector<uint8_t> int4(panels * k * 16, 0x35);
  std::vector<float> groupScales(panels * (k / 32) * 32, 0.01f), groupOffsets = groupScales;
  std::vector<uint16_t> halfScales(groupScales.size(), 0x211F), halfOffsets = halfScales; // 0.01
  Memref am(a.data(), {1, k}), cm(c.data(), {1, n}), fm(f32.data(), {panels, k, 32}),
      im(int8.data(), {panels, k / 2, 32, 2}), bm(bf16.data(), {panels, k / 2, 32, 2}),
      sm(scales.data(), {n}), nm(int4.data(), {panels, k, 16}),
      gsm(groupScales.data(), {panels, k / 32, 32}), gom(groupOffsets.data(), {panels, k / 32, 32}),
      hsm(halfScales.data(), {panels, k / 32, 32}), hom(halfOffsets.data(), {panels, k / 32, 32});
  double weights = static_cast<double>(k) * n;
  double tf = secondsPerCall(
      [&] {
        _mlir_ciface_genc_matmul_f32(nullptr, /*check=*/1, &cm.ref, &am.ref, &fm.ref, 1, 0,
                                     nullptr);
      },
      calls);
  double ti = secondsPerCall(
      [&] {
        _mlir_ciface_genc_matmul_f32_i8(nullptr, /*check=*/1, &cm.ref, &am.ref, &im.ref, &sm.ref, 0,
                                        nullptr);
      },
      calls);
  double tb = secondsPerCall(
      [&] {
        _mlir_ciface_genc_matmul_bf16(nullptr, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0, nullptr);
      },
      calls);
  std::printf("one thread, K=%lld N=%lld: f32 %.2f ms (%.1f G weights/s, %.1f GB/s); "
              "int8 %.2f ms (%.1f G weights/s, %.1f GB/s); bf16 %.2f ms (%.1f G weights/s, "
              "%.1f GB/s)\n",
              static_cast<long long>(k), static_cast<long long>(n), tf * 1e3, weights / tf / 1e9,
              4 * weights / tf / 1e9, ti * 1e3, weights / ti / 1e9, weights / ti / 1e9, tb * 1e3,
              weights / tb / 1e9, 2 * weights / tb / 1e9);

  // Per instruction set; the prefill product is C[128, 3072] = A[128, 768] · B.
  const int64_t m = 128, prefillN = 3072;
  std::vector<float> pa(m * k, 0.5f), pc(m * prefillN);
  Memref pam(pa.data(), {m, k}), pcm(pc.data(), {m, prefillN}),
      pbm(f32.data(), {prefillN / 32, k, 32}), pim(int8.data(), {prefillN / 32, k / 2, 32, 2}),
      pnm(int4.data(), {prefillN / 32, k, 16}),
      pgsm(groupScales.data(), {prefillN / 32, k / 32, 32}),
      pgom(groupOffsets.data(), {prefillN / 32, k / 32, 32}),
      phsm(halfScales.data(), {prefillN / 32, k / 32, 32}),
      phom(halfOffsets.data(), {prefillN / 32, k / 32, 32}), psm(scales.data(), {prefillN});
  // AVX-512 without VBMI: the 4-bit kernels' int16 dot products instead
  // of their byte dot products; without VNNI: the integer kernels'
  // AVX512-BW tiles (the other formats run as with AVX-512).
  struct Set {
    const char *name;
    bool avx512, avx2, vnni, vbmi;
  };
  for (Set set :
       {Set{"AVX-512", true, true, true, true},
        Set{"AVX-512 without VBMI", true, true, true, false},
        Set{"AVX-512 without VNNI", true, true, false, false},
        Set{"AVX2", false, true, false, false}, Set{"scalar", false, false, false, false}}) {
    genc::kernels::useAVX512ForTesting(set.avx512);
    genc::kernels::useAVX2ForTesting(set.avx2);
    genc::kernels::useAVX512VNNIForTesting(set.vnni);
    genc::kernels::useAVX512VBMIForTesting(set.vbmi);
    if (set.avx512 != genc::kernels::hasAVX512() || set.avx2 != genc::kernels::hasAVX2() ||
        set.vnni != genc::kernels::hasAVX512VNNI() || set.vbmi != genc::kernels::hasAVX512VBMI() ||
        (set.avx512 && !genc::kernels::hasAVX512BW())) {
      std::printf("%s: this CPU lacks it\n", set.name);
      continue;
    }
    int repeats = set.avx2 ? calls : 2;
    double decode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32(nullptr, /*check=*/1, &cm.ref, &am.ref, &fm.ref, 1, 0,
                                       nullptr);
        },
        repeats);
    double prefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32(nullptr, /*check=*/1, &pcm.ref, &pam.ref, &pbm.ref, 1, 0,
                                       nullptr);
        },
        repeats);
    double int8Decode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i8(nullptr, /*check=*/1, &cm.ref, &am.ref, &im.ref, &sm.ref,
                                          0, nullptr);
        },
        repeats);
    double int8Prefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i8(nullptr, /*check=*/1, &pcm.ref, &pam.ref, &pim.ref,
                                          &psm.ref, 0, nullptr);
        },
        repeats);
    double bf16Decode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_bf16(nullptr, /*check=*/1, &cm.ref, &am.ref, &bm.ref, 0,
                                        nullptr);
        },
        repeats);
    double int4Decode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4(nullptr, /*check=*/1, &cm.ref, &am.ref, &nm.ref, &gsm.ref,
                                          &gom.ref, 32, 0, nullptr);
        },
        repeats);
    double int4Prefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4(nullptr, /*check=*/1, &pcm.ref, &pam.ref, &pnm.ref,
                                          &pgsm.ref, &pgom.ref, 32, 0, nullptr);
        },
        repeats);
    double halfDecode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4_f16(nullptr, /*check=*/1, &cm.ref, &am.ref, &nm.ref,
                                              &hsm.ref, &hom.ref, 32, 0, nullptr);
        },
        repeats);
    double halfPrefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4_f16(nullptr, /*check=*/1, &pcm.ref, &pam.ref, &pnm.ref,
                                              &phsm.ref, &phom.ref, 32, 0, nullptr);
        },
        repeats);
    // Symmetric weights (genc compile --weights=int4): f16 scales alone.
    double symmetricDecode = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(nullptr, /*check=*/1, &cm.ref, &am.ref,
                                                        &nm.ref, &hsm.ref, 32, 0, nullptr);
        },
        repeats);
    double symmetricPrefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(nullptr, /*check=*/1, &pcm.ref, &pam.ref,
                                                        &pnm.ref, &phsm.ref, 32, 0, nullptr);
        },
        repeats);
    // int4:32 bytes per weight: half a byte, and a scale and an offset per
    // 32 weights (f32: 8 bytes, f16: 4), or a scale alone (f16: 2).
    std::printf("%s, one thread: f32 decode %.2f ms (%.1f GB/s), prefill M=%lld N=%lld %.2f ms "
                "(%.1f GFLOP/s); int8 decode %.2f ms, prefill %.2f ms; bf16 decode %.2f ms; "
                "int4:32 decode %.2f ms (%.1f GB/s), prefill %.2f ms; int4:32 with f16 "
                "parameters decode %.2f ms (%.1f GB/s), prefill %.2f ms; symmetric int4:32 with "
                "f16 scales decode %.2f ms (%.1f GB/s), prefill %.2f ms\n",
                set.name, decode * 1e3, 4 * weights / decode / 1e9, static_cast<long long>(m),
                static_cast<long long>(prefillN), prefill * 1e3,
                2.0 * m * k * prefillN / prefill / 1e9, int8Decode * 1e3, int8Prefill * 1e3,
                bf16Decode * 1e3, int4Decode * 1e3, (0.5 + 8.0 / 32) * weights / int4Decode / 1e9,
                int4Prefill * 1e3, halfDecode * 1e3, (0.5 + 4.0 / 32) * weights / halfDecode / 1e9,
                halfPrefill * 1e3, symmetricDecode * 1e3,
                (0.5 + 2.0 / 32) * weights / symmetricDecode / 1e9, symmetricPrefill * 1e3);
  }

  // Symmetric int4:32 (f16 scales) on 1 to 8 rows, N = 12288: the byte dot
  // products (which take up to 8 rows) against the int16 dot products.
  genc::kernels::useAVX512ForTesting(true);
  genc::kernels::useAVX2ForTesting(true);
  genc::kernels::useAVX512VNNIForTesting(true);
  if (!genc::kernels::hasAVX512VNNI()) {
    std::printf("int4 by rows: this CPU lacks AVX512-VNNI\n");
  } else {
    const int64_t rowsN = 12288;
    Memref rbm(int4.data(), {rowsN / 32, k, 16}), rsm(halfScales.data(), {rowsN / 32, k / 32, 32});
    std::printf("symmetric int4:32, N=%lld, one thread, ms (int16 dot products / byte dot "
                "products):",
                static_cast<long long>(rowsN));
    for (int64_t m = 1; m <= 8; ++m) {
      std::vector<float> ra(m * k, 0.5f), rc(m * rowsN);
      Memref ram(ra.data(), {m, k}), rcm(rc.data(), {m, rowsN});
      double seconds[2];
      for (bool vbmi : {false, true}) {
        genc::kernels::useAVX512VBMIForTesting(vbmi);
        seconds[vbmi] = secondsPerCall(
            [&] {
              _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(nullptr, /*check=*/1, &rcm.ref,
                                                            &ram.ref, &rbm.ref, &rsm.ref, 32, 0,
                                                            nullptr);
            },
            calls * 5);
      }
      std::printf(" M=%lld %.3f / %.3f%s", static_cast<long long>(m), seconds[0] * 1e3,
                  seconds[1] * 1e3,
                  genc::kernels::hasAVX512VBMI() ? "" : " (no VBMI: both int16)");
    }
    std::printf("\n");
  }

  // bf16 prefill on each of its AVX-512 paths.
  Memref pbbm(bf16.data(), {prefillN / 32, k / 2, 32, 2});
  struct BF16Path {
    const char *name;
    bool amx, dotProducts;
  };
  genc::kernels::useAVX512ForTesting(true);
  genc::kernels::useAVX2ForTesting(true);
  for (BF16Path path :
       {BF16Path{"AMX tiles", true, true}, BF16Path{"AVX512-BF16 dot products", false, true},
        BF16Path{"pairs widened to f32", false, false}}) {
    genc::kernels::useAMXForTesting(path.amx);
    genc::kernels::useAVX512BF16ForTesting(path.dotProducts);
    if (!genc::kernels::hasAVX512() || path.amx != genc::kernels::hasAMXBF16() ||
        path.dotProducts != genc::kernels::hasAVX512BF16()) {
      std::printf("bf16 %s: this CPU lacks it\n", path.name);
      continue;
    }
    double prefill = secondsPerCall(
        [&] {
          _mlir_ciface_genc_matmul_bf16(nullptr, /*check=*/1, &pcm.ref, &pam.ref, &pbbm.ref, 0,
                                        nullptr);
        },
        calls);
    std::printf("bf16 %s, one thread: prefill M=%lld N=%lld %.2f ms (%.1f GFLOP/s)\n", path.name,
                static_cast<long long>(m), static_cast<long long>(prefillN), prefill * 1e3,
                2.0 * m * k * prefillN / prefill / 1e9);
  }
  genc::kernels::useAVX512BF16ForTesting(true);
  genc::kernels::useAMXForTesting(true); // hasAMXBF16 asks Linux for the tiles' state
  if (genc::kernels::hasAMXBF16()) {
    const int64_t steps = 1 << 20;
    double seconds = secondsPerCall([&] { tileProducts(steps); }, 3);
    std::printf("AMX tdpbf16ps alone, one thread: %.1f GFLOP/s\n",
                4.0 * steps * 2 * 16 * 16 * 32 / seconds / 1e9);
  }
}
