/*===- genc.h - the genc runtime's C API ----------------------------------===*
 *
 * Load a model compiled by `genc compile`, make tensors, run it. Every
 * call that can fail returns a genc_status; genc_status_message() tells
 * what went wrong on this thread. No exceptions cross this boundary.
 *
 *===----------------------------------------------------------------------===*/
#ifndef GENC_GENC_H
#define GENC_GENC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum genc_status {
  GENC_OK = 0,
  GENC_ERROR_IO = 1,               /* a file is missing or unreadable */
  GENC_ERROR_INVALID_ARTIFACT = 2, /* not a genc artifact, or corrupt (or its code
                                      called a kernel wrongly, or it was compiled
                                      for instructions this CPU lacks) */
  GENC_ERROR_INVALID_ARGUMENT = 3, /* inputs do not match the signature */
  GENC_ERROR_OUT_OF_MEMORY = 4,
} genc_status;

typedef enum genc_dtype {
  GENC_F32, GENC_F64, GENC_F16, GENC_BF16,
  GENC_I64, GENC_I32, GENC_I16, GENC_I8, GENC_U8, GENC_BOOL,
  GENC_U16, GENC_U32, GENC_U64,
} genc_dtype;

typedef struct genc_model genc_model;
typedef struct genc_tensor genc_tensor;

/* The message of the last failed call on this thread ("" if none). */
const char *genc_status_message(void);

/* Loads OUT.so and maps OUT.so.weights beside it. */
genc_status genc_model_load(const char *path, genc_model **model);
/* For a program the model is linked into (`genc compile --emit=exe`, or
 * your own link of `--emit=obj` with -rdynamic): its own genc_main and
 * genc_signature, and the weights file at `weights_path`. */
genc_status genc_model_load_linked(const char *weights_path, genc_model **model);
/* Output tensors do not depend on their model: free them before or after it. */
void genc_model_free(genc_model *model);

/* Hashes every byte of the model's weights and compares the hash with the
 * one recorded at compile time (loading checks the weights file's header
 * and a sample of its blocks only). GENC_ERROR_INVALID_ARTIFACT, naming the
 * file, when they differ. Reads the whole file: about as long as reading
 * it from disk. */
genc_status genc_model_verify(const genc_model *model);

/* Threads the model's kernels run on, the caller included; 0 means every
 * CPU this process may use (the default after loading). */
genc_status genc_model_set_threads(genc_model *model, unsigned threads);
unsigned genc_model_threads(const genc_model *model);

/* 1 when the model was compiled for sessions (`genc compile --kv-cache=session`):
 * run it through a genc_session, not genc_model_run. */
int genc_model_is_for_session(const genc_model *model);

/* The most positions the model embeds, where it reads them from a table (a
 * position embedding, precomputed rotary tables), or 0 when it records no
 * limit. A session's max_context may not exceed it; a generation of N new
 * tokens after a prompt of P uses P + N - 1 positions. */
int64_t genc_model_max_positions(const genc_model *model);

size_t genc_model_num_inputs(const genc_model *model);
size_t genc_model_num_outputs(const genc_model *model);
const char *genc_model_input_name(const genc_model *model, size_t i);
const char *genc_model_output_name(const genc_model *model, size_t i);

/* Puts named inputs, given in any order, in signature order: `ordered`
 * receives genc_model_num_inputs(model) pointers for genc_model_run. Fails,
 * naming the input, when one is missing, unknown or given twice. */
genc_status genc_model_order_inputs(const genc_model *model, const char *const *names,
                                    const genc_tensor *const *tensors, size_t count,
                                    const genc_tensor **ordered);

/* A zero-filled tensor that owns its data. */
genc_status genc_tensor_create(genc_dtype dtype, const int64_t *dims, size_t rank,
                               genc_tensor **tensor);
void genc_tensor_free(genc_tensor *tensor);
genc_dtype genc_tensor_dtype(const genc_tensor *tensor);
size_t genc_tensor_rank(const genc_tensor *tensor);
const int64_t *genc_tensor_dims(const genc_tensor *tensor);
void *genc_tensor_data(genc_tensor *tensor);
size_t genc_tensor_size_bytes(const genc_tensor *tensor);

/* Runs the model: `inputs` in signature order, checked against it (dtype,
 * rank, static dims, dims that share a name). On success `outputs`
 * (genc_model_num_outputs entries) receive new tensors the caller frees. */
genc_status genc_model_run(genc_model *model, const genc_tensor *const *inputs,
                           size_t num_inputs, genc_tensor **outputs);

