//===- RunCommand.cpp - `genc run` ------------------------------------------===//

#include "Commands.h"
#include "Help.h"
#include "Inputs.h"
#include "Progress.h"

#include "genc/genc.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <chrono>
#include <memory>

namespace cl = llvm::cl;
using namespace genc::driver;

static int failWith(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

int genc::driver::runRun(int argc, char **argv) {
  // An LLVM library registers its own --threads; ours sets the runtime's.
  if (auto *other = cl::getRegisteredOptions().lookup("threads"))
    other->removeArgument();
  cl::OptionCategory &io = inputOutputCategory(), &execution = executionCategory();
  cl::opt<std::string> model(cl::Positional, cl::desc("<model.onnx | artifact.so>"),
                             cl::Required, cl::cat(io));
  cl::list<std::string> inputs("input", cl::desc("An input as NAME=FILE (.npy, or an ONNX TensorProto .pb)"),
                               cl::value_desc("NAME=FILE"), cl::cat(io));
  cl::opt<std::string> outputDir("output-dir", cl::desc("Write <output name>.npy here"),
                                 cl::value_desc("dir"), cl::cat(io));
  cl::opt<unsigned> repeat("repeat",
                           cl::desc("Run N more times after a warm-up and print the median "
                                    "and minimum latency of the call"),
                           cl::init(0), cl::cat(execution));
  cl::opt<unsigned> threads("threads",
                            cl::desc("Threads the kernels run on, this one included "
                                     "(default 0: every CPU the process may use)"),
                            cl::init(0), cl::cat(execution));
  // In --threads' category, whichever that is.
  cl::opt<bool> verify("verify",
                       cl::desc("Before running, hash every byte of the weights file and "
                                "compare with the hash recorded at compile time (loading "
                                "checks a sample only)"),
                       cl::init(false), cl::cat(*threads.Categories.front()));
  registerCompileDebugOptions(); // a .onnx model compiles first
  Progress::registerQuietOption();
  hideOtherOptions();
  parseCommandLine(argc, argv, "genc run: run a model on .npy inputs\n");

  std::optional<std::string> artifact = compiledArtifact(model, {});
  if (!artifact)
    return 1;

  genc_model *loaded = nullptr;
  if (genc_model_load(artifact->c_str(), &loaded) != GENC_OK)
    return failWith(genc_status_message());
  std::unique_ptr<genc_model, void (*)(genc_model *)> handle(loaded, genc_model_free);
  if (verify && genc_model_verify(loaded) != GENC_OK)
    return failWith(genc_status_message());
  if (genc_model_is_for_session(loaded))
    return failWith(*artifact + " keeps its KV cache in a session (compiled with "
                                "--kv-cache=session): generate with `genc generate`, or compile "
                                "it with --kv-cache=io to run it on tensors");
  if (genc_model_set_threads(loaded, threads) != GENC_OK)
    return failWith(genc_status_message());

  std::optional<NamedInputs> given = loadNamedInputs(inputs, loaded);
  if (!given)
    return 1;
  std::vector<const genc_tensor *> &ordered = given->ordered;

  size_t numOutputs = genc_model_num_outputs(loaded);
  auto runOnce = [&](std::vector<TensorPtr> &outs) -> bool {
    std::vector<genc_tensor *> raw(numOutputs, nullptr);
    genc_status s = genc_model_run(loaded, ordered.data(), ordered.size(), raw.data());
    outs.clear();
    for (genc_tensor *t : raw)
      outs.emplace_back(t);
    return s == GENC_OK;
  };
  std::vector<TensorPtr> outputs;
  if (!runOnce(outputs))
    return failWith(genc_status_message());
  if (repeat > 0) {
    std::vector<double> ms;
    for (unsigned r = 0; r < repeat; ++r) {
      std::vector<TensorPtr> scratch;
      auto start = std::chrono::steady_clock::now();
      if (!runOnce(scratch))
        return failWith(genc_status_message());
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    llvm::outs() << llvm::format("latency over %u runs: median %.3f ms, min %.3f ms\n", unsigned(repeat),
                                 ms[ms.size() / 2], ms.front());
  }
  if (!outputDir.empty())
    llvm::sys::fs::create_directories(outputDir);
  for (size_t k = 0; k < numOutputs; ++k) {
    genc_tensor *t = outputs[k].get();
    llvm::outs() << genc_model_output_name(loaded, k) << ": " << genc_dtype_name(genc_tensor_dtype(t)) << "[";
    for (size_t d = 0; d < genc_tensor_rank(t); ++d)
      llvm::outs() << (d ? "," : "") << genc_tensor_dims(t)[d];
    llvm::outs() << "]\n";
    if (outputDir.empty())
      continue;
    llvm::SmallString<256> path(outputDir);
    llvm::sys::path::append(path, std::string(genc_model_output_name(loaded, k)) + ".npy");
    if (genc_tensor_save_npy(t, path.c_str()) != GENC_OK)
      return failWith(genc_status_message());
  }
  return 0;
}
