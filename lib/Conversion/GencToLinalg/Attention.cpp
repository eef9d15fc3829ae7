//===- Attention.cpp - genc.attention and genc.rotary → kernels or loops --===//
//
// f32 attention that fits the fused kernel becomes genc.attention_kernel on
// buffers (the CPU target turns it into the kernel call); anything else,
// or all of it with fusion off, loops that materialise the scores. Linear
// attention becomes genc.linear_attention_kernel, whatever the setting.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

/// Must equal GENC_ATTENTION_MAX_HEAD_SIZE in runtime/include/genc/kernels.h.
static constexpr int64_t kMaxKernelHeadSize = 256;

/// How many keys precede the first query: Skv - Sq where the queries are
/// the last positions, 0 where they are the first (causal_from_start).
static Value causalOffset(OpBuilder &b, Location loc, AttentionOp op,
                          AttentionOp::Adaptor operands) {
  if (op.getCausalFromStart())
    return indexConst(b, loc, 0);
  return arith::SubIOp::create(b, loc, dimValue(b, loc, operands.getKey(), 2),
                               dimValue(b, loc, operands.getQuery(), 2));
}

/// Whether the fused kernel takes `op`: f32 throughout, static head sizes
/// it holds on its stack, an f32 or boolean mask.
static bool fitsAttentionKernel(AttentionOp op, AttentionOp::Adaptor operands) {
  auto f32 = [](Value v) { return tensorType(v).getElementType().isF32(); };
  auto headSize = [](Value v) {
    int64_t d = tensorType(v).getDimSize(3);
    return !ShapedType::isDynamic(d) && d <= kMaxKernelHeadSize;
  };
  // The kernel adds its mask before the softcap; a boolean mask hides keys
  // after it, so the two only agree without one.
  Value mask = operands.getMask();
  bool boolMask = mask && tensorType(mask).getElementType().isInteger(1);
  return f32(operands.getQuery()) && f32(operands.getKey()) && f32(operands.getValue()) &&
         headSize(operands.getKey()) && headSize(operands.getValue()) &&
         tensorType(operands.getKey()).getDimSize(1) != 0 && (!mask || f32(mask) || boolMask) &&
         !(boolMask && op.getSoftcap().convertToFloat() > 0);
}

/// `t` read in place as a buffer of any strides. (A transpose of heads out
/// of a projection is left to copy: read through a view instead, a long
/// prefill's key and value rows lie a projection's row apart, and the
/// kernel, which reads each of them once per query block, ran slower.)
static Value readAsBuffer(OpBuilder &b, Location loc, Value t) {
  auto type = tensorType(t);
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  auto memref = MemRefType::get(type.getShape(), type.getElementType(), layout);
  return bufferization::ToBufferOp::create(b, loc, memref, t, /*read_only=*/true);
}

/// The kernels' mask: additive f32, a boolean one as 0 / -inf.
static Value additiveMask(OpBuilder &b, Location loc, Value mask) {
  if (!mask || !tensorType(mask).getElementType().isInteger(1))
    return mask;
  Type f32 = b.getF32Type();
  Value zero = scalarConst(b, loc, f32, 0), minusInf = negInf(b, loc, f32);
  return elementwise(b, loc, mask, f32, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::SelectOp::create(nb, nl, a[0], zero, minusInf);
  });
}

/// A fresh f32 buffer for the [B, Hq, Sq, Dv] result, and its tensor type.
static std::pair<Value, RankedTensorType> resultBuffer(OpBuilder &b, Location loc, Value q,
                                                       Value v) {
  SmallVector<Value> dynamicSizes;
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, q, 0), dimOf(b, loc, q, 1), dimOf(b, loc, q, 2),
                                     dimOf(b, loc, v, 3)};
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes) {
    if (auto value = dyn_cast<Value>(size)) {
      dynamicSizes.push_back(value);
      shape.push_back(ShapedType::kDynamic);
    } else {
      shape.push_back(cast<IntegerAttr>(cast<Attribute>(size)).getInt());
    }
  }
  Value out = memref::AllocOp::create(b, loc, MemRefType::get(shape, b.getF32Type()), dynamicSizes);
  return {out, RankedTensorType::get(shape, b.getF32Type())};
}

