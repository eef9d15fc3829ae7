//===- CPUOps.cpp - the genc_cpu dialect ------------------------------------===//

#include "genc/Target/CPU/CPUOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::genc::cpu;

#include "genc/Target/CPU/CPUDialect.cpp.inc"

void GencCPUDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "genc/Target/CPU/CPUOps.cpp.inc"
      >();
}

LogicalResult ParallelForOp::verify() {
  if (getBody().empty())
    return emitOpError("needs a body");
  Block &entry = getBody().front();
  if (entry.getNumArguments() != 1 || !entry.getArgument(0).getType().isInteger(64))
    return emitOpError("body must take one i64 argument, the task number");
  return success();
}

LogicalResult TileEpilogueOp::verify() {
  if (getBody().empty())
    return emitOpError("needs a body");
  Block &entry = getBody().front();
  if (entry.getNumArguments() != 4 ||
      !llvm::all_of(entry.getArgumentTypes(), [](Type t) { return t.isInteger(64); }))
    return emitOpError("body must take four i64 arguments: the block's first and end row, first "
                       "and end column");
  return success();
}

#define GET_OP_CLASSES
#include "genc/Target/CPU/CPUOps.cpp.inc"
