//===- SessionCheck.cpp - a cached session against full recomputation ------===//
//
// genc-session-check CACHED.so FULL.so STEPS [--batch]
//
// CACHED is a decoder compiled with --kv-cache=session, FULL the same model
// exported without a cache. Greedy-decodes STEPS tokens with the cached
// session and checks every step's logits against a session that reruns the
// whole sequence; then (with --batch) checks left-padded rows of different
// lengths, beam-style reordering and rollback, and two rows of one length
// swapped (their attention states, kept whole, move), the same way. Prints the
// largest difference; exits 1 past 1e-4.
//
//===----------------------------------------------------------------------===//

#include "genc/genc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
constexpr double kTolerance = 1e-4;
double worst = 0;

[[noreturn]] void die(const std::string &what) {
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), genc_status_message());
  std::exit(2);
}
void check(genc_status s, const std::string &what) {
  if (s != GENC_OK)
    die(what);
}

struct Session {
  genc_session *s = nullptr;
  Session(genc_model *m, int64_t rows, unsigned threads = 1) {
    genc_session_options o{128, rows, threads};
    check(genc_session_create(m, &o, &s), "genc_session_create");
  }
  ~Session() { genc_session_free(s); }
  void start(const std::vector<std::vector<int64_t>> &prompts) {
    std::vector<const int64_t *> p;
    std::vector<int64_t> n;
    for (const auto &x : prompts) {
      p.push_back(x.data());
      n.push_back(static_cast<int64_t>(x.size()));
    }
    check(genc_session_start(s, p.data(), n.data(), static_cast<int64_t>(p.size())), "start");
  }
  void append(const std::vector<int64_t> &tokens, int64_t count) {
    check(genc_session_append(s, tokens.data(), count), "append");
  }
  /// Every position's logits of the last call.
  std::vector<float> all() const {
    int64_t rows, positions, vocab;
    const float *l = genc_session_logits(s, &rows, &positions, &vocab);
    return {l, l + rows * positions * vocab};
  }
  /// Row r's logits at the last position.
  std::vector<float> last(int64_t r) const {
    int64_t rows, positions, vocab;
    const float *l = genc_session_logits(s, &rows, &positions, &vocab);
    const float *row = l + ((r + 1) * positions - 1) * vocab;
    return {row, row + vocab};
  }
};

/// Compares row `r` of `cached` with row `r2` of `full`, both at their last
/// position.
void compare(const Session &cached, int64_t r, const Session &full, int64_t r2,
             const std::string &what) {
  std::vector<float> a = cached.last(r), b = full.last(r2);
  if (a.size() != b.size()) {
    std::fprintf(stderr, "%s: vocab %zu vs %zu\n", what.c_str(), a.size(), b.size());
    std::exit(1);
  }
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i)
    d = std::max(d, double(std::fabs(a[i] - b[i])));
  worst = std::max(worst, d);
  if (d > kTolerance) {
    std::fprintf(stderr, "%s: logits differ by %g\n", what.c_str(), d);
    std::exit(1);
  }
}

