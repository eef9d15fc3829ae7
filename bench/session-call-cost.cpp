//===- session-call-cost.cpp - a cached call's time by tokens per call ----===//
//
// What speculative decoding pays per round: one session over a compiled
// model (one row, one thread), a prompt of CONTEXT tokens, then for k = 1
// .. MAX_TOKENS an append of k tokens and a rollback of them, repeated: the
// median microseconds of a call (append + rollback) over rounds of 200.
// The target verifies γ + 1 tokens in one call where greedy decoding
// appends one; the draft appends one token per proposal. Built and run by
// bench/generation.sh.
//
// Usage: session-call-cost MODEL.so [CONTEXT] [MAX_TOKENS]
//
//===----------------------------------------------------------------------===//

#include "genc/genc.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.so [CONTEXT] [MAX_TOKENS]\n", argv[0]);
    return 2;
  }
  const int64_t context = argc > 2 ? std::atoll(argv[2]) : 32;
  const int64_t maxTokens = argc > 3 ? std::atoll(argv[3]) : 8;
  genc_model *model = nullptr;
  genc_session *session = nullptr;
  genc_session_options options{context + maxTokens, 1, 1};
  if (genc_model_load(argv[1], &model) != GENC_OK ||
      genc_session_create(model, &options, &session) != GENC_OK) {
    std::fprintf(stderr, "%s: %s\n", argv[1], genc_status_message());
    return 1;
  }
  // Any ids below the vocabulary do; these are the 1024-piece fixtures'.
  std::vector<int64_t> prompt(context);
  for (int64_t i = 0; i < context; ++i)
    prompt[i] = 300 + (i * 37) % 700;
  const int64_t *rows[] = {prompt.data()};
  if (genc_session_start(session, rows, &context, 1) != GENC_OK) {
    std::fprintf(stderr, "%s: %s\n", argv[1], genc_status_message());
    return 1;
  }
  constexpr int kRounds = 7, kCalls = 200;
  for (int64_t k = 1; k <= maxTokens; ++k) {
    std::vector<int64_t> tokens(k, 500);
    std::vector<double> perCall;
    for (int round = 0; round < kRounds; ++round) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kCalls; ++i)
        if (genc_session_append(session, tokens.data(), k) != GENC_OK ||
            genc_session_rollback(session, k) != GENC_OK) {
          std::fprintf(stderr, "%s: %s\n", argv[1], genc_status_message());
          return 1;
        }
      perCall.push_back(std::chrono::duration<double, std::micro>(
                            std::chrono::steady_clock::now() - start)
                            .count() /
                        kCalls);
    }
    std::nth_element(perCall.begin(), perCall.begin() + kRounds / 2, perCall.end());
    std::printf("%lld tokens per call: %.1f us\n", static_cast<long long>(k),
                perCall[kRounds / 2]);
  }
  genc_session_free(session);
  genc_model_free(model);
  return 0;
}
