//===- MicrosoftHandlers.cpp - com.microsoft contrib ops → genc ------------===//
//
// ONNX Runtime's fused contrib ops, normalised to the same canonical ops as
// their standard counterparts (their semantics: docs/onnx-ops.md).
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"
#include "ShapeMath.h"

#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Support/ElementValues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

namespace {

/// [B,S,N*H] → [B,N,S,H].
FailureOr<Value> splitHeads(NodeImporter &n, Value x, int64_t heads) {
  auto r = n.reshape(x, {0, 0, heads, -1});
  if (failed(r))
    return failure();
  return n.transpose(*r, {0, 2, 1, 3});
}

/// [B,N,S,H] → [B,S,N*H].
FailureOr<Value> mergeHeads(NodeImporter &n, Value x) {
  auto t = n.transpose(x, {0, 2, 1, 3});
  if (failed(t))
    return failure();
  return n.reshape(*t, {0, 0, -1});
}

FailureOr<Value> concatSequence(NodeImporter &n, Value past, Value current) {
  return n.create<ConcatOp>({past, current},
                            {n.namedAttr("axis", n.getBuilder().getI64IntegerAttr(2))});
}

float defaultScale(NodeImporter &n, Value heads) {
  int64_t headSize = cast<RankedTensorType>(heads.getType()).getDimSize(3);
  return ShapedType::isDynamic(headSize) ? 0.0f : 1.0f / std::sqrt(float(headSize));
}

/// At run time, unless `actual` (i64) equals `expected` (i64): an error
/// whose message has {index} for `actual` and {bound} for `expected`.
void checkEqual(NodeImporter &n, Value actual, Value expected, const std::string &message) {
  checkEqualAtRunTime(n.getBuilder(), n.getLoc(), actual, expected, message);
}

/// Dim `d` of `v` as an i64 at run time.
Value dimI64(NodeImporter &n, Value v, int64_t d) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), tensor::DimOp::create(b, loc, v, d));
}

/// What GroupQueryAttention's run-time checks read: how their errors
/// begin (naming the node and the model), and (i64) the new tokens' count
/// S and total_sequence_length.
struct GQACounts {
  std::string errorPrefix;
  Value newCount, total;
};

/// Reads them, checking at run time that seqlens_k has a row per batch
/// item and that key and value have the query's positions.
GQACounts readCounts(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  auto dim = [&](Value v, int64_t d) { return dimI64(n, v, d); };
  GQACounts counts;
  counts.errorPrefix =
      "the GroupQueryAttention node '" + n.node_proto().name() + "' of " + n.model()->path;
  Value query = n.input(0), seqlens = n.input(5), totalInput = n.input(6);
  checkEqual(n, dim(seqlens, 0), dim(query, 0),
             counts.errorPrefix + ": seqlens_k has {index} rows for a batch of {bound}");
  counts.newCount = dim(query, 1);
  for (auto [input, name] : {std::pair<size_t, const char *>{1, "key"}, {2, "value"}})
    checkEqual(n, dim(n.input(input), 1), counts.newCount,
               counts.errorPrefix + ": " + name + " has {index} positions, the query {bound}");
  SmallVector<Value> origin(cast<RankedTensorType>(totalInput.getType()).getRank(),
                            arith::ConstantIndexOp::create(b, loc, 0));
  counts.total = arith::ExtSIOp::create(b, loc, b.getI64Type(),
                                        tensor::ExtractOp::create(b, loc, totalInput, origin));
  return counts;
}

/// Emits `check(builder, loc, rowTotal)` run for each row's seqlens_k + 1
/// (i64) at run time.
void forEachRowTotal(NodeImporter &n, function_ref<void(OpBuilder &, Location, Value)> check) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  Value seqlens = n.input(5);
  scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0), tensor::DimOp::create(b, loc, seqlens, 0),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{},
      [&](OpBuilder &fb, Location fl, Value row, ValueRange) {
        Value last = tensor::ExtractOp::create(fb, fl, seqlens, ValueRange{row});
        Type i64 = fb.getI64Type();
        check(fb, fl,
              arith::AddIOp::create(fb, fl, arith::ExtSIOp::create(fb, fl, i64, last),
                                    arith::ConstantIntOp::create(fb, fl, i64, 1)));
        scf::YieldOp::create(fb, fl);
      });
}

