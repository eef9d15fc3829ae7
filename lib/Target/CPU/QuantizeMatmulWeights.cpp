//===- QuantizeMatmulWeights.cpp - packed f32 weights → int8 + scales -----===//
//
// Weight-only quantisation of the panels genc-pack-matmul-weights made:
// symmetric, one scale per output column. Decode is bound by reading the
// weights, so a quarter of the bytes is most of a quarter of the time.
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Iterators.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

#include <cmath>

namespace mlir::genc {
#define GEN_PASS_DEF_QUANTIZEMATMULWEIGHTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

constexpr int64_t kPanel = 32;
constexpr float kInt8Max = 127.0f;

/// Quantised panels [P, K, 32] of int8 and the scales [P * 32] of their
/// columns.
struct QuantizedWeight {
  DenseResourceElementsAttr values, scales;
};

QuantizedWeight quantize(RankedTensorType type, ArrayRef<char> bytes) {
  int64_t panels = type.getDimSize(0), k = type.getDimSize(1);
  auto *in = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob scaleBlob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(panels * kPanel) * sizeof(float), 64);
  AsmResourceBlob valueBlob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(panels * k * kPanel), 64);
  auto *scales = reinterpret_cast<float *>(scaleBlob.getMutableData().data());
  auto *values = reinterpret_cast<int8_t *>(valueBlob.getMutableData().data());
  for (int64_t p = 0; p < panels; ++p) {
    const float *panel = in + p * k * kPanel;
    for (int64_t j = 0; j < kPanel; ++j) {
      float largest = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        largest = std::max(largest, std::fabs(panel[kk * kPanel + j]));
      float scale = largest / kInt8Max;
      scales[p * kPanel + j] = scale;
      for (int64_t kk = 0; kk < k; ++kk) {
        float q = scale == 0 ? 0 : std::round(panel[kk * kPanel + j] / scale);
        values[p * k * kPanel + kk * kPanel + j] =
            static_cast<int8_t>(std::clamp(q, -kInt8Max, kInt8Max));
      }
    }
  }
  MLIRContext *ctx = type.getContext();
  auto valueType = RankedTensorType::get(type.getShape(), IntegerType::get(ctx, 8));
  auto scaleType = RankedTensorType::get({panels * kPanel}, Float32Type::get(ctx));
  return {DenseResourceElementsAttr::get(valueType, "int8_weight", std::move(valueBlob)),
          DenseResourceElementsAttr::get(scaleType, "int8_scales", std::move(scaleBlob))};
}

/// The constant f32 panels a matmul reads as B, if it reads such.
std::optional<ElementsAttr> constantPanels(linalg::GenericOp op) {
  auto constant = op.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
  auto type = constant ? dyn_cast<RankedTensorType>(constant.getType()) : nullptr;
  if (!type || type.getRank() != 3 || !type.hasStaticShape() ||
      type.getDimSize(2) != kPanel || !type.getElementType().isF32())
    return std::nullopt;
  auto value = dyn_cast<ElementsAttr>(constant.getValue());
  if (!value || value.isSplat())
    return std::nullopt;
  return value;
}

/// `op` with B replaced by `values` and the column scales as a third input:
/// C += A · (q · scale[n]).
linalg::GenericOp rewriteMatmul(linalg::GenericOp op, Value values, Value scales) {
  OpBuilder b(op);
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  // The scale of column n, n being the last result dim of C's map.
  AffineMap scaleMap = AffineMap::get(out.getNumDims(), 0, {out.getResults().back()}, ctx);
  SmallVector<AffineMap> newMaps = {maps[0], maps[1], scaleMap, out};
  auto generic = linalg::GenericOp::create(
      b, op.getLoc(), op.getResultTypes(),
      ValueRange{op.getDpsInputs()[0], values, scales}, op.getDpsInits(), newMaps,
      op.getIteratorTypesArray(), [](OpBuilder &nb, Location nl, ValueRange a) {
        Value w = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), a[1]);
        Value dequantized = arith::MulFOp::create(nb, nl, w, a[2]);
        Value product = arith::MulFOp::create(nb, nl, a[0], dequantized);
        linalg::YieldOp::create(nb, nl,
                                arith::AddFOp::create(nb, nl, a[3], product).getResult());
      });
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  generic->setAttr(genc::kMatmulWeightsAttrName, StringAttr::get(ctx, "int8_per_channel"));
  op->replaceAllUsesWith(generic);
  op.erase();
  return generic;
}

struct QuantizeMatmulWeightsPass
    : genc::impl::QuantizeMatmulWeightsBase<QuantizeMatmulWeightsPass> {
  void runOnOperation() override {
    // Quantised once per weight, shared by every matmul that reads it.
    llvm::DenseMap<Attribute, std::pair<Value, Value>> quantized;
    SmallVector<linalg::GenericOp> matmuls;
    getOperation().walk([&](linalg::GenericOp op) {
      auto layout = op->getAttrOfType<StringAttr>(genc::kMatmulAttrName);
      if (layout && layout.getValue() == "panels_32" && op.getNumDpsInputs() == 2 &&
          !op->hasAttr(genc::kMatmulWeightsAttrName) && constantPanels(op))
        matmuls.push_back(op);
    });
    for (linalg::GenericOp op : matmuls) {
      ElementsAttr panels = *constantPanels(op);
      auto &[values, scales] = quantized[panels];
      if (!values) {
        FailureOr<ArrayRef<char>> bytes = genc::getConstantBytes(panels);
        if (failed(bytes)) {
          op.emitError("a matmul weight has no data to quantise");
          return signalPassFailure();
        }
        QuantizedWeight q = quantize(cast<RankedTensorType>(panels.getType()), *bytes);
        auto fn = op->getParentOfType<FunctionOpInterface>();
        OpBuilder builder = OpBuilder::atBlockBegin(&fn.getFunctionBody().front());
        values = arith::ConstantOp::create(builder, op.getLoc(), q.values);
        scales = arith::ConstantOp::create(builder, op.getLoc(), q.scales);
      }
      rewriteMatmul(op, values, scales);
    }
    // The f32 panels are dead now.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>([](arith::ConstantOp op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
  }
};

} // namespace
