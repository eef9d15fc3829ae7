//===- SelectCacheBranch.cpp - a merged decoder's cached branch ------------===//
//
// Optimum's merged decoder takes a boolean `use_cache_branch` and runs one
// of two graphs in an If: without a cache (first step) or with one. A
// session always has a cache, empty at the first step, and the cached
// graph with an empty past computes what the other computes; so the
// argument becomes the constant true and goes, and If canonicalization
// keeps the cached branch, where genc-kv-cache-in-place finds the cache.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::genc {
#define GEN_PASS_DEF_SELECTCACHEBRANCH
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

struct SelectCacheBranchPass : genc::impl::SelectCacheBranchBase<SelectCacheBranchPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    std::optional<BlockArgument> use = genc::useCacheBranchArgument(fn);
    if (!use)
      return;
    auto type = cast<RankedTensorType>(use->getType());
    OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
    auto yes = arith::ConstantOp::create(b, fn.getLoc(), DenseElementsAttr::get(type, true));
    use->replaceAllUsesWith(yes);
    if (failed(fn.eraseArgument(use->getArgNumber())))
      return signalPassFailure();
  }
};

} // namespace

std::optional<BlockArgument> mlir::genc::useCacheBranchArgument(func::FuncOp fn) {
  if (fn.isExternal())
    return std::nullopt;
  for (BlockArgument arg : fn.getArguments()) {
    auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "genc.name");
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (name && name.getValue() == "use_cache_branch" && type &&
        type.getElementType().isInteger(1) && type.hasStaticShape() && type.getNumElements() == 1)
      return arg;
  }
  return std::nullopt;
}
