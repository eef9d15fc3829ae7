//===- wrapper_check.cpp - genc.hpp's Model and Tensor on relu-matmul -----===//
//
// Built against an installed genc by test/Target/embed.test:
//   wrapper_check RELU.so X.npy W.npy OUT.npy
// Runs the model with its inputs in signature order and by name (reversed),
// saves y, and checks that failures throw genc::Error with the C API's
// status and message. Prints one line per check; exits 1 on the first
// that fails.
//
//===----------------------------------------------------------------------===//

#include <genc/genc.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

static int failures = 0;

static void expect(bool ok, const char *what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  failures += !ok;
}

template <typename Call> static void expectError(genc_status status, Call call, const char *what) {
  try {
    call();
    expect(false, what);
  } catch (const genc::Error &error) {
    std::printf("  (%s)\n", error.what());
    expect(error.status() == status && *error.what() != '\0', what);
  }
}

int main(int argc, char **argv) {
  if (argc != 5)
    return 2;
  genc::Model model(argv[1]);
  expect(!model.isForSession() && model.maxPositions() == 0 && model.numInputs() == 2 &&
             model.inputName(0) == "x" && model.outputName(0) == "y",
         "signature");

  model.verify();

  std::vector<genc::Tensor> inputs;
  inputs.push_back(genc::Tensor::loadNpy(argv[2]));
  inputs.push_back(genc::Tensor::loadNpy(argv[3]));
  std::vector<genc::Tensor> ordered = model.run(inputs);
  std::vector<genc::NamedInput> named = {{"w", inputs[1]}, {"x", inputs[0]}};
  std::vector<genc::Tensor> byName = model.run(named);
  std::span<const float> y = ordered[0].data<float>(), yByName = byName[0].data<float>();
  expect(std::ranges::equal(ordered[0].dims(), inputs[0].dims()) &&
             std::ranges::equal(y, yByName) &&
             std::ranges::all_of(y, [](float v) { return v >= 0; }),
         "inputs in order and by name give one nonnegative y");
  ordered[0].saveNpy(argv[4]);

  genc::Tensor ids(GENC_I64, {1, 3});
  expect(ids.numElements() == 3 && ids.sizeBytes() == 24 &&
             std::ranges::all_of(ids.data<int64_t>(), [](int64_t v) { return v == 0; }),
         "a new tensor is zero-filled");

  expectError(
      GENC_ERROR_INVALID_ARGUMENT, [&] { (void)ids.data<float>(); },
      "an int64 tensor viewed as float throws");
  expectError(
      GENC_ERROR_IO, [] { genc::Model missing("no-such-model.so"); },
      "a missing artifact throws an I/O error");
  expectError(
      GENC_ERROR_INVALID_ARGUMENT,
      [&] {
        std::vector<genc::NamedInput> wrong = {{"x", inputs[0]}, {"v", inputs[1]}};
        model.run(wrong);
      },
      "an unknown input name throws");
  expectError(
      GENC_ERROR_INVALID_ARGUMENT,
      [&] {
        genc::SessionOptions options{.max_context = 8, .max_rows = 1, .threads = 1};
        genc::Session session(model, options);
      },
      "a session over a model without token inputs throws");
  return failures ? 1 : 0;
}
