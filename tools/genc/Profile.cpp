//===- Profile.cpp - time per op family of a compiled model ----------------===//

#include "CompileReport.h"
#include "Inputs.h"

#include "genc/genc.h"
#include "genc/kernels.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace genc::driver;

namespace {

/// Timed runs per input group, after one warm-up.
constexpr int kRepeats = 5;

/// Batch and new tokens from `input_ids` (else the first rank-2 integer
/// input), cached positions from a rank-4 `past*` input.
void readShape(const NamedInputs &inputs, ProfileRun &run) {
  const genc_tensor *ids = nullptr;
  for (size_t k = 0; k < inputs.names.size(); ++k) {
    const genc_tensor *t = inputs.tensors[k].get();
    genc_dtype dtype = genc_tensor_dtype(t);
    bool integer = dtype == GENC_I64 || dtype == GENC_I32;
    if (inputs.names[k] == "input_ids" || (!ids && integer && genc_tensor_rank(t) == 2))
      ids = t;
    if (genc_tensor_rank(t) == 4 && llvm::StringRef(inputs.names[k]).contains("past"))
      run.past = genc_tensor_dims(t)[2];
  }
  if (ids && genc_tensor_rank(ids) == 2) {
    run.batch = genc_tensor_dims(ids)[0];
    run.tokens = genc_tensor_dims(ids)[1];
  }
}

} // namespace

bool genc::driver::profileArtifact(llvm::StringRef artifact, llvm::ArrayRef<std::string> specs,
                                   CompileReport &report) {
  auto fail = [](const llvm::Twine &message) {
    llvm::errs() << "error: " << message << "\n";
    return false;
  };
  genc_model *loaded = nullptr;
  if (genc_model_load(artifact.str().c_str(), &loaded) != GENC_OK)
    return fail(genc_status_message());
  std::unique_ptr<genc_model, void (*)(genc_model *)> model(loaded, genc_model_free);
  if (genc_model_is_for_session(loaded))
    return fail("--profile-input runs the model on tensors, and --kv-cache=session compiles it "
                "for sessions: profile it compiled with --kv-cache=io");
  size_t numOutputs = genc_model_num_outputs(loaded);
  for (const std::string &group : specs) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(group).split(parts, ',', -1, /*KeepEmpty=*/false);
    std::vector<std::string> named(parts.begin(), parts.end());
    std::optional<NamedInputs> inputs = loadNamedInputs(named, loaded);
    if (!inputs) {
      llvm::errs() << "note: in --profile-input " << group
                   << ": a comma-separated NAME=FILE.npy for each of the model's inputs\n";
      return false;
    }
    ProfileRun run;
    run.label = parts.empty() ? std::string("no inputs") : parts.front().str();
    if (parts.size() > 1)
      run.label += " and " + std::to_string(parts.size() - 1) + " more";
    readShape(*inputs, run);
    run.familySeconds.assign(GENC_OP_FAMILIES, 0.0);
    for (int r = -1; r < kRepeats; ++r) {
      std::vector<genc_tensor *> outputs(numOutputs, nullptr);
      std::vector<double> seconds(GENC_OP_FAMILIES, 0.0);
      auto start = std::chrono::steady_clock::now();
      genc_status status = genc_model_run_profiled(
          loaded, inputs->ordered.data(), inputs->ordered.size(), outputs.data(), seconds.data(),
          seconds.size());
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (genc_tensor *t : outputs)
        genc_tensor_free(t);
      if (status != GENC_OK)
        return fail("profiling " + artifact + " on " + group + ": " + genc_status_message());
      if (r < 0)
        continue; // warm-up: first touches of the weights and buffers
      run.wallSeconds += wall / kRepeats;
      for (int f = 0; f < GENC_OP_FAMILIES; ++f)
        run.familySeconds[f] += seconds[f] / kRepeats;
    }
    run.repeats = kRepeats;
    run.threads = genc_model_threads(loaded);
    report.profile.push_back(std::move(run));
  }
  return true;
}
