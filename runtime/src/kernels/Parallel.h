//===- Parallel.h - the kernels' view of the runtime's threads --*- C++ -*-===//

#ifndef GENC_KERNELS_PARALLEL_H
#define GENC_KERNELS_PARALLEL_H

#include "genc/kernels.h"

#include <cstdint>

namespace genc::kernels {

/// Whether the kernels may use AVX-512F (their vector paths): this CPU
/// runs it, and no test switched it off.
bool hasAVX512();
/// The same for AVX2 and FMA (the matmul kernels' path where AVX-512 is
/// missing, as on many x86-64 CPUs still in use).
bool hasAVX2();
/// Whether the AVX2 path may also convert f16 (F16C): every CPU with AVX2
/// this project has met has it, but CPUID states the two apart.
bool hasF16C();
/// The same for AVX512-BF16's dot products (vdpbf16ps).
bool hasAVX512BF16();
/// The same for AMX's bf16 tiles (tdpbf16ps), with AVX512-BF16 beside them:
/// the CPU has both and Linux lets the process use the tiles' state (asked
/// once, by the first call of this; a kernel older than 5.16, or one that
/// refuses, leaves the AVX-512 paths).
bool hasAMXBF16();
/// The same for AVX512-BW's int16 multiply-adds (vpmaddwd) and the bytes
/// they widen: the int8 and 4-bit kernels' AVX-512 path.
bool hasAVX512BW();
/// The same with AVX512-VNNI's int16 dot products (vpdpwssd), which fuse
/// vpmaddwd and an add: that path's faster form.
bool hasAVX512VNNI();
/// The same with AVX512-VBMI's byte permutes (vpermb) too: the 4-bit
/// kernels' byte dot products (VNNI's vpdpbusd) on A split into bytes.
bool hasAVX512VBMI();
/// Tests only, with no kernel running: whether the bf16 kernel may use
/// them (where the CPU has them), so that both of its paths get tested.
void useAVX512BF16ForTesting(bool use);
/// Likewise for the AMX tiles, so that the bf16 kernel's AVX-512 paths get
/// tested on a CPU with them.
void useAMXForTesting(bool use);
/// Likewise for AVX512-VNNI, so that the integer kernels' AVX512-BW path
/// gets tested on a CPU with both.
void useAVX512VNNIForTesting(bool use);
/// Likewise for AVX512-VBMI, so that the 4-bit kernels' int16 dot products
/// get tested on a CPU with it.
void useAVX512VBMIForTesting(bool use);
/// Tests only, with no kernel running: whether the kernels may use
/// AVX-512 (where the CPU has it), so that the AVX2 and scalar paths get
/// tested on a CPU that has it; and AVX2 likewise.
void useAVX512ForTesting(bool use);
void useAVX2ForTesting(bool use);
/// Tests only: the switches the functions above set (each limited to what
/// the CPU has), read and put back whole. The has* queries cannot stand in:
/// hasAVX512BF16, hasAVX512VNNI, hasAVX512VBMI and hasAMXBF16 are false
/// while AVX-512 is off.
struct InstructionSetSwitches {
  bool avx512, avx2, avx512bf16, avx512vnni, avx512vbmi, amx;
};
InstructionSetSwitches instructionSetSwitchesForTesting();
void setInstructionSetSwitchesForTesting(const InstructionSetSwitches &switches);

/// Whether a check of the call failed before (genc_index_error,
/// genc_alloc, a kernel's KernelCall::fail): its results are nobody's then, and the sizes the check
/// left may not fit a kernel, which computes nothing.
inline bool aCheckFailed(const genc_context *context) {
  return context && __atomic_load_n(&context->failed_check, __ATOMIC_RELAXED) != 0;
}

/// Calls f(i) for every i in [0, n) on the caller's pool (`context`), or
/// serially when it has none.
template <typename F> void parallelFor(const genc_context *context, int64_t n, F &&f);

namespace detail {
void dispatch(const genc_context *context, int64_t n, genc_task_fn task, void *ctx);
} // namespace detail

template <typename F> void parallelFor(const genc_context *context, int64_t n, F &&f) {
  detail::dispatch(
      context, n, [](void *ctx, int64_t i) { (*static_cast<F *>(ctx))(i); },
      static_cast<void *>(&f));
}

} // namespace genc::kernels

#endif // GENC_KERNELS_PARALLEL_H
