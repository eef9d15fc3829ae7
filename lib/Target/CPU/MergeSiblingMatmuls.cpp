//===- MergeSiblingMatmuls.cpp - one matmul for weights that read one input ===//
//
// Q, K and V projections (and gate and up) multiply one activation by
// different weights. As one matmul by the weights side by side, a decode
// step makes one kernel call instead of three, whose panels the pool
// shares out together, and reads the activation once; each old result is
// a slice of the new one's columns.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"

#include <cstring>

namespace mlir::genc {
#define GEN_PASS_DEF_MERGESIBLINGMATMULS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// The weight of a matmul that may merge with its siblings: a 2-D f32
/// resource constant with data, read directly (a transposed one is packed
/// from its source; merging would need its transpose first).
arith::ConstantOp mergeableWeight(genc::MatMulOp matmul) {
  auto constant = matmul.getRhs().getDefiningOp<arith::ConstantOp>();
  if (!constant ||
      constant->getDiscardableAttrDictionary() != DictionaryAttr::get(matmul.getContext()))
    return {};
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  auto value = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (!type || !value || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32() || failed(genc::getConstantBytes(value)))
    return {};
  return constant;
}

/// [K, N1], [K, N2], ... → [K, N1 + N2 + ...], row by row.
DenseResourceElementsAttr sideBySide(MutableArrayRef<arith::ConstantOp> weights) {
  auto first = cast<RankedTensorType>(weights.front().getType());
  int64_t k = first.getDimSize(0), n = 0;
  for (arith::ConstantOp &weight : weights)
    n += cast<RankedTensorType>(weight.getType()).getDimSize(1);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(k * n) * sizeof(float), 64);
  auto *out = reinterpret_cast<float *>(blob.getMutableData().data());
  int64_t column = 0;
  for (arith::ConstantOp &weight : weights) {
    int64_t width = cast<RankedTensorType>(weight.getType()).getDimSize(1);
    auto *in = reinterpret_cast<const float *>(
        genc::getConstantBytes(cast<ElementsAttr>(weight.getValue()))->data());
    for (int64_t row = 0; row < k; ++row)
      std::memcpy(out + row * n + column, in + row * width, width * sizeof(float));
    column += width;
  }
  auto type = RankedTensorType::get({k, n}, first.getElementType());
  return DenseResourceElementsAttr::get(type, "merged_weight", std::move(blob));
}

/// Replaces `siblings` (one input, weights of one K) by one matmul and a
/// slice of its columns each.
void merge(ArrayRef<genc::MatMulOp> siblings, genc::WeightConstants &weights) {
  SmallVector<arith::ConstantOp> constants;
  for (genc::MatMulOp matmul : siblings)
    constants.push_back(matmul.getRhs().getDefiningOp<arith::ConstantOp>());
  genc::MatMulOp first = siblings.front();
  OpBuilder b(first);
  Location loc = first.getLoc();
  Value merged = arith::ConstantOp::create(b, loc, sideBySide(constants));
  auto product = genc::MatMulOp::create(b, loc, first.getLhs(), merged);
  product->setDiscardableAttrs(first->getDiscardableAttrDictionary());
  auto type = cast<RankedTensorType>(product.getType());
  // Every dim but the columns whole: the same sizes for every slice.
  int64_t rank = type.getRank(), column = 0;
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d + 1 < rank; ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, product, d).getResult())
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  sizes.push_back(OpFoldResult());
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), strides(rank, b.getIndexAttr(1));
  for (genc::MatMulOp matmul : siblings) {
    auto resultType = cast<RankedTensorType>(matmul.getType());
    int64_t width = resultType.getDimSize(rank - 1);
    offsets.back() = b.getIndexAttr(column);
    sizes.back() = b.getIndexAttr(width);
    Value slice = tensor::ExtractSliceOp::create(b, loc, product, offsets, sizes, strides);
    if (slice.getType() != resultType)
      slice = tensor::CastOp::create(b, loc, resultType, slice);
    matmul.replaceAllUsesWith(slice);
    column += width;
  }
  for (genc::MatMulOp matmul : siblings) {
    Value weight = matmul.getRhs();
    matmul->erase();
    weights.eraseIfDead(weight);
  }
}

struct MergeSiblingMatmulsPass : genc::impl::MergeSiblingMatmulsBase<MergeSiblingMatmulsPass> {
  void runOnOperation() override {
    genc::WeightConstants weights(getOperation());
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.getBody().empty())
        continue;
      // Siblings: matmuls of the function's own block that read one input
      // by weights of one K, with the same attributes (calibration
      // statistics are per input, so siblings share them).
      llvm::MapVector<std::tuple<Value, int64_t, Attribute>, SmallVector<genc::MatMulOp>> groups;
      for (auto matmul : fn.getBody().front().getOps<genc::MatMulOp>()) {
        arith::ConstantOp weight = mergeableWeight(matmul);
        auto lhsType = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
        if (!weight || !lhsType || lhsType.getRank() < 2)
          continue;
        int64_t k = cast<RankedTensorType>(weight.getType()).getDimSize(0);
        groups[{matmul.getLhs(), k, matmul->getDiscardableAttrDictionary()}].push_back(matmul);
      }
      for (auto &[key, siblings] : groups)
        if (siblings.size() > 1)
          merge(siblings, weights);
    }
  }
};

} // namespace
