/*===- kernels.h - what compiled code calls, and how it gets threads -------===*
 *
 * The contract between an artifact and the runtime that loads it. The
 * kernels (runtime/src/kernels, a static library) are linked into every
 * artifact by `genc compile`; compiled code calls them through MLIR's C
 * interface (`_mlir_ciface_<name>`, memrefs passed as pointers to their
 * descriptors). Compiled code takes a genc_context from its caller and
 * passes it to every kernel: the threads a call runs on belong to the
 * caller (a runtime session), not to the artifact.
 *
 *===----------------------------------------------------------------------===*/

#ifndef GENC_KERNELS_H
#define GENC_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first line of an artifact's signature: the version of this contract
 * (the signature's format, genc_context's layout, what compiled code calls).
 * The runtime refuses artifacts of another version. */
#define GENC_SIGNATURE_VERSION_LINE "genc-signature 14"

/* Runs task(ctx, i) for every i in [0, n), possibly concurrently, and
 * returns when all are done. */
typedef void (*genc_task_fn)(void *ctx, int64_t i);
typedef void (*genc_parallel_for_fn)(void *pool, int64_t n, genc_task_fn task, void *ctx);

/* What a call of compiled code runs with: its caller's thread pool.
 * `parallel_for` NULL (or a NULL context) runs the kernels serially. The
 * caller sets `failed_check` to 0 (a zeroed context is right); compiled
 * code that meets an index out of range (genc_index_error), an allocation
 * it cannot get (genc_alloc) or a kernel that cannot compute its call
 * records the first such check there (numbered from 1), with the index
 * and the bound (or the bytes), and the caller fails the call. */
typedef struct genc_profile genc_profile;

/* A session's state for one attention layer of a session artifact (its
 * slot, `state SLOT FIXED PER_POSITION` in the signature): `rows` rows of
 * `floats_per_row` floats (FIXED + PER_POSITION x the session's
 * max_context) that the kernel lays out, and per row the
 * positions they hold (-1: none yet, or forgotten). A row holding P
 * positions means its first FIXED floats and, of the PER_POSITION runs of
 * max_context floats after them, the first P of each: what the session
 * copies when it reorders rows. Each kernel decides
 * from them and the step's past length what it can reuse: linear
 * attention's sums when the two are equal (it starts again from its
 * folded sums otherwise), LSH attention's key buckets for the positions below both
 * (and its kept order of the keys when it holds no more than those).
 *
 * `folded`, per row: the positions a kernel has folded into the row for
 * good, counted from the first row of the cache the layer reads (-1:
 * none). The row can return to any length from there on (a rollback), and
 * the layer no longer reads cache rows before it: a session may drop them,
 * subtracting what it dropped from both `positions` and `folded` (linear
 * attention's sliding cache; an LSH layer folds nothing). */
typedef struct genc_attention_state {
  float *data;
  int64_t *positions;
  int64_t *folded;
  int64_t floats_per_row;
  int64_t rows;
} genc_attention_state;

typedef struct genc_context {
  genc_parallel_for_fn parallel_for;
  void *pool;
  int64_t failed_check;
  int64_t failed_index;
  int64_t failed_bound;
  /* Where an artifact compiled with op-family profiling adds up its time;
   * NULL (the default) times nothing. */
  genc_profile *profile;
  /* The caller's attention states, by slot; NULL (or fewer than a slot):
   * linear attention sums and LSH attention hashes every key a call gives. */
  genc_attention_state *attention_states;
  int64_t attention_state_count;
  /* The blocks compiled code allocated during the call (genc_alloc) and
   * has not released, in an array that is a block too: the caller frees
   * the array with genc_artifact_free, and the blocks too when a check
   * failed (`failed_check`). */
  void **blocks;
  int64_t block_count;
  int64_t block_capacity;
  /* The check of an allocation compiled code (genc_alloc) or a kernel (its
   * scratch) could not get; 0: none. It is also the failed check, the
   * bytes asked for its `failed_index`. */
  int64_t out_of_memory;
  /* What a kernel that failed the call says went wrong (a static string of
   * the artifact's, which the check's message holds in place of
   * {reason}); NULL when no kernel failed it. */
  const char *failed_reason;
  /* The pool's threads, the caller's included (0: not known): how many
   * tasks a kernel cuts a call into so that every thread has a few. */
  int64_t threads;
} genc_context;

