//===- ChecksTable.cpp - the messages of the checks compiled code makes ---===//
//
// An artifact's `genc_checks` constant holds one "<number> <message>" line
// per check its code makes (numbered from 1: a zeroed context means no
// failure). A failing check records its number in the caller's context; the
// runtime prints the line, with {reason} (a failing kernel's), {index} and
// {bound} filled in.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

using namespace mlir;

namespace {
constexpr StringLiteral kChecksSymbol = "genc_checks";
} // namespace

SmallVector<int64_t> genc::addCheckMessages(ModuleOp module, ArrayRef<std::string> messages) {
  std::string table;
  llvm::StringMap<int64_t> numbers;
  int64_t count = 0;
  auto old = module.lookupSymbol<LLVM::GlobalOp>(kChecksSymbol);
  if (old) {
    table = cast<StringAttr>(*old.getValue()).getValue().drop_back().str(); // the NUL
    for (StringRef rest = table; !rest.empty();) {
      auto [line, next] = rest.split('\n');
      auto [number, message] = line.split(' ');
      numbers[message] = ++count;
      rest = next;
    }
  }
  SmallVector<int64_t> result;
  for (std::string message : messages) {
    // One line per check: a node name with a newline must not shift them.
    std::replace(message.begin(), message.end(), '\n', ' ');
    auto [it, added] = numbers.try_emplace(message, count + 1);
    if (added)
      table += std::to_string(++count) + " " + message + "\n";
    result.push_back(it->second);
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = old ? old.getLoc() : module.getLoc();
  if (old)
    old.erase();
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), table.size() + 1);
  LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true, LLVM::Linkage::External, kChecksSymbol,
                         b.getStringAttr(table + '\0'));
  return result;
}
