//===- RollWindowCaches.cpp - windowed layers keep a sliding cache --------===//
//
// After genc-kv-cache-in-place, a session's cache buffer holds every
// position: row p is position p. A sliding-window layer reads only the keys
// of its last W positions and of its first `sinks` (or `global_tokens`)
// positions, so its caller may drop the others. With `shift` the positions
// dropped after the sinks, position p lives in row p for p < sinks and in
// row p - shift after: the step writes its rows at P - shift, attention
// reads rows [0, P + S - shift) and the mask loses the same columns. The
// window and causal limits compare a query's index with a key's, and both
// move by `shift`, so attention computes what it computed; the caller keeps
// every position the window can still see (runtime/src/session/Session.cpp
// picks `shift` and moves the rows).
//
// Causal linear attention whose sums the session keeps sees the past
// through them: its cache is a window of 0, holding what the kernel has not
// folded into the sums for good (kernels.h).
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Transforms/Passes.h"
#include "genc/kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>

namespace mlir::genc {
#define GEN_PASS_DEF_ROLLWINDOWCACHES
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// What a windowed layer keeps: its window and the first positions every
/// query sees (sinks, or global tokens). A window of 0: kept linear
/// attention sums.
struct WindowShape {
  int64_t window = 0, sinks = 0;
  bool operator==(const WindowShape &other) const = default;
};

/// The window a layer's cache may slide by, if it has one: softmax
/// attention, causal from the last key, with a window and no BigBird blocks or LSH buckets
/// (which see keys anywhere in the past).
std::optional<WindowShape> slidingWindowOf(AttentionOp op) {
  if (!op.getCausal() || op.getCausalFromStart())
    return std::nullopt;
  if (op.isLinear()) {
    // The kernel keeps sums only when every query head of a KV head sees
    // the same keys, and when the layer has a state slot.
    auto mask = op.getMask() ? cast<RankedTensorType>(op.getMask().getType()) : nullptr;
    bool sharedMask =
        !mask || (mask.getRank() == 4 && mask.getDimSize(1) == 1 && mask.getDimSize(2) == 1);
    if (!sharedMask || !keptLinearSumsFloats(op))
      return std::nullopt;
    return WindowShape{0, 0};
  }
  if (op.getWindow() <= 0 || op.getBlock() > 0 || op.getLshBuckets() > 0)
    return std::nullopt;
  return WindowShape{op.getWindow(), std::max(op.getSinks(), op.getGlobalTokens())};
}

/// The scalar argument that says how far a cache of `shape` slid.
std::string shiftName(WindowShape shape) {
  if (shape.window == 0)
    return "genc.window_shift.sums";
  return llvm::formatv("genc.window_shift.{0}.{1}", shape.window, shape.sinks).str();
}

bool readsDimOtherThanSequence(Operation *user) {
  auto dim = dyn_cast<tensor::DimOp>(user);
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return index && *index != kCacheSequenceAxis;
}

/// A cache argument in genc-kv-cache-in-place's form: one write of the
/// step's rows, and prefixes of the written buffer read by attention.
struct CacheAccess {
  BlockArgument cache;
  tensor::InsertSliceOp write;
  SmallVector<tensor::ExtractSliceOp> reads;
  /// Prefixes of the cache before the write, read for their shape only.
  SmallVector<tensor::ExtractSliceOp> shapeReads;
};

bool isPrefix(tensor::ExtractSliceOp slice) {
  return llvm::all_of(slice.getMixedOffsets(), isZeroInteger) &&
         llvm::all_of(slice.getMixedStrides(), [](OpFoldResult s) { return isOneInteger(s); }) &&
         slice.getType().getRank() == 4 && slice.getType().isDynamicDim(kCacheSequenceAxis);
}

std::optional<CacheAccess> matchCacheAccess(BlockArgument cache) {
  CacheAccess access{cache, {}, {}, {}};
  for (Operation *user : cache.getUsers()) {
    if (isOpTriviallyDead(user))
      continue;
    if (auto write = dyn_cast<tensor::InsertSliceOp>(user)) {
      if (access.write || write.getDest() != cache)
        return std::nullopt;
      access.write = write;
      continue;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
        slice && isPrefix(slice) && llvm::all_of(slice->getUsers(), readsDimOtherThanSequence)) {
      access.shapeReads.push_back(slice);
      continue;
    }
    if (!readsDimOtherThanSequence(user))
      return std::nullopt;
  }
  if (!access.write)
    return std::nullopt;
  for (Operation *user : access.write->getUsers()) {
    auto read = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!read || !isPrefix(read))
      return std::nullopt;
    for (OpOperand &use : read->getUses()) {
      auto attention = dyn_cast<AttentionOp>(use.getOwner());
      bool keysOrValues = attention && (use.getOperandNumber() == 1 || use.getOperandNumber() == 2);
      if (!keysOrValues && !readsDimOtherThanSequence(use.getOwner()))
        return std::nullopt;
    }
    access.reads.push_back(read);
  }
  return access;
}