/* The families of ops an artifact compiled with op-family profiling
 * (`genc compile --profile-input`, genc-mark-op-families) times. */
enum {
  GENC_FAMILY_MATMUL = 0,
  GENC_FAMILY_ATTENTION = 1,
  GENC_FAMILY_NORMS_REDUCTIONS = 2,
  GENC_FAMILY_SOFTMAX = 3,
  GENC_FAMILY_ELEMENTWISE = 4,
  GENC_FAMILY_DATA_MOVEMENT = 5,
  GENC_FAMILY_OTHER = 6,
  GENC_OP_FAMILIES = 7
};

/* Their names, in that order: what reports print, and the tags
 * genc-tag-op-families writes into locations. */
#define GENC_OP_FAMILY_NAMES                                                                  \
  "matmul", "attention", "norms and reductions", "softmax", "elementwise", "data movement",   \
      "other"

/* Time per op family: the family being timed and since when (monotonic
 * nanoseconds), and what each family took so far. */
struct genc_profile {
  int64_t nanoseconds[GENC_OP_FAMILIES];
  int64_t family;
  int64_t since;
};

/* Called by a profiled artifact between its top-level loop nests and
 * kernel calls where the family changes: the time since the last mark goes
 * to the family then being timed, and `family` (-1: none, at a return)
 * starts. Does nothing when the context has no profile. */
void genc_profile_mark(genc_context *context, int64_t family);

/* Called by compiled code, in place of reading outside a buffer, when the
 * index it took from data is not in [0, bound) (after counting a negative
 * one from the end where the op allows it). `check` (from 1) numbers the line of
 * the artifact's `genc_checks` text ("<check> <message>") that names the
 * ONNX node. */
void genc_index_error(genc_context *context, int64_t check, int64_t index, int64_t bound);

/* Called by compiled code's threaded loop nests (genc_cpu.parallel_for):
 * runs task(captures, i) for every i in [0, n) on the context's pool, or
 * in order on the calling thread when the context has none, and returns
 * when all are done. `captures` holds the values the loop nest reads. */
void genc_parallel_for(const genc_context *context, int64_t n, genc_task_fn task, void *captures);

/* What compiled code's entry points allocate with (genc-check-allocations,
 * in place of MLIR's allocation hooks): a 64-byte aligned block of `bytes`
 * bytes, counted in the context's `blocks` until genc_release. NULL when a
 * check of the call failed before, or when the request cannot be met: then
 * `check` (numbering a line of `genc_checks`) becomes the failed check and
 * `out_of_memory`. On NULL the compiled code returns at once, its results
 * null, and the caller frees the blocks still counted and fails the call.
 * With a NULL context a failure stops the process, as MLIR's hooks do. */
void *genc_alloc(genc_context *context, int64_t check, int64_t bytes);
void genc_release(genc_context *context, void *block);

/* Frees a buffer the artifact allocated (its results): compiled code
 * allocates through the artifact's own block cache, not malloc. */
void genc_artifact_free(void *ptr);

/* MLIR's unranked memref as the C interface passes it: the rank and a
 * pointer to {allocated, aligned, offset, sizes[rank], strides[rank]}. */
typedef struct genc_unranked_memref {
  int64_t rank;
  void *descriptor;
} genc_unranked_memref;

