//===- Help.cpp - option categories and --help for genc's commands --------===//

#include "Help.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

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

void hideOtherOptions() {
  const cl::OptionCategory *ours[] = {&inputOutputCategory(),       &codeGenerationCategory(),
                                      &attentionRewritesCategory(), &executionCategory(),
                                      &scoringCategory(),           &diagnosticsCategory()};
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    bool shown = llvm::any_of(option->Categories, [&](const cl::OptionCategory *category) {
      // LLVM's own --help, --help-hidden, --version, --print-options.
      return llvm::is_contained(ours, category) || category->getName() == "Generic Options";
    });
    if (!shown && option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  }
}

} // namespace genc::driver
