//===- Session.cpp - rows, padding and the KV cache between calls ----------===//

#include "session/Session.h"

#include "Model.h"
#include "ThreadPool.h"

#include <algorithm>
#include <new>
#include <chrono>
#include <cstring>
#include <limits>

using namespace genc::runtime;

namespace {

/// A tensor that views memory the session owns: nothing to free.
std::unique_ptr<genc_tensor> view(genc_dtype dtype, std::vector<int64_t> dims, void *data) {
  auto t = std::make_unique<genc_tensor>(dtype, std::move(dims));
  t->data = static_cast<unsigned char *>(data);
  t->sizeBytes = t->numElements() * genc_dtype_size(dtype);
  return t;
}

std::string str(int64_t v) { return std::to_string(v); }

/// What one call of an entry point returned, freed with it.
struct CallResults {
  explicit CallResults(size_t count) : tensors(count, nullptr) {}
  CallResults(const CallResults &) = delete;
  CallResults &operator=(const CallResults &) = delete;
  ~CallResults() {
    for (genc_tensor *t : tensors)
      genc_tensor_free(t);
  }
  const genc_tensor *operator[](size_t k) const { return tensors[k]; }
  std::vector<genc_tensor *> tensors;
};

/// Calls `entry` on `inputs` (in the entry point's order) on `pool`;
/// throws the runtime's message and status when the call fails.
std::unique_ptr<CallResults> call(genc_model &model, const EntryPoint &entry, ThreadPool &pool,
                                  const std::vector<std::unique_ptr<genc_tensor>> &inputs,
                                  std::span<genc_attention_state> states = {}) {
  std::vector<const genc_tensor *> pointers;
  for (const auto &t : inputs)
    pointers.push_back(t.get());
  auto results = std::make_unique<CallResults>(entry.outputs.size());
  if (genc_status status = runModel(model, entry, pool, pointers.data(), pointers.size(),
                                    results->tensors.data(), nullptr, states))
    throw CallFailed(genc_status_message(), status);
  return results;
}
} // namespace

/// Caches that slide with one window (genc-roll-window-caches): position
/// p lives in row p below `sinks` and in row p - shift after. A window of
/// 0 is linear attention's: its layers see the past through their kept
/// sums, and the caches hold what the sums have not folded.
struct Session::Window {
  std::string shiftName;
  size_t shiftInput = ~size_t(0);
  int64_t window, sinks, capacity;
  int64_t shift = 0;
  std::vector<Cache *> caches;
  /// The kept sums of the layers that read these caches.
  std::vector<AttentionState *> sums;

  /// The first position held after the sinks.
  int64_t base() const { return sinks + shift; }
  /// The positions before a token its window sees (none for kept sums).
  int64_t reach() const { return window > 0 ? window - 1 : 0; }
  /// `tokensPerCall`: the most a call adds (0: any).
  static int64_t capacityFor(int64_t window, int64_t sinks, int64_t maxContext,
                             int64_t tokensPerCall) {
    return std::min(maxContext, window == 0 ? GENC_SUMS_CACHE_POSITIONS(tokensPerCall, maxContext)
                                            : GENC_SLIDING_CACHE_POSITIONS(window, sinks));
  }
  /// The first position row r can return to: what every layer's sums
  /// have folded (none once sums that folded nothing no longer have the
  /// cache's first positions to start from). A rollback must not go below
  /// it.
  int64_t firstReturn(int64_t r) const {
    int64_t first = 0;
    for (const AttentionState *state : sums)
      first = std::max(first, state->folded[r] >= 0 ? shift + state->folded[r]
                              : shift > 0           ? INT64_MAX
                                                    : 0);
    return first;
  }
  /// The first position some layer's sums of row r still read from the
  /// cache: what the one that folded least has folded. A slide keeps it.
  int64_t firstRead(int64_t r) const {
    int64_t first = INT64_MAX;
    for (const AttentionState *state : sums)
      first = std::min(first, shift + std::max<int64_t>(state->folded[r], 0));
    return first;
  }
  /// Moves what a token after `past` positions sees (and the
  /// GENC_SLIDING_CACHE_ROLLBACK positions before, and what kept sums have
  /// not folded) to just after the sinks, in the first `rows` rows.
  void slide(int64_t past, int64_t rows);
};

/// One cache input's buffer: [max_rows, heads, capacity, head_size]; the
/// capacity is max_context, or a sliding cache's.
struct Session::Cache {
  size_t input;
  int64_t heads, headSize, capacity;
  std::unique_ptr<float[]> data;
  /// Its window, when it slides.
  Window *window = nullptr;

