//===- Tensor.cpp - tensors, dtypes and status messages ---------------------===//

#include "Internal.h"

#include <cstdlib>
#include <memory>
#include <new>

namespace {
thread_local std::string lastError;
} // namespace

genc_status genc::runtime::fail(genc_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

bool genc::runtime::parseDType(const std::string &name, genc_dtype &dtype) {
  static const struct { const char *name; genc_dtype dtype; } kNames[] = {
      {"f32", GENC_F32}, {"f64", GENC_F64}, {"f16", GENC_F16}, {"bf16", GENC_BF16},
      {"i64", GENC_I64}, {"i32", GENC_I32}, {"i16", GENC_I16}, {"i8", GENC_I8},
      {"ui64", GENC_U64}, {"ui32", GENC_U32}, {"ui16", GENC_U16}, {"ui8", GENC_U8},
      {"i1", GENC_BOOL}};
  for (const auto &entry : kNames)
    if (name == entry.name) {
      dtype = entry.dtype;
      return true;
    }
  return false;
}

genc_status genc::runtime::createTensor(genc_dtype dtype, const int64_t *dims, size_t rank,
                                        bool zero, genc_tensor **tensor) {
  for (size_t i = 0; i < rank; ++i)
    if (dims[i] < 0)
      return fail(GENC_ERROR_INVALID_ARGUMENT, "tensor dim " + std::to_string(i) + " is negative");
  // A shape whose byte count wraps around would get a small buffer that
  // every later use overruns.
  size_t total = genc_dtype_size(dtype);
  for (size_t i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(total, static_cast<size_t>(dims[i]), &total) ||
        total > static_cast<size_t>(INT64_MAX))
      return fail(GENC_ERROR_INVALID_ARGUMENT, "a tensor of this shape has more than 2^63 bytes");
  try {
    auto t = std::make_unique<genc_tensor>(dtype, std::vector<int64_t>(dims, dims + rank));
    t->sizeBytes = t->numElements() * genc_dtype_size(dtype);
    // One byte at least, so that every tensor has an address of its own.
    size_t bytes = t->sizeBytes ? t->sizeBytes : 1;
    t->owner = zero ? std::calloc(1, bytes) : std::malloc(bytes);
    if (!t->owner)
      return fail(GENC_ERROR_OUT_OF_MEMORY,
                  "out of memory for a tensor of " + std::to_string(t->sizeBytes) + " bytes");
    t->data = static_cast<unsigned char *>(t->owner);
    t->release = std::free;
    *tensor = t.release();
    return GENC_OK;
  } catch (const std::bad_alloc &) {
    return fail(GENC_ERROR_OUT_OF_MEMORY, "out of memory for a tensor");
  }
}

extern "C" {

const char *genc_status_message(void) { return lastError.c_str(); }

const char *genc_dtype_name(genc_dtype dtype) {
  switch (dtype) {
  case GENC_F32: return "float32";
  case GENC_F64: return "float64";
  case GENC_F16: return "float16";
  case GENC_BF16: return "bfloat16";
  case GENC_I64: return "int64";
  case GENC_I32: return "int32";
  case GENC_I16: return "int16";
  case GENC_I8: return "int8";
  case GENC_U64: return "uint64";
  case GENC_U32: return "uint32";
  case GENC_U16: return "uint16";
  case GENC_U8: return "uint8";
  case GENC_BOOL: return "bool";
  }
  return "unknown";
}

size_t genc_dtype_size(genc_dtype dtype) {
  switch (dtype) {
  case GENC_F64: case GENC_I64: case GENC_U64: return 8;
  case GENC_F32: case GENC_I32: case GENC_U32: return 4;
  case GENC_F16: case GENC_BF16: case GENC_I16: case GENC_U16: return 2;
  case GENC_I8: case GENC_U8: case GENC_BOOL: return 1;
  }
  return 0;
}

genc_status genc_tensor_create(genc_dtype dtype, const int64_t *dims, size_t rank,
                               genc_tensor **tensor) {
  return genc::runtime::createTensor(dtype, dims, rank, /*zero=*/true, tensor);
}
void genc_tensor_free(genc_tensor *tensor) { delete tensor; }
genc_dtype genc_tensor_dtype(const genc_tensor *t) { return t->dtype; }
size_t genc_tensor_rank(const genc_tensor *t) { return t->dims.size(); }
const int64_t *genc_tensor_dims(const genc_tensor *t) { return t->dims.data(); }
void *genc_tensor_data(genc_tensor *t) { return t->data; }
size_t genc_tensor_size_bytes(const genc_tensor *t) { return t->sizeBytes; }

} // extern "C"
