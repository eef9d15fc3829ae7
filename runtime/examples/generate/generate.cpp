//===- generate.cpp - greedy generation with genc.hpp ---------------------===//
//
// Loads an artifact compiled for generation sessions
// (`genc compile MODEL.onnx --kv-cache=session -o MODEL.so`), prefills a
// prompt of token ids, then picks the most likely next token and appends
// it, step by step, through the session's in-place KV cache.
//
//   generate MODEL.so PROMPT_IDS [MAX_NEW_TOKENS]     PROMPT_IDS: 1,591,368
//
// Prints the generated ids on one line. Every failure of the runtime is a
// genc::Error with its status and message. Exit status: 3 when the runtime
// ran out of memory (the KV cache for MAX_NEW_TOKENS did not fit), 1 for
// another failure of the runtime, 2 for bad arguments.
//
//===----------------------------------------------------------------------===//

#include <genc/genc.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static std::vector<int64_t> parseIds(const std::string &text) {
  std::vector<int64_t> ids;
  std::istringstream stream(text);
  for (std::string id; std::getline(stream, id, ',');)
    ids.push_back(std::stoll(id));
  return ids;
}

static int64_t mostLikely(std::span<const float> scores) {
  return std::max_element(scores.begin(), scores.end()) - scores.begin();
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " MODEL.so PROMPT_IDS [MAX_NEW_TOKENS]\n";
    return 2;
  }
  try {
    std::vector<int64_t> prompt = parseIds(argv[2]);
    int64_t maxNewTokens = argc > 3 ? std::stoll(argv[3]) : 8;

    genc::Model model(argv[1]);
    // The cache is allocated once, for the longest sequence this run makes.
    genc::Session session(model, {.max_context = static_cast<int64_t>(prompt.size()) + maxNewTokens,
                                  .max_rows = 1,
                                  .threads = 0});
    session.start(prompt);
    std::vector<int64_t> generated;
    while (true) {
      genc::Logits logits = session.logits(); // [1, positions, vocab]
      generated.push_back(mostLikely(logits.at(0, logits.positions - 1)));
      if (static_cast<int64_t>(generated.size()) == maxNewTokens)
        break;
      session.append(std::span(&generated.back(), 1));
    }

    for (size_t i = 0; i < generated.size(); ++i)
      std::cout << (i ? " " : "") << generated[i];
    std::cout << "\n";
  } catch (const genc::Error &error) {
    std::cerr << "error: " << error.what() << "\n";
    // Out of memory is worth telling apart: fewer new tokens may fit.
    return error.status() == GENC_ERROR_OUT_OF_MEMORY ? 3 : 1;
  } catch (const std::logic_error &error) { // a prompt id or count that is no number
    std::cerr << "error: bad number: " << error.what() << "\n";
    return 2;
  }
  return 0;
}