/* The kernels below take the caller's context and `check`, the line of the
 * artifact's `genc_checks` that names the ONNX node the call computes. A
 * kernel that cannot compute its call (it cannot allocate the scratch
 * memory it needs, or its operands are not shapes it takes: a broken
 * caller) fails the call instead of stopping the process: unless a check
 * failed before, `check` (-1 for a check of 0) becomes `failed_check`,
 * `failed_reason` says what went wrong (with {index} and {bound} for
 * `failed_index` and `failed_bound`), and an allocation's check becomes
 * `out_of_memory` too. The kernel then stops (its output, and a linear
 * attention's session sums, hold garbage nobody reads: the sums are marked
 * as holding no positions); compiled code stops at its next allocation,
 * and the caller fails the call. Called after a check failed, a kernel
 * returns at once. With a NULL context a failure prints the reason and
 * stops the process. */

/* Elementwise work that follows a matmul in the graph (a bias, an
 * activation, a residual add), compiled into a function that the matmul
 * kernel calls on each block of C it has finished, while that block is
 * still in cache (genc-fuse-matmul-epilogues): apply(self, row_begin,
 * row_end, col_begin, col_end) covers rows [row_begin, row_end) of C seen
 * as [batch... × M, N] and columns [col_begin, col_end). Every element of C
 * is covered exactly once, after its last update; blocks may be applied
 * concurrently, from any of the pool's threads. A block's columns are whole
 * 32-column panels: col_begin is a multiple of 32, and so is col_end unless
 * it is N (a gated unit's epilogue reads the two halves of each panel).
 * The compiled code lays out its captured values after `apply`. */
typedef struct genc_tile_epilogue genc_tile_epilogue;
struct genc_tile_epilogue {
  void (*apply)(genc_tile_epilogue *self, int64_t row_begin, int64_t row_end, int64_t col_begin,
                int64_t col_end);
};

/* B's layouts for genc_matmul_f32. */
enum {
  /* [batch..., K, N]: B as the graph has it. */
  GENC_MATMUL_B_ROW_MAJOR = 0,
  /* [ceil(N / 32), K, 32]: column panels, zero-padded, packed at compile
   * time (genc-pack-matmul-weights); no batch dims. */
  GENC_MATMUL_B_PANELS_32 = 1,
};

/* The most batch dims genc_matmul_f32 takes (C of rank 2 + this at most);
 * compiled code keeps its loops for matmuls with more. */
#define GENC_MATMUL_MAX_BATCH_RANK 8

/* C[batch..., M, N] (+)= A[batch..., M, K] · B, batch dims right-aligned
 * and broadcast where their size is 1. With `accumulate` 0, C's old values
 * are not read (the compiled code drops the zero-fill before the call).
 * Ranks it cannot take (see GENC_MATMUL_MAX_BATCH_RANK; A or B with more
 * dims than C) are a broken caller. `epilogue`, when not NULL, runs on
 * every block of C once it is final (K = 0 included). */
void _mlir_ciface_genc_matmul_f32(genc_context *context, int64_t check, genc_unranked_memref *c,
                                  genc_unranked_memref *a, genc_unranked_memref *b, int64_t bLayout,
                                  int64_t accumulate, genc_tile_epilogue *epilogue);

/* C[batch..., M, N] (+)= A[batch..., M, K] · (B[k, n] · scales[n]) for
 * weight-only int8 (genc-quantize-matmul-weights): B int8 in
 * [ceil(N / 32), ceil(K / 2), 32, 2] panels of k pairs as bf16's,
 * zero-padded, scales f32 [ceil(N / 32), 32], one per column (zero-padded
 * like B). Each row of A
 * is rounded to 16-bit integers q · s (s = its largest magnitude / 32767,
 * nearest, ties to even; a row holding NaN or infinity gives NaN); the
 * products are summed exactly in int32 over at most 512 k at a time, those
 * sums in f32, scaled by s and the column's scale in double and rounded
 * once, then added to C when `accumulate`. Every instruction set gives the
 * same bits. Otherwise as genc_matmul_f32 with panels. */