/* genc_model_run that also adds the seconds the call spent in each family
 * of ops to seconds[f] for f below num_seconds and GENC_OP_FAMILIES
 * (genc/kernels.h; names from genc_op_family_name), for a model compiled
 * with op-family profiling (`genc compile --profile-input`). Other models
 * add nothing. */
genc_status genc_model_run_profiled(genc_model *model, const genc_tensor *const *inputs,
                                    size_t num_inputs, genc_tensor **outputs, double *seconds,
                                    size_t num_seconds);

/* "matmul", "attention", ... for a family number below GENC_OP_FAMILIES;
 * NULL otherwise. */
const char *genc_op_family_name(int family);

/* A generation session: the state a decoding loop keeps between calls of
 * one model. It holds rows (prompts, beams) that grow together and, for a
 * model compiled with `genc compile --kv-cache=session`, their KV cache,
 * allocated once for max_rows x max_context and written in place at each
 * step. A model exported without a cache is rerun on the whole sequence
 * at every step. Rows of different lengths are left-padded (masked, with
 * positions counting real tokens only). A failed call leaves the session
 * as it was, but for a start that fails in the model's run (its arguments
 * accepted): it may have overwritten the cache, and leaves no rows. Each session has its own threads and cache: several may use
 * one model at once, from different threads. */
typedef struct genc_session genc_session;
typedef struct genc_session_options {
  int64_t max_context; /* tokens per row, prompt included */
  int64_t max_rows;    /* rows held at once (prompts x beams) */
  unsigned threads;    /* the session's own thread pool, caller included
                          (0: every CPU the process may use) */
} genc_session_options;

genc_status genc_session_create(genc_model *model, const genc_session_options *options,
                                genc_session **session);
void genc_session_free(genc_session *session);
/* An encoder-decoder (compiled with `genc compile DECODER --encoder
 * ENCODER`): encodes `source` (length tokens) once for every later row and
 * forgets the rows held. Call before start; other models refuse it. */
genc_status genc_session_encode(genc_session *session, const int64_t *source, int64_t length);
/* Starts over with `rows` prompts, prompts[r] of lengths[r] tokens. The
 * logits are then [rows, 1, vocab]: each prompt's last position. */
genc_status genc_session_start(genc_session *session, const int64_t *const *prompts,
                               const int64_t *lengths, int64_t rows);
/* Appends `count` tokens to every row (`tokens`: rows x count). The
 * logits are then [rows, count, vocab]. A cached model takes more than 512
 * tokens, or more than its sliding caches (windowed and linear attention
 * layers) have room for,
 * in pieces (start too); if a piece fails after an earlier one slid the
 * caches past what the rows need, the session forgets its rows (start
 * again). */
genc_status genc_session_append(genc_session *session, const int64_t *tokens, int64_t count);
/* The last start's or append's logits and their shape. */
const float *genc_session_logits(const genc_session *session, int64_t *rows,
                                 int64_t *positions, int64_t *vocab);
/* Row r continues the sequence row sources[r] held; there are then `rows`
 * rows (beam search: expand, reorder, drop). Copies only rows that change. */
genc_status genc_session_reorder(genc_session *session, const int64_t *sources, int64_t rows);
/* Forgets the last `count` tokens of every row, in O(1) (speculative
 * decoding's rollback). Refused, with the most it could roll back, when a
 * sliding cache no longer holds a position the next token would see (for
 * linear attention: a position its kept sums have folded for good, 64
 * before the last call's first). */
genc_status genc_session_rollback(genc_session *session, int64_t count);
void genc_session_reset(genc_session *session);
int64_t genc_session_rows(const genc_session *session);
/* Tokens row `row` holds, prompt included; -1 if there is no such row. */
int64_t genc_session_length(const genc_session *session, int64_t row);
/* An encoder-decoder whose decoder outputs `cross_attentions`: each row's
 * cross-attention over the source at its last position of the last start
 * or append, [rows, source_length]; NULL (and 0) for other models. */
const float *genc_session_cross_attention(const genc_session *session, int64_t *rows,
                                          int64_t *source_length);

/* NumPy .npy files (little-endian, C order). */
genc_status genc_tensor_load_npy(const char *path, genc_tensor **tensor);
genc_status genc_tensor_save_npy(const genc_tensor *tensor, const char *path);

const char *genc_dtype_name(genc_dtype dtype);
size_t genc_dtype_size(genc_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* GENC_GENC_H */
