//===- TensorProtoFuzzer.cpp - the .pb tensor reader on arbitrary bytes ---===//

#include "FuzzFile.h"

#include "genc/Import/OnnxImporter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = genc::fuzz::writeInput("tensor.pb", data, size);
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  auto attr = mlir::genc::importTensorFile(path, context);
  if (failed(attr))
    return 0;
  // `genc run` copies the elements out: touch every byte the attribute
  // claims to hold.
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(*attr)) {
    volatile char sink = 0;
    for (char c : dense.getRawData())
      sink = sink ^ c;
  } else if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(*attr)) {
    if (auto *blob = resource.getRawHandle().getBlob()) {
      volatile char sink = 0;
      for (char c : blob->getData())
        sink = sink ^ c;
    }
  }
  return 0;
}