void _mlir_ciface_genc_matmul_f32_i8(genc_context *context, int64_t check, genc_unranked_memref *c,
                                     genc_unranked_memref *a, genc_unranked_memref *b,
                                     genc_unranked_memref *scales, int64_t accumulate,
                                     genc_tile_epilogue *epilogue);

/* C[batch..., M, N] (+)= A[batch..., M, K] · B for matmuls of integers
 * (ONNX's MatMulInteger by constant weights, whose codes less their zero
 * points int8 holds): B int8 as for genc_matmul_f32_i8 and the weights
 * themselves (no scales), A's elements integers of at most 32767 in
 * magnitude, which the compiled code promises (it converts them from
 * 8-bit codes less their zero points). A is taken as it is, each product
 * and the int32 sums of at most 512 k exact; those sums are added in f32,
 * exact while every partial sum stays within 2^24 (the compiled code
 * splits K so that it does). Calls of 4 rows or more whose every row
 * spans at most 255 take byte dot products where the CPU has
 * AVX512-VNNI (each row as bytes above its least value, the columns' sums
 * times that value added back): the same integers. Otherwise as
 * genc_matmul_f32_i8. */
void _mlir_ciface_genc_matmul_i8_integers(genc_context *context, int64_t check,
                                          genc_unranked_memref *c, genc_unranked_memref *a,
                                          genc_unranked_memref *b, int64_t accumulate,
                                          genc_tile_epilogue *epilogue);

/* C[batch..., M, N] (+)= bf16(A)[batch..., M, K] · B with bf16 weights
 * (genc compile --weights=bf16): B [ceil(N / 32), ceil(K / 2), 32, 2], each
 * panel row holding columns' pairs of consecutive k (zero-padded), A rounded
 * to bf16 (nearest, ties to even), products summed in f32. AMX tiles
 * for M >= 16 where the CPU has them and Linux grants their state,
 * AVX512-BF16's dot product where the CPU has that. Otherwise as
 * genc_matmul_f32 with panels. */
void _mlir_ciface_genc_matmul_bf16(genc_context *context, int64_t check, genc_unranked_memref *c,
                                   genc_unranked_memref *a, genc_unranked_memref *b,
                                   int64_t accumulate, genc_tile_epilogue *epilogue);

/* C[batch..., M, N] (+)= A[batch..., M, K] · W for 4-bit weights
 * (genc compile --weights=int4...): B [ceil(N / 32), K, 16] bytes, column j
 * of a panel in the low nibble of byte j and column j + 16 in the high
 * one; W[k, n] = q · scale + offset with scales and offsets f32
 * [ceil(N / 32), ceil(K / group), 32], one per `group` (at most 4096) rows
 * of K and column. A is rounded as for genc_matmul_f32_i8, q(A) · s; per
 * group, the exact int32 sums of q(A) · q become sum · scale + (the group's
 * sum of q(A)) · offset in f32, added up over the groups, times s in double
 * and rounded once, then added to C when `accumulate`. Otherwise as
 * genc_matmul_f32 with panels. */
void _mlir_ciface_genc_matmul_f32_i4(genc_context *context, int64_t check, genc_unranked_memref *c,
                                     genc_unranked_memref *a, genc_unranked_memref *b,
                                     genc_unranked_memref *scales, genc_unranked_memref *offsets,
                                     int64_t group, int64_t accumulate,
                                     genc_tile_epilogue *epilogue);

/* The same with the scales and offsets in IEEE half precision (f16 bits,
 * genc compile's own int4 quantisation): each widened to f32 exactly, then
 * the same arithmetic, so the same bits as genc_matmul_f32_i4 given those
 * values in f32. */
void _mlir_ciface_genc_matmul_f32_i4_f16(genc_context *context, int64_t check,
                                         genc_unranked_memref *c, genc_unranked_memref *a,
                                         genc_unranked_memref *b, genc_unranked_memref *scales,
                                         genc_unranked_memref *offsets, int64_t group,
                                         int64_t accumulate, genc_tile_epilogue *epilogue);

