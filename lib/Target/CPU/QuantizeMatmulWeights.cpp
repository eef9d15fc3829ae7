//===- QuantizeMatmulWeights.cpp - packed f32 weights → int8 or bf16 ------===//
//
// The panels genc-pack-matmul-weights made, in a smaller format: int8 with
// one scale per output column (decode is bound by reading the weights), or
// bf16 in pairs of k (for AVX512-BF16's dot products, which also take A in
// bf16).
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
#include "llvm/ADT/APFloat.h"

#include <cmath>

namespace mlir::genc {
#define GEN_PASS_DEF_QUANTIZEMATMULWEIGHTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

constexpr int64_t kPanel = 32;
constexpr float kInt8Max = 127.0f;

/// Converted panels and, for int8, the scales [P * 32] of their columns.
struct QuantizedWeight {
  DenseResourceElementsAttr values, scales;
};

/// `x` rounded to the nearest bf16 (ties to even), as its bits.
uint16_t toBF16(float x) {
  APFloat value(x);
  bool lost;
  (void)value.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
}

/// [P, K, 32] f32 → [P, ceil(K/2), 32, 2] bf16: pairs of consecutive k per
/// column, zero-padded.
QuantizedWeight packBF16(RankedTensorType type, ArrayRef<char> bytes) {
  int64_t panels = type.getDimSize(0), k = type.getDimSize(1), pairs = (k + 1) / 2;
  auto *in = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(panels * pairs * kPanel * 2) * sizeof(uint16_t), 64);
  auto *out = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t kp = 0; kp < pairs; ++kp)
      for (int64_t j = 0; j < kPanel; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t kk = 2 * kp + h;
          *out++ = kk < k ? toBF16(in[(p * k + kk) * kPanel + j]) : 0;
        }
  auto bf16Type =
      RankedTensorType::get({panels, pairs, kPanel, 2}, BFloat16Type::get(type.getContext()));
  return {DenseResourceElementsAttr::get(bf16Type, "bf16_weight", std::move(blob)), nullptr};
}

QuantizedWeight quantizeInt8(RankedTensorType type, ArrayRef<char> bytes) {
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

/// `op` rebuilt with other inputs, maps and body, keeping its attributes
/// and marking its weights `format`.
linalg::GenericOp rebuild(linalg::GenericOp op, ValueRange inputs, ArrayRef<AffineMap> maps,
                          StringRef format,
                          function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  OpBuilder b(op);
  auto generic = linalg::GenericOp::create(b, op.getLoc(), op.getResultTypes(), inputs,
                                           op.getDpsInits(), maps, op.getIteratorTypesArray(),
                                           body);
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  generic->setAttr(genc::kMatmulWeightsAttrName, StringAttr::get(op.getContext(), format));
  op->replaceAllUsesWith(generic);
  op.erase();
  return generic;
}

/// C += A · (q · scale[n]): B replaced by int8 `values`, the column scales
/// a third input.
void rewriteInt8(linalg::GenericOp op, Value values, Value scales) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  // The scale of column n, n being the last result dim of C's map.
  AffineMap scaleMap =
      AffineMap::get(out.getNumDims(), 0, {out.getResults().back()}, op.getContext());
  rebuild(op, {op.getDpsInputs()[0], values, scales}, {maps[0], maps[1], scaleMap, out},
          "int8_per_channel", [](OpBuilder &b, Location loc, ValueRange a) {
            Value w = arith::SIToFPOp::create(b, loc, b.getF32Type(), a[1]);
            Value dequantized = arith::MulFOp::create(b, loc, w, a[2]);
            Value product = arith::MulFOp::create(b, loc, a[0], dequantized);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a[3], product).getResult());
          });
}

/// C += bf16(A) · B: B replaced by bf16 pairs read through
/// (n floordiv 32, k floordiv 2, n mod 32, k mod 2).
void rewriteBF16(linalg::GenericOp op, Value values) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap panels = maps[1]; // (n floordiv 32, k, n mod 32)
  AffineExpr n = panels.getResult(0), k = panels.getResult(1), column = panels.getResult(2);
  maps[1] = AffineMap::get(panels.getNumDims(), 0, {n, k.floorDiv(2), column, k % 2},
                           op.getContext());
  rebuild(op, {op.getDpsInputs()[0], values}, maps, "bf16",
          [](OpBuilder &b, Location loc, ValueRange a) {
            Type f32 = b.getF32Type();
            Value rounded = arith::TruncFOp::create(b, loc, b.getBF16Type(), a[0]);
            Value x = arith::ExtFOp::create(b, loc, f32, rounded);
            Value w = arith::ExtFOp::create(b, loc, f32, a[1]);
            Value product = arith::MulFOp::create(b, loc, x, w);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a[2], product).getResult());
          });
}

struct QuantizeMatmulWeightsPass
    : genc::impl::QuantizeMatmulWeightsBase<QuantizeMatmulWeightsPass> {
  using QuantizeMatmulWeightsBase::QuantizeMatmulWeightsBase;
  void runOnOperation() override {
    // Converted once per (function, weight), shared by the function's
    // matmuls (a constant is not visible across functions).
    llvm::DenseMap<std::pair<Operation *, Attribute>, std::pair<Value, Value>> quantized;
    SmallVector<linalg::GenericOp> matmuls;
    getOperation().walk([&](linalg::GenericOp op) {
      auto layout = op->getAttrOfType<StringAttr>(genc::kMatmulAttrName);
      if (layout && layout.getValue() == "panels_32" && op.getNumDpsInputs() == 2 &&
          !op->hasAttr(genc::kMatmulWeightsAttrName) && constantPanels(op))
        matmuls.push_back(op);
    });
    bool bf16 = format == "bf16";
    if (!bf16 && format != "int8") {
      getOperation().emitError() << "genc-quantize-matmul-weights: unknown format '" << format
                                 << "' (int8 or bf16)";
      return signalPassFailure();
    }
    for (linalg::GenericOp op : matmuls) {
      ElementsAttr panels = *constantPanels(op);
      auto fn = op->getParentOfType<FunctionOpInterface>();
      auto &[values, scales] = quantized[{fn, panels}];
      if (!values) {
        FailureOr<ArrayRef<char>> bytes = genc::getConstantBytes(panels);
        if (failed(bytes)) {
          op.emitError("a matmul weight has no data to convert");
          return signalPassFailure();
        }
        auto type = cast<RankedTensorType>(panels.getType());
        // A scale cannot cover them: refuse rather than produce NaN or 0.
        ArrayRef<float> weights(reinterpret_cast<const float *>(bytes->data()),
                                bytes->size() / sizeof(float));
        if (!bf16 && !llvm::all_of(weights, [](float w) { return std::isfinite(w); })) {
          op.emitError("a matmul weight holds NaN or infinity, which int8 with a scale per "
                       "column cannot represent; compile with --weights=f32 or bf16");
          return signalPassFailure();
        }
        QuantizedWeight q = bf16 ? packBF16(type, *bytes) : quantizeInt8(type, *bytes);
        OpBuilder builder = OpBuilder::atBlockBegin(&fn.getFunctionBody().front());
        values = arith::ConstantOp::create(builder, op.getLoc(), q.values);
        if (q.scales)
          scales = arith::ConstantOp::create(builder, op.getLoc(), q.scales);
      }
      if (bf16)
        rewriteBF16(op, values);
      else
        rewriteInt8(op, values, scales);
    }
    // The f32 panels are dead now.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>([](arith::ConstantOp op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
  }
};

} // namespace