  /// The rows that hold the first `length` positions' keys or values.
  int64_t rowsHeld(int64_t length) const { return window ? length - window->shift : length; }

  float *head(int64_t r, int64_t h) { return data.get() + (r * heads + h) * capacity * headSize; }
  /// Row r's first `length` positions to `packed` ([heads, length, head_size]).
  void save(int64_t r, int64_t length, float *packed) {
    for (int64_t h = 0; h < heads; ++h)
      std::memcpy(packed + h * length * headSize, head(r, h), sizeof(float) * length * headSize);
  }
  /// The reverse of save.
  void load(int64_t r, int64_t length, const float *packed) {
    for (int64_t h = 0; h < heads; ++h)
      std::memcpy(head(r, h), packed + h * length * headSize, sizeof(float) * length * headSize);
  }
};

void Session::Window::slide(int64_t past, int64_t rows) {
  int64_t kept = std::max<int64_t>(sinks, past - reach() - GENC_SLIDING_CACHE_ROLLBACK);
  for (int64_t r = 0; r < rows && !sums.empty(); ++r)
    kept = std::min(kept, firstRead(r));
  if (kept <= base())
    return;
  for (Cache *c : caches)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < c->heads; ++h) {
        float *row = c->head(r, h);
        std::memmove(row + sinks * c->headSize, row + (kept - shift) * c->headSize,
                     sizeof(float) * (past - kept) * c->headSize);
      }
  // The sums count positions from the caches' first row.
  const int64_t dropped = kept - base();
  for (AttentionState *state : sums)
    for (int64_t r = 0; r < rows; ++r) {
      int64_t &held = state->positions[r], &folded = state->folded[r];
      held = held >= dropped ? held - dropped : -1;
      folded = folded >= dropped ? folded - dropped : -1;
    }
  shift = kept - sinks;
}

struct Session::SourceValue {
  size_t input, encoderOutput;
  genc_dtype dtype = GENC_F32;
  /// One row's dims (the batch's first dimension 1 when perRow).
  std::vector<int64_t> dims;
  bool perRow = false;
  std::vector<unsigned char> data;
};

