//===- MergeProjections.cpp - one matmul for weights that read one input ---===//
//
// A decoder layer projects one normalised input through several weights:
// query, key and value; gate and up. Each is its own kernel call, and each
// call pays once for what does not depend on N: rounding or packing A, the
// thread pool's hand-off, a last panel of partly padded columns. Laying the
// weights side by side, [K, N1 + N2 + ...], makes them one call whose
// result a genc.split cuts back into the projections. The product of each
// column is computed as before, so the rewrite is exact.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"

#include <cstring>

namespace mlir::genc {
#define GEN_PASS_DEF_MERGEPROJECTIONS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// The [K, N] f32 weight a matmul reads as its right operand, if constant.
ElementsAttr constantWeight(genc::MatMulOp op) {
  auto constant = op.getRhs().getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(op.getRhs().getType());
  auto value = constant ? dyn_cast<ElementsAttr>(constant.getValue()) : nullptr;
  if (!value || value.isSplat() || !type.hasStaticShape() || type.getRank() != 2 ||
      !type.getElementType().isF32() || failed(genc::getConstantBytes(value)))
    return nullptr;
  return value;
}

/// The attributes later passes read about a matmul's weights (calibration
/// data): matmuls merge only where these are equal.
DictionaryAttr weightAttributes(genc::MatMulOp op) {
  SmallVector<NamedAttribute> attrs;
  for (StringRef name : genc::kWeightMatmulAttrNames)
    if (Attribute value = op->getAttr(name))
      attrs.emplace_back(StringAttr::get(op.getContext(), name), value);
  return DictionaryAttr::get(op.getContext(), attrs);
}

/// The weights side by side, row by row: [K, sum of N].
DenseResourceElementsAttr concatenateColumns(ArrayRef<ElementsAttr> weights, int64_t k,
                                             int64_t totalColumns, MLIRContext *ctx) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(k * totalColumns) * sizeof(float), alignof(float));
  SmallVector<std::pair<const char *, size_t>> rows; // each weight's data and row size
  for (ElementsAttr weight : weights)
    rows.emplace_back(genc::getConstantBytes(weight)->data(),
                      cast<ShapedType>(weight.getType()).getDimSize(1) * sizeof(float));
  char *out = blob.getMutableData().data();
  for (int64_t row = 0; row < k; ++row) {
    for (auto [data, bytes] : rows) {
      std::memcpy(out, data + row * bytes, bytes);
      out += bytes;
    }
  }
  auto type = RankedTensorType::get({k, totalColumns}, Float32Type::get(ctx));
  return DenseResourceElementsAttr::get(type, "merged_weight", std::move(blob));
}

struct MergeProjectionsPass : genc::impl::MergeProjectionsBase<MergeProjectionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    genc::WeightConstants weights(module);
    module.walk([&](func::FuncOp fn) {
      // Groups in program order, each in program order: one block (the
      // merged matmul takes the first one's place), one input, one shape
      // but for N, one set of weight attributes; matmuls of integers
      // whose weights int8 holds apart from those whose weights it does
      // not (merged, they would all keep f32 weights).
      using Key = std::tuple<Block *, Value, Attribute, Attribute, unsigned>;
      llvm::MapVector<Key, SmallVector<genc::MatMulOp>> groups;
      fn.walk([&](genc::MatMulOp op) {
        auto resultType = op.getType();
        // A quantisation grid is per column: it would need merging too.
        if (!constantWeight(op) || resultType.getRank() < 2 ||
            op.getLhs().getType().getRank() != resultType.getRank() ||
            op->hasAttr(genc::kWeightGridAttrName))
          return;
        auto rows = DenseI64ArrayAttr::get(op.getContext(), resultType.getShape().drop_back());
        bool int8Integers = op->hasAttr(genc::kExactProductsAttrName) &&
                            genc::holdsInt8Integers(constantWeight(op));
        groups[Key{op->getBlock(), op.getLhs(), rows, weightAttributes(op), int8Integers}]
            .push_back(op);
      });
      for (auto &[key, members] : groups)
        if (members.size() > 1)
          merge(members, weights);
    });
  }

  void merge(MutableArrayRef<genc::MatMulOp> members, genc::WeightConstants &weights) {
    genc::MatMulOp first = members.front();
    MLIRContext *ctx = first.getContext();
    SmallVector<ElementsAttr> parts;
    SmallVector<int64_t> sizes;
    int64_t total = 0;
    for (genc::MatMulOp op : members) {
      parts.push_back(constantWeight(op));
      sizes.push_back(cast<ShapedType>(parts.back().getType()).getDimSize(1));
      total += sizes.back();
    }
    int64_t k = cast<ShapedType>(parts.front().getType()).getDimSize(0);
    OpBuilder b(first);
    Location loc = FusedLoc::get(ctx, llvm::to_vector(llvm::map_range(
                                          members, [](genc::MatMulOp op) { return op.getLoc(); })));
    DenseResourceElementsAttr merged = concatenateColumns(parts, k, total, ctx);
    Value weight = arith::ConstantOp::create(b, loc, merged);
    auto firstType = first.getType();
    SmallVector<int64_t> shape(firstType.getShape());
    shape.back() = total;
    auto product = genc::MatMulOp::create(
        b, loc, RankedTensorType::get(shape, firstType.getElementType()), first.getLhs(), weight);
    for (NamedAttribute attr : weightAttributes(first))
      product->setAttr(attr.getName(), attr.getValue());
    SmallVector<Type> pieces;
    for (genc::MatMulOp op : members)
      pieces.push_back(op.getType());
    auto split = genc::SplitOp::create(b, loc, pieces, product.getResult(),
                                       b.getI64IntegerAttr(firstType.getRank() - 1),
                                       b.getDenseI64ArrayAttr(sizes));
    for (auto [member, piece] : llvm::zip(members, split.getResults())) {
      genc::MatMulOp op = member;
      Value oldWeight = op.getRhs();
      op.getResult().replaceAllUsesWith(piece);
      op.erase();
      weights.eraseIfDead(oldWeight);
    }
  }
};

} // namespace