/// The kernel's result buffer as the op's result.
static Value resultTensor(OpBuilder &b, Location loc, Value out, RankedTensorType type,
                          Type resultType) {
  Value result = bufferization::ToTensorOp::create(b, loc, type, out, /*restrict=*/true,
                                                   /*writable=*/true);
  return castTo(b, loc, result, resultType);
}

/// The kernels read KV head h / (Hq / Hkv) for query head h: where the
/// model leaves a head count to run time, compiled code checks that the
/// key's heads divide the query's (the kernels compute nothing after a
/// failed check).
static void checkHeadGroups(AttentionOp op, AttentionOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value q = operands.getQuery(), k = operands.getKey();
  if (!tensorType(q).isDynamicDim(1) && !tensorType(k).isDynamicDim(1))
    return;
  Value queryHeads = dimValue(b, loc, q, 1), keyHeads = dimValue(b, loc, k, 1);
  Value zero = indexConst(b, loc, 0);
  Value noKeyHeads = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, keyHeads, zero);
  Value divisor = arith::SelectOp::create(b, loc, noKeyHeads, indexConst(b, loc, 1), keyHeads);
  Value rest = arith::RemUIOp::create(b, loc, queryHeads, divisor);
  Value failed = arith::OrIOp::create(
      b, loc, noKeyHeads, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rest, zero));
  failAtRunTimeIf(b, loc, failed, queryHeads, keyHeads,
                  describeNode(op, "attention") +
                      ": the query has {index} heads and the key {bound}, which must divide them");
}

/// The fused form: Q, K, V and the mask read as buffers in place (any
/// strides), the result a fresh buffer written by genc.attention_kernel,
/// which genc-call-cpu-kernels turns into the kernel call.
static Value fusedAttention(AttentionOp op, AttentionOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value q = operands.getQuery(), v = operands.getValue();
  checkHeadGroups(op, operands, b);
  Value mask = additiveMask(b, loc, operands.getMask());
  auto [out, type] = resultBuffer(b, loc, q, v);
  AttentionKernelOp::create(
      b, loc, out, readAsBuffer(b, loc, q), readAsBuffer(b, loc, operands.getKey()),
      readAsBuffer(b, loc, v), mask ? readAsBuffer(b, loc, mask) : Value(),
      causalOffset(b, loc, op, operands), op.getScaleAttr(), op.getCausalAttr(), op.getWindowAttr(),
      op.getSoftcapAttr(), op.getSinksAttr(), op.getGlobalTokensAttr(),
      op.getMaskAfterSoftcapAttr(), op.getBlockAttr(), op.getRandomBlocksAttr(), op.getSeedAttr(),
      op.getLshBucketsAttr(), op.getLshHashesAttr(), op.getLshChunkAttr(), op.getStateSlotAttr());
  return resultTensor(b, loc, out, type, op.getType());
}

/// Linear attention (a feature map) has only its kernel, fused or not:
/// genc.linear_attention_kernel, FAVOR+'s ω a constant buffer.
static FailureOr<Value> linearAttention(AttentionOp op, AttentionOp::Adaptor operands,
                                        OpBuilder &b) {
  Location loc = op.getLoc();
  auto f32 = [](Value v) { return tensorType(v).getElementType().isF32(); };
  Value q = operands.getQuery(), v = operands.getValue(), mask = operands.getMask();
  if (!f32(q) || !f32(operands.getKey()) || !f32(v) ||
      (mask && !f32(mask) && !tensorType(mask).getElementType().isInteger(1)))
    return op.emitError("linear attention (") << *op.getFeatureMap()
           << ") has only an f32 kernel; this layer's queries, keys, values or mask are "
              "not f32";
  checkHeadGroups(op, operands, b);
  mask = additiveMask(b, loc, mask);
  std::optional<DenseElementsAttr> omega = op.getRandomFeatures();
  Value queries = readAsBuffer(b, loc, q);
  // Without FAVOR+, the queries stand in for ω (not read).
  Value features = omega ? readAsBuffer(b, loc, arith::ConstantOp::create(b, loc, *omega)) : queries;
  auto [out, type] = resultBuffer(b, loc, q, v);
  LinearAttentionKernelOp::create(
      b, loc, out, queries, readAsBuffer(b, loc, operands.getKey()), readAsBuffer(b, loc, v),
      features, mask ? readAsBuffer(b, loc, mask) : Value(), causalOffset(b, loc, op, operands),
      op.getScaleAttr(), op.getCausalAttr(), b.getBoolAttr(omega.has_value()),
      op.getStateSlotAttr());
  return resultTensor(b, loc, out, type, op.getType());
}