Session::Session(genc_model &model, const SessionOptions &options)
    : model(model), opts(options),
      pool(options.sharedPool ? options.sharedPool
                              : std::make_shared<ThreadPool>(options.threads
                                                                 ? options.threads
                                                                 : ThreadPool::availableThreads())) {
  if (opts.maxContext < 1 || opts.maxRows < 1)
    throw Error("a session needs max_context and max_rows of at least 1 (got " +
                str(opts.maxContext) + " and " + str(opts.maxRows) + ")");
  if (model.positions && opts.maxContext > model.positions->count)
    throw TooManyPositions(model.positions->count, model.positions->node, opts.maxContext);
  idsInput = maskInput = positionsInput = pastLengthInput = logitsPositionsInput = kNone;
  encoder = model.entryPoint("encoder");
  if (encoder)
    for (const InputSpec &in : encoder->inputs)
      if ((in.name != "input_ids" && in.name != "attention_mask") || in.dtype != GENC_I64 ||
          in.dims.size() != 2)
        throw Error("a session gives an encoder i64 inputs input_ids and attention_mask "
                    "[batch, sequence]; this one also takes '" + in.name + "'");
  for (size_t i = 0; i < model.main().inputs.size(); ++i) {
    const InputSpec &in = model.main().inputs[i];
    if (encoder) {
      auto produced = std::find_if(encoder->outputs.begin(), encoder->outputs.end(),
                                   [&](const OutputSpec &out) { return out.name == in.name; });
      if (produced != encoder->outputs.end()) {
        if (produced->dtype != in.dtype)
          throw Error("the encoder's output '" + in.name + "' is " +
                      genc_dtype_name(produced->dtype) + " but the decoder takes " +
                      genc_dtype_name(in.dtype));
        auto value = std::make_unique<SourceValue>();
        value->input = i;
        value->encoderOutput = produced - encoder->outputs.begin();
        value->dtype = in.dtype;
        sourceValues.push_back(std::move(value));
        continue;
      }
    }
    if (in.isCache) {
      if (in.dtype != GENC_F32 || in.dims[1] < 0 || in.dims[3] < 0)
        throw Error("cache input '" + in.name + "' must be f32 [batch, heads, ?, head_size] "
                    "with static heads and head_size");
      auto cache =
          std::make_unique<Cache>(Cache{i, in.dims[1], in.dims[3], opts.maxContext, {}, nullptr});
      if (!in.shiftInput.empty()) {
        auto same = std::find_if(windows.begin(), windows.end(),
                                 [&](const auto &w) { return w->shiftName == in.shiftInput; });
        if (same == windows.end()) {
          windows.push_back(std::make_unique<Window>(
              Window{in.shiftInput,
                     ~size_t(0),
                     in.window,
                     in.sinks,
                     Window::capacityFor(in.window, in.sinks, opts.maxContext,
                                         model.wholeCalls ? 0 : opts.tokensPerCall),
                     0,
                     {},
                     {}}));
          same = windows.end() - 1;
        }
        if ((*same)->window != in.window || (*same)->sinks != in.sinks)
          throw Error("sliding caches that share input '" + in.shiftInput +
                      "' must have one window and one count of sinks");
        cache->window = same->get();
        cache->capacity = (*same)->capacity;
        (*same)->caches.push_back(cache.get());
      }
      // max_rows and max_context come from users: refuse what cannot fit
      // rather than wrap around.
      size_t floats = 1;
      for (int64_t factor : {opts.maxRows, cache->heads, cache->capacity, cache->headSize})
        if (__builtin_mul_overflow(floats, size_t(factor), &floats) ||
            floats > (size_t(1) << 40) / sizeof(float))
          throw Error("a KV cache of " + str(opts.maxRows) + " rows x " + str(cache->capacity) +
                      " positions for input '" + in.name + "' needs more than 1 TiB; lower "
                      "max_context or max_rows");
      cache->data.reset(new (std::nothrow) float[floats]);
      if (!cache->data)
        throw CallFailed("cannot allocate the KV cache for input '" + in.name + "' (" +
                             std::to_string(floats * sizeof(float) >> 20) +
                             " MiB); lower max_context or max_rows",
                         GENC_ERROR_OUT_OF_MEMORY);
      caches.push_back(std::move(cache));
      continue;
    }
    if (in.name == "input_ids")
      idsInput = i;
    else if (in.name == "attention_mask")
      maskInput = i;
    else if (in.name == "position_ids")
      positionsInput = i;
    else if (in.name == "genc.past_length")
      pastLengthInput = i;
    else if (in.name == "genc.logits_positions")
      logitsPositionsInput = i;
    if (i == idsInput || i == maskInput || i == positionsInput || i == pastLengthInput ||
        i == logitsPositionsInput)
      continue;
    auto slid = std::find_if(windows.begin(), windows.end(),
                             [&](const auto &w) { return w->shiftName == in.name; });
    if (slid != windows.end() && in.dtype == GENC_I64 && in.dims.empty()) {
      (*slid)->shiftInput = i;
      continue;
    }
    if (in.name == "encoder_hidden_states" || in.name == "encoder_attention_mask")
      throw Error("the model takes " + in.name +
                  ": it is an encoder-decoder's decoder; "
                  "compile it with its encoder (`genc compile DECODER.onnx --encoder "
                  "ENCODER.onnx`, or `genc generate DECODER.onnx --encoder ENCODER.onnx`)");
    if (in.name.rfind("past_key_values.", 0) == 0 && model.forSession)
      throw Error("the model's input '" + in.name +
                  "' is named as a KV cache, but genc did not recognise it as one: a session "
                  "keeps keys and values [batch, heads, sequence, head_size] of separate inputs "
                  "past_key_values.{i}.key and .value whose present.{i} outputs concatenate the "
                  "new ones along the sequence (a fused key_value cache is not one); export the "
                  "model with that cache, or without one");
    if (in.name.rfind("past_key_values.", 0) == 0)
      throw Error("the model takes its KV cache as input '" + in.name +
                  "': recompile it with `genc compile --kv-cache=session` so that a session "
                  "can keep the cache in place");
    throw Error("a session does not know what to give the model's input '" + in.name +
                "' (it feeds input_ids, attention_mask, position_ids and the KV cache)");
  }
  if (maskInput != kNone && model.main().inputs[maskInput].dtype != GENC_I64)
    throw Error("input 'attention_mask' must be i64");
  if (idsInput == kNone || model.main().inputs[idsInput].dtype != GENC_I64 ||
      model.main().inputs[idsInput].dims.size() != 2)
    throw Error("a session needs an i64 input 'input_ids' [batch, sequence]");
  if (caches.empty() != (pastLengthInput == kNone))
    throw Error("the model's cache inputs and 'genc.past_length' must come together");
  for (const auto &w : windows)
    if (w->shiftInput == kNone)
      throw Error("the model's sliding caches slide by input '" + w->shiftName +
                  "', which must be an i64 scalar after them");
  for (genc_model::KeptState kept : model.keptStates) {
    size_t perRow, total;
    if (__builtin_mul_overflow(size_t(kept.perPosition), size_t(opts.maxContext), &perRow) ||
        __builtin_add_overflow(perRow, size_t(kept.fixed), &perRow) ||
        __builtin_mul_overflow(size_t(opts.maxRows), perRow, &total) ||
        total > (size_t(1) << 40) / sizeof(float))
      throw Error("an attention layer's state for " + str(opts.maxRows) + " rows of " +
                  str(opts.maxContext) +
                  " positions needs more than 1 TiB; lower max_rows or "
                  "max_context");
    std::unique_ptr<float[], AttentionState::Free> data(
        static_cast<float *>(std::calloc(std::max<size_t>(total, 1), sizeof(float))));
    if (!data)
      throw CallFailed("cannot allocate an attention layer's state (" +
                           std::to_string(total * sizeof(float) >> 20) +
                           " MiB); lower max_context or max_rows",
                       GENC_ERROR_OUT_OF_MEMORY);
    attentionStates.push_back({std::move(data), std::vector<int64_t>(opts.maxRows, -1),
                               std::vector<int64_t>(opts.maxRows, -1), static_cast<int64_t>(perRow),
                               kept.fixed, kept.perPosition});
  }
  for (size_t slot = 0; slot < attentionStates.size(); ++slot) {
    AttentionState &state = attentionStates[slot];
    attentionStateViews.push_back({state.data.get(), state.positions.data(), state.folded.data(),
                                   state.floatsPerRow, opts.maxRows});
    const std::string &shift = model.keptStates[slot].shift;
    if (shift.empty())
      continue;
    auto slid = std::find_if(windows.begin(), windows.end(),
                             [&](const auto &w) { return w->shiftName == shift; });
    if (slid == windows.end())
      throw Error("attention state " + str(slot) + " names sliding caches '" + shift +
                  "' that the model does not have");
    if ((*slid)->window != 0)
      throw Error("attention state " + str(slot) + " names sliding caches '" + shift +
                  "', which are not linear attention's (a window of 0)");
    (*slid)->sums.push_back(&state);
  }
  for (const auto &w : windows)
    if (w->window == 0 && w->sums.empty())
      throw Error("the model's sliding caches '" + w->shiftName +
                  "' hold what linear attention has not folded into its sums, but no attention "
                  "state names them");
  logitsOutput = kNone;
  for (size_t k = 0; k < model.main().outputs.size(); ++k)
    if (model.main().outputs[k].name == "logits")
      logitsOutput = k;
  for (size_t k = 0; k < model.main().outputs.size(); ++k) {
    const OutputSpec &out = model.main().outputs[k];
    if (encoder && out.name == "cross_attentions" && out.dtype == GENC_F32 && out.rank == 3)
      crossOutput = k;
  }
  if (logitsOutput == kNone && !model.main().outputs.empty())
    logitsOutput = 0;
  if (logitsOutput == kNone || model.main().outputs[logitsOutput].dtype != GENC_F32 ||
      model.main().outputs[logitsOutput].rank != 3)
    throw Error("a session needs an f32 output 'logits' [batch, sequence, vocab]");
  // Known before the first call when the vocabulary is static (it is in
  // every export seen); otherwise after the first call.
  vocab = std::max<int64_t>(model.main().outputs[logitsOutput].dims[2], 0);
}