/* Symmetric 4-bit weights (genc compile --weights=int4 without :asym, or
 * MatMulNBits without zero points): scales alone, each group's offset
 * being -8 · scale, computed in f32 from the (widened) scale. The same
 * bits as genc_matmul_f32_i4 given those f32 offsets; at int4:32 with f16
 * scales a decode step reads a tenth fewer bytes than with f16 offsets. */
void _mlir_ciface_genc_matmul_f32_i4_symmetric(genc_context *context, int64_t check,
                                               genc_unranked_memref *c, genc_unranked_memref *a,
                                               genc_unranked_memref *b,
                                               genc_unranked_memref *scales, int64_t group,
                                               int64_t accumulate, genc_tile_epilogue *epilogue);
void _mlir_ciface_genc_matmul_f32_i4_symmetric_f16(genc_context *context, int64_t check,
                                                   genc_unranked_memref *c, genc_unranked_memref *a,
                                                   genc_unranked_memref *b,
                                                   genc_unranked_memref *scales, int64_t group,
                                                   int64_t accumulate,
                                                   genc_tile_epilogue *epilogue);

/* The head sizes genc_attention_f32 takes; compiled code keeps the
 * unfused loops for larger (or dynamic) ones. */
#define GENC_ATTENTION_MAX_HEAD_SIZE 256

/* The random key blocks a BigBird query block may draw, at most. */
#define GENC_ATTENTION_MAX_RANDOM_BLOCKS 64

/* genc.attention, fused (online softmax; no [Sq, Skv] scores in memory):
 * out[B, Hq, Sq, Dv] = softmax(q·kᵀ·scale (+ mask), softcap, causal,
 * window) · v for q [B, Hq, Sq, D], k [B, Hkv, Skv, D], v [B, Hkv, Skv, Dv],
 * query head h reading KV head h / (Hq / Hkv). `mask` (read when `hasMask`)
 * is additive, of rank <= 4, right-aligned and broadcast over dims of size
 * 1. With `causal`, key j is visible to query i iff j <= i + causalOffset;
 * with `window` > 0, also j > i + causalOffset - window, unless j < `sinks`
 * or j < `globalTokens` or i + causalOffset < `globalTokens` (the first
 * positions stay visible to all; the first `globalTokens` also see every
 * key the causal limit allows). With `block` > 0 (BigBird; no window,
 * `globalTokens` a multiple of `block`), query position p = i +
 * causalOffset in block p / block sees, within the causal limit, the keys
 * before `globalTokens`, those of blocks p / block - 1 .. p / block + 1,
 * and those of the blocks genc_bigbird_random_blocks(seed, p / block,
 * globalTokens / block, causal ? p / block : ceil(Skv / block),
 * randomBlocks) draws; positions before `globalTokens` see every key.
 * With `lshBuckets` > 0 (even; no window, blocks or softcap), it is
 * Reformer's LSH attention over `lshHashes` rounds with chunks of
 * `lshChunk` (runtime/src/kernels/LSHAttention.cpp says how; the
 * rotations are genc_lsh_rotations(seed, round, D, lshBuckets / 2); keys
 * the mask hides from every query take no place among the buckets); with
 * `stateSlot` >= 0 (causal) and the context's state of that slot, batch
 * item b's keys' buckets and their kept order live in row b of it between
 * calls (GENC_LSH_ATTENTION_STATE_FIXED floats, then runs of at least Skv
 * positions: LSHAttention.cpp's KeptKeys), so a step hashes only its new
 * keys and inserts them in the order: the call reuses the buckets of keys
 * below both causalOffset and the row's positions, and leaves the row
 * holding Skv positions, or after a failure those it reused. The caller
 * passes the state back as the kernel left it (the buckets index the
 * kernel's counters).
 * `softcap` > 0 maps each score s to softcap·tanh(s / softcap) before the
 * causal and window limits, after the mask is added or, with
 * `maskAfterSoftcap`, before. Any strides; out written in full. */
