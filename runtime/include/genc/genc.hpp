//===- genc.hpp - C++20 wrapper over the genc runtime's C API ---*- C++ -*-===//
//
// Header-only, over genc.h and nothing else: owning handles (Model, Tensor,
// Session) that free what they hold, std::span views of tensor data and
// logits, and errors as exceptions. Every C call that fails becomes a
// genc::Error carrying its genc_status and genc_status_message(); the
// library itself never throws across its C boundary, so all exceptions
// here are thrown by this header, in the caller's code.
//
// Exceptions rather than an expected-style result: constructors (loading a
// model, making a tensor or a session) are where most failures happen, and
// a constructor cannot return a result. A program that builds without
// exceptions uses genc.h directly.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_GENC_HPP
#define GENC_GENC_HPP

#include "genc/genc.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace genc {

/// A failed call: the C API's status and its message.
class Error : public std::runtime_error {
public:
  Error(genc_status status, const std::string &message)
      : std::runtime_error(message), statusCode(status) {}
  genc_status status() const noexcept { return statusCode; }

private:
  genc_status statusCode;
};

namespace detail {
/// Throws the thread's last message when `status` is a failure. Reads the
/// message at once: the next failing call on this thread replaces it.
inline void check(genc_status status) {
  if (status == GENC_OK)
    return;
  std::string message = genc_status_message();
  if (message.empty())
    message = "genc call failed with status " + std::to_string(status);
  throw Error(status, message);
}

template <typename T, void (*Free)(T *)> struct Deleter {
  void operator()(T *handle) const noexcept { Free(handle); }
};

/// Whether elements of `dtype` can be viewed as T. 16-bit floats have no
/// C++20 type: view them as their uint16_t bits; bool as uint8_t.
template <typename T> constexpr bool viewsDtype(genc_dtype dtype) {
  if constexpr (std::is_same_v<T, float>)
    return dtype == GENC_F32;
  else if constexpr (std::is_same_v<T, double>)
    return dtype == GENC_F64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return dtype == GENC_I64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return dtype == GENC_I32;
  else if constexpr (std::is_same_v<T, int16_t>)
    return dtype == GENC_I16;
  else if constexpr (std::is_same_v<T, int8_t>)
    return dtype == GENC_I8;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return dtype == GENC_U8 || dtype == GENC_BOOL;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return dtype == GENC_U16 || dtype == GENC_F16 || dtype == GENC_BF16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return dtype == GENC_U32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return dtype == GENC_U64;
  else
    static_assert(sizeof(T) == 0, "no genc dtype has this element type");
}
} // namespace detail

/// A tensor that owns its data (zero-filled when made here).
class Tensor {
public:
  Tensor(genc_dtype dtype, std::span<const int64_t> dims) {
    genc_tensor *created = nullptr;
    detail::check(genc_tensor_create(dtype, dims.data(), dims.size(), &created));
    handle.reset(created);
  }
  Tensor(genc_dtype dtype, std::initializer_list<int64_t> dims)
      : Tensor(dtype, std::span<const int64_t>(dims.begin(), dims.size())) {}
  /// Takes ownership of a tensor from the C API.
  explicit Tensor(genc_tensor *owned) : handle(owned) {}

  static Tensor loadNpy(const std::string &path) {
    genc_tensor *loaded = nullptr;
    detail::check(genc_tensor_load_npy(path.c_str(), &loaded));
    return Tensor(loaded);
  }
  void saveNpy(const std::string &path) const {
    detail::check(genc_tensor_save_npy(handle.get(), path.c_str()));
  }

  genc_dtype dtype() const { return genc_tensor_dtype(handle.get()); }
  std::string_view dtypeName() const { return genc_dtype_name(dtype()); }
  std::span<const int64_t> dims() const {
    return {genc_tensor_dims(handle.get()), genc_tensor_rank(handle.get())};
  }
  size_t numElements() const { return sizeBytes() / genc_dtype_size(dtype()); }
  size_t sizeBytes() const { return genc_tensor_size_bytes(handle.get()); }

