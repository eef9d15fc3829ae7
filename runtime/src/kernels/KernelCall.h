//===- KernelCall.h - a kernel's caller, and how a kernel fails it -*- C++ -*-===//

#ifndef GENC_KERNELS_KERNELCALL_H
#define GENC_KERNELS_KERNELCALL_H

#include "Parallel.h"

#include <cstdint>
#include <cstdlib>
#include <initializer_list>

namespace genc::kernels {

/// The call a kernel computes part of: the caller's context (its threads,
/// and where a failure goes) and the check that names the ONNX node.
struct KernelCall {
  genc_context *context;
  int64_t check;

  /// Whether a check of the call failed: the kernel computes nothing then.
  bool failed() const { return aCheckFailed(context); }
  /// Fails the call: `reason`, a static string, may hold {index} and
  /// {bound}. The first failure of a call is the one reported; any
  /// thread may fail it. Without a context, prints it and aborts.
  void fail(const char *reason, int64_t index = 0, int64_t bound = 0) const;
  /// Fails the call for `bytes` of scratch memory malloc would not give
  /// (INT64_MAX: more than int64 counts).
  void failOutOfMemory(int64_t bytes) const;
};

/// The product of `factors` (counts of values), or -1 when one is
/// negative or the product overflows: scratch sizes come from operands'
/// sizes, which broadcasts (stride 0) let grow past any buffer.
inline int64_t countOf(std::initializer_list<int64_t> factors) {
  int64_t product = 1;
  for (int64_t factor : factors)
    if (factor < 0 || __builtin_mul_overflow(product, factor, &product))
      return -1;
  return product;
}

/// Values of T from malloc, freed at the end of the scope (the kernels
/// use no C++ runtime library, so no operator new and no std::vector).
/// When malloc has none, the call is failed and the kernel must return.
template <typename T> class Scratch {
public:
  /// Holds nothing until allocate.
  Scratch() = default;
  /// `count` values; test with operator bool.
  Scratch(const KernelCall &call, int64_t count) { allocate(call, count); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() { std::free(values); }

  /// `count` values (at least one) in place of those held; false, the
  /// call failed, when malloc has none or `count` is negative (countOf's
  /// overflow).
  bool allocate(const KernelCall &call, int64_t count) {
    std::free(values);
    values = nullptr;
    const int64_t bytes = countOf({count > 0 ? count : 1, static_cast<int64_t>(sizeof(T))});
    // Cache-line aligned: rows of an AMX tile are 64 bytes.
    if (count >= 0 && bytes >= 0 && bytes <= INT64_MAX - 63)
      values =
          static_cast<T *>(std::aligned_alloc(64, static_cast<size_t>((bytes + 63) / 64 * 64)));
    if (!values)
      call.failOutOfMemory(count >= 0 && bytes >= 0 ? bytes : INT64_MAX);
    return values != nullptr;
  }
  explicit operator bool() const { return values != nullptr; }
  /// Null when nothing is held.
  T *data() { return values; }
  T &operator[](int64_t i) { return values[i]; }

private:
  T *values = nullptr;
};

} // namespace genc::kernels

#endif // GENC_KERNELS_KERNELCALL_H