void _mlir_ciface_genc_attention_f32(
    genc_context *context, int64_t check, genc_unranked_memref *out, genc_unranked_memref *q,
    genc_unranked_memref *k, genc_unranked_memref *v, genc_unranked_memref *mask, int64_t hasMask,
    float scale, int64_t causal, int64_t window, float softcap, int64_t causalOffset, int64_t sinks,
    int64_t globalTokens, int64_t maskAfterSoftcap, int64_t block, int64_t randomBlocks,
    int64_t seed, int64_t lshBuckets, int64_t lshHashes, int64_t lshChunk, int64_t stateSlot);

/* The most floats a state line's FIXED or PER_POSITION may name (the
 * runtime refuses more: 1 GiB per row, or per position); a layer that
 * would need more keeps no state. */
#define GENC_ATTENTION_STATE_MOST_FLOATS (INT64_C(1) << 28)

/* An LSH attention layer's state, per KV head and round (whole numbers as
 * floats): FIXED, each bucket's count of keys in the kept order and how
 * many keys that order holds; per position, each cached key's bucket and
 * its entry in the kept order (the positions sorted by (bucket, position)),
 * with which a decode step finds its chunks without a pass over the keys. */
#define GENC_LSH_ATTENTION_STATE_FIXED(kvHeads, hashes, buckets)                                   \
  ((kvHeads) * (hashes) * ((buckets) + 1))
#define GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, hashes) (2 * (kvHeads) * (hashes))

/* Reformer's rotation for LSH round `round`: d x half floats (row-major),
 * standard normal, from `seed` and the round alone. */
void genc_lsh_rotations(int64_t seed, int64_t round, int64_t d, int64_t half, float *out);

/* Linear attention (genc.attention with a feature map), fused: out[B, Hq,
 * Sq, Dv] = Σ_j (φ(q_i)·φ(k_j)) v_j / Σ_j φ(q_i)·φ(k_j) over the keys j <=
 * i + causalOffset (all with `causal` 0) that the additive `mask` (read
 * when `hasMask`; shapes as genc_attention_f32's) does not hide with a
 * value <= -1e30. φ is elu(x) + 1, or with `performer` FAVOR+'s
 * exp(ωᵀx' - |x'|²/2) for x' = x·√scale and ω the [D, M]
 * `randomFeatures` (not read otherwise). `form` picks the computation
 * (GENC_LINEAR_ATTENTION_*; any gives the same result up to rounding):
 * the kernel's choice, the recurrent sums over keys, or each query's
 * weights directly. With `stateSlot` >= 0 (causal, a mask that varies
 * neither by query nor by head) and the context's state of that slot,
 * batch item b's sums (per KV head) live in row b of it
 * between calls: a call after `causalOffset` positions adds only its new
 * keys, so a decode step costs the same at any context. The row keeps two
 * sums: those of the positions the last call left, and those of all but
 * the last GENC_SLIDING_CACHE_ROLLBACK positions before the call
 * (`folded`; a call folds before it computes, so a failed call leaves them
 * true), from which a call after fewer positions (a rollback) rebuilds
 * the first, reading the keys after them only. So a call reads the cached
 * positions from what the previous call folded on, and the layer's
 * session cache slides (genc-roll-window-caches, a window of 0:
 * GENC_SUMS_CACHE_POSITIONS). A call before what the row folded (every
 * position given again, as without a cache) starts from nothing. */
/* The floats of one row of a linear attention's recurrent state (`state`
 * lines): per KV head (its query heads share the sums), twice (the last
 * call's sums, then the folded ones) F + 1 rows of Dv + 1 (a row of S and
 * z_x per feature x, then the kernel's bookkeeping). */
#define GENC_LINEAR_ATTENTION_STATE_FLOATS(kvHeads, features, valueSize)                           \
  (2 * (kvHeads) * ((features) + 1) * ((valueSize) + 1))
