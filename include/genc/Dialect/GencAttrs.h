//===- GencAttrs.h - genc attributes ----------------------------*- C++ -*-===//

#ifndef GENC_DIALECT_GENCATTRS_H
#define GENC_DIALECT_GENCATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "genc/Dialect/GencEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "genc/Dialect/GencAttrs.h.inc"

#endif // GENC_DIALECT_GENCATTRS_H
