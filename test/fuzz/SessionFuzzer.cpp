//===- SessionFuzzer.cpp - sequences of session calls ---------------------===//
//
// Each input is a sequence of session calls (SessionSequence.h) on the
// model GENC_FUZZ_SESSION_MODEL names, loaded once: a decoder compiled with
// `genc compile --kv-cache=session` (bench/fuzz.sh compiles the trained
// fixture's target).
//
//===----------------------------------------------------------------------===//

#include "SessionSequence.h"

namespace {
genc_model *model = nullptr;
genc::fuzz::SequenceStats stats;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *path = std::getenv("GENC_FUZZ_SESSION_MODEL");
  if (!path || genc_model_load(path, &model) != GENC_OK) {
    std::fprintf(stderr,
                 "genc-fuzz-session: set GENC_FUZZ_SESSION_MODEL to a model compiled with "
                 "--kv-cache=session (%s)\n",
                 path ? genc_status_message() : "unset");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  genc::fuzz::runSessionSequence(model, data, size, stats);
  return 0;
}