/// softmax(Q·Kᵀ·scale (+mask), causal, window, softcap)·V with query head h
/// reading KV head h / (Hq / Hkv), as loops that materialise the scores.
static FailureOr<Value> attentionLoops(AttentionOp op, AttentionOp::Adaptor operands,
                                       OpBuilder &b) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  if (op.getBlock() > 0 || op.getLshBuckets() > 0)
    return op.emitError(op.getBlock() > 0 ? "BigBird attention (block " : "LSH attention (buckets ")
           << (op.getBlock() > 0 ? op.getBlock() : op.getLshBuckets())
           << ") has only the fused kernel, which takes f32 queries, keys and values with "
              "static head sizes up to "
           << kMaxKernelHeadSize << " (and fused attention on: no --attention-loops)";
  Value q = operands.getQuery(), k = operands.getKey(), v = operands.getValue();
  auto qt = tensorType(q), kt = tensorType(k);
  Type t = qt.getElementType();
  int64_t hq = qt.getDimSize(1), hkv = kt.getDimSize(1);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv))
    return op.emitError("attention needs static head counts to map query heads to KV heads");
  int64_t group = hq / hkv;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Scores: loops (b, h, i, j, x), reduce x.
  SmallVector<OpFoldResult> scoreSizes = {dimOf(b, loc, q, 0), b.getIndexAttr(hq),
                                          dimOf(b, loc, q, 2), dimOf(b, loc, k, 2)};
  Value zero = scalarConst(b, loc, t, 0);
  Value scoresInit = filled(b, loc, scoreSizes, t, zero);
  SmallVector<AffineMap> scoreMaps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1).floorDiv(group), d(3), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> scoreIters(4, utils::IteratorType::parallel);
  scoreIters.push_back(utils::IteratorType::reduction);
  Value scores = linalg::GenericOp::create(b, loc, scoresInit.getType(), ValueRange{q, k},
                                           scoresInit, scoreMaps, scoreIters, yieldMultiplyAdd)
                     .getResult(0);

  // Scale, mask, causal/window and softcap in one elementwise pass.
  Value scale = scalarConst(b, loc, t, op.getScale().convertToFloat());
  Value minusInf = negInf(b, loc, t);
  Value offset = causalOffset(b, loc, op, operands);
  bool causal = op.getCausal();
  int64_t window = op.getWindow(), sinks = op.getSinks(), globalTokens = op.getGlobalTokens();
  float softcap = op.getSoftcap().convertToFloat();
  Value mask = operands.getMask();
  bool boolMask = mask && tensorType(mask).getElementType().isInteger(1);
  SmallVector<Value> inputs = {scores};
  if (mask)
    inputs.push_back(mask);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4)};
  if (mask)
    maps.push_back(broadcastMap(ctx, tensorType(mask), tensorType(scores).getShape()));
  maps.push_back(b.getMultiDimIdentityMap(4));
  Value maskedInit = emptyTensor(b, loc, scoreSizes, t);
  Value masked =
      linalg::GenericOp::create(
          b, loc, maskedInit.getType(), inputs, maskedInit, maps,
          SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value s = arith::MulFOp::create(nb, nl, a[0], scale);
            bool maskFirst = !op.getMaskAfterSoftcap();
            if (mask && !boolMask && maskFirst)
              s = arith::AddFOp::create(nb, nl, s, a[1]);
            if (softcap > 0) {
              Value cap = scalarConst(nb, nl, t, softcap);
              s = arith::MulFOp::create(
                  nb, nl, cap, math::TanhOp::create(nb, nl, arith::DivFOp::create(nb, nl, s, cap)));
            }
            if (mask && !boolMask && !maskFirst)
              s = arith::AddFOp::create(nb, nl, s, a[1]);
            Value keep;
            auto andKeep = [&](Value c) {
              keep = keep ? arith::AndIOp::create(nb, nl, keep, c).getResult() : c;
            };
            if (boolMask)
              andKeep(a[1]);
            if (causal || window > 0) {
              Value i = linalg::IndexOp::create(nb, nl, 2), j = linalg::IndexOp::create(nb, nl, 3);
              Value last = arith::AddIOp::create(nb, nl, i, offset);
              if (causal)
                andKeep(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, j, last));
              if (window > 0) {
                // In the window, or before the sinks or global positions, or
                // seen from a global position.
                using arith::CmpIPredicate;
                auto compare = [&](CmpIPredicate predicate, Value x, int64_t y) -> Value {
                  return arith::CmpIOp::create(nb, nl, predicate, x, indexConst(nb, nl, y));
                };
                Value first = arith::SubIOp::create(nb, nl, last, indexConst(nb, nl, window));
                Value inWindow = arith::CmpIOp::create(nb, nl, CmpIPredicate::sgt, j, first);
                int64_t prefix = std::max(sinks, globalTokens);
                if (prefix > 0)
                  inWindow = arith::OrIOp::create(nb, nl, inWindow,
                                                  compare(CmpIPredicate::slt, j, prefix));
                if (globalTokens > 0)
                  inWindow = arith::OrIOp::create(nb, nl, inWindow,
                                                  compare(CmpIPredicate::slt, last, globalTokens));
                andKeep(inWindow);
              }
            }
            if (keep)
              s = arith::SelectOp::create(nb, nl, keep, s, minusInf);
            linalg::YieldOp::create(nb, nl, s);
          })
          .getResult(0);
  Value probs = softmax(b, loc, masked, 3, /*log=*/false);

  // Output: loops (b, h, i, e, j), reduce j.
  SmallVector<OpFoldResult> outSizes = {dimOf(b, loc, q, 0), b.getIndexAttr(hq),
                                        dimOf(b, loc, q, 2), dimOf(b, loc, v, 3)};
  Value outInit = filled(b, loc, outSizes, t, zero);
  SmallVector<AffineMap> outMaps = {
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1).floorDiv(group), d(4), d(3)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  Value out = linalg::GenericOp::create(b, loc, outInit.getType(), ValueRange{probs, v}, outInit,
                                        outMaps, scoreIters, yieldMultiplyAdd)
                  .getResult(0);
  return castTo(b, loc, out, op.getType());
}

