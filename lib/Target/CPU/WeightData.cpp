//===- WeightData.cpp - the bytes of weights, and freeing them -------------===//
//
// Weights are resources (DenseResourceElementsAttr): their bytes live in
// the context's blob manager, not in the ops that hold them, and stay
// there after the last such op is erased. Packing and quantising replace
// every weight by another form; freeing each old form as it dies keeps
// one copy of the weights in memory, not two or three.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

FailureOr<ArrayRef<char>> genc::getConstantBytes(ElementsAttr value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || (blob->getData().empty() && value.getNumElements() != 0))
      return failure();
    return blob->getData();
  }
  return cast<DenseElementsAttr>(value).getRawData();
}

void genc::releaseConstantData(ElementsAttr value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    if (auto *entry = resource.getRawHandle().getResource(); entry && entry->getBlob())
      entry->setBlob(AsmResourceBlob());
}

genc::WeightConstants::WeightConstants(ModuleOp module) {
  module.walk([&](arith::ConstantOp op) {
    if (isa<DenseResourceElementsAttr>(op.getValue()))
      ++holders[op.getValue()];
  });
}

void genc::WeightConstants::eraseIfDead(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def || !def->use_empty())
    return;
  if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
    Value input = transpose.getInput(), init = transpose.getInit();
    transpose->erase();
    eraseIfDead(input);
    eraseIfDead(init);
    return;
  }
  if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
    Attribute held = constant.getValue();
    constant->erase();
    auto count = holders.find(held);
    if (count != holders.end() && --count->second == 0)
      releaseConstantData(cast<ElementsAttr>(held));
    return;
  }
  if (isa<tensor::EmptyOp>(def))
    def->erase();
}
