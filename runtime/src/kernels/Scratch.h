//===- Scratch.h - a kernel's temporary buffer ------------------*- C++ -*-===//

#ifndef GENC_KERNELS_SCRATCH_H
#define GENC_KERNELS_SCRATCH_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace genc::kernels {

/// n values of T from malloc, freed at the end of the scope: the kernels
/// use no C++ runtime library (artifacts link them without one), so no
/// operator new and no std::vector.
template <typename T> class Scratch {
public:
  explicit Scratch(int64_t n)
      : values(static_cast<T *>(std::malloc(sizeof(T) * static_cast<size_t>(n > 0 ? n : 1)))) {
    if (!values) {
      std::fprintf(stderr, "genc kernels: out of memory for %lld temporary values\n",
                   static_cast<long long>(n));
      std::abort();
    }
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() { std::free(values); }
  T *data() { return values; }
  T &operator[](int64_t i) { return values[i]; }

private:
  T *values;
};

} // namespace genc::kernels

#endif // GENC_KERNELS_SCRATCH_H
