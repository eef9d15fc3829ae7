//===- Model.h - a loaded artifact: code, signature, weights ----*- C++ -*-===//

#ifndef GENC_RUNTIME_MODEL_H
#define GENC_RUNTIME_MODEL_H

#include "Internal.h"
#include "ThreadPool.h"
#include "genc/kernels.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace genc::runtime {
struct InputSpec {
  std::string name;
  genc_dtype dtype;
  std::vector<int64_t> dims;         // -1 where dynamic
  std::vector<std::string> dimNames; // "" where unnamed
  /// A KV-cache buffer [batch, heads, capacity, head_size] that a session
  /// owns and the model writes in place (`cache` in the signature).
  bool isCache = false;
  /// For a sliding cache (its layers see a window): the scalar input that
  /// says how many positions after the first `sinks` the buffer dropped,
  /// and the window. Position p lives in row p below `sinks`, in row p -
  /// shift after. A window of 0: linear attention's, which sees the past
  /// through its kept sums (GENC_SUMS_CACHE_POSITIONS).
  std::string shiftInput;
  int64_t window = 0, sinks = 0;
};
struct OutputSpec {
  std::string name;
  genc_dtype dtype;
  size_t rank;
  std::vector<int64_t> dims; // -1 where dynamic
};
/// A compiled function of an artifact: the model itself (`genc_main`), or
/// another entry point NAME (`genc_main_NAME`), such as an
/// encoder-decoder's `encoder`.
struct EntryPoint {
  std::string name; ///< "" for the model itself
  void (*call)(void **) = nullptr;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
};
} // namespace genc::runtime

struct genc_model {
  void *library = nullptr;
  /// Keeps `library` loaded (dlclose when the last holder goes): the model
  /// holds it, and so does every output tensor whose buffer the artifact
  /// allocated, since that buffer is freed through the artifact's code.
  std::shared_ptr<void> libraryHandle;
  /// How results are freed: artifacts allocate through their kernels.
  void (*freeResult)(void *) = std::free;
  std::unique_ptr<genc::runtime::ThreadPool> pool;
  /// Held by the genc_model_run that uses `pool` (a pool runs one parallel
  /// loop at a time) and by genc_model_set_threads, which replaces it.
  std::mutex poolInUse;
  /// `pool`'s threads, readable while a run holds the pool.
  std::atomic<unsigned> poolThreads{0};
  /// The weights payload compiled code reads: inside `mapping`, after the
  /// weights file's header.
  void *weights = nullptr;
  size_t weightsSize = 0;
  /// The whole weights file, mapped read-only.
  void *mapping = nullptr;
  size_t mappingSize = 0;
  /// For messages: the artifact ("this program" when linked in) and its
  /// weights file.
  std::string artifactName, weightsPath;
  /// The model itself first, then the other entry points in the
  /// signature's order.
  std::vector<genc::runtime::EntryPoint> entryPoints;
  /// What the signature says the weights file holds (its `weights` and
  /// `genc-version` lines).
  uint64_t expectedWeightsSize = 0;
  uint32_t expectedLayoutVersion = 0;
  uint64_t expectedSampleHash = 0, expectedPayloadHash = 0;
  std::string compilerVersion;
  /// Compiled for a session (`--kv-cache=session`).
  bool forSession = false;
  /// What a call computes depends on the tokens it is given together (LSH
  /// attention's buckets; `whole-calls`): a session runs a prompt in one
  /// call where it can.
  bool wholeCalls = false;
  /// `positions-from-mask`: the model takes no position_ids and reads no
  /// position but what it counts from attention_mask (OPT's, BLOOM's), or
  /// none at all: a session may left-pad its rows.
  bool positionsFromMask = false;
  /// `keys-by-index REWRITE NODE`: attention node NODE picks keys by their
  /// index in the row (--attention=REWRITE: sinks, global, bigbird), which
  /// left padding would move onto the padding: a session pads no rows.
  std::string keysByIndex, keysByIndexNode;
  /// Per slot (`state SLOT FIXED PER_POSITION [SHIFT]` lines, slots 0, 1,
  /// ...): the size of one row of what a session keeps for an attention
  /// layer between steps (genc_attention_state), in floats: `fixed` plus
  /// `perPosition` for each position of the session's context; and the
  /// shift input of the sliding cache its layer reads, if it does.
  struct KeptState {
    int64_t fixed, perPosition;
    std::string shift;
  };
  std::vector<KeptState> keptStates;
  /// `positions COUNT NODE`: the model embeds positions 0 to COUNT - 1 only
  /// (a position table or rotary tables of that size, gathered by NODE).
  struct PositionLimit {
    int64_t count;
    std::string node;
  };
  std::optional<PositionLimit> positions;
  /// `source-positions COUNT NODE`: the same for an encoder-decoder's
  /// `encoder` entry point, which a source longer than COUNT would index
  /// past.
  std::optional<PositionLimit> sourcePositions;

  genc_model() = default;
  genc_model(const genc_model &) = delete;
  genc_model &operator=(const genc_model &) = delete;
  ~genc_model();

  genc_status parseSignature(const char *text, const std::string &path);

  const genc::runtime::EntryPoint &main() const { return entryPoints.front(); }
  /// The entry point NAME, or null.
  const genc::runtime::EntryPoint *entryPoint(const std::string &name) const;
};

namespace genc::runtime {
/// genc_model_run of `entry` on `pool`'s threads (a session's, or the
/// model's own); a profiled artifact adds its time per op family to
/// `profile` when there is one.
/// `states`: a session's attention states, by slot (none: linear and LSH
/// attention compute from every key a call gives).
genc_status runModel(genc_model &model, const EntryPoint &entry, ThreadPool &pool,
                     const genc_tensor *const *inputs, size_t numInputs, genc_tensor **outputs,
                     genc_profile *profile = nullptr,
                     std::span<genc_attention_state> states = {});
} // namespace genc::runtime

#endif // GENC_RUNTIME_MODEL_H