  /// The elements, as T; a T that does not match the dtype is an error.
  template <typename T> std::span<T> data() {
    checkViewedAs<T>();
    return {static_cast<T *>(genc_tensor_data(handle.get())), numElements()};
  }
  template <typename T> std::span<const T> data() const {
    return const_cast<Tensor *>(this)->data<T>();
  }
  std::span<std::byte> bytes() {
    return {static_cast<std::byte *>(genc_tensor_data(handle.get())), sizeBytes()};
  }

  genc_tensor *get() const { return handle.get(); }
  genc_tensor *release() { return handle.release(); }

private:
  template <typename T> void checkViewedAs() const {
    if (!detail::viewsDtype<T>(dtype()))
      throw Error(GENC_ERROR_INVALID_ARGUMENT, "the tensor's elements are " +
                                                   std::string(dtypeName()) +
                                                   ", not the type they are viewed as");
  }

  std::unique_ptr<genc_tensor, detail::Deleter<genc_tensor, genc_tensor_free>> handle;
};

/// An input given by name, for Model::run in any order.
struct NamedInput {
  std::string_view name;
  const Tensor &tensor;
};

/// A model compiled by `genc compile`: OUT.so with OUT.so.weights beside it.
class Model {
public:
  explicit Model(const std::string &path) {
    genc_model *loaded = nullptr;
    detail::check(genc_model_load(path.c_str(), &loaded));
    handle.reset(loaded);
  }
  /// The model linked into this program (genc_model_load_linked).
  static Model loadLinked(const std::string &weightsPath) {
    genc_model *loaded = nullptr;
    detail::check(genc_model_load_linked(weightsPath.c_str(), &loaded));
    return Model(loaded);
  }

  /// Hashes all of the weights against the hash recorded at compile time
  /// (loading checks a sample only).
  void verify() const { detail::check(genc_model_verify(get())); }
  /// Threads the kernels run on, the caller included; 0: every CPU.
  void setThreads(unsigned threads) { detail::check(genc_model_set_threads(get(), threads)); }
  unsigned threads() const { return genc_model_threads(get()); }
  /// Compiled with `--kv-cache=session`: run it through a Session.
  bool isForSession() const { return genc_model_is_for_session(get()) != 0; }
  /// The most positions the model embeds from a table; 0: no limit recorded.
  int64_t maxPositions() const { return genc_model_max_positions(get()); }

  size_t numInputs() const { return genc_model_num_inputs(get()); }
  size_t numOutputs() const { return genc_model_num_outputs(get()); }
  static std::string_view orEmpty(const char *name) { return name ? name : ""; }
  /// "" past the last input or output.
  std::string_view inputName(size_t i) const { return orEmpty(genc_model_input_name(get(), i)); }
  std::string_view outputName(size_t i) const {
    return orEmpty(genc_model_output_name(get(), i));
  }

  /// Runs on `inputs` in signature order; returns the outputs in order.
  std::vector<Tensor> run(std::span<const Tensor> inputs) {
    std::vector<const genc_tensor *> handles;
    for (const Tensor &input : inputs)
      handles.push_back(input.get());
    return runOrdered(handles);
  }
  /// Runs on named inputs given in any order.
  std::vector<Tensor> run(std::span<const NamedInput> inputs) {
    std::vector<std::string> names; // NUL-terminated copies for the C API
    std::vector<const char *> namePointers;
    std::vector<const genc_tensor *> given;
    names.reserve(inputs.size());
    for (const NamedInput &input : inputs) {
      namePointers.push_back(names.emplace_back(input.name).c_str());
      given.push_back(input.tensor.get());
    }
    std::vector<const genc_tensor *> ordered(numInputs());
    detail::check(genc_model_order_inputs(get(), namePointers.data(), given.data(), given.size(),
                                          ordered.data()));
    return runOrdered(ordered);
  }

  genc_model *get() const { return handle.get(); }

private:
  explicit Model(genc_model *owned) : handle(owned) {}

  std::vector<Tensor> runOrdered(const std::vector<const genc_tensor *> &inputs) {
    std::vector<genc_tensor *> outputs(numOutputs(), nullptr);
    detail::check(genc_model_run(get(), inputs.data(), inputs.size(), outputs.data()));
    std::vector<Tensor> owned;
    owned.reserve(outputs.size());
    for (genc_tensor *output : outputs)
      owned.emplace_back(output);
    return owned;
  }

  std::unique_ptr<genc_model, detail::Deleter<genc_model, genc_model_free>> handle;
};