/// Rotary embedding of x [B,H,S,D]: pairs (i, i + rot/2), or adjacent
/// channels when interleaved; channels past rotary_dim pass through.
static FailureOr<Value> lowerRotary(RotaryOp op, RotaryOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  auto xt = tensorType(operands.getInput());
  Type t = xt.getElementType();
  int64_t headSize = xt.getDimSize(3);
  int64_t rot = op.getRotaryDim() > 0 ? op.getRotaryDim() : headSize;
  if (ShapedType::isDynamic(rot))
    return op.emitError("rotary needs a static head size or rotary_dim");
  if (rot % 2 != 0 || (!ShapedType::isDynamic(headSize) && headSize < rot))
    return op.emitError("rotary_dim ")
           << rot << " must be even and at most the head size " << headSize;
  int64_t half = rot / 2;
  // x [B, H, S, D]; cos and sin [rows, rot/2] read at position_ids [B, S],
  // or [B, S, rot/2] without them.
  std::string node = describeNode(op, "rotary embedding");
  SmallVector<std::string> names = {"the input", "the cos table", "the sin table",
                                    "the position ids"};
  names.resize(operands.getOperands().size());
  SharedLoops loops(b, loc, operands.getOperands(), op->getOperands(), node, names);
  bool byPosition = operands.getPositionIds() != nullptr;
  int64_t tableColumn = byPosition ? 1 : 2;
  loops.share({{1, tableColumn}, {2, tableColumn}}, b.getIndexAttr(half));
  if (byPosition) {
    loops.share({{1, 0}, {2, 0}}, OpFoldResult());
    loops.share({{0, 0}, {3, 0}}, OpFoldResult());
    loops.share({{0, 2}, {3, 1}}, OpFoldResult());
  } else {
    loops.share({{0, 0}, {1, 0}, {2, 0}}, OpFoldResult());
    loops.share({{0, 2}, {1, 1}, {2, 1}}, OpFoldResult());
  }
  SmallVector<Value> checked = loops.operands();
  Value x = checked[0], cos = checked[1], sin = checked[2],
        positions = byPosition ? checked[3] : Value();
  Value headDim; // only where the head size is dynamic
  if (ShapedType::isDynamic(headSize)) {
    headDim = dimValue(b, loc, x, 3);
    Value rotC = indexConst(b, loc, rot);
    failAtRunTimeIf(b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, headDim, rotC),
                    headDim, rotC,
                    node + ": the head size is {index}, less than rotary_dim {bound}");
  }
  bool interleaved = op.getInterleaved();
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, x, 0), dimOf(b, loc, x, 1), dimOf(b, loc, x, 2),
                                     dimOf(b, loc, x, 3)};
  Value init = emptyTensor(b, loc, sizes, t);
  // A position past the cos/sin tables (a prompt longer than the model's
  // rotary cache) fails the call.
  Value tableRows = positions ? dimValue(b, loc, cos, 0) : Value();
  std::string message =
      node + ": position id {index} is past the cos/sin tables of {bound} positions";
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x}, init,
      SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(4)),
      SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value bi = linalg::IndexOp::create(nb, nl, 0), hi = linalg::IndexOp::create(nb, nl, 1),
              si = linalg::IndexOp::create(nb, nl, 2), di = linalg::IndexOp::create(nb, nl, 3);
        Value rotC = indexConst(nb, nl, rot), halfC = indexConst(nb, nl, half);
        Value two = indexConst(nb, nl, 2), one = indexConst(nb, nl, 1);
        Value inRotary = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, di, rotC);
        // Frequency index, partner channel and the sign of the partner term.
        Value freq, partner, first;
        if (interleaved) {
          freq = arith::DivUIOp::create(nb, nl, di, two);
          Value odd = arith::RemUIOp::create(nb, nl, di, two);
          first =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, odd, indexConst(nb, nl, 0));
          partner = arith::SelectOp::create(nb, nl, first, arith::AddIOp::create(nb, nl, di, one),
                                            arith::SubIOp::create(nb, nl, di, one));
        } else {
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, di, halfC);
          freq =
              arith::SelectOp::create(nb, nl, first, di, arith::SubIOp::create(nb, nl, di, halfC));
          partner = arith::SelectOp::create(nb, nl, first, arith::AddIOp::create(nb, nl, di, halfC),
                                            arith::SubIOp::create(nb, nl, di, halfC));
        }
        // Out-of-rotary channels read a safe index; the select drops it.
        Value safeFreq = arith::SelectOp::create(nb, nl, inRotary, freq, indexConst(nb, nl, 0));
        Value readsPartner = inRotary;
        if (headDim) // rotary_dim past a dynamic head size: reported, not read
          readsPartner = arith::AndIOp::create(
              nb, nl, readsPartner,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, partner, headDim));
        Value safePartner = arith::SelectOp::create(nb, nl, readsPartner, partner, di);
        Value c, s;
        if (positions) {
          Value p = tensor::ExtractOp::create(nb, nl, positions, ValueRange{bi, si});
          Value pi = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), p);
          auto read = [&](OpBuilder &rb, Location rl, Value row) -> SmallVector<Value> {
            return {tensor::ExtractOp::create(rb, rl, cos, ValueRange{row, safeFreq}),
                    tensor::ExtractOp::create(rb, rl, sin, ValueRange{row, safeFreq})};
          };
          SmallVector<Value> cs =
              checkedRead(nb, nl, pi, tableRows, /*fromEnd=*/true, {t, t}, message, read);
          c = cs[0];
          s = cs[1];
        } else {
          c = tensor::ExtractOp::create(nb, nl, cos, ValueRange{bi, si, safeFreq});
          s = tensor::ExtractOp::create(nb, nl, sin, ValueRange{bi, si, safeFreq});
        }
        Value other = tensor::ExtractOp::create(nb, nl, x, ValueRange{bi, hi, si, safePartner});
        Value signedOther =
            arith::SelectOp::create(nb, nl, first, arith::NegFOp::create(nb, nl, other), other);
        Value rotated = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], c),
                                              arith::MulFOp::create(nb, nl, signedOther, s));
        linalg::YieldOp::create(
            nb, nl, arith::SelectOp::create(nb, nl, inRotary, rotated, a[0]).getResult());
      });
  return generic.getResult(0);
}

