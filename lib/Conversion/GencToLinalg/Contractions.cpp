//===- Contractions.cpp - MatMul and Gemm → linalg.generic ----------------===//
//
// A matmul is a generic over (batch..., m, k, n) with broadcast batch dims;
// f32 ones are marked for the CPU kernel (kMatmulAttrName).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/Broadcast.h"
#include "genc/Dialect/GencAttrs.h"

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::lowering;

/// The body of every contraction: acc + x·y. Operands narrower than the
/// accumulator widen to it: floats exactly, integers as their own
/// signedness says (zeros for unsigned; the product and sum are the same
/// bits either way).
void mlir::genc::lowering::yieldMultiplyAdd(OpBuilder &b, Location loc, ValueRange a) {
  Type accType = a[2].getType();
  if (isa<FloatType>(accType)) {
    auto operand = [&](Value v) -> Value {
      return v.getType() == accType ? v : arith::ExtFOp::create(b, loc, accType, v).getResult();
    };
    Value product = arith::MulFOp::create(b, loc, operand(a[0]), operand(a[1]));
    linalg::YieldOp::create(b, loc, arith::AddFOp::create(b, loc, a[2], product).getResult());
    return;
  }
  Type computeType = signless(accType);
  auto operand = [&](Value v) {
    return convertScalar(b, loc, reinterpret(b, loc, v, signless(v.getType())), computeType,
                         /*fromUnsigned=*/isUnsignedInt(v.getType()));
  };
  Value r = arith::AddIOp::create(b, loc, reinterpret(b, loc, a[2], computeType),
                                  arith::MulIOp::create(b, loc, operand(a[0]), operand(a[1])));
  linalg::YieldOp::create(b, loc, reinterpret(b, loc, r, accType));
}

/// lhs [..., M, K] · rhs [..., K, N] with broadcast batch dims, for
/// `source`, whose attributes about its weights (kWeightMatmulAttrNames)
/// it keeps. `originals`: the genc values lhs and rhs lower, for the shape
/// tracing that spares checks of K and the batch dims.
static FailureOr<Value> matmul(OpBuilder &b, Operation *source, Value lhs, Value rhs,
                               ValueRange originals, RankedTensorType resultType) {
  Location loc = source->getLoc();
  auto lt = tensorType(lhs), rt = tensorType(rhs);
  if (lt.getRank() < 2 || rt.getRank() < 2)
    return failure();
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank(), batch = rank - 2;
  std::string node = describeNode(source, isa<GemmOp>(source) ? "Gemm" : "MatMul");
  {
    SharedLoops loops(b, loc, {lhs, rhs}, originals, node,
                      {"the left operand", "the right operand"});
    loops.share({{0, lt.getRank() - 1}, {1, rt.getRank() - 2}}, OpFoldResult());
    RankedTensorType types[] = {lt, rt};
    for (int64_t d = 0; d < batch; ++d) {
      SmallVector<SharedLoops::Use> uses;
      for (auto [i, t] : llvm::enumerate(types)) {
        int64_t j = d - (batch - (t.getRank() - 2));
        if (j >= 0 && t.getDimSize(j) != 1)
          uses.push_back({static_cast<unsigned>(i), j});
      }
      loops.share(uses, resultType.isDynamicDim(d) ? OpFoldResult()
                                                   : b.getIndexAttr(resultType.getDimSize(d)));
    }
    SmallVector<Value> checked = loops.operands();
    lhs = checked[0];
    rhs = checked[1];
  }
  // Loops: batch..., m, k, n. With n innermost the inner loop streams a row
  // of B into a row of C (no reduction in it), which LLVM vectorises.
  AffineExpr m = getAffineDimExpr(batch, ctx), k = getAffineDimExpr(batch + 1, ctx),
             n = getAffineDimExpr(batch + 2, ctx);
  auto operandMap = [&](RankedTensorType t, AffineExpr a, AffineExpr c) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = batch - (t.getRank() - 2);
    for (int64_t i = 0; i < t.getRank() - 2; ++i)
      exprs.push_back(isBroadcastDim(t.getDimSize(i), resultType.getDimSize(offset + i))
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + i, ctx));
    exprs.push_back(a);
    exprs.push_back(c);
    return AffineMap::get(rank + 1, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < batch; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  outExprs.push_back(m);
  outExprs.push_back(n);
  SmallVector<AffineMap> maps = {operandMap(lt, m, k), operandMap(rt, k, n),
                                 AffineMap::get(rank + 1, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank + 1, utils::IteratorType::parallel);
  iterators[batch + 1] = utils::IteratorType::reduction;
  // Result sizes: batch dims broadcast, then M from lhs and N from rhs.
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < batch; ++d) {
    if (!resultType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(resultType.getDimSize(d)));
      continue;
    }
    int64_t li = d - (batch - (lt.getRank() - 2)), ri = d - (batch - (rt.getRank() - 2));
    sizes.push_back(li >= 0 && lt.getDimSize(li) != 1 ? dimOf(b, loc, lhs, li)
                                                      : dimOf(b, loc, rhs, ri));
  }
  sizes.push_back(dimOf(b, loc, lhs, lt.getRank() - 2));
  sizes.push_back(dimOf(b, loc, rhs, rt.getRank() - 1));
  Type t = resultType.getElementType();
  // With K = 0 the operands hold nothing, whatever M and N: they do not
  // bound the result's size. The kernel takes M and N from the result;
  // the loops of other element types take them from the operands, emptied.
  int64_t depth = lt.getDimSize(lt.getRank() - 1);
  if (depth == 0 || ShapedType::isDynamic(depth)) {
    Value tooLarge = guardResultBytes(b, loc, sizes, t, node);
    if (!t.isF32()) {
      lhs = emptiedIf(b, loc, lhs, tooLarge);
      rhs = emptiedIf(b, loc, rhs, tooLarge);
    }
  }
  // f16 and bf16 products sum in f32, rounded once at the end (as ONNX
  // Runtime sums them), not a rounding per term.
  Type accumulator = isa<Float16Type, BFloat16Type>(t) ? b.getF32Type() : t;
  Value init = filled(b, loc, sizes, accumulator, elementConst(b, loc, accumulator, 0));
  auto generic = linalg::GenericOp::create(b, loc, init.getType(), ValueRange{lhs, rhs}, init, maps,
                                           iterators, yieldMultiplyAdd);
  // The CPU pipeline hands f32 matmuls to a kernel (genc-call-cpu-kernels).
  if (t.isF32())
    generic->setAttr(kMatmulAttrName, MatmulEncodingAttr::get(MatmulLayout::RowMajor, t));
  for (StringRef name : kWeightMatmulAttrNames)
    if (Attribute value = source->getAttr(name))
      generic->setAttr(name, value);
  Value product = generic.getResult(0);
  if (accumulator != t)
    product = elementwise(b, loc, {product}, t, [&](OpBuilder &nb, Location nl, ValueRange v) {
      return arith::TruncFOp::create(nb, nl, t, v[0]).getResult();
    });
  return castTo(b, loc, product, resultType);
}

