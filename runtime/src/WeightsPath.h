//===- WeightsPath.h - where an artifact's weights file is ------*- C++ -*-===//

#ifndef GENC_RUNTIME_WEIGHTSPATH_H
#define GENC_RUNTIME_WEIGHTSPATH_H

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace genc::runtime {

/// The weights file of the artifact at `artifact`: ARTIFACT.weights beside
/// the path given or, when the path is a symbolic link with nothing of that
/// name beside it, beside the file it links to. What loading maps and
/// `genc inspect` shows.
inline std::string weightsPathOf(const std::string &artifact) {
  std::string beside = artifact + ".weights";
  // Anything there, a link to nothing included, is the one meant: loading
  // then says what is wrong with it rather than reading other weights.
  struct stat entry;
  if (lstat(beside.c_str(), &entry) == 0)
    return beside;
  if (char *target = realpath(artifact.c_str(), nullptr)) {
    std::string besideTarget = std::string(target) + ".weights";
    std::free(target);
    if (access(besideTarget.c_str(), F_OK) == 0)
      return besideTarget;
  }
  return beside;
}

/// The weights file of the program (`--emit=exe`) at `program`: beside
/// the file itself, a symbolic link's target, since a program finds its
/// weights from /proc/self/exe.
inline std::string programWeightsPathOf(const std::string &program) {
  char *target = realpath(program.c_str(), nullptr);
  std::string path = (target ? std::string(target) : program) + ".weights";
  std::free(target);
  return path;
}

} // namespace genc::runtime

#endif // GENC_RUNTIME_WEIGHTSPATH_H
