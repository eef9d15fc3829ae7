//===- ExternalDataFiles.cpp - which files a model's weights live in -------===//
//
// genc's compile cache keys an artifact by the model's bytes; a model with
// external data keeps its weights in other files, which the key must cover
// too (or a changed weights file would reuse a stale artifact).
//
//===----------------------------------------------------------------------===//

#include "genc/Import/OnnxImporter.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <limits>
#include <set>

namespace {

void collect(const onnx::GraphProto &graph, llvm::SetVector<std::string, std::vector<std::string>, std::set<std::string>> &locations) {
  for (const onnx::TensorProto &tensor : graph.initializer())
    for (const auto &entry : tensor.external_data())
      if (entry.key() == "location")
        locations.insert(entry.value());
  for (const onnx::NodeProto &node : graph.node())
    for (const onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.has_g())
        collect(attribute.g(), locations);
      for (const onnx::GraphProto &branch : attribute.graphs())
        collect(branch, locations);
      if (attribute.has_t())
        for (const auto &entry : attribute.t().external_data())
          if (entry.key() == "location")
            locations.insert(entry.value());
    }
}

} // namespace

std::vector<std::string> mlir::genc::listExternalDataFiles(StringRef path) {
  if (!path.ends_with(".onnx"))
    return {};
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  // Every external tensor names its file under the key "location": a model
  // whose bytes never spell it has none, and need not be parsed (a large
  // model with its weights inside is hashed already).
  if (!buffer || !(*buffer)->getBuffer().contains("location"))
    return {};
  google::protobuf::io::ArrayInputStream stream((*buffer)->getBufferStart(),
                                                static_cast<int>((*buffer)->getBufferSize()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  coded.SetRecursionLimit(100); // as the importer: deeper is refused there
  onnx::ModelProto model;
  if ((*buffer)->getBufferSize() > size_t(std::numeric_limits<int>::max()) ||
      !model.ParseFromCodedStream(&coded))
    return {};
  llvm::SetVector<std::string, std::vector<std::string>, std::set<std::string>> locations;
  collect(model.graph(), locations);
  llvm::SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  std::vector<std::string> files;
  for (const std::string &location : locations) {
    llvm::SmallString<256> file(directory);
    llvm::sys::path::append(file, location);
    files.push_back(std::string(file));
  }
  return files;
}
