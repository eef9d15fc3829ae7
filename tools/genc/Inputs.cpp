//===- Inputs.cpp - named input tensors from files -------------------------===//

#include "Inputs.h"

#include "genc/Import/OnnxImporter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace genc::driver;

namespace {

bool failWith(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return false;
}

/// The runtime dtype of an element type, if it has one.
std::optional<genc_dtype> dtypeOf(mlir::Type t) {
  if (t.isF32())
    return GENC_F32;
  if (t.isF64())
    return GENC_F64;
  if (t.isF16())
    return GENC_F16;
  if (t.isBF16())
    return GENC_BF16;
  if (t.isInteger(1))
    return GENC_BOOL;
  if (t.isSignlessInteger(64))
    return GENC_I64;
  if (t.isSignlessInteger(32))
    return GENC_I32;
  if (t.isSignlessInteger(16))
    return GENC_I16;
  if (t.isSignlessInteger(8))
    return GENC_I8;
  if (t.isUnsignedInteger(64))
    return GENC_U64;
  if (t.isUnsignedInteger(32))
    return GENC_U32;
  if (t.isUnsignedInteger(16))
    return GENC_U16;
  if (t.isUnsignedInteger(8))
    return GENC_U8;
  return std::nullopt;
}

/// An ONNX TensorProto file (.pb) as a runtime tensor, read by the importer.
genc_tensor *loadTensorProto(llvm::StringRef path) {
  mlir::MLIRContext context;
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &d) {
    llvm::errs() << "error: " << d.str() << "\n";
    return mlir::success();
  });
  auto attr = mlir::genc::importTensorFile(path, context);
  if (failed(attr))
    return nullptr;
  auto type = llvm::cast<mlir::ShapedType>(attr->getType());
  std::optional<genc_dtype> dtype = dtypeOf(type.getElementType());
  if (!dtype) {
    failWith(path + ": this tensor element type is not supported");
    return nullptr;
  }
  genc_tensor *t = nullptr;
  if (genc_tensor_create(*dtype, type.getShape().data(), type.getRank(), &t) != GENC_OK) {
    failWith(genc_status_message());
    return nullptr;
  }
  auto *out = static_cast<char *>(genc_tensor_data(t));
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(*attr)) {
    if (type.getElementType().isInteger(1)) {
      size_t i = 0;
      for (bool b : dense.getValues<bool>())
        out[i++] = b;
    } else if (dense.isSplat()) {
      llvm::ArrayRef<char> one = dense.getRawData();
      for (size_t i = 0; i < genc_tensor_size_bytes(t); i += one.size())
        std::memcpy(out + i, one.data(), one.size());
    } else {
      std::memcpy(out, dense.getRawData().data(), genc_tensor_size_bytes(t));
    }
  } else if (auto resource = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(*attr)) {
    std::memcpy(out, resource.getRawHandle().getBlob()->getData().data(),
                genc_tensor_size_bytes(t));
  }
  return t;
}

} // namespace

std::optional<NamedInputs> genc::driver::loadNamedInputs(llvm::ArrayRef<std::string> specs,
                                                         const genc_model *model) {
  NamedInputs inputs;
  for (const std::string &spec : specs) {
    auto [name, file] = llvm::StringRef(spec).split('=');
    if (file.empty()) {
      failWith("input '" + spec + "' is not NAME=FILE.npy");
      return std::nullopt;
    }
    genc_tensor *t = nullptr;
    if (file.ends_with(".pb")) {
      if (!(t = loadTensorProto(file)))
        return std::nullopt;
    } else if (genc_tensor_load_npy(file.str().c_str(), &t) != GENC_OK) {
      failWith(genc_status_message());
      return std::nullopt;
    }
    inputs.names.push_back(name.str());
    inputs.tensors.emplace_back(t);
  }
  std::vector<const char *> names;
  std::vector<const genc_tensor *> tensors;
  for (size_t k = 0; k < inputs.names.size(); ++k) {
    names.push_back(inputs.names[k].c_str());
    tensors.push_back(inputs.tensors[k].get());
  }
  inputs.ordered.resize(genc_model_num_inputs(model));
  if (genc_model_order_inputs(model, names.data(), tensors.data(), tensors.size(),
                              inputs.ordered.data()) != GENC_OK) {
    failWith(genc_status_message());
    return std::nullopt;
  }
  return inputs;
}

std::optional<std::vector<int64_t>> genc::driver::readTokenIds(const std::string &path,
                                                                std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return std::nullopt;
  }
  std::vector<int64_t> ids;
  llvm::SmallVector<llvm::StringRef> words;
  llvm::SplitString((*buffer)->getBuffer(), words, " \t\r\n");
  for (llvm::StringRef word : words) {
    int64_t id;
    if (word.getAsInteger(10, id) || id < 0) {
      error = "'" + path + "' holds '" + word.str() + "', not a token id";
      return std::nullopt;
    }
    ids.push_back(id);
  }
  return ids;
}
