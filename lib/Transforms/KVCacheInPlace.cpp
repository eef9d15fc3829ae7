//===- KVCacheInPlace.cpp - the KV cache in caller-owned buffers -----------===//
//
// present = Concat(past, new) along the sequence axis becomes
//   cache[:, :, P:P+S, :] = new;  present = cache[:, :, 0:P+S, :]
// with `cache` the old past argument, now a buffer of some capacity, and P
// a new scalar argument. Every other use of `past` (its shape, mostly)
// reads cache[:, :, 0:P, :], so the graph computes what it computed before.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::genc {
#define GEN_PASS_DEF_KVCACHEINPLACE
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// A returned Concat(past, new) along the sequence axis of a
/// [batch, heads, sequence, head_size] past argument.
struct CacheUpdate {
  ConcatOp concat;
  BlockArgument past;
  unsigned resultIndex;
};

std::optional<CacheUpdate> matchCacheUpdate(func::ReturnOp ret, unsigned index) {
  auto concat = ret.getOperand(index).getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2)
    return std::nullopt;
  auto past = dyn_cast<BlockArgument>(concat.getInputs()[0]);
  auto type = cast<RankedTensorType>(concat.getType());
  if (!past || type.getRank() != 4 || concat.getAxis() != kCacheSequenceAxis ||
      !isa<func::FuncOp>(past.getOwner()->getParentOp()))
    return std::nullopt;
  return CacheUpdate{concat, past, index};
}

/// The sizes of `value` with dim kCacheSequenceAxis replaced by `length`.
SmallVector<OpFoldResult> sizesWithLength(OpBuilder &b, Location loc, Value value,
                                          OpFoldResult length) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  sizes[kCacheSequenceAxis] = length;
  return sizes;
}

struct KVCacheInPlacePass : genc::impl::KVCacheInPlaceBase<KVCacheInPlacePass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    SmallVector<CacheUpdate> updates;
    for (unsigned i = 0; i < ret.getNumOperands(); ++i)
      if (std::optional<CacheUpdate> update = matchCacheUpdate(ret, i))
        updates.push_back(*update);
    if (updates.empty())
      return;

    MLIRContext *ctx = &getContext();
    Location loc = fn.getLoc();
    auto lengthType = RankedTensorType::get({}, IntegerType::get(ctx, 64));
    unsigned lengthIndex = fn.getNumArguments();
    NamedAttribute name(StringAttr::get(ctx, "genc.name"),
                        StringAttr::get(ctx, "genc.past_length"));
    if (failed(fn.insertArgument(lengthIndex, lengthType, DictionaryAttr::get(ctx, {name}), loc)))
      return signalPassFailure();

    OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
    Value lengthTensor = fn.getArgument(lengthIndex);
    Value pastLength = arith::IndexCastOp::create(
        b, loc, b.getIndexType(), tensor::ExtractOp::create(b, loc, lengthTensor).getResult());
    SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)), ones(4, b.getIndexAttr(1));

    llvm::BitVector presentResults(ret.getNumOperands());
    for (const CacheUpdate &update : updates) {
      // Reads of the past (its shape, in exports) see the first P rows.
      BlockArgument cache = update.past;
      SmallVector<OpOperand *> pastUses =
          llvm::map_to_vector(cache.getUses(), [](OpOperand &use) { return &use; });
      b.setInsertionPointAfter(pastLength.getDefiningOp());
      Value past = tensor::ExtractSliceOp::create(
          b, loc, cache, zeros, sizesWithLength(b, loc, cache, pastLength), ones);
      for (OpOperand *use : pastUses)
        use->set(past);

      // The new rows go into the buffer; attention reads its prefix.
      ConcatOp concat = update.concat;
      b.setInsertionPoint(concat);
      Value rows = concat.getInputs()[1];
      SmallVector<OpFoldResult> offsets = zeros;
      offsets[kCacheSequenceAxis] = pastLength;
      SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(b, loc, rows);
      Value written =
          tensor::InsertSliceOp::create(b, loc, rows, cache, offsets, rowSizes, ones);
      Value total = arith::AddIOp::create(
          b, loc, pastLength,
          getValueOrCreateConstantIndexOp(b, loc, rowSizes[kCacheSequenceAxis]));
      Value present = tensor::ExtractSliceOp::create(
          b, loc, concat.getType(), written, zeros, sizesWithLength(b, loc, cache, total), ones);
      concat.getResult().replaceAllUsesWith(present);
      concat.erase();

      fn.setArgAttr(cache.getArgNumber(), kKVCacheAttr, UnitAttr::get(ctx));
      // Dim 2 is the buffer's capacity now, not the past length.
      if (auto names = fn.getArgAttrOfType<ArrayAttr>(cache.getArgNumber(), "genc.dim_names")) {
        SmallVector<Attribute> renamed(names.getValue());
        renamed[kCacheSequenceAxis] = StringAttr::get(ctx, "");
        fn.setArgAttr(cache.getArgNumber(), "genc.dim_names", ArrayAttr::get(ctx, renamed));
      }
      presentResults.set(update.resultIndex);
    }
    ret->eraseOperands(presentResults);
    if (failed(fn.eraseResults(presentResults)))
      return signalPassFailure();
  }
};

} // namespace
