//===- ModelLoader.cpp - parse models, turn tensors into attributes -------===//
//
// Weights are never copied more than once: a `.onnx` file is parsed once
// into the ModelProto, and large initializers become resource blobs that
// alias the proto's bytes (kept alive by a shared_ptr) or an mmap of the
// external data file.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "genc/Import/OnnxImporter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "onnx/defs/parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::genc;
using namespace mlir::genc::onnx_import;

/// Tensors up to this many bytes become plain dense attributes.
static constexpr size_t kMaxInlineBytes = 1024;
/// Protobuf's nesting limit for a model (its default): an If branch costs
/// about four levels (node, attribute, graph, node), so about 25 nested Ifs.
static constexpr int kMaxProtobufNesting = 100;
/// The same for ONNX text: braces, one pair per graph.
static constexpr int kMaxTextNesting = 64;

FailureOr<std::shared_ptr<LoadedModel>> onnx_import::loadModel(StringRef path, Location loc) {
  auto model = std::make_shared<LoadedModel>();
  model->path = path.str();
  SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  model->directory = directory.empty() ? "." : std::string(directory);

  if (llvm::sys::fs::is_directory(path))
    return emitError(loc) << "'" << path << "' is a directory, not an ONNX model file";
  if (path.ends_with(".onnxtext")) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return emitError(loc) << "cannot read '" << path << "': "
                            << buffer.getError().message();
    std::string text = (*buffer)->getBuffer().str();
    // ONNX's text parser recurses once per nested graph ({ ... }) with no
    // limit of its own: refuse deep nesting before it can overflow the stack.
    int depth = 0, deepest = 0;
    bool quoted = false;
    for (char c : text) {
      if (c == '"')
        quoted = !quoted;
      else if (!quoted && c == '{')
        deepest = std::max(deepest, ++depth);
      else if (!quoted && c == '}')
        --depth;
    }
    if (deepest > kMaxTextNesting)
      return emitError(loc) << path << ": graphs are nested " << deepest
                            << " deep; genc reads ONNX text nested at most "
                            << kMaxTextNesting << " deep";
    onnx::OnnxParser parser(text.c_str());
    onnx::Common::Status status;
    // The parser throws for some malformed numbers (std::stoll's
    // out_of_range) instead of returning a status.
    try {
      status = parser.Parse(model->proto);
    } catch (const std::exception &e) {
      return emitError(loc) << path << ": not valid ONNX text: " << e.what();
    }
    if (!status.IsOK())
      return emitError(loc) << path << ": not valid ONNX text: " << status.ErrorMessage();
    return model;
  }

  int fd = ::open(model->path.c_str(), O_RDONLY);
  if (fd < 0)
    return emitError(loc) << "cannot open '" << path << "': " << std::strerror(errno);
  google::protobuf::io::FileInputStream fileStream(fd);
  fileStream.SetCloseOnDelete(true);
  google::protobuf::io::CodedInputStream coded(&fileStream);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  // Protobuf refuses messages nested deeper than this (subgraphs in
  // subgraphs), before the importer's own recursion could overflow a stack.
  coded.SetRecursionLimit(kMaxProtobufNesting);
  if (!model->proto.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return emitError(loc) << path
                          << ": not a valid ONNX model: the protobuf does not parse "
                             "(the file is truncated, corrupt, or not ONNX, or nests "
                             "subgraphs more than "
                          << kMaxProtobufNesting << " messages deep)";
  if (!model->proto.has_graph())
    return emitError(loc) << path << ": the model has no graph";
  return model;
}

std::shared_ptr<std::string> LoadedModel::takeRawData(const onnx::TensorProto &tensor) {
  auto [it, first] = takenRawData.try_emplace(&tensor);
  if (!first)
    return it->second.lock(); // null once its constants are gone
  // The proto is this model's own: moving the bytes out changes nothing
  // anyone reads again.
  auto raw = std::make_shared<std::string>(
      std::move(*const_cast<onnx::TensorProto &>(tensor).mutable_raw_data()));
  it->second = raw;
  return raw;
}