Session::~Session() = default;

int64_t Session::length(int64_t row) const { return total - padding.at(row); }

void Session::checkTokens(std::span<const int64_t> tokens) const {
  // Compiled code would fail the step on such an id too (an index check);
  // refusing it first keeps the session as it was and names the vocabulary.
  for (int64_t t : tokens)
    if (t < 0 || (vocab > 0 && t >= vocab))
      throw Error("token id " + str(t) + " is outside the model's vocabulary (" + str(vocab) +
                  " tokens)");
}

void Session::checkRows(int64_t n) const {
  if (n < 1 || n > opts.maxRows)
    throw Error(str(n) + " rows do not fit a session made for 1 to " + str(opts.maxRows) +
                " (max_rows: prompts × beams)");
}

int64_t Session::makeRoom(int64_t past, int64_t wanted) {
  if (cached() && opts.tokensPerCall > 0 && !model.wholeCalls)
    wanted = std::min(wanted, opts.tokensPerCall);
  int64_t room = wanted;
  for (auto &w : windows) {
    if (past + wanted - w->shift > w->capacity)
      w->slide(past, rows());
    room = std::min(room, w->capacity - (past - w->shift));
  }
  return room;
}

std::optional<int64_t> Session::missingPosition(int64_t length) const {
  for (const auto &w : windows) {
    // The next token, at `length`, sees the sinks and [length - W + 1, length).
    int64_t seen = std::max(w->sinks, length - w->reach());
    if (w->shift > 0 && seen < w->base())
      return seen;
    // Kept sums return to no length before what they folded once the
    // cache no longer holds the first positions (before, the kernel sums
    // every position again).
    for (int64_t r = 0; r < rows() && w->shift > 0; ++r)
      if (length < w->firstReturn(r))
        return length;
  }
  return std::nullopt;
}

