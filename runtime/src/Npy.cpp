//===- Npy.cpp - NumPy .npy files -------------------------------------------===//

#include "Internal.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

using genc::runtime::fail;

namespace {
struct NpyType {
  const char *descr;
  genc_dtype dtype;
};
const NpyType kTypes[] = {{"<f4", GENC_F32}, {"<f8", GENC_F64}, {"<f2", GENC_F16},
                          {"<i8", GENC_I64}, {"<i4", GENC_I32}, {"<i2", GENC_I16},
                          {"|i1", GENC_I8},  {"<u8", GENC_U64}, {"<u4", GENC_U32},
                          {"<u2", GENC_U16}, {"|u1", GENC_U8},  {"|b1", GENC_BOOL}};
} // namespace

extern "C" genc_status genc_tensor_load_npy(const char *path, genc_tensor **tensor) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(GENC_ERROR_IO, std::string("cannot open '") + path + "'");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const std::string &why) {
    return fail(GENC_ERROR_INVALID_ARGUMENT, std::string(path) + ": not a valid .npy file: " + why);
  };
  if (all.size() < 10 || all.compare(0, 6, "\x93NUMPY") != 0)
    return bad("missing the NUMPY magic");
  int major = static_cast<unsigned char>(all[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(all[8]) | (static_cast<unsigned char>(all[9]) << 8);
    start = 10;
  } else {
    if (all.size() < 12)
      return bad("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<unsigned char>(all[8 + i])) << (8 * i);
    start = 12;
  }
  if (all.size() < start + headerLen)
    return bad("truncated header");
  std::string header = all.substr(start, headerLen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
    return bad("no descr");
  std::string descr = m[1];
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True")))
    return bad("Fortran order is not supported; save with np.ascontiguousarray");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    return bad("no shape");
  std::vector<int64_t> dims;
  std::stringstream shape(m[1].str());
  std::string item;
  while (std::getline(shape, item, ',')) {
    size_t first = item.find_first_not_of(' '), last = item.find_last_not_of(' ');
    if (first == std::string::npos)
      continue;
    // Digits only: stoll would throw through the C API, or take a prefix.
    std::string digits = item.substr(first, last - first + 1);
    if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
      return bad("shape entry '" + digits + "' is not a dimension");
    dims.push_back(std::stoll(digits));
  }
  const NpyType *type = nullptr;
  for (const auto &t : kTypes)
    if (descr == t.descr)
      type = &t;
  if (!type)
    return bad("dtype '" + descr + "' is not supported");
  // The data's size is checked before allocating: a small file must not
  // make the reader allocate what its shape claims.
  size_t offset = start + headerLen, need = genc_dtype_size(type->dtype);
  for (int64_t d : dims)
    if (__builtin_mul_overflow(need, static_cast<size_t>(d), &need))
      return bad("the shape's byte count overflows");
  if (all.size() - offset != need)
    return bad("the data is " + std::to_string(all.size() - offset) + " bytes, the shape needs " +
               std::to_string(need));
  genc_tensor *t;
  if (genc_status s = genc::runtime::createTensor(type->dtype, dims.data(), dims.size(),
                                                 /*zero=*/false, &t))
    return s;
  std::memcpy(t->data, all.data() + offset, t->sizeBytes);
  *tensor = t;
  return GENC_OK;
}

extern "C" genc_status genc_tensor_save_npy(const genc_tensor *tensor, const char *path) {
  const char *descr = nullptr;
  for (const auto &t : kTypes)
    if (t.dtype == tensor->dtype)
      descr = t.descr;
  if (!descr)
    return fail(GENC_ERROR_INVALID_ARGUMENT,
                std::string("cannot save ") + genc_dtype_name(tensor->dtype) + " as .npy");
  std::string shape = "(";
  for (size_t i = 0; i < tensor->dims.size(); ++i)
    shape += std::to_string(tensor->dims[i]) + (tensor->dims.size() == 1 ? "," : i + 1 < tensor->dims.size() ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                       shape + ", }";
  header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return fail(GENC_ERROR_IO, std::string("cannot write '") + path + "'");
  char prefix[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0,
                     static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(prefix, 10);
  out.write(header.data(), header.size());
  out.write(reinterpret_cast<const char *>(tensor->data), tensor->sizeBytes);
  return out ? GENC_OK : fail(GENC_ERROR_IO, std::string("writing '") + path + "' failed");
}
