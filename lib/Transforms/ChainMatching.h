//===- ChainMatching.h - following an exporter's op chain by its uses -*- C++ -*-===//
//
// The raising passes match chains an exporter writes op by op (a norm, an
// activation, rotary embedding), starting from one op and following its
// result's single use forward.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_LIB_TRANSFORMS_CHAINMATCHING_H
#define GENC_LIB_TRANSFORMS_CHAINMATCHING_H

#include "mlir/IR/Operation.h"

namespace mlir::genc {

/// The only user of `v`, when it has one and it is an `Op`.
template <typename Op> Op soleUser(Value v) {
  return v.hasOneUse() ? dyn_cast<Op>(*v.getUsers().begin()) : Op();
}

/// The operand of binary `op` other than `v` (null if `v` is neither).
inline Value otherOperand(Operation *op, Value v) {
  assert(op->getNumOperands() == 2 && "a binary op");
  if (op->getOperand(0) == v)
    return op->getOperand(1);
  return op->getOperand(1) == v ? op->getOperand(0) : Value();
}

} // namespace mlir::genc

#endif // GENC_LIB_TRANSFORMS_CHAINMATCHING_H
