//===- ImportFuzzer.cpp - the importer and cleanup on arbitrary bytes -----===//
//
// Built twice: genc-fuzz-onnx (protobuf) and genc-fuzz-onnxtext (ONNX text),
// which differ in the file name, and so the parser, the importer picks.
// Whatever the bytes, the result is a module or a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "genc/Import/OnnxImporter.h"
#include "genc/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = genc::fuzz::writeInput("model." GENC_FUZZ_SUFFIX, data, size);
  // A fresh context per input: one shared across inputs would keep every
  // input's attributes and blobs, and findings would depend on the order.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  auto module = mlir::genc::importOnnxModel(path, context);
  if (failed(module))
    return 0;
  mlir::PassManager pm(&context);
  mlir::genc::buildCleanupPipeline(pm);
  (void)pm.run(**module);
  return 0;
}
