//===- ElementValues.h - the values of a constant, dense or a resource -*- C++ -*-===//
//
// Weights and large tables import as resources (blobs), small constants
// as dense attributes; code that reads a constant's values reads both.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_SUPPORT_ELEMENTVALUES_H
#define GENC_SUPPORT_ELEMENTVALUES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <optional>
#include <vector>

namespace mlir::genc {

/// The values of `elements` as T, read from its bytes: a dense attribute
/// (not of i1, whose bytes are packed bits) or a resource holding exactly
/// one T per element. The caller checks that the element type is T's, or
/// of T's size when it reads raw bytes (a resource of i8 as uint8_t).
template <typename T> std::optional<std::vector<T>> elementValues(ElementsAttr elements) {
  int64_t count = elements.getNumElements();
  if (auto dense = dyn_cast<DenseElementsAttr>(elements)) {
    if (dense.getElementType().isInteger(1))
      return std::nullopt;
    if (dense.isSplat())
      return std::vector<T>(count, dense.getSplatValue<T>());
    auto *data = reinterpret_cast<const T *>(dense.getRawData().data());
    return std::vector<T>(data, data + count);
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(elements);
  AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob || blob->getData().size() != count * sizeof(T))
    return std::nullopt;
  auto *data = reinterpret_cast<const T *>(blob->getData().data());
  return std::vector<T>(data, data + count);
}

} // namespace mlir::genc

#endif // GENC_SUPPORT_ELEMENTVALUES_H
