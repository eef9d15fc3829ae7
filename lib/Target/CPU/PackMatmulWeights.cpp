//===- PackMatmulWeights.cpp - constant B operands as 32-wide panels -------===//

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencAttrs.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::genc {
#define GEN_PASS_DEF_PACKMATMULWEIGHTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

using genc::ConstantWeight;
constexpr int64_t kPanel = genc::kPanelColumns;

/// [K, N] (or [N, K] transposed) → [ceil(N/32), K, 32], zero-padded. The
/// source is read front to back (a panel at a time when transposed, rows
/// when not), reporting each part read to `source`.
DenseResourceElementsAttr pack(const ConstantWeight &b, genc::ConsumableBytes &source) {
  auto shape = cast<ShapedType>(b.source.getType()).getShape();
  int64_t k = b.transposed ? shape[1] : shape[0], n = b.transposed ? shape[0] : shape[1];
  int64_t panels = llvm::divideCeil(n, kPanel);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(panels * k * kPanel) * sizeof(float), 64);
  auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
  auto *in = reinterpret_cast<const float *>(source.data());
  auto value = [&](int64_t kk, int64_t col) {
    return col >= n ? 0.0f : b.transposed ? in[col * k + kk] : in[kk * n + col];
  };
  if (b.transposed) {
    // Panel p is source rows [32p, 32p + 32).
    for (int64_t p = 0; p < panels; ++p) {
      for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t j = 0; j < kPanel; ++j)
          out[(p * k + kk) * kPanel + j] = value(kk, p * kPanel + j);
      source.consumedUpTo(std::min((p + 1) * kPanel, n) * k * sizeof(float));
    }
  } else {
    // A page of each panel per step: the packed form grows as fast as the
    // source is consumed.
    constexpr int64_t kRowsPerStep = 32;
    for (int64_t row = 0; row < k; row += kRowsPerStep) {
      int64_t rowEnd = std::min(row + kRowsPerStep, k);
      for (int64_t p = 0; p < panels; ++p)
        for (int64_t kk = row; kk < rowEnd; ++kk)
          for (int64_t j = 0; j < kPanel; ++j)
            out[(p * k + kk) * kPanel + j] = value(kk, p * kPanel + j);
      source.consumedUpTo(rowEnd * n * sizeof(float));
    }
  }
  auto type = RankedTensorType::get({panels, k, kPanel}, Float32Type::get(b.source.getContext()));
  return DenseResourceElementsAttr::get(type, "packed_weight", std::move(blob));
}

/// Whether every reader of `b`'s constant is one of `packing` reading it
/// as B in `b`'s orientation, so that its bytes are read for the last time
/// when `b` is packed.
bool onlyPackedReaders(Value b, const llvm::DenseSet<Operation *> &packing) {
  auto readAsPackedB = [&](Value value) {
    return llvm::all_of(value.getUses(), [&](OpOperand &use) {
      return packing.contains(use.getOwner()) &&
             &use == cast<linalg::GenericOp>(use.getOwner()).getDpsInputOperand(1);
    });
  };
  if (auto transpose = b.getDefiningOp<linalg::TransposeOp>())
    return readAsPackedB(transpose->getResult(0)) && transpose.getInput().hasOneUse();
  return readAsPackedB(b);
}

struct PackMatmulWeightsPass : genc::impl::PackMatmulWeightsBase<PackMatmulWeightsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, ConstantWeight>> matmuls;
    getOperation().walk([&](linalg::GenericOp op) {
      auto encoding = op->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
      if (!encoding || encoding.getLayout() != genc::MatmulLayout::RowMajor ||
          op.getNumDpsInputs() != 2)
        return;
      if (std::optional<ConstantWeight> b =
              genc::matchConstantWeight(op.getDpsInputOperand(1)->get()))
        matmuls.emplace_back(op, *b);
    });
    // Packed once per (function, weight, orientation), shared by the
    // function's matmuls (a constant is not visible across functions); the
    // weight's own form is freed as soon as nothing reads it.
    genc::WeightConstants weights(getOperation());
    llvm::DenseMap<std::tuple<Operation *, Attribute, unsigned>, Value> packed;
    llvm::DenseSet<Operation *> packing;
    // Every weight's data, before any is consumed: a failure leaves the
    // module as it was.
    for (auto &[op, b] : matmuls) {
      packing.insert(op);
      if (failed(genc::getConstantBytes(b.source))) {
        op.emitError("a matmul weight has no data to pack");
        return signalPassFailure();
      }
    }
    for (auto &[op, b] : matmuls) {
      auto fn = op->getParentOfType<FunctionOpInterface>();
      Value &panels = packed[{fn, b.source, b.transposed ? 1u : 0u}];
      if (!panels) {
        FailureOr<ArrayRef<char>> bytes = genc::getConstantBytes(b.source);
        assert(succeeded(bytes) && "checked above");
        Value bValue = op.getDpsInputOperand(1)->get();
        genc::ConsumableBytes source(*bytes, weights.holdsBytesAlone(b.source) &&
                                                 onlyPackedReaders(bValue, packing));
        OpBuilder builder = OpBuilder::atBlockBegin(&fn.getFunctionBody().front());
        panels = arith::ConstantOp::create(builder, op.getLoc(), pack(b, source));
      }
      // B's map (..., k, n) becomes (n floordiv 32, k, n mod 32).
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      AffineMap bMap = maps[1];
      AffineExpr k = bMap.getResult(bMap.getNumResults() - 2);
      AffineExpr n = bMap.getResult(bMap.getNumResults() - 1);
      maps[1] = AffineMap::get(bMap.getNumDims(), 0, {n.floorDiv(kPanel), k, n % kPanel},
                               op.getContext());
      OpOperand *bOperand = op.getDpsInputOperand(1);
      Value old = bOperand->get();
      bOperand->set(panels);
      op.setIndexingMapsAttr(Builder(op.getContext()).getAffineMapArrayAttr(maps));
      auto encoding = op->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
      op->setAttr(genc::kMatmulAttrName, encoding.withLayout(genc::MatmulLayout::Panels32));
      weights.eraseIfDead(old);
    }
  }
};

} // namespace
