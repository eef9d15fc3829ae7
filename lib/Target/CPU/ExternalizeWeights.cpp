//===- ExternalizeWeights.cpp - weights come from a mapped buffer ----------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::genc {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// Bytes a constant occupies in the weights file (i1 as one byte each).
int64_t storageBytes(RankedTensorType type) {
  Type e = type.getElementType();
  int64_t bits = e.isInteger(1) ? 8 : e.getIntOrFloatBitWidth();
  return type.getNumElements() * bits / 8;
}

struct ExternalizeWeightsPass : genc::impl::ExternalizeWeightsBase<ExternalizeWeightsPass> {
  using ExternalizeWeightsBase::ExternalizeWeightsBase;

  /// Moves `fn`'s large constants to the weights buffer, a new first
  /// argument, at `offset` onwards, and lists them in `table`.
  void externalize(func::FuncOp fn, SmallVector<Attribute> &table, int64_t &offset) {
    MLIRContext *ctx = &getContext();
    SmallVector<arith::ConstantOp> weights;
    fn.walk([&](arith::ConstantOp c) {
      auto type = dyn_cast<RankedTensorType>(c.getType());
      // Index tensors (shapes folded to constants) have no storage width:
      // they stay in the code, as do i1 masks.
      if (type && type.hasStaticShape() && type.getElementType().isIntOrFloat() &&
          !type.getElementType().isInteger(1) &&
          isa<ElementsAttr>(c.getValue()) && storageBytes(type) >= minBytes &&
          !cast<ElementsAttr>(c.getValue()).isSplat())
        weights.push_back(c);
    });

    // The buffer comes first, so input positions shift by one.
    Type bufferType = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    (void)fn.insertArgument(0, bufferType,
                            DictionaryAttr::get(ctx, {NamedAttribute(
                                                         StringAttr::get(ctx, "genc.name"),
                                                         StringAttr::get(ctx, "weights"))}),
                            fn.getLoc());
    Value buffer = fn.getArgument(0);

    OpBuilder b(ctx);
    for (arith::ConstantOp c : weights) {
      auto type = cast<RankedTensorType>(c.getType());
      b.setInsertionPoint(c);
      Location loc = c.getLoc();
      Value at = arith::ConstantIndexOp::create(b, loc, offset);
      auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
      Value view = memref::ViewOp::create(b, loc, memrefType, buffer, at, ValueRange{});
      Value tensor = bufferization::ToTensorOp::create(b, loc, type, view, /*restrict=*/true,
                                                       /*writable=*/false);
      c.replaceAllUsesWith(tensor);
      table.push_back(DictionaryAttr::get(
          ctx, {NamedAttribute(StringAttr::get(ctx, "offset"),
                               IntegerAttr::get(IntegerType::get(ctx, 64), offset)),
                NamedAttribute(StringAttr::get(ctx, "value"), c.getValue())}));
      offset = llvm::alignTo(offset + storageBytes(type), 64);
      c.erase();
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!module.lookupSymbol<func::FuncOp>("main")) {
      module.emitError("no @main function to externalize weights from");
      return signalPassFailure();
    }
    // Every entry point (public function) reads the one weights buffer.
    SmallVector<Attribute> table;
    int64_t offset = 0;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic())
        externalize(fn, table, offset);
    MLIRContext *ctx = &getContext();
    module->setAttr("genc.weights", ArrayAttr::get(ctx, table));
    module->setAttr("genc.weights_size", IntegerAttr::get(IntegerType::get(ctx, 64), offset));
  }
};

} // namespace