void Session::run(const std::vector<int64_t> &tokens, int64_t count, int64_t past, int64_t keep,
                  std::vector<float> &out) {
  // What a call needs is held (rollback() and failed calls keep it so):
  // a sliding cache that lost it would give wrong results silently.
  if (std::optional<int64_t> missing = missingPosition(past)) {
    reset();
    throw Error("internal error: the session's sliding KV caches no longer hold position " +
                str(*missing) + ", which a call after " + str(past) +
                " positions needs; the rows are forgotten (start again)");
  }
  int64_t room = makeRoom(past, count);
  if (room < 1)
    throw Error("internal error: the session's sliding KV caches have no room after " + str(past) +
                " positions");
  if (room >= count)
    return runOnce(tokens, count, past, keep, out);
  // In pieces (tokensPerCall, sliding caches' room), each piece's logits
  // kept where they are among the last `keep` positions.
  const int64_t n = rows(), firstKept = count - keep;
  std::vector<int64_t> piece;
  std::vector<float> logits, kept;
  const std::vector<float> crossBefore = lastCross;
  for (int64_t done = 0; done < count; done += room) {
    if (done > 0)
      room = std::min(makeRoom(past + done, count - done), count - done);
    if (room < 1)
      throw Error("internal error: the session's sliding KV caches have no room after " +
                  str(past + done) + " positions");
    piece.clear();
    for (int64_t r = 0; r < n; ++r)
      piece.insert(piece.end(), tokens.begin() + r * count + done,
                   tokens.begin() + r * count + done + room);
    const int64_t wanted = std::clamp<int64_t>(done + room - firstKept, 0, room);
    const int64_t computed = std::max<int64_t>(wanted, 1);
    try {
      runOnce(piece, room, past + done, computed, logits);
    } catch (...) {
      lastCross = crossBefore;
      // Earlier pieces may have slid the caches past what the rows held
      // before this call need: then the rows are gone.
      if (missingPosition(past))
        reset();
      throw;
    }
    kept.resize(n * keep * vocab);
    for (int64_t r = 0; r < n && wanted > 0; ++r)
      std::memcpy(kept.data() + (r * keep + done + room - wanted - firstKept) * vocab,
                  logits.data() + (r * computed + computed - wanted) * vocab,
                  sizeof(float) * wanted * vocab);
  }
  out = std::move(kept);
}

