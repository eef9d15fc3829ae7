//===- RuntimeFunctions.cpp - the runtime's functions, declared once ------===//

#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;

LLVM::LLVMFuncOp genc::getOrDeclareRuntimeFunction(ModuleOp module, StringRef name, Type result,
                                                   ArrayRef<Type> arguments) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name)) {
    assert(fn.getFunctionType() == LLVM::LLVMFunctionType::get(result, arguments) &&
           "a runtime function declared with another type");
    return fn;
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name,
                                  LLVM::LLVMFunctionType::get(result, arguments));
}
