//===- CPUFeatures.h - does this CPU run an artifact's code? ---*- C++ -*-===//

#ifndef GENC_RUNTIME_CPUFEATURES_H
#define GENC_RUNTIME_CPUFEATURES_H

#include <string>
#include <string_view>

namespace genc::runtime {

/// The instruction sets `buildInfo` (an artifact's `genc_build_info`: its
/// "features a,b,..." line, LLVM's names) lists and this CPU lacks, joined
/// by ", "; empty when it runs here, or when no features are recorded.
/// Only sets that code generation uses on its own are checked (vector and
/// bit extensions, AVX10, APX): not system ones (xsave, fsgsbase), not those
/// only intrinsics reach (AES, SHA), and not AMX, which only the runtime's
/// kernels use, after asking the CPU themselves.
std::string missingCPUFeatures(std::string_view buildInfo);

} // namespace genc::runtime

#endif // GENC_RUNTIME_CPUFEATURES_H