void Session::runOnce(const std::vector<int64_t> &tokens, int64_t count, int64_t past,
                      int64_t keep, std::vector<float> &out) {
  // Reads `padding` of the rows being run; the caller sets it first.
  const int64_t n = static_cast<int64_t>(padding.size()), end = past + count;
  std::vector<int64_t> mask(n * end), positions(n * count);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < end; ++j)
      mask[r * end + j] = j >= padding[r];
    // Real tokens count from 0; padding gets 1, as Hugging Face gives it.
    for (int64_t i = 0; i < count; ++i)
      positions[r * count + i] = past + i >= padding[r] ? past + i - padding[r] : 1;
  }
  int64_t pastValue = past, keepValue = keep;
  std::vector<std::unique_ptr<genc_tensor>> tensors;
  for (size_t i = 0; i < model.main().inputs.size(); ++i) {
    if (i == idsInput)
      tensors.push_back(view(GENC_I64, {n, count}, const_cast<int64_t *>(tokens.data())));
    else if (i == maskInput)
      tensors.push_back(view(GENC_I64, {n, end}, mask.data()));
    else if (i == positionsInput)
      tensors.push_back(view(GENC_I64, {n, count}, positions.data()));
    else if (i == pastLengthInput)
      tensors.push_back(view(GENC_I64, {}, &pastValue));
    else if (i == logitsPositionsInput)
      tensors.push_back(view(GENC_I64, {}, &keepValue));
    for (auto &c : caches)
      if (c->input == i)
        tensors.push_back(view(GENC_F32, {n, c->heads, c->capacity, c->headSize}, c->data.get()));
    for (auto &w : windows)
      if (w->shiftInput == i)
        tensors.push_back(view(GENC_I64, {}, &w->shift));
    for (auto &v : sourceValues)
      if (v->input == i) {
        std::vector<int64_t> dims = v->dims;
        if (v->perRow)
          dims[0] = n;
        tensors.push_back(view(v->dtype, std::move(dims), v->data.data()));
      }
  }
  std::unique_ptr<CallResults> outputs =
      call(model, model.main(), *pool, tensors, attentionStateViews);
  const genc_tensor *logits = (*outputs)[logitsOutput];
  const int64_t positionsOut = logits->dims[1];
  vocab = logits->dims[2];
  if (logits->dims[0] != n || positionsOut < keep)
    throw Error("the model's logits have shape [" + str(logits->dims[0]) + ", " +
                str(positionsOut) + ", " + str(vocab) + "] for " + str(n) + " rows of " +
                str(count) + " tokens");
  // Every output is checked before anything the session keeps changes.
  const genc_tensor *cross = crossOutput == kNone ? nullptr : (*outputs)[crossOutput];
  if (cross && (cross->dims[0] != n || cross->dims[1] < 1 || cross->dims[2] != encodedLength))
    throw Error("the model's cross_attentions have shape [" + str(cross->dims[0]) + ", " +
                str(cross->dims[1]) + ", " + str(cross->dims[2]) + "] for " + str(n) +
                " rows and a source of " + str(encodedLength) + " tokens");
  out.resize(n * keep * vocab);
  const auto *data = reinterpret_cast<const float *>(logits->data);
  for (int64_t r = 0; r < n; ++r)
    std::memcpy(out.data() + r * keep * vocab,
                data + (r * positionsOut + positionsOut - keep) * vocab,
                sizeof(float) * keep * vocab);
  if (cross) {
    const int64_t at = cross->dims[1];
    lastCross.resize(n * encodedLength);
    const auto *weights = reinterpret_cast<const float *>(cross->data);
    for (int64_t r = 0; r < n; ++r)
      std::memcpy(lastCross.data() + r * encodedLength,
                  weights + (r * at + at - 1) * encodedLength, sizeof(float) * encodedLength);
  }
}

void Session::encode(const std::vector<int64_t> &source) {
  if (!encoder)
    throw Error("the model has no encoder: it generates from a prompt alone");
  if (source.empty())
    throw Error("the source is empty: give at least one token");
  if (const auto &limit = model.sourcePositions;
      limit && static_cast<int64_t>(source.size()) > limit->count)
    throw Error(TooManyPositions::embeds("the encoder", limit->count, limit->node) +
                "; a source of " + str(source.size()) + " tokens would index past them: give " +
                str(limit->count) + " tokens or fewer");
  // Not checked against the decoder's vocabulary: an encoder may have its
  // own, and its compiled lookup checks the ids (the call fails naming it).
  reset();
  encodedLength = 0;
  const int64_t length = static_cast<int64_t>(source.size());
  std::vector<int64_t> ids = source, mask(source.size(), 1);
  std::vector<std::unique_ptr<genc_tensor>> tensors;
  for (const InputSpec &in : encoder->inputs)
    tensors.push_back(view(GENC_I64, {1, length}, in.name == "input_ids" ? ids.data() : mask.data()));
  std::unique_ptr<CallResults> outputs = call(model, *encoder, *pool, tensors);
  for (auto &v : sourceValues) {
    const genc_tensor *t = (*outputs)[v->encoderOutput];
    const InputSpec &spec = model.main().inputs[v->input];
    v->dims = t->dims;
    // A dynamic first dimension is the batch: one source is one row, which
    // every row of a step reads.
    v->perRow = !spec.dims.empty() && spec.dims[0] < 0;
    if (v->perRow && (t->dims.empty() || t->dims[0] != 1))
      throw Error("the encoder's output '" + spec.name + "' does not have the batch (1 for "
                  "one source) as its first dimension");
    const size_t copies = v->perRow ? static_cast<size_t>(opts.maxRows) : 1;
    v->data.resize(copies * t->sizeBytes);
    for (size_t c = 0; c < copies; ++c)
      std::memcpy(v->data.data() + c * t->sizeBytes, t->data, t->sizeBytes);
  }
  encodedLength = length;
}

