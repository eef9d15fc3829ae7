//===- Parallel.cpp - kernels run on their caller's pool -------------------===//

#include "Parallel.h"

#include <cstdlib>
#include <cstring>

#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

void genc::kernels::detail::dispatch(const genc_context *context, int64_t n, genc_task_fn task,
                                     void *ctx) {
  if (context && context->parallel_for && n > 1) {
    context->parallel_for(context->pool, n, task, ctx);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    task(ctx, i);
}

extern "C" void genc_parallel_for(const genc_context *context, int64_t n, genc_task_fn task,
                                  void *captures) {
  genc::kernels::detail::dispatch(context, n, task, captures);
}

namespace {
/// Whether GENC_DISABLE_CPU_FEATURES lists `feature` (an exact item of its
/// comma-separated list).
bool disabledByEnvironment(const char *feature) {
  const char *list = std::getenv(GENC_DISABLE_CPU_FEATURES);
  const size_t length = std::strlen(feature);
  for (const char *item = list; item && *item;) {
    const char *end = std::strchr(item, ',');
    size_t itemLength = end ? static_cast<size_t>(end - item) : std::strlen(item);
    if (itemLength == length && std::strncmp(item, feature, length) == 0)
      return true;
    item = end ? end + 1 : nullptr;
  }
  return false;
}

/// Asked once, when the artifact loads: a function-local static would be
/// initialized by every pool thread at once, since the kernels are built
/// without thread-safe statics (ThreadSanitizer's finding).
const bool kHasAVX512 = [] {
  __builtin_cpu_init(); // may run before the CPU model's own constructor
  return __builtin_cpu_supports("avx512f") != 0 && !disabledByEnvironment("avx512");
}();
const bool kHasAVX2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0 &&
         !disabledByEnvironment("avx2");
}();
const bool kHasF16C = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("f16c") != 0;
}();
const bool kHasAVX512BF16 = [] {
  __builtin_cpu_init();
  return kHasAVX512 && __builtin_cpu_supports("avx512bf16") != 0 &&
         !disabledByEnvironment("avx512bf16");
}();
const bool kHasAVX512BW = [] {
  __builtin_cpu_init();
  return kHasAVX512 && __builtin_cpu_supports("avx512bw") != 0;
}();
const bool kHasAVX512VNNI = [] {
  __builtin_cpu_init();
  return kHasAVX512BW && __builtin_cpu_supports("avx512vnni") != 0 &&
         !disabledByEnvironment("avx512vnni");
}();
const bool kHasAVX512VBMI = [] {
  __builtin_cpu_init();
  return kHasAVX512VNNI && __builtin_cpu_supports("avx512vbmi") != 0 &&
         !disabledByEnvironment("avx512vbmi");
}();
const bool kHasAMXBF16 = [] {
  __builtin_cpu_init();
  return kHasAVX512BF16 && __builtin_cpu_supports("amx-tile") != 0 &&
         __builtin_cpu_supports("amx-bf16") != 0 && !disabledByEnvironment("amx");
}();

/// AMX tiles also need, since Linux 5.16, the process's request for their
/// state (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); without
/// the grant their first use is a SIGILL. Asked at the first call that
/// would use them, not when the artifact loads: the grant is the whole
/// process's (its signal stacks must then hold the tiles' 8 KB), and a
/// process that never multiplies bf16 rows should not change for it.
/// Threads that ask at once each make the same request.
int amxGrant = 0; // 0: not asked yet, 1: granted, 2: refused or not Linux
bool amxGranted() {
  int grant = __atomic_load_n(&amxGrant, __ATOMIC_ACQUIRE);
  if (grant == 0) {
#ifdef __linux__
    constexpr long kRequestPermission = 0x1023, kTileData = 18;
    grant = syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0 ? 1 : 2;
#else
    grant = 2;
#endif
    __atomic_store_n(&amxGrant, grant, __ATOMIC_RELEASE);
  }
  return grant == 1;
}
bool useAVX512 = kHasAVX512;
bool useAVX2 = kHasAVX2;
bool useAVX512BF16 = kHasAVX512BF16;
bool useAVX512VNNI = kHasAVX512VNNI;
bool useAVX512VBMI = kHasAVX512VBMI;
bool useAMX = kHasAMXBF16;
} // namespace

bool genc::kernels::hasAVX512() { return useAVX512; }
bool genc::kernels::hasAVX2() { return useAVX2; }
bool genc::kernels::hasF16C() { return useAVX2 && kHasF16C; }
bool genc::kernels::hasAVX512BF16() { return useAVX512BF16 && useAVX512; }
bool genc::kernels::hasAMXBF16() { return useAMX && hasAVX512BF16() && amxGranted(); }
bool genc::kernels::hasAVX512BW() { return kHasAVX512BW && useAVX512; }
bool genc::kernels::hasAVX512VNNI() { return useAVX512VNNI && useAVX512; }
bool genc::kernels::hasAVX512VBMI() { return useAVX512VBMI && hasAVX512VNNI(); }
void genc::kernels::useAVX512BF16ForTesting(bool use) { useAVX512BF16 = use && kHasAVX512BF16; }
void genc::kernels::useAVX512VNNIForTesting(bool use) { useAVX512VNNI = use && kHasAVX512VNNI; }
void genc::kernels::useAVX512VBMIForTesting(bool use) { useAVX512VBMI = use && kHasAVX512VBMI; }
void genc::kernels::useAMXForTesting(bool use) { useAMX = use && kHasAMXBF16; }
void genc::kernels::useAVX512ForTesting(bool use) { useAVX512 = use && kHasAVX512; }
void genc::kernels::useAVX2ForTesting(bool use) { useAVX2 = use && kHasAVX2; }
genc::kernels::InstructionSetSwitches genc::kernels::instructionSetSwitchesForTesting() {
  return {useAVX512, useAVX2, useAVX512BF16, useAVX512VNNI, useAVX512VBMI, useAMX};
}
void genc::kernels::setInstructionSetSwitchesForTesting(const InstructionSetSwitches &switches) {
  useAVX512ForTesting(switches.avx512);
  useAVX2ForTesting(switches.avx2);
  useAVX512BF16ForTesting(switches.avx512bf16);
  useAVX512VNNIForTesting(switches.avx512vnni);
  useAVX512VBMIForTesting(switches.avx512vbmi);
  useAMXForTesting(switches.amx);
}
