//===- SessionReplay.cpp - session call sequences, without libFuzzer ------===//
//
// genc-session-replay MODEL.so [--random COUNT SEED] [FILE...]
//
// Runs the sequences of session calls (test/fuzz/SessionSequence.h) that
// FILEs hold and COUNT random ones (seeded, so a failure repeats) on
// MODEL, and prints how many calls ran and were refused. A broken promise
// of genc.h aborts.
//
//===----------------------------------------------------------------------===//

#include "../fuzz/SessionSequence.h"

#include <fstream>
#include <iterator>
#include <random>
#include <string>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: genc-session-replay MODEL.so [--random COUNT SEED] [FILE...]\n");
    return 2;
  }
  genc_model *model = nullptr;
  if (genc_model_load(argv[1], &model) != GENC_OK) {
    std::fprintf(stderr, "error: %s\n", genc_status_message());
    return 2;
  }
  genc::fuzz::SequenceStats stats;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--random" && i + 2 < argc) {
      long count = std::strtol(argv[i + 1], nullptr, 10);
      std::mt19937 rng(static_cast<unsigned>(std::strtoul(argv[i + 2], nullptr, 10)));
      for (long n = 0; n < count; ++n) {
        std::vector<uint8_t> bytes(8 + rng() % 120);
        for (uint8_t &b : bytes)
          b = static_cast<uint8_t>(rng());
        genc::fuzz::runSessionSequence(model, bytes.data(), bytes.size(), stats);
      }
      i += 2;
      continue;
    }
    std::ifstream file(argv[i], std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "error: cannot read '%s'\n", argv[i]);
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
    genc::fuzz::runSessionSequence(model, bytes.data(), bytes.size(), stats);
  }
  genc_model_free(model);
  std::printf("%llu sequences, %llu calls, %llu refused, every promise kept\n",
              static_cast<unsigned long long>(stats.sequences),
              static_cast<unsigned long long>(stats.calls),
              static_cast<unsigned long long>(stats.refused));
  return 0;
}