/// The argument an attention operand reads a cache prefix of, if any.
BlockArgument cacheRead(Value operand, const llvm::MapVector<BlockArgument, CacheAccess> &caches) {
  auto read = operand.getDefiningOp<tensor::ExtractSliceOp>();
  auto write = read ? read.getSource().getDefiningOp<tensor::InsertSliceOp>() : nullptr;
  if (!write)
    return {};
  auto cache = dyn_cast<BlockArgument>(write.getDest());
  return cache && caches.contains(cache) ? cache : BlockArgument();
}

Value indexValue(OpBuilder &b, Location loc, OpFoldResult value) {
  return getValueOrCreateConstantIndexOp(b, loc, value);
}

/// `mask` without the key columns [sinks, sinks + shift): what attention
/// sees of it once the cache dropped those positions. Fails the call if
/// the mask is not one column per key (`keys` before the shift).
Value dropMaskColumns(OpBuilder &b, Location loc, Value mask, int64_t sinks, Value shift,
                      Value keys) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t last = type.getRank() - 1;
  if (last < 0 || type.getDimSize(last) == 1)
    return mask; // broadcast over the keys
  Value columns = tensor::DimOp::create(b, loc, mask, last);
  ModelLocation where = modelLocationOf(mask.getLoc());
  std::string message = "the attention mask";
  if (!where.node.empty())
    message += " of node '" + where.node + "'";
  message += " covers {index} positions but attention reads {bound} keys; give attention_mask "
             "one entry per position, past and new";
  checkEqualAtRunTime(b, loc, columns, keys, message);

  // Columns [0, min(sinks, columns)) and [min(sinks + shift, columns), columns).
  auto columnsFrom = [&](Value begin, Value end) {
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)),
        strides(type.getRank(), b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, mask);
    offsets[last] = begin;
    sizes[last] = arith::SubIOp::create(b, loc, end, begin).getResult();
    SmallVector<int64_t> shape(type.getShape());
    shape[last] = ShapedType::kDynamic;
    return tensor::ExtractSliceOp::create(b, loc, type.clone(shape), mask, offsets, sizes, strides)
        .getResult();
  };
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value sinksEnd =
      arith::MinSIOp::create(b, loc, arith::ConstantIndexOp::create(b, loc, sinks), columns);
  Value keptFrom =
      arith::MinSIOp::create(b, loc, arith::AddIOp::create(b, loc, sinksEnd, shift), columns);
  Value recent = columnsFrom(keptFrom, columns);
  if (sinks == 0)
    return recent;
  Value first = columnsFrom(zero, sinksEnd);
  return ConcatOp::create(b, loc, recent.getType(), ValueRange{first, recent}, last);
}