/// `op`'s operands as its kernels and loops may read them: query [B, Hq,
/// Sq, D], key [B, Hkv, Skv, D], value [B, Hkv, Skv, Dv] and the mask,
/// broadcast to [B, Hq, Sq, Skv], checked at run time to agree where the
/// model leaves sizes dynamic (SharedLoops).
static SmallVector<Value> checkedAttentionOperands(AttentionOp op, AttentionOp::Adaptor operands,
                                                   OpBuilder &b) {
  SmallVector<Value> values = {operands.getQuery(), operands.getKey(), operands.getValue()};
  SmallVector<Value> originals = {op.getQuery(), op.getKey(), op.getValue()};
  if (Value mask = operands.getMask()) {
    values.push_back(mask);
    originals.push_back(op.getMask());
  }
  SmallVector<std::string> names = {"the query", "the key", "the value", "the mask"};
  names.resize(values.size());
  SharedLoops loops(b, op.getLoc(), values, originals, describeNode(op, "attention"), names);
  // Uses of score dim `d` (of [B, Hq, Sq, Skv]) by the mask, unless it broadcasts there.
  auto plusMaskUses = [&](SmallVector<SharedLoops::Use> uses, int64_t d) {
    if (values.size() == 4) {
      auto mt = tensorType(values[3]);
      int64_t i = d - (4 - mt.getRank());
      if (i >= 0 && mt.getDimSize(i) != 1)
        uses.push_back({3, i});
    }
    return uses;
  };
  loops.share(plusMaskUses({{0, 0}, {1, 0}, {2, 0}}, 0), OpFoldResult());
  loops.share(plusMaskUses({{0, 1}}, 1), OpFoldResult());
  loops.share({{1, 1}, {2, 1}}, OpFoldResult());
  loops.share(plusMaskUses({{0, 2}}, 2), OpFoldResult());
  loops.share(plusMaskUses({{1, 2}, {2, 2}}, 3), OpFoldResult());
  loops.share({{0, 3}, {1, 3}}, OpFoldResult());
  return loops.operands();
}

/// genc.attention, its operands checked: linear attention's kernel, the
/// fused kernel where it fits (and `fused`), else the loops.
template <bool fused>
static FailureOr<Value> lowerAttention(AttentionOp op, AttentionOp::Adaptor converted,
                                       OpBuilder &b) {
  SmallVector<Value> checked = checkedAttentionOperands(op, converted, b);
  AttentionOp::Adaptor operands(checked, op);
  if (op.isLinear())
    return linearAttention(op, operands, b);
  if (fused && fitsAttentionKernel(op, operands))
    return fusedAttention(op, operands, b);
  return attentionLoops(op, operands, b);
}

void mlir::genc::lowering::populateAttentionLoweringPatterns(RewritePatternSet &patterns,
                                                             bool fuseAttention) {
  addLowering<AttentionOp>(patterns, fuseAttention ? lowerAttention<true> : lowerAttention<false>);
  addLowering<RotaryOp>(patterns, lowerRotary);
}
