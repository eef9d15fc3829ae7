//===- FakeLanguageModel.h - table-driven LanguageModel for the tests -*- C++ -*-===//
//
// Each row's next-token logits are a deterministic function of the row's
// whole sequence, so every strategy can be checked by hand or against a
// brute force. The fake is strict: it throws std::logic_error when a
// strategy misuses it (logits read after reorder/rollback, wrong token
// counts, rolling back more than a row holds).
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TEST_RUNTIME_UNIT_FAKELANGUAGEMODEL_H
#define GENC_TEST_RUNTIME_UNIT_FAKELANGUAGEMODEL_H

#include "generate/CrossAttentionSource.h"
#include "generate/LanguageModel.h"

#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <vector>

namespace genc::generate::testing {

/// The logits that follow a sequence (prompt included).
using LogitsFn = std::function<std::vector<float>(const std::vector<int64_t> &sequence)>;

class FakeLanguageModel : public LanguageModel {
public:
  FakeLanguageModel(int64_t vocab, LogitsFn fn) : vocab_(vocab), fn_(std::move(fn)) {}

  int64_t vocabSize() const override { return vocab_; }
  int64_t rows() const override { return static_cast<int64_t>(sequences.size()); }
  int64_t length(int64_t row) const override {
    return static_cast<int64_t>(sequences.at(row).size());
  }

  void start(const std::vector<std::vector<int64_t>> &prompts) override {
    ++starts;
    sequences = prompts;
    logits_.clear();
    for (const auto &s : sequences)
      push(s);
    count_ = 1;
    fresh_ = true;
  }

  void append(std::span<const int64_t> tokens, int64_t count) override {
    if (static_cast<int64_t>(tokens.size()) != rows() * count || count < 1)
      throw std::logic_error("append: tokens.size() != rows * count");
    ++appends;
    rowsPerAppend.push_back(rows());
    logits_.clear();
    for (int64_t r = 0; r < rows(); ++r)
      for (int64_t j = 0; j < count; ++j) {
        int64_t token = tokens[r * count + j];
        if (token < 0 || token >= vocab_)
          throw std::logic_error("append: token outside the vocabulary");
        sequences[r].push_back(token);
        push(sequences[r]);
      }
    count_ = count;
    fresh_ = true;
  }

  std::span<const float> logits() const override {
    if (!fresh_)
      throw std::logic_error("logits read after reorder or rollback");
    return logits_;
  }

  void reorder(std::span<const int64_t> sources) override {
    ++reorders;
    std::vector<std::vector<int64_t>> next;
    for (int64_t s : sources)
      next.push_back(sequences.at(s));
    sequences = std::move(next);
    fresh_ = false;
  }

  void rollback(int64_t count) override {
    ++rollbacks;
    for (auto &s : sequences) {
      if (count < 0 || count > static_cast<int64_t>(s.size()))
        throw std::logic_error("rollback past the start of a row");
      s.resize(s.size() - count);
    }
    fresh_ = false;
  }

  /// The logits of row `row`'s last position of the latest start/append.
  std::vector<float> lastLogits(int64_t row) const {
    auto l = logits();
    auto at = l.begin() + ((row + 1) * count_ - 1) * vocab_;
    return {at, at + vocab_};
  }

  std::vector<std::vector<int64_t>> sequences;
  int64_t starts = 0, appends = 0, reorders = 0, rollbacks = 0;
  std::vector<int64_t> rowsPerAppend;

protected:
  virtual void push(const std::vector<int64_t> &sequence) {
    std::vector<float> l = fn_(sequence);
    if (static_cast<int64_t>(l.size()) != vocab_)
      throw std::logic_error("logits function returned the wrong size");
    logits_.insert(logits_.end(), l.begin(), l.end());
  }

  int64_t vocab_;
  LogitsFn fn_;
  std::vector<float> logits_;
  int64_t count_ = 1;
  bool fresh_ = false;
};

/// An encoder-decoder stand-in: also reports cross-attention, a function of
/// the row's sequence (the position that predicts the next token).
class FakeEncoderDecoder : public FakeLanguageModel, public CrossAttentionSource {
public:
  FakeEncoderDecoder(int64_t vocab, LogitsFn fn, int64_t sourceLength, LogitsFn attention)
      : FakeLanguageModel(vocab, std::move(fn)), sourceLength_(sourceLength),
        attentionFn_(std::move(attention)) {}

  int64_t sourceLength() const override { return sourceLength_; }
  std::span<const float> crossAttention() const override {
    if (!fresh_)
      throw std::logic_error("attention read after reorder or rollback");
    return attention_;
  }

  void start(const std::vector<std::vector<int64_t>> &prompts) override {
    attention_.clear();
    FakeLanguageModel::start(prompts);
  }
  void append(std::span<const int64_t> tokens, int64_t count) override {
    // Only the last appended position's attention would be reported.
    if (count > 1)
      throw std::logic_error("the fake reports attention for single-token appends only");
    attention_.clear();
    FakeLanguageModel::append(tokens, count);
  }

protected:
  void push(const std::vector<int64_t> &sequence) override {
    FakeLanguageModel::push(sequence);
    std::vector<float> a = attentionFn_(sequence);
    attention_.insert(attention_.end(), a.begin(), a.end());
  }

private:
  int64_t sourceLength_;
  LogitsFn attentionFn_;
  std::vector<float> attention_;
};

/// logits = table[last token] + perLength[length][token] (a length term, so
/// the same token is followed differently later on; rows of perLength past
/// its end count as zero).
inline LogitsFn bigram(std::vector<std::vector<float>> table,
                       std::vector<std::vector<float>> perLength = {}) {
  return [table = std::move(table), perLength = std::move(perLength)](
             const std::vector<int64_t> &sequence) {
    std::vector<float> l = table.at(sequence.back());
    if (sequence.size() < perLength.size())
      for (size_t v = 0; v < l.size(); ++v)
        l[v] += perLength[sequence.size()][v];
    return l;
  };
}

/// logits = log(probabilities), looked up by the generated part of the
/// sequence (after `promptLength` tokens); `otherwise` for prefixes not in
/// the table. With these logits log-softmax gives back log(probabilities).
inline LogitsFn prefixTable(size_t promptLength,
                            std::map<std::vector<int64_t>, std::vector<double>> table,
                            std::vector<double> otherwise) {
  return [=](const std::vector<int64_t> &sequence) {
    std::vector<int64_t> generated(sequence.begin() + promptLength, sequence.end());
    auto it = table.find(generated);
    const std::vector<double> &probs = it == table.end() ? otherwise : it->second;
    std::vector<float> l;
    for (double p : probs)
      l.push_back(static_cast<float>(std::log(p)));
    return l;
  };
}

/// Reference log-softmax in double, written apart from the library's.
inline std::vector<double> referenceLogSoftmax(const std::vector<float> &logits) {
  double top = logits[0];
  for (float l : logits)
    top = std::max(top, static_cast<double>(l));
  double sum = 0.0;
  for (float l : logits)
    sum += std::exp(l - top);
  std::vector<double> out;
  for (float l : logits)
    out.push_back(l - top - std::log(sum));
  return out;
}

} // namespace genc::generate::testing

#endif // GENC_TEST_RUNTIME_UNIT_FAKELANGUAGEMODEL_H
