//===- NpyFuzzer.cpp - the runtime's .npy reader on arbitrary bytes -------===//

#include "FuzzFile.h"

#include "genc/genc.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = genc::fuzz::writeInput("tensor.npy", data, size);
  genc_tensor *tensor = nullptr;
  if (genc_tensor_load_npy(path.c_str(), &tensor) != GENC_OK)
    return 0;
  // What a caller does next: read every byte it was promised.
  volatile char sink = 0;
  const char *bytes = static_cast<const char *>(genc_tensor_data(tensor));
  for (size_t i = 0; i < genc_tensor_size_bytes(tensor); ++i)
    sink = sink ^ bytes[i];
  genc_tensor_free(tensor);
  return 0;
}