void Session::start(const std::vector<std::vector<int64_t>> &prompts) {
  const int64_t n = static_cast<int64_t>(prompts.size());
  checkRows(n);
  if (encoder && encodedLength == 0)
    throw Error("the model is an encoder-decoder: encode a source before starting");
  int64_t longest = 0, shortest = std::numeric_limits<int64_t>::max();
  for (const auto &p : prompts) {
    longest = std::max<int64_t>(longest, p.size());
    shortest = std::min<int64_t>(shortest, p.size());
  }
  if (shortest == 0)
    throw Error("a prompt is empty: give at least one token (a BOS token, for instance)");
  if (longest > opts.maxContext)
    throw Error("a prompt of " + str(longest) + " tokens does not fit the context of " +
                str(opts.maxContext) + " tokens");
  for (const auto &p : prompts)
    checkTokens(p);
  if (longest != shortest && maskInput == kNone)
    throw Error("prompts of different lengths are left-padded, which needs a model with an "
                "attention_mask input; this one lacks it: give prompts of one length, or one "
                "at a time");
  if (longest != shortest && !model.keysByIndex.empty())
    throw Error("prompts of different lengths are left-padded, but attention node '" +
                model.keysByIndexNode + "' was compiled with --attention=" + model.keysByIndex +
                ", whose keys are the row's first ones, which padding would replace: give "
                "prompts of one length, or one at a time");
  if (longest != shortest && positionsInput == kNone && !model.positionsFromMask)
    throw Error("prompts of different lengths are left-padded, which needs a model that takes "
                "position_ids or counts its positions from attention_mask (as OPT and BLOOM "
                "do, with every attention layer masking the padding), and genc could not show "
                "that this one does: give prompts of one length, or one at a time");
  std::vector<std::vector<int64_t>> padded;
  std::vector<int64_t> pad, flat;
  for (const auto &p : prompts) {
    pad.push_back(longest - static_cast<int64_t>(p.size()));
    std::vector<int64_t> row(pad.back(), 0);
    row.insert(row.end(), p.begin(), p.end());
    flat.insert(flat.end(), row.begin(), row.end());
    padded.push_back(std::move(row));
  }
  std::swap(padding, pad);
  forgetAttentionStates(); // they held what the previous rows computed
  for (auto &w : windows)
    w->shift = 0;
  auto began = std::chrono::steady_clock::now();
  try {
    run(flat, longest, 0, 1, lastLogits);
  } catch (...) {
    // The call may have written the cache's first positions: the old rows
    // are gone.
    reset();
    throw;
  }
  prefillTime += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
                     .count();
  sequences = std::move(padded);
  total = longest;
}

void Session::append(std::span<const int64_t> tokens, int64_t count) {
  const int64_t n = rows();
  if (n == 0)
    throw Error("append before start: the session holds no rows");
  if (count < 1 || static_cast<int64_t>(tokens.size()) != n * count)
    throw Error("append of " + str(tokens.size()) + " tokens: expected " + str(count) +
                " for each of " + str(n) + " rows");
  checkTokens(tokens);
  if (total + count > opts.maxContext)
    throw Error("the context is full: " + str(total) + " + " + str(count) + " tokens exceed "
                "max_context " + str(opts.maxContext));
  if (cached()) {
    run(std::vector<int64_t>(tokens.begin(), tokens.end()), count, total, count, lastLogits);
  } else {
    std::vector<int64_t> flat;
    for (int64_t r = 0; r < n; ++r) {
      flat.insert(flat.end(), sequences[r].begin(), sequences[r].end());
      flat.insert(flat.end(), tokens.begin() + r * count, tokens.begin() + (r + 1) * count);
    }
    run(flat, total + count, 0, count, lastLogits);
  }
  for (int64_t r = 0; r < n; ++r)
    sequences[r].insert(sequences[r].end(), tokens.begin() + r * count,
                        tokens.begin() + (r + 1) * count);
  total += count;
}

