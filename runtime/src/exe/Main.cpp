//===- Main.cpp - the main() of `genc compile --emit=exe` programs ---------===//
//
// A decoder compiled for sessions (`--kv-cache=session`) is a generator:
//
//   PROGRAM (--prompt TEXT | --prompt-ids IDS) [genc generate's options]
//
// any other model runs on tensors:
//
//   PROGRAM --input NAME=FILE.npy ... [--output-dir DIR] [--threads T]
//
// printing each output's dtype and shape and writing DIR/<output
// name>.npy. The weights are PROGRAM.weights beside the program.
//
//===----------------------------------------------------------------------===//

#include "generator/Generator.h"
#include "genc/genc.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using Tensor = std::unique_ptr<genc_tensor, void (*)(genc_tensor *)>;

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

std::string selfPath(const char *argv0) {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string(argv0);
}

int usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s --input NAME=FILE.npy ... [--output-dir DIR] [--threads T]\n",
               argv0);
  return 2;
}

/// Generation with the program's own model (and perhaps a compiled draft).
int generate(genc_model *self, int argc, char **argv) {
  using namespace genc::generator;
  std::vector<std::string> positional;
  GeneratorOptions options;
  try {
    options = parseGeneratorOptions(argc, argv, 1, positional);
  } catch (const std::exception &e) {
    return fail(e.what());
  }
  if (options.help) {
    std::printf("usage: %s (--prompt TEXT | --prompt-ids IDS) [options]\n\n%s", argv[0],
                generatorOptionsHelp(/*compiledProgram=*/true).c_str());
    return 0;
  }
  if (!positional.empty())
    return fail("unexpected argument '" + positional[0] + "'; see --help");
  if (!options.encoder.empty())
    return fail("--encoder: this program's encoder, if it has one, is compiled in");
  auto open = [&](const std::string &path,
                  const genc::runtime::SessionOptions &sessionOptions) -> LoadedSession {
    if (!path.empty())
      return loadSession(path, sessionOptions); // a draft
    std::shared_ptr<genc_model> model(self, [](genc_model *) {});
    return {model, std::make_unique<genc::runtime::Session>(*model, sessionOptions)};
  };
  return runGenerator(options, "", open);
}

/// The model on .npy tensors.
int runTensors(genc_model *loaded, int argc, char **argv) {
  std::vector<std::string> names;
  std::vector<Tensor> inputs;
  std::string outputDir;
  unsigned threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--input") {
      const char *spec = value();
      const char *eq = spec ? std::strchr(spec, '=') : nullptr;
      if (!eq)
        return fail("--input takes NAME=FILE.npy");
      genc_tensor *t = nullptr;
      if (genc_tensor_load_npy(eq + 1, &t) != GENC_OK)
        return fail(genc_status_message());
      names.emplace_back(spec, eq);
      inputs.emplace_back(t, genc_tensor_free);
    } else if (arg == "--output-dir") {
      const char *dir = value();
      if (!dir)
        return usage(argv[0]);
      outputDir = dir;
    } else if (arg == "--threads") {
      const char *t = value();
      if (!t)
        return usage(argv[0]);
      threads = static_cast<unsigned>(std::strtoul(t, nullptr, 10));
    } else {
      return usage(argv[0]);
    }
  }

  if (genc_model_set_threads(loaded, threads) != GENC_OK)
    return fail(genc_status_message());

  std::vector<const char *> cNames;
  std::vector<const genc_tensor *> given, ordered(genc_model_num_inputs(loaded));
  for (size_t k = 0; k < names.size(); ++k) {
    cNames.push_back(names[k].c_str());
    given.push_back(inputs[k].get());
  }
  if (genc_model_order_inputs(loaded, cNames.data(), given.data(), given.size(), ordered.data()) !=
      GENC_OK)
    return fail(genc_status_message());

  size_t numOutputs = genc_model_num_outputs(loaded);
  std::vector<genc_tensor *> raw(numOutputs, nullptr);
  genc_status status = genc_model_run(loaded, ordered.data(), ordered.size(), raw.data());
  std::vector<Tensor> outputs;
  for (genc_tensor *t : raw)
    outputs.emplace_back(t, genc_tensor_free);
  if (status != GENC_OK)
    return fail(genc_status_message());
  if (!outputDir.empty())
    mkdir(outputDir.c_str(), 0777);
  for (size_t k = 0; k < numOutputs; ++k) {
    genc_tensor *t = outputs[k].get();
    std::printf("%s: %s[", genc_model_output_name(loaded, k), genc_dtype_name(genc_tensor_dtype(t)));
    for (size_t d = 0; d < genc_tensor_rank(t); ++d)
      std::printf("%s%lld", d ? "," : "", static_cast<long long>(genc_tensor_dims(t)[d]));
    std::printf("]\n");
    if (outputDir.empty())
      continue;
    std::string path = outputDir + "/" + genc_model_output_name(loaded, k) + ".npy";
    if (genc_tensor_save_npy(t, path.c_str()) != GENC_OK)
      return fail(genc_status_message());
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  genc_model *loaded = nullptr;
  if (genc_model_load_linked((selfPath(argv[0]) + ".weights").c_str(), &loaded) != GENC_OK)
    return fail(genc_status_message());
  std::unique_ptr<genc_model, void (*)(genc_model *)> model(loaded, genc_model_free);
  return genc_model_is_for_session(loaded) ? generate(loaded, argc, argv)
                                          : runTensors(loaded, argc, argv);
}