#define GENC_LINEAR_ATTENTION_ANY_FORM 0
#define GENC_LINEAR_ATTENTION_RECURRENT 1
#define GENC_LINEAR_ATTENTION_DIRECT 2
void _mlir_ciface_genc_linear_attention_f32(genc_context *context, int64_t check,
                                            genc_unranked_memref *out, genc_unranked_memref *q,
                                            genc_unranked_memref *k, genc_unranked_memref *v,
                                            genc_unranked_memref *mask, int64_t hasMask,
                                            genc_unranked_memref *randomFeatures, int64_t performer,
                                            float scale, int64_t causal, int64_t causalOffset,
                                            int64_t form, int64_t stateSlot);

/* The environment variable the kernels read when an artifact loads: a
 * comma-separated list of instruction sets they must not use, named as in
 * GENC_CPU_FEATURE_NAMES (avx512 switches off every AVX-512 path, AMX's
 * included, avx2 the AVX2 paths). The runtime refuses to load an artifact
 * while it names anything else. For results that do not depend on which
 * of the bf16 paths a CPU has, say, or to time the paths side by side. */
#define GENC_DISABLE_CPU_FEATURES "GENC_DISABLE_CPU_FEATURES"
#define GENC_CPU_FEATURE_NAMES "avx2,avx512,avx512bf16,avx512vnni,avx512vbmi,amx"

/* The positions a session's sliding KV cache holds (a layer that sees a
 * window of `window` keys and the first `sinks` positions;
 * genc-roll-window-caches): the sinks, the window, 64 positions before it
 * (what a draft model may roll back across calls) and room for
 * max(window, 64) new tokens a call. Fewer when the session's context is. */
#define GENC_SLIDING_CACHE_ROLLBACK 64
#define GENC_SLIDING_CACHE_POSITIONS(window, sinks)                                            \
  ((sinks) + (window) - 1 + GENC_SLIDING_CACHE_ROLLBACK +                                     \
   ((window) > GENC_SLIDING_CACHE_ROLLBACK ? (window) : GENC_SLIDING_CACHE_ROLLBACK))

/* The tokens per row a session gives a cached model in one call by
 * default: a longer prompt runs in pieces. */
#define GENC_SESSION_TOKENS_PER_CALL 512

/* The positions a session's cache holds for linear attention layers,
 * which see earlier positions through their kept sums (a window of 0 in
 * the signature): the GENC_SLIDING_CACHE_ROLLBACK positions a call leaves
 * unfolded, the previous call's tokens (which the next call folds) and
 * room for a call's (`tokensPerCall`, at least
 * GENC_SLIDING_CACHE_ROLLBACK; 0: any, as many as the context). Fewer when
 * the session's context is. */
#define GENC_SUMS_CACHE_POSITIONS(tokensPerCall, maxContext)                                       \
  ((tokensPerCall) > 0 ? GENC_SLIDING_CACHE_ROLLBACK +                                             \
                             2 * ((tokensPerCall) > GENC_SLIDING_CACHE_ROLLBACK                    \
                                      ? (tokensPerCall)                                            \
                                      : GENC_SLIDING_CACHE_ROLLBACK)                               \
                       : (maxContext))

/* BigBird's random key blocks for query block `queryBlock`: min(count, n)
 * distinct blocks (count at most GENC_ATTENTION_MAX_RANDOM_BLOCKS), drawn
 * uniformly from the n blocks of [firstBlock, endBlock) that are not
 * queryBlock - 1, queryBlock or queryBlock + 1, written ascending to `out`;
 * returns how many. The draw depends on `seed` and `queryBlock` alone, so a
 * decode step sees the blocks its prefill saw. */
int64_t genc_bigbird_random_blocks(int64_t seed, int64_t queryBlock, int64_t firstBlock,
                                   int64_t endBlock, int64_t count, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* GENC_KERNELS_H */