Type onnx_import::convertElementType(int32_t onnxType, MLIRContext *ctx) {
  Builder b(ctx);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::INT8: return b.getIntegerType(8);
  case onnx::TensorProto::INT16: return b.getIntegerType(16);
  case onnx::TensorProto::INT32: return b.getI32Type();
  case onnx::TensorProto::INT64: return b.getI64Type();
  case onnx::TensorProto::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16: return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32: return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64: return b.getIntegerType(64, false);
  case onnx::TensorProto::BOOL: return b.getI1Type();
  default: return {};
  }
}

namespace {
/// Bytes of tensor data and who keeps them alive.
struct TensorBytes {
  ArrayRef<char> data;
  std::shared_ptr<void> owner;
};

/// An mmap'd region, unmapped when the last blob using it goes.
struct MappedRegion {
  void *base = nullptr;
  size_t length = 0;
  ~MappedRegion() {
    if (base)
      ::munmap(base, length);
  }
};
} // namespace

/// Reads external data, refusing anything that leaves the model's folder.
static FailureOr<TensorBytes> readExternal(const onnx::TensorProto &tensor,
                                           const LoadedModel &model, size_t expectedBytes,
                                           Location loc, StringRef what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t v;
      if (StringRef(entry.value()).getAsInteger(10, v) || v < 0)
        return emitError(loc) << what << ": external data " << entry.key() << " '"
                              << entry.value() << "' is not a non-negative integer";
      (entry.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty())
    return emitError(loc) << what << ": external data has no 'location'";
  if (llvm::sys::path::is_absolute(location))
    return emitError(loc) << what << ": external data location '" << location
                          << "' is absolute; ONNX requires a path relative to the model "
                             "file. Move the data beside the model and re-save it";
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return emitError(loc) << what << ": external data location '" << location
                            << "' escapes the model's directory with '..'; keep the "
                               "data file beside the model";
  SmallString<256> file(model.directory);
  llvm::sys::path::append(file, location);
  // A symlink (the file itself, or a folder on the way) may lead out of the
  // model's folder although the location reads as inside: compare the
  // resolved paths, and open the resolved one so that what was checked is
  // what gets read.
  SmallString<256> realDirectory, realFile;
  if (llvm::sys::fs::real_path(file, realFile))
    return emitError(loc) << what << ": external data file '" << file
                          << "' does not exist or cannot be read";
  if (llvm::sys::fs::real_path(model.directory, realDirectory))
    return emitError(loc) << what << ": cannot resolve the model's folder '" << model.directory
                          << "'";
  StringRef relative = realFile.str();
  bool inside = relative.consume_front(realDirectory) && !relative.empty() &&
                (llvm::sys::path::is_separator(relative.front()) ||
                 llvm::sys::path::is_separator(realDirectory.back()));
  if (!inside)
    return emitError(loc) << what << ": external data location '" << location
                          << "' leads out of the model's directory through a symlink (to '"
                          << realFile << "'); keep the data file beside the model";
  file = realFile;
  uint64_t fileSize;
  if (llvm::sys::fs::file_size(file, fileSize))
    return emitError(loc) << what << ": external data file '" << file
                          << "' does not exist or cannot be read";
  if (length < 0)
    length = static_cast<int64_t>(fileSize) - offset;
  if (static_cast<uint64_t>(offset) > fileSize ||
      static_cast<uint64_t>(length) > fileSize - offset)
    return emitError(loc) << what << ": external data [offset " << offset << ", length "
                          << length << "] lies outside '" << file << "' (" << fileSize
                          << " bytes); the data file is truncated or the model is stale";
  if (static_cast<size_t>(length) != expectedBytes)
    return emitError(loc) << what << ": external data length " << length
                          << " does not match the tensor's " << expectedBytes << " bytes";
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0)
    return emitError(loc) << what << ": cannot open '" << file << "': " << std::strerror(errno);
  long page = ::sysconf(_SC_PAGESIZE);
  int64_t alignedOffset = offset / page * page;
  auto region = std::make_shared<MappedRegion>();
  region->length = length + (offset - alignedOffset);
  if (region->length == 0) {
    ::close(fd);
    return TensorBytes{{}, region};
  }
  region->base = ::mmap(nullptr, region->length, PROT_READ, MAP_PRIVATE, fd, alignedOffset);
  ::close(fd);
  if (region->base == MAP_FAILED) {
    region->base = nullptr;
    return emitError(loc) << what << ": cannot map '" << file << "': " << std::strerror(errno);
  }
  const char *start = static_cast<const char *>(region->base) + (offset - alignedOffset);
  return TensorBytes{ArrayRef<char>(start, length), region};
}

