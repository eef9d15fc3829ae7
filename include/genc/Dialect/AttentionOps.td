//===- AttentionOps.td - attention and rotary embedding ---*- tablegen -*-===//

#ifndef GENC_ATTENTION_OPS_TD
#define GENC_ATTENTION_OPS_TD

include "genc/Dialect/GencBase.td"

def Genc_AttentionOp : Genc_InferOp<"attention"> {
  let summary = "scaled dot-product attention over [B, H, S, D] tensors";
  let description = [{
    `query` is [B, Hq, Sq, D], `key` [B, Hkv, Skv, D], `value`
    [B, Hkv, Skv, Dv]; Hq is a multiple of Hkv and query head h reads KV
    head h / (Hq / Hkv) (MHA, GQA and MQA in one op). The result is
    [B, Hq, Sq, Dv]:

      S = query · keyᵀ · scale (+ mask) ; S = softcap · tanh(S / softcap)
      result = softmax(S) · value

    (ONNX's order), or with `mask_after_softcap` the mask added after the
    soft-cap (Gemma 2's).
    `mask`, broadcastable to [B, Hq, Sq, Skv], is boolean (true = attend)
    or additive. With `causal`, query i may attend key j only if
    j <= i + (Skv - Sq): the new queries are the last Sq positions. With
    `causal_from_start` too, they are the first Sq positions instead, and
    the limit is j <= i (ONNX Attention's rule without a past, where genc
    cannot prove the queries as many as the keys; canonicalization drops
    the flag where it can). With
    `window` W > 0, also j > i + (Skv - Sq) - W (j > i - W from the
    start), except that keys before
    `sinks` (attention sinks) and before `global_tokens` stay visible, and
    queries at positions before `global_tokens` (global tokens) see every
    key the causal limit allows.

    With `block` B > 0 (BigBird; no window, `global_tokens` a multiple of
    B), query position p in block p / B sees, within the causal limit,
    the keys before `global_tokens`, those of blocks p / B - 1 .. p / B + 1
    and those of `random_blocks` blocks drawn for p / B from the other
    blocks after the global ones (before p / B - 1 when causal), seeded by
    `seed` (genc_bigbird_random_blocks in the runtime's kernels.h). Only
    the fused kernel computes it.

    With `feature_map` "elu" or "performer" the op is linear attention
    (no softmax): result_i = Σ_j (φ(q_i)·φ(k_j)) v_j / Σ_j φ(q_i)·φ(k_j)
    over the keys the causal limit and the mask leave visible (the mask
    only hides keys: -inf, a value at or below -1e30, or false; other
    additive values play no part). "elu" is φ(x) = elu(x) + 1
    (Katharopoulos et al.); "performer" is FAVOR+'s positive random
    features φ(x) = exp(ωᵀx' - |x'|²/2) / √M with x' = x·√scale and ω
    the [D, M] `random_features`. No window, blocks or softcap. A causal
    linear layer of a session artifact gets a `state_slot` (the CPU
    target's genc-record-signature): its sums stay in the session between
    steps.

    With `lsh_buckets` B > 0 (even; no window, blocks, softcap or feature
    map) the op is Reformer's LSH attention: `lsh_hashes` rounds, each
    hashing queries and keys with the rotation `seed` gives for the round,
    sorting each by (bucket, position) and letting a query in chunk m (of
    `lsh_chunk`) see the keys of chunks m - 1 and m and its own position's
    key, causally; rounds are combined by their log-sum-exps
    (runtime/src/kernels/LSHAttention.cpp). Keys the mask hides from every
    query (padding) take no place in the sorted order. Only the fused kernel computes
    it. A causal LSH layer of a session artifact gets a `state_slot` too:
    the session keeps its keys' buckets between steps.
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value, Optional<AnyRankedTensor>:$mask,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<BoolAttr, "false">:$causal_from_start,
                       DefaultValuedAttr<Genc_I64Attr, "-1">:$window,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$sinks,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$global_tokens,
                       DefaultValuedAttr<BoolAttr, "false">:$mask_after_softcap,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$block,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$random_blocks,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$seed,
                       OptionalAttr<StrAttr>:$feature_map,
                       OptionalAttr<FloatElementsAttr<32>>:$random_features,
                       DefaultValuedAttr<Genc_I64Attr, "-1">:$state_slot,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$lsh_buckets,
                       DefaultValuedAttr<Genc_I64Attr, "1">:$lsh_hashes,
                       DefaultValuedAttr<Genc_I64Attr, "64">:$lsh_chunk);
  let results = (outs AnyRankedTensor:$result);
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Linear attention (a feature map), not softmax.
    bool isLinear() { return getFeatureMap().has_value(); }
    /// Linear attention's KV heads, features and value size when all are
    /// static: the shape of its sums (shared by the query heads of a KV
    /// head).
    std::optional<std::array<int64_t, 3>> linearSumsShape();
  }];
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def Genc_AttentionKernelOp : Genc_Op<"attention_kernel"> {
  let summary = "genc.attention on buffers: the fused CPU kernel's call";
  let description = [{
    What genc-convert-to-linalg lowers f32 genc.attention to: `out` (a
    fresh [B, Hq, Sq, Dv] buffer) receives softmax(query · keyᵀ · scale
    (+ mask), softcap, causal, window) · value, computed by
    genc_attention_f32 without materialising the scores. Key j is visible
    to query i iff j <= i + `causal_offset` (with `causal`) and
    j > i + `causal_offset` - `window` (with `window` > 0; `sinks` and
    `global_tokens`, `block`, `random_blocks`, `seed` and `lsh_*` as in
    genc.attention; `state_slot` LSH's). `mask` is additive, added before
    the soft-cap unless `mask_after_softcap`. genc-call-cpu-kernels turns
    the op into the kernel call.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemWrite]>:$out,
                       Arg<AnyMemRef, "", [MemRead]>:$query,
                       Arg<AnyMemRef, "", [MemRead]>:$key,
                       Arg<AnyMemRef, "", [MemRead]>:$value,
                       Arg<Optional<AnyMemRef>, "", [MemRead]>:$mask,
                       Index:$causal_offset,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<Genc_I64Attr, "-1">:$window,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$sinks,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$global_tokens,
                       DefaultValuedAttr<BoolAttr, "false">:$mask_after_softcap,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$block,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$random_blocks,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$seed,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$lsh_buckets,
                       DefaultValuedAttr<Genc_I64Attr, "1">:$lsh_hashes,
                       DefaultValuedAttr<Genc_I64Attr, "64">:$lsh_chunk,
                       DefaultValuedAttr<Genc_I64Attr, "-1">:$state_slot);
  let assemblyFormat = [{
    $out `,` $query `,` $key `,` $value (`mask` `(` $mask^ `)`)? `offset` $causal_offset
    attr-dict `:` type($out) `,` type($query) `,` type($key) `,` type($value)
    (`,` type($mask)^)?
  }];
}

def Genc_LinearAttentionKernelOp : Genc_Op<"linear_attention_kernel"> {
  let summary = "linear genc.attention on buffers: the fused CPU kernel's call";
  let description = [{
    What genc-convert-to-linalg lowers f32 linear attention to: `out` (a
    fresh [B, Hq, Sq, Dv] buffer) receives genc.attention's linear result
    for feature map elu + 1, or with `performer` FAVOR+'s with ω the [D, M]
    `features` (not read otherwise), computed by genc_linear_attention_f32
    without an [Sq, Skv] matrix. Key j is visible to query i iff j <= i +
    `causal_offset` (with `causal`) and the mask does not hide it.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemWrite]>:$out,
                       Arg<AnyMemRef, "", [MemRead]>:$query,
                       Arg<AnyMemRef, "", [MemRead]>:$key,
                       Arg<AnyMemRef, "", [MemRead]>:$value,
                       Arg<AnyMemRef, "", [MemRead]>:$features,
                       Arg<Optional<AnyMemRef>, "", [MemRead]>:$mask,
                       Index:$causal_offset,
                       F32Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<BoolAttr, "false">:$performer,
                       DefaultValuedAttr<Genc_I64Attr, "-1">:$state_slot);
  let assemblyFormat = [{
    $out `,` $query `,` $key `,` $value `,` $features (`mask` `(` $mask^ `)`)?
    `offset` $causal_offset attr-dict `:` type($out) `,` type($query) `,` type($key) `,`
    type($value) `,` type($features) (`,` type($mask)^)?
  }];
}

def Genc_RotaryOp : Genc_InferOp<"rotary"> {
  let summary = "rotary position embedding of [B, H, S, D] (ONNX RotaryEmbedding)";
  let description = [{
    Rotates the first `rotary_dim` channels of each head (all if 0) by the
    angles in `cos`/`sin`: [max_pos, rotary_dim/2] indexed by
    `position_ids` [B, S] when given (as Gather indexes: a negative id counts
    from the end), else [B, S, rotary_dim/2]. Pairs are
    (i, i + rotary_dim/2), or adjacent channels when `interleaved`.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$cos,
                       AnyRankedTensor:$sin, Optional<Genc_IntTensor>:$position_ids,
                       DefaultValuedAttr<BoolAttr, "false">:$interleaved,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$rotary_dim);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin (`positions` `(` $position_ids^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
}

#endif // GENC_ATTENTION_OPS_TD
