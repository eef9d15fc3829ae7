//===- SessionSequence.h - the session C API driven by bytes ----*- C++ -*-===//
//
// Reads a sequence of session calls from bytes — create with some options,
// then start, append, logits, reorder, rollback, reset, length, encode and
// cross-attention calls with whatever arguments the bytes say, valid or not
// — and makes them on a loaded model. Besides "no crash" (the sanitizers'
// job), it checks what genc.h promises: a refused call leaves the session
// as it was (rows, lengths and logits), and an accepted one changes rows
// and lengths as documented. A broken promise aborts with a message.
//
// Shared by the libFuzzer target genc-fuzz-session and genc-session-replay
// (test/Runtime/session-sequences.test), which replays files or random
// sequences in the ordinary build.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TEST_FUZZ_SESSIONSEQUENCE_H
#define GENC_TEST_FUZZ_SESSIONSEQUENCE_H

#include "genc/genc.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace genc::fuzz {

struct SequenceStats {
  uint64_t sequences = 0, calls = 0, refused = 0;
};

namespace detail {

/// The bytes, read front to back; zeros once they run out.
class ByteReader {
public:
  ByteReader(const uint8_t *data, size_t size) : data(data), size(size) {}
  bool done() const { return at >= size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
  /// A small count, now and then out of range: -1, 0 .. limit + 1.
  int64_t count(int64_t limit) {
    uint8_t b = byte();
    return b == 0xFF ? -1 : static_cast<int64_t>(b % (limit + 2));
  }
  /// A token id: mostly small and valid, now and then negative or huge.
  int64_t token() {
    uint8_t b = byte();
    return b == 0xFF ? -5 : b == 0xFE ? 1'000'000'007 : b;
  }

private:
  const uint8_t *data;
  size_t size, at = 0;
};

/// What a refused call must leave as it was.
struct State {
  int64_t rows = 0;
  std::vector<int64_t> lengths;
  std::vector<float> logits;
  int64_t logitRows = 0, positions = 0, vocab = 0;