struct RollWindowCaches : genc::impl::RollWindowCachesBase<RollWindowCaches> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    llvm::MapVector<BlockArgument, CacheAccess> caches;
    for (BlockArgument arg : fn.getArguments())
      if (fn.getArgAttr(arg.getArgNumber(), kKVCacheAttr))
        if (std::optional<CacheAccess> access = matchCacheAccess(arg))
          caches.insert({arg, *access});

    // A cache slides when every layer reading it has the same window and
    // reads both its keys and values from sliding caches; a cache that
    // cannot makes the other one of its layers keep every position too.
    DenseMap<BlockArgument, WindowShape> shapes;
    SmallVector<AttentionOp> layers;
    fn.walk([&](AttentionOp op) {
      BlockArgument keys = cacheRead(op.getKey(), caches);
      BlockArgument values = cacheRead(op.getValue(), caches);
      if (keys || values)
        layers.push_back(op);
    });
    DenseSet<BlockArgument> fixed;
    for (AttentionOp op : layers) {
      std::optional<WindowShape> shape = slidingWindowOf(op);
      for (Value operand : {op.getKey(), op.getValue()}) {
        BlockArgument cache = cacheRead(operand, caches);
        if (!cache)
          continue;
        auto [it, inserted] = shapes.try_emplace(cache, shape.value_or(WindowShape{}));
        if (!shape || (!inserted && !(it->second == *shape)))
          fixed.insert(cache);
      }
    }
    for (auto &[cache, access] : caches)
      if (!shapes.contains(cache))
        fixed.insert(cache);
    for (bool changed = true; changed;) {
      changed = false;
      for (AttentionOp op : layers) {
        BlockArgument keys = cacheRead(op.getKey(), caches);
        BlockArgument values = cacheRead(op.getValue(), caches);
        if (keys && values && fixed.contains(keys) == fixed.contains(values))
          continue;
        for (BlockArgument cache : {keys, values})
          if (cache)
            changed |= fixed.insert(cache).second;
      }
    }
    for (AttentionOp op : layers)
      if (slidingWindowOf(op) && !op.isLinear() &&
          (fixed.contains(cacheRead(op.getKey(), caches)) ||
           fixed.contains(cacheRead(op.getValue(), caches))))
        op.emitWarning("this windowed attention's KV cache keeps every position: genc keeps a "
                       "sliding cache only for a layer whose keys and values are read by "
                       "layers of one window alone");

    // One shift argument per window shape, after the others.
    MLIRContext *ctx = &getContext();
    Location loc = fn.getLoc();
    auto lengthType = RankedTensorType::get({}, IntegerType::get(ctx, 64));
    std::map<std::pair<int64_t, int64_t>, Value> shifts;
    auto shiftFor = [&](WindowShape shape) -> FailureOr<Value> {
      auto [it, inserted] = shifts.try_emplace({shape.window, shape.sinks}, Value());
      if (!inserted)
        return it->second;
      std::string name = shiftName(shape);
      unsigned index = fn.getNumArguments();
      NamedAttribute named(StringAttr::get(ctx, "genc.name"), StringAttr::get(ctx, name));
      if (failed(fn.insertArgument(index, lengthType, DictionaryAttr::get(ctx, {named}), loc)))
        return failure();
      OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
      Value scalar = tensor::ExtractOp::create(b, loc, fn.getArgument(index));
      it->second = arith::IndexCastOp::create(b, loc, b.getIndexType(), scalar);
      return it->second;
    };

    for (auto &[cache, access] : caches) {
      if (fixed.contains(cache))
        continue;
      WindowShape shape = shapes.lookup(cache);
      FailureOr<Value> shift = shiftFor(shape);
      if (failed(shift))
        return signalPassFailure();
      rollCache(access, *shift);
      Builder b(ctx);
      fn.setArgAttr(
          cache.getArgNumber(), kWindowCacheAttr,
          b.getDictionaryAttr({b.getNamedAttr("shift", b.getStringAttr(shiftName(shape))),
                               b.getNamedAttr("window", b.getI64IntegerAttr(shape.window)),
                               b.getNamedAttr("sinks", b.getI64IntegerAttr(shape.sinks))}));
    }
    for (AttentionOp op : layers) {
      BlockArgument keys = cacheRead(op.getKey(), caches);
      if (!keys || fixed.contains(keys) || !op.getMask())
        continue;
      // (The key operand was rewritten to read fewer rows: its width before
      // is the mask's, the old keys' count plus the shift.)
      WindowShape shape = shapes.lookup(keys);
      Value shift = shifts.at({shape.window, shape.sinks});
      OpBuilder b(op);
      Location at = op.getLoc();
      Value keysNow = tensor::DimOp::create(b, at, op.getKey(), kCacheSequenceAxis);
      Value keysBefore = arith::AddIOp::create(b, at, keysNow, shift);
      op.getMaskMutable().assign(
          dropMaskColumns(b, at, op.getMask(), shape.sinks, shift, keysBefore));
    }
  }

  /// Writes the step's rows at P - shift and reads P + S - shift rows.
  void rollCache(CacheAccess &access, Value shift) {
    auto moved = [&](OpBuilder &b, Location loc, OpFoldResult value) -> OpFoldResult {
      return arith::SubIOp::create(b, loc, indexValue(b, loc, value), shift).getResult();
    };
    OpBuilder b(access.write);
    SmallVector<OpFoldResult> offsets = access.write.getMixedOffsets();
    offsets[kCacheSequenceAxis] = moved(b, access.write.getLoc(), offsets[kCacheSequenceAxis]);
    auto write = tensor::InsertSliceOp::create(b, access.write.getLoc(), access.write.getSource(),
                                               access.cache, offsets, access.write.getMixedSizes(),
                                               access.write.getMixedStrides());
    for (tensor::ExtractSliceOp read : access.reads) {
      b.setInsertionPoint(read);
      SmallVector<OpFoldResult> sizes = read.getMixedSizes();
      sizes[kCacheSequenceAxis] = moved(b, read.getLoc(), sizes[kCacheSequenceAxis]);
      Value rows =
          tensor::ExtractSliceOp::create(b, read.getLoc(), read.getType(), write,
                                         read.getMixedOffsets(), sizes, read.getMixedStrides());
      read.replaceAllUsesWith(rows);
      read.erase();
    }
    access.write.erase();
    // Shape reads see the same sizes but the sequence's, which none reads.
    for (tensor::ExtractSliceOp read : access.shapeReads) {
      for (Operation *user : llvm::make_early_inc_range(read->getUsers())) {
        auto dim = cast<tensor::DimOp>(user);
        OpBuilder db(dim);
        dim.replaceAllUsesWith(
            tensor::DimOp::create(db, dim.getLoc(), access.cache, *dim.getConstantIndex())
                .getResult());
        dim.erase();
      }
      read.erase();
    }
  }
};

} // namespace

std::optional<int64_t> mlir::genc::keptLinearSumsFloats(AttentionOp op) {
  std::optional<std::array<int64_t, 3>> shape = op.linearSumsShape();
  if (!shape)
    return std::nullopt;
  int64_t floats = GENC_LINEAR_ATTENTION_STATE_FLOATS((*shape)[0], (*shape)[1], (*shape)[2]);
  return floats <= GENC_ATTENTION_STATE_MOST_FLOATS ? std::optional<int64_t>(floats) : std::nullopt;
}

DictionaryAttr mlir::genc::slidingCacheOf(AttentionOp op) {
  auto read = op.getKey().getDefiningOp<tensor::ExtractSliceOp>();
  auto write = read ? read.getSource().getDefiningOp<tensor::InsertSliceOp>() : nullptr;
  auto cache = write ? dyn_cast<BlockArgument>(write.getDest()) : BlockArgument();
  auto fn = cache ? dyn_cast<func::FuncOp>(cache.getOwner()->getParentOp()) : nullptr;
  return fn ? fn.getArgAttrOfType<DictionaryAttr>(cache.getArgNumber(), kWindowCacheAttr)
            : DictionaryAttr();
}
