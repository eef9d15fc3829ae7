//===- LogitsForRequestedPositions.cpp - the LM head on the last K rows ----===//
//
// logits = MatMul(hidden, W) (+ bias) over [batch, S, d] becomes
//   logits = MatMul(hidden[:, S - min(K, S):, :], W) (+ bias)
// with K a new scalar argument: every op from the slice on works per
// position, so the result is the last K rows of the original logits.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace mlir::genc {
#define GEN_PASS_DEF_LOGITSFORREQUESTEDPOSITIONS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

constexpr int64_t kSequenceAxis = 1;

/// The LM head: a matmul of a [batch, sequence, d] value by a constant
/// weight, perhaps plus a constant bias, whose result is `logits`.
/// Only the logits may use it: slicing its input changes the matmul's result.
MatMulOp matchLMHead(Value logits) {
  Operation *def = logits.getDefiningOp();
  if (auto add = dyn_cast_or_null<AddOp>(def)) {
    if (!add->hasOneUse())
      return nullptr;
    if (matchPattern(add.getRhs(), m_Constant()))
      def = add.getLhs().getDefiningOp();
    else if (matchPattern(add.getLhs(), m_Constant()))
      def = add.getRhs().getDefiningOp();
    else
      return nullptr;
  }
  auto matmul = dyn_cast_or_null<MatMulOp>(def);
  if (!matmul || !matmul->hasOneUse() || !matchPattern(matmul.getRhs(), m_Constant()))
    return nullptr;
  auto hidden = cast<RankedTensorType>(matmul.getLhs().getType());
  if (hidden.getRank() != 3 || !hidden.isDynamicDim(kSequenceAxis))
    return nullptr;
  return matmul;
}

struct LogitsForRequestedPositionsPass
    : genc::impl::LogitsForRequestedPositionsBase<LogitsForRequestedPositionsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    MatMulOp head;
    for (unsigned i = 0; i < ret.getNumOperands() && !head; ++i) {
      auto name = fn.getResultAttrOfType<StringAttr>(i, "genc.name");
      if (name && name.getValue() == "logits")
        head = matchLMHead(ret.getOperand(i));
    }
    if (!head)
      return;

    MLIRContext *ctx = &getContext();
    Location loc = fn.getLoc();
    unsigned index = fn.getNumArguments();
    NamedAttribute name(StringAttr::get(ctx, "genc.name"),
                        StringAttr::get(ctx, "genc.logits_positions"));
    if (failed(fn.insertArgument(index, RankedTensorType::get({}, IntegerType::get(ctx, 64)),
                                 DictionaryAttr::get(ctx, {name}), loc)))
      return signalPassFailure();

    OpBuilder b(head);
    Value hidden = head.getLhs();
    Value requested = arith::IndexCastOp::create(
        b, loc, b.getIndexType(), tensor::ExtractOp::create(b, loc, fn.getArgument(index)));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, hidden);
    Value length = getValueOrCreateConstantIndexOp(b, loc, sizes[kSequenceAxis]);
    Value kept = arith::MinSIOp::create(b, loc, requested, length);
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0)), strides(3, b.getIndexAttr(1));
    offsets[kSequenceAxis] = arith::SubIOp::create(b, loc, length, kept).getResult();
    sizes[kSequenceAxis] = kept;
    Value last = tensor::ExtractSliceOp::create(b, loc, hidden, offsets, sizes, strides);
    head.getLhsMutable().assign(last);
  }
};

} // namespace