  static State of(const genc_session *s) {
    State state;
    state.rows = genc_session_rows(s);
    for (int64_t r = 0; r < state.rows; ++r)
      state.lengths.push_back(genc_session_length(s, r));
    const float *l = genc_session_logits(s, &state.logitRows, &state.positions, &state.vocab);
    if (l)
      state.logits.assign(l, l + state.logitRows * state.positions * state.vocab);
    return state;
  }
  bool operator==(const State &o) const {
    // Bitwise: a NaN logit is still the same logit.
    return rows == o.rows && lengths == o.lengths && logitRows == o.logitRows &&
           positions == o.positions && vocab == o.vocab && logits.size() == o.logits.size() &&
           (logits.empty() ||
            std::memcmp(logits.data(), o.logits.data(), logits.size() * sizeof(float)) == 0);
  }
};

[[noreturn]] inline void broken(const char *call, const char *promise) {
  std::fprintf(stderr, "genc session sequence: %s broke a promise: %s\n", call, promise);
  std::abort();
}

} // namespace detail

/// Runs the calls `data` describes on a new session of `model`.
inline void runSessionSequence(genc_model *model, const uint8_t *data, size_t size,
                               SequenceStats &stats) {
  using namespace detail;
  ByteReader in(data, size);
  ++stats.sequences;
  genc_session_options options;
  options.max_context = in.count(48);
  options.max_rows = in.count(4);
  options.threads = in.byte() % 3;
  genc_session *s = nullptr;
  ++stats.calls;
  if (genc_session_create(model, &options, &s) != GENC_OK) {
    ++stats.refused;
    return;
  }
  for (int call = 0; call < 48 && !in.done(); ++call) {
    State before = State::of(s);
    const char *name = "";
    genc_status status = GENC_OK;
    State expected = before;
    bool checkAccepted = true;
    // Logits an accepted call leaves: -1 as they were, 0 none, else
    // positions per row.
    int64_t expectedPositions = -1;
    bool isStart = false;
    switch (in.byte() % 9) {
    case 0: { // start
      name = "genc_session_start";
      int64_t rows = in.count(5);
      std::vector<std::vector<int64_t>> prompts(rows > 0 ? rows : 0);
      std::vector<const int64_t *> pointers;
      std::vector<int64_t> lengths;
      for (auto &prompt : prompts) {
        int64_t length = in.count(12);
        for (int64_t i = 0; i < length; ++i)
          prompt.push_back(in.token());
        pointers.push_back(prompt.empty() ? nullptr : prompt.data());
        lengths.push_back(length);
      }
      bool nulls = in.byte() == 0xFF;
      status = genc_session_start(s, nulls ? nullptr : pointers.data(),
                                  nulls ? nullptr : lengths.data(), rows);
      expected.rows = rows;
      expected.lengths = lengths;
      expectedPositions = 1;
      isStart = true;
      break;
    }
    case 1: { // append
      name = "genc_session_append";
      int64_t count = in.count(4);
      std::vector<int64_t> tokens;
      for (int64_t i = 0; i < before.rows * std::max<int64_t>(count, 0); ++i)
        tokens.push_back(in.token());
      status = genc_session_append(s, tokens.empty() ? nullptr : tokens.data(), count);
      for (int64_t &length : expected.lengths)
        length += count;
      expectedPositions = count;
      break;
    }
    case 2: { // logits: every value read (the sanitizers watch)
      name = "genc_session_logits";
      int64_t rows = 0, positions = 0, vocab = 0;
      const float *l = genc_session_logits(s, &rows, &positions, &vocab);
      volatile float sink = 0;
      for (int64_t i = 0; l && i < rows * positions * vocab; ++i)
        sink = sink + l[i];
      if (l && (rows != before.rows || positions < 1 || vocab < 1))
        broken(name, "the logits have a row per row held");
      break;
    }
    case 3: { // reorder
      name = "genc_session_reorder";
      int64_t rows = in.count(5);
      std::vector<int64_t> sources;
      for (int64_t r = 0; r < std::max<int64_t>(rows, 0); ++r)
        sources.push_back(in.count(5));
      status = genc_session_reorder(s, sources.empty() ? nullptr : sources.data(), rows);
      expected.rows = rows;
      expected.lengths.clear();
      for (int64_t source : sources)
        expected.lengths.push_back(source >= 0 && source < before.rows ? before.lengths[source]
                                                                        : -1);
      break;
    }
    case 4: { // rollback
      name = "genc_session_rollback";
      int64_t count = in.count(6);
      status = genc_session_rollback(s, count);
      for (int64_t &length : expected.lengths)
        length -= count;
      expectedPositions = 0;
      break;
    }
    case 5:
      name = "genc_session_reset";
      genc_session_reset(s);
      if (genc_session_rows(s) != 0)
        broken(name, "no rows after a reset");
      checkAccepted = false;
      break;
    case 6: { // length of any row
      name = "genc_session_length";
      int64_t row = in.count(5);
      int64_t length = genc_session_length(s, row);
      if ((row < 0 || row >= before.rows) != (length == -1))
        broken(name, "-1 exactly for a row not held");
      checkAccepted = false;
      break;
    }
    case 7: { // encode (decoder-only models refuse it)
      name = "genc_session_encode";
      int64_t length = in.count(8);
      std::vector<int64_t> source;
      for (int64_t i = 0; i < length; ++i)
        source.push_back(in.token());
      status = genc_session_encode(s, source.empty() ? nullptr : source.data(), length);
      checkAccepted = false;
      break;
    }
    default: { // cross-attention
      name = "genc_session_cross_attention";
      int64_t rows = 0, sourceLength = 0;
      const float *c = genc_session_cross_attention(s, &rows, &sourceLength);
      volatile float sink = 0;
      for (int64_t i = 0; c && i < rows * sourceLength; ++i)
        sink = sink + c[i];
      checkAccepted = false;
      break;
    }
    }
    ++stats.calls;
    State after = State::of(s);
    if (status != GENC_OK) {
      ++stats.refused;
      // A start whose model run failed may leave the session empty.
      bool emptied = isStart && after.rows == 0 && after.logits.empty();
      if (!(after == before) && !emptied)
        broken(name, "a refused call leaves the session as it was");
    } else if (checkAccepted &&
               (after.rows != expected.rows || after.lengths != expected.lengths)) {
      broken(name, "an accepted call leaves the rows and lengths genc.h describes");
    } else if (expectedPositions == 0 && !after.logits.empty()) {
      broken(name, "no logits after a rollback");
    } else if (expectedPositions > 0 &&
               (after.logitRows != after.rows || after.positions != expectedPositions)) {
      broken(name, "a start's logits are one position per row, an append's one per token");
    }
  }
  genc_session_free(s);
}

} // namespace genc::fuzz

#endif // GENC_TEST_FUZZ_SESSIONSEQUENCE_H
