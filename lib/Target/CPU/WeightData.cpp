//===- WeightData.cpp - the bytes of weights, and freeing them -------------===//
//
// Weights are resources (DenseResourceElementsAttr): their bytes live in
// the context's blob manager, not in the ops that hold them, and stay
// there after the last such op is erased. Packing and quantising replace
// every weight by another form; freeing each old form as it dies keeps
// one copy of the weights in memory, not two or three; consuming a weight
// as it is replaced keeps even the one being replaced from being there
// twice.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Process.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

using namespace mlir;

std::optional<genc::ConstantWeight> genc::matchConstantWeight(Value b) {
  bool transposed = false;
  if (auto t = b.getDefiningOp<linalg::TransposeOp>()) {
    if (t.getPermutation() != ArrayRef<int64_t>{1, 0})
      return std::nullopt;
    b = t.getInput();
    transposed = true;
  }
  auto constant = b.getDefiningOp<arith::ConstantOp>();
  auto value = constant ? dyn_cast<ElementsAttr>(constant.getValue()) : nullptr;
  auto type = value ? dyn_cast<RankedTensorType>(value.getType()) : nullptr;
  if (!value || value.isSplat() || !type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32())
    return std::nullopt;
  return ConstantWeight{value, transposed};
}

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

/// The start of a resource's bytes, or null when it is not a resource or
/// has none.
static const char *resourceBytes(Attribute value) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
  return blob && !blob->getData().empty() ? blob->getData().data() : nullptr;
}

genc::WeightConstants::WeightConstants(ModuleOp module) {
  module.walk([&](arith::ConstantOp op) {
    if (isa<DenseResourceElementsAttr>(op.getValue()))
      ++holders[op.getValue()];
    if (const char *bytes = resourceBytes(op.getValue()))
      ++holdersOfBytes[bytes];
  });
}

bool genc::WeightConstants::holdsBytesAlone(ElementsAttr value) const {
  const char *bytes = resourceBytes(value);
  auto count = bytes ? holdersOfBytes.find(bytes) : holdersOfBytes.end();
  return count != holdersOfBytes.end() && count->second == 1;
}

void genc::ConsumableBytes::consumedUpTo(size_t offset) {
#ifdef __linux__
  // Whole pages only: the allocator's bookkeeping may share the first and
  // the last. Dropped pages read back as zeros (or, from an external-data
  // file's mapping, as the file); nothing reads them.
  if (!release)
    return;
  uint64_t page = llvm::sys::Process::getPageSizeEstimate();
  auto start = reinterpret_cast<uintptr_t>(bytes.data());
  uintptr_t begin = llvm::alignTo(start + released, page);
  uintptr_t end = llvm::alignDown(start + std::min(offset, bytes.size()), page);
  if (end <= begin || end - begin < (1u << 20))
    return;
  (void)madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
  released = end - start;
#else
  (void)offset;
#endif
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
    if (const char *bytes = resourceBytes(held))
      --holdersOfBytes[bytes];
    constant->erase();
    auto count = holders.find(held);
    if (count != holders.end() && --count->second == 0)
      releaseConstantData(cast<ElementsAttr>(held));
    return;
  }
  if (isa<tensor::EmptyOp>(def))
    def->erase();
}
