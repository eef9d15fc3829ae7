//===- ExposeCrossAttention.cpp - the coverage penalty's input as a result -===//
//
// GNMT's coverage penalty reads how much attention each source position
// received. Exporters rarely return it; this pass finds the decoder's last
// cross-attention softmax and returns its mean over heads.
//
// Cross-attention is told apart from self-attention by its keys: they
// depend on the source arguments (`genc.source`) and on nothing the target
// feeds (token ids, masks, the KV cache), while the queries depend on the
// target. The last such softmax in program order is the last layer's.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

namespace mlir::genc {
#define GEN_PASS_DEF_EXPOSECROSSATTENTION
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

constexpr StringLiteral kOutputName = "cross_attentions";

/// The values of `body` computed from any of `roots` (the roots included).
/// An op with regions counts as reading everything: its results depend on
/// the roots if anything it reads might. Shape queries (tensor.dim) read no
/// data: keys reshaped with the target's batch size still depend on the
/// source alone.
DenseSet<Value> dependents(Block &body, ArrayRef<Value> roots) {
  DenseSet<Value> reached(roots.begin(), roots.end());
  for (Operation &op : body) {
    if (isa<tensor::DimOp>(op))
      continue;
    bool reads = llvm::any_of(op.getOperands(), [&](Value v) { return reached.contains(v); });
    if (!reads && op.getNumRegions() != 0)
      op.walk([&](Operation *inner) {
        reads |= llvm::any_of(inner->getOperands(), [&](Value v) { return reached.contains(v); });
      });
    if (reads)
      reached.insert(op.result_begin(), op.result_end());
  }
  return reached;
}

/// Whether the scores a softmax normalises come from a matmul of queries
/// that the target feeds by keys that only the source feeds, through at
/// most a few elementwise ops (scale, mask, bias).
bool isCrossAttention(SoftmaxOp softmax, const DenseSet<Value> &fromTarget,
                      const DenseSet<Value> &fromSource) {
  Value scores = softmax.getInput();
  for (int depth = 0; depth < 8 && scores; ++depth) {
    Operation *def = scores.getDefiningOp();
    if (!def)
      return false;
    if (auto matmul = dyn_cast<MatMulOp>(def)) {
      Value queries = matmul.getLhs(), keys = matmul.getRhs();
      return fromTarget.contains(queries) && fromSource.contains(keys) &&
             !fromTarget.contains(keys);
    }
    if (!isa<AddOp, SubOp, MulOp, DivOp, WhereOp>(def))
      return false;
    // Follow the operand that carries the target's dependence (the
    // scores), not the mask or the scale.
    Value next;
    for (Value operand : def->getOperands())
      if (fromTarget.contains(operand) && cast<RankedTensorType>(operand.getType()).getRank() ==
                                              cast<RankedTensorType>(scores.getType()).getRank())
        next = next ? Value() : operand;
    scores = next;
  }
  return false;
}

struct ExposeCrossAttentionPass
    : genc::impl::ExposeCrossAttentionBase<ExposeCrossAttentionPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn.getBody().hasOneBlock())
      return;
    for (unsigned i = 0; i < fn.getNumResults(); ++i)
      if (auto name = fn.getResultAttrOfType<StringAttr>(i, "genc.name");
          name && name.getValue() == kOutputName)
        return; // the export returns it already
    SmallVector<Value> sourceArgs, targetArgs;
    for (BlockArgument arg : fn.getArguments())
      (fn.getArgAttr(arg.getArgNumber(), kSourceAttr) ? sourceArgs : targetArgs).push_back(arg);
    if (sourceArgs.empty())
      return;
    Block &body = fn.getBody().front();
    DenseSet<Value> fromTarget = dependents(body, targetArgs);
    DenseSet<Value> fromSource = dependents(body, sourceArgs);

    SoftmaxOp last;
    body.walk([&](SoftmaxOp softmax) {
      auto type = cast<RankedTensorType>(softmax.getType());
      if (type.getRank() == 4 && softmax.getAxis() == 3 && !softmax.getLog() &&
          isCrossAttention(softmax, fromTarget, fromSource))
        last = softmax;
    });
    if (!last)
      return;

    // [batch, heads, target, source] → mean over heads.
    auto type = cast<RankedTensorType>(last.getType());
    auto meanType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(2), type.getDimSize(3)}, type.getElementType());
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(ret);
    Value mean = ReduceMeanOp::create(b, last.getLoc(), meanType, last.getResult(),
                                      b.getDenseI64ArrayAttr({1}), b.getBoolAttr(false));
    ret->insertOperands(ret.getNumOperands(), mean);
    unsigned index = fn.getNumResults();
    if (failed(fn.insertResult(index, meanType,
                               b.getDictionaryAttr(b.getNamedAttr(
                                   "genc.name", b.getStringAttr(kOutputName))))))
      return signalPassFailure();
  }
};

} // namespace