/// Logits of a session's last start or append: [rows, positions, vocab].
struct Logits {
  std::span<const float> values;
  int64_t rows = 0, positions = 0, vocab = 0;

  /// The vocabulary's scores at one row and position.
  std::span<const float> at(int64_t row, int64_t position) const {
    return values.subspan(static_cast<size_t>((row * positions + position) * vocab),
                          static_cast<size_t>(vocab));
  }
};

/// An encoder-decoder's cross-attention: [rows, sourceLength].
struct CrossAttention {
  std::span<const float> values;
  int64_t rows = 0, sourceLength = 0;
};

/// Options of a session: {.max_context, .max_rows, .threads}.
using SessionOptions = genc_session_options;

/// A generation session (see genc.h): rows that grow together and their KV
/// cache. The model must outlive it; a failed call leaves it as it was.
class Session {
public:
  Session(Model &model, const SessionOptions &options) {
    genc_session *created = nullptr;
    detail::check(genc_session_create(model.get(), &options, &created));
    handle.reset(created);
  }

  /// An encoder-decoder's source, encoded once for every later row.
  void encode(std::span<const int64_t> source) {
    detail::check(genc_session_encode(get(), source.data(), static_cast<int64_t>(source.size())));
  }
  /// Starts over with one row per prompt; logits [rows, 1, vocab].
  void start(std::span<const std::vector<int64_t>> prompts) {
    std::vector<const int64_t *> starts;
    std::vector<int64_t> lengths;
    for (const std::vector<int64_t> &prompt : prompts) {
      starts.push_back(prompt.data());
      lengths.push_back(static_cast<int64_t>(prompt.size()));
    }
    detail::check(genc_session_start(get(), starts.data(), lengths.data(),
                                     static_cast<int64_t>(prompts.size())));
  }
  /// Starts over with a single row.
  void start(std::span<const int64_t> prompt) {
    const int64_t *starts[] = {prompt.data()};
    int64_t lengths[] = {static_cast<int64_t>(prompt.size())};
    detail::check(genc_session_start(get(), starts, lengths, 1));
  }
  /// Appends tokens.size() / rows() tokens to every row (row-major); logits
  /// [rows, count, vocab].
  void append(std::span<const int64_t> tokens) {
    int64_t held = rows();
    if (held == 0 || tokens.empty() || tokens.size() % static_cast<size_t>(held) != 0)
      throw Error(GENC_ERROR_INVALID_ARGUMENT, "append: " + std::to_string(tokens.size()) +
                                                   " tokens for " + std::to_string(held) + " rows");
    detail::check(
        genc_session_append(get(), tokens.data(), static_cast<int64_t>(tokens.size()) / held));
  }
  /// Empty before the first start or append, and after a rollback.
  Logits logits() const {
    Logits result;
    const float *values =
        genc_session_logits(get(), &result.rows, &result.positions, &result.vocab);
    if (values)
      result.values = {values, static_cast<size_t>(result.rows * result.positions * result.vocab)};
    return result;
  }
  /// Row r continues the row sources[r] held.
  void reorder(std::span<const int64_t> sources) {
    detail::check(
        genc_session_reorder(get(), sources.data(), static_cast<int64_t>(sources.size())));
  }
  /// Forgets the last `count` tokens of every row.
  void rollback(int64_t count) { detail::check(genc_session_rollback(get(), count)); }
  void reset() { genc_session_reset(get()); }

  int64_t rows() const { return genc_session_rows(get()); }
  /// Tokens `row` holds, prompt included; -1 if there is no such row.
  int64_t length(int64_t row) const { return genc_session_length(get(), row); }
  /// An encoder-decoder's cross-attention at each row's last position;
  /// empty for other models.
  CrossAttention crossAttention() const {
    CrossAttention result;
    const float *values = genc_session_cross_attention(get(), &result.rows, &result.sourceLength);
    if (values)
      result.values = {values, static_cast<size_t>(result.rows * result.sourceLength)};
    return result;
  }

  genc_session *get() const { return handle.get(); }

private:
  std::unique_ptr<genc_session, detail::Deleter<genc_session, genc_session_free>> handle;
};

} // namespace genc

#endif // GENC_GENC_HPP
