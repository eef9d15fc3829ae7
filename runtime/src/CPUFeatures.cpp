//===- CPUFeatures.cpp - does this CPU run an artifact's code? -------------===//

#include "CPUFeatures.h"

namespace {
/// One instruction set by its LLVM name, as genc_build_info lists it, and
/// whether this CPU has it.
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
} // namespace

std::string genc::runtime::missingCPUFeatures(std::string_view buildInfo) {
  constexpr std::string_view kKey = "features ";
  std::string_view listed;
  for (std::string_view rest = buildInfo; !rest.empty();)
    if (std::string_view line = takeUntil(rest, '\n'); line.starts_with(kKey))
      listed = line.substr(kKey.size());

  __builtin_cpu_init(); // may run before the CPU model's own constructor
  // Mostly the name __builtin_cpu_supports takes too; APX's parts (extended
  // registers, new data destinations, ...) are all one CPUID bit, apxf.
#define GENC_FEATURE(name)                                                                         \
  Feature { name, __builtin_cpu_supports(name) != 0 }
#define GENC_APX_PART(name)                                                                        \
  Feature { name, __builtin_cpu_supports("apxf") != 0 }
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
      GENC_FEATURE("aes"),
      GENC_FEATURE("pclmul"),
      GENC_FEATURE("vaes"),
      GENC_FEATURE("vpclmulqdq"),
      GENC_FEATURE("gfni"),
      GENC_FEATURE("sha"),
      GENC_FEATURE("sha512"),
      GENC_FEATURE("sm3"),
      GENC_FEATURE("sm4"),
      GENC_FEATURE("avx"),
      GENC_FEATURE("avx2"),
      GENC_FEATURE("fma"),
      GENC_FEATURE("fma4"),
      GENC_FEATURE("xop"),
      GENC_FEATURE("f16c"),
      GENC_FEATURE("avxvnni"),
      GENC_FEATURE("avxvnniint8"),
      GENC_FEATURE("avxvnniint16"),
      GENC_FEATURE("avxifma"),
      GENC_FEATURE("avxneconvert"),
      GENC_FEATURE("cmpccxadd"),
      GENC_FEATURE("movrs"),
      GENC_FEATURE("prefetchi"),
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
      GENC_FEATURE("avx10.1"),
      GENC_FEATURE("avx10.2"),
      GENC_APX_PART("egpr"),
      GENC_APX_PART("ndd"),
      GENC_APX_PART("nf"),
      GENC_APX_PART("ppx"),
      GENC_APX_PART("push2pop2"),
      GENC_APX_PART("ccmp"),
      GENC_APX_PART("zu"),
      GENC_APX_PART("cf"),
  };
#undef GENC_FEATURE
#undef GENC_APX_PART

  std::string missing;
  while (!listed.empty()) {
    std::string_view name = takeUntil(listed, ',');
    for (const Feature &feature : known)
      if (feature.name == name && !feature.present)
        missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  return missing;
}