int64_t argmax(const std::vector<float> &v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s CACHED.so FULL.so STEPS [--batch]\n", argv[0]);
    return 2;
  }
  genc_model *cachedModel, *fullModel;
  check(genc_model_load(argv[1], &cachedModel), argv[1]);
  check(genc_model_load(argv[2], &fullModel), argv[2]);
  const int steps = std::atoi(argv[3]);
  const bool batch = argc > 4 && !std::strcmp(argv[4], "--batch");
  std::printf("max positions: %lld\n",
              static_cast<long long>(genc_model_max_positions(cachedModel)));

  // Greedy decoding, one row: every step against full recomputation.
  std::vector<int64_t> prompt = {5, 17, 42, 9, 101};
  {
    Session cached(cachedModel, 1), full(fullModel, 1);
    cached.start({prompt});
    full.start({prompt});
    compare(cached, 0, full, 0, "prefill");
    for (int step = 0; step < steps; ++step) {
      int64_t next = argmax(cached.last(0));
      cached.append({next}, 1);
      full.append({next}, 1);
      compare(cached, 0, full, 0, "step " + std::to_string(step));
    }
    std::printf("greedy: %d cached steps match full recomputation\n", steps);
    // A call that fails (the context is full, a bad reorder) leaves the
    // session as it was: the next step still matches.
    std::vector<int64_t> tooMany(200, 1);
    int64_t badSource = 7;
    if (genc_session_append(cached.s, tooMany.data(), 200) == GENC_OK ||
        genc_session_reorder(cached.s, &badSource, 1) == GENC_OK) {
      std::fprintf(stderr, "an append past the context or a bad reorder succeeded\n");
      return 1;
    }
    std::printf("refused: %s\n", genc_status_message());
    int64_t next = argmax(cached.last(0));
    cached.append({next}, 1);
    full.append({next}, 1);
    compare(cached, 0, full, 0, "step after a failed call");
    // A speculative verification appends several tokens and reads the
    // logits of each: all of them match.
    cached.append({7, 8, 9}, 3);
    full.append({7, 8, 9}, 3);
    std::vector<float> a = cached.all(), b = full.all();
    double d = a.size() == b.size() ? 0 : 1e9;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
      d = std::max(d, double(std::fabs(a[i] - b[i])));
    worst = std::max(worst, d);
    if (d > kTolerance) {
      std::fprintf(stderr, "a 3-token append's logits differ by %g\n", d);
      return 1;
    }
    std::printf("verification: a 3-token append's logits match at every position\n");
  }
  {
    // A rollback of 70 tokens: past what linear attention keeps unfolded
    // (64 before the last call), which then forgets its sums while the
    // cache holds every position; the next step still matches.
    Session cached(cachedModel, 1), full(fullModel, 1);
    std::vector<int64_t> tokens(80);
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = 1 + static_cast<int64_t>(i * 7 % 50);
    for (Session *s : {&cached, &full}) {
      s->start({prompt});
      s->append(tokens, 80);
      s->append({3}, 1);
      check(genc_session_rollback(s->s, 70), "rollback of 70 tokens");
      s->append({4}, 1);
    }
    compare(cached, 0, full, 0, "step after a rollback of 70 tokens");
    std::printf("long rollback: the step after a rollback of 70 tokens matches\n");
  }
  {
    // Two sessions over one model, decoding at once from two threads with
    // two pool threads each, give what one session gives alone.
    auto decode = [&](std::vector<int64_t> &out) {
      Session s(cachedModel, 1, 2);
      s.start({prompt});
      for (int step = 0; step < steps; ++step) {
        out.push_back(argmax(s.last(0)));
        s.append({out.back()}, 1);
      }
    };
    std::vector<int64_t> alone, first, second;
    decode(alone);
    std::thread a([&] { decode(first); }), b([&] { decode(second); });
    a.join();
    b.join();
    if (first != alone || second != alone) {
      std::fprintf(stderr, "concurrent sessions decoded other tokens than one session alone\n");
      return 1;
    }
    std::printf("concurrent: two sessions on two threads match one alone\n");
  }
  if (batch) {
    // Rows of different lengths, left-padded, each against itself alone.
    std::vector<std::vector<int64_t>> prompts = {{7, 3, 99}, prompt};
    Session cached(cachedModel, 3);
    cached.start(prompts);
    std::vector<std::vector<int64_t>> seqs = prompts;
    auto againstAlone = [&](const std::string &what) {
      for (int64_t r = 0; r < genc_session_rows(cached.s); ++r) {
        Session alone(fullModel, 1);
        alone.start({seqs[r]});
        compare(cached, r, alone, 0, what + ", row " + std::to_string(r));
      }
    };
    againstAlone("padded prefill");
    for (int step = 0; step < 4; ++step) {
      std::vector<int64_t> next = {argmax(cached.last(0)), argmax(cached.last(1))};
      cached.append(next, 1);
      for (int r = 0; r < 2; ++r)
        seqs[r].push_back(next[r]);
      againstAlone("padded step " + std::to_string(step));
    }
    // Beam-style reordering: three rows from two, then a step.
    std::vector<int64_t> sources = {1, 1, 0};
    check(genc_session_reorder(cached.s, sources.data(), 3), "reorder");
    seqs = {seqs[1], seqs[1], seqs[0]};
    std::vector<int64_t> next = {11, 12, 13};
    cached.append(next, 1);
    for (int r = 0; r < 3; ++r)
      seqs[r].push_back(next[r]);
    againstAlone("after reorder");
    // Speculative-style rollback: three tokens, two taken back, two others.
    cached.append({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3);
    check(genc_session_rollback(cached.s, 2), "rollback");
    cached.append({21, 22, 23, 24, 25, 26}, 2);
    std::vector<std::vector<int64_t>> kept = {{1, 21, 22}, {4, 23, 24}, {7, 25, 26}};
    for (int r = 0; r < 3; ++r)
      seqs[r].insert(seqs[r].end(), kept[r].begin(), kept[r].end());
    againstAlone("after rollback");
    // Rows of one length (no padding) keep every part of their attention
    // states: swapping them must move all of it.
    Session same(cachedModel, 2);
    seqs = {{4, 8, 15, 16, 23}, prompt};
    same.start(seqs);
    for (int step = 0; step < 3; ++step) {
      std::vector<int64_t> next = {argmax(same.last(0)), argmax(same.last(1))};
      same.append(next, 1);
      for (int r = 0; r < 2; ++r)
        seqs[r].push_back(next[r]);
    }
    std::vector<int64_t> swap = {1, 0};
    check(genc_session_reorder(same.s, swap.data(), 2), "reorder");
    std::swap(seqs[0], seqs[1]);
    same.append({31, 32}, 1);
    for (int r = 0; r < 2; ++r) {
      seqs[r].push_back(31 + r);
      Session alone(fullModel, 1);
      alone.start({seqs[r]});
      compare(same, r, alone, 0, "after swapping rows, row " + std::to_string(r));
    }
    std::printf("batch: padding, reorder and rollback match\n");
  }
  std::printf("largest difference %.3g\n", worst);
  genc_model_free(cachedModel);
  genc_model_free(fullModel);
  return 0;
}
