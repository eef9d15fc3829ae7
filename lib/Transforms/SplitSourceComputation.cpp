//===- SplitSourceComputation.cpp - what depends on the source, once -------===//
//
// An encoder-decoder's decoder step takes the encoder's output and, at
// every step, recomputes values that depend on the source alone: each
// layer's cross-attention keys and values. This pass moves that work into a
// function of its own, which a session runs once per source.
//
// Only floating-point tensors move: shapes and index arithmetic stay in the
// step, so a value that reads the batch size is always computed with the
// step's batch (the session repeats the source's values for every row, and
// a shape computed with the source's batch of 1 would be wrong there).
//
//===----------------------------------------------------------------------===//

#include "genc/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::genc {
#define GEN_PASS_DEF_SPLITSOURCECOMPUTATION
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// Whether `op` may move: a pure, region-free op with floating-point tensor
/// results whose operands are source values or constants, one at least a
/// source value.
bool isSourceOnly(Operation &op, const DenseSet<Value> &sourceValues) {
  if (op.getNumRegions() != 0 || op.getNumResults() == 0 || !isMemoryEffectFree(&op) ||
      !llvm::all_of(op.getResultTypes(), isFloatTensor))
    return false;
  bool readsSource = false;
  for (Value operand : op.getOperands()) {
    if (sourceValues.contains(operand))
      readsSource = true;
    else if (!matchPattern(operand, m_Constant()))
      return false;
  }
  return readsSource;
}

struct SplitSourceComputationPass
    : genc::impl::SplitSourceComputationBase<SplitSourceComputationPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> steps;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      for (unsigned i = 0; i < fn.getNumArguments(); ++i)
        if (fn.getArgAttr(i, kSourceAttr)) {
          steps.push_back(fn);
          break;
        }
    for (func::FuncOp fn : steps)
      if (failed(split(fn)))
        return signalPassFailure();
  }

  LogicalResult split(func::FuncOp step) {
    if (!step.getBody().hasOneBlock())
      return step.emitError("the source's computation can only be split from a function of "
                            "one block");
    Block &body = step.getBody().front();
    llvm::BitVector sourceArgs(step.getNumArguments());
    DenseSet<Value> sourceValues;
    for (unsigned i = 0; i < step.getNumArguments(); ++i)
      if (step.getArgAttr(i, kSourceAttr)) {
        sourceArgs.set(i);
        sourceValues.insert(step.getArgument(i));
      }

    llvm::SetVector<Operation *> moved;
    for (Operation &op : body.without_terminator())
      if (isSourceOnly(op, sourceValues)) {
        moved.insert(&op);
        sourceValues.insert(op.result_begin(), op.result_end());
      }
    auto readByStep = [&](OpOperand &use) {
      return !moved.contains(body.findAncestorOpInBlock(*use.getOwner()));
    };
    // What the step still reads: the new function's results.
    llvm::SetVector<Value> frontier;
    auto addIfRead = [&](Value value) {
      if (llvm::any_of(value.getUses(), readByStep))
        frontier.insert(value);
    };
    for (unsigned i : sourceArgs.set_bits())
      addIfRead(step.getArgument(i));
    for (Operation *op : moved)
      llvm::for_each(op->getResults(), addIfRead);

    // The source function: the source arguments in, the frontier out.
    MLIRContext *ctx = step.getContext();
    OpBuilder b(ctx);
    b.setInsertionPointAfter(step);
    SmallVector<Type> argTypes, resultTypes;
    SmallVector<DictionaryAttr> argAttrs, resultAttrs;
    DenseMap<Value, DictionaryAttr> attrsOfSourceArg;
    for (unsigned i : sourceArgs.set_bits()) {
      argTypes.push_back(step.getArgument(i).getType());
      NamedAttrList attrs(step.getArgAttrDict(i));
      attrs.erase(kSourceAttr);
      argAttrs.push_back(attrs.getDictionary(ctx));
      attrsOfSourceArg[step.getArgument(i)] = argAttrs.back();
    }
    // A source argument the step reads keeps its name; a computed value is
    // named by its position.
    unsigned computed = 0;
    for (Value value : frontier) {
      resultTypes.push_back(value.getType());
      DictionaryAttr attrs = attrsOfSourceArg.lookup(value);
      if (!attrs)
        attrs = b.getDictionaryAttr(b.getNamedAttr(
            "genc.name", b.getStringAttr("genc.source." + std::to_string(computed++))));
      resultAttrs.push_back(attrs);
    }
    auto source = func::FuncOp::create(b, step.getLoc(), (step.getName() + "_source").str(),
                                       b.getFunctionType(argTypes, resultTypes));
    source.setAllArgAttrs(argAttrs);
    source.setAllResultAttrs(resultAttrs);
    Block *entry = source.addEntryBlock();
    IRMapping map;
    for (auto [k, i] : llvm::enumerate(sourceArgs.set_bits()))
      map.map(step.getArgument(i), entry->getArgument(k));
    b.setInsertionPointToStart(entry);
    for (Operation *op : moved) {
      for (Value operand : op->getOperands())
        if (!map.contains(operand)) // a constant: cloned once
          b.clone(*operand.getDefiningOp(), map);
      b.clone(*op, map);
    }
    SmallVector<Value> results;
    for (Value value : frontier)
      results.push_back(map.lookup(value));
    func::ReturnOp::create(b, step.getLoc(), results);

    // The step: the frontier in, in place of the source arguments.
    for (auto [k, value] : llvm::enumerate(frontier)) {
      unsigned index = step.getNumArguments();
      if (failed(step.insertArgument(index, value.getType(), resultAttrs[k], value.getLoc())))
        return failure();
      Value(value).replaceUsesWithIf(step.getArgument(index), readByStep);
    }
    for (Operation *op : llvm::reverse(moved))
      op->erase();
    sourceArgs.resize(step.getNumArguments());
    return step.eraseArguments(sourceArgs);
  }
};

} // namespace
