//===- SignatureFuzzer.cpp - artifact signatures and weights headers ------===//
//
// Loads this program as a linked artifact (genc_model_load_linked), whose
// `genc_signature` is the input up to its first NUL byte; the bytes after
// it are the weights file. That runs the runtime's own path: the signature
// parser, the entry points it names, then the weights file's header checks.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "genc/genc.h"

#include <cstring>

// Found by dlsym in this program (linked with -rdynamic), as in an
// executable that `genc compile --emit=exe` made.
extern "C" {
char genc_signature[1 << 16];
void genc_main(void **) {}
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const void *nul = std::memchr(data, 0, size);
  size_t textSize = nul ? static_cast<const uint8_t *>(nul) - data : size;
  if (textSize >= sizeof genc_signature)
    return 0;
  std::memcpy(genc_signature, data, textSize);
  genc_signature[textSize] = '\0';
  size_t weightsStart = nul ? textSize + 1 : size;
  const std::string &weights =
      genc::fuzz::writeInput("model.weights", data + weightsStart, size - weightsStart);
  genc_model *model = nullptr;
  if (genc_model_load_linked(weights.c_str(), &model) == GENC_OK)
    genc_model_free(model);
  return 0;
}