/// GroupQueryAttention read with past_key as exactly the past (P
/// positions, none without a past): checks, at run time, that every row's
/// seqlens_k + 1 and total_sequence_length are P + S.
void checkPastIsExact(NodeImporter &n, Value past) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  GQACounts counts = readCounts(n);
  Value expected = counts.newCount;
  if (past)
    expected = arith::AddIOp::create(b, loc, expected, dimI64(n, past, 2));
  std::string tokens = past ? "past and new tokens" : "new tokens (there is no past)";
  std::string form = past ? ": genc reads past_key as exactly the past when compiling for "
                            "sessions (a runtime-owned cache); give a past_key of the past's "
                            "length"
                          : "";
  forEachRowTotal(n, [&](OpBuilder &fb, Location fl, Value rowTotal) {
    checkEqualAtRunTime(fb, fl, rowTotal, expected,
                        counts.errorPrefix + ": a row's seqlens_k + 1 is {index}, but its " +
                            tokens + " are {bound}" + form);
  });
  checkEqual(n, counts.total, expected,
             counts.errorPrefix + ": total_sequence_length is {index}, but the " + tokens +
                 " are {bound}" + form);
}

/// The present keys and values and the attention mask bufferedKV makes.
struct BufferedKV {
  Value key, value, mask;
};

