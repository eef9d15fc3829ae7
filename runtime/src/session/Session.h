//===- Session.h - a generation session over a loaded model -----*- C++ -*-===//
//
// What lives between the calls of a decoding loop: the rows' tokens, their
// padding, and the KV cache. The cache is allocated once for max_rows ×
// max_context; a model compiled with `--kv-cache=session` writes each
// step's keys and values into it in place, so a step never copies the
// cache. A model exported without a cache is run on the whole sequence at
// every step instead (correct, and slow).
//
// A layer with a sliding window sees only its last W positions and its
// first few (sinks): its cache slides (genc-roll-window-caches), holding
// O(window) positions. When it fills, the session moves the positions the
// window still sees, and 64 before them (so that a draft model can roll
// back across steps), to just after the sinks; a call that adds more tokens than
// there is room for runs in pieces. A linear attention layer sees the past
// through sums the session keeps for it: its cache holds only the last
// positions, which the kernel has not folded into them for good.
//
// Rows of different lengths are left-padded to a common length: the padding
// is masked out through attention_mask and position_ids count real tokens
// only, so each row computes what it would compute alone.
//
// An encoder-decoder's artifact has an `encoder` entry point: encode() runs
// it once on a source, and every row of every later step reads what it
// returned (its hidden states, and what the decoder computes from them
// alone, such as each layer's cross-attention keys and values). The
// decoder's `cross_attentions` output, when it has one, is what the
// coverage penalty reads.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_RUNTIME_SESSION_SESSION_H
#define GENC_RUNTIME_SESSION_SESSION_H

#include "Error.h"
#include "genc/genc.h"
#include "genc/kernels.h"
#include "generate/CrossAttentionSource.h"
#include "generate/LanguageModel.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace genc::runtime {

class ThreadPool;
struct EntryPoint;

/// A failure with a status of its own (a call of the artifact that ran out
/// of memory or failed a check; a KV cache that could not be allocated),
/// which becomes the session call's instead of an invalid argument.
struct CallFailed : Error {
  CallFailed(const std::string &what, genc_status status) : Error(what), status(status) {}
  genc_status status;
};

struct SessionOptions {
  /// Tokens a row may hold, prompt included.
  int64_t maxContext = 1024;
  /// Rows (prompts × beams) held at once.
  int64_t maxRows = 1;
  /// Threads of the session's own pool, the caller included (0: every CPU
  /// the process may use).
  unsigned threads = 0;
  /// A pool to share instead (a target and its draft, which never run at
  /// once: two pools would spin against each other).
  std::shared_ptr<ThreadPool> sharedPool;
  /// Tokens per row a cached model is given in one call (0: any): a longer
  /// prompt runs in pieces, each reading the cache the ones before wrote,
  /// which bounds a prefill's intermediate buffers. Not for a model whose
  /// LSH attention buckets the tokens of a call together.
  int64_t tokensPerCall = GENC_SESSION_TOKENS_PER_CALL;
};

class Session final : public generate::LanguageModel, public generate::CrossAttentionSource {
public:
  /// `model` must outlive the session.
  Session(genc_model &model, const SessionOptions &options);
  ~Session() override;

  int64_t vocabSize() const override { return vocab; }
  int64_t rows() const override { return static_cast<int64_t>(padding.size()); }
  int64_t length(int64_t row) const override;
  /// Milliseconds spent in start() (prefill) since the session was made.
  double prefillMillis() const { return prefillTime; }
  /// True when the model keeps its KV cache in this session.
  bool cached() const { return !caches.empty(); }
  /// True for an encoder-decoder: encode() a source before start().
  bool needsSource() const { return encoder != nullptr; }

  /// Encodes `source` (token ids, no padding) for every later row, and
  /// forgets the rows held.
  void encode(const std::vector<int64_t> &source);
  /// The encoded source's positions; 0 when the decoder reports no
  /// cross-attention (then the coverage penalty cannot run).
  int64_t sourceLength() const override { return crossOutput == kNone ? 0 : encodedLength; }
  std::span<const float> crossAttention() const override { return lastCross; }