void Session::reorder(std::span<const int64_t> sources) {
  const int64_t n = static_cast<int64_t>(sources.size()), old = rows();
  checkRows(n);
  for (int64_t s : sources)
    if (s < 0 || s >= old)
      throw Error("reorder names row " + str(s) + " of " + str(old));
  // Only rows whose content changes are copied: sources first, to scratch,
  // so that a row can be both read and overwritten.
  std::vector<int64_t> changed;
  for (int64_t r = 0; r < n; ++r)
    if (r >= old || sources[r] != r)
      changed.push_back(r);
  for (auto &c : caches) {
    const int64_t held = c->rowsHeld(total);
    const size_t rowFloats = c->heads * held * c->headSize;
    if (scratch.size() < changed.size() * rowFloats)
      scratch.resize(changed.size() * rowFloats);
    for (size_t k = 0; k < changed.size(); ++k)
      c->save(sources[changed[k]], held, scratch.data() + k * rowFloats);
    for (size_t k = 0; k < changed.size(); ++k)
      c->load(changed[k], held, scratch.data() + k * rowFloats);
  }
  for (AttentionState &state : attentionStates) {
    // Only what a row holds moves: its FIXED floats and the first P floats
    // of each per-position run, P its positions (kernels.h); an LSH row
    // holds P positions' buckets and kept order of its max_context.
    // (Folded linear sums are FIXED floats too, kept when the last call's
    // are not.)
    auto eachHeldPart = [&](int64_t row, auto &&part) {
      const int64_t held = state.positions[row];
      if (held < 0 && state.folded[row] < 0)
        return;
      float *base = state.data.get() + row * state.floatsPerRow;
      part(base, state.fixed);
      for (int64_t run = 0; run < state.perPosition; ++run)
        part(base + state.fixed + run * opts.maxContext, std::max<int64_t>(held, 0));
    };
    std::vector<float> moved;
    std::vector<int64_t> positions(changed.size()), folded(changed.size());
    for (size_t k = 0; k < changed.size(); ++k) {
      eachHeldPart(sources[changed[k]], [&](const float *part, int64_t count) {
        moved.insert(moved.end(), part, part + count);
      });
      positions[k] = state.positions[sources[changed[k]]];
      folded[k] = state.folded[sources[changed[k]]];
    }
    auto from = moved.begin();
    for (size_t k = 0; k < changed.size(); ++k) {
      state.positions[changed[k]] = positions[k];
      state.folded[changed[k]] = folded[k];
      eachHeldPart(changed[k], [&](float *part, int64_t count) {
        std::copy_n(from, count, part);
        from += count;
      });
    }
  }
  std::vector<std::vector<int64_t>> seqs;
  std::vector<int64_t> pad;
  std::vector<float> logits, cross;
  const size_t rowLogits = old ? lastLogits.size() / old : 0;
  const size_t rowCross = old ? lastCross.size() / old : 0;
  for (int64_t s : sources) {
    seqs.push_back(sequences[s]);
    pad.push_back(padding[s]);
    logits.insert(logits.end(), lastLogits.begin() + s * rowLogits,
                  lastLogits.begin() + (s + 1) * rowLogits);
    cross.insert(cross.end(), lastCross.begin() + s * rowCross,
                 lastCross.begin() + (s + 1) * rowCross);
  }
  lastLogits = std::move(logits);
  lastCross = std::move(cross);
  sequences = std::move(seqs);
  padding = std::move(pad);
}

void Session::rollback(int64_t count) {
  int64_t shortest = total;
  for (int64_t r = 0; r < rows(); ++r)
    shortest = std::min(shortest, length(r));
  if (count < 0 || count >= shortest)
    throw Error("rollback of " + str(count) + " tokens: rows hold " + str(shortest) +
                " (a row keeps at least one token)");
  if (std::optional<int64_t> missing = missingPosition(total - count)) {
    int64_t most = 0;
    while (most < count && !missingPosition(total - most - 1))
      ++most;
    throw RollbackRefused(
        "rollback of " + str(count) +
        " tokens: the model's windowed or linear attention layers "
        "keep a sliding KV cache, which no longer holds position " +
        str(*missing) +
        " for the next token (a linear layer's kept sums include it); roll back at most " +
        str(most) + " tokens");
  }
  // The cache's rows past the new length are overwritten by the next step,
  // whose past is then below what the attention states hold: each kernel
  // keeps what stays true (LSH's buckets of earlier keys) and rebuilds the
  // rest (linear attention's sums, from the folded ones, or from every
  // position when it folded past the new length before the cache slid).
  total -= count;
  for (auto &row : sequences)
    row.resize(total);
  lastLogits.clear(); // they were the logits of forgotten positions
  lastCross.clear();
}

void Session::forgetAttentionStates() {
  for (AttentionState &state : attentionStates) {
    std::fill(state.positions.begin(), state.positions.end(), -1);
    std::fill(state.folded.begin(), state.folded.end(), -1);
  }
}

void Session::reset() {
  forgetAttentionStates();
  for (auto &w : windows)
    w->shift = 0;
  sequences.clear();
  padding.clear();
  lastLogits.clear();
  lastCross.clear();
  total = 0;
}

std::vector<float> Session::scoreAll(const std::vector<int64_t> &tokens) {
  reset();
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n < 1 || n > opts.maxContext)
    throw Error("scoring " + str(n) + " tokens needs 1 to max_context (" + str(opts.maxContext) +
                ") tokens");
  checkTokens(tokens);
  padding = {0};
  std::vector<float> all;
  try {
    run(tokens, n, 0, n, all);
  } catch (...) {
    reset();
    throw;
  }
  reset();
  return all;
}