/// GroupQueryAttention's keys, values and mask over ONNX Runtime's cache
/// buffers (its CPU kernel). past_key [B, Nkv, P, H] is a buffer whose
/// first L_b positions are row b's past: L_b = seqlens_k[b] + 1 - S, or 0
/// in a first prompt (S = total_sequence_length T). The present is [B,
/// Nkv, max(T, P), H]: the row's past, its S new positions from L_b on,
/// zeros after; query s of row b sees positions up to L_b + s (with a
/// window W, the last W of them). A past of exactly P positions (L_b = P)
/// is past ++ new, causal.
FailureOr<BufferedKV> bufferedKV(NodeImporter &n, Value newKeys, Value newValues, int64_t kvHeads,
                                 int64_t window) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  Type i64 = b.getI64Type();
  ShapeMath m(n);
  Value pastKeys = n.input(3), pastValues = n.input(4), seqlens = n.input(5);
  auto dim = [&](Value v, int64_t d) { return dimI64(n, v, d); };
  auto asTensor = [&](ArrayRef<Value> scalars) -> Value {
    SmallVector<int64_t> shape;
    if (scalars.size() > 1)
      shape.push_back(scalars.size());
    return tensor::FromElementsOp::create(b, loc, RankedTensorType::get(shape, i64), scalars);
  };
  GQACounts counts = readCounts(n);
  Value newCount = counts.newCount, past = dim(pastKeys, 2);
  Value present = arith::MaxSIOp::create(b, loc, counts.total, past);
  Value decoding = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, newCount, counts.total);

  // Outside a first prompt, each row's past must lie in past_key and its
  // new positions in the present.
  forEachRowTotal(n, [&](OpBuilder &fb, Location fl, Value rowTotal) {
    Value rowPast = arith::SubIOp::create(fb, fl, rowTotal, newCount);
    auto failIf = [&](arith::CmpIPredicate predicate, Value index, Value bound,
                      const std::string &message) {
      Value bad = arith::AndIOp::create(fb, fl, decoding,
                                        arith::CmpIOp::create(fb, fl, predicate, index, bound));
      failAtRunTimeIf(fb, fl, bad, index, bound, counts.errorPrefix + message);
    };
    failIf(arith::CmpIPredicate::slt, rowTotal, newCount,
           ": a row's seqlens_k + 1 is {index}, fewer than its {bound} new tokens");
    failIf(arith::CmpIPredicate::sgt, rowPast, past,
           ": a row's past (seqlens_k + 1 - sequence length) is {index} positions, but "
           "past_key holds {bound}");
    failIf(arith::CmpIPredicate::sgt, rowTotal, present,
           ": a row's seqlens_k + 1 is {index}, but present_key holds {bound} positions "
           "(the larger of total_sequence_length and past_key's length)");
  });

  Value pastLengths = m.mul(m.sub(m.add(m.toI64(seqlens), m.scalar(1)), asTensor({newCount})),
                            asTensor({arith::ExtUIOp::create(b, loc, i64, decoding)})); // [B]
  Value pastColumn = m.column(pastLengths);                                             // [B, 1]
  Value positions = m.range(asTensor({present}));                                       // [Lp]
  Value offsets = m.sub(m.row(positions), pastColumn); // [B, Lp]: position - L_b
  Value isPast = m.less(offsets, m.scalar(0));
  Value isNew = m.logicalAnd(m.logicalNot(isPast), m.less(offsets, asTensor({newCount})));
  // The row of [B·S, Nkv·H] new keys that row b's position holds, clamped
  // where it holds none.
  Value lastNew =
      arith::SubIOp::create(b, loc, newCount, arith::ConstantIntOp::create(b, loc, i64, 1));
  Value sources = m.add(m.mul(m.column(m.range(asTensor({dim(newKeys, 0)}))), asTensor({newCount})),
                        m.minimum(m.maximum(offsets, m.scalar(0)), asTensor({lastNew})));
  Value pastRows = m.unsqueeze(isPast, {1, 3}), newRows = m.unsqueeze(isNew, {1, 3});
  auto presentOf = [&](Value pastBuffer, Value news, StringRef pastName,
                       StringRef newName) -> FailureOr<Value> {
    // Broadcasting trusts dynamic dims to agree: say so at run time.
    checkEqual(n, dim(news, 0), dim(n.input(0), 0),
               counts.errorPrefix + ": " + newName.str() +
                   " has a batch of {index}, the query {bound}");
    checkEqual(n, dim(pastBuffer, 2), past,
               counts.errorPrefix + ": " + pastName.str() +
                   " holds {index} positions, past_key {bound}");
    Value flat = m.op<ReshapeOp>(
        {news, asTensor({arith::ConstantIntOp::create(b, loc, i64, -1), dim(news, 2)})});
    Value shifted = m.op<GatherOp>({flat, sources}, {n.namedAttr("axis", b.getI64IntegerAttr(0))});
    if (failed(m.status()))
      return failure();
    FailureOr<Value> shiftedHeads = splitHeads(n, shifted, kvHeads);
    if (failed(shiftedHeads))
      return failure();
    for (int64_t d : {0, 1, 3})
      checkEqual(n, dim(pastBuffer, d), dim(*shiftedHeads, d),
                 counts.errorPrefix + ": " + pastName.str() + "'s dim " + std::to_string(d) +
                     " is {index}, the new ones' {bound}");
    Type element = getElementTypeOrSelf(pastBuffer.getType());
    Value padShape = asTensor({dim(pastBuffer, 0), dim(pastBuffer, 1),
                               arith::SubIOp::create(b, loc, present, past), dim(pastBuffer, 3)});
    Value zeros = m.op<ConstantOfShapeOp>(
        {padShape},
        {n.namedAttr("value", DenseElementsAttr::get(RankedTensorType::get({1}, element),
                                                     b.getZeroAttr(element)))});
    Value padded =
        m.op<ConcatOp>({pastBuffer, zeros}, {n.namedAttr("axis", b.getI64IntegerAttr(2))});
    Value result =
        m.where(pastRows, padded, m.where(newRows, *shiftedHeads, n.constScalar(element, 0)));
    if (failed(m.status()))
      return failure();
    return result;
  };
  FailureOr<Value> key = presentOf(pastKeys, newKeys, "past_key", "key"),
                   value = presentOf(pastValues, newValues, "past_value", "value");
  if (failed(key) || failed(value))
    return failure();
  // Query s of row b sees positions p <= L_b + s (and p > L_b + s - W).
  Value limits = m.unsqueeze(m.add(pastColumn, m.row(m.range(asTensor({newCount})))), {2});
  Value keyPositions = m.unsqueeze(positions, {0, 1});
  Value visible = m.lessEqual(keyPositions, limits);
  if (window > 0)
    visible = m.logicalAnd(visible, m.less(m.sub(limits, m.scalar(window)), keyPositions));
  Value mask = m.unsqueeze(visible, {1});
  if (failed(m.status()))
    return failure();
  return BufferedKV{*key, *value, mask};
}

