//===- Passes.td - the CPU target's passes ---*- tablegen -*-===//
//
// What the CPU target adds to genc-convert-to-linalg's output: weights laid
// out in a buffer and packed for the matmul kernel, kernel calls, the
// entry points' ABI and signature, profiling marks.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TARGET_CPU_PASSES_TD
#define GENC_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizeMatmulWeights : Pass<"genc-quantize-matmul-weights", "ModuleOp"> {
  let summary = "Weights of packed matmuls in int8, bf16 or int4 (approximate, opt-in)";
  let description = [{
    After genc-pack-matmul-weights, only when asked (`genc compile
    --weights=FORMAT`, the `format` option, the same text): each matmul encoded
    `#genc.matmul<panels_32, f32>` whose B is a constant of f32 panels reads its weights in a smaller
    format, and a weight several matmuls share is converted once per format.

    - `int8`: int8 panels whose rows hold pairs of consecutive k (as
      bf16's below) and a third input, one f32 scale per output column
      (`[panels * 32]`): symmetric per-channel
      quantisation, scale = max |B[:, n]| / 127, q = round(B / scale) (ties
      away from zero), so every weight is within scale / 2 of its value.
      The generic computes C += A · (q · scale[n]) and is marked
      `#genc.matmul<panels_32, i8, column_scale>` (kernel genc_matmul_f32_i8,
      a quarter of the bytes; it rounds A to 16-bit integers too).
    - `bf16`: bf16 panels whose rows hold pairs of consecutive k,
      `[panels, ceil(K / 2), 32, 2]`, zero-padded, each weight rounded to
      the nearest bf16; the generic computes C += bf16(A) · B with f32 sums
      (A rounded too, as the kernel's dot products take it) and is marked
      `#genc.matmul<panels_32, bf16>` (kernel genc_matmul_bf16: half the
      bytes, twice the multiply-adds per instruction with AVX512-BF16).
    - `int4[:GROUP][:asym]` (GROUP 32, 64 or 128): 4-bit panels
      `[panels, K, 16]` (column j of a panel in the low nibble of byte j,
      column j + 16 in the high one) and a scale and an offset per GROUP
      rows and column, `[panels, ceil(K / GROUP), 32]`: w ≈ q · scale +
      offset, q in [0, 15]; with asym over [min(w, 0), max(w, 0)], marked
      `#genc.matmul<panels_32, i4, group_scale_offset, group = GROUP>`
      (kernel genc_matmul_f32_i4_f16, or genc_matmul_f32_i4 with f32
      parameters). Symmetric (scale = m / -8 for the group's m of largest
      magnitude, offset = -8 · scale), the offsets are not stored: the
      scales alone, marked `#genc.matmul<panels_32, i4, group_scale, group
      = GROUP>` (kernels genc_matmul_f32_i4_symmetric(_f16), which compute
      -8 · scale). Stored parameters are f16 (f32 where one would overflow
      f16, whose largest value is 65504).
    - `int4[:GROUP][:asym]:calibrated`: the same format, rounded as GPTQ
      does instead of to nearest: the rows of each column are quantised in
      order, and each one's rounding error is fed forward into the rows
      not yet quantised, weighted by the matmul's calibration statistics
      (`genc.input_gram`, the mean of x·xᵀ over its inputs x, damped by 1%
      of its mean diagonal), so that the error of A · B on such inputs is
      least; a group's scale is taken from its weights as they are when
      it is reached. Matmuls without statistics are rounded to nearest;
      the pass fails if none has them.

    Matmuls of integers (`genc.exact_products`, MatMulInteger's) are never
    rounded: weights that are all integers in [-128, 127] become int8
    panels of k pairs without scales, the generic C += A · q marked
    `#genc.matmul<panels_32, i8>` (kernel genc_matmul_i8_integers, exact),
    whatever the format, f32 included; other weights of theirs stay f32.

    Weights the model brings quantised (`genc.weight_grid`, from ONNX
    Runtime's MatMulNBits or ONNX's DequantizeLinear) become int4 or int8
    on that grid whatever the format, `f32` included: each weight takes its
    nearest grid point, which is the model's own code.

    Approximate otherwise: docs/results.md states each format's perplexity
    cost.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int8\"",
           "f32, int8, bf16 or int4[:GROUP][:asym]">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
}

def ExternalizeWeights : Pass<"genc-externalize-weights", "ModuleOp"> {
  let summary = "Reads large constants from a weights buffer argument (exact)";
  let description = [{
    Weights must not become LLVM constants: compile time and memory would
    grow with their size. Each tensor constant of at least `min-bytes`
    bytes in a public function (`@main`, and an encoder-decoder's
    `@encoder`) is replaced by a view into a new first argument,
    `%weights: memref<?xi8>`, at a 64-byte aligned offset (one buffer for
    all of them); the module gets
    `genc.weights`, an array of {offset, value} in blob order, from which
    the compiler writes the weights file that the runtime maps.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"1024",
           "Constants at least this large move to the weights buffer">
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def MergeProjections : Pass<"genc-merge-projections", "ModuleOp"> {
  let summary = "One matmul for the constant weights that multiply one input (exact)";
  let description = [{
    Matmuls of one input by constant f32 weights [K, N1], [K, N2], ...
    (a layer's query, key and value projections; gate and up) become one
    matmul by the weights laid side by side, [K, N1 + N2 + ...], whose
    result a genc.split along the last axis cuts back into the products:
    one kernel call instead of several, each column computed as before.
    Matmuls merge only in one block, where their results agree on every
    dim but the last and their calibration data is equal; weights the
    model brings quantised (a per-column grid) stay apart. A weight's data
    is freed once nothing else reads it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def InterleaveGatedHalves : Pass<"genc-interleave-gated-halves", "ModuleOp"> {
  let summary = "Lays a gated unit's two halves of one matmul side by side in each panel (exact)";
  let description = [{
    After genc-fuse-elementwise, before genc-pack-matmul-weights. A gated
    linear unit (SwiGLU, GeGLU: act(x·Wg) · (x·Wu)) is, once
    genc-merge-projections has merged its projections (or the model has),
    one matmul by constant f32 weights [K, 2F] whose result's halves
    [..., 0:F] and [..., F:2F] one elementwise nest reads. The matmul
    kernel finishes C a block of 32-column panels at a time, so the gate's
    block and the up half's block of the same columns are final at
    different times and the nest cannot be the call's epilogue. Here the
    weight's columns are reordered so that panel b holds the first half's
    columns [16b, 16b + 16) and then the second half's, and the nest runs
    over [..., F/16, 16], reading C expanded to [..., F/16, 2, 16] at
    [..., b, 0, j] and [..., b, 1, j]; its result is collapsed back to
    [..., F]. Applies when F is a multiple of 16, the weight carries no
    model quantisation grid, nothing but the two halves (and `tensor.dim`)
    reads the matmul's result, the halves span C's other dims whole, and
    the nest is all parallel, reads every other operand at its element, by
    column (a bias [F], read as [F/16, 16]) or as a scalar, and writes
    [..., F]. Every column's products and every
    element's ops are as before: results are bit for bit the same. A
    weight that only this matmul holds and whose data the compiler may
    write is reordered in place; any other (read by other ops too, mapped
    from the model, read through a transpose) is copied, once for all the
    matmuls that read it. The matmul must start from one filled value:
    a start that differs by column would not follow the reordering.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def PackMatmulWeights : Pass<"genc-pack-matmul-weights", "ModuleOp"> {
  let summary = "Packs constant matmul operands into 32-wide column panels (exact)";
  let description = [{
    A matmul kernel streams B one 32-column panel at a time; a constant B
    (a weight, or the transpose of one) is rewritten once, here, into
    `[ceil(N/32), K, 32]` panels padded with zeros, and the matmul's
    indexing map for B becomes `(n floordiv 32, k, n mod 32)`, so the op
    still computes the same product. Applies to f32 linalg.generic matmuls
    that genc-convert-to-linalg marked `#genc.matmul<row_major, f32>`;
    they are re-marked `#genc.matmul<panels_32, f32>`. The original constant stays only if
    something else uses it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
}

def FillPerUse : Pass<"genc-fill-per-use"> {
  let summary = "Gives every use of a filled tensor its own linalg.fill (exact)";
  let description = [{
    CSE merges identical `linalg.fill(value, tensor.empty)` ops, so one
    filled tensor can be the destination of several ops (every matmul and
    reduction starts from zeros); bufferization would then fill one
    buffer and copy it for each of them. Run before bufferization: every
    use but the first gets a clone of the fill and its empty tensor, placed
    right before the user, and writes it in place.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def CallCPUKernels : Pass<"genc-call-cpu-kernels", "ModuleOp"> {
  let summary = "Replaces marked matmuls on buffers with calls to the runtime's kernels";
  let description = [{
    After bufferization, every linalg.generic with a `#genc.matmul`
    encoding whose memrefs have the types it states becomes a call to the
    kernel of its weight type (runtime/include/genc/kernels.h), operands
    cast to unranked memrefs: f32 `genc_matmul_f32(context, check, C, A,
    B, layout, accumulate, epilogue)`; those genc-quantize-matmul-weights
    converted `genc_matmul_f32_i8(context, check, C, A, B, scales,
    accumulate, epilogue)`, `genc_matmul_i8_integers(context, check, C, A,
    B, accumulate, epilogue)` for `#genc.matmul<panels_32, i8>` (a matmul
    of integers: A taken as it is), `genc_matmul_bf16(context, check, C, A, B,
    accumulate, epilogue)`, `genc_matmul_f32_i4(context, check, C, A, B,
    scales, offsets, group, accumulate, epilogue)` (`genc_matmul_f32_i4_f16`
    when the scales and offsets are f16) or, for symmetric 4-bit weights,
    `genc_matmul_f32_i4_symmetric(context, check, C, A, B, scales, group,
    accumulate, epilogue)` (`..._symmetric_f16`), the epilogue a null
    `!llvm.ptr` (genc-fuse-matmul-epilogues gives it one); genc.attention_kernel and genc.linear_attention_kernel
    become calls of genc_attention_f32 and genc_linear_attention_f32.
    `check` numbers the kernel call's line `<node>: {reason}` of the
    artifact's constant text `genc_checks`: a kernel that cannot compute
    its call fails it with that check and says why. A `genc.matmul` mark that is not an encoding is an
    error. The f32 and bf16 kernels accumulate into C exactly as
    the generic would; the int8 and 4-bit ones round A to 16-bit integers
    (a scale per row) first: approximate, far below the weights' own
    rounding (kernels.h), except genc_matmul_i8_integers, whose A holds
    integers already: exact. `context` is the calling function's
    `genc.context` argument (an `!llvm.ptr`, added as its first argument
    when missing): the caller's thread pool, never a global. When C is a fresh buffer whose only earlier writer is a
    fill with +0.0, the fill is erased and the kernel writes C instead
    (`accumulate` 0): the same values without a pass over C. Each
    `genc.index_out_of_bounds` becomes a call of `genc_index_error(context,
    check, index, bound)`, its message line `<check> <message>` of the
    artifact's constant text `genc_checks`. The kernels are linked into the
    artifact by `genc compile`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect"];
}

def TagOpFamilies : Pass<"genc-tag-op-families", "func::FuncOp"> {
  let summary = "Records each genc op's family in its location, for profiling (exact)";
  let description = [{
    The first half of op-family profiling. Every genc op's location is
    wrapped in a fused location whose metadata names its family (`matmul`,
    `attention`, `norms and reductions`, `softmax`, `elementwise`,
    `data movement`; the numbering of runtime/include/genc/kernels.h), so
    that the loops and kernel calls lowered from it still say where they
    came from after bufferization. Changes no computation.
  }];
}

def MarkOpFamilies : Pass<"genc-mark-op-families", "ModuleOp"> {
  let summary = "Times each op family of the entry points (profiling; exact)";
  let description = [{
    The second half of op-family profiling, on bufferized code. In each
    public function, the top-level ops are grouped into runs of one family:
    the family genc-tag-op-families recorded in an op's location, else one
    read off the op (a matmul or attention kernel call, a copy), else
    `other`; ops that only allocate, free or compute addresses join the run
    they sit in. Before each run, and before each return, the function calls
    `genc_profile_mark(context, family)` (-1 at a return), which adds the
    time since the last mark to the family then timed when the caller passed
    a genc_profile, and returns at once when it did not. One call per change
    of family; results are unchanged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def RecordSignature : Pass<"genc-record-signature", "ModuleOp"> {
  let summary = "Writes the entry points' inputs and outputs into the signature (exact)";
  let description = [{
    Runs first, while the entry points still take and return the model's
    tensors. The artifact exports @main and the module's other public
    functions (an encoder-decoder's @encoder); this pass checks that they
    take and return ranked tensors and writes `genc.signature`, the text
    the runtime reads, one line per value:

      input <name> <type> <dims, ? when dynamic> <dim names, - when none>
      output <name> <type> <rank> <dims, ? when dynamic>
      cache <input name> [<shift input> <window> <sinks>]
                           (a KV-cache buffer the caller owns and the
                            model writes in place; with the rest, one that
                            slides: genc-roll-window-caches)
      state <slot> <fixed> <per position>
                           (floats per row that a session keeps
                            for an attention layer between steps: a causal
                            linear attention's sums, fixed; a causal LSH
                            attention's key buckets, per position)

    for @main, then `entry <name>` and the same lines for each other entry
    point, then `session` when the module was compiled for a runtime
    session, `whole-calls` when @main has LSH or non-causal BigBird
    attention (its buckets or random blocks depend on the tokens a call is
    given together, so a session runs a prompt in pieces only where a
    sliding cache needs it), `positions <count> <node>` when @main gathers
    from a static table by position (a position embedding, rotary tables:
    the most positions it can embed, and the node that gathers; the
    runtime refuses a session that holds more), then the state slots: in a session artifact, each causal
    linear or LSH attention of @main with static sizes gets `state_slot` N
    (in program order). genc-seal-signature adds the weights' lines.
  }];
}

def SealSignature : Pass<"genc-seal-signature", "ModuleOp"> {
  let summary = "Binds the signature to the weights file (exact)";
  let description = [{
    After genc-externalize-weights: appends to `genc.signature` the lines
    that identify the weights payload (the compiler's version, its size and
    hashes), so that the runtime refuses a weights file that is not the
    artifact's own, and `profile op-families` when `profile-op-families`
    is set (profiled code reads a context field an older runtime lacks).
  }];
  let options = [
    Option<"profileOpFamilies", "profile-op-families", "bool", /*default=*/"false",
           "The code calls genc_profile_mark (genc-mark-op-families)">
  ];
}

def PrepareEntryPoints : Pass<"genc-prepare-entry-points", "ModuleOp"> {
  let summary = "Names the entry points and fixes their buffers' ownership (exact)";
  let description = [{
    Before bufferization: @main becomes `genc_model` and every other
    public function `genc_model_<name>` (a C `main` would take over the
    program an artifact is linked into); each gets the C interface (a
    stable, descriptor-based ABI); and every argument is marked
    `bufferization.writable` false, as it is the caller's buffer (inputs,
    mapped weights), except the KV-cache buffers that exist to be written.
  }];
}

def FinalizeEntryPoints : Pass<"genc-finalize-entry-points", "ModuleOp"> {
  let summary = "Checks caches are written in place; adds the context argument (exact)";
  let description = [{
    After bufferization and the kernel calls: fails when a KV-cache
    argument of an entry point is not written (bufferization copied it
    instead, and the session would never see the new rows); gives every
    entry point its `genc.context` argument, whether it calls kernels or
    not, and marks it `genc.entry_point` (for genc-check-allocations); and
    drops argument and result attributes (names live in the
    signature now, and LLVM would reject them as parameter attributes).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def DecomposeConcat : Pass<"genc-decompose-concat"> {
  let summary = "tensor.concat → tensor.insert_slice ops (exact)";
  let description = [{
    tensor.concat has no bufferization: each becomes an empty tensor and
    one insert_slice per operand, which bufferize in place.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def CopiesToLoops : Pass<"genc-copies-to-loops"> {
  let summary = "memref.copy → linalg.copy (exact)";
  let description = [{
    memref.copy of non-contiguous buffers lowers to a call of memrefCopy
    from MLIR's runner library, which a shipped artifact does not have;
    linalg.copy becomes loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FuseMatmulEpilogues : Pass<"genc-fuse-matmul-epilogues", "func::FuncOp"> {
  let summary = "Runs a matmul's elementwise consumer inside the kernel call, block by block (exact)";
  let description = [{
    After genc-call-cpu-kernels. A bias, activation or residual add after
    a matmul is a loop nest that reads C back from memory once the kernel
    has written all of it. The linalg.generic right after a matmul kernel
    call (with only allocations, frees and ops without memory effects in
    between) moves into a `genc_cpu.tile_epilogue` that becomes the call's
    `epilogue` operand; the kernel runs it on each block of C it finishes,
    while the block is in cache. The nest qualifies when its loops are all
    parallel, one per dim of C; its body computes from its operands'
    elements alone (no `linalg.index`, no memory access); it reads C at
    the element it writes; each other operand is read at that element (a
    buffer of C's shape), at its column (a vector along C's last dim) or
    as a scalar (rank 0), all with the identity layout; and it writes a
    buffer of C's shape. So that running it a block at a time, in any
    order and at once, reads what the nest read: its output shares no
    buffer with what the matmul reads (A, B, scales), and a buffer it reads
    at its element is C itself, its output itself, or shares memory with
    neither; one it reads by column or as a scalar shares memory with
    neither. Buffers share memory unless one of them is a fresh
    `memref.alloc`. In the region, C's batch dims are flattened into its
    rows (`memref.collapse_shape`), the block's slice of each operand is a
    `memref.subview`, and the nest's body is unchanged: every element is
    computed by the same scalar ops, so results are bit for bit the same.
    The ops in between move before the call, frees excepted. A gated
    unit's nest (genc-interleave-gated-halves) qualifies too: one loop
    more than C has dims, over C's 32-column panels and 16 columns; it
    reads C's halves of each panel through C expanded to [..., N/32, 2,
    16], other operands at its element, by column ([N/32, 16] at [panel,
    j]) or as scalars, and writes a buffer
    [..., N/32, 16] that shares no memory with C. Its block is the panels
    [col_begin / 32, col_end / 32) of the kernel's block of columns, which
    starts and ends on panels (runtime/include/genc/kernels.h).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::genc::cpu::GencCPUDialect"];
}

def ThreadLoopNests : Pass<"genc-thread-loop-nests", "func::FuncOp"> {
  let summary = "Runs each large linalg loop nest as tasks on the caller's pool (exact)";
  let description = [{
    On bufferized entry points (public functions), after the kernel calls
    and before genc-finalize-entry-points. Each linalg op on buffers (the
    loop nests that norms, softmax, rotary, elementwise ops, residual adds
    and copies become) is tiled along its leading parallel loops but the
    innermost, less those of static size 1 (the innermost itself when it
    is the only one left): the last of them in runs of about 8192
    iterations of the whole nest, the others one index at a time. The tiles
    are the tasks of a `genc_cpu.parallel_for` on the function's `genc.context`
    argument (added if the function has none yet). A nest with fewer than
    16384 iterations at run time is one task (run on the calling thread).
    Left as they are: nests that small whatever their sizes; nests whose
    body writes memory or calls a function other than `genc_index_error`
    (the failed index checks of Gather and rotary: the runtime keeps the
    first it gets, atomically, so when one call fails several checks,
    which one it reports may depend on the thread count); nests whose output does not index each cut
    loop by itself (tasks would share output elements) or that read an
    output's buffer through another view or map (a task could read what
    another writes). Each task computes what the nest computed for its
    slice, in the same order: results are bit for bit the same at any
    thread count.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::genc::cpu::GencCPUDialect"];
}

def OutlineParallelFor : Pass<"genc-outline-parallel-for", "ModuleOp"> {
  let summary = "genc_cpu.parallel_for and genc_cpu.tile_epilogue → functions the runtime calls (exact)";
  let description = [{
    Runs after the conversion to the LLVM dialect. The region of each
    `genc_cpu.parallel_for`, lowered in place by then, moves into an internal
    `llvm.func` `void(ptr captures, i64 task)` named after its function
    (`<fn>_task`, numbered when taken). The values the region uses from
    outside are stored, in order, into a struct in the caller's frame (one
    alloca per op, at the function's entry) and loaded back at the task's
    entry; constants are cloned into the task instead. The op becomes
    `llvm.call @genc_parallel_for(context, tasks, @task, captures)`, or,
    when `tasks` is 1 at run time, a direct call of the task (no trip
    through the runtime, and LLVM may inline it). A `genc_cpu.tile_epilogue`'s
    region becomes `void(ptr closure, i64 row_begin, i64 row_end, i64
    col_begin, i64 col_end)` (`<fn>_epilogue`) the same way, its struct
    holding the function's address first (kernels.h's
    genc_tile_epilogue), then the captures; the op's result becomes the
    struct's address.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CheckAllocations : Pass<"genc-check-allocations", "ModuleOp"> {
  let summary = "Entry points fail the call, not the process, on an allocation they cannot get (exact)";
  let description = [{
    Runs on a module fully in the LLVM dialect, after
    genc-outline-parallel-for. In each entry point (`genc.entry_point`, its
    first argument the context), a call of MLIR's allocation hook becomes
    `genc_alloc(context, check, bytes)` followed by a test: a null block
    branches to a new block that returns zeros. Each free becomes
    `genc_release(context, block)`, so the context counts the blocks the
    call holds and the runtime frees them when a call fails. The check
    numbers a line of `genc_checks` that names the buffer's ONNX node.
    Aligned allocations above 64 bytes keep MLIR's hook (the process stops
    if it fails), and a module that frees memory outside its entry points
    is left alone: its blocks could not be counted.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def PolynomialMath : Pass<"genc-polynomial-math"> {
  let summary = "f32 exp, tanh and erf as polynomials LLVM vectorises";
  let description = [{
    math.exp, math.tanh and math.erf on f32 (scalars or vectors) become
    upstream MLIR's polynomial approximations: arithmetic, fma and bit
    manipulation, which LLVM's loop vectoriser handles, where they would
    otherwise be one libm call per element; their math.fma become a
    multiply and an add marked `contract` (an FMA where the target has one,
    never a call of fmaf). Not bit-identical to libm:
    docs/passes.md gives the largest error measured against the exact
    functions. Other types and functions are left to libm.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // GENC_TARGET_CPU_PASSES_TD