/// Copies a repeated typed field into a little-endian buffer of `type`.
template <typename Field>
static std::shared_ptr<std::vector<char>> packTypedField(const Field &field,
                                                         Type elementType) {
  auto out = std::make_shared<std::vector<char>>();
  unsigned bytes = elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
  out->resize(field.size() * bytes);
  for (int i = 0; i < field.size(); ++i) {
    if (isa<Float32Type>(elementType)) {
      float v = static_cast<float>(field.Get(i));
      std::memcpy(out->data() + i * bytes, &v, bytes);
    } else if (isa<Float64Type>(elementType)) {
      double v = static_cast<double>(field.Get(i));
      std::memcpy(out->data() + i * bytes, &v, bytes);
    } else {
      // Integers, bool, and float16/bfloat16 bit patterns (stored in int32_data).
      uint64_t v = static_cast<uint64_t>(field.Get(i));
      std::memcpy(out->data() + i * bytes, &v, bytes);
    }
  }
  return out;
}

std::string onnx_import::dataTypeName(int32_t onnxType) {
  // Types newer than the ONNX library genc builds with.
  switch (onnxType) {
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case kOnnxUInt4:
    return "UINT4";
  case kOnnxInt4:
    return "INT4";
  case 23:
    return "FLOAT4E2M1";
  }
  std::string name =
      onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnxType));
  return name.empty() ? "#" + std::to_string(onnxType) : name;
}

std::string onnx_import::unsupportedTypeAdvice(int32_t onnxType) {
  if (isWidened(onnxType))
    return "; genc takes 4-bit tensors only as constants (initializers): give it int8 or uint8 "
           "values";
  if ((onnxType >= 17 && onnxType <= 20) || onnxType == 23)
    return "; genc has no 8- or 4-bit float type: export the tensor as float, float16 or "
           "integers (with DequantizeLinear)";
  if (onnxType == onnx::TensorProto::STRING)
    return "; genc has no string tensors: pass token ids";
  return "";
}

/// `packed` [ceil(count / 2)] bytes of 4-bit values, the first of each
/// pair in the low nibble, as one byte each: sign-extended for INT4.
static std::shared_ptr<std::vector<char>> unpackNibbles(ArrayRef<char> packed, int64_t count,
                                                        bool isSigned) {
  auto bytes = std::make_shared<std::vector<char>>(count);
  for (int64_t i = 0; i < count; ++i) {
    uint8_t nibble = (static_cast<uint8_t>(packed[i / 2]) >> (i % 2 ? 4 : 0)) & 0xF;
    (*bytes)[i] = static_cast<char>(isSigned && nibble >= 8 ? nibble - 16 : nibble);
  }
  return bytes;
}