/// GroupQueryAttention: query [B,S,N*H], key/value [B,S,Nkv*H], past
/// [B,Nkv,P,H], read as ONNX Runtime reads its cache buffers (bufferedKV)
/// or, for sessions (ImportOptions), as exactly the past: causal over past
/// ++ new (checkPastIsExact); without a past, causal over the new tokens.
/// local_window_size W lets a query see W keys, itself and W - 1 before
/// (ONNX Runtime 1.30's CPU kernel, checked against it).
LogicalResult groupQueryAttention(NodeImporter &n) {
  int64_t heads = n.attrInt("num_heads", 0), kvHeads = n.attrInt("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads)
    return n.emitError() << "num_heads (" << heads << ") must be a positive multiple of "
                         << "kv_num_heads (" << kvHeads << ")";
  if (n.attrInt("do_rotary", 0))
    return n.emitError() << "do_rotary=1 is not supported yet; apply RotaryEmbedding "
                            "before GroupQueryAttention";
  if (!n.hasInput(1) || !n.hasInput(2))
    return n.emitError() << "packed QKV (key and value absent) is not supported yet";
  for (size_t i = 9; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      return n.emitError() << "input " << i << " is not supported";
  auto q = splitHeads(n, n.input(0), heads);
  auto k = splitHeads(n, n.input(1), kvHeads);
  auto v = splitHeads(n, n.input(2), kvHeads);
  if (failed(q) || failed(k) || failed(v))
    return failure();
  Value key = *k, value = *v, mask;
  if (n.hasInput(3) != n.hasInput(4))
    return n.emitError() << "give both past_key and past_value, or neither";
  if (!n.hasInput(5) || !n.hasInput(6))
    return n.emitError() << "seqlens_k and total_sequence_length are required";
  if (n.inputType(5).getRank() != 1 || !n.inputType(6).hasStaticShape() ||
      n.inputType(6).getNumElements() != 1 ||
      !n.inputType(5).getElementType().isInteger(32) ||
      !n.inputType(6).getElementType().isInteger(32))
    return n.emitError() << "seqlens_k must be int32 [batch] and total_sequence_length one int32";
  int64_t window = n.attrInt("local_window_size", -1);
  if (n.hasInput(3) && !n.model()->options.gqaPastIsBuffer) {
    checkPastIsExact(n, n.input(3));
    auto pk = concatSequence(n, n.input(3), key), pv = concatSequence(n, n.input(4), value);
    if (failed(pk) || failed(pv))
      return failure();
    key = *pk;
    value = *pv;
  } else if (n.hasInput(3)) {
    FailureOr<BufferedKV> buffered = bufferedKV(n, n.input(1), n.input(2), kvHeads, window);
    if (failed(buffered))
      return failure();
    key = buffered->key;
    value = buffered->value;
    mask = buffered->mask;
  } else {
    checkPastIsExact(n, Value());
  }
  float scale = n.attrFloat("scale", 0);
  if (scale == 0 && (scale = defaultScale(n, *q)) == 0)
    return n.emitError() << "the head size is dynamic; give the scale attribute";
  OpBuilder &b = n.getBuilder();
  // With a past, the mask says what each query sees.
  SmallVector<Value> operands = {*q, key, value};
  if (mask)
    operands.push_back(mask);
  auto y = n.create<AttentionOp>(
      operands,
      {n.namedAttr("scale", b.getF32FloatAttr(scale)), n.namedAttr("causal", b.getBoolAttr(!mask)),
       n.namedAttr("window", b.getI64IntegerAttr(mask ? -1 : window)),
       n.namedAttr("softcap", b.getF32FloatAttr(n.attrFloat("softcap", 0)))});
  if (failed(y))
    return failure();
  auto out = mergeHeads(n, *y);
  if (failed(out))
    return failure();
  return n.setOutputs({*out, key, value});
}

/// MultiHeadAttention with 3-D query/key/value, optional bias, additive
/// attention_bias, past K/V and unidirectional (causal) masking.
LogicalResult multiHeadAttention(NodeImporter &n) {
  int64_t heads = n.attrInt("num_heads", 0);
  if (heads <= 0)
    return n.emitError() << "num_heads must be positive";
  if (n.hasInput(4))
    return n.emitError() << "key_padding_mask is not supported yet; pass an additive "
                            "attention_bias instead";
  for (size_t i = 8; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      return n.emitError() << "input " << i << " is not supported";
  if (!n.hasInput(1) || !n.hasInput(2) || n.inputType(1).getRank() != 3)
    return n.emitError() << "only separate 3-D key and value inputs are supported";
  Value query = n.input(0), keyIn = n.input(1), valueIn = n.input(2);
  if (n.hasInput(3)) {
    // bias is [3*D]: query, key and value biases back to back.
    auto bias = n.inputType(3);
    int64_t d = bias.getDimSize(0);
    if (ShapedType::isDynamic(d) || d % 3)
      return n.emitError() << "bias must have a static length divisible by 3";
    OpBuilder &b = n.getBuilder();
    auto parts = SplitOp::create(b, n.getLoc(),
                                 SmallVector<Type>(3, bias.clone({d / 3})), n.input(3),
                                 b.getI64IntegerAttr(0), b.getDenseI64ArrayAttr({d / 3, d / 3, d / 3}));
    auto qb = n.create<AddOp>({query, parts.getResult(0)});
    auto kb = n.create<AddOp>({keyIn, parts.getResult(1)});
    auto vb = n.create<AddOp>({valueIn, parts.getResult(2)});
    if (failed(qb) || failed(kb) || failed(vb))
      return failure();
    query = *qb, keyIn = *kb, valueIn = *vb;
  }
  auto q = splitHeads(n, query, heads), k = splitHeads(n, keyIn, heads),
       v = splitHeads(n, valueIn, heads);
  if (failed(q) || failed(k) || failed(v))
    return failure();
  Value key = *k, value = *v;
  if (n.hasInput(6) && n.hasInput(7)) {
    auto pk = concatSequence(n, n.input(6), key), pv = concatSequence(n, n.input(7), value);
    if (failed(pk) || failed(pv))
      return failure();
    key = *pk;
    value = *pv;
  }
  float scale = n.attrFloat("scale", 0);
  if (scale == 0 && (scale = defaultScale(n, *q)) == 0)
    return n.emitError() << "the head size is dynamic; give the scale attribute";
  OpBuilder &b = n.getBuilder();
  SmallVector<Value> operands = {*q, key, value};
  if (n.hasInput(5))
    operands.push_back(n.input(5));
  auto y = n.create<AttentionOp>(
      operands, {n.namedAttr("scale", b.getF32FloatAttr(scale)),
                 n.namedAttr("causal", b.getBoolAttr(n.attrInt("unidirectional", 0)))});
  if (failed(y))
    return failure();
  auto out = mergeHeads(n, *y);
  if (failed(out))
    return failure();
  return n.setOutputs({*out, key, value});
}

/// Contrib RotaryEmbedding: (input, position_ids, cos_cache, sin_cache),
/// input [B,S,N*H] or [B,N,S,H].
LogicalResult rotaryEmbedding(NodeImporter &n) {
  if (n.attrFloat("scale", 1.0f) != 1.0f)
    return n.emitError() << "scale other than 1 is not supported";
  auto inputType = n.inputType(0);
  Value x = n.input(0);
  bool threeD = inputType.getRank() == 3;
  if (threeD) {
    int64_t heads = n.attrInt("num_heads", 0);
    if (heads <= 0) {
      int64_t hidden = inputType.getDimSize(2);
      int64_t half = n.inputType(2).getDimSize(1);
      int64_t rot = n.attrInt("rotary_embedding_dim", 0);
      int64_t headSize = rot > 0 ? rot : 2 * half;
      if (ShapedType::isDynamic(hidden) || ShapedType::isDynamic(half) || hidden % headSize)
        return n.emitError() << "num_heads is needed for a 3-D input";
      heads = hidden / headSize;
    }
    auto r = splitHeads(n, x, heads);
    if (failed(r))
      return failure();
    x = *r;
  }
  auto positions = n.inputType(1);
  if (positions.getRank() != 2)
    return n.emitError() << "position_ids must be [B,S]; a scalar offset is not supported yet";
  OpBuilder &b = n.getBuilder();
  auto y = n.create<RotaryOp>(
      {x, n.input(2), n.input(3), n.input(1)},
      {n.namedAttr("interleaved", b.getBoolAttr(n.attrInt("interleaved", 0))),
       n.namedAttr("rotary_dim", b.getI64IntegerAttr(n.attrInt("rotary_embedding_dim", 0)))});
  if (failed(y))
    return failure();
  if (!threeD)
    return n.setOutputs({*y});
  auto out = mergeHeads(n, *y);
  if (failed(out))
    return failure();
  return n.setOutputs({*out});
}

FailureOr<Value> rmsNorm(NodeImporter &n, Value x, Value scale) {
  OpBuilder &b = n.getBuilder();
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", -1), cast<RankedTensorType>(x.getType()).getRank());
  if (failed(axis))
    return failure();
  return n.create<RmsNormOp>(
      {x, scale}, {n.namedAttr("axis", b.getI64IntegerAttr(*axis)),
                   n.namedAttr("epsilon", b.getF32FloatAttr(n.attrFloat("epsilon", 1e-5f)))});
}

/// s = input + skip (+ bias); y = rms_norm(s) · gamma; output 3 is s.
LogicalResult skipSimplifiedLayerNorm(NodeImporter &n) {
  if (n.wantsOutput(1) || n.wantsOutput(2))
    return n.emitError() << "the mean and inv_std_var outputs are not supported";
  auto sum = n.create<AddOp>({n.input(0), n.input(1)});
  if (failed(sum))
    return failure();
  if (n.hasInput(3) && failed(sum = n.create<AddOp>({*sum, n.input(3)})))
    return failure();
  auto y = rmsNorm(n, *sum, n.input(2));
  if (failed(y))
    return failure();
  return n.setOutputs({*y, Value(), Value(), *sum});
}

/// The values of constant input `i` (an initializer) of element type T, or
/// nullopt when it is not a constant of that type.
template <typename T>
std::optional<std::vector<T>> constantValues(NodeImporter &n, size_t i) {
  ElementsAttr elements = n.hasInput(i) ? constantElements(n.input(i)) : ElementsAttr();
  if (!elements)
    return std::nullopt;
  Type type = elements.getElementType();
  bool matches = std::is_floating_point_v<T> ? type.isF32()
                                             : type.isUnsignedInteger(8 * sizeof(T));
  if (!matches)
    return std::nullopt;
  return elementValues<T>(elements);
}

/// MatMulNBits: Y = A · dequant(B)ᵀ (+ bias), B [N, ceil(K / block_size),
/// block_size · bits / 8] holding each column's codes along K packed low
/// bits first, dequantised per block as (q − zero_point) · scale, the zero
/// point 2^(bits−1) when absent. Imported as a genc.matmul by the
/// dequantised f32 weights [K, N]; 4-bit weights in blocks of 32, 64 or
/// 128 also carry their grid (kWeightGridAttrName), on which the CPU
/// target keeps them.
LogicalResult matMulNBits(NodeImporter &n) {
  int64_t k = n.attrInt("K", 0), cols = n.attrInt("N", 0), bits = n.attrInt("bits", 4);
  int64_t blockSize = n.attrInt("block_size", 0);
  if (k <= 0 || cols <= 0)
    return n.emitError() << "the K and N attributes must be positive";
  if (bits != 2 && bits != 4 && bits != 8)
    return n.emitError() << "bits=" << bits << " is not supported (2, 4 or 8)";
  if (blockSize < 16 || (blockSize & (blockSize - 1)))
    return n.emitError() << "block_size must be a power of two of at least 16, not "
                         << blockSize;
  if (n.hasInput(4))
    return n.emitError() << "g_idx (input 4) is not supported; re-export without act-order";
  RankedTensorType a = n.inputType(0);
  if (!a.getElementType().isF32())
    return n.emitError() << "A must be float32";
  if (a.getRank() < 1 || (!a.isDynamicDim(a.getRank() - 1) && a.getShape().back() != k))
    return n.emitError() << "A's last dimension must be K = " << k;
  int64_t blocks = (k + blockSize - 1) / blockSize, blob = blockSize * bits / 8;
  auto codes = constantValues<uint8_t>(n, 1);
  if (!codes || static_cast<int64_t>(codes->size()) != cols * blocks * blob)
    return n.emitError() << "B must be a uint8 initializer of " << cols << " x " << blocks
                         << " x " << blob << " bytes (N x blocks x block_size * bits / 8)";
  auto scales = constantValues<float>(n, 2);
  if (!scales || static_cast<int64_t>(scales->size()) != cols * blocks)
    return n.emitError() << "scales must be a float32 initializer of " << cols * blocks
                         << " values (N x blocks)";
  // Zero points: none, uint8 codes packed like B (each column's padded to
  // whole bytes), or float32 values of the scales' shape.
  int64_t perByte = 8 / bits, zeroBytes = (blocks + perByte - 1) / perByte;
  std::vector<float> zeros(cols * blocks, float(1 << (bits - 1)));
  if (n.hasInput(3)) {
    if (auto packed = constantValues<uint8_t>(n, 3);
        packed && static_cast<int64_t>(packed->size()) == cols * zeroBytes) {
      for (int64_t c = 0; c < cols; ++c)
        for (int64_t b = 0; b < blocks; ++b)
          zeros[c * blocks + b] =
              ((*packed)[c * zeroBytes + b / perByte] >> (bits * (b % perByte))) &
              ((1 << bits) - 1);
    } else if (auto values = constantValues<float>(n, 3);
               values && static_cast<int64_t>(values->size()) == cols * blocks) {
      zeros = *values;
    } else {
      return n.emitError() << "zero_points must be a uint8 initializer of " << cols * zeroBytes
                           << " bytes (N x ceil(blocks * bits / 8)) or a float32 one of "
                           << cols * blocks << " values";
    }
  }
  Value w = f32Constant(n, {k, cols}, "matmul_nbits_weight", [&](MutableArrayRef<float> weights) {
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t kk = 0; kk < k; ++kk) {
        int64_t b = kk / blockSize, i = kk % blockSize;
        uint8_t byte = (*codes)[(c * blocks + b) * blob + i / perByte];
        float q = (byte >> (bits * (i % perByte))) & ((1 << bits) - 1);
        weights[kk * cols + c] = (q - zeros[c * blocks + b]) * (*scales)[c * blocks + b];
      }
  });
  auto product = n.create<MatMulOp>({n.input(0), w});
  if (failed(product))
    return failure();
  // Grids the int4 kernels read: offsets -zero·scale, [blocks, N].
  bool integerZeros = llvm::all_of(zeros, [&](float z) {
    return z == std::floor(z) && z >= 0 && z < (1 << bits);
  });
  if (bits == 4 && integerZeros && (blockSize == 32 || blockSize == 64 || blockSize == 128)) {
    std::vector<float> gridScales(blocks * cols), gridOffsets(blocks * cols);
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t b = 0; b < blocks; ++b) {
        gridScales[b * cols + c] = (*scales)[c * blocks + b];
        gridOffsets[b * cols + c] = -zeros[c * blocks + b] * (*scales)[c * blocks + b];
      }
    product->getDefiningOp()->setAttr(
        kWeightGridAttrName,
        int4WeightGridAttr(n.getBuilder(), blockSize, blocks, cols, gridScales, gridOffsets));
  }
  Value y = *product;
  if (n.hasInput(5)) {
    auto biased = n.create<AddOp>({y, n.input(5)});
    if (failed(biased))
      return failure();
    y = *biased;
  }
  return n.setOutputs({y});
}

const OpHandler kHandlers[] = {
    {"com.microsoft", "GroupQueryAttention", 1, 1, groupQueryAttention},
    {"com.microsoft", "MatMulNBits", 1, 3, matMulNBits},
    {"com.microsoft", "MultiHeadAttention", 1, 1, multiHeadAttention},
    {"com.microsoft", "RotaryEmbedding", 1, 4, rotaryEmbedding},
    {"com.microsoft", "SimplifiedLayerNormalization", 1, 2, importSimplifiedLayerNormalization},
    {"com.microsoft", "SkipSimplifiedLayerNormalization", 1, 3, skipSimplifiedLayerNorm},
};

} // namespace

LogicalResult onnx_import::importSimplifiedLayerNormalization(NodeImporter &n) {
  if (n.wantsOutput(1))
    return n.emitError() << "the inv_std_var output is not supported";
  auto y = rmsNorm(n, n.input(0), n.input(1));
  if (failed(y))
    return failure();
  return n.setOutputs({*y});
}

ArrayRef<OpHandler> onnx_import::getMicrosoftHandlers() { return kHandlers; }
