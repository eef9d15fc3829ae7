//===- CPUFeatures.cpp - does this CPU run an artifact's code? -------------===//
//
// The older sets are asked of __builtin_cpu_supports. Its answers come from
// the C runtime's CPU model (libgcc here), which may predate the newest
// sets and then reports them absent on CPUs that have them: those (AVX10,
// APX, the VEX forms of VNNI-INT8/16, IFMA and NE-CONVERT) are read from
// CPUID and XCR0 here, as LLVM's host detection reads them.
//
//===----------------------------------------------------------------------===//

#include "CPUFeatures.h"

#include <cpuid.h>
#include <cstdint>

namespace {
/// One instruction set by its LLVM name, as genc_build_info lists it, and
/// whether this CPU (and its operating system) lets code use it.
struct Feature {
  std::string_view name;
  bool present;
};

/// The text of `rest` up to the first `separator` (all of it without
/// one); `rest` keeps what follows the separator.
std::string_view takeUntil(std::string_view &rest, char separator) {
  size_t end = rest.find(separator);
  std::string_view head = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return head;
}

struct Registers {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

/// CPUID leaf `leaf`, sub-leaf `sub`; zeros where the CPU has no such leaf.
Registers cpuid(unsigned leaf, unsigned sub) {
  Registers r;
  if (!__get_cpuid_count(leaf, sub, &r.eax, &r.ebx, &r.ecx, &r.edx))
    return {};
  return r;
}

/// The register state the operating system saves (XCR0): without it, the
/// registers of AVX, AVX-512 or APX cannot be used whatever CPUID says.
uint64_t savedState() {
  if (!(cpuid(1, 0).ecx & bit_OSXSAVE))
    return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}
} // namespace

std::string genc::runtime::missingCPUFeatures(std::string_view buildInfo) {
  constexpr std::string_view kKey = "features ";
  std::string_view listed;
  for (std::string_view rest = buildInfo; !rest.empty();)
    if (std::string_view line = takeUntil(rest, '\n'); line.starts_with(kKey))
      listed = line.substr(kKey.size());

  const uint64_t state = savedState();
  const bool avxState = (state & 0x6) == 0x6, avx512State = (state & 0xe6) == 0xe6,
             apxState = (state >> 19) & 1;
  const Registers leaf7Sub1 = cpuid(7, 1);
  const bool avx10 = (leaf7Sub1.edx & bit_AVX10) && avx512State;
  const unsigned avx10Version = avx10 ? cpuid(0x24, 0).ebx & 0xff : 0;
  const bool apx = (leaf7Sub1.edx & bit_APXF) && apxState;
  auto avxSet = [&](unsigned bits, unsigned bit) { return (bits & bit) && avxState; };

  __builtin_cpu_init(); // may run before the CPU model's own constructor
#define GENC_FEATURE(name) Feature{name, __builtin_cpu_supports(name) != 0}
  // Sets code generation uses on its own; sets only intrinsics reach (AES,
  // SHA, CMPccXADD, ...) and AMX (only the runtime's kernels use it, after
  // asking the CPU themselves) are not checked.
  const Feature known[] = {
      GENC_FEATURE("cmov"),
      GENC_FEATURE("mmx"),
      GENC_FEATURE("sse"),
      GENC_FEATURE("sse2"),
      GENC_FEATURE("sse3"),
      GENC_FEATURE("ssse3"),
      GENC_FEATURE("sse4.1"),
      GENC_FEATURE("sse4.2"),
      GENC_FEATURE("sse4a"),
      GENC_FEATURE("popcnt"),
      GENC_FEATURE("lzcnt"),
      GENC_FEATURE("bmi"),
      GENC_FEATURE("bmi2"),
      GENC_FEATURE("tbm"),
      GENC_FEATURE("adx"),
      GENC_FEATURE("movbe"),
      GENC_FEATURE("cx16"),
      GENC_FEATURE("gfni"),
      GENC_FEATURE("avx"),
      GENC_FEATURE("avx2"),
      GENC_FEATURE("fma"),
      GENC_FEATURE("fma4"),
      GENC_FEATURE("xop"),
      GENC_FEATURE("f16c"),
      GENC_FEATURE("avxvnni"),
      GENC_FEATURE("avx512f"),
      GENC_FEATURE("avx512cd"),
      GENC_FEATURE("avx512dq"),
      GENC_FEATURE("avx512bw"),
      GENC_FEATURE("avx512vl"),
      GENC_FEATURE("avx512ifma"),
      GENC_FEATURE("avx512vbmi"),
      GENC_FEATURE("avx512vbmi2"),
      GENC_FEATURE("avx512vnni"),
      GENC_FEATURE("avx512bitalg"),
      GENC_FEATURE("avx512vpopcntdq"),
      GENC_FEATURE("avx512bf16"),
      GENC_FEATURE("avx512fp16"),
      GENC_FEATURE("avx512vp2intersect"),
      {"avxifma", avxSet(leaf7Sub1.eax, bit_AVXIFMA)},
      {"avxvnniint8", avxSet(leaf7Sub1.edx, bit_AVXVNNIINT8)},
      {"avxvnniint16", avxSet(leaf7Sub1.edx, bit_AVXVNNIINT16)},
      {"avxneconvert", avxSet(leaf7Sub1.edx, bit_AVXNECONVERT)},
      {"avx10.1", avx10Version >= 1},
      {"avx10.2", avx10Version >= 2},
      // APX's parts (more registers, new data destinations, ...): one bit.
      {"egpr", apx},
      {"ndd", apx},
      {"nf", apx},
      {"ppx", apx},
      {"push2pop2", apx},
      {"ccmp", apx},
      {"zu", apx},
      {"cf", apx},
  };
#undef GENC_FEATURE

  std::string missing;
  while (!listed.empty()) {
    std::string_view name = takeUntil(listed, ',');
    for (const Feature &feature : known)
      if (feature.name == name && !feature.present)
        missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  return missing;
}