FailureOr<ElementsAttr> onnx_import::convertTensor(const onnx::TensorProto &tensor,
                                                   const std::shared_ptr<LoadedModel> &model,
                                                   MLIRContext *ctx, Location loc,
                                                   StringRef what) {
  // 4-bit constants (genc has no 4-bit tensor type) are widened to a byte
  // per element, i8 or ui8; the importer notes their type
  // (NodeImporter::widenedType).
  const bool nibbles = isWidened(tensor.data_type());
  Type elementType =
      convertElementType(nibbles ? (tensor.data_type() == kOnnxInt4 ? onnx::TensorProto::INT8
                                                                    : onnx::TensorProto::UINT8)
                                 : tensor.data_type(),
                         ctx);
  if (!elementType)
    return emitError(loc) << what << ": tensor data type " << dataTypeName(tensor.data_type())
                          << " is not supported" << unsupportedTypeAdvice(tensor.data_type());
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  for (int64_t d : shape)
    if (d < 0)
      return emitError(loc) << what << ": tensor has a negative dim " << d;
  // Counted with overflow checks before any type is made: a product that
  // wrapped around could match a short (or empty) data field.
  unsigned elementBytes = elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
  int64_t numElements = 1, byteCount = 0;
  for (int64_t d : shape)
    if (llvm::MulOverflow(numElements, d, numElements))
      return emitError(loc) << what << ": tensor of shape " << formatShape(shape)
                            << " has more elements than int64 can count";
  if (llvm::MulOverflow(numElements, static_cast<int64_t>(elementBytes), byteCount))
    return emitError(loc) << what << ": tensor of shape " << formatShape(shape)
                          << " has more bytes than int64 can count";
  auto type = RankedTensorType::get(shape, elementType);
  size_t expectedBytes = static_cast<size_t>(nibbles ? (numElements + 1) / 2 : byteCount);

  TensorBytes bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto external = readExternal(tensor, *model, expectedBytes, loc, what);
    if (failed(external))
      return failure();
    bytes = *external;
  } else if (tensor.has_raw_data() && expectedBytes <= kMaxInlineBytes) {
    const std::string &raw = tensor.raw_data();
    bytes = {ArrayRef<char>(raw.data(), raw.size()), model};
  } else if (tensor.has_raw_data()) {
    std::shared_ptr<std::string> raw = model->takeRawData(tensor);
    if (!raw)
      return emitError(loc) << what << ": internal error: the tensor's data was released";
    bytes = {ArrayRef<char>(raw->data(), raw->size()), raw};
  } else {
    std::shared_ptr<std::vector<char>> packed;
    // Floating-point values become integers or half-precision bit patterns
    // only through a cast that is undefined out of range: ONNX keeps them
    // for float and double tensors.
    if ((tensor.float_data_size() || tensor.double_data_size()) &&
        !isa<Float32Type, Float64Type>(elementType))
      return emitError(loc) << what << ": float_data or double_data for a tensor of "
                            << elementType;
    if (tensor.float_data_size())
      packed = packTypedField(tensor.float_data(), elementType);
    else if (tensor.double_data_size())
      packed = packTypedField(tensor.double_data(), elementType);
    else if (tensor.int64_data_size())
      packed = packTypedField(tensor.int64_data(), elementType);
    else if (tensor.uint64_data_size())
      packed = packTypedField(tensor.uint64_data(), elementType);
    else
      packed = packTypedField(tensor.int32_data(), elementType);
    bytes = {ArrayRef<char>(packed->data(), packed->size()), packed};
  }
  if (bytes.data.size() != expectedBytes)
    return emitError(loc) << what << ": tensor of shape " << formatShape(shape) << " needs "
                          << expectedBytes << " bytes of data but has " << bytes.data.size();
  if (nibbles) {
    auto unpacked = unpackNibbles(bytes.data, numElements, tensor.data_type() == kOnnxInt4);
    bytes = {ArrayRef<char>(unpacked->data(), unpacked->size()), unpacked};
    expectedBytes = unpacked->size();
  }

  if (elementType.isInteger(1)) {
    SmallVector<bool> values;
    for (char c : bytes.data)
      values.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  }
  if (expectedBytes <= kMaxInlineBytes)
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes.data));

  // Large: alias the bytes. A blob needs its data aligned to the element
  // size; copy in the rare case that the file's offset is not.
  if (reinterpret_cast<uintptr_t>(bytes.data.data()) % elementBytes) {
    auto copy = std::make_shared<std::vector<char>>(bytes.data.begin(), bytes.data.end());
    bytes = {ArrayRef<char>(copy->data(), copy->size()), copy};
  }
  std::shared_ptr<void> owner = bytes.owner;
  AsmResourceBlob blob(bytes.data, elementBytes,
                       [owner](void *, size_t, size_t) mutable { owner.reset(); },
                       /*dataIsMutable=*/false);
  std::string name = tensor.name().empty() ? std::string("constant") : tensor.name();
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

FailureOr<ElementsAttr> genc::importTensorFile(StringRef path, MLIRContext &context) {
  Location loc = FileLineColLoc::get(&context, path, 0, 0);
  auto model = std::make_shared<LoadedModel>();
  model->path = path.str();
  SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  model->directory = directory.empty() ? "." : std::string(directory);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return emitError(loc) << "cannot open '" << path << "': " << buffer.getError().message();
  // The tensor lives in the model's proto: blobs alias its bytes and keep
  // `model` alive.
  onnx::TensorProto &tensor = *model->proto.mutable_graph()->add_initializer();
  if (!tensor.ParseFromArray((*buffer)->getBufferStart(), (*buffer)->getBufferSize()))
    return emitError(loc) << path << ": not a serialized ONNX TensorProto";
  return convertTensor(tensor, model, &context, loc, path);
}
