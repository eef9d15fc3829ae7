//===- genc-opt.cpp - mlir-opt with genc's dialect and passes -------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::genc::GencDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::genc::registerAllGencPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "genc optimizer driver\n", registry));
}
