//===- Passes.h - genc conversion passes ------------------------*- C++ -*-===//

#ifndef GENC_CONVERSION_PASSES_H
#define GENC_CONVERSION_PASSES_H

#include "genc/Dialect/MatmulAttributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::genc {

#define GEN_PASS_DECL
#include "genc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "genc/Conversion/Passes.h.inc"

} // namespace mlir::genc

#endif // GENC_CONVERSION_PASSES_H
