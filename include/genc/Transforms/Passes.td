//===- Passes.td - genc graph passes ---*- tablegen -*-===//

#ifndef GENC_TRANSFORMS_PASSES_TD
#define GENC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldShapeArithmetic : Pass<"genc-fold-shape-arithmetic", "func::FuncOp"> {
  let summary = "Evaluates shape computations symbolically (exact)";
  let description = [{
    Follows small integer tensors computed from shapes (Shape, Gather,
    Unsqueeze, Concat, Slice, Cast, arithmetic, Equal/Where,
    ConstantOfShape) and replaces each with a constant when every entry is
    static, or with `tensor.from_elements` of `tensor.dim` arithmetic when
    some entries are dynamic. Dims are known to be non-negative, so a
    comparison of a dim with a negative constant folds. The chains left
    without users are erased.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def RefineShapes : Pass<"genc-refine-shapes", "func::FuncOp"> {
  let summary = "Re-infers result types so that folded shapes become static (exact)";
  let description = [{
    Walks the function in order and replaces each genc result type with the
    more static type that inference now gives (after shape operands have
    folded), then updates the function's result types to what it returns.
    Never changes an element type or a rank.
  }];
}

def UnmergeQueryHeads : Pass<"genc-unmerge-query-heads", "func::FuncOp"> {
  let summary = "Multi-query attention with the query heads merged into the rows, "
                "rewritten heads first (exact)";
  let description = [{
    GPTBigCode's attention reshapes q [B, S, H·D] to [B, S·H, D], multiplies
    it by the one key head [B, D, T] (times a scale, plus zeros: torch's
    baddbmm), views the scores as [B, S, H, T] for the masks and the
    softmax over the keys, and multiplies the probabilities, merged back to
    [B, S·H, T], by the one value head [B, T, Dv] before merging the result
    to [B, S, H·Dv]. Such a block becomes q [B, H, S, D] times the key as
    one broadcast head [B, 1, D, T], the masks moved to [B, ·, S, T], the
    softmax, the value [B, 1, T, Dv], and the result transposed and merged
    to the same [B, S, H·Dv]: the layout genc-raise-attention reads, with
    the same sums. Zeros added to the scores are dropped.
  }];
}

def SinkExpands : Pass<"genc-sink-expands", "func::FuncOp"> {
  let summary = "Computes elementwise ops before the Expands they read (exact)";
  let description = [{
    An elementwise op whose tensor operands are all Expands to one shape
    (the others one-element constants) computes on the Expands' inputs, and
    its result is expanded instead: the same values, on no more elements.
    Exporters broadcast masks before the arithmetic that turns them into
    additive masks (`attention_mask[:, None, None, :].expand(b, 1, s, t)`,
    then `(1 - m) * min`); afterwards the mask is a broadcast of one row,
    which raising reads as a mask of the keys.
  }];
}

def CrossAttentionFromFirstStep : Pass<"genc-cross-attention-from-first-step", "func::FuncOp"> {
  let summary = "Computes a merged seq2seq decoder's cross-attention keys and values from the source (exact for sessions)";
  let description = [{
    Optimum's merged seq2seq decoder takes the cross-attention's keys and
    values as inputs `past_key_values.{i}.encoder.key|value` in its cached
    branch; only its first-step branch (the If's else) computes them, from
    `encoder_hidden_states`, and returns them as `present.{i}.encoder.*`.
    A session keeps the source, not those tensors, so each such input is
    replaced by a copy, before the If, of what the first step computes
    for its `present` output; the input and that output are removed.
    genc-select-cache-branch then keeps the cached branch, and
    genc-split-source-computation computes the keys and values once per
    source. Functions without such an input/output pair are left alone.
  }];
}

def SelectCacheBranch : Pass<"genc-select-cache-branch", "func::FuncOp"> {
  let summary = "Runs a merged decoder's branch with a KV cache (exact for sessions)";
  let description = [{
    Optimum's merged decoders take a boolean `use_cache_branch` that picks,
    in an If, the graph without a cache (first step) or the one with it. A
    session always keeps a cache, empty at the first step, and the cached
    graph with an empty past computes what the other one computes. The
    argument becomes the constant true and is removed; canonicalization
    then inlines the cached branch. Functions without the argument are
    left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def KVCacheInPlace : Pass<"genc-kv-cache-in-place", "func::FuncOp"> {
  let summary = "Keeps the KV cache in caller-owned buffers written in place (exact)";
  let description = [{
    An exported decoder returns `present = Concat(past, new)` along the
    sequence axis for every layer, so each step copies the whole cache.
    This pass turns each such past argument into a cache buffer
    `[batch, heads, capacity, head_size]` owned by the caller (a runtime
    session), adds a scalar `genc.past_length` argument, writes the new
    rows into the buffer at `past_length` (tensor.insert_slice into the
    argument, which bufferization does in place) and lets attention read
    the buffer's first `past_length + new` rows. The present results go
    away. Cache arguments are marked `genc.kv_cache`; the caller must give
    them room for `past_length + new` rows. A function without the pattern
    is left as is.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def RollWindowCaches : Pass<"genc-roll-window-caches", "func::FuncOp"> {
  let summary = "Lets windowed layers' KV caches slide, holding O(window) rows (exact)";
  let description = [{
    After genc-kv-cache-in-place, row p of a cache buffer is position p. A
    cache whose keys or values only causal sliding-window attention reads
    (a window W, no BigBird blocks, LSH or feature map; one window for every
    layer that reads it, and its layer's other cache slides too) becomes a
    sliding one: with `shift` the positions the caller dropped after the
    first `sinks` (the layer's sinks or global tokens, whichever is more),
    position p lives in row p below `sinks` and in row p - shift after.
    The pass adds one scalar i64 argument `genc.window_shift.W.SINKS` per
    window, writes the step's rows at past_length - shift, lets attention
    read the first past_length + new - shift rows and drops the mask's
    columns [sinks, sinks + shift) (a call fails if the mask is not one
    column per key). The window and causal limits are relative, so the
    result is unchanged for any shift that keeps the positions the step's
    queries see: the caller's to choose. Each such cache is marked
    `genc.window_cache` {shift, window, sinks}. A windowed layer whose
    cache cannot slide gets a warning and keeps every position.

    Causal linear attention (a feature map) whose sums a session keeps
    (static heads and sizes; a mask that varies neither by query nor by
    head) reads the cache only for the positions its kept sums have not
    folded: its caches slide as a window of 0, by `genc.window_shift.sums`,
    and the session keeps the rows the kernel has not folded.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def AddKVCache : Pass<"genc-add-kv-cache", "ModuleOp"> {
  let summary = "Gives a decoder exported without a KV cache one (exact, or an error)";
  let description = [{
    For each causal self-attention layer i of @main (genc.attention ops,
    so after genc-raise-attention), adds the arguments
    `past_key_values.i.key` and `.value` [batch, kv_heads, past, head_size]
    and the results `present.i.key` and `.value`, the concatenation of the
    past and the layer's new keys (values) along the sequence axis, which
    attention then reads: the graph that an export with a cache has, which
    genc-kv-cache-in-place keeps in a session's buffers. A Range(0, S, 1)
    over input_ids' length S (positions the graph counts itself) becomes
    Range(P, P + S) for the past length P; a position_ids input needs
    nothing.

    The result is exact when every op but attention works on each
    position alone. The pass checks what it can and fails with an error
    naming the ONNX node otherwise: every layer causal, with a mask (if
    any) of one row for all queries and attention_mask's keys; values
    computed from attention_mask reaching only attention masks, a Slice of
    their last S columns or a Gather's indices; no product of two computed
    tensors, cumulative sum, reduction or concatenation along the sequence
    outside attention; no other Range of dynamic length; no existing cache.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def LogitsForRequestedPositions : Pass<"genc-logits-for-requested-positions", "func::FuncOp"> {
  let summary = "Computes the LM head only for the positions the caller asks for (exact)";
  let description = [{
    A generation step needs the logits of its last position (prefill) or of
    its few new positions (a speculative verification), but an export
    computes the LM head, the largest matmul of a step, for every
    position. For the result named `logits` ([batch, sequence, vocab],
    dynamic sequence) computed by a matmul (plus a constant bias), the pass
    adds a scalar argument `genc.logits_positions` K and slices the
    matmul's input to its last min(K, sequence) positions: the result is
    the last K rows of what the export computes. Functions without such a
    result are left as they are.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def ExposeCrossAttention : Pass<"genc-expose-cross-attention", "func::FuncOp"> {
  let summary = "Returns the last cross-attention's probabilities, averaged over heads (exact)";
  let description = [{
    GNMT's coverage penalty reads the decoder's cross-attention, which
    exports rarely return. In a function with `genc.source` arguments (an
    encoder-decoder's decoder step) and no result named `cross_attentions`,
    the pass finds the softmax (rank 4, last axis) of scores computed, up
    to elementwise scaling and masking, by a matmul whose left operand
    depends on the target's arguments and whose right operand (the keys)
    depends on the source arguments only; the last one in program order is
    the last layer's. It adds the result `cross_attentions`, the mean of
    those probabilities over the heads axis: [batch, target, source].
    Functions without such a softmax are left as they are.
  }];
  let dependentDialects = ["::mlir::genc::GencDialect"];
}

def ExposeMatmulInputs : Pass<"genc-expose-matmul-inputs", "func::FuncOp"> {
  let summary = "Returns the activations that weight matmuls read (for calibration)";
  let description = [{
    Calibrated weight quantisation weighs each matmul's weight error by the
    activations the matmul reads on calibration text. This pass adds one
    result per distinct activation read by a matmul with constant weights
    in the function's own block (see `findWeightMatmuls`), named
    `matmul_input:NODE` after the first such matmul's ONNX node. The model computes what it computed before;
    only its results grow. Used on a copy of the model compiled for
    calibration, never on the one shipped.
  }];
}

def SplitSourceComputation : Pass<"genc-split-source-computation", "ModuleOp"> {
  let summary = "Moves a decoder step's source-only computation into its own function (exact)";
  let description = [{
    An encoder-decoder's decoder recomputes, at every step, values that
    depend on the encoder's output alone (each layer's cross-attention keys
    and values). For every function with arguments marked `genc.source`,
    the pass moves each pure floating-point tensor computation that depends
    only on those arguments and on constants into a new function
    `@<name>_source`, which takes the source arguments and returns what the
    step still reads; the step takes those values as arguments in place of
    the source arguments. A source argument the step reads directly is
    returned and taken under its own name; a computed value is named
    `genc.source.<k>`. Shapes and index computations stay in the step.
    Calling `@<name>_source` and then the step computes what the original
    function computed.
  }];
}

def RaiseAttention : Pass<"genc-raise-attention", "func::FuncOp"> {
  let summary = "Replaces exporters' attention graphs by genc.attention (exact)";
  let description = [{
    Finds Y = MatMul(Softmax(S), V) whose scores S are MatMul(Q,
    Transpose(K)) scaled by constants and masked, and replaces the chain by
    one genc.attention: the scale becomes `scale`; additive masks and fills
    (Where(C, S, F) with F = -inf or F <= -1e30, as Where(C, 0, F)) are
    summed into the op's mask; a fill whose condition is a lower-triangular
    table sliced from row Skv - Sq (GPT-2's `bias` buffer) becomes `causal`.
    K and V repeated over query-head groups (Unsqueeze → Expand → Reshape,
    GQA's repeat_kv) are used unrepeated. Every intermediate must have no
    other use (attention probabilities that a model returns stay as they
    are), masks must apply after the scale, and Q, K and V must provably
    share batch and length dims. Exact up to rounding: x / c becomes
    x · (1/c), and the fused reductions sum in another order.
  }];
  let dependentDialects = ["::mlir::genc::GencDialect", "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"];
}

def RaiseNorms : Pass<"genc-raise-norms", "func::FuncOp"> {
  let summary = "Replaces exporters' RMSNorm and LayerNorm graphs by genc ops (exact)";
  let description = [{
    From a mean over trailing dims of squares (Pow(c, 2) or c · c), follows
    single uses forward: + ε, Sqrt, then c divided by it or times its
    reciprocal (Reciprocal or 1 / ·). With c = x the chain is
    genc.rms_norm(x); with c = x − mean(x) over the same dims, read by
    nothing else, genc.layer_norm(x). A following multiplication by a
    constant (the weight) and, for LayerNorm, addition of one (the bias)
    fold in when they vary along the normalised dims only; without a weight
    the scale is 1. Exact up to rounding: the lowering multiplies by
    1/√(· + ε) where the export may divide.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def RaiseRotary : Pass<"genc-raise-rotary", "func::FuncOp"> {
  let summary = "Replaces Hugging Face's rotate-half rotary embedding by genc.rotary (exact)";
  let description = [{
    x · cos + rotate_half(x) · sin, rotate_half(x) = Concat(−x[..., h:2h],
    x[..., :h]) on the last axis, becomes genc.rotary when cos and sin
    [B, 1, S, 2h] have equal halves that the pass can see: rows of a
    constant table (checked element by element) gathered by position ids
    [B, S] (the op reads the table's first half at the ids), or Cos/Sin of
    Concat(f, f) with f [B, S, h] (the op reads Cos(f), Sin(f)). Partial
    rotary, the rotated x[..., :rd] concatenated with x[..., rd:], becomes
    one op with `rotary_dim` rd. x's batch and positions must provably be
    those of cos and sin (no broadcast of a batch of one). Exact up to
    rounding.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def RaiseActivations : Pass<"genc-raise-activations", "func::FuncOp"> {
  let summary = "Replaces exporters' GELU and SiLU graphs by genc ops (exact)";
  let description = [{
    x · ½ · (1 + erf(x / √2)) becomes genc.gelu(x); x · ½ · (1 + tanh(√(2/π)
    · (x + 0.044715 · x³))) genc.gelu(x) {tanh_approximation}; x ·
    sigmoid(x) genc.silu(x). The factors are read in any order exporters
    write them (x · ½ first or last, x / √2 or x · (1/√2), x³ as Pow or two
    products), constants within float32 rounding; every intermediate has
    one use. Exact up to rounding.
  }];
}

def RewriteAttention : Pass<"genc-rewrite-attention", "ModuleOp"> {
  let summary = "Makes attention layers sparse or grouped, as asked (approximate)";
  let description = [{
    Applies `spec` (`genc compile --attention=SPEC`, docs/passes.md) to the
    self-attention layers of @main: the genc.attention ops whose keys do
    not come from an encoder, numbered from 0 in program order.
    `window:W` lets query position p see keys (p - W, p]; `sinks:S` keeps
    keys [0, S) visible too; `global:N` makes positions [0, N) seen by and
    seeing every position (both need a window); `gqa:G` replaces the K and
    V heads by the means of G groups of adjacent heads, which equals
    mean-pooling their projection weights and biases; `gqa:G:calibrated`
    combines them through the maps of the module attribute
    `genc.attention_calibration` (fitted by genc compile), multiplying
    queries and outputs by each head's map. Each changes what the
    model computes unless it was trained that way. A malformed spec, a
    layer that does not exist, a layer asked two things of one kind, a
    window not smaller than a static context, or a G that does not divide
    the KV heads is an error naming the option.
  }];
  let options = [
    Option<"spec", "spec", "std::string", /*default=*/"\"\"",
           "The rewrites, as genc compile's --attention takes them">
  ];
  let dependentDialects = ["::mlir::genc::GencDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // GENC_TRANSFORMS_PASSES_TD
