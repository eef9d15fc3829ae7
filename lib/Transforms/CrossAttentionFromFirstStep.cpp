//===- CrossAttentionFromFirstStep.cpp - a merged seq2seq decoder's source -===//
//
// Optimum's merged seq2seq decoder runs, in an If on use_cache_branch,
// either its first step (else: computes the cross-attention's keys and
// values from encoder_hidden_states, returns them as present.{i}.encoder.*)
// or a later one (then: reads them back as past_key_values.{i}.encoder.*).
// A session keeps the source; here each such input becomes a copy of the
// first step's computation of its output, placed before the If, so that the
// cached branch reads the source too.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::genc {
#define GEN_PASS_DEF_CROSSATTENTIONFROMFIRSTSTEP
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// `value`, defined in `ifOp`'s else branch, recomputed just before `ifOp`
/// with `map` (ops the values share are cloned once): the ops of the
/// branch it depends on, cloned in order.
Value cloneBeforeIf(IfOp ifOp, Value value, IRMapping &map) {
  Region &branch = ifOp.getElseBranch();
  if (value.getParentRegion() != &branch)
    return value; // defined above the If already
  BackwardSliceOptions options;
  options.inclusive = true;
  options.omitBlockArguments = true;
  options.omitUsesFromAbove = false; // a nested If's captures are operands too
  options.filter = [&](Operation *op) { return op->getParentRegion() == &branch; };
  SetVector<Operation *> slice;
  if (failed(getBackwardSlice(value, &slice, options)))
    return Value();
  OpBuilder b(ifOp);
  for (Operation *op : slice)
    if (!map.contains(op->getResult(0)))
      b.clone(*op, map);
  return map.lookup(value);
}

struct CrossAttentionFromFirstStepPass
    : genc::impl::CrossAttentionFromFirstStepBase<CrossAttentionFromFirstStepPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    std::optional<BlockArgument> useCache = genc::useCacheBranchArgument(fn);
    if (!useCache)
      return;
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    llvm::StringMap<unsigned> resultIndex;
    for (unsigned r = 0; r < fn.getNumResults(); ++r)
      if (auto name = fn.getResultAttrOfType<StringAttr>(r, "genc.name"))
        resultIndex[name.getValue()] = r;

    llvm::BitVector argsToErase(fn.getNumArguments()), resultsToErase(fn.getNumResults());
    DenseMap<Operation *, IRMapping> clonesPerIf;
    constexpr StringLiteral kPast = "past_key_values.";
    for (BlockArgument arg : fn.getArguments()) {
      auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "genc.name");
      if (!name || !name.getValue().starts_with(kPast) || !name.getValue().contains(".encoder."))
        continue;
      auto present =
          resultIndex.find(("present." + name.getValue().drop_front(kPast.size())).str());
      if (present == resultIndex.end())
        continue;
      // The If on use_cache_branch, whose cached branch alone reads the input.
      auto returned = dyn_cast<OpResult>(ret.getOperand(present->second));
      auto ifOp = returned ? dyn_cast<IfOp>(returned.getOwner()) : IfOp();
      if (!ifOp || ifOp->getParentRegion() != &fn.getBody() || ifOp.getCondition() != *useCache ||
          llvm::any_of(arg.getUsers(), [&](Operation *user) {
            return !ifOp.getThenBranch().isAncestor(user->getParentRegion());
          }))
        continue;
      auto firstStep = cast<YieldOp>(ifOp.getElseBranch().front().getTerminator());
      // Only the cached branch reads the input (checked above), so the first
      // step's computation cannot.
      Value computed =
          cloneBeforeIf(ifOp, firstStep.getOperand(returned.getResultNumber()), clonesPerIf[ifOp]);
      if (!computed)
        continue;
      if (computed.getType() != arg.getType()) {
        if (!tensor::CastOp::areCastCompatible(computed.getType(), arg.getType()))
          continue;
        OpBuilder b(ifOp);
        computed = tensor::CastOp::create(b, fn.getLoc(), arg.getType(), computed);
      }
      arg.replaceAllUsesWith(computed);
      argsToErase.set(arg.getArgNumber());
      resultsToErase.set(present->second);
    }
    if (argsToErase.none())
      return;
    ret->eraseOperands(resultsToErase);
    if (failed(fn.eraseResults(resultsToErase)) || failed(fn.eraseArguments(argsToErase))) {
      fn.emitError("genc-cross-attention-from-first-step could not remove the cross-attention "
                   "inputs it replaced");
      return signalPassFailure();
    }
  }
};

} // namespace
