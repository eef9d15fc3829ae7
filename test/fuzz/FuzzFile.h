//===- FuzzFile.h - fuzz inputs as files in a private folder ----*- C++ -*-===//
//
// genc's readers take paths (the importer resolves external data beside the
// model), so each input is written to a file in a folder of its own: a
// model's relative external-data locations then resolve inside it.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TEST_FUZZ_FUZZFILE_H
#define GENC_TEST_FUZZ_FUZZFILE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace genc::fuzz {

/// Writes `data` to NAME in this process's folder and returns its path.
inline const std::string &writeInput(const char *name, const uint8_t *data, size_t size) {
  static const std::string folder = [] {
    std::string pattern = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                          "/genc-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data()))
      std::abort();
    return pattern;
  }();
  static std::string path;
  path = folder + "/" + name;
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0)
    std::abort();
  return path;
}

} // namespace genc::fuzz

#endif // GENC_TEST_FUZZ_FUZZFILE_H