  void start(const std::vector<std::vector<int64_t>> &prompts) override;
  void append(std::span<const int64_t> tokens, int64_t count) override;
  std::span<const float> logits() const override { return lastLogits; }
  void reorder(std::span<const int64_t> sources) override;
  void rollback(int64_t count) override;
  /// Forgets every row.
  void reset();

  /// Logits of every position of `tokens`, one row, from a fresh start:
  /// [tokens.size(), vocab] (scoring, perplexity). Resets the session.
  std::vector<float> scoreAll(const std::vector<int64_t> &tokens);

private:
  struct Cache;
  struct Window;
  /// Runs the model on `count` new tokens per row after `past` positions
  /// (in pieces of at most tokensPerCall, or what sliding caches have room
  /// for); fills `out` with the logits of the last `keep` positions per
  /// row.
  void run(const std::vector<int64_t> &tokens, int64_t count, int64_t past, int64_t keep,
           std::vector<float> &out);
  /// One call of the model: run() where every token fits.
  void runOnce(const std::vector<int64_t> &tokens, int64_t count, int64_t past, int64_t keep,
               std::vector<float> &out);
  /// Slides the caches that must so that a call after `past` positions
  /// can add tokens; returns how many it can add (at most `wanted`).
  int64_t makeRoom(int64_t past, int64_t wanted);
  /// Whether sliding caches still hold what a token after `length`
  /// positions sees; if not, the first position missing.
  std::optional<int64_t> missingPosition(int64_t length) const;
  void checkRows(int64_t n) const;
  void checkTokens(std::span<const int64_t> tokens) const;

  /// What the encoder returned for a decoder input, repeated for max_rows
  /// rows when its first dimension is the batch.
  struct SourceValue;
  static constexpr size_t kNone = ~size_t(0);

  /// Forgets what the attention states hold (the next step rebuilds them
  /// from the cache).
  void forgetAttentionStates();

  /// What an attention layer keeps between steps (a linear layer's sums,
  /// an LSH layer's key buckets and their order): max_rows rows (genc_attention_state; the
  /// kernel lays a row out, within what kernels.h says a row holding some
  /// positions means, and decides what it reuses).
  struct AttentionState {
    /// Zeroed by calloc, whose pages the system maps as they are touched:
    /// an LSH layer's rows for max_context positions cost nothing until
    /// used.
    struct Free {
      void operator()(float *p) const { std::free(p); }
    };
    std::unique_ptr<float[], Free> data;
    /// genc_attention_state's, per row.
    std::vector<int64_t> positions, folded;
    int64_t floatsPerRow;
    /// The signature's FIXED and PER_POSITION: what a row holding some
    /// positions means (kernels.h).
    int64_t fixed, perPosition;
  };

  genc_model &model;
  SessionOptions opts;
  std::shared_ptr<ThreadPool> pool;
  int64_t vocab = 0;
  size_t idsInput, maskInput, positionsInput, pastLengthInput, logitsPositionsInput;
  size_t logitsOutput, crossOutput = kNone;
  std::vector<std::unique_ptr<Cache>> caches;
  std::vector<std::unique_ptr<Window>> windows;
  std::vector<AttentionState> attentionStates;
  /// What compiled code receives for them, by slot.
  std::vector<genc_attention_state> attentionStateViews;
  const EntryPoint *encoder = nullptr;
  std::vector<std::unique_ptr<SourceValue>> sourceValues;
  int64_t encodedLength = 0;
  /// [rows, encodedLength]: each row's cross-attention at its last position.
  std::vector<float> lastCross;
  /// Tokens of every row, padding included: total entries each.
  std::vector<std::vector<int64_t>> sequences;
  /// Padding positions at the start of each row.
  std::vector<int64_t> padding;
  int64_t total = 0;
  std::vector<float> lastLogits;
  double prefillTime = 0;
  /// Reused by reorder: the rows being moved, packed.
  std::vector<float> scratch;
};

} // namespace genc::runtime

#endif // GENC_RUNTIME_SESSION_SESSION_H
