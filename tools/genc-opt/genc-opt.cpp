//===- genc-opt.cpp - mlir-opt with genc's dialect and passes -------------===//
//
// Every pass genc compile runs can be run here on its own, and the whole CPU
// lowering as `--genc-cpu-pipeline`.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/CPUTarget.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::genc::registerCPUTargetDialects(registry);
  mlir::genc::registerAllGencPasses();
  mlir::genc::registerCPUTargetPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(argc, argv, "genc optimizer driver\n", registry));
}
