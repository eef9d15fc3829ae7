//===- TokenizeTool.cpp - genc-tokenize: the tokenizer on stdin -----------===//
//
// For tests (test/Runtime/tokenizer-agreement.test):
//   genc-tokenize MODEL            each input line -> its ids, space-separated
//   genc-tokenize --decode MODEL   each line of ids -> the decoded text, with
//                                  '\' and newline written as \\ and \n
//   genc-tokenize --info MODEL     "vocab N bos B eos E"
// Lines end at '\n' only, so a '\r' is part of the text.
//
//===----------------------------------------------------------------------===//

#include "Error.h"
#include "tokenizer/Tokenizer.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
  std::string mode = "encode";
  const char *path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--decode"))
      mode = "decode";
    else if (!std::strcmp(argv[i], "--info"))
      mode = "info";
    else if (!path)
      path = argv[i];
    else
      path = nullptr, i = argc;
  }
  if (!path) {
    std::fprintf(stderr, "usage: genc-tokenize [--decode | --info] MODEL < lines\n");
    return 2;
  }
  try {
    auto tokenizer = genc::tokenizer::Tokenizer::load(path);
    if (mode == "info") {
      std::cout << "vocab " << tokenizer->vocabSize() << " bos " << tokenizer->bosId() << " eos "
                << tokenizer->eosId() << "\n";
      return 0;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
      if (mode == "encode") {
        std::vector<int64_t> ids = tokenizer->encode(line);
        for (size_t i = 0; i < ids.size(); ++i)
          std::cout << (i ? " " : "") << ids[i];
        std::cout << "\n";
      } else {
        std::istringstream in(line);
        std::vector<int64_t> ids;
        for (int64_t id; in >> id;)
          ids.push_back(id);
        if (!in.eof())
          throw genc::runtime::Error("not a list of token ids: '" + line + "'");
        for (char c : tokenizer->decode(ids)) {
          if (c == '\\')
            std::cout << "\\\\";
          else if (c == '\n')
            std::cout << "\\n";
          else
            std::cout << c;
        }
        std::cout << "\n";
      }
    }
    std::cout.flush();
  } catch (const std::exception &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
  return 0;
}
