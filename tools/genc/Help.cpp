//===- Help.cpp - option categories and --help for genc's commands --------===//

#include "Help.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

namespace cl = llvm::cl;

namespace genc::driver {

cl::OptionCategory &inputOutputCategory() {
  static cl::OptionCategory category("Input/output");
  return category;
}

cl::OptionCategory &codeGenerationCategory() {
  static cl::OptionCategory category("Code generation");
  return category;
}

cl::OptionCategory &attentionRewritesCategory() {
  static cl::OptionCategory category("Attention rewrites");
  return category;
}

cl::OptionCategory &executionCategory() {
  static cl::OptionCategory category("Execution");
  return category;
}

cl::OptionCategory &scoringCategory() {
  static cl::OptionCategory category("Scoring");
  return category;
}

cl::OptionCategory &diagnosticsCategory() {
  static cl::OptionCategory category("Diagnostics");
  return category;
}

void addToCategory(llvm::ArrayRef<llvm::StringRef> names, cl::OptionCategory &category) {
  auto &options = cl::getRegisteredOptions();
  for (llvm::StringRef name : names)
    if (cl::Option *option = options.lookup(name))
      option->addCategory(category);
}

namespace {
/// Whether `option` is in one of genc's categories or LLVM's generic ones
/// (--help, --help-hidden, --version, --print-options).
bool isShownOption(const cl::Option &option) {
  const cl::OptionCategory *ours[] = {&inputOutputCategory(),       &codeGenerationCategory(),
                                      &attentionRewritesCategory(), &executionCategory(),
                                      &scoringCategory(),           &diagnosticsCategory()};
  return llvm::any_of(option.Categories, [&](const cl::OptionCategory *category) {
    return llvm::is_contained(ours, category) || category->getName() == "Generic Options";
  });
}
} // namespace

void hideOtherOptions() {
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    if (!isShownOption(*option) && option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  }
}

void parseCommandLine(int argc, const char *const *argv, llvm::StringRef overview) {
  std::string errors;
  llvm::raw_string_ostream stream(errors);
  if (cl::ParseCommandLineOptions(argc, argv, overview, &stream))
    return;
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(errors).split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    // "<program>: Did you mean '--name=value'?"
    llvm::StringRef suggested = line.split("Did you mean '").second;
    if (!suggested.empty()) {
      llvm::StringRef name =
          suggested.ltrim('-').take_until([](char c) { return c == '=' || c == '\''; });
      cl::Option *option = cl::getRegisteredOptions().lookup(name);
      if (!option || !isShownOption(*option))
        continue;
    }
    llvm::errs() << line << '\n';
  }
  std::exit(1);
}

} // namespace genc::driver