/// alpha · A' · B' + beta · C, transposes materialised.
static FailureOr<Value> lowerGemm(GemmOp op, GemmOp::Adaptor operands, OpBuilder &b) {
  Location loc = op.getLoc();
  Value a = operands.getA(), bm = operands.getB();
  auto transposed = [&](Value v) -> Value {
    auto t = tensorType(v);
    SmallVector<OpFoldResult> sizes = {dimOf(b, loc, v, 1), dimOf(b, loc, v, 0)};
    Value init = emptyTensor(b, loc, sizes, t.getElementType());
    return linalg::TransposeOp::create(b, loc, v, init, ArrayRef<int64_t>{1, 0}).getResult()[0];
  };
  if (op.getTransA())
    a = transposed(a);
  if (op.getTransB())
    bm = transposed(bm);
  // Transposed operands have no genc values to trace.
  auto product = matmul(b, op, a, bm, {a, bm},
                        RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                              op.getType().getElementType()));
  if (failed(product))
    return failure();
  Type t = op.getType().getElementType();
  Value alpha = scalarConst(b, loc, t, op.getAlpha().convertToFloat());
  Value beta = scalarConst(b, loc, t, op.getBeta().convertToFloat());
  SmallVector<Value> terms = {*product};
  if (Value c = operands.getC()) {
    // C broadcasts to the product [M, N]; sizes it leaves dynamic must match.
    SharedLoops loops(b, loc, {*product, c}, {*product, op.getC()}, describeNode(op, "Gemm"),
                      {"the product", "C"});
    auto ct = tensorType(c);
    for (int64_t d = 0; d < ct.getRank(); ++d)
      if (ct.getDimSize(d) != 1)
        loops.share({{0, d + 2 - ct.getRank()}, {1, d}}, OpFoldResult());
    terms = loops.operands();
  }
  Value r = elementwise(b, loc, terms, t, [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
    Value y = arith::MulFOp::create(nb, nl, alpha, v[0]);
    if (v.size() > 1)
      y = arith::AddFOp::create(nb, nl, y, arith::MulFOp::create(nb, nl, beta, v[1]));
    return y;
  });
  return r;
}

static FailureOr<Value> lowerMatMul(MatMulOp op, MatMulOp::Adaptor operands, OpBuilder &b) {
  FailureOr<Value> product =
      matmul(b, op, operands.getLhs(), operands.getRhs(), op->getOperands(), op.getType());
  if (failed(product))
    return op.emitError("matmul of 1-D operands is not supported by the CPU lowering yet");
  return product;
}

void mlir::genc::lowering::populateContractionLoweringPatterns(RewritePatternSet &patterns) {
  addLowering<MatMulOp>(patterns, lowerMatMul);
  addLowering<GemmOp>(patterns, lowerGemm);
}
