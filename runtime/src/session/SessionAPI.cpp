//===- SessionAPI.cpp - the C API of generation sessions -------------------===//

#include "Internal.h"
#include "session/Session.h"

#include <new>

using genc::runtime::fail;

struct genc_session {
  genc_session(genc_model &model, const genc::runtime::SessionOptions &options)
      : impl(model, options) {}
  genc::runtime::Session impl;
  int64_t logitsPositions = 1;
};

namespace {
/// Runs `f`, turning what the C++ side throws into a status and a message.
template <typename F> genc_status guarded(F &&f) {
  try {
    f();
    return GENC_OK;
  } catch (const genc::runtime::CallFailed &e) {
    return fail(e.status, e.what());
  } catch (const genc::runtime::Error &e) {
    return fail(GENC_ERROR_INVALID_ARGUMENT, e.what());
  } catch (const std::bad_alloc &) {
    return fail(GENC_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(GENC_ERROR_INVALID_ARGUMENT, e.what());
  }
}
} // namespace

extern "C" genc_status genc_session_create(genc_model *model, const genc_session_options *options,
                                           genc_session **session) {
  if (!model || !options || !session)
    return fail(GENC_ERROR_INVALID_ARGUMENT, "genc_session_create: null argument");
  return guarded([&] {
    *session = new genc_session(
        *model, {options->max_context, options->max_rows, options->threads});
  });
}

extern "C" void genc_session_free(genc_session *session) { delete session; }

extern "C" genc_status genc_session_start(genc_session *session, const int64_t *const *prompts,
                                          const int64_t *lengths, int64_t rows) {
  return guarded([&] {
    if (rows < 0 || (rows && (!prompts || !lengths)))
      throw genc::runtime::Error("genc_session_start: no prompts given");
    std::vector<std::vector<int64_t>> p;
    for (int64_t r = 0; r < rows; ++r) {
      if (lengths[r] < 0 || (lengths[r] && !prompts[r]))
        throw genc::runtime::Error("genc_session_start: prompt " + std::to_string(r) +
                                   " has no tokens");
      p.emplace_back(prompts[r], prompts[r] + lengths[r]);
    }
    session->impl.start(p);
    session->logitsPositions = 1;
  });
}

extern "C" genc_status genc_session_append(genc_session *session, const int64_t *tokens,
                                           int64_t count) {
  return guarded([&] {
    if (count < 1 || !tokens)
      throw genc::runtime::Error("genc_session_append: no tokens given");
    session->impl.append({tokens, size_t(count * session->impl.rows())}, count);
    session->logitsPositions = count;
  });
}

extern "C" const float *genc_session_logits(const genc_session *session, int64_t *rows,
                                            int64_t *positions, int64_t *vocab) {
  std::span<const float> logits = session->impl.logits();
  if (rows)
    *rows = logits.empty() ? 0 : session->impl.rows();
  if (positions)
    *positions = logits.empty() ? 0 : session->logitsPositions;
  if (vocab)
    *vocab = session->impl.vocabSize();
  return logits.empty() ? nullptr : logits.data();
}

extern "C" genc_status genc_session_reorder(genc_session *session, const int64_t *sources,
                                            int64_t rows) {
  return guarded([&] {
    if (rows < 1 || !sources)
      throw genc::runtime::Error("genc_session_reorder: no rows given");
    session->impl.reorder({sources, size_t(rows)});
  });
}

extern "C" genc_status genc_session_encode(genc_session *session, const int64_t *source,
                                           int64_t length) {
  return guarded([&] {
    if (length < 0 || (length > 0 && !source))
      throw genc::runtime::Error("genc_session_encode: no source tokens");
    session->impl.encode(std::vector<int64_t>(source, source + length));
  });
}

extern "C" const float *genc_session_cross_attention(const genc_session *session, int64_t *rows,
                                                     int64_t *sourceLength) {
  const int64_t length = session->impl.sourceLength();
  std::span<const float> weights = session->impl.crossAttention();
  const bool present = length > 0 && !weights.empty();
  if (rows)
    *rows = present ? session->impl.rows() : 0;
  if (sourceLength)
    *sourceLength = present ? length : 0;
  return present ? weights.data() : nullptr;
}

extern "C" genc_status genc_session_rollback(genc_session *session, int64_t count) {
  return guarded([&] { session->impl.rollback(count); });
}

extern "C" void genc_session_reset(genc_session *session) { session->impl.reset(); }

extern "C" int64_t genc_session_rows(const genc_session *session) { return session->impl.rows(); }

extern "C" int64_t genc_session_length(const genc_session *session, int64_t row) {
  return row >= 0 && row < session->impl.rows() ? session->impl.length(row) : -1;
}
