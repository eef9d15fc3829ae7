//===- CPUOps.h - the genc_cpu dialect --------------------------*- C++ -*-===//
//
// Ops of code compiled for the CPU that the runtime drives: loop nests run
// as tasks on its thread pool, and the code a matmul kernel runs on each
// block of its result.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TARGET_CPU_CPUOPS_H
#define GENC_TARGET_CPU_CPUOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "genc/Target/CPU/CPUDialect.h.inc"

#define GET_OP_CLASSES
#include "genc/Target/CPU/CPUOps.h.inc"

#endif // GENC_TARGET_CPU_CPUOPS_H
